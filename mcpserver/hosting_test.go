package mcpserver_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// startGuarded serves streamable HTTP with hosting options; backend calls
// time out after 5 s unless cfg has a Transport.
func startGuarded(t *testing.T, cfg mcpserver.Config, o mcpserver.HTTPOptions) string {
	t.Helper()
	cfg.Version = "test"
	cfg.Surface = catalogue.Full()
	cfg.ToolConfig = tools.Config{MaxResultBytes: 100000}
	if cfg.Transport == nil {
		cfg.Transport = insforge.NewTransport(insforge.Options{Timeout: 5 * time.Second})
	}
	o.Loopback = true
	ts := httptest.NewServer(mcpserver.New(cfg).StreamableHandler(o))
	t.Cleanup(ts.Close)
	return ts.URL + "/mcp"
}

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`

func post(t *testing.T, url, body string, headers map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestAuthTokenIsRequired(t *testing.T) {
	t.Parallel()
	url := startGuarded(t, mcpserver.Config{}, mcpserver.HTTPOptions{AuthToken: "s3cret-token"})
	for token, want := range map[string]int{"": 401, "Bearer wrong": 401, "s3cret-token": 401, "Bearer s3cret-token": 200} {
		h := map[string]string{}
		if token != "" {
			h["Authorization"] = token
		}
		if got := post(t, url, initBody, h).StatusCode; got != want {
			t.Errorf("Authorization %q: %d, want %d", token, got, want)
		}
	}
	// With the token in Authorization, the InsForge key travels in X-InsForge-API-Key.
	backend := insforgefake.New(t)
	c := dial(t, "http", url, "2025-11-25", map[string]string{
		"Authorization":            "Bearer s3cret-token",
		mcpserver.HeaderAPIKey:     insforgefake.DefaultAPIKey,
		mcpserver.HeaderProjectURL: backend.URL,
	})
	if text, isErr := testmcp.CallText(t, c, "get-backend-metadata", nil); isErr {
		t.Fatalf("token + X-InsForge-API-Key: %s", text)
	}
}

func TestProjectHostPolicyBlocksSSRF(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	policy, err := credentials.ParseHostPolicy([]string{credentials.DefaultProjectHosts})
	if err != nil {
		t.Fatal(err)
	}
	url := startGuarded(t, mcpserver.Config{ProjectHosts: &policy}, mcpserver.HTTPOptions{})
	c := dial(t, "http", url, "2025-11-25", nil)
	text, isErr := testmcp.CallText(t, c, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": insforgefake.DefaultAPIKey})
	if !isErr || !strings.Contains(text, "allowed project hosts") {
		t.Fatalf("connect to loopback: %v %s", isErr, text)
	}
	h := dial(t, "http", url, "2025-11-25", map[string]string{"Authorization": "Bearer " + insforgefake.DefaultAPIKey, mcpserver.HeaderProjectURL: "http://169.254.169.254"})
	if text, isErr := testmcp.CallText(t, h, "get-backend-metadata", nil); !isErr || !strings.Contains(text, "allowed project hosts") {
		t.Fatalf("header URL to metadata service: %v %s", isErr, text)
	}
	if n := len(backend.Requests()); n != 0 {
		t.Fatalf("the backend received %d requests", n)
	}

	allowed, _ := credentials.ParseHostPolicy([]string{"127.0.0.1"})
	url = startGuarded(t, mcpserver.Config{ProjectHosts: &allowed}, mcpserver.HTTPOptions{})
	c = dial(t, "http", url, "2025-11-25", nil)
	if text, isErr := testmcp.CallText(t, c, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": insforgefake.DefaultAPIKey}); isErr {
		t.Fatalf("explicitly allowed loopback: %s", text)
	}
}

func TestSessionLimitAndBodyCap(t *testing.T) {
	t.Parallel()
	url := startGuarded(t, mcpserver.Config{}, mcpserver.HTTPOptions{MaxSessions: 2, MaxRequestBytes: 64 << 10})
	for i := range 2 {
		if got := post(t, url, initBody, nil).StatusCode; got != 200 {
			t.Fatalf("session %d: %d", i, got)
		}
	}
	if got := post(t, url, initBody, nil).StatusCode; got != http.StatusServiceUnavailable {
		t.Fatalf("third session: %d, want 503", got)
	}
	big := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("x", 100<<10) + `"}}`
	resp := post(t, url, big, map[string]string{"Mcp-Session-Id": "whatever"})
	if resp.StatusCode < 400 {
		t.Fatalf("oversized body: %d", resp.StatusCode)
	}
}

