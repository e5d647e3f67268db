//go:build contract

package contract

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// TestContract runs the scenarios in order (later ones rely on what earlier
// ones leave, and the key rotation must come last), then checks that every
// tool of the catalogue was called at least once.
func TestContract(t *testing.T) {
	r := start(t)
	scenarios := []struct {
		name string
		run  func(*testing.T, *run)
	}{
		{"project", project},
		{"discovery", discovery},
		{"metadata-docs-template", metadataDocsTemplate},
		{"schedules-create", schedulesCreate},
		{"database", database},
		{"advisor", advisor},
		{"storage", storage},
		{"functions", functions},
		{"realtime", realtime},
		{"secrets", secrets},
		{"auth", auth},
		{"oauth-smtp-templates", oauthSMTPTemplates},
		{"logs", logs},
		{"ai", ai},
		{"deployments", deployments},
		{"schedules-runs", schedulesRuns},
		{"key-rotation", keyRotation},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) { s.run(t, r) })
	}
	r.checkCoverage(t)
}

// run is the state the scenarios share: one connected client, the backend's
// URL and key, a unique suffix for everything created, and the tools called.
type run struct {
	h        *testmcp.Harness
	url, key string
	sfx      string

	scheduleID string // created by schedules-create, run by schedules-runs

	// viaCallTool sends every call but the project tools through call-tool.
	viaCallTool bool

	mu     sync.Mutex
	called map[string]int
}

