package mcpserver_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// Budgets for the JSON of the tools array of tools/list: what every
// conversation pays before the agent has done anything. The default is
// held to what the official server (@insforge/mcp 1.2.11) costs for its
// 17 tools, measured the same way.
const (
	defaultListBudget = 10880
	allListBudget     = 80000
)

// listedJSON lists the tools and measures the tools array as the server
// writes it on the wire (not as a client re-encodes it).
func listedJSON(t *testing.T, o testmcp.Options) ([]mcp.Tool, int) {
	t.Helper()
	h := testmcp.New(t, o)
	res, err := h.Client.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := h.Server.MCP().WithContext(context.Background(), nil)
	answer := h.Server.MCP().HandleMessage(ctx, []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	wire, err := json.Marshal(answer)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Result struct {
			Tools json.RawMessage `json:"tools"`
		} `json:"result"`
	}
	if err := json.Unmarshal(wire, &msg); err != nil || len(msg.Result.Tools) == 0 {
		t.Fatalf("tools/list answer %s: %v", wire, err)
	}
	return res.Tools, len(msg.Result.Tools)
}

func TestDefaultListIsTheOfficialCoreWithinItsBytes(t *testing.T) {
	listed, n := listedJSON(t, testmcp.Options{Unconfigured: true, DefaultSurface: true})
	var names []string
	for _, tl := range listed {
		names = append(names, tl.Name)
	}
	want := append(catalogue.Default(), "connect-project", "disconnect-project", "find-tools", "call-tool")
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("default tools/list = %v\nwant %v", names, want)
	}
	t.Logf("default tools/list: %d tools, %d bytes (budget %d)", len(listed), n, defaultListBudget)
	if n > defaultListBudget {
		t.Errorf("the default tools/list is %d bytes, over its budget of %d", n, defaultListBudget)
	}
}

func TestFullListWithinItsBytes(t *testing.T) {
	listed, n := listedJSON(t, testmcp.Options{Selection: tools.Selection{Toolsets: []string{"all"}, Features: []tools.Feature{tools.UnrestrictedSQL}}})
	t.Logf("--toolsets all tools/list: %d tools, %d bytes (budget %d)", len(listed), n, allListBudget)
	if n > allListBudget {
		t.Errorf("--toolsets all lists %d bytes, over its budget of %d", n, allListBudget)
	}
}