// dialStreamable opens a streamable HTTP session on url.
func dialStreamable(t *testing.T, url string) *client.Client {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(url)
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, client.WithProtocolVersion("2025-11-25"))
	t.Cleanup(func() { c.Close() })
	if err := testmcp.Initialize(c, "2025-11-25"); err != nil {
		t.Fatal(err)
	}
	return c
}

// callResult calls a tool and says "ok" or the error text.
func callResult(c *client.Client, name string) string { return callWith(c, name, nil) }

// callWith calls a tool with args and says "ok" or the error text. Unlike
// testmcp.Call it does not end the test, so it may run on any goroutine.
func callWith(c *client.Client, name string, args map[string]any) string {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.CallTool(ctx, req)
	switch {
	case err != nil:
		return err.Error()
	case res.IsError:
		return testmcp.Text(res)
	}
	return "ok"
}

// A session's calls beyond its slots wait in a bounded queue; only a call
// beyond the queue is refused, at once. (This test asserted, before calls
// were queued, that the second call with one slot was refused.)
func TestConcurrentCallsPerSessionAreBounded(t *testing.T) {
	t.Parallel()
	// The backend holds every call until the test releases it, so that all
	// three calls overlap however loaded the machine is.
	var now, peak atomic.Int32
	release := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		select {
		case <-release:
			now.Add(-1) // before the answer leaves
		case <-r.Context().Done():
			now.Add(-1)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"database":{"tables":[]},"auth":{}}`)
	}))
	t.Cleanup(backend.Close)
	var released sync.Once
	free := func() { released.Do(func() { close(release) }) }
	t.Cleanup(free) // before backend.Close: no handler is left waiting
	url := startGuarded(t, mcpserver.Config{
		Configured:          credentials.Credentials{ProjectURL: backend.URL, APIKey: insforgefake.DefaultAPIKey},
		MaxCallsPerSession:  1,
		MaxQueuedPerSession: 1,
		// The held call lasts until the refusal is back, however long a
		// loaded machine takes for that.
		Transport: insforge.NewTransport(insforge.Options{Timeout: 30 * time.Second}),
	}, mcpserver.HTTPOptions{})
	c := dialStreamable(t, url)
	done := make(chan string, 3)
	for range 3 {
		go func() { done <- callResult(c, "get-backend-metadata") }()
	}
	// While the backend holds the call in the slot, the one beyond the
	// slot and the queue is answered at once; which call that is, is up to
	// the scheduler. Only then may the held calls finish.
	var results []string
	select {
	case r := <-done:
		results = append(results, r)
	case <-time.After(20 * time.Second):
		t.Error("no call was refused while one ran and one waited")
	}
	free()
	for len(results) < 3 {
		results = append(results, <-done)
	}
	ok, refused := 0, 0
	for _, r := range results {
		switch {
		case r == "ok":
			ok++
		case strings.Contains(r, "1 tool calls running and 1 waiting"):
			refused++
		}
	}
	if ok != 2 || refused != 1 {
		t.Fatalf("results: %q; want two completed and one refused", results)
	}
	if p := peak.Load(); p != 1 {
		t.Errorf("%d calls of one session reached the backend at once, with one slot", p)
	}
}

// Agents issue calls in parallel: 40 at once in one session, with 8
// slots, all complete, never more than 8 at a time.
func TestParallelCallsQueueForASlot(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	const stall = 200 * time.Millisecond
	backend.Stall("/api/metadata", stall)
	url := startGuarded(t, mcpserver.Config{
		Configured:         credentials.Credentials{ProjectURL: backend.URL, APIKey: insforgefake.DefaultAPIKey},
		MaxCallsPerSession: 8,
	}, mcpserver.HTTPOptions{})
	c := dialStreamable(t, url)
	const calls = 40
	start := time.Now()
	var wg sync.WaitGroup
	results := make([]string, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = callResult(c, "get-backend-metadata")
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i, r := range results {
		if r != "ok" {
			t.Errorf("call %d: %s", i, r)
		}
	}
	n := 0
	for _, r := range backend.Requests() {
		if r.Path == "/api/metadata" {
			n++
		}
	}
	if n != calls {
		t.Errorf("the backend received %d calls, want %d", n, calls)
	}
	// 40 calls of 200 ms through 8 slots take at least 5 rounds.
	if elapsed < 5*stall-50*time.Millisecond {
		t.Errorf("40 calls took %v: more than 8 ran at once", elapsed)
	}
}

// Ended sessions are forgotten entirely, yet a client presenting an ended
// id is told (404) to start over.
func TestEndedSessionIDsAreNotKept(t *testing.T) {
	t.Parallel()
	ids := mcpserver.NewSessionIDsForTest()
	var ended []string
	for range 1000 {
		id := ids.Generate()
		ended = append(ended, id)
		if _, err := ids.Terminate(id); err != nil {
			t.Fatal(err)
		}
	}
	if n := mcpserver.LiveSessionIDs(ids); n != 0 {
		t.Fatalf("%d ended ids kept", n)
	}
	for _, id := range ended[:3] {
		if terminated, err := ids.Validate(id); err != nil || !terminated {
			t.Fatalf("ended id: terminated=%v err=%v", terminated, err)
		}
	}
	if _, err := ids.Validate("mcp-session-not-ours"); err == nil {
		t.Fatal("malformed id accepted")
	}
	live := ids.Generate()
	if terminated, err := ids.Validate(live); err != nil || terminated {
		t.Fatalf("live id: terminated=%v err=%v", terminated, err)
	}
}

// Attack (issue 13, item 9): GET /mcp without a session id (or with an id
// the server never issued) opened a stream and registered a session that
// --max-sessions did not count: with the limit reached, 2,000 such GETs all
// got 200 and held memory, and real clients then got 503. Now such GETs are
// refused at once, hold nothing, and leave the limit to real sessions; a
// live session still opens its stream, one at a time.
func TestSessionlessGETsCannotPileUp(t *testing.T) {
	t.Parallel()
	url := startGuarded(t, mcpserver.Config{}, mcpserver.HTTPOptions{MaxSessions: 2})
	first := post(t, url, initBody, nil)
	id := first.Header.Get("Mcp-Session-Id")
	if first.StatusCode != 200 || id == "" {
		t.Fatalf("initialize: %d, session %q", first.StatusCode, id)
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	get := func(sessionID string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Accept", "text/event-stream")
		if sessionID != "" {
			req.Header.Set("Mcp-Session-Id", sessionID)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sid, want := "", http.StatusMethodNotAllowed
			if i%2 == 1 {
				sid, want = "ifm-"+strings.Repeat("0123456789abcdef", 2), http.StatusNotFound // well formed, never issued
			}
			resp := get(sid)
			defer resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("GET with session %q: %d, want %d", sid, resp.StatusCode, want)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// The limit is still the real sessions': one more initializes.
	if got := post(t, url, initBody, nil).StatusCode; got != 200 {
		t.Fatalf("second real session after the GETs: %d", got)
	}
	// A live session opens its stream, and only one.
	stream := get(id)
	defer stream.Body.Close()
	if stream.StatusCode != 200 || !strings.HasPrefix(stream.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("the session's own stream: %d %s", stream.StatusCode, stream.Header.Get("Content-Type"))
	}
	second := get(id)
	second.Body.Close()
	if second.StatusCode != http.StatusConflict {
		t.Fatalf("a second stream for the session: %d, want 409", second.StatusCode)
	}
}