func start(t *testing.T) *run {
	url, key := os.Getenv("INSFORGE_CONTRACT_URL"), os.Getenv("INSFORGE_CONTRACT_KEY")
	if url == "" || key == "" {
		t.Fatal("set INSFORGE_CONTRACT_URL (a real InsForge backend, e.g. http://127.0.0.1:7130) and INSFORGE_CONTRACT_KEY (its admin API key, ik_…) to run the contract suite")
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	// INSFORGE_CONTRACT_VIA=call-tool runs every scenario on the default
	// surface, each tool through call-tool: the results must be those of
	// the direct calls under --toolsets all.
	via := os.Getenv("INSFORGE_CONTRACT_VIA")
	toolsets := []string{"all"}
	if via == "call-tool" {
		toolsets = []string{"default"}
	}
	h := testmcp.External(t, url, key, testmcp.Options{Selection: tools.Selection{
		Toolsets: toolsets,
		Features: []tools.Feature{tools.UnrestrictedSQL},
	}})
	r := &run{h: h, url: strings.TrimRight(url, "/"), key: key, sfx: hex.EncodeToString(b[:]), called: map[string]int{}, viaCallTool: via == "call-tool"}
	t.Logf("suffix of this run: %s; tools called %s", r.sfx, map[bool]string{true: "through call-tool", false: "directly"}[r.viaCallTool])
	t.Logf("suffix of this run: %s", r.sfx)
	return r
}

// checkCoverage fails when a tool of the catalogue was never called.
func (r *run) checkCoverage(t *testing.T) {
	var missing []string
	all := catalogue.All()
	for _, tool := range all {
		if r.called[tool.Name] == 0 {
			missing = append(missing, tool.Name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d of %d catalogue tools were never called: %s", len(missing), len(all), strings.Join(missing, ", "))
	} else {
		t.Logf("all %d catalogue tools were called", len(all))
	}
}

// call calls a tool, counts it as covered and checks what holds for every
// answer: the admin key never appears, and no internal error leaks out.
func (r *run) call(t testing.TB, name string, args map[string]any) (text string, data map[string]any, isError bool) {
	t.Helper()
	r.mu.Lock()
	r.called[name]++
	r.mu.Unlock()
	var res = func() *mcp.CallToolResult {
		if r.viaCallTool && !slices.Contains([]string{"connect-project", "disconnect-project", "find-tools", "call-tool"}, name) {
			if args == nil {
				args = map[string]any{}
			}
			return testmcp.Call(t, r.h.Client, "call-tool", map[string]any{"name": name, "arguments": args})
		}
		return testmcp.Call(t, r.h.Client, name, args)
	}()
	text = testmcp.Text(res)
	raw, _ := json.Marshal(res.StructuredContent)
	if strings.Contains(text, r.key) || strings.Contains(string(raw), r.key) {
		t.Errorf("%s: the result contains the admin API key", name)
		text = strings.ReplaceAll(text, r.key, "<ADMIN KEY>")
	}
	if strings.Contains(text, "Internal error") {
		t.Errorf("%s answered an internal error: %s", name, text)
	}
	if res.StructuredContent != nil {
		_ = json.Unmarshal(raw, &data)
	}
	outcome := "ok"
	if res.IsError {
		outcome = "ERROR"
	}
	t.Logf("%s %s → %s: %s", name, r.brief(args), outcome, summary(text))
	return text, data, res.IsError
}

// ok calls a tool that must succeed.
func (r *run) ok(t testing.TB, name string, args map[string]any) (string, map[string]any) {
	t.Helper()
	text, data, isError := r.call(t, name, args)
	if isError {
		t.Fatalf("%s %s failed: %s", name, r.brief(args), text)
	}
	return text, data
}

// fail calls a tool that must answer an explained error holding every one
// of want.
func (r *run) fail(t testing.TB, name string, args map[string]any, want ...string) string {
	t.Helper()
	text, _, isError := r.call(t, name, args)
	if !isError {
		t.Fatalf("%s %s succeeded but should have failed: %s", name, r.brief(args), text)
	}
	wantExplained(t, name, text, want...)
	return text
}

// either calls a tool that may succeed or answer an explained error (a
// feature this backend may lack); when it fails, the text holds every one
// of wantIfError.
func (r *run) either(t testing.TB, name string, args map[string]any, wantIfError ...string) (string, map[string]any, bool) {
	t.Helper()
	text, data, isError := r.call(t, name, args)
	if isError {
		wantExplained(t, name, text, wantIfError...)
	}
	return text, data, isError
}

// quiet is a best-effort call for cleanup: not counted, errors ignored.
func (r *run) quiet(t testing.TB, name string, args map[string]any) {
	t.Helper()
	res := testmcp.Call(t, r.h.Client, name, args)
	if res.IsError {
		t.Logf("cleanup %s %s: %s", name, r.brief(args), summary(testmcp.Text(res)))
	}
}

// cleanup registers a best-effort call that runs when the scenario t ends,
// passed or failed.
func (r *run) cleanup(t *testing.T, name string, args map[string]any) {
	t.Cleanup(func() { r.quiet(t, name, args) })
}

// wantExplained checks that an error says what happened in a sentence or
// more, and holds every one of want.
func wantExplained(t testing.TB, name, text string, want ...string) {
	t.Helper()
	if len(strings.TrimSpace(text)) < 40 {
		t.Errorf("%s: the error is not explained: %q", name, text)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: the error does not contain %q: %s", name, w, text)
		}
	}
}

// sql runs one statement as the database owner, uncounted (setup and
// restoration), and returns its rows.
func (r *run) sql(t testing.TB, query string, params ...any) []map[string]any {
	t.Helper()
	args := map[string]any{"query": query}
	if len(params) > 0 {
		args["params"] = params
	}
	res := testmcp.Call(t, r.h.Client, "run-unrestricted-sql", args)
	if res.IsError {
		t.Fatalf("run-unrestricted-sql %q: %s", query, testmcp.Text(res))
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var out struct {
		Rows []map[string]any `json:"rows"`
	}
	_ = json.Unmarshal(raw, &out)
	return out.Rows
}

// field walks nested objects: field(m, "a", "b") is m["a"]["b"].
func field(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// str is field as text ("" when absent).
func str(v any, path ...string) string {
	got := field(v, path...)
	if got == nil {
		return ""
	}
	return fmt.Sprint(got)
}

// objects is field as a list of objects.
func objects(v any, path ...string) []map[string]any {
	list, _ := field(v, path...).([]any)
	out := make([]map[string]any, 0, len(list))
	for _, item := range list {
		if m, ok := item.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// find returns the first object whose key equals value, or nil.
func find(list []map[string]any, key, value string) map[string]any {
	i := slices.IndexFunc(list, func(m map[string]any) bool { return str(m, key) == value })
	if i < 0 {
		return nil
	}
	return list[i]
}

// strings of a list field.
func stringList(v any, path ...string) []string {
	list, _ := field(v, path...).([]any)
	out := make([]string, 0, len(list))
	for _, item := range list {
		out = append(out, fmt.Sprint(item))
	}
	return out
}

// want fails the test when got differs from expected.
func want(t testing.TB, what string, got, expected any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(expected) {
		t.Errorf("%s = %v, want %v", what, got, expected)
	}
}

// wantText checks that text holds every one of parts.
func wantText(t testing.TB, what, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("%s does not contain %q: %s", what, p, summary(text))
		}
	}
}

// summary is the first paragraph of a result, cut to 300 bytes.
func summary(text string) string {
	if i := strings.Index(text, "\n\n"); i >= 0 {
		text = text[:i]
	}
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	return text
}

// brief renders arguments for the log, the admin key masked, cut to 160
// bytes.
func (r *run) brief(args map[string]any) string {
	if len(args) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(args)
	s := strings.ReplaceAll(string(b), r.key, "<ADMIN KEY>")
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}

// toJSON renders v compactly, for messages.
func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
