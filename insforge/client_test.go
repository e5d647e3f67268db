package insforge_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/insforge"
)

const key = "ik_0123456789abcdef0123456789abcdef"

func newClient(t *testing.T, h http.HandlerFunc, opts insforge.Options) (*insforge.Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	if opts.RetryWait == 0 {
		opts.RetryWait = time.Millisecond
	}
	return insforge.NewTransport(opts).Client(srv.URL, key), srv
}

// get sends a GET and drops the answer.
func get(c *insforge.Client, path string) error {
	_, _, err := insforge.Call[struct{}](context.Background(), c, insforge.Request{Path: path})
	return err
}

func TestSendsBearerKeyAndDecodes(t *testing.T) {
	var got http.Header
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}, insforge.Options{})
	out, _, err := insforge.Call[struct{ OK bool }](context.Background(), c, insforge.Request{Path: "/api/metadata"})
	if err != nil {
		t.Fatal(err)
	}
	if !out.OK || got.Get("Authorization") != "Bearer "+key {
		t.Fatalf("ok=%v authorization=%q", out.OK, got.Get("Authorization"))
	}
	if !strings.HasPrefix(got.Get("User-Agent"), "insforge-mcp") {
		t.Fatalf("user agent %q", got.Get("User-Agent"))
	}
}

func TestErrorBodies(t *testing.T) {
	cases := []struct {
		name, ctype, body string
		status            int
		code, msg, hint   string
		notJSON           bool
	}{
		{"standard", "application/json", `{"error":"DATABASE_NOT_FOUND","message":"Table x not found","statusCode":404,"nextActions":"list tables"}`, 404, "DATABASE_NOT_FOUND", "Table x not found", "list tables", false},
		{"postgrest", "application/json", `{"code":"PGRST205","details":null,"hint":"Perhaps public.y","message":"Could not find the table"}`, 404, "PGRST205", "Could not find the table", "Perhaps public.y", false},
		{"html 404", "text/html", `<!DOCTYPE html><html><body><pre>Cannot GET /api/x</pre></body></html>`, 404, "", "Not Found as an HTML page, not an InsForge JSON error", "", true},
		{"html 502", "text/html", `<html>bad gateway</html>`, 502, "", "Bad Gateway as an HTML page, not an InsForge JSON error", "", true},
		{"empty", "", ``, 500, "", "Internal Server Error with an empty body", "", true},
		{"empty object", "application/json", `{}`, 404, "", "empty error body", "", false},
		{"truncated json", "application/json", `{"error":"X","mess`, 500, "", "", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.ctype != "" {
					w.Header().Set("Content-Type", tc.ctype)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}, insforge.Options{MaxRetries: -1})
			err := get(c, "/api/x")
			var ae *insforge.Error
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not *insforge.Error", err)
			}
			if ae.Status != tc.status || ae.Code != tc.code || ae.Hint != tc.hint || ae.NotJSON != tc.notJSON {
				t.Fatalf("got %+v", ae)
			}
			if tc.msg != "" && ae.Message != tc.msg {
				t.Fatalf("message %q, want %q", ae.Message, tc.msg)
			}
			if strings.Contains(err.Error(), key) {
				t.Fatal("error text contains the key")
			}
		})
	}
}

func TestPartialContentIsSuccess(t *testing.T) {
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "0-1/5")
		w.WriteHeader(http.StatusPartialContent)
		io.WriteString(w, `[1,2]`)
	}, insforge.Options{})
	_, resp, err := insforge.Call[struct{}](context.Background(), c, insforge.Request{Path: "/api/deployments"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 206 || resp.Header.Get("Content-Range") != "0-1/5" {
		t.Fatalf("status %d range %q", resp.Status, resp.Header.Get("Content-Range"))
	}
}

func TestRetriesIdempotentHonouringRetryAfter(t *testing.T) {
	var n atomic.Int32
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":"TOO_MANY_REQUESTS","message":"slow down","statusCode":429}`)
			return
		}
		io.WriteString(w, `{}`)
	}, insforge.Options{})
	if err := get(c, "/api/x"); err != nil {
		t.Fatalf("retry did not recover: %v", err)
	}
	if n.Load() != 2 {
		t.Fatalf("%d attempts, want 2", n.Load())
	}
}

