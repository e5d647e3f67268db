package mcpserver_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// sqlPath is the raw SQL route.
const sqlPath = "/api/database/advance/rawsql"

// Issue 13, item 1: a server over a backend with its own handler for one
// route, through streamable HTTP; topts shape the transport.
func startOverBackend(t *testing.T, path string, h http.HandlerFunc, topts insforge.Options) string {
	t.Helper()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"database":{},"auth":{}}`)
	}))
	t.Cleanup(backend.Close)
	if topts.Timeout == 0 {
		topts.Timeout = 10 * time.Second
	}
	srv := mcpserver.New(mcpserver.Config{
		Version:    "test",
		Surface:    catalogue.Full(),
		ToolConfig: tools.Config{MaxResultBytes: 100000},
		Transport:  insforge.NewTransport(topts),
		Configured: credentials.Credentials{ProjectURL: backend.URL, APIKey: insforgefake.DefaultAPIKey},
	})
	ts := httptest.NewServer(srv.StreamableHandler(mcpserver.HTTPOptions{Loopback: true}))
	t.Cleanup(ts.Close)
	return ts.URL + "/mcp"
}

// streamRows writes {"rows":[…]} (or, bare, […]) of about size bytes,
// rows of ~100 bytes, and returns how many bytes the client took before
// it stopped.
func streamRows(w http.ResponseWriter, size int, bare bool) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	open, end := `{"rows":[`, `],"rowCount":1}`
	if bare {
		open, end = "[", "]"
	}
	written, _ := bw.WriteString(open)
	pad := strings.Repeat("x", 64)
	for i := 0; written < size; i++ {
		sep := ","
		if i == 0 {
			sep = ""
		}
		n, err := fmt.Fprintf(bw, `%s{"id":%d,"name":"row %d","pad":%q}`, sep, i, i, pad)
		written += n
		if err != nil {
			return written
		}
	}
	bw.WriteString(end)
	bw.Flush()
	return written
}

// A 30 MB answer comes back as a cut result with a note saying so and how
// to see the rest, and the server stops reading it: the backend's writes
// fail long before 30 MB.
func TestHugeAnswerIsCutWithANote(t *testing.T) {
	t.Parallel()
	taken := make(chan int, 1)
	url := startOverBackend(t, sqlPath, func(w http.ResponseWriter, r *http.Request) {
		taken <- streamRows(w, 30<<20, false)
	}, insforge.Options{})
	c := dial(t, "http", url, "2025-11-25", nil)
	text, isErr := testmcp.CallText(t, c, "run-raw-sql", map[string]any{"query": "SELECT * FROM big"})
	if isErr {
		t.Fatalf("a huge answer gave an error instead of a cut result: %.500s", text)
	}
	testmcp.WantText(t, text, "larger than this server reads", `first `, `items of "rows"`, "Ask for less", "limit and offset",
		"more rows than one result holds") // not "The query returned N rows": N is only what was read
	testmcp.WantUntrusted(t, text)
	if len(text) > 100000+2000 {
		t.Errorf("result is %d bytes, over --max-result-bytes", len(text))
	}
	select {
	case n := <-taken:
		if n >= 8<<20 {
			t.Errorf("the server took %d MB of the 30 MB answer; it should stop after about %d kB", n>>20, tools.AnswerBudget(100000)>>10)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the backend is still writing: the server did not stop reading the answer")
	}
}

// A page of query-records cut to the budget says that it was cut, and
// where the next page starts: right after the last row shown.
func TestCutPageOfRecordsSaysWhereToContinue(t *testing.T) {
	t.Parallel()
	url := startOverBackend(t, "/api/database/records/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "0-99999/300000")
		streamRows(w, 30<<20, true)
	}, insforge.Options{})
	c := dial(t, "http", url, "2025-11-25", nil)
	text, isErr := testmcp.CallText(t, c, "query-records", map[string]any{"table": "big", "limit": 1000})
	if isErr {
		t.Fatalf("a cut page gave an error: %.500s", text)
	}
	m := regexp.MustCompile(`"rows" shows the first (\d+) of`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no count of the rows shown in: %.800s", text)
	}
	testmcp.WantText(t, text, "of 300000", "again with offset "+m[1]+" ", "larger than this server reads", "Ask for less")
}

// Requests without a session (protocol 2026-07-28) share call slots per
// client address, like a session's: with 2 per session, a third and fourth
// concurrent call from the same address wait, then run.
func TestSessionlessCallsAreBoundedPerClient(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	var now, peak, total atomic.Int32
	release := make(chan struct{})
	backend.SetSQLHandler(func(query string, params []any) (insforgefake.SQLResult, error) {
		n := now.Add(1)
		total.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		now.Add(-1)
		return insforgefake.SQLResult{Rows: []map[string]any{{"one": 1}}}, nil
	})
	url := startGuarded(t, mcpserver.Config{
		Configured:         credentials.Credentials{ProjectURL: backend.URL, APIKey: insforgefake.DefaultAPIKey},
		MaxCallsPerSession: 2,
	}, mcpserver.HTTPOptions{})
	c := dial(t, "http", url, "2026-07-28", nil)
	var wg sync.WaitGroup
	results := make([]string, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text, isErr := testmcp.CallText(t, c, "run-raw-sql", map[string]any{"query": "SELECT 1 AS one"})
			results[i] = "ok"
			if isErr {
				results[i] = text
			}
		}()
	}
	waitFor(t, "two calls reach the backend", func() bool { return now.Load() == 2 })
	time.Sleep(300 * time.Millisecond)
	if n := total.Load(); n != 2 {
		t.Fatalf("with 2 slots per client, %d sessionless calls reached the backend at once", n)
	}
	close(release)
	wg.Wait()
	for i, r := range results {
		if r != "ok" {
			t.Errorf("call %d: %s", i, r)
		}
	}
	if p := peak.Load(); p > 2 {
		t.Errorf("%d sessionless calls from one address ran at once, over 2", p)
	}
}

// When the client cancels a call, by notifications/cancelled or by
// closing its request, the backend request stops.
func TestCancelledCallStopsTheBackendRequest(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"notifications/cancelled", "connection closed"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			arrived, stopped := make(chan struct{}, 1), make(chan struct{}, 1)
			url := startOverBackend(t, sqlPath, func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body) // net/http notices a closed connection only once the body is read
				arrived <- struct{}{}
				select {
				case <-r.Context().Done():
					stopped <- struct{}{}
				case <-time.After(20 * time.Second):
				}
			}, insforge.Options{Timeout: 30 * time.Second})
			c := newRawClient(url, 4)
			defer c.closeIdle()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := c.open(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			callCtx, cancelCall := context.WithCancel(ctx)
			defer cancelCall()
			body := `{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"run-raw-sql","arguments":{"query":"SELECT pg_sleep(60)"}}}`
			go func() {
				if resp, err := c.do(callCtx, http.MethodPost, s.id, nil, []byte(body)); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
			select {
			case <-arrived:
			case <-time.After(10 * time.Second):
				t.Fatal("the call never reached the backend")
			}
			if how == "notifications/cancelled" {
				resp, err := c.do(ctx, http.MethodPost, s.id, nil, []byte(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":77,"reason":"user"}}`))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			} else {
				cancelCall()
			}
			select {
			case <-stopped:
			case <-time.After(10 * time.Second):
				t.Fatalf("after %s the backend request still runs", how)
			}
		})
	}
}

