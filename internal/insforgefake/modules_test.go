package insforgefake

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func bulk(t *testing.T, srv *Server, filename, content string, fields map[string]string) resp {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if filename != "" {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write([]byte(content))
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/api/database/advance/bulk-upsert", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: out.Bytes()}
}

func TestBulkUpsert(t *testing.T) {
	t.Parallel()
	srv := New(t)
	todoTable(srv)
	r := bulk(t, srv, "todos.csv", "title,slug,priority\nc1,s1,5\n\"c,2\",s2,\n", map[string]string{"table": "todos"})
	if r.status != 200 {
		t.Fatalf("csv: %d %s", r.status, r.body)
	}
	m := r.obj(t)
	if m["success"] != true || m["table"] != "todos" || m["rowsAffected"] != float64(2) || m["totalRecords"] != float64(2) || m["filename"] != "todos.csv" || m["message"] != "Successfully inserted 2 rows into todos" {
		t.Errorf("csv response = %s", r.body)
	}
	got := call(t, srv, "GET", "/api/database/records/todos?slug=in.(s1,s2)&select=title,priority&order=slug", nil)
	if string(got.body) != `[{"title":"c1","priority":5},{"title":"c,2","priority":null}]` {
		t.Errorf("rows after csv = %s", got.body)
	}

	// JSON with upsertKey: one update, one insert
	r = bulk(t, srv, "todos.json", `[{"slug":"a","title":"A!"},{"slug":"j1","title":"json"}]`, map[string]string{"table": "todos", "upsertKey": "slug"})
	if r.status != 200 || r.obj(t)["rowsAffected"] != float64(2) {
		t.Fatalf("json upsert: %d %s", r.status, r.body)
	}
	if n := len(srv.Rows("todos")); n != 7 {
		t.Errorf("rows = %d", n)
	}
	got = call(t, srv, "GET", "/api/database/records/todos?slug=eq.a&select=title,priority", nil)
	if string(got.body) != `[{"title":"A!","priority":1}]` {
		t.Errorf("upserted row = %s", got.body)
	}

	// errors
	wantError(t, bulk(t, srv, "todos.txt", "title\nx\n", map[string]string{"table": "todos"}), 400, "INVALID_INPUT", "Unsupported file type. Use .csv or .json")
	wantError(t, bulk(t, srv, "todos.csv", "", map[string]string{"table": "todos"}), 400, "INVALID_INPUT", "No records found in file")
	wantError(t, bulk(t, srv, "todos.json", "[]", map[string]string{"table": "todos"}), 400, "INVALID_INPUT", "No records found in file")
	wantError(t, bulk(t, srv, "todos.json", "[", map[string]string{"table": "todos"}), 400, "INVALID_INPUT", "")
	wantError(t, bulk(t, srv, "", "", map[string]string{"table": "todos"}), 400, "INVALID_INPUT", "File is required")
	wantError(t, bulk(t, srv, "todos.csv", "title\nx\n", nil), 400, "INVALID_INPUT", "")
	wantError(t, bulk(t, srv, "todos.csv", "title\nx\n", map[string]string{"table": ""}), 400, "INVALID_INPUT", "")
	wantError(t, bulk(t, srv, "x.csv", "title\nx\n", map[string]string{"table": "missing"}), 400, "INVALID_INPUT", `relation "public.missing" does not exist`)
	wantError(t, bulk(t, srv, "x.csv", "nope\nx\n", map[string]string{"table": "todos"}), 400, "INVALID_INPUT", `column "nope" of relation "todos" does not exist`)
	wantError(t, bulk(t, srv, "x.csv", "title,slug\nx,a\n", map[string]string{"table": "todos"}), 400, "INVALID_INPUT", `duplicate key value violates unique constraint "todos_slug_key"`)
	wantError(t, bulk(t, srv, "x.csv", "title,slug\nx,zz\n", map[string]string{"table": "todos", "upsertKey": "title"}), 400, "INVALID_INPUT", "")
	wantError(t, bulk(t, srv, "x.json", `[{"title":"x"}]`, map[string]string{"table": "todos", "upsertKey": "slug"}), 400, "INVALID_INPUT", "Upsert key 'slug' not found in record columns")
	if n := len(srv.Rows("todos")); n != 7 {
		t.Errorf("failed uploads changed rows: %d", n)
	}
	wantError(t, call(t, srv, "POST", "/api/database/advance/bulk-upsert", nil, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "")
}

func migrate(t *testing.T, srv *Server, version, name, sql string) resp {
	t.Helper()
	return call(t, srv, "POST", "/api/database/migrations", map[string]any{"version": version, "name": name, "sql": sql})
}

func TestMigrations(t *testing.T) {
	t.Parallel()
	srv := New(t)
	if r := call(t, srv, "GET", "/api/database/migrations", nil); string(r.body) != `{"migrations":[]}` {
		t.Errorf("empty list = %s", r.body)
	}
	r := migrate(t, srv, "20260101000000", "create-items", "create table items (id serial primary key, name text not null);\ninsert into items (name) values ('one');")
	if r.status != 201 {
		t.Fatalf("apply: %d %s", r.status, r.body)
	}
	m := r.obj(t)
	if m["version"] != "20260101000000" || m["name"] != "create-items" || m["createdAt"] == nil || m["message"] != "Migration executed successfully" ||
		!reflect.DeepEqual(m["statements"], []any{"create table items (id serial primary key, name text not null)", "insert into items (name) values ('one')"}) {
		t.Errorf("apply response = %s", r.body)
	}
	if len(srv.Rows("items")) != 1 {
		t.Errorf("migration SQL not executed")
	}
	if r = migrate(t, srv, "20260102000000", "add-col", "alter table items add column qty integer default 1"); r.status != 201 {
		t.Fatalf("second: %d %s", r.status, r.body)
	}
	list := call(t, srv, "GET", "/api/database/migrations", nil).obj(t)["migrations"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["version"] != "20260102000000" {
		t.Errorf("list (newest first) = %v", list)
	}
	if !reflect.DeepEqual(srv.Migrations(), []string{"20260101000000_create-items", "20260102000000_add-col"}) {
		t.Errorf("Migrations() = %v", srv.Migrations())
	}
	wantError(t, migrate(t, srv, "20260102000000", "again", "select 1"), 409, "DATABASE_MIGRATION_ALREADY_EXISTS", "Migration version must be newer than the latest applied migration.")
	wantError(t, migrate(t, srv, "20250101000000", "older", "select 1"), 409, "DATABASE_MIGRATION_ALREADY_EXISTS", "")
	wantError(t, migrate(t, srv, "v3", "x", "select 1"), 400, "INVALID_INPUT", "")
	wantError(t, migrate(t, srv, "3", "Bad_Name", "select 1"), 400, "INVALID_INPUT", "")
	wantError(t, call(t, srv, "POST", "/api/database/migrations", map[string]any{}), 400, "INVALID_INPUT", "")
	wantError(t, migrate(t, srv, "30000000000000", "tx", "begin; create table t2 (a int); commit;"), 403, "FORBIDDEN", "Transaction control statements are not allowed.")
	// a failing migration is rolled back and not recorded
	wantError(t, migrate(t, srv, "30000000000000", "broken", "create table t3 (a int); insert into nope values (1)"), 400, "DATABASE_VALIDATION_ERROR", "")
	if len(srv.Tables()) != 1 || len(srv.Migrations()) != 2 {
		t.Errorf("after failure: tables %v, migrations %v", srv.Tables(), srv.Migrations())
	}
	// versions compare numerically
	if r = migrate(t, srv, "100000000000000", "bigger", "select 1"); r.status != 201 {
		t.Errorf("longer version: %d %s", r.status, r.body)
	}
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	srv := New(t)
	todoTable(srv)
	r := call(t, srv, "GET", "/api/metadata", nil)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := r.obj(t)
	for _, k := range []string{"auth", "database", "storage", "functions", "realtime", "version"} {
		if _, ok := m[k]; !ok {
			t.Errorf("metadata lacks %s: %s", k, r.body)
		}
	}
	db := m["database"].(map[string]any)
	if !reflect.DeepEqual(db["tables"], []any{map[string]any{"tableName": "todos", "recordCount": float64(4)}}) {
		t.Errorf("database = %v", db)
	}
	if _, ok := db["totalSizeInGB"].(float64); !ok {
		t.Errorf("totalSizeInGB = %v", db["totalSizeInGB"])
	}
	if st := m["storage"].(map[string]any); !reflect.DeepEqual(st["buckets"], []any{}) {
		t.Errorf("storage = %v", st)
	}
	if !reflect.DeepEqual(m["functions"], []any{}) || m["version"] != "2.3.1" {
		t.Errorf("functions/version = %v %v", m["functions"], m["version"])
	}

	wantError(t, call(t, srv, "GET", "/api/metadata", nil, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "No admin token provided")

	if r = call(t, srv, "GET", "/api/metadata/anon-key", nil); string(r.body) != `{"anonKey":"`+DefaultAnonKey+`"}` {
		t.Errorf("anon-key = %s", r.body)
	}
	if r = call(t, srv, "GET", "/api/metadata/database", nil); !reflect.DeepEqual(r.obj(t)["tables"], db["tables"]) {
		t.Errorf("metadata/database = %s", r.body)
	}
	if r = call(t, srv, "GET", "/api/metadata/auth", nil); r.obj(t)["smtpConfig"] == nil {
		t.Errorf("metadata/auth = %s", r.body)
	}
}

func TestLargeBatchesAreFast(t *testing.T) {
	t.Parallel()
	srv := New(t)
	srv.AddTable("lines", AutoColumns(Column{Name: "line", Type: "string"}, Column{Name: "n", Type: "integer", Nullable: true, Unique: true}))
	var b strings.Builder
	b.WriteString("line,n\n")
	const n = 10000
	for i := 0; i < n; i++ {
		b.WriteString("some text," + strconv.Itoa(i) + "\n")
	}
	if r := bulk(t, srv, "lines.csv", b.String(), map[string]string{"table": "lines", "upsertKey": "n"}); r.status != 200 {
		t.Fatalf("bulk: %d %s", r.status, r.body)
	}
	if r := call(t, srv, "PATCH", "/api/database/records/lines?n=gte.0", map[string]any{"line": "patched"}); r.status != 204 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	mustSQL(t, srv, "update lines set line = 'again'")
	if got := len(srv.Rows("lines")); got != n {
		t.Errorf("rows = %d", got)
	}
}
