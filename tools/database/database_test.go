package database_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// ---- helpers ----

var dbAllDatabaseTools = []string{
	"run-raw-sql", "run-unrestricted-sql", "list-tables", "create-table", "alter-table", "delete-table",
	"query-records", "insert-records", "update-records", "delete-records", "bulk-upsert",
	"list-db-functions", "list-indexes", "list-policies", "list-triggers",
	"list-migrations", "apply-migration", "dry-run-migration",
}

// dbReadOnlyDatabaseTools are served in --read-only mode.
var dbReadOnlyDatabaseTools = []string{
	"run-raw-sql", "list-tables", "query-records", "list-db-functions", "list-indexes",
	"list-policies", "list-triggers", "list-migrations", "dry-run-migration",
}

func dbNewDB(t *testing.T) *testmcp.Harness {
	t.Helper()
	return testmcp.New(t, testmcp.Options{Selection: tools.Selection{Features: []tools.Feature{tools.UnrestrictedSQL}}})
}

func dbSeedTodos(h *testmcp.Harness) {
	h.Backend.AddTable("todos", insforgefake.AutoColumns(
		insforgefake.Column{Name: "title", Type: "string"},
		insforgefake.Column{Name: "done", Type: "boolean", Default: "false"},
		insforgefake.Column{Name: "rank", Type: "integer", Nullable: true},
	),
		map[string]any{"title": "alpha", "done": false, "rank": 1},
		map[string]any{"title": "beta", "done": true, "rank": 2},
		map[string]any{"title": "gamma", "done": false, "rank": 3},
		map[string]any{"title": "delta", "done": false, "rank": 4},
		map[string]any{"title": "epsilon", "done": true, "rank": 5},
	)
}

// dbCheckAuth asserts the request carried the admin key as a Bearer token.
func dbCheckAuth(t *testing.T, req insforgefake.Request) {
	t.Helper()
	if got := req.Header.Get("Authorization"); got != "Bearer "+insforgefake.DefaultAPIKey {
		t.Errorf("%s %s: Authorization = %q, want the admin key as Bearer", req.Method, req.Path, got)
	}
	if req.APIKey != insforgefake.DefaultAPIKey {
		t.Errorf("%s %s: API key = %q", req.Method, req.Path, req.APIKey)
	}
}

func dbBodyJSON(t *testing.T, req insforgefake.Request) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(req.Body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v (%s)", req.Method, req.Path, err, req.Body)
	}
	return v
}

func dbJsonEqual(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON %s: %v", want, err)
	}
	g, _ := json.Marshal(got)
	var gv any
	_ = json.Unmarshal(g, &gv)
	gn, _ := json.Marshal(gv)
	wn, _ := json.Marshal(w)
	if !bytes.Equal(gn, wn) {
		t.Errorf("%s = %s, want %s", what, gn, wn)
	}
}

// dbStructured calls a tool and returns its text and dbStructured content.
func dbStructured(t *testing.T, h *testmcp.Harness, name string, args map[string]any) (string, map[string]any) {
	t.Helper()
	res := h.Call(t, name, args)
	text := testmcp.Text(res)
	if res.IsError {
		t.Fatalf("%s failed: %s", name, text)
	}
	data, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil || out == nil {
		t.Fatalf("%s: no structured content (%v): %s", name, err, text)
	}
	return text, out
}

func dbRowsOf(t *testing.T, m map[string]any) []map[string]any {
	t.Helper()
	arr, ok := m["rows"].([]any)
	if !ok {
		t.Fatalf("no rows array in %v", m)
	}
	out := make([]map[string]any, len(arr))
	for i, r := range arr {
		out[i], _ = r.(map[string]any)
	}
	return out
}

// ---- catalogue ----

func TestDatabaseToolsListed(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	names := h.ToolNames(t)
	for _, n := range dbAllDatabaseTools {
		if !slices.Contains(names, n) {
			t.Errorf("%s is not listed", n)
		}
	}

	testmcp.WantHints(t, h.ListTools(t), map[string][4]bool{
		"run-raw-sql":       {false, true, false, true},
		"bulk-upsert":       {false, true, false, true},
		"apply-migration":   {false, true, false, true},
		"dry-run-migration": {true, false, true, true},
		"query-records":     {true, false, true, true},
		"insert-records":    {false, false, false, true},
		"delete-table":      {false, true, true, true},
	})
}

func TestDatabaseToolSchemasMatchOfficialNames(t *testing.T) {
	t.Parallel()
	byName := map[string]tools.Tool{}
	for _, tl := range catalogue.All() {
		byName[tl.Name] = tl
	}
	for name, want := range map[string][]string{
		"run-raw-sql": {"params", "query"},
		"bulk-upsert": {"filePath", "schema", "table", "upsertKey"},
	} {
		tl, ok := byName[name]
		if !ok {
			t.Fatalf("%s missing", name)
		}
		if !slices.Equal(tl.Params(), want) {
			t.Errorf("%s params = %v, want %v", name, tl.Params(), want)
		}
		if slices.Contains(tl.Params(), "apiKey") {
			t.Errorf("%s declares apiKey", name)
		}
	}
	var s struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	_ = json.Unmarshal(byName["run-raw-sql"].Schema(), &s)
	if s.Properties["query"]["minLength"] != float64(1) || s.Properties["params"]["type"] != "array" {
		t.Errorf("run-raw-sql schema: %v", s.Properties)
	}
}

func TestDatabaseToolsReadOnlyMode(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{Selection: tools.Selection{ReadOnly: true, Features: []tools.Feature{tools.UnrestrictedSQL}}})
	names := h.ToolNames(t)
	for _, n := range dbAllDatabaseTools {
		want := slices.Contains(dbReadOnlyDatabaseTools, n)
		if got := slices.Contains(names, n); got != want {
			t.Errorf("read-only mode: %s listed = %v, want %v", n, got, want)
		}
	}
}

func TestUnrestrictedSQLNeedsFeature(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	if slices.Contains(h.ToolNames(t), "run-unrestricted-sql") {
		t.Error("run-unrestricted-sql is listed without --allow-unrestricted-sql")
	}
	if !slices.Contains(h.ToolNames(t), "run-raw-sql") {
		t.Error("run-raw-sql is missing")
	}
}

// ---- raw SQL ----

