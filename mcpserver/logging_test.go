package mcpserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// logLine is one notifications/message.
type logLine struct{ level, logger, data string }

// logLines returns the notifications/message among notes.
func logLines(notes []mcp.JSONRPCNotification) []logLine {
	var out []logLine
	for _, n := range notes {
		if n.Method != string(mcp.MethodNotificationMessage) {
			continue
		}
		f := n.Params.AdditionalFields
		level, _ := f["level"].(string)
		logger, _ := f["logger"].(string)
		data, _ := f["data"].(string)
		out = append(out, logLine{level, logger, data})
	}
	return out
}

// waitLog waits until a message containing part arrived and returns every
// message so far.
func waitLog(t *testing.T, notes func() []mcp.JSONRPCNotification, part string) []logLine {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines := logLines(notes())
		for _, l := range lines {
			if strings.Contains(l.data, part) {
				return lines
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log message contains %q; got %+v", part, lines)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func count(lines []logLine, part string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l.data, part) {
			n++
		}
	}
	return n
}

func setLevel(t *testing.T, c *client.Client, level mcp.LoggingLevel) {
	t.Helper()
	req := mcp.SetLevelRequest{}
	req.Params.Level = level
	if err := c.SetLevel(context.Background(), req); err != nil {
		t.Fatalf("logging/setLevel %s: %v", level, err)
	}
}

// wantNoKey fails if any notification carries the key.
func wantNoKey(t *testing.T, notes []mcp.JSONRPCNotification, key string) {
	t.Helper()
	data, _ := json.Marshal(notes)
	if strings.Contains(string(data), key) || strings.Contains(string(data), key[3:20]) {
		t.Errorf("a notification carries the API key: %s", data)
	}
}

// Issue 15, item 9: logging/setLevel is accepted (it was -32601), nothing
// is sent before a client sets a level, and then only messages at or
// above it: connect and disconnect are info.
func TestLoggingLevelGatesConnectMessages(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{Unconfigured: true})
	connect := map[string]any{"projectUrl": h.Backend.URL, "apiKey": insforgefake.DefaultAPIKey}
	h.OK(t, "connect-project", connect) // no level set: nothing
	setLevel(t, h.Client, mcp.LoggingLevelWarning)
	h.OK(t, "disconnect-project", nil) // below warning: nothing
	setLevel(t, h.Client, mcp.LoggingLevelInfo)
	h.OK(t, "connect-project", connect)
	lines := waitLog(t, h.Notifications, "Connected to the InsForge project at "+h.Backend.URL)
	if count(lines, "Connected") != 1 || count(lines, "Disconnected") != 0 || len(lines) != 1 {
		t.Errorf("messages sent below the level or before one was set: %+v", lines)
	}
	if l := lines[0]; l.level != "info" || l.logger != "insforge-mcp" {
		t.Errorf("connect message = %+v, want level info from logger insforge-mcp", l)
	}
	h.OK(t, "disconnect-project", nil)
	waitLog(t, h.Notifications, "Disconnected this session from the InsForge project at "+h.Backend.URL)
	wantNoKey(t, h.Notifications(), insforgefake.DefaultAPIKey)

	req := mcp.SetLevelRequest{}
	req.Params.Level = "loud"
	if err := h.Client.SetLevel(context.Background(), req); err == nil || !strings.Contains(err.Error(), "invalid logging level") {
		t.Errorf("an unknown level: %v", err)
	}
}

