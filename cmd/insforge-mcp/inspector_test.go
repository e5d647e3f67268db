package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/insforgetest"
)

// TestInspectorCLIListsTools lists the tools with the MCP Inspector's CLI
// (@modelcontextprotocol/inspector --cli, pinned in interop/package.json):
// over stdio with a configured project (every tool), and over streamable
// HTTP without one (the gate only). Without Node or the installed
// Inspector the test is skipped, except under CI, where that is a failure.
func TestInspectorCLIListsTools(t *testing.T) {
	dir, err := filepath.Abs("../../interop")
	if err != nil {
		t.Fatal(err)
	}
	cli := filepath.Join(dir, "node_modules", "@modelcontextprotocol", "inspector", "cli", "build", "cli.js")
	node, err := exec.LookPath("node")
	_, cliErr := os.Stat(cli)
	if err != nil || cliErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the Inspector check needs node and `npm ci --prefix interop` (node: %v, inspector: %v)", err, cliErr)
		}
		t.Skip("Node.js or the MCP Inspector is missing: run `npm ci --prefix interop` to enable this test")
	}
	inspect := func(t *testing.T, args ...string) []string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, append([]string{cli, "--cli"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("inspector %v: %v\nstdout: %.2000s\nstderr: %s", args, err, out, stderr.String())
		}
		var list struct {
			Tools []struct {
				Name        string          `json:"name"`
				InputSchema json.RawMessage `json:"inputSchema"`
				Annotations map[string]any  `json:"annotations"`
			} `json:"tools"`
		}
		if err := json.Unmarshal(out, &list); err != nil {
			t.Fatalf("inspector output is not a tools/list result: %v\n%.2000s", err, out)
		}
		var names []string
		for _, tool := range list.Tools {
			names = append(names, tool.Name)
			if len(tool.InputSchema) == 0 {
				t.Errorf("%s has no inputSchema", tool.Name)
			}
			for _, hint := range []string{"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"} {
				if _, ok := tool.Annotations[hint].(bool); !ok {
					t.Errorf("%s lacks %s", tool.Name, hint)
				}
			}
		}
		return names
	}

	t.Run("stdio", func(t *testing.T) {
		backend := insforgetest.New(t)
		names := inspect(t,
			"-e", "API_BASE_URL="+backend.URL, "-e", "API_KEY="+insforgetest.DefaultAPIKey, "-e", "HOME="+t.TempDir(),
			binary, "--credentials-file", "none",
			"--method", "tools/list")
		for _, want := range []string{"connect-project", "get-backend-metadata", "run-raw-sql"} {
			if !slices.Contains(names, want) {
				t.Errorf("tools/list over stdio lacks %s: %v", want, names)
			}
		}
	})
	t.Run("http", func(t *testing.T) {
		base, _, _ := startServer(t, "http")
		names := inspect(t, base+"/mcp", "--transport", "http", "--method", "tools/list")
		if !slices.Contains(names, "connect-project") || slices.Contains(names, "run-raw-sql") {
			t.Errorf("tools/list over HTTP without a project: %v", names)
		}
	})
}