func TestRunRawSQL(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	dbSeedTodos(h)

	text, out := dbStructured(t, h, "run-raw-sql", map[string]any{
		"query":  "SELECT title FROM todos WHERE done = $1 ORDER BY title",
		"params": []any{true},
		"apiKey": "ignored",
	})
	req := h.Last(t, "POST", "/api/database/advance/rawsql")
	dbCheckAuth(t, req)
	dbJsonEqual(t, "request body", dbBodyJSON(t, req), `{"query":"SELECT title FROM todos WHERE done = $1 ORDER BY title","params":[true]}`)
	testmcp.WantText(t, text, "returned 2 rows", "beta", "epsilon")
	testmcp.WantUntrusted(t, text)
	rows := dbRowsOf(t, out)
	if len(rows) != 2 || rows[0]["title"] != "beta" {
		t.Errorf("rows = %v", rows)
	}
	if out["rowCount"] != json.Number("2") {
		t.Errorf("rowCount = %v", out["rowCount"])
	}
	if _, ok := out["fields"]; !ok {
		t.Errorf("no fields in %v", out)
	}

	// No params: none are sent.
	h.OK(t, "run-raw-sql", map[string]any{"query": "SELECT count(*) AS n FROM todos"})
	dbJsonEqual(t, "request body", dbBodyJSON(t, h.Last(t, "POST", "/api/database/advance/rawsql")), `{"query":"SELECT count(*) AS n FROM todos"}`)
}

func TestRunRawSQLResultShapes(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	dbSeedTodos(h)

	// Multi-statement quirk: {rows: []} without rowCount.
	text := h.OK(t, "run-raw-sql", map[string]any{"query": "UPDATE todos SET rank = 0 WHERE title = 'alpha'; SELECT 1"})
	testmcp.WantText(t, text, "All statements ran", "per-statement results")

	// A write without RETURNING.
	text = h.OK(t, "run-raw-sql", map[string]any{"query": "UPDATE todos SET rank = 9 WHERE done = true"})
	testmcp.WantText(t, text, "affected 2 rows", "RETURNING")

	var handled []string
	big := json.Number("9007199254740993") // beyond float64 precision
	h.Backend.SetSQLHandler(func(q string, params []any) (insforgefake.SQLResult, error) {
		handled = append(handled, q)
		if strings.HasPrefix(q, "CREATE") {
			return insforgefake.SQLResult{Rows: []map[string]any{}}, nil
		}
		return insforgefake.SQLResult{Rows: []map[string]any{{"id": big}}, RowCount: dbPtr(1)}, nil
	})
	text = h.OK(t, "run-raw-sql", map[string]any{"query": "CREATE INDEX todos_title ON todos (title)"})
	testmcp.WantText(t, text, "no row count", "PostgREST reloads")
	// A bigint in the result survives (decoded as json.Number, not float64).
	text = h.OK(t, "run-raw-sql", map[string]any{"query": "SELECT id FROM big WHERE id = $1", "params": []any{"9007199254740993"}})
	testmcp.WantText(t, text, "9007199254740993", "returned 1 row")
	if len(handled) != 2 {
		t.Errorf("SQL handler saw %v", handled)
	}
}

func dbPtr[T any](v T) *T { return &v }

func TestRunRawSQLErrors(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)

	text := h.Fail(t, "run-raw-sql", map[string]any{"query": "SELECT * FROM nowhere"})
	testmcp.WantText(t, text, "400", "DATABASE_VALIDATION_ERROR", "nowhere")

	// The backend's guard answers 403; the agent hears about run-unrestricted-sql.
	text = h.Fail(t, "run-raw-sql", map[string]any{"query": "BEGIN"})
	testmcp.WantText(t, text, "403", "FORBIDDEN", "run-unrestricted-sql")

	// The parser's 403 is a typo first: said before the backend's words,
	// without the advice about protected schemas.
	text = h.Fail(t, "run-raw-sql", map[string]any{"query": "SELEC 1"})
	if !strings.HasPrefix(text, "This looks like a SQL syntax error") || strings.Contains(text, "run-unrestricted-sql") || strings.Contains(text, "protected") || !strings.Contains(text, "untrusted-data-") {
		t.Errorf("SELEC 1: %s", text)
	}
	testmcp.WantText(t, text, "403", "could not be parsed")

	// Schema validation: queryOf must not be empty.
	before := h.Count("", "/api/database/advance/rawsql")
	h.Fail(t, "run-raw-sql", map[string]any{"query": ""})
	if h.Count("", "/api/database/advance/rawsql") != before {
		t.Error("an empty query reached the backend")
	}
}

func TestRunRawSQLReadOnly(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{Selection: tools.Selection{ReadOnly: true}})
	dbSeedTodos(h)

	for _, q := range []string{
		"INSERT INTO todos (title) VALUES ('x')",
		"SELECT 1; DELETE FROM todos",
		"WITH d AS (DELETE FROM todos RETURNING *) SELECT * FROM d",
		"EXPLAIN ANALYZE DELETE FROM todos",
		"SELECT * INTO copy FROM todos",
		`SELECT U&"nextv\0061l"('todos_id_seq')`,
		`SELECT U&"setv!0061l" UESCAPE '!' ('todos_id_seq', 1)`,
		"SELECT query_to_xml('DELETE FROM todos RETURNING 1', true, false, '')",
		"SELECT public.archive_todos()",
	} {
		text := h.Fail(t, "run-raw-sql", map[string]any{"query": q})
		testmcp.WantText(t, text, "read-only mode", "restart the server without --read-only", "Refused without contacting the backend")
		if strings.HasPrefix(q, "INSERT") {
			testmcp.WantText(t, text, "starts with INSERT")
		}
		if strings.HasPrefix(q, "SELECT 1;") {
			testmcp.WantText(t, text, "statement 2 starts with DELETE")
		}
	}
	if n := len(h.Backend.Requests()); n != 0 {
		t.Fatalf("refused queries sent %d requests to the backend", n)
	}
	if got := len(h.Backend.Rows("todos")); got != 5 {
		t.Fatalf("todos has %d rows", got)
	}

	text := h.OK(t, "run-raw-sql", map[string]any{"query": "SELECT title FROM todos WHERE done = false -- ; DELETE FROM todos"})
	testmcp.WantText(t, text, "returned 3 rows")
	testmcp.WantUntrusted(t, text)
	dbCheckAuth(t, h.Last(t, "POST", "/api/database/advance/rawsql"))
}

