package mcpserver_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// This file attacks the server over the raw streamable HTTP protocol
// (JSON-RPC over net/http with one shared http.Client): far lighter than an
// mcp-go client per session, so hundreds of live sessions stay fast under
// -race.

const rawProtocolVersion = "2025-11-25"

// rawClient speaks streamable HTTP to one /mcp endpoint.
type rawClient struct {
	hc  *http.Client
	url string
}

// rawSession is one initialized streamable HTTP session.
type rawSession struct {
	c       *rawClient
	id      string
	headers map[string]string
	seq     atomic.Int64
}

type rpcMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type toolResult struct {
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	IsError bool `json:"isError"`
}

func (r toolResult) text() string {
	var b strings.Builder
	for _, c := range r.Content {
		b.WriteString(c.Text)
	}
	return b.String()
}

// newRawClient returns a client with its own connection pool; close it
// with closeIdle so no connection goroutine outlives the test.
func newRawClient(url string, conns int) *rawClient {
	return &rawClient{
		url: url,
		hc: &http.Client{Transport: &http.Transport{
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     30 * time.Second,
		}},
	}
}

func (c *rawClient) closeIdle() { c.hc.CloseIdleConnections() }

func (c *rawClient) do(ctx context.Context, method, sessionID string, headers map[string]string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if sessionID != "" {
		req.Header.Set("Mcp-Session-Id", sessionID)
		req.Header.Set("Mcp-Protocol-Version", rawProtocolVersion)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return c.hc.Do(req)
}

// open initializes a session (initialize, then notifications/initialized).
// headers are sent on every request of the session.
func (c *rawClient) open(ctx context.Context, headers map[string]string) (*rawSession, error) {
	init := fmt.Sprintf(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"attack","version":"1"}}}`, rawProtocolVersion)
	resp, err := c.do(ctx, http.MethodPost, "", headers, []byte(init))
	if err != nil {
		return nil, err
	}
	msg, err := readResponse(resp, "0")
	if err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	if msg.Error != nil {
		return nil, fmt.Errorf("initialize: %s", msg.Error.Message)
	}
	s := &rawSession{c: c, id: resp.Header.Get("Mcp-Session-Id"), headers: headers}
	if s.id == "" {
		return nil, errors.New("initialize: no Mcp-Session-Id")
	}
	resp, err = c.do(ctx, http.MethodPost, s.id, headers, []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`))
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return nil, fmt.Errorf("notifications/initialized: status %d", resp.StatusCode)
	}
	return s, nil
}

// request sends one JSON-RPC request and returns its result.
func (s *rawSession) request(ctx context.Context, method string, params any) (json.RawMessage, error) {
	id := strconv.FormatInt(s.seq.Add(1), 10)
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": json.RawMessage(id), "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	resp, err := s.c.do(ctx, http.MethodPost, s.id, s.headers, body)
	if err != nil {
		return nil, err
	}
	msg, err := readResponse(resp, id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	if msg.Error != nil {
		return nil, fmt.Errorf("%s: JSON-RPC error %d: %s", method, msg.Error.Code, msg.Error.Message)
	}
	return msg.Result, nil
}

// callTool calls a tool; a protocol-level failure is an error, a tool
// error is a result with IsError.
func (s *rawSession) callTool(ctx context.Context, name string, args map[string]any) (toolResult, error) {
	if args == nil {
		args = map[string]any{}
	}
	raw, err := s.request(ctx, "tools/call", map[string]any{"name": name, "arguments": args})
	if err != nil {
		return toolResult{}, err
	}
	var r toolResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return toolResult{}, fmt.Errorf("decode tools/call result: %w (%s)", err, raw)
	}
	return r, nil
}

// close ends the session with DELETE.
func (s *rawSession) close(ctx context.Context) error {
	resp, err := s.c.do(ctx, http.MethodDelete, s.id, s.headers, nil)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("DELETE session: status %d", resp.StatusCode)
	}
	return nil
}

