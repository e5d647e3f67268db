package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
)

// secretKey is a distinctive admin key: "ik_" and 64 hex digits that
// appear nowhere else.
var secretKey = func() string {
	sum := sha256.Sum256([]byte("insforge-mcp: this admin key must never leave the server"))
	return "ik_" + hex.EncodeToString(sum[:])
}()

// leak reports where in s the key, or any 16-character piece of it,
// appears ("" when nowhere). Pieces catch a key cut short or split.
func leak(s string) string {
	const piece = 16
	for i := 0; i+piece <= len(secretKey); i++ {
		if j := strings.Index(s, secretKey[i:i+piece]); j >= 0 {
			lo, hi := max(j-60, 0), min(j+piece+60, len(s))
			return fmt.Sprintf("…%s…", s[lo:hi])
		}
	}
	return ""
}

// redactedMark is what the server puts in place of an admin key.
const redactedMark = "ik_…(redacted)"

// secretsBackend is a fake backend that accepts the key and gives it back
// wherever it can: in an error message, in query rows and in the secrets
// store (API_KEY), so redaction is exercised, not just silence.
func secretsBackend(t *testing.T) *insforgefake.Server {
	b := insforgefake.New(t, insforgefake.WithAPIKey(secretKey))
	b.AddTable("todos", []insforgefake.Column{{Name: "title", Type: "string"}}, map[string]any{"title": "ship it"})
	b.Fail("GET", "/api/database/tables", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "connection pool exhausted while serving key " + secretKey})
	b.SetSQLHandler(func(query string, params []any) (insforgefake.SQLResult, error) {
		n := 1
		return insforgefake.SQLResult{
			Rows:     []map[string]any{{"echo": "current_setting(app.key) = " + secretKey}},
			RowCount: &n,
			Fields:   []insforgefake.Field{{Name: "echo", DataTypeID: 25}},
		}, nil
	})
	return b
}

// sampleArgs builds minimal plausible arguments from a tool's input
// schema: every required property gets a value of its type.
func sampleArgs(schema map[string]any) map[string]any {
	out := map[string]any{}
	props, _ := schema["properties"].(map[string]any)
	req, _ := schema["required"].([]any)
	for _, r := range req {
		name, _ := r.(string)
		ps, _ := props[name].(map[string]any)
		out[name] = sampleValue(name, ps)
	}
	return out
}

func sampleValue(name string, s map[string]any) any {
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	typ, _ := s["type"].(string)
	if list, ok := s["type"].([]any); ok && len(list) > 0 {
		typ, _ = list[0].(string)
	}
	switch typ {
	case "integer", "number":
		if m, ok := s["minimum"].(float64); ok {
			return m
		}
		return 1
	case "boolean":
		return false
	case "array":
		items, _ := s["items"].(map[string]any)
		return []any{sampleValue(name, items)}
	case "object":
		if _, ok := s["properties"]; ok {
			return sampleArgs(s)
		}
		return map[string]any{"x": "x"}
	case "string":
		return sampleString(name, s)
	}
	return "x"
}

func sampleString(name string, s map[string]any) string {
	n := strings.ToLower(name)
	var v string
	switch {
	case strings.Contains(n, "url"):
		v = "https://example.com/hook"
	case strings.Contains(n, "email"):
		v = "someone@example.com"
	case strings.Contains(n, "password"):
		v = "correct-horse-battery"
	case strings.Contains(n, "cron"):
		v = "*/5 * * * *"
	case n == "sql" || n == "query":
		v = "SELECT 1"
	case n == "table":
		// The records tools' table: one the backend has, so that they reach
		// its rows and its errors (insert-records gets the backend's 400).
		// A missing table is asked for three more times, 400 ms apart
		// (PostgREST's schema cache after DDL): 1.2 s of waiting per call
		// before a "not found" that get-table-schema gives at once.
		v = "todos"
	case strings.Contains(n, "path") || strings.Contains(n, "file") || strings.Contains(n, "directory"):
		v = "does-not-exist" // relative to the server's empty working folder
	case strings.Contains(n, "version"):
		v = "20260101000000"
	case strings.Contains(n, "domain"):
		v = "app.example.com"
	case s["format"] == "date-time":
		v = time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	default:
		v = "x"
	}
	if ml, ok := s["minLength"].(float64); ok && len(v) < int(ml) {
		v += strings.Repeat("x", int(ml)-len(v))
	}
	return v
}

