package tools_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/tools"
)

// sqlResult10k is the body of a run-raw-sql answer with 10,000 rows of six
// columns (about 1.4 MB of JSON), as the backend sends it.
func sqlResult10k(tb testing.TB) []byte {
	tb.Helper()
	rows := make([]map[string]any, 10000)
	for i := range rows {
		rows[i] = map[string]any{
			"id":         fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i),
			"title":      fmt.Sprintf("Task number %d: write <the> \"report\" & ship it", i),
			"done":       i%3 == 0,
			"priority":   i % 5,
			"score":      float64(i) * 1.25,
			"created_at": "2026-01-02T03:04:05.678Z",
		}
	}
	fields := []map[string]any{}
	for _, f := range []string{"id", "title", "done", "priority", "score", "created_at"} {
		fields = append(fields, map[string]any{"name": f, "dataTypeID": 25})
	}
	body, err := json.Marshal(map[string]any{"rows": rows, "rowCount": len(rows), "fields": fields})
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// decodeSQL decodes the body the way run-raw-sql does (numbers kept as
// json.Number) into the data it hands to Found.
func decodeSQL(body []byte) (map[string]any, error) {
	var out struct {
		Rows     []any    `json:"rows"`
		RowCount *float64 `json:"rowCount"`
		Fields   []any    `json:"fields"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return map[string]any{"rows": out.Rows, "rowCount": out.RowCount, "fields": out.Fields}, nil
}

// BenchmarkRender10kRows measures the JSON handling of a 10,000-row SQL
// result: decoding the backend's answer, and rendering it for the agent
// within the default 100,000-byte cap (the rows are cut to fit) or
// uncapped.
func BenchmarkRender10kRows(b *testing.B) {
	body := sqlResult10k(b)
	data, err := decodeSQL(body)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeSQL(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("render-capped-100000", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			_ = tools.Found("The query returned 10000 rows.", data).Render(100000)
		}
	})
	b.Run("decode+render-capped-100000", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			d, err := decodeSQL(body)
			if err != nil {
				b.Fatal(err)
			}
			_ = tools.Found("The query returned 10000 rows.", d).Render(100000)
		}
	})
	b.Run("render-uncapped", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			_ = tools.Found("The query returned 10000 rows.", data).Render(0)
		}
	})
}

// TestRender10kRowsFitsTheCap: the benchmark's input is cut to the cap,
// with a note, and stays valid.
func TestRender10kRowsFitsTheCap(t *testing.T) {
	data, err := decodeSQL(sqlResult10k(t))
	if err != nil {
		t.Fatal(err)
	}
	r := tools.Found("The query returned 10000 rows.", data).Render(100000)
	if len(r.Text) > 100000 || !r.Truncated || !strings.Contains(r.Text, "Result truncated") {
		t.Fatalf("rendered %d bytes, truncated=%v: %.300s", len(r.Text), r.Truncated, r.Text)
	}
	if r.Structured == nil {
		t.Fatal("a cut result lost its structured content")
	}
	if full := tools.Found("", data).Render(0); full.Truncated || len(full.Text) < 1000000 {
		t.Fatalf("uncapped render: %d bytes, truncated=%v", len(full.Text), full.Truncated)
	}
}