func TestRunUnrestrictedSQL(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	dbSeedTodos(h)
	text, out := dbStructured(t, h, "run-unrestricted-sql", map[string]any{"query": "SELECT title FROM todos WHERE rank = $1", "params": []any{3}})
	req := h.Last(t, "POST", "/api/database/advance/rawsql/unrestricted")
	dbCheckAuth(t, req)
	dbJsonEqual(t, "request body", dbBodyJSON(t, req), `{"query":"SELECT title FROM todos WHERE rank = $1","params":[3]}`)
	testmcp.WantText(t, text, "returned 1 row", "gamma")
	testmcp.WantUntrusted(t, text)
	if rows := dbRowsOf(t, out); len(rows) != 1 {
		t.Errorf("rows = %v", rows)
	}

	h.Backend.Fail("POST", "/api/database/advance/rawsql/unrestricted", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "syntax error at or near \"SELEC\""})
	text = h.Fail(t, "run-unrestricted-sql", map[string]any{"query": "SELEC 1"})
	testmcp.WantText(t, text, "500", "syntax error")
	if strings.Contains(text, "run-unrestricted-sql runs as") {
		t.Errorf("run-unrestricted-sql should not suggest itself: %s", text)
	}
}

// ---- tables ----

func TestListTables(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	dbSeedTodos(h)
	h.Backend.AddTable("authors", insforgefake.AutoColumns(insforgefake.Column{Name: "name", Type: "string"}))

	text, out := dbStructured(t, h, "list-tables", nil)
	req := h.Last(t, "GET", "/api/database/tables")
	dbCheckAuth(t, req)
	if req.RawQuery != "" {
		t.Errorf("query = %q, want none for the default schema", req.RawQuery)
	}
	testmcp.WantText(t, text, "2 tables in schema public")
	testmcp.WantUntrusted(t, text)
	dbJsonEqual(t, "structured", out, `{"schema":"public","tables":["authors","todos"]}`)

	h.OK(t, "list-tables", map[string]any{"schema": "storage"})
	if q := testmcp.QueryOf(t, h.Last(t, "GET", "/api/database/tables")); q.Get("schema") != "storage" {
		t.Errorf("schema query = %v", q)
	}

	text = h.Fail(t, "list-tables", map[string]any{"schema": "pg_catalog"})
	testmcp.WantText(t, text, "400", "INVALID_INPUT")
}

func TestCreateTable(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	h.Backend.AddTable("authors", insforgefake.AutoColumns(insforgefake.Column{Name: "name", Type: "string"}))

	text, out := dbStructured(t, h, "create-table", map[string]any{
		"tableName": "posts",
		"columns": []any{
			map[string]any{"columnName": "title", "type": "string", "isNullable": false, "isUnique": false},
			map[string]any{"columnName": "status", "type": "string", "isNullable": false, "isUnique": false, "defaultValue": "draft"},
			map[string]any{"columnName": "author_id", "type": "uuid", "isNullable": true, "isUnique": false},
		},
		"foreignKeys": []any{map[string]any{
			"referenceTable":   "authors",
			"referenceColumns": []any{map[string]any{"sourceColumn": "author_id", "referenceColumn": "id"}},
			"onDelete":         "SET NULL", "onUpdate": "CASCADE",
		}},
	})
	req := h.Last(t, "POST", "/api/database/tables")
	dbCheckAuth(t, req)
	dbJsonEqual(t, "request body", dbBodyJSON(t, req), `{"tableName":"posts","columns":[
		{"columnName":"title","type":"string","isNullable":false,"isUnique":false},
		{"columnName":"status","type":"string","isNullable":false,"isUnique":false,"defaultValue":"draft"},
		{"columnName":"author_id","type":"uuid","isNullable":true,"isUnique":false}],
		"foreignKeys":[{"referenceTable":"authors","referenceColumns":[{"sourceColumn":"author_id","referenceColumn":"id"}],"onDelete":"SET NULL","onUpdate":"CASCADE"}]}`)
	testmcp.WantText(t, text, "Created table public.posts", "Row-level security is on", "id, created_at and updated_at")
	testmcp.WantUntrusted(t, text)
	if out["tableName"] != "posts" {
		t.Errorf("structured = %v", out)
	}
	if !slices.Contains(h.Backend.Tables(), "posts") {
		t.Errorf("tables = %v", h.Backend.Tables())
	}

	// rlsEnabled false is sent; schema goes in the query.
	text = h.OK(t, "create-table", map[string]any{
		"tableName":  "notes",
		"columns":    []any{map[string]any{"columnName": "body", "type": "json", "isNullable": true, "isUnique": false}},
		"rlsEnabled": false,
	})
	body := dbBodyJSON(t, h.Last(t, "POST", "/api/database/tables")).(map[string]any)
	if body["rlsEnabled"] != false {
		t.Errorf("rlsEnabled = %v", body["rlsEnabled"])
	}
	testmcp.WantText(t, text, "Row-level security is off")

	// Duplicate: 400 DATABASE_DUPLICATE, with advice.
	text = h.Fail(t, "create-table", map[string]any{
		"tableName": "posts",
		"columns":   []any{map[string]any{"columnName": "x", "type": "string", "isNullable": true, "isUnique": false}},
	})
	testmcp.WantText(t, text, "DATABASE_DUPLICATE", "alter-table")

	// Backend validation: a system column with the wrong type.
	text = h.Fail(t, "create-table", map[string]any{
		"tableName": "bad",
		"columns":   []any{map[string]any{"columnName": "id", "type": "string", "isNullable": false, "isUnique": true}},
	})
	testmcp.WantText(t, text, "400", "DATABASE_VALIDATION_ERROR")

	// Column definitions are checked before any request: enums and the
	// required isNullable/isUnique inside the array.
	before := h.Count("POST", "/api/database/tables")
	for _, c := range []struct {
		col  map[string]any
		want string
	}{
		{map[string]any{"columnName": "x", "type": "varchar", "isNullable": true, "isUnique": false}, `type "varchar" is not supported`},
		{map[string]any{"columnName": "x", "type": "string", "isUnique": false}, "isNullable is required"},
		{map[string]any{"columnName": "x", "type": "string", "isNullable": true}, "isUnique is required"},
		{map[string]any{"type": "string", "isNullable": true, "isUnique": false}, "columnName is required"},
	} {
		text = h.Fail(t, "create-table", map[string]any{"tableName": "bad", "columns": []any{c.col}})
		testmcp.WantText(t, text, "columns[0]", c.want, "Nothing was sent")
	}
	text = h.Fail(t, "create-table", map[string]any{
		"tableName": "bad",
		"columns":   []any{map[string]any{"columnName": "x", "type": "uuid", "isNullable": true, "isUnique": false}},
		"foreignKeys": []any{map[string]any{"referenceTable": "authors", "onDelete": "DROP", "onUpdate": "CASCADE",
			"referenceColumns": []any{map[string]any{"sourceColumn": "x", "referenceColumn": "id"}}}},
	})
	testmcp.WantText(t, text, "foreignKeys[0].onDelete", "SET NULL")
	h.Fail(t, "create-table", map[string]any{"tableName": "bad", "columns": []any{}})
	if h.Count("POST", "/api/database/tables") != before {
		t.Error("an invalid column definition reached the backend")
	}
}

