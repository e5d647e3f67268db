package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
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

// Attack (issue 13, item 10): SIGTERM drained for a fixed 10 s while a call
// may run for --timeout, and cut what was left with a connection reset,
// exit 0 and no log line. Now the drain lasts --timeout plus 5 s: a call in
// flight at SIGTERM answers its client, and a call that outlives the drain
// (invoke-function allows a function 65 s whatever --timeout says) is
// logged as abandoned by its tool name, without its arguments or the key.
func TestShutdownDrainsCallsAndLogsTheAbandoned(t *testing.T) {
	t.Parallel()
	if drainGrace != 5*time.Second {
		t.Errorf("a release build drains for --timeout + %v, not + 5s", drainGrace)
	}
	backend := insforgefake.New(t)
	backend.OpenDatabase(t) // the quick call has 600 ms to spare, not a cluster start
	backend.Stall("/api/metadata", 400*time.Millisecond)
	backend.Stall("/functions/slow", time.Minute)
	// The drain is --timeout + main.drainGrace (1 s in the tests' server,
	// 5 s in a release), all of it waited out for the abandoned call:
	// --timeout 1s keeps it short while the quick call (400 ms) still fits
	// in --timeout with room to spare.
	base, cmd, stderr := startServer(t, "http", "--timeout", "1s")
	tr, err := transport.NewStreamableHTTP(base+"/mcp", transport.WithHTTPHeaders(map[string]string{
		"Authorization":          "Bearer " + insforgefake.DefaultAPIKey,
		"X-InsForge-Project-URL": backend.URL,
	}))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, client.WithProtocolVersion("2025-11-25"))
	defer c.Close()
	if err := testmcp.Initialize(c, "2025-11-25"); err != nil {
		t.Fatalf("%v (%s)", err, stderr.String())
	}
	call := func(name string, args map[string]any) chan *mcp.CallToolResult {
		out := make(chan *mcp.CallToolResult, 1)
		go func() {
			req := mcp.CallToolRequest{}
			req.Params.Name, req.Params.Arguments = name, args
			res, _ := c.CallTool(context.Background(), req)
			out <- res
		}()
		return out
	}
	const marker = "argument-that-must-not-be-logged"
	slow := call("invoke-function", map[string]any{"slug": "slow", "body": map[string]any{"note": marker}})
	waitFor(t, func() bool { return requests(backend, "POST", "/functions/slow") > 0 }, "the slow call to reach the backend")
	quick := call("get-backend-metadata", nil)
	waitFor(t, func() bool { return requests(backend, "GET", "/api/metadata") > 0 }, "the quick call to reach the backend")

	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case res := <-quick:
		if res == nil || res.IsError {
			t.Fatalf("the call in flight at SIGTERM got no answer: %v (%s)", res, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the call in flight at SIGTERM got no answer")
	}
	waitExit(t, cmd, stderr, 15*time.Second)
	if took := time.Since(start); took < time.Second {
		t.Errorf("the server gave the slow call only %s, less than --timeout", took)
	}
	select { // the abandoned call's client sees its connection close
	case <-slow:
	case <-time.After(5 * time.Second):
	}
	log := stderr.String()
	var line string
	for l := range strings.Lines(log) {
		if strings.Contains(l, "abandoned") {
			line = l
		}
	}
	if !strings.Contains(line, "tool=invoke-function") {
		t.Fatalf("no log line names the abandoned call:\n%s", log)
	}
	if strings.Contains(log, marker) || strings.Contains(log, insforgefake.DefaultAPIKey) {
		t.Fatalf("the log shows the call's arguments or the key:\n%s", log)
	}
}

func requests(b *insforgefake.Server, method, path string) int {
	n := 0
	for _, r := range b.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Attack (issue 13, item 4), through the binary's flags: a silent keep-alive
// connection, a request body that never ends, and one address opening
// connections without end are all cut; none needs credentials.
func TestConnectionLimitsFromFlags(t *testing.T) {
	t.Parallel()
	base, _, stderr := startServer(t, "http", "--idle-timeout", "300ms", "--read-timeout", "300ms", "--max-conns-per-ip", "2")
	addr := strings.TrimPrefix(base, "http://")
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`
	request := func(body string, length int) string {
		return fmt.Sprintf("POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n%s", addr, length, body)
	}
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(5 * time.Second))
		return c, bufio.NewReader(c)
	}
	closedByServer := func(c net.Conn, br *bufio.Reader, what string) {
		t.Helper()
		if _, err := io.Copy(io.Discard, br); err != nil {
			t.Fatalf("%s: the server kept the connection open: %v (%s)", what, err, stderr.String())
		}
	}

	// Idle keep-alive.
	c, br := dial()
	io.WriteString(c, request(initialize, len(initialize)))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("initialize: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	closedByServer(c, br, "idle keep-alive")

	// A body that never ends.
	c, br = dial()
	io.WriteString(c, request(initialize[:10], len(initialize)))
	resp, err = http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("stalled body: %v %v", resp, err)
	}
	closedByServer(c, br, "stalled body")

	// Connections per address: two held open (silent, the 10 s header
	// timeout keeps them), the third refused.
	for range 2 {
		dial()
	}
	c, _ = dial()
	data, _ := io.ReadAll(c)
	if !strings.HasPrefix(string(data), "HTTP/1.1 503") {
		t.Fatalf("third connection from the address: %q", data)
	}
}
