package mcpserver_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// faultTimeout is the per-call backend timeout of the fault matrix.
const faultTimeout = 1500 * time.Millisecond

// faultMargin bounds how much longer than the timeout a tool call may take
// to come back (race detector, retries' bookkeeping, loaded CI machines).
const faultMargin = 5 * time.Second

var (
	faultKey   = "ik_" + strings.Repeat("f", 64)
	healthyKey = "ik_" + strings.Repeat("e", 64)
)

// faultBackend is a misbehaving backend: its handler, and what it saw.
type faultBackend struct {
	stop     chan struct{} // closed at the end of the case: hanging handlers return
	requests atomic.Int64
	other    *httptest.Server // the "other host" of the redirect case
	otherHit atomic.Int64
}

type faultCase struct {
	name string
	// handler is the backend's behaviour; nil means nothing listens.
	handler func(fb *faultBackend) http.HandlerFunc
	// blocks: the backend holds the calls open, so the healthy session's
	// answer must arrive while they are still pending.
	blocks bool
	// want are substrings (case-insensitive) every error text must contain:
	// what went wrong and what to do.
	want []string
	// check runs after the calls (extra assertions).
	check func(t *testing.T, fb *faultBackend)
	// memory: measure heap growth during the calls. The calls then
	// succeed, with a result cut to what the server reads of an answer,
	// and want is matched against that result.
	memory bool
}

func hold(fb *faultBackend, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-fb.stop:
	}
}

func faultCases() []faultCase {
	const bigBody = 200 << 20
	return []faultCase{
		{
			name: "connection refused",
			want: []string{"could not reach", "connection refused", "check that the project url is right"},
		},
		{
			name: "backend hangs",
			handler: func(fb *faultBackend) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { hold(fb, r) }
			},
			blocks: true,
			want:   []string{"did not answer in time", "retry"},
		},
		{
			name: "slow body",
			handler: func(fb *faultBackend) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusOK)
					w.Write([]byte(`{"database":`))
					w.(http.Flusher).Flush()
					tick := time.NewTicker(100 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-r.Context().Done():
							return
						case <-fb.stop:
							return
						case <-tick.C:
							if _, err := w.Write([]byte(" ")); err != nil {
								return
							}
							w.(http.Flusher).Flush()
						}
					}
				}
			},
			blocks: true,
			want:   []string{"did not answer in time", "retry"},
		},
		{
			name: "HTML 502",
			handler: func(fb *faultBackend) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(http.StatusBadGateway)
					w.Write([]byte("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"))
				}
			},
			want: []string{"502", "html page", "retry in a moment"},
		},
		{
			name:    "429 Retry-After 1s",
			handler: tooMany("1"),
			want:    []string{"429", "rate limiting", "wait 1s"},
		},
		{
			name:    "429 Retry-After 3600",
			handler: tooMany("3600"),
			want:    []string{"429", "rate limiting", "wait 1h0m0s"},
		},
		{
			name: "truncated JSON",
			handler: func(fb *faultBackend) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.Write([]byte(`{"database":{"tables":[{"tableName":"to`))
				}
			},
			want: []string{"not valid json", "retry"},
		},
		{
			name: "connection cut mid-body",
			handler: func(fb *faultBackend) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					conn, buf, err := w.(http.Hijacker).Hijack()
					if err != nil {
						return
					}
					defer conn.Close()
					buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"database\":{\"tab")
					buf.Flush()
				}
			},
			want: []string{"unexpected eof", "retry"},
		},
		{
			name:    "200 MB body with Content-Length",
			handler: hugeBody(bigBody, true),
			want:    []string{"larger than this server reads", "ask for less"},
			memory:  true,
		},
		{
			name:    "200 MB body chunked",
			handler: hugeBody(bigBody, false),
			want:    []string{"larger than this server reads", "ask for less"},
			memory:  true,
		},
		{
			name: "redirect to another host",
			handler: func(fb *faultBackend) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, fb.other.URL+r.URL.Path, http.StatusTemporaryRedirect)
				}
			},
			want: []string{"refused to follow a redirect to another host", "project url"},
			check: func(t *testing.T, fb *faultBackend) {
				if n := fb.otherHit.Load(); n != 0 {
					t.Errorf("the other host received %d requests: the key may have travelled there", n)
				}
			},
		},
	}
}