func TestAlterTable(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	dbSeedTodos(h)

	text, out := dbStructured(t, h, "alter-table", map[string]any{
		"tableName":     "todos",
		"addColumns":    []any{map[string]any{"columnName": "notes", "type": "string", "isNullable": true, "isUnique": false}},
		"dropColumns":   []any{"rank"},
		"updateColumns": []any{map[string]any{"columnName": "title", "newColumnName": "name"}},
		"renameTable":   map[string]any{"newTableName": "tasks"},
	})
	req := h.Last(t, "PATCH", "/api/database/tables/todos/schema")
	dbCheckAuth(t, req)
	dbJsonEqual(t, "request body", dbBodyJSON(t, req), `{
		"addColumns":[{"columnName":"notes","type":"string","isNullable":true,"isUnique":false}],
		"dropColumns":["rank"],
		"updateColumns":[{"columnName":"title","newColumnName":"name"}],
		"renameTable":{"newTableName":"tasks"}}`)
	testmcp.WantText(t, text, "Altered table public.tasks")
	testmcp.WantUntrusted(t, text)
	if ops, _ := out["operations"].([]any); len(ops) != 4 {
		t.Errorf("operations = %v", out["operations"])
	}
	if !slices.Contains(h.Backend.Tables(), "tasks") {
		t.Errorf("tables = %v", h.Backend.Tables())
	}

	text = h.Fail(t, "alter-table", map[string]any{"tableName": "tasks", "updateColumns": []any{map[string]any{"columnName": "name"}}})
	testmcp.WantText(t, text, "updateColumns[0] (name) changes nothing")
	text = h.Fail(t, "alter-table", map[string]any{"tableName": "tasks", "addColumns": []any{map[string]any{"columnName": "n", "type": "integer", "isUnique": false}}})
	testmcp.WantText(t, text, "addColumns[0] (n): isNullable is required")

	// No operation: refused locally.
	before := len(h.Backend.Requests())
	text = h.Fail(t, "alter-table", map[string]any{"tableName": "tasks"})
	testmcp.WantText(t, text, "at least one operation")
	if len(h.Backend.Requests()) != before {
		t.Error("an empty alter-table reached the backend")
	}

	// Unknown table: 404.
	text = h.Fail(t, "alter-table", map[string]any{"tableName": "nope", "dropColumns": []any{"x"}})
	testmcp.WantText(t, text, `Table "nope" does not exist`, "list-tables")

	// Dropping a system column: DATABASE_FORBIDDEN (not mistaken for a
	// missing table even if the status is 404).
	text = h.Fail(t, "alter-table", map[string]any{"tableName": "tasks", "dropColumns": []any{"id"}})
	testmcp.WantText(t, text, "DATABASE_FORBIDDEN", "id")
	if strings.Contains(text, "does not exist") {
		t.Errorf("a forbidden drop was reported as a missing table: %s", text)
	}
}

func TestDeleteTable(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	dbSeedTodos(h)
	text := h.OK(t, "delete-table", map[string]any{"tableName": "todos"})
	req := h.Last(t, "DELETE", "/api/database/tables/todos")
	dbCheckAuth(t, req)
	testmcp.WantText(t, text, "public.todos is gone")
	testmcp.WantUntrusted(t, text)
	if slices.Contains(h.Backend.Tables(), "todos") {
		t.Error("todos still exists")
	}

	h.OK(t, "delete-table", map[string]any{"tableName": "odd name/x", "schema": "archive"})
	all := h.Backend.Requests()
	req = all[len(all)-1]
	if req.Path != "/api/database/tables/odd name/x" || !strings.Contains(req.RawQuery, "schema=archive") {
		t.Errorf("request = %s %s?%s", req.Method, req.Path, req.RawQuery)
	}

	h.Backend.Fail("DELETE", "/api/database/tables/todos", &insforgefake.APIError{Status: 403, Code: "FORBIDDEN", Message: "must be owner of table todos"})
	text = h.Fail(t, "delete-table", map[string]any{"tableName": "todos"})
	testmcp.WantText(t, text, "403", "must be owner")
}

// ---- listings ----

func TestListings(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	dbSeedTodos(h)
	for tool, what := range map[string]string{
		"list-db-functions": "functions", "list-indexes": "indexes", "list-policies": "policies", "list-triggers": "triggers",
	} {
		t.Run(tool, func(t *testing.T) {
			path := "/api/database/" + what
			text, out := dbStructured(t, h, tool, nil)
			req := h.Last(t, "GET", path)
			dbCheckAuth(t, req)
			testmcp.WantText(t, text, "in schema public")
			testmcp.WantUntrusted(t, text)
			if _, ok := out[what].([]any); !ok {
				t.Errorf("structured = %v", out)
			}
			h.OK(t, tool, map[string]any{"schema": "app"})
			if q := testmcp.QueryOf(t, h.Last(t, "GET", path)); q.Get("schema") != "app" {
				t.Errorf("query = %v", q)
			}
			text = h.Fail(t, tool, map[string]any{"schema": "information_schema"})
			testmcp.WantText(t, text, "400", "INVALID_INPUT")
		})
	}
	// Tables created through the API get the updated_at trigger.
	h.OK(t, "create-table", map[string]any{"tableName": "notes", "columns": []any{map[string]any{"columnName": "body", "type": "string", "isNullable": true, "isUnique": false}}})
	text := h.OK(t, "list-triggers", nil)
	testmcp.WantText(t, text, "1 trigger in schema public", `"tableName":"notes"`, "update_updated_at")
	text = h.OK(t, "list-indexes", nil)
	testmcp.WantText(t, text, "todos_pkey")
}

