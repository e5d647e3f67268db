package tools_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/insforgetest"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/mark3labs/mcp-go/mcp"
)

// Assertions shared by the tool tests of every module.

// wantText checks that text contains every one of parts.
func wantText(t *testing.T, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("text does not contain %q:\n%s", p, text)
		}
	}
}

// wantNoText checks that text contains none of parts.
func wantNoText(t *testing.T, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(text, p) {
			t.Errorf("text contains %q but must not:\n%s", p, text)
		}
	}
}

// wantUntrusted checks that text fences backend data as untrusted.
func wantUntrusted(t *testing.T, text string) {
	t.Helper()
	if !strings.Contains(text, "<untrusted-data-") {
		t.Errorf("backend data is not inside an untrusted-data block:\n%s", text)
	}
}

// wantAdminAuth checks that req carried the admin key as a Bearer token.
func wantAdminAuth(t *testing.T, req insforgetest.Request) {
	t.Helper()
	if got := req.Header.Get("Authorization"); got != "Bearer "+insforgetest.DefaultAPIKey {
		t.Errorf("%s %s: Authorization = %q, want the admin key as Bearer", req.Method, req.Path, got)
	}
}

// queryOf parses req's query string.
func queryOf(t *testing.T, req insforgetest.Request) url.Values {
	t.Helper()
	q, err := url.ParseQuery(req.RawQuery)
	if err != nil {
		t.Fatalf("bad query %q: %v", req.RawQuery, err)
	}
	return q
}

// bodyObject decodes req's body as a JSON object.
func bodyObject(t *testing.T, req insforgetest.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(req.Body, &m); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v (%s)", req.Method, req.Path, err, req.Body)
	}
	return m
}

// countRequests counts the requests the backend received for path, with
// method ("" for any).
func countRequests(h *testmcp.Harness, method, path string) int {
	n := 0
	for _, r := range h.Backend.Requests() {
		if r.Path == path && (method == "" || r.Method == method) {
			n++
		}
	}
	return n
}

// listTools lists the tools the harness's server serves.
func listTools(t *testing.T, h *testmcp.Harness) []mcp.Tool {
	t.Helper()
	res, err := h.Client.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Tools
}

// wantHints checks the annotations (readOnly, destructive, idempotent,
// openWorld) of the listed tools named in want.
func wantHints(t *testing.T, listed []mcp.Tool, want map[string][4]bool) {
	t.Helper()
	hints := map[string][4]bool{}
	for _, tl := range listed {
		a := tl.Annotations
		hints[tl.Name] = [4]bool{*a.ReadOnlyHint, *a.DestructiveHint, *a.IdempotentHint, *a.OpenWorldHint}
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