// toolCall is one call of the drive.
type toolCall struct {
	name string
	args map[string]any
}

// plan lists every tool once with sampled arguments, then calls that make
// the key come back from the backend. Tools that end the session's access
// (disconnect, key rotation) go last.
func plan(t *testing.T, c *client.Client, backendURL string) []toolCall {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	last := []string{"rotate-anon-key", "rotate-api-key", "disconnect-project"}
	var calls, tail []toolCall
	for _, tool := range res.Tools {
		raw, err := json.Marshal(tool)
		if err != nil {
			t.Fatal(err)
		}
		var decoded struct {
			InputSchema map[string]any `json:"inputSchema"`
		}
		if err := json.Unmarshal(raw, &decoded); err != nil {
			t.Fatal(err)
		}
		call := toolCall{tool.Name, sampleArgs(decoded.InputSchema)}
		switch {
		case tool.Name == "connect-project":
			continue // called first, with the key
		case slices.Contains(last, tool.Name):
			tail = append(tail, call)
		default:
			calls = append(calls, call)
		}
	}
	if len(calls)+len(tail) < 50 {
		t.Fatalf("tools/list returned only %d tools; is the project connected?", len(res.Tools))
	}
	sort.Slice(tail, func(i, j int) bool { return slices.Index(last, tail[i].name) < slices.Index(last, tail[j].name) })
	echo := []toolCall{
		{"get-secret", map[string]any{"key": "API_KEY"}},                        // the key in a success body
		{"run-raw-sql", map[string]any{"query": "SELECT current_setting('x')"}}, // the key in rows
		{"list-tables", nil}, // the key in an error message
		{"get-table-schema", map[string]any{"tableName": secretKey}}, // the key pasted into an argument
	}
	return append(append(append([]toolCall{{"connect-project", map[string]any{"projectUrl": backendURL, "apiKey": secretKey}}}, calls...), echo...), tail...)
}

// drive makes every call and returns all result and error texts.
func drive(t *testing.T, c *client.Client, calls []toolCall) (string, map[string]string) {
	t.Helper()
	var all strings.Builder
	byTool := map[string]string{}
	for _, call := range calls {
		req := mcp.CallToolRequest{}
		req.Params.Name = call.name
		req.Params.Arguments = call.args
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res, err := c.CallTool(ctx, req)
		cancel()
		var text string
		if err != nil {
			text = "protocol error: " + err.Error()
		} else {
			raw, _ := json.Marshal(res) // text, structured content, everything
			text = string(raw)
		}
		if call.name == "connect-project" && (err != nil || res.IsError) {
			t.Fatalf("connect-project failed: %s", text)
		}
		fmt.Fprintf(&all, "%s: %s\n", call.name, text)
		byTool[call.name] += text
	}
	return all.String(), byTool
}

// checkSecrets fails when the key shows anywhere, and checks that the key
// the backend echoed was replaced by the redaction mark.
func checkSecrets(t *testing.T, byTool map[string]string, streams map[string]string) {
	t.Helper()
	for where, s := range streams {
		if l := leak(s); l != "" {
			t.Errorf("the key appeared in %s: %s", where, l)
		}
	}
	for _, tool := range []string{"get-secret", "run-raw-sql", "list-tables", "get-table-schema"} {
		if !strings.Contains(byTool[tool], redactedMark) {
			t.Errorf("%s: the key the backend echoed was not visibly redacted: %.400s", tool, byTool[tool])
		}
	}
	if !strings.Contains(streams["stderr"], "insforge request") {
		t.Error("debug logging did not reach stderr; the log check proved nothing")
	}
}