// ---- migrations ----

func TestMigrations(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)

	text := h.OK(t, "list-migrations", nil)
	testmcp.WantText(t, text, "No migrations have been applied yet")
	dbCheckAuth(t, h.Last(t, "GET", "/api/database/migrations"))

	sql := "CREATE TABLE orders (id serial PRIMARY KEY, total integer NOT NULL)"
	text, out := dbStructured(t, h, "apply-migration", map[string]any{"version": "20260115093000", "name": "add-orders", "sql": sql})
	req := h.Last(t, "POST", "/api/database/migrations")
	dbCheckAuth(t, req)
	dbJsonEqual(t, "request body", dbBodyJSON(t, req), `{"version":"20260115093000","name":"add-orders","sql":"`+sql+`"}`)
	testmcp.WantText(t, text, "Applied migration 20260115093000 (add-orders)")
	testmcp.WantUntrusted(t, text)
	if out["version"] != "20260115093000" {
		t.Errorf("structured = %v", out)
	}
	if !slices.Contains(h.Backend.Tables(), "orders") {
		t.Errorf("tables = %v", h.Backend.Tables())
	}

	text, out = dbStructured(t, h, "list-migrations", nil)
	testmcp.WantText(t, text, "1 migration applied", "latest version is 20260115093000")
	if m, _ := out["migrations"].([]any); len(m) != 1 {
		t.Errorf("migrations = %v", out)
	}

	// Not newer: 409.
	text = h.Fail(t, "apply-migration", map[string]any{"version": "20260115093000", "name": "again", "sql": "SELECT 1"})
	testmcp.WantText(t, text, "409", "list-migrations", "Nothing was applied")

	// Guard: 403.
	text = h.Fail(t, "apply-migration", map[string]any{"version": "20260115093001", "name": "tx", "sql": "BEGIN; SELECT 1; COMMIT"})
	testmcp.WantText(t, text, "403", "FORBIDDEN")

	// Bad name or version: refused before any request.
	before := h.Count("POST", "/api/database/migrations")
	h.Fail(t, "apply-migration", map[string]any{"version": "v2", "name": "x", "sql": "SELECT 1"})
	h.Fail(t, "apply-migration", map[string]any{"version": "3", "name": "Add_Orders", "sql": "SELECT 1"})
	if h.Count("POST", "/api/database/migrations") != before {
		t.Error("an invalid migration reached the backend")
	}
}

func TestDryRunMigration(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	const path = "/api/database/migrations/dry-run"
	// The fake has no dry-run route: inject the backend's 200 answers.
	h.Backend.Fail("POST", path, &insforgefake.APIError{Status: 200, RawBody: []byte(
		`{"valid":true,"statementCount":1,"statements":["DROP TABLE todos"],"riskLevel":"DANGER","riskFactors":[{"code":"DROP_TABLE","description":"Drops a table and its data","level":"DANGER","statement":"DROP TABLE todos"}]}`)})
	text, out := dbStructured(t, h, "dry-run-migration", map[string]any{"sql": "DROP TABLE todos"})
	req := h.Last(t, "POST", path)
	dbCheckAuth(t, req)
	dbJsonEqual(t, "request body", dbBodyJSON(t, req), `{"sql":"DROP TABLE todos"}`)
	testmcp.WantText(t, text, "Dry run passed", "Risk level DANGER with 1 risk factor", "Confirm with the user")
	testmcp.WantUntrusted(t, text)
	if out["valid"] != true || out["riskLevel"] != "DANGER" {
		t.Errorf("structured = %v", out)
	}
	if f, _ := out["riskFactors"].([]any); len(f) != 1 {
		t.Errorf("riskFactors = %v", out["riskFactors"])
	}

	h.Backend.Fail("POST", path, &insforgefake.APIError{Status: 200, RawBody: []byte(
		`{"valid":false,"statementCount":0,"statements":[],"riskLevel":"SAFE","riskFactors":[],"error":"syntax error at or near \"CREAT\""}`)})
	text, out = dbStructured(t, h, "dry-run-migration", map[string]any{"sql": "CREAT TABLE x"})
	testmcp.WantText(t, text, "Dry run failed", "syntax error at or near")
	if out["valid"] != false || out["error"] == nil {
		t.Errorf("structured = %v", out)
	}

	h.Backend.Fail("POST", path, &insforgefake.APIError{Status: 429, Code: "TOO_MANY_REQUESTS", Message: "Too many dry runs"})
	text = h.Fail(t, "dry-run-migration", map[string]any{"sql": "SELECT 1"})
	testmcp.WantText(t, text, "429", "Too many dry runs")
}

// ---- records ----