// rateLimitedFront answers the first GET /api/metadata and every raw SQL
// request with 429 and Retry-After: 1, and passes the rest to backend.
func rateLimitedFront(t *testing.T, backend *insforgefake.Server) *httptest.Server {
	target, err := url.Parse(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var metadataCalls atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limited := r.URL.Path == "/api/database/advance/rawsql" ||
			(r.URL.Path == "/api/metadata" && metadataCalls.Add(1) == 1)
		if !limited {
			proxy.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"error":"TOO_MANY_REQUESTS","message":"Too many requests.","statusCode":429}`))
	}))
	t.Cleanup(front.Close)
	return front
}

// Retries and the backend's rate limits reach the client's log: a read
// retried after Retry-After, a write that ends on 429. No key in them.
func TestLoggingRetriesAndRateLimits(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	front := rateLimitedFront(t, backend)
	srv := mcpserver.New(mcpserver.Config{
		Version:    "test",
		Surface:    catalogue.Full(),
		ToolConfig: tools.Config{MaxResultBytes: 100000},
		Transport:  insforge.NewTransport(insforge.Options{Timeout: 10 * time.Second, RetryWait: 10 * time.Millisecond}),
		Configured: credentials.Credentials{ProjectURL: front.URL, APIKey: insforgefake.DefaultAPIKey},
	})
	c, err := client.NewInProcessClient(srv.MCP())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var mu sync.Mutex
	var notes []mcp.JSONRPCNotification
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		mu.Lock()
		notes = append(notes, n)
		mu.Unlock()
	})
	received := func() []mcp.JSONRPCNotification {
		mu.Lock()
		defer mu.Unlock()
		return append([]mcp.JSONRPCNotification(nil), notes...)
	}
	if err := testmcp.Initialize(c, mcp.LATEST_LEGACY_PROTOCOL_VERSION); err != nil {
		t.Fatal(err)
	}
	setLevel(t, c, mcp.LoggingLevelNotice)

	if text, isErr := testmcp.CallText(t, c, "get-backend-metadata", nil); isErr {
		t.Fatalf("get-backend-metadata after one 429: %s", text)
	}
	lines := waitLog(t, received, "GET /api/metadata: the backend is rate limiting (429, Retry-After 1s); trying again in 1s (attempt 2 of 3).")
	if l := lines[0]; l.level != "notice" {
		t.Errorf("retry message level %s, want notice", l.level)
	}

	if text, isErr := testmcp.CallText(t, c, "run-raw-sql", map[string]any{"query": "SELECT 1"}); !isErr {
		t.Fatalf("run-raw-sql answered 429 succeeded: %s", text)
	}
	lines = waitLog(t, received, "POST /api/database/advance/rawsql: the backend is rate limiting (429, Retry-After 1s); giving up: writes are not repeated automatically.")
	if l := lines[len(lines)-1]; l.level != "warning" {
		t.Errorf("rate limit message level %s, want warning", l.level)
	}
	wantNoKey(t, received(), insforgefake.DefaultAPIKey)
}

// A result cut to --max-result-bytes says so in the client's log.
func TestLoggingCutResult(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{MaxResultBytes: 3000})
	rows := make([]map[string]any, 400)
	for i := range rows {
		rows[i] = map[string]any{"n": i, "label": strings.Repeat("x", 20)}
	}
	h.Backend.SetSQLHandler(func(string, []any) (insforgefake.SQLResult, error) {
		return insforgefake.SQLResult{Rows: rows}, nil
	})
	setLevel(t, h.Client, mcp.LoggingLevelNotice)
	h.OK(t, "run-raw-sql", map[string]any{"query": "SELECT n FROM big"})
	lines := waitLog(t, h.Notifications, "The result of run-raw-sql was cut to fit --max-result-bytes (3000 bytes)")
	if lines[0].level != "notice" {
		t.Errorf("cut message = %+v, want level notice", lines[0])
	}
}

// The last line of defence: whatever a message says, the request's key
// and anything key-like leave it before it is sent.
func TestLoggingRedactsKeys(t *testing.T) {
	t.Parallel()
	srv := mcpserver.New(mcpserver.Config{Surface: catalogue.Full(), Transport: insforge.NewTransport(insforge.Options{})})
	other := "ik_" + strings.Repeat("9", 64)
	got := mcpserver.LogThrough(srv, insforgefake.DefaultAPIKey, "key "+insforgefake.DefaultAPIKey+" and "+other+" leaked")
	data, _ := got["data"].(string)
	if strings.Contains(data, insforgefake.DefaultAPIKey) || strings.Contains(data, other) || !strings.Contains(data, "leaked") || got["level"] != "error" {
		t.Errorf("sent %v", got)
	}
}

// On protocol 2026-07-28 there is no logging/setLevel: each request asks
// for messages in its own _meta, and one that does not gets none.
func TestLoggingPerRequestLevelOnModernProtocol(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{MaxResultBytes: 3000, ProtocolVersion: "2026-07-28"})
	rows := make([]map[string]any, 400)
	for i := range rows {
		rows[i] = map[string]any{"n": i, "label": strings.Repeat("x", 20)}
	}
	h.Backend.SetSQLHandler(func(string, []any) (insforgefake.SQLResult, error) {
		return insforgefake.SQLResult{Rows: rows}, nil
	})
	call := func(meta *mcp.Meta) {
		t.Helper()
		req := mcp.CallToolRequest{}
		req.Params.Name = "run-raw-sql"
		req.Params.Arguments = map[string]any{"query": "SELECT n FROM big"}
		req.Params.Meta = meta
		if res, err := h.Client.CallTool(context.Background(), req); err != nil || res.IsError {
			t.Fatalf("run-raw-sql: %v %s", err, testmcp.Text(res))
		}
	}
	call(nil)
	call(&mcp.Meta{AdditionalFields: map[string]any{mcp.MetaKeyLogLevel: "notice"}})
	lines := waitLog(t, h.Notifications, "The result of run-raw-sql was cut")
	if len(lines) != 1 {
		t.Errorf("want one message, for the request that asked; got %+v", lines)
	}
}
