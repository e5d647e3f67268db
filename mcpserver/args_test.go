package mcpserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
)

func manyKeys(n int) map[string]any {
	m := make(map[string]any, n)
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = 0
	}
	return m
}

// manyKeysJSON is the JSON text of get-table-schema's arguments with
// manyKeys(n) as "extra", written directly: building that map and encoding
// it (sorting its keys) cost seconds under the race detector.
func manyKeysJSON(n int) json.RawMessage {
	b := []byte(`{"tableName":"t","extra":{`)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `"k`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `":0`...)
	}
	return append(b, "}}"...)
}

// A 3.5 MB argument object of 300,000 keys took the server from 58 to 130
// MB when decoded: arguments are bounded before they are decoded.
func TestHugeArgumentsAreRefusedBeforeDecoding(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	// 120,000 keys are 1.3 MB of JSON, over the 1 MiB limit: the shape of
	// that argument at a third of its cost under the race detector. As
	// h.Refused, with the arguments sent as the JSON text they are.
	h.Backend.Reset()
	req := mcp.CallToolRequest{}
	req.Params.Name = "get-table-schema"
	req.Params.Arguments = manyKeysJSON(120000)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := h.Client.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("tools/call get-table-schema: %v", err)
	}
	if text := testmcp.Text(res); !res.IsError {
		t.Errorf("get-table-schema with 1.3 MB of arguments succeeded: %.300s", text)
	} else {
		testmcp.WantText(t, text, "arguments of get-table-schema", "over the limit", "split the work")
	}
	if reqs := h.Backend.Requests(); len(reqs) != 0 {
		t.Errorf("get-table-schema sent %d requests although the input was refused locally (first: %s %s)", len(reqs), reqs[0].Method, reqs[0].Path)
	}
	// Small in bytes, but too many keys.
	h.Refused(t, "get-table-schema", map[string]any{"tableName": "t", "extra": manyKeys(20000)},
		"arguments of get-table-schema", "more than 10000 object keys and array elements", "split the work")
	// Through call-tool too.
	h = testmcp.New(t, testmcp.Options{DefaultSurface: true})
	h.Refused(t, "call-tool", map[string]any{"name": "get-table-schema", "arguments": map[string]any{"tableName": "t", "extra": manyKeys(20000)}},
		"more than 10000 object keys")
}
