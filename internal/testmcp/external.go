package testmcp

import (
	"testing"
	"time"

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
	return connect(t, &Harness{Server: srv}, o.ProtocolVersion)
}
