package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
)

// defaultSurface are tools the default tools/list must show; list-tables
// is one it must not (it is found with find-tools and run with call-tool).
var defaultSurface = []string{"connect-project", "disconnect-project", "find-tools", "call-tool", "get-backend-metadata", "run-raw-sql"}

// TestInspectorCLIListsTools drives the binary with the MCP Inspector's CLI
// (@modelcontextprotocol/inspector --cli, pinned in interop/package.json):
// tools/list shows the default surface, its strict schema check finds
// nothing in any tool, and tools/call of find-tools and call-tool reaches
// the unlisted tools, over stdio with a configured
// project, over streamable HTTP without one (the calls are locked) and with
// per-request credentials in headers. The test installs the pinned
// Inspector itself; without Node it is skipped, except under CI.
func TestInspectorCLIListsTools(t *testing.T) {
	t.Parallel()
	dir, node := interop(t)
	cli := filepath.Join(dir, "node_modules", "@modelcontextprotocol", "inspector", "clients", "launcher", "build", "index.js")
	// run runs the Inspector and returns its output; a tool's error result
	// (exit code 5) is output too, for the caller to check.
	run := func(t *testing.T, args ...string) (stdout []byte, stderr string) {
		t.Helper()
		cmd, cancel := nodeCommand(t, dir, node, nil, append([]string{cli, "--cli"}, args...)...)
		defer cancel()
		var errOut lockedBuffer
		cmd.Stderr = &errOut
		out, err := cmd.Output()
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 5) {
			t.Fatalf("inspector %v: %v\nstdout: %.2000s\nstderr: %s", args, err, out, errOut.String())
		}
		return out, errOut.String()
	}
	// strictList runs tools/list with --strict: the Inspector's schema
	// portability check reports every finding, and there must be none (an
	// error-severity one makes it exit 6).
	strictList := func(t *testing.T, server ...string) []byte {
		t.Helper()
		out, stderr := run(t, append(server, "--method", "tools/list", "--strict")...)
		if strings.Contains(stderr, "Schema portability") || strings.Contains(stderr, "Warning: tool") || strings.Contains(stderr, "Error: tool") {
			t.Errorf("the Inspector's strict schema check found problems:\n%s", stderr)
		}
		return out
	}
	list := func(t *testing.T, server ...string) []string {
		t.Helper()
		// --strict: the Inspector's schema portability check reports every
		// finding; there must be none (it would exit 6 on an error).
		out := strictList(t, server...)
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
			if title, _ := tool.Annotations["title"].(string); title == "" {
				t.Errorf("%s has no title annotation", tool.Name)
			}
			// A hint equal to the MCP default is left out; one given is a boolean.
			for _, hint := range []string{"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"} {
				if v, ok := tool.Annotations[hint]; ok {
					if _, ok := v.(bool); !ok {
						t.Errorf("%s: %s is %v", tool.Name, hint, v)
					}
				}
			}
		}
		for _, want := range defaultSurface {
			if !slices.Contains(names, want) {
				t.Errorf("the default tools/list lacks %s: %v", want, names)
			}
		}
		if slices.Contains(names, "list-tables") {
			t.Errorf("tools/list is not the default surface (lists list-tables): %v", names)
		}
		return names
	}
	// call runs tools/call with --tool-arg key=value pairs (the Inspector
	// parses each value as JSON when it can: arguments={} is an object)
	// and returns the result's text and isError.
	call := func(t *testing.T, server []string, tool string, args ...string) (string, bool) {
		t.Helper()
		argv := append(slices.Clone(server), "--method", "tools/call", "--tool-name", tool)
		for _, a := range args {
			argv = append(argv, "--tool-arg", a)
		}
		out, _ := run(t, argv...)
		var res struct {
			Content []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"content"`
			IsError bool `json:"isError"`
		}
		if err := json.Unmarshal(out, &res); err != nil || len(res.Content) == 0 {
			t.Fatalf("inspector output is not a tools/call result (%v):\n%.2000s", err, out)
		}
		var b strings.Builder
		for _, c := range res.Content {
			if c.Type == "text" {
				b.WriteString(c.Text)
			}
		}
		return b.String(), res.IsError
	}
	// ok and fails call a tool and check the outcome and the text.
	ok := func(t *testing.T, server []string, want string, tool string, args ...string) string {
		t.Helper()
		text, isErr := call(t, server, tool, args...)
		if isErr || !strings.Contains(text, want) {
			t.Errorf("%s %v: isError=%v, want %q in:\n%s", tool, args, isErr, want, text)
		}
		return text
	}
	fails := func(t *testing.T, server []string, want string, tool string, args ...string) {
		t.Helper()
		if text, isErr := call(t, server, tool, args...); !isErr || !strings.Contains(text, want) {
			t.Errorf("%s %v: isError=%v, want an error with %q:\n%s", tool, args, isErr, want, text)
		}
	}
	// discovery finds list-tables and runs it through call-tool on a
	// connected server; each Inspector run costs seconds of Node start-up,
	// so the finer cases of find-tools and call-tool are left to the
	// in-process and SDK tests.
	discovery := func(t *testing.T, server []string) {
		t.Helper()
		ok(t, server, "- list-tables*", "find-tools", "query=list the tables")
		ok(t, server, "interop_todos", "call-tool", "name=list-tables", "arguments={}")
	}

	t.Run("stdio", func(t *testing.T) {
		t.Parallel()
		backend := insforgefake.New(t)
		backend.AddTable("interop_todos", []insforgefake.Column{{Name: "title", Type: "string"}})
		server := []string{"-e", "API_BASE_URL=" + backend.URL, "-e", "API_KEY=" + insforgefake.DefaultAPIKey, "-e", "HOME=" + t.TempDir()}
		// The Inspector starts the server with a minimal environment and
		// waits for it to exit: GORACE (TestMain's quick exit) spares each
		// run the race runtime's one-second sleep at exit.
		if v := os.Getenv("GORACE"); v != "" {
			server = append(server, "-e", "GORACE="+v)
		}
		server = append(server, binary, "--credentials-file", "none")
		list(t, server...)
		// Every tool's schema, not only the default list's, is portable.
		var all struct{ Tools []json.RawMessage }
		if err := json.Unmarshal(strictList(t, append(slices.Clone(server), "--toolsets", "all")...), &all); err != nil || len(all.Tools) < 100 {
			t.Errorf("--toolsets all lists %d tools (%v)", len(all.Tools), err)
		}
		discovery(t, server)
	})
	t.Run("http", func(t *testing.T) {
		t.Parallel()
		base, _, _ := startServer(t, "http")
		server := []string{base + "/mcp", "--transport", "http"}
		list(t, server...)
		// No project: the tools are listed, their calls are locked, by
		// name or directly; find-tools needs no project.
		fails(t, server, "connect-project", "call-tool", "name=list-tables", "arguments={}")
	})
	t.Run("http with credentials in headers", func(t *testing.T) {
		t.Parallel()
		backend := insforgefake.New(t)
		backend.AddTable("interop_todos", []insforgefake.Column{{Name: "title", Type: "string"}})
		base, _, _ := startServer(t, "http")
		server := []string{
			base + "/mcp", "--transport", "http",
			"--header", "X-InsForge-Project-URL: " + backend.URL,
			"--header", "Authorization: Bearer " + insforgefake.DefaultAPIKey,
		}
		discovery(t, server)
		fails(t, server, `arguments must be a JSON object of run-raw-sql's arguments`, "call-tool", "name=run-raw-sql", "arguments=SELECT 1")
	})
}
