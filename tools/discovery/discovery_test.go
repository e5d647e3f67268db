package discovery_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

func defaultSurface(t *testing.T, o testmcp.Options) *testmcp.Harness {
	t.Helper()
	o.DefaultSurface = true
	return testmcp.New(t, o)
}

// firstHit is the first tool a find-tools listing names.
func firstHit(text string) string {
	m := regexp.MustCompile(`(?m)^- ([a-z0-9-]+)`).FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return m[1]
}

// hits lists the tools a find-tools listing names, in order.
func hits(text string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^- ([a-z0-9-]+)`).FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestFindToolsByTaskWords(t *testing.T) {
	t.Parallel()
	h := defaultSurface(t, testmcp.Options{})
	// The examples rank their tool first.
	for query, want := range map[string]string{
		"rotate the admin api key": "rotate-api-key",
		"schedule a cron job":      "create-schedule",
	} {
		text := h.OK(t, "find-tools", map[string]any{"query": query})
		if got := firstHit(text); got != want {
			t.Errorf("find-tools %q ranks %s first, want %s:\n%s", query, got, want, text)
		}
	}
	// Everyday phrasings put the tool in the top three.
	for query, want := range map[string]string{
		"upload a file to a bucket":    "upload-object",
		"add a column to a table":      "alter-table",
		"read the rows of a table":     "query-records",
		"send a password reset email":  "list-email-templates|update-email-template",
		"point my domain at the site":  "add-custom-domain",
		"which ai models can I use":    "list-ai-models",
		"search the logs for an error": "search-logs",
	} {
		text := h.OK(t, "find-tools", map[string]any{"query": query})
		top := hits(text)
		top = top[:min(3, len(top))]
		if !slices.ContainsFunc(strings.Split(want, "|"), func(w string) bool { return slices.Contains(top, w) }) {
			t.Errorf("find-tools %q does not rank %s in its top three:\n%s", query, want, text)
		}
	}
}

// Every served tool is found by its name (with its schema) and by the
// words of its title.
func TestFindToolsFindsEveryTool(t *testing.T) {
	t.Parallel()
	h := defaultSurface(t, testmcp.Options{})
	for _, tool := range h.Server.Surface().Served {
		text := h.OK(t, "find-tools", map[string]any{"query": tool.Name})
		if !strings.HasPrefix(text, tool.Name) || !strings.Contains(text, "inputSchema: {") {
			t.Errorf("find-tools %q does not return its definition:\n%.300s", tool.Name, text)
		}
		text = h.OK(t, "find-tools", map[string]any{"query": tool.Title})
		if !strings.Contains(text, "- "+tool.Name) {
			t.Errorf("find-tools %q (the title of %s) does not list it:\n%s", tool.Title, tool.Name, text)
		}
	}
}

func TestFindToolsListsToolsetsAndSaysWhenNothingMatches(t *testing.T) {
	t.Parallel()
	h := defaultSurface(t, testmcp.Options{})
	text := h.OK(t, "find-tools", nil)
	testmcp.WantText(t, text, "Toolsets:", "- storage:", "- deployments:")
	text = h.OK(t, "find-tools", map[string]any{"query": "zyzzyva quux"})
	testmcp.WantText(t, text, `No tool matches "zyzzyva quux"`, "Toolsets:")
	text = h.OK(t, "find-tools", map[string]any{"toolset": "Secrets"})
	testmcp.WantText(t, text, "- rotate-api-key*", "- list-secrets*", "run with call-tool")
	testmcp.WantText(t, h.Fail(t, "find-tools", map[string]any{"toolset": "nope"}), `no toolset "nope"`, "Toolsets:")
}

// call-tool gives what a direct call gives: the same text, the same data,
// the same backend request.
func TestCallToolIsADirectCall(t *testing.T) {
	t.Parallel()
	h := defaultSurface(t, testmcp.Options{})
	h.Backend.AddTable("todos", []insforgefake.Column{{Name: "title", Type: "string"}}, map[string]any{"title": "ship it"})
	boundary := regexp.MustCompile(`untrusted-data-[0-9a-f]+`)
	for name, args := range map[string]map[string]any{
		"list-tables":      {},
		"query-records":    {"table": "todos"},
		"get-anon-key":     nil,
		"list-log-sources": {},
	} {
		direct := boundary.ReplaceAllString(h.OK(t, name, args), "B")
		via := boundary.ReplaceAllString(h.OK(t, "call-tool", map[string]any{"name": name, "arguments": args}), "B")
		if via != direct {
			t.Errorf("call-tool %s differs from the direct call:\nvia    %.300s\ndirect %.300s", name, via, direct)
		}
	}
	h.Backend.Reset()
	h.OK(t, "call-tool", map[string]any{"name": "insert-records", "arguments": map[string]any{"table": "todos", "records": []any{map[string]any{"title": "next"}}}})
	testmcp.WantAdminAuth(t, h.Last(t, "POST", "/api/database/records/todos"))
}

func TestCallToolRefusesWithWhatToDo(t *testing.T) {
	t.Parallel()
	h := defaultSurface(t, testmcp.Options{})
	h.Refused(t, "call-tool", map[string]any{}, `missing required argument "name"`)
	h.Refused(t, "call-tool", map[string]any{"name": "run-raw-sql", "arguments": "SELECT 1"}, "arguments must be a JSON object")
	h.Refused(t, "call-tool", map[string]any{"name": "list-table"}, `There is no tool "list-table"`, "list-tables", "find-tools")
	h.Refused(t, "call-tool", map[string]any{"name": "run-unrestricted-sql", "arguments": map[string]any{"query": "select 1"}}, "--allow-unrestricted-sql")
	h.Refused(t, "call-tool", map[string]any{"name": "query-records", "arguments": map[string]any{}}, `missing required argument "table"`)
	h.Refused(t, "call-tool", map[string]any{"name": "call-tool", "arguments": map[string]any{}}, "call-tool runs other tools")

	ro := defaultSurface(t, testmcp.Options{Selection: tools.Selection{ReadOnly: true}})
	ro.Refused(t, "call-tool", map[string]any{"name": "delete-table", "arguments": map[string]any{"tableName": "todos"}}, "not served", "--read-only")

	ex := defaultSurface(t, testmcp.Options{Selection: tools.Selection{ExcludeTools: []string{"rotate-api-key"}}})
	ex.Refused(t, "call-tool", map[string]any{"name": "rotate-api-key"}, "not served", "--exclude-tools rotate-api-key")

	locked := defaultSurface(t, testmcp.Options{Unconfigured: true})
	locked.Refused(t, "call-tool", map[string]any{"name": "list-tables"}, "connect-project", "ik_")
}

func TestCallToolAsksBeforeDestroying(t *testing.T) {
	t.Parallel()
	h := defaultSurface(t, testmcp.Options{ConfirmDestructive: true})
	h.Backend.AddTable("old", []insforgefake.Column{{Name: "x", Type: "string", Nullable: true}})
	h.Refused(t, "call-tool", map[string]any{"name": "delete-table", "arguments": map[string]any{"tableName": "old"}}, `"confirm": true`)
	h.OK(t, "call-tool", map[string]any{"name": "delete-table", "arguments": map[string]any{"tableName": "old", "confirm": true}})
}

// Guidance in a result sends the agent only where it can go.
func TestResultsNameOnlyServedTools(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{Unconfigured: true, Selection: tools.Selection{Toolsets: []string{"database", "storage"}}})
	text := h.OK(t, "connect-project", map[string]any{"projectUrl": h.Backend.URL, "apiKey": insforgefake.DefaultAPIKey})
	testmcp.WantNoText(t, text, "get-backend-metadata")

	d := defaultSurface(t, testmcp.Options{})
	text = d.Fail(t, "get-table-schema", map[string]any{"tableName": "nope"})
	testmcp.WantText(t, text, "list-tables", "run with call-tool: list-tables")
}