// readResponse reads a POST answer, plain JSON or an SSE stream, and
// returns the message with the given id (notifications are skipped).
func readResponse(resp *http.Response, id string) (rpcMessage, error) {
	defer resp.Body.Close()
	defer io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return rpcMessage{}, fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		var m rpcMessage
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			return m, fmt.Errorf("decode JSON answer: %w", err)
		}
		if string(m.ID) != id {
			return m, fmt.Errorf("answer for id %s, want %s", m.ID, id)
		}
		return m, nil
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		if d, ok := strings.CutPrefix(line, "data:"); ok {
			data.WriteString(strings.TrimPrefix(d, " "))
			continue
		}
		if line != "" || data.Len() == 0 {
			continue
		}
		var m rpcMessage
		err := json.Unmarshal([]byte(data.String()), &m)
		data.Reset()
		if err == nil && m.Method == "" && string(m.ID) == id {
			return m, nil
		}
	}
	if err := sc.Err(); err != nil {
		return rpcMessage{}, fmt.Errorf("read event stream: %w", err)
	}
	return rpcMessage{}, fmt.Errorf("event stream ended without the answer to id %s", id)
}

// sessionKey is the distinctive admin key of session i.
func sessionKey(i int) string { return fmt.Sprintf("ik_%064x", 0x5e5510_0000+i) }

