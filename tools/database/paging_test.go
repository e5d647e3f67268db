package database_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
)

// A result cut to fit --max-result-bytes says where to continue from the
// last row it shows, not from the end of the page the backend sent: an
// agent that follows it skips no row.
func TestCutPageContinuesAfterTheLastRowShown(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{MaxResultBytes: 20000})
	rows := make([]map[string]any, 2000)
	for i := range rows {
		rows[i] = map[string]any{"title": fmt.Sprintf("row %04d %s", i, strings.Repeat("x", 60))}
	}
	h.Backend.AddTable("many", []insforgefake.Column{{Name: "title", Type: "string"}}, rows...)

	text, data := h.Data(t, "query-records", map[string]any{"table": "many", "limit": 1000, "order": "title.asc"})
	shown, _ := data["rows"].([]any)
	if len(shown) == 0 || len(shown) >= 1000 {
		t.Fatalf("expected a cut page, got %d rows", len(shown))
	}
	m := regexp.MustCompile(`Next page: call query-records again with offset (\d+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no next-page advice:\n%.600s", text)
	}
	if next, _ := strconv.Atoi(m[1]); next != len(shown) {
		t.Fatalf("advice continues at offset %d, but only %d rows were shown", next, len(shown))
	}
	if strings.Contains(text, "offset 1000") || strings.Contains(text, "last page") {
		t.Fatalf("the advice still assumes the whole page was shown:\n%.600s", text)
	}

	// Following the advice gives the next row, with none skipped.
	_, next := h.Data(t, "query-records", map[string]any{"table": "many", "limit": 1, "offset": len(shown), "order": "title.asc"})
	got := next["rows"].([]any)[0].(map[string]any)["title"].(string)
	if want := fmt.Sprintf("row %04d", len(shown)); !strings.HasPrefix(got, want) {
		t.Fatalf("the row after the cut is %q, want %s…", got, want)
	}
}