func TestDoesNotRetryPost(t *testing.T) {
	var n atomic.Int32
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}, insforge.Options{})
	_, _, err := insforge.Call[struct{}](context.Background(), c, insforge.Request{Method: http.MethodPost, Path: "/api/x", Body: map[string]any{"a": 1}})
	if insforge.StatusOf(err) != 503 || n.Load() != 1 {
		t.Fatalf("err=%v attempts=%d", err, n.Load())
	}
}

func TestGivesUpWhenRetryAfterIsTooLong(t *testing.T) {
	var n atomic.Int32
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}, insforge.Options{})
	if err := get(c, "/api/x"); insforge.StatusOf(err) != 429 || n.Load() != 1 {
		t.Fatalf("err=%v attempts=%d", err, n.Load())
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := insforge.NewTransport(insforge.Options{MaxRetries: 1, RetryWait: time.Millisecond}).Client(url, key)
	err := get(c, "/api/metadata")
	if !errors.Is(err, insforge.ErrUnreachable) {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), key) {
		t.Fatal("error contains the key")
	}
}

func TestTimeoutBoundsHangingBackend(t *testing.T) {
	release := make(chan struct{})
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, insforge.Options{Timeout: 100 * time.Millisecond, MaxRetries: -1})
	defer close(release)
	err := get(c, "/api/metadata")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}

func TestResponseCap(t *testing.T) {
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 2048))
	}, insforge.Options{MaxResponseBytes: 1024})
	if err := get(c, "/api/x"); err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Fatalf("got %v", err)
	}
}

func TestRefusesCrossHostRedirect(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Store(true)
		}
	}))
	defer other.Close()
	// 127.0.0.1 vs localhost: different hosts for the redirect policy.
	target := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+"/steal", http.StatusFound)
	}, insforge.Options{MaxRetries: -1})
	err := get(c, "/api/x")
	if err == nil || leaked.Load() {
		t.Fatalf("err=%v leaked=%v", err, leaked.Load())
	}
}

func TestAbsoluteURLGetsTheKeyOnlyOnTheProjectHost(t *testing.T) {
	var sawKey atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawKey.Store(r.Header.Get("Authorization") != "")
		io.WriteString(w, "payload")
	}))
	defer other.Close()
	var ownAuth string
	c, own := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		ownAuth = r.Header.Get("Authorization")
	}, insforge.Options{})
	foreign := strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/bucket/obj?X-Signature=secret"
	var sink strings.Builder
	if _, _, err := insforge.Call[struct{}](context.Background(), c, insforge.Request{URL: foreign, Sink: &sink}); err != nil {
		t.Fatal(err)
	}
	if sawKey.Load() || sink.String() != "payload" {
		t.Fatalf("foreign host saw key=%v, body %q", sawKey.Load(), sink.String())
	}
	if _, _, err := insforge.Call[struct{}](context.Background(), c, insforge.Request{URL: own.URL + "/api/storage/x"}); err != nil {
		t.Fatal(err)
	}
	if ownAuth != "Bearer "+key {
		t.Fatalf("project host did not get the key: %q", ownAuth)
	}
	other.Close()
	_, _, err := insforge.Call[struct{}](context.Background(), c, insforge.Request{URL: foreign})
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("error leaks the signed query: %v", err)
	}
}

