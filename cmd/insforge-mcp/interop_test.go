package main

import (
	"path/filepath"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
)

// TestTypeScriptSDKInterop drives the binary with the official MCP
// TypeScript SDK client (interop/client.mjs) over stdio, streamable HTTP and
// SSE: the default surface, the gate in the calls, and the unlisted tools
// found with find-tools and run with call-tool (list-tables, which must show
// the table added here, the same as a direct call), the workflow prompts,
// completion of live names, and logging/setLevel with the log message of a
// connect-project. It also runs through
// elicitation (the key typed on the connect page, a destructive call
// confirmed by the user) over stdio. .ci/run installs the pinned SDK;
// without Node or the installed SDK the test is skipped, except under CI,
// where that is a failure.
func TestTypeScriptSDKInterop(t *testing.T) {
	t.Parallel()
	dir, node := interop(t)
	for _, mode := range []string{"stdio", "http", "sse", "elicit"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			backend := insforgefake.New(t)
			backend.AddTable("interop_todos", []insforgefake.Column{{Name: "title", Type: "string"}})
			target := binary
			switch mode {
			case "http":
				base, _, _ := startServer(t, "http")
				target = base + "/mcp"
			case "sse":
				base, _, _ := startServer(t, "sse")
				target = base + "/sse"
			}
			cmd, cancel := nodeCommand(t, dir, node, []string{"BACKEND_URL=" + backend.URL, "API_KEY=" + insforgefake.DefaultAPIKey},
				filepath.Join(dir, "client.mjs"), mode, target)
			defer cancel()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("TypeScript SDK client over %s: %v\n%s", mode, err, out)
			}
			t.Logf("%s", out)
		})
	}
}