// firstRead calls once when its body is first read.
type firstRead struct {
	io.ReadCloser
	once func()
}

func (f *firstRead) Read(p []byte) (int, error) {
	f.once()
	return f.ReadCloser.Read(p)
}

// roundTripFunc is an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Buffered answer bytes are bounded across the server: while one call
// holds the room (its answer still arriving), another call's answer waits
// to be read, and is read once the room is free; neither is refused.
func TestBufferedBytesWaitForRoom(t *testing.T) {
	t.Parallel()
	// 200 kB in 200 rows of 1 kB: two answers do not fit in the 300 kB of
	// room, and decoding them is cheap (100,000 one-byte rows took seconds
	// under the race detector).
	const size = 200 << 10
	row := `"` + strings.Repeat("x", 1021) + `"`
	body := `{"rows":[` + strings.Repeat(row+",", size/1024-1) + row + `]}`
	var calls atomic.Int32
	first, finish := make(chan struct{}), make(chan struct{})
	// reading closes when the server first reads an answer's body, the
	// first call's: its client holds room for the answer by then.
	reading := make(chan struct{})
	var readOnce sync.Once
	backendConns := &http.Transport{}
	t.Cleanup(backendConns.CloseIdleConnections)
	watched := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := backendConns.RoundTrip(r)
		if err == nil && r.URL.Path == sqlPath {
			resp.Body = &firstRead{ReadCloser: resp.Body, once: func() { readOnce.Do(func() { close(reading) }) }}
		}
		return resp, err
	})}
	url := startOverBackend(t, sqlPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		rest := body
		if calls.Add(1) == 1 {
			io.WriteString(w, body[:100])
			w.(http.Flusher).Flush()
			close(first)
			<-finish // the client holds room for the whole answer meanwhile
			rest = body[100:]
		}
		io.WriteString(w, rest)
	}, insforge.Options{MaxBufferedBytes: 300 << 10, HTTPClient: watched})
	a := dial(t, "http", url, "2025-11-25", nil)
	b := dial(t, "http", url, "2025-11-25", nil)
	done := make(chan string, 2)
	call := func(c *client.Client) { done <- callWith(c, "run-raw-sql", map[string]any{"query": "SELECT 1"}) }
	go call(a)
	<-first
	select {
	case <-reading:
	case <-time.After(20 * time.Second):
		t.Fatal("the server never read the first answer")
	}
	go call(b)
	waitFor(t, "the second call reaches the backend", func() bool { return calls.Load() == 2 })
	select {
	case r := <-done:
		t.Fatalf("a call finished (%.200s) while the first held the room the second needs", r)
	case <-time.After(300 * time.Millisecond):
	}
	close(finish)
	for range 2 {
		if r := <-done; r != "ok" {
			t.Errorf("a call waiting for room failed: %s", r)
		}
	}
}