func TestQueryRecords(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	dbSeedTodos(h)

	text, out := dbStructured(t, h, "query-records", map[string]any{
		"table":   "todos",
		"select":  "title,rank",
		"filters": map[string]any{"done": "eq.false", "rank": "gte.1"},
		"order":   "rank.asc",
		"limit":   2,
	})
	req := h.Last(t, "GET", "/api/database/records/todos")
	dbCheckAuth(t, req)
	if got := req.Header.Get("Prefer"); got != "count=exact" {
		t.Errorf("Prefer = %q", got)
	}
	q := testmcp.QueryOf(t, req)
	for k, v := range map[string]string{"select": "title,rank", "done": "eq.false", "rank": "gte.1", "order": "rank.asc", "limit": "2"} {
		if q.Get(k) != v {
			t.Errorf("query %s = %q, want %q (%s)", k, q.Get(k), v, req.RawQuery)
		}
	}
	if q.Has("offset") || q.Has("schema") {
		t.Errorf("unexpected query params: %s", req.RawQuery)
	}
	testmcp.WantText(t, text, "Rows 1-2 of 3 from public.todos", "offset 2")
	testmcp.WantUntrusted(t, text)
	rows := dbRowsOf(t, out)
	if len(rows) != 2 || rows[0]["title"] != "alpha" || rows[1]["title"] != "gamma" {
		t.Errorf("rows = %v", rows)
	}
	if out["total"] != json.Number("3") {
		t.Errorf("total = %v", out["total"])
	}

	// Last page.
	text = h.OK(t, "query-records", map[string]any{"table": "todos", "filters": map[string]any{"done": "eq.false"}, "order": "rank.asc", "limit": 2, "offset": 2})
	testmcp.WantText(t, text, "Rows 3-3 of 3", "last page")
	if q := testmcp.QueryOf(t, h.Last(t, "GET", "/api/database/records/todos")); q.Get("offset") != "2" {
		t.Errorf("offset = %q", q.Get("offset"))
	}

	// Default limit and logical filters.
	h.OK(t, "query-records", map[string]any{"table": "todos", "filters": map[string]any{"or": "(rank.eq.1,rank.eq.5)"}, "schema": "public"})
	q = testmcp.QueryOf(t, h.Last(t, "GET", "/api/database/records/todos"))
	if q.Get("limit") != "100" || q.Get("or") != "(rank.eq.1,rank.eq.5)" || q.Get("schema") != "public" {
		t.Errorf("query = %v", q)
	}

	// Local refusals: nothing sent.
	before := len(h.Backend.Requests())
	for args, want := range map[string]string{
		`{"table":"todos","filters":{"done":"false"}}`:  `not PostgREST filter syntax`,
		`{"table":"todos","filters":{"limit":"eq.5"}}`:  `PostgREST parameter`,
		`{"table":"todos","filters":{"or":"a.eq.1"}}`:   `parenthesised list`,
		`{"table":"todos","filters":{"title":"eqq.x"}}`: `not PostgREST filter syntax`,
	} {
		var m map[string]any
		_ = json.Unmarshal([]byte(args), &m)
		testmcp.WantText(t, h.Fail(t, "query-records", m), want)
	}
	h.Fail(t, "query-records", map[string]any{"table": "todos", "limit": 5000})
	if n := len(h.Backend.Requests()); n != before {
		t.Errorf("%d refused queries reached the backend", n-before)
	}

	// PostgREST error: unknown column.
	text = h.Fail(t, "query-records", map[string]any{"table": "todos", "filters": map[string]any{"nope": "eq.1"}})
	testmcp.WantText(t, text, "400")
}

func TestRecordsRetryWhilePostgRESTReloads(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	dbSeedTodos(h)
	const path = "/api/database/records/todos"

	// Two 404 {} answers (schema cache reloading), then the real answer.
	h.Backend.FailTimes("GET", path, 2, &insforgefake.APIError{Status: 404, RawBody: []byte(`{}`)})
	start := time.Now()
	text := h.OK(t, "query-records", map[string]any{"table": "todos"})
	testmcp.WantText(t, text, "of 5 from public.todos")
	if n := h.Count("GET", path); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	if d := time.Since(start); d < 700*time.Millisecond {
		t.Errorf("retries did not wait (%v)", d)
	}

	// The same for a write, with PostgREST 12.0's 42P01 body.
	h.Backend.FailTimes("POST", path, 1, &insforgefake.APIError{Status: 404, RawBody: []byte(`{"code":"42P01","details":null,"hint":null,"message":"relation \"public.todos\" does not exist"}`)})
	h.OK(t, "insert-records", map[string]any{"table": "todos", "records": []any{map[string]any{"title": "zeta"}}})
	if n := h.Count("POST", path); n != 2 {
		t.Errorf("%d POSTs, want 2", n)
	}
	if len(h.Backend.Rows("todos")) != 6 {
		t.Errorf("rows = %d", len(h.Backend.Rows("todos")))
	}

	// A table that never appears: 1 + 3 attempts, then advice.
	text = h.Fail(t, "query-records", map[string]any{"table": "todo"})
	testmcp.WantText(t, text, `Table "todo" not found in schema public`, "PostgREST may still be reloading", "list-tables")
	if n := h.Count("GET", "/api/database/records/todo"); n != 4 {
		t.Errorf("%d requests for a missing table, want 4", n)
	}

	// Other 404s (an HTML page: no such endpoint) are not retried.
	h.Backend.Fail("GET", path, &insforgefake.APIError{Status: 404, RawBody: []byte(`{"error":"NOT_FOUND","message":"Endpoint not found","statusCode":404}`)})
	before := h.Count("GET", path)
	h.Fail(t, "query-records", map[string]any{"table": "todos"})
	if n := h.Count("GET", path) - before; n != 1 {
		t.Errorf("a NOT_FOUND endpoint answer was retried (%d requests)", n)
	}
}

func TestInsertRecords(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	h.Backend.AddTable("people", insforgefake.AutoColumns(
		insforgefake.Column{Name: "email", Type: "string", Unique: true},
		insforgefake.Column{Name: "age", Type: "integer", Nullable: true},
	))

	text, out := dbStructured(t, h, "insert-records", map[string]any{
		"table":   "people",
		"records": []any{map[string]any{"email": "a@x.io", "age": 30}, map[string]any{"email": "b@x.io", "age": nil}},
	})
	req := h.Last(t, "POST", "/api/database/records/people")
	dbCheckAuth(t, req)
	if got := req.Header.Get("Prefer"); got != "return=representation" {
		t.Errorf("Prefer = %q", got)
	}
	dbJsonEqual(t, "request body", dbBodyJSON(t, req), `[{"email":"a@x.io","age":30},{"email":"b@x.io","age":null}]`)
	testmcp.WantText(t, text, "Inserted 2 rows into public.people")
	testmcp.WantUntrusted(t, text)
	rows := dbRowsOf(t, out)
	if len(rows) != 2 || rows[0]["id"] == nil || rows[0]["created_at"] == nil {
		t.Errorf("rows = %v", rows)
	}
	if len(h.Backend.Rows("people")) != 2 {
		t.Errorf("stored rows = %v", h.Backend.Rows("people"))
	}

	// Unique violation: 409.
	text = h.Fail(t, "insert-records", map[string]any{"table": "people", "records": []any{map[string]any{"email": "a@x.io"}}})
	testmcp.WantText(t, text, "409", "23505")

	// Records with different keys: refused locally.
	before := h.Count("POST", "/api/database/records/people")
	text = h.Fail(t, "insert-records", map[string]any{"table": "people", "records": []any{map[string]any{"email": "c@x.io"}, map[string]any{"email": "d@x.io", "age": 3}}})
	testmcp.WantText(t, text, "different keys", "Nothing was inserted")
	h.Fail(t, "insert-records", map[string]any{"table": "people", "records": []any{}})
	if h.Count("POST", "/api/database/records/people") != before {
		t.Error("refused inserts reached the backend")
	}
}