// Every tool, over stdio, with the key from INSFORGE_API_KEY and debug
// logging: the key appears nowhere in the protocol stream (all of stdout),
// stderr (the logs) or any result.
func TestKeyNeverLeavesOverStdio(t *testing.T) {
	t.Parallel()
	backend := secretsBackend(t)
	cmd := exec.Command(binary, "--credentials-file", "none", "--log-level", "debug", "--toolsets", "all")
	cmd.Dir = t.TempDir() // tools that write files write here
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "INSFORGE_PROJECT_URL="+backend.URL, "INSFORGE_API_KEY="+secretKey)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdoutPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	stdout := &lockedBuffer{}
	c := client.NewClient(transport.NewIO(io.TeeReader(stdoutPipe, stdout), stdin, nil), client.WithProtocolVersion("2025-11-25"))
	if err := testmcp.Initialize(c, "2025-11-25"); err != nil {
		t.Fatalf("%v (stderr: %s)", err, stderr.String())
	}

	start := time.Now()
	results, byTool := drive(t, c, plan(t, c, backend.URL))
	c.Close() // closes stdin: the server exits
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Errorf("server exit: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("the server did not exit after stdin closed")
	}
	t.Logf("drove %d tool calls over stdio in %v", strings.Count(results, "\n"), time.Since(start).Round(time.Millisecond))
	checkSecrets(t, byTool, map[string]string{"results": results, "stdout": stdout.String(), "stderr": stderr.String()})
}

// teeTransport copies every HTTP answer (headers and body) into buf.
type teeTransport struct {
	rt  http.RoundTripper
	buf *lockedBuffer
}

func (tt teeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := tt.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(tt.buf, "%s\n", resp.Status)
	resp.Header.Write(tt.buf)
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(resp.Body, tt.buf), resp.Body}
	return resp, nil
}

// Every tool, over streamable HTTP, with the key given to connect-project
// and debug logging: the key appears nowhere in the HTTP answers (the
// protocol stream), the process's stdout or stderr, or any result.
func TestKeyNeverLeavesOverHTTP(t *testing.T) {
	t.Parallel()
	backend := secretsBackend(t)
	cmd := exec.Command(binary, "--transport", "http", "--listen", "127.0.0.1:0", "--credentials-file", "none",
		"--allowed-project-hosts", "127.0.0.1", "--log-level", "debug", "--toolsets", "all")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	addr := listenAddr(t, stderr)

	stream := &lockedBuffer{}
	hc := &http.Client{Transport: teeTransport{rt: http.DefaultTransport, buf: stream}}
	tr, err := transport.NewStreamableHTTP("http://"+addr+"/mcp", transport.WithHTTPBasicClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, client.WithProtocolVersion("2025-11-25"))
	if err := testmcp.Initialize(c, "2025-11-25"); err != nil {
		t.Fatalf("%v (stderr: %s)", err, stderr.String())
	}
	// Connect first so that tools/list shows every tool.
	if text, isErr := testmcp.CallText(t, c, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": secretKey}); isErr {
		t.Fatalf("connect-project: %s", text)
	}

	start := time.Now()
	results, byTool := drive(t, c, plan(t, c, backend.URL))
	c.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("the server did not stop on SIGTERM")
	}
	t.Logf("drove %d tool calls over HTTP in %v", strings.Count(results, "\n"), time.Since(start).Round(time.Millisecond))
	checkSecrets(t, byTool, map[string]string{"results": results, "HTTP answers": stream.String(), "stdout": stdout.String(), "stderr": stderr.String()})
}

func waitListening(t *testing.T, addr string, stderr *lockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz-probe")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not listen: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