// hugeBody answers 200 with {"rows":[{…},{…},…]} of size bytes, generated
// on the fly from one reused 64 KiB chunk (the test never holds the body).
func hugeBody(size int, withLength bool) func(fb *faultBackend) http.HandlerFunc {
	return func(fb *faultBackend) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if withLength {
				w.Header().Set("Content-Length", fmt.Sprint(size))
			}
			w.WriteHeader(http.StatusOK)
			chunk := []byte(strings.Repeat(`{"id":1,"note":"a row of some sixty bytes, as tables hold"},`, 1<<10))
			bw := bufio.NewWriterSize(w, 64<<10)
			bw.WriteString(`{"rows":[`)
			written := 9
			for written+len(chunk)+3 <= size {
				if _, err := bw.Write(chunk); err != nil {
					return // the client stopped reading
				}
				written += len(chunk)
			}
			bw.WriteString(strings.Repeat(" ", size-written-3) + "0]}")
			bw.Flush()
		}
	}
}

func tooMany(retryAfter string) func(fb *faultBackend) http.HandlerFunc {
	return func(fb *faultBackend) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", retryAfter)
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":"TOO_MANY_REQUESTS","message":"Too many requests, please try again later.","statusCode":429}`))
		}
	}
}

// Fault matrix: for each way a backend can misbehave, a GET tool and a
// POST tool return a clear tool error (what happened, what to do) before
// the client's deadline (timeout plus a margin), another session keeps
// being served meanwhile, and no goroutine outlives the case.
//
// The cases count goroutines and measure the heap, so they run one after
// the other in a process of their own, where no other test runs
// (ranAlone); meanwhile the tests here go on in parallel, as most of the
// matrix's time is spent waiting for its backends' timeouts.
func TestBackendFaultMatrix(t *testing.T) {
	if ranAlone(t) {
		return
	}
	// The healthy backend lives across cases, so its goroutines belong to
	// every case's baseline. It answers GET /api/metadata for its key as
	// an InsForge project without tables does (a fake backend of
	// insforgefake would start a PostgreSQL cluster in this process for
	// that alone).
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Header.Get("Authorization") != "Bearer "+healthyKey:
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"AUTH_INVALID_API_KEY","message":"Invalid API key","statusCode":401}`))
		case r.Method != http.MethodGet || r.URL.Path != "/api/metadata":
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"NOT_FOUND","message":"Not found","statusCode":404}`))
		default:
			w.Write([]byte(`{"database":{"tables":[]},"auth":{}}`))
		}
	}))
	defer healthy.Close()
	for _, fc := range faultCases() {
		t.Run(fc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			runFaultCase(t, fc, healthy)
		})
	}
}