func TestUpdateRecords(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	dbSeedTodos(h)
	const path = "/api/database/records/todos"

	text, out := dbStructured(t, h, "update-records", map[string]any{
		"table": "todos", "filters": map[string]any{"done": "eq.true"}, "values": map[string]any{"rank": 10},
	})
	req := h.Last(t, "PATCH", path)
	dbCheckAuth(t, req)
	if got := req.Header.Get("Prefer"); got != "return=representation" {
		t.Errorf("Prefer = %q", got)
	}
	if q := testmcp.QueryOf(t, req); q.Get("done") != "eq.true" || len(q) != 1 {
		t.Errorf("query = %s", req.RawQuery)
	}
	dbJsonEqual(t, "request body", dbBodyJSON(t, req), `{"rank":10}`)
	testmcp.WantText(t, text, "Updated 2 rows in public.todos")
	testmcp.WantUntrusted(t, text)
	if rows := dbRowsOf(t, out); len(rows) != 2 || rows[0]["rank"] != json.Number("10") {
		t.Errorf("rows = %v", rows)
	}

	text = h.OK(t, "update-records", map[string]any{"table": "todos", "filters": map[string]any{"title": "eq.nobody"}, "values": map[string]any{"rank": 1}})
	testmcp.WantText(t, text, "nothing was updated")

	// Empty filters: refused unless allRows.
	before := h.Count("PATCH", path)
	text = h.Fail(t, "update-records", map[string]any{"table": "todos", "filters": map[string]any{}, "values": map[string]any{"rank": 0}})
	testmcp.WantText(t, text, "filters is empty", "allRows")
	h.Fail(t, "update-records", map[string]any{"table": "todos", "filters": map[string]any{"done": "eq.true"}, "values": map[string]any{}})
	if h.Count("PATCH", path) != before {
		t.Error("refused updates reached the backend")
	}
	text = h.OK(t, "update-records", map[string]any{"table": "todos", "filters": map[string]any{}, "values": map[string]any{"rank": 0}, "allRows": true})
	testmcp.WantText(t, text, "Updated 5 rows")
	if req := h.Last(t, "PATCH", path); req.RawQuery != "" {
		t.Errorf("allRows sent filters %q", req.RawQuery)
	}

	// PostgREST error: unknown column in values.
	text = h.Fail(t, "update-records", map[string]any{"table": "todos", "filters": map[string]any{"rank": "eq.0"}, "values": map[string]any{"nope": 1}})
	testmcp.WantText(t, text, "400", "PGRST204")
}

func TestDeleteRecords(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	dbSeedTodos(h)
	const path = "/api/database/records/todos"

	text, out := dbStructured(t, h, "delete-records", map[string]any{"table": "todos", "filters": map[string]any{"rank": "in.(1,2)"}})
	req := h.Last(t, "DELETE", path)
	dbCheckAuth(t, req)
	if got := req.Header.Get("Prefer"); got != "return=representation" {
		t.Errorf("Prefer = %q", got)
	}
	if q := testmcp.QueryOf(t, req); q.Get("rank") != "in.(1,2)" {
		t.Errorf("query = %s", req.RawQuery)
	}
	testmcp.WantText(t, text, "Deleted 2 rows from public.todos")
	testmcp.WantUntrusted(t, text)
	if rows := dbRowsOf(t, out); len(rows) != 2 {
		t.Errorf("rows = %v", rows)
	}
	if len(h.Backend.Rows("todos")) != 3 {
		t.Errorf("stored rows = %d", len(h.Backend.Rows("todos")))
	}

	before := h.Count("DELETE", path)
	text = h.Fail(t, "delete-records", map[string]any{"table": "todos", "filters": map[string]any{}})
	testmcp.WantText(t, text, "filters is empty", "allRows", "Nothing was deleted")
	if h.Count("DELETE", path) != before {
		t.Error("a delete without filters reached the backend")
	}

	h.Backend.Fail("DELETE", path, &insforgefake.APIError{Status: 409, RawBody: []byte(`{"code":"23503","details":"Key is still referenced from table \"comments\".","hint":null,"message":"update or delete on table \"todos\" violates foreign key constraint"}`)})
	text = h.Fail(t, "delete-records", map[string]any{"table": "todos", "filters": map[string]any{"rank": "eq.3"}})
	testmcp.WantText(t, text, "409", "23503", "foreign key")
	h.Backend.Fail("DELETE", path, nil)

	text = h.OK(t, "delete-records", map[string]any{"table": "todos", "filters": map[string]any{}, "allRows": true})
	testmcp.WantText(t, text, "Deleted 3 rows")
	if len(h.Backend.Rows("todos")) != 0 {
		t.Error("rows left")
	}
}

// ---- bulk upsert ----

type dbFormPart struct {
	filename, contentType string
	data                  string
}

// dbParseForm decodes the multipart body the fake received.
func dbParseForm(t *testing.T, req insforgefake.Request) map[string]dbFormPart {
	t.Helper()
	mt, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("Content-Type = %q", req.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(bytes.NewReader(req.Body), params["boundary"])
	out := map[string]dbFormPart{}
	var order []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		data, _ := io.ReadAll(p)
		out[p.FormName()] = dbFormPart{filename: p.FileName(), contentType: p.Header.Get("Content-Type"), data: string(data)}
		order = append(order, p.FormName())
	}
	if len(order) > 0 && order[len(order)-1] != "file" {
		t.Errorf("form fields %v: the file should come last", order)
	}
	return out
}

