package testmcp

import (
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// External is New for a backend this package does not run, such as a real
// InsForge for contract tests: the server is configured with projectURL and
// apiKey, and its backend calls get the production timeout (30 s). Only
// Selection, MaxResultBytes and ProtocolVersion of o apply. The harness has
// no fake (Backend is nil), so Last, Count and Refused do not apply.
func External(t testing.TB, projectURL, apiKey string, o Options) *Harness {
	t.Helper()
	selected, err := catalogue.Select(o.Selection)
	if err != nil {
		t.Fatalf("select tools: %v", err)
	}
	if o.MaxResultBytes == 0 {
		o.MaxResultBytes = 100000
	}
	srv := mcpserver.New(mcpserver.Config{
		Version:    "contract",
		Surface:    selected,
		ToolConfig: tools.Config{MaxResultBytes: o.MaxResultBytes},
		Transport:  insforge.NewTransport(insforge.Options{Timeout: 30 * time.Second}),
		Configured: credentials.Credentials{ProjectURL: projectURL, APIKey: apiKey},
	})
	c, err := client.NewInProcessClient(srv.MCP())
	if err != nil {
		t.Fatalf("in-process client: %v", err)
	}
	h := &Harness{Server: srv, Client: c}
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		h.mu.Lock()
		h.notifications = append(h.notifications, n)
		h.mu.Unlock()
	})
	t.Cleanup(func() { c.Close() })
	version := o.ProtocolVersion
	if version == "" {
		version = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	}
	if err := Initialize(c, version); err != nil {
		t.Fatal(err)
	}
	return h
}