// 500 streamable HTTP sessions, each connected with its own key, all open
// at once: every backend request must carry the key of the session that
// caused it. Each session's key is unique, so counting keys at the backend
// maps requests to sessions: a session whose call ran with another
// session's credentials would shift the counts.
//
// It is the longest test here, and its 500 sessions and 64 concurrent
// clients are a crowd of goroutines: it runs in a process of its own
// (ranAlone), where it neither queues behind the goroutines of the tests
// running in parallel nor delays theirs.
func TestFiveHundredLiveSessionsNeverMixKeys(t *testing.T) {
	if ranAlone(t) {
		return
	}
	const (
		sessions = 500
		parallel = 64 // bounded concurrency keeps -race fast; all sessions stay open
	)
	// Each session: connect-project (1 backend request, the validation),
	// then these calls, one backend request each.
	calls := []struct{ tool, path string }{
		{"get-backend-metadata", "/api/metadata"},
		{"list-tables", "/api/database/tables"},
		{"get-backend-metadata", "/api/metadata"},
	}

	known := make(map[string]int, sessions)
	for i := range sessions {
		known[sessionKey(i)] = i
	}
	backend := newKeyBackend(t, known)

	srv := mcpserver.New(mcpserver.Config{
		Version:    "test",
		Surface:    catalogue.Full(),
		ToolConfig: tools.Config{MaxResultBytes: 100000},
		Transport:  insforge.NewTransport(insforge.Options{Timeout: 20 * time.Second}),
	})
	ts := httptest.NewServer(srv.StreamableHandler(mcpserver.HTTPOptions{Loopback: true, MaxSessions: sessions}))
	defer ts.Close()
	c := newRawClient(ts.URL+"/mcp", parallel)
	defer c.closeIdle()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()

	// forEach runs f for every session, at most parallel at a time, and
	// stops at the first failure.
	forEach := func(phase string, f func(i int) error) {
		t.Helper()
		sem := make(chan struct{}, parallel)
		var wg sync.WaitGroup
		var failed atomic.Bool
		for i := range sessions {
			if failed.Load() || ctx.Err() != nil {
				break
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := f(i); err != nil && !failed.Swap(true) {
					t.Errorf("%s, session %d: %v", phase, i, err)
				}
			}()
		}
		wg.Wait()
		if failed.Load() || ctx.Err() != nil {
			t.Fatalf("%s failed (%v)", phase, ctx.Err())
		}
	}

	// Phase 1: open and connect every session; none is closed until the end.
	live := make([]*rawSession, sessions)
	forEach("connect", func(i int) error {
		s, err := c.open(ctx, nil)
		if err != nil {
			return err
		}
		live[i] = s
		r, err := s.callTool(ctx, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": sessionKey(i)})
		if err != nil {
			return err
		}
		if r.IsError {
			return fmt.Errorf("connect-project: %s", r.text())
		}
		return nil
	})
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ccancel()
		for _, s := range live {
			if s != nil {
				s.close(cctx)
			}
		}
	}()
	connected := time.Since(start)

	// Phase 2: with all sessions live and connected, every session calls.
	forEach("call", func(i int) error {
		for _, call := range calls {
			r, err := live[i].callTool(ctx, call.tool, nil)
			if err != nil {
				return err
			}
			if r.IsError {
				return fmt.Errorf("%s: %s", call.tool, r.text())
			}
		}
		return nil
	})

	// The session bound holds while all are live.
	if _, err := c.open(ctx, nil); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("session %d opened beyond --max-sessions %d: %v", sessions+1, sessions, err)
	}

	// Zero mismatches: each key arrived exactly once per backend request its
	// own session caused, on the right paths, and no request lacked a key.
	want := map[string]int{"/api/metadata": 1} // the connect's validation
	for _, call := range calls {
		want[call.path]++
	}
	perKey := make(map[string]map[string]int, sessions)
	reqs := backend.Requests()
	for _, r := range reqs {
		if _, ok := known[r.APIKey]; !ok {
			t.Fatalf("backend request %s %s with an unknown or missing key %.8s…", r.Method, r.Path, r.APIKey)
		}
		if perKey[r.APIKey] == nil {
			perKey[r.APIKey] = map[string]int{}
		}
		perKey[r.APIKey][r.Path]++
	}
	mismatches := 0
	for i := range sessions {
		got := perKey[sessionKey(i)]
		for path, n := range want {
			if got[path] != n {
				mismatches++
				if mismatches <= 5 {
					t.Errorf("session %d's key reached %s %d times, want %d", i, path, got[path], n)
				}
			}
		}
		if len(got) != len(want) {
			mismatches++
			if mismatches <= 5 {
				t.Errorf("session %d's key reached unexpected paths: %v", i, got)
			}
		}
	}
	perSession := 0
	for _, n := range want {
		perSession += n
	}
	if len(reqs) != sessions*perSession {
		t.Errorf("backend received %d requests, want %d", len(reqs), sessions*perSession)
	}
	if mismatches > 0 {
		t.Fatalf("%d key mismatches across %d sessions", mismatches, sessions)
	}

	// DELETE ends every session and frees its slot.
	forEach("close", func(i int) error {
		if err := live[i].close(ctx); err != nil {
			return err
		}
		live[i] = nil
		return nil
	})
	s, err := c.open(ctx, nil)
	if err != nil {
		t.Fatalf("a new session after all ended: %v", err)
	}
	defer s.close(ctx)
	// A new session starts locked: no credentials carried over.
	if r, err := s.callTool(ctx, "get-backend-metadata", nil); err != nil || !r.IsError || !strings.Contains(r.text(), "connect-project") {
		t.Fatalf("fresh session after 500 connects: %v %+v", err, r)
	}
	t.Logf("%d sessions connected in %v, all calls done in %v", sessions, connected.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// keyBackend answers the routes the sessions of
// TestFiveHundredLiveSessionsNeverMixKeys call, as an InsForge project
// without tables does, for any of its keys; it refuses other keys (401)
// and records the key of every request.
type keyBackend struct {
	URL  string
	mu   sync.Mutex
	seen []keyRequest
}

type keyRequest struct{ APIKey, Method, Path string }

func newKeyBackend(t *testing.T, keys map[string]int) *keyBackend {
	b := &keyBackend{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		b.mu.Lock()
		b.seen = append(b.seen, keyRequest{key, r.Method, r.URL.Path})
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if _, ok := keys[key]; !ok {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"AUTH_INVALID_API_KEY","message":"Invalid API key","statusCode":401}`)
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/metadata":
			io.WriteString(w, `{"auth":{},"database":{"tables":[],"totalSizeInGB":0},"functions":[],"storage":{"buckets":[],"totalSizeInGB":0},"version":"2.3.1"}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/database/tables":
			io.WriteString(w, `[]`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":"NOT_FOUND","message":"Not found","statusCode":404}`)
		}
	}))
	t.Cleanup(ts.Close)
	b.URL = ts.URL
	return b
}

// Requests returns every request received, in arrival order.
func (b *keyBackend) Requests() []keyRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]keyRequest(nil), b.seen...)
}