// runFaultCase runs one case and releases everything it started before it
// returns, so the leak check sees only what the server left behind.
func runFaultCase(t *testing.T, fc faultCase, healthy *httptest.Server) {
	fb := &faultBackend{stop: make(chan struct{})}
	fb.other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fb.otherHit.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"database":{},"auth":{}}`))
	}))
	defer fb.other.Close()

	var backendURL string
	if fc.handler == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		backendURL = "http://" + ln.Addr().String()
		ln.Close() // nothing listens there now: connection refused
	} else {
		h := fc.handler(fb)
		backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fb.requests.Add(1)
			h(w, r)
		}))
		defer backend.Close()
		defer close(fb.stop) // runs first: release held handlers so Close does not wait
		backendURL = backend.URL
	}

	// The server's own backend connections, closed at the end of the case.
	backendConns := &http.Transport{MaxIdleConnsPerHost: 4}
	defer backendConns.CloseIdleConnections()
	srv := mcpserver.New(mcpserver.Config{
		Version:    "test",
		Surface:    catalogue.Full(),
		ToolConfig: tools.Config{MaxResultBytes: 100000},
		Transport: insforge.NewTransport(insforge.Options{
			Timeout:    faultTimeout,
			RetryWait:  50 * time.Millisecond,
			HTTPClient: &http.Client{Transport: backendConns},
		}),
		Configured: credentials.Credentials{ProjectURL: backendURL, APIKey: faultKey},
	})
	handler := srv.StreamableHandler(mcpserver.HTTPOptions{Loopback: true})
	// The handler's Shutdown ends its sessions and stops mcp-go's idle
	// sweeper goroutine (ServeHTTP calls it in production).
	sh, ok := handler.(interface{ Shutdown(context.Context) error })
	if !ok {
		t.Fatal("the streamable handler has no Shutdown: its session sweeper goroutine would leak")
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		sh.Shutdown(sctx)
	}()
	ts := httptest.NewServer(handler)
	defer ts.Close()
	c := newRawClient(ts.URL+"/mcp", 8)
	defer c.closeIdle()

	ctx, cancel := context.WithTimeout(context.Background(), faultTimeout+faultMargin)
	defer cancel()
	closeCtx, closeCancel := context.WithTimeout(context.Background(), faultTimeout+faultMargin)
	defer closeCancel()
	faulty, err := c.open(ctx, nil) // uses the configured, misbehaving project
	if err != nil {
		t.Fatal(err)
	}
	defer faulty.close(closeCtx)
	other, err := c.open(ctx, map[string]string{mcpserver.HeaderAPIKey: healthyKey, mcpserver.HeaderProjectURL: healthy.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer other.close(closeCtx)

	// A GET tool (retried when transient) and a POST tool (never retried),
	// both bounded by the client's deadline.
	type outcome struct {
		tool string
		res  toolResult
		err  error
	}
	calls := []struct {
		tool string
		args map[string]any
	}{
		{"get-backend-metadata", nil},
		{"run-raw-sql", map[string]any{"query": "SELECT 1"}},
	}
	results := make(chan outcome, len(calls))
	late := fmt.Errorf("the call did not return within the timeout (%v) plus %v", faultTimeout, faultMargin)
	collect := ctx // by when every call has returned
	var peakGrowth atomic.Int64
	if fc.memory {
		// One at a time, so the heap measures what one call holds; each
		// under the deadline of its own start, as the calls of the other
		// cases are (they start together).
		var cancel context.CancelFunc
		collect, cancel = context.WithTimeout(context.Background(), time.Duration(len(calls))*(faultTimeout+faultMargin))
		defer cancel()
		go func() {
			for _, call := range calls {
				var o outcome
				grew := heapGrowth(func() {
					cctx, ccancel := context.WithTimeout(context.Background(), faultTimeout+faultMargin)
					defer ccancel()
					r, err := faulty.callTool(cctx, call.tool, call.args)
					if cctx.Err() != nil {
						err = late
					}
					o = outcome{call.tool, r, err}
				})
				if grew > peakGrowth.Load() {
					peakGrowth.Store(grew)
				}
				results <- o
			}
		}()
	} else {
		for _, call := range calls {
			go func() {
				r, err := faulty.callTool(ctx, call.tool, call.args)
				results <- outcome{call.tool, r, err}
			}()
		}
	}

	// Meanwhile another session, on a healthy project, is served normally.
	if fc.blocks {
		waitFor(t, "the backend to receive both calls", func() bool { return fb.requests.Load() >= int64(len(calls)) })
	}
	r, err := other.callTool(ctx, "get-backend-metadata", nil)
	if err != nil || r.IsError {
		t.Errorf("another session during the fault: %v %s", err, r.text())
	}
	if fc.blocks && len(results) > 0 {
		t.Errorf("the faulty calls returned before the other session was served; the case did not hold them open")
	}

	for range calls {
		var o outcome
		select {
		case o = <-results:
		case <-collect.Done():
			t.Fatalf("a tool call did not return within the timeout (%v) plus %v", faultTimeout, faultMargin)
		}
		if o.err == late {
			t.Errorf("%s: %v", o.tool, late)
			continue
		}
		if o.err != nil {
			t.Errorf("%s: protocol error instead of a tool error: %v", o.tool, o.err)
			continue
		}
		text := o.res.text()
		if fc.memory && o.res.IsError {
			t.Errorf("%s: an error instead of a cut result: %.300s", o.tool, text)
			continue
		}
		if !o.res.IsError && !fc.memory {
			t.Errorf("%s succeeded against a faulty backend: %.300s", o.tool, text)
			continue
		}
		for _, w := range fc.want {
			if !strings.Contains(strings.ToLower(text), w) {
				t.Errorf("%s: error text lacks %q: %s", o.tool, w, text)
			}
		}
		if strings.Contains(text, faultKey) {
			t.Errorf("%s: the API key is in the error text", o.tool)
		}
		if len(text) > 2000 && !fc.memory {
			t.Errorf("%s: error text is %d bytes; a clear error is short", o.tool, len(text))
		}
	}
	if fc.memory {
		grew := peakGrowth.Load()
		t.Logf("peak heap growth during one call: %d MiB", grew>>20)
		// The server reads about tools.AnswerBudget (264 kB here) of the
		// answer, some 4,000 rows, and decodes and renders those (the
		// garbage counts until the next GC); loading the 200 MB body, or
		// even the 32 MiB cap of a whole answer, would show.
		if grew > 32<<20 {
			t.Errorf("heap grew by %d MiB during a call whose answer is 200 MB; the read is not bounded by the result budget", grew>>20)
		}
	}
	if fc.check != nil {
		fc.check(t, fb)
	}
}

// heapGrowth runs f and returns the peak growth of the heap while it ran,
// sampled every few milliseconds (after a GC, so the baseline holds no
// garbage of earlier work).
func heapGrowth(f func()) int64 {
	// The garbage counts too, so the measure holds the collector to its
	// default pace whatever GOGC the process was given.
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak := before.HeapAlloc
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapAlloc)
			}
		}
	}()
	f()
	close(done)
	<-sampled
	return int64(peak) - int64(before.HeapAlloc)
}