// A streamed body reaches the server while it is still being written: it is
// not buffered whole in memory first.
func TestStreamedBodyIsNotBuffered(t *testing.T) {
	firstChunk := make(chan struct{})
	var got atomic.Int64
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 4)
		n, _ := io.ReadFull(r.Body, buf)
		got.Add(int64(n))
		close(firstChunk)
		rest, _ := io.Copy(io.Discard, r.Body)
		got.Add(rest)
		if r.Header.Get("Authorization") != "Bearer "+key || r.Header.Get("Content-Type") != "application/octet-stream" {
			w.WriteHeader(400)
		}
	}, insforge.Options{})
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte("head"))
		select {
		case <-firstChunk: // the server read the start before the writer finished
		case <-time.After(5 * time.Second):
			pw.CloseWithError(errors.New("the body was buffered: the server saw nothing before the end"))
			return
		}
		pw.Write([]byte(strings.Repeat("x", 1<<20)))
		pw.Close()
	}()
	_, _, err := insforge.Call[struct{}](context.Background(), c, insforge.Request{Method: "PUT", Path: "/upload", Body: pr, ContentType: "application/octet-stream"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Load() != 4+1<<20 {
		t.Fatalf("server read %d bytes", got.Load())
	}
}

func TestRetriesProxyErrorsButNotTheBackendsOwn503(t *testing.T) {
	for _, tc := range []struct {
		ctype, body string
		attempts    int32
	}{
		{"application/json", `{"error":"AI_UPSTREAM_UNAVAILABLE","message":"no key","statusCode":503}`, 1},
		{"text/html", `<html>503 Service Temporarily Unavailable</html>`, 3},
	} {
		var n atomic.Int32
		c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			w.Header().Set("Content-Type", tc.ctype)
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, tc.body)
		}, insforge.Options{})
		if err := get(c, "/api/ai/models"); insforge.StatusOf(err) != 503 || n.Load() != tc.attempts {
			t.Errorf("%s: err=%v attempts=%d, want %d", tc.ctype, err, n.Load(), tc.attempts)
		}
	}
}

// Call decodes once into the type asked for: raw bytes as sent, JSON with
// exact numbers, and the zero value for an empty body.
func TestCallDecodesByType(t *testing.T) {
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/empty" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		io.WriteString(w, `{"id":9007199254740993}`)
	}, insforge.Options{})
	ctx := context.Background()
	raw, _, err := insforge.Call[[]byte](ctx, c, insforge.Request{Path: "/x"})
	if err != nil || string(raw) != `{"id":9007199254740993}` {
		t.Fatalf("raw = %q, %v", raw, err)
	}
	v, _, err := insforge.Call[map[string]any](ctx, c, insforge.Request{Path: "/x"})
	if err != nil || fmt.Sprint(v["id"]) != "9007199254740993" {
		t.Fatalf("decoded = %v, %v (a bigint must stay exact)", v, err)
	}
	empty, resp, err := insforge.Call[map[string]any](ctx, c, insforge.Request{Path: "/empty"})
	if err != nil || empty != nil || resp.Status != http.StatusNoContent {
		t.Fatalf("empty body: %v %v %v", empty, resp, err)
	}
}

// RetryIf retries an answer the caller knows to be passing, even for a
// POST, and a re-openable body is sent whole on every attempt.
func TestRetryIfReopensTheBody(t *testing.T) {
	var bodies []string
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if len(bodies) < 3 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"code":"PGRST205","message":"Could not find the table"}`)
		}
	}, insforge.Options{})
	opens := 0
	_, _, err := insforge.Call[struct{}](context.Background(), c, insforge.Request{
		Method: http.MethodPost, Path: "/api/database/records/t",
		Open: func() (io.ReadCloser, error) {
			opens++
			return io.NopCloser(strings.NewReader("payload")), nil
		},
		RetryIf: func(e *insforge.Error) bool { return e.Code == "PGRST205" },
	})
	if err != nil {
		t.Fatal(err)
	}
	if opens != 3 || len(bodies) != 3 || bodies[0] != "payload" || bodies[2] != "payload" {
		t.Fatalf("opens=%d bodies=%q", opens, bodies)
	}
	// Without RetryIf the same POST is tried once.
	bodies = nil
	_, _, err = insforge.Call[struct{}](context.Background(), c, insforge.Request{Method: http.MethodPost, Path: "/x", Body: "p"})
	if insforge.StatusOf(err) != http.StatusNotFound || len(bodies) != 1 {
		t.Fatalf("err=%v attempts=%d", err, len(bodies))
	}
}

// AnyStatus hands a non-2xx answer back as an answer (a function's own
// response), with its body.
func TestAnyStatusReturnsTheBody(t *testing.T) {
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "short and stout")
	}, insforge.Options{})
	body, resp, err := insforge.Call[[]byte](context.Background(), c, insforge.Request{Path: "/functions/pot", AnyStatus: true, NoRetry: true})
	if err != nil || resp.Status != http.StatusTeapot || string(body) != "short and stout" {
		t.Fatalf("body=%q resp=%v err=%v", body, resp, err)
	}
}
