package mcpserver_test

import (
	"fmt"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
)

func manyKeys(n int) map[string]any {
	m := make(map[string]any, n)
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = 0
	}
	return m
}

// A 3.5 MB argument object of 300,000 keys took the server from 58 to 130
// MB when decoded: arguments are bounded before they are decoded.
func TestHugeArgumentsAreRefusedBeforeDecoding(t *testing.T) {
	h := testmcp.New(t, testmcp.Options{})
	// 120,000 keys are 1.3 MB of JSON, over the 1 MiB limit: the shape of
	// that argument at a third of its cost under the race detector.
	h.Refused(t, "get-table-schema", map[string]any{"tableName": "t", "extra": manyKeys(120000)},
		"arguments of get-table-schema", "over the limit", "split the work")
	// Small in bytes, but too many keys.
	h.Refused(t, "get-table-schema", map[string]any{"tableName": "t", "extra": manyKeys(20000)},
		"arguments of get-table-schema", "more than 10000 object keys and array elements", "split the work")
	// Through call-tool too.
	h = testmcp.New(t, testmcp.Options{DefaultSurface: true})
	h.Refused(t, "call-tool", map[string]any{"name": "get-table-schema", "arguments": map[string]any{"tableName": "t", "extra": manyKeys(20000)}},
		"more than 10000 object keys")
}
