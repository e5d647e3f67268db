package testmcp

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// Assertions shared by the tool tests of every toolset.

// WantText checks that text contains every one of parts.
func WantText(t testing.TB, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("text does not contain %q:\n%s", p, text)
		}
	}
}

// WantNoText checks that text contains none of parts.
func WantNoText(t testing.TB, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(text, p) {
			t.Errorf("text contains %q:\n%s", p, text)
		}
	}
}

// WantUntrusted checks that text fences backend data as untrusted.
func WantUntrusted(t testing.TB, text string) {
	t.Helper()
	if !strings.Contains(text, "<untrusted-data-") {
		t.Errorf("backend data is not inside an untrusted-data block:\n%s", text)
	}
}

// WantAdminAuth checks that req carried the admin key as a Bearer token.
func WantAdminAuth(t testing.TB, req insforgefake.Request) {
	t.Helper()
	if got := req.Header.Get("Authorization"); got != "Bearer "+insforgefake.DefaultAPIKey {
		t.Errorf("%s %s: Authorization = %q, want the admin key as Bearer", req.Method, req.Path, got)
	}
}

// QueryOf parses req's query string.
func QueryOf(t testing.TB, req insforgefake.Request) url.Values {
	t.Helper()
	q, err := url.ParseQuery(req.RawQuery)
	if err != nil {
		t.Fatalf("bad query %q: %v", req.RawQuery, err)
	}
	return q
}

// BodyObject decodes req's body as a JSON object.
func BodyObject(t testing.TB, req insforgefake.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(req.Body, &m); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v (%s)", req.Method, req.Path, err, req.Body)
	}
	return m
}

// Hints reads a listed tool's four hints as a client must: an absent hint
// takes the MCP default (readOnlyHint false, destructiveHint true,
// idempotentHint false, openWorldHint true), and a read-only tool neither
// destroys nor changes anything on a repeat.
func Hints(a mcp.ToolAnnotation) [4]bool {
	get := func(p *bool, def bool) bool {
		if p == nil {
			return def
		}
		return *p
	}
	ro := get(a.ReadOnlyHint, false)
	if ro {
		return [4]bool{true, false, true, get(a.OpenWorldHint, true)}
	}
	return [4]bool{false, get(a.DestructiveHint, true), get(a.IdempotentHint, false), get(a.OpenWorldHint, true)}
}

// WantHints checks the annotations (readOnly, destructive, idempotent,
// openWorld) of the listed tools named in want.
func WantHints(t testing.TB, listed []mcp.Tool, want map[string][4]bool) {
	t.Helper()
	hints := map[string][4]bool{}
	for _, tl := range listed {
		hints[tl.Name] = Hints(tl.Annotations)
	}
	for name, w := range want {
		got, ok := hints[name]
		if !ok {
			t.Errorf("%s is not listed", name)
			continue
		}
		if got != w {
			t.Errorf("%s hints (readOnly, destructive, idempotent, openWorld) = %v, want %v", name, got, w)
		}
	}
}

// HintsOf returns the declared hints of the catalogue tool name.
func HintsOf(t testing.TB, name string) tools.Hints {
	t.Helper()
	for _, tool := range catalogue.All() {
		if tool.Name == name {
			return tool.Hints
		}
	}
	t.Fatalf("no tool %s", name)
	return tools.Hints{}
}

// WantReadOnly checks that read-only mode serves every tool of kept and
// none of dropped.
func WantReadOnly(t *testing.T, kept, dropped []string) {
	t.Helper()
	names := New(t, Options{Selection: tools.Selection{ReadOnly: true}}).ToolNames(t)
	for _, n := range kept {
		if !slices.Contains(names, n) {
			t.Errorf("read-only mode lacks %s", n)
		}
	}
	for _, n := range dropped {
		if slices.Contains(names, n) {
			t.Errorf("read-only mode serves the write tool %s", n)
		}
	}
}

// Count counts the requests the backend received for path, with method
// ("" for any).
func (h *Harness) Count(method, path string) int {
	n := 0
	for _, r := range h.Backend.Requests() {
		if r.Path == path && (method == "" || r.Method == method) {
			n++
		}
	}
	return n
}

// ListTools lists the tools the harness's server serves.
func (h *Harness) ListTools(t testing.TB) []mcp.Tool {
	t.Helper()
	res, err := h.Client.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Tools
}

// Refused calls a tool that must fail on its input alone: its text holds
// every one of want, and the backend received nothing.
func (h *Harness) Refused(t testing.TB, name string, args map[string]any, want ...string) string {
	t.Helper()
	h.Backend.Reset()
	text := h.Fail(t, name, args)
	WantText(t, text, want...)
	if reqs := h.Backend.Requests(); len(reqs) != 0 {
		t.Errorf("%s sent %d requests although the input was refused locally (first: %s %s)", name, len(reqs), reqs[0].Method, reqs[0].Path)
	}
	return text
}

// Data calls a tool that must succeed and returns its text and its
// structured content (nil when it has none).
func (h *Harness) Data(t testing.TB, name string, args map[string]any) (string, map[string]any) {
	t.Helper()
	res := h.Call(t, name, args)
	text := Text(res)
	if res.IsError {
		t.Fatalf("%s failed: %s", name, text)
	}
	var m map[string]any
	if res.StructuredContent != nil {
		data, _ := json.Marshal(res.StructuredContent)
		_ = json.Unmarshal(data, &m)
	}
	return text, m
}

// UntrustedData calls a tool that must succeed with backend data inside an
// untrusted-data block, and returns its text and its structured content
// (numbers as json.Number).
func (h *Harness) UntrustedData(t testing.TB, name string, args map[string]any) (string, map[string]any) {
	t.Helper()
	res := h.Call(t, name, args)
	text := Text(res)
	if res.IsError {
		t.Fatalf("%s failed: %s", name, text)
	}
	if !strings.Contains(text, "<untrusted-data-") {
		t.Errorf("%s: backend data is not in an untrusted-data block:\n%s", name, text)
	}
	data, _ := json.Marshal(res.StructuredContent)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil || out == nil {
		t.Fatalf("%s: no structured content (%v): %s", name, err, text)
	}
	return text, out
}
