package catalogue_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// wireJSON is a tool as tools/list sends it: what every conversation pays
// for, in bytes.
func wireJSON(t testing.TB, tool tools.Tool) []byte {
	t.Helper()
	data, err := json.Marshal(map[string]any{
		"name":        tool.Name,
		"description": tool.Description,
		"inputSchema": tool.Schema(),
		"annotations": map[string]any{
			"title":        tool.Title,
			"readOnlyHint": tool.Hints.ReadOnly.Bool(), "destructiveHint": tool.Hints.Destructive.Bool(),
			"idempotentHint": tool.Hints.Idempotent.Bool(), "openWorldHint": tool.Hints.OpenWorld.Bool(),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// maxToolBytes bounds one tool's declaration, so that a tool that grows
// shows up by name (the whole lists' budgets are checked on the wire in
// package mcpserver).
const maxToolBytes = 3000

// TestListBytes measures what each tool costs in tools/list and holds
// each to maxToolBytes; -v prints the figures by toolset, largest first.
func TestListBytes(t *testing.T) {
	type row struct {
		name, set string
		bytes     int
	}
	var rows []row
	total, official := 0, 0
	perSet := map[string]int{}
	for _, tool := range everyTool(t) {
		n := len(wireJSON(t, tool))
		if n > maxToolBytes {
			t.Errorf("%s costs %d bytes in tools/list, over %d: say it in fewer words", tool.Name, n, maxToolBytes)
		}
		rows = append(rows, row{tool.Name, string(tool.Toolset), n})
		total += n + 1
		perSet[string(tool.Toolset)] += n
		if slices.Contains(catalogue.Default(), tool.Name) {
			official += n + 1
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].bytes > rows[j].bytes })
	var b strings.Builder
	fmt.Fprintf(&b, "every tool: %d bytes; the official 17: %d bytes\n", total, official)
	for set, n := range perSet {
		fmt.Fprintf(&b, "  toolset %-12s %6d\n", set, n)
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-28s %-12s %5d\n", r.name, r.set, r.bytes)
	}
	t.Log(b.String())
}