func TestBulkUpsertCSV(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	h.Backend.AddTable("people", insforgefake.AutoColumns(
		insforgefake.Column{Name: "email", Type: "string", Unique: true},
		insforgefake.Column{Name: "age", Type: "integer", Nullable: true},
	), map[string]any{"email": "a@x.io", "age": 1})
	csv := "email,age\na@x.io,31\nb@x.io,22\n"
	file := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}

	text, out := dbStructured(t, h, "bulk-upsert", map[string]any{"table": "people", "filePath": file, "upsertKey": "email"})
	req := h.Last(t, "POST", "/api/database/advance/bulk-upsert")
	dbCheckAuth(t, req)
	if req.Header.Get("Content-Length") != "" {
		t.Errorf("the upload has a Content-Length (%s): it was not streamed", req.Header.Get("Content-Length"))
	}
	form := dbParseForm(t, req)
	if form["table"].data != "people" || form["upsertKey"].data != "email" {
		t.Errorf("form = %+v", form)
	}
	if _, ok := form["schema"]; ok {
		t.Error("schema sent although not given")
	}
	if f := form["file"]; f.filename != "people.csv" || f.data != csv || f.contentType != "text/csv" {
		t.Errorf("file part = %+v", f)
	}
	testmcp.WantText(t, text, "Loaded people.csv", "into public.people", "were updated")
	testmcp.WantUntrusted(t, text)
	if out["table"] != "people" {
		t.Errorf("structured = %v", out)
	}
	rows := h.Backend.Rows("people")
	if len(rows) != 2 {
		t.Fatalf("rows = %v", rows)
	}
	for _, r := range rows {
		if r["email"] == "a@x.io" && r["age"] != float64(31) {
			t.Errorf("a@x.io was not updated: %v", r)
		}
	}
}

func TestBulkUpsertJSON(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	dbSeedTodos(h)
	payload := `[{"title":"from json","done":true,"rank":7},{"title":"second","done":false,"rank":8}]`
	file := filepath.Join(t.TempDir(), "Todos.JSON")
	if err := os.WriteFile(file, []byte(payload), 0o600); err != nil {
		t.Fatal(err)
	}
	text := h.OK(t, "bulk-upsert", map[string]any{"table": "todos", "filePath": file, "schema": "public"})
	form := dbParseForm(t, h.Last(t, "POST", "/api/database/advance/bulk-upsert"))
	if form["table"].data != "todos" || form["schema"].data != "public" {
		t.Errorf("form = %+v", form)
	}
	if _, ok := form["upsertKey"]; ok {
		t.Error("upsertKey sent although not given")
	}
	if f := form["file"]; f.filename != "Todos.JSON" || f.data != payload || f.contentType != "application/json" {
		t.Errorf("file part = %+v", f)
	}
	testmcp.WantText(t, text, "Loaded Todos.JSON")
	testmcp.WantUntrusted(t, text)
	if n := len(h.Backend.Rows("todos")); n != 7 {
		t.Errorf("rows = %d", n)
	}

	// Backend error: the upsert key is not in the data (400).
	text = h.Fail(t, "bulk-upsert", map[string]any{"table": "todos", "filePath": file, "upsertKey": "email"})
	testmcp.WantText(t, text, "400", "email")
}

func TestBulkUpsertRefusesBadFiles(t *testing.T) {
	t.Parallel()
	h := dbNewDB(t)
	dbSeedTodos(h)
	dir := t.TempDir()
	txt := filepath.Join(dir, "data.txt")
	_ = os.WriteFile(txt, []byte("a,b\n1,2\n"), 0o600)
	empty := filepath.Join(dir, "empty.csv")
	_ = os.WriteFile(empty, nil, 0o600)
	asDir := filepath.Join(dir, "folder.csv")
	_ = os.Mkdir(asDir, 0o700)

	for _, c := range []struct{ path, want string }{
		{txt, "only .csv"},
		{filepath.Join(dir, "missing.csv"), "does not exist"},
		{"relative/missing.json", "working directory"},
		{asDir, "not a regular file"},
		{empty, "is empty"},
	} {
		text := h.Fail(t, "bulk-upsert", map[string]any{"table": "todos", "filePath": c.path})
		testmcp.WantText(t, text, c.want)
	}
	if n := h.Count("", "/api/database/advance/bulk-upsert"); n != 0 {
		t.Errorf("%d refused uploads reached the backend", n)
	}
}

func TestBulkUpsertBackendGone(t *testing.T) {
	t.Parallel()
	// An error answer before the body is read must not leave the streaming
	// goroutine blocked (the -race run and the test timeout catch it).
	h := dbNewDB(t)
	h.Backend.Fail("POST", "/api/database/advance/bulk-upsert", &insforgefake.APIError{Status: http.StatusRequestEntityTooLarge, Code: "STORAGE_INVALID_PARAMETER", Message: "File too large"})
	file := filepath.Join(t.TempDir(), "big.csv")
	_ = os.WriteFile(file, bytes.Repeat([]byte("title\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"), 1<<14), 0o600)
	text := h.Fail(t, "bulk-upsert", map[string]any{"table": "todos", "filePath": file})
	testmcp.WantText(t, text, "413", "smaller")
}

// Not parallel: the 2.5 MiB upload takes over a second of CPU under the
// race detector, and the test client gives a call 5 s.
func TestBulkUpsertProgressAndRemote(t *testing.T) {
	h := dbNewDB(t)
	h.Backend.AddTable("lines", insforgefake.AutoColumns(insforgefake.Column{Name: "line", Type: "string"}))
	var b strings.Builder
	b.WriteString("line\n")
	long := strings.Repeat("a long line of text ", 200) // few rows keep the fake fast
	for b.Len() < 5<<19 {                               // about 2.5 MiB
		b.WriteString(long + "\n")
	}
	file := filepath.Join(t.TempDir(), "lines.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = "bulk-upsert"
	req.Params.Arguments = map[string]any{"table": "lines", "filePath": file}
	req.Params.Meta = &mcp.Meta{ProgressToken: "upload-1"}
	res, err := h.Client.CallTool(context.Background(), req)
	if err != nil || res.IsError {
		t.Fatalf("bulk-upsert: %v %s", err, testmcp.Text(res))
	}
	var progress []map[string]any
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		progress = progress[:0]
		for _, n := range h.Notifications() {
			if n.Method == string(mcp.MethodNotificationProgress) {
				progress = append(progress, n.Params.AdditionalFields)
			}
		}
		if len(progress) >= 3 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(progress) < 3 {
		t.Fatalf("progress notifications: %v", progress)
	}
	last := progress[len(progress)-1]
	if last["progressToken"] != "upload-1" || last["progress"] != last["total"] {
		t.Errorf("last progress = %v", last)
	}
	if n := len(h.Backend.Rows("lines")); n < 500 {
		t.Errorf("rows = %d", n)
	}

	remote := testmcp.New(t, testmcp.Options{Remote: true})
	text := remote.Fail(t, "bulk-upsert", map[string]any{"table": "lines", "filePath": "/no/such/dir/x.csv"})
	testmcp.WantText(t, text, "reached over HTTP", "does not read or write its own files", "--files-root")
}
