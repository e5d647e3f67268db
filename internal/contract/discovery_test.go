//go:build contract

package contract

import (
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// discovery: on the default surface, find-tools ranks tools by the words
// of a task, and call-tool returns what a direct call returns.
func discovery(t *testing.T, r *run) {
	if !r.viaCallTool {
		// Under --toolsets all every tool is listed and the discovery
		// tools are not served: use a second server on the default surface.
		def := testmcp.External(t, r.url, r.key, testmcp.Options{Selection: tools.Selection{Toolsets: []string{"default"}}})
		r = &run{h: def, url: r.url, key: r.key, sfx: r.sfx, called: r.called, viaCallTool: false}
	}
	for query, want := range map[string]string{
		"rotate the admin api key": "rotate-api-key",
		"schedule a cron job":      "create-schedule",
		"upload a file":            "upload-object",
	} {
		text, _ := r.ok(t, "find-tools", map[string]any{"query": query})
		if !strings.Contains(text, "- "+want) {
			t.Errorf("find-tools %q does not list %s:\n%s", query, want, text)
		}
	}
	text, _ := r.ok(t, "find-tools", map[string]any{"query": "list-tables"})
	if !strings.Contains(text, "inputSchema") {
		t.Errorf("find-tools with a tool name gives no schema:\n%s", text)
	}
	direct, _ := r.ok(t, "get-anon-key", nil)
	r.mu.Lock()
	r.called["call-tool"]++
	r.mu.Unlock()
	via, _ := r.ok(t, "call-tool", map[string]any{"name": "get-anon-key", "arguments": map[string]any{}})
	if firstLine(via) != firstLine(direct) {
		t.Errorf("call-tool get-anon-key answered %q, the direct call %q", firstLine(via), firstLine(direct))
	}
	r.fail(t, "call-tool", map[string]any{"name": "no-such-tool"}, "There is no tool")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
