package mcpwire_test

import (
	"context"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/bench/internal/mcpwire"
	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

func newServer(t *testing.T) *mcpserver.Server {
	backend := insforgefake.New(t)
	// The calls' 5 s deadline would otherwise include this process's
	// cluster start, the first thing its first test does.
	backend.OpenDatabase(t)
	return mcpserver.New(mcpserver.Config{
		Version:    "test",
		Surface:    catalogue.Full(),
		ToolConfig: tools.Config{MaxResultBytes: 100000},
		Transport:  insforge.NewTransport(insforge.Options{Timeout: 5 * time.Second}),
		Configured: credentials.Credentials{ProjectURL: backend.URL, APIKey: insforgefake.DefaultAPIKey},
	})
}

// exercise runs the benchmark's sequence on a connection.
func exercise(t *testing.T, c mcpwire.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	init, err := mcpwire.Initialize(ctx, c, "wire-test")
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if !strings.Contains(string(init.Result), `"serverInfo"`) {
		t.Fatalf("initialize result: %s", init.Result)
	}
	list, names, err := mcpwire.ListTools(ctx, c)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	if !slices.Contains(names, "get-backend-metadata") || len(list.Raw) < 1000 {
		t.Fatalf("tools/list: %d tools, %d bytes", len(names), len(list.Raw))
	}
	_, res, err := mcpwire.CallTool(ctx, c, "get-backend-metadata", nil)
	if err != nil {
		t.Fatalf("tools/call: %v", err)
	}
	if !strings.Contains(res.Text(), "database") {
		t.Fatalf("metadata text: %s", res.Text())
	}
	if _, _, err := mcpwire.CallTool(ctx, c, "no-such-tool", nil); err == nil {
		t.Fatal("an unknown tool did not fail")
	}
	if err := c.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func TestStdio(t *testing.T) {
	srv := newServer(t)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- srv.ServeStdio(context.Background(), inR, outW)
		outW.Close()
	}()
	exercise(t, mcpwire.NewStdio(inW, outR))
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stdio server did not end when its input closed")
	}
}

func TestHTTP(t *testing.T) {
	srv := newServer(t)
	ts := httptest.NewServer(srv.StreamableHandler(mcpserver.HTTPOptions{Loopback: true}))
	defer ts.Close()
	c := mcpwire.NewHTTP(ts.URL+"/mcp", ts.Client())
	exercise(t, c)
	if c.SessionID() == "" {
		t.Fatal("no session id")
	}
	// The session is gone after Close.
	_, err := c.Call(context.Background(), "tools/list", map[string]any{})
	if err == nil {
		t.Fatal("a deleted session still answered")
	}
}
