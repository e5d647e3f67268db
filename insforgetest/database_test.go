package insforgetest

import (
	"reflect"
	"strings"
	"testing"
)

func createPosts(t *testing.T, srv *Server) resp {
	t.Helper()
	return call(t, srv, "POST", "/api/database/tables", map[string]any{
		"tableName": "posts",
		"columns": []map[string]any{
			{"columnName": "title", "type": "string", "isNullable": false, "isUnique": false},
			{"columnName": "views", "type": "integer", "isNullable": true, "isUnique": false, "defaultValue": "0"},
			{"columnName": "slug", "type": "string", "isNullable": true, "isUnique": true},
			{"columnName": "published", "type": "boolean", "isNullable": false, "isUnique": false},
		},
	})
}

func TestCreateTable(t *testing.T) {
	srv := New(t)
	r := createPosts(t, srv)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	m := r.obj(t)
	if m["schemaName"] != "public" || m["tableName"] != "posts" || m["message"] != "table created successfully" || m["nextActions"] == nil {
		t.Errorf("create response = %s", r.body)
	}
	if !reflect.DeepEqual(m["autoFields"], []any{"id", "created_at", "updated_at"}) {
		t.Errorf("autoFields = %v", m["autoFields"])
	}
	cols := m["columns"].([]any)
	if len(cols) != 4 || cols[0].(map[string]any)["sqlType"] != "TEXT" || cols[1].(map[string]any)["sqlType"] != "INTEGER" {
		t.Errorf("columns = %v", cols)
	}

	// listing
	if got := call(t, srv, "GET", "/api/database/tables", nil).arr(t); !reflect.DeepEqual(got, []any{"posts"}) {
		t.Errorf("tables = %v", got)
	}

	// duplicate
	wantError(t, createPosts(t, srv), 400, "DATABASE_DUPLICATE", "table posts already exists")

	// schema
	r = call(t, srv, "GET", "/api/database/tables/posts/schema", nil)
	if r.status != 200 {
		t.Fatalf("schema: %d %s", r.status, r.body)
	}
	s := r.obj(t)
	if s["tableName"] != "posts" || s["schemaName"] != "public" || s["recordCount"] != float64(0) {
		t.Errorf("schema = %s", r.body)
	}
	var names []string
	byName := map[string]map[string]any{}
	for _, c := range s["columns"].([]any) {
		cm := c.(map[string]any)
		names = append(names, cm["columnName"].(string))
		byName[cm["columnName"].(string)] = cm
	}
	if strings.Join(names, ",") != "id,title,views,slug,published,created_at,updated_at" {
		t.Errorf("columns = %v", names)
	}
	if id := byName["id"]; id["type"] != "uuid" || id["isPrimaryKey"] != true || id["isNullable"] != false || id["defaultValue"] != "gen_random_uuid()" {
		t.Errorf("id column = %v", id)
	}
	if byName["slug"]["isUnique"] != true || byName["created_at"]["type"] != "datetime" || byName["published"]["defaultValue"] != "false" || byName["views"]["defaultValue"] != "0" {
		t.Errorf("columns = %v", byName)
	}
	if !reflect.DeepEqual(s["foreignKeys"], []any{}) {
		t.Errorf("foreignKeys = %v", s["foreignKeys"])
	}
	wantError(t, call(t, srv, "GET", "/api/database/tables/nope/schema", nil), 404, "DATABASE_NOT_FOUND", "table not found")

	// the new table works through records, with defaults
	r = call(t, srv, "POST", "/api/database/records/posts", []map[string]any{{"title": "hello"}}, "Prefer", "return=representation")
	if r.status != 201 {
		t.Fatalf("insert: %d %s", r.status, r.body)
	}
	row := r.arr(t)[0].(map[string]any)
	if row["views"] != float64(0) || row["published"] != false || row["id"] == nil || row["created_at"] == nil {
		t.Errorf("row = %v", row)
	}

	// delete, twice
	for i := 0; i < 2; i++ {
		r = call(t, srv, "DELETE", "/api/database/tables/posts", nil)
		if r.status != 200 || r.obj(t)["tableName"] != "posts" {
			t.Fatalf("delete %d: %d %s", i, r.status, r.body)
		}
	}
	if got := call(t, srv, "GET", "/api/database/tables", nil).arr(t); len(got) != 0 {
		t.Errorf("tables after delete = %v", got)
	}
}

func TestCreateTableValidation(t *testing.T) {
	srv := New(t)
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		msg    string
	}{
		{"empty", map[string]any{}, 400, "INVALID_INPUT", "tableName: Required, columns: Required"},
		{"no columns", map[string]any{"tableName": "t", "columns": []any{}}, 400, "INVALID_INPUT", "columns: At least one column is required"},
		{"missing fields", map[string]any{"tableName": "t", "columns": []any{map[string]any{"columnName": "a", "type": "string"}}}, 400, "INVALID_INPUT",
			"columns.0.isNullable: Required, columns.0.isUnique: Required"},
		{"wrong type", map[string]any{"tableName": "t", "columns": []any{map[string]any{"columnName": "a", "type": "string", "isNullable": "yes", "isUnique": false}}}, 400, "INVALID_INPUT",
			"columns.0.isNullable: Expected boolean, received string"},
		{"unknown column type", map[string]any{"tableName": "t", "columns": []any{map[string]any{"columnName": "a", "type": "text", "isNullable": true, "isUnique": false}}}, 500, "INTERNAL_ERROR", "Cannot read properties of undefined (reading 'sqlType')"},
		{"only reserved", map[string]any{"tableName": "t", "columns": []any{map[string]any{"columnName": "id", "type": "uuid", "isNullable": false, "isUnique": true}}}, 400, "DATABASE_VALIDATION_ERROR", "Table must have at least one user-defined column"},
		{"reserved wrong type", map[string]any{"tableName": "t", "columns": []any{map[string]any{"columnName": "id", "type": "integer", "isNullable": false, "isUnique": true}}}, 400, "DATABASE_VALIDATION_ERROR", "Column 'id' is a reserved field that requires type 'uuid', but got 'integer'"},
		{"fk on system column", map[string]any{"tableName": "t", "columns": []any{map[string]any{"columnName": "a", "type": "uuid", "isNullable": true, "isUnique": false}},
			"foreignKeys": []any{map[string]any{"referenceTable": "x", "referenceColumns": []any{map[string]any{"sourceColumn": "id", "referenceColumn": "id"}}, "onDelete": "CASCADE", "onUpdate": "CASCADE"}}},
			400, "DATABASE_FORBIDDEN", "cannot add foreign key on system columns"},
		{"long name", map[string]any{"tableName": strings.Repeat("x", 65), "columns": []any{map[string]any{"columnName": "", "type": "string", "isNullable": true, "isUnique": false}}}, 400, "INVALID_INPUT",
			"tableName: Table name must be less than 64 characters, columns.0.columnName: Column name cannot be empty"},
		{"bad identifier", map[string]any{"tableName": `a"b`, "columns": []any{map[string]any{"columnName": "a", "type": "string", "isNullable": true, "isUnique": false}}}, 400, "DATABASE_VALIDATION_ERROR", "Invalid table name: cannot contain quotes or control characters"},
		{"fk unknown table", map[string]any{"tableName": "t", "columns": []any{map[string]any{"columnName": "a", "type": "uuid", "isNullable": true, "isUnique": false}},
			"foreignKeys": []any{map[string]any{"referenceTable": "nope", "referenceColumns": []any{map[string]any{"sourceColumn": "a", "referenceColumn": "id"}}, "onDelete": "CASCADE", "onUpdate": "CASCADE"}}},
			400, "DATABASE_VALIDATION_ERROR", `relation "public.nope" does not exist`},
		{"fk bad action", map[string]any{"tableName": "t", "columns": []any{map[string]any{"columnName": "a", "type": "uuid", "isNullable": true, "isUnique": false}},
			"foreignKeys": []any{map[string]any{"referenceTable": "nope", "referenceColumns": []any{map[string]any{"sourceColumn": "a", "referenceColumn": "id"}}, "onDelete": "BOOM", "onUpdate": "CASCADE"}}},
			400, "INVALID_INPUT", "foreignKeys.0.onDelete: Invalid enum value. Expected 'CASCADE' | 'SET NULL' | 'SET DEFAULT' | 'RESTRICT' | 'NO ACTION', received 'BOOM'"},
		{"malformed json", `{"tableName":`, 400, "INVALID_INPUT", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, call(t, srv, "POST", "/api/database/tables", c.body), c.status, c.code, c.msg)
		})
	}
	if n := len(srv.Tables()); n != 0 {
		t.Errorf("tables created by invalid requests: %v", srv.Tables())
	}
}

func TestForeignKeysAndPatch(t *testing.T) {
	srv := New(t)
	if r := createPosts(t, srv); r.status != 201 {
		t.Fatal(string(r.body))
	}
	r := call(t, srv, "POST", "/api/database/tables", map[string]any{
		"tableName": "comments",
		"columns": []any{
			map[string]any{"columnName": "post_id", "type": "uuid", "isNullable": false, "isUnique": false},
			map[string]any{"columnName": "body", "type": "string", "isNullable": true, "isUnique": false},
		},
		"foreignKeys": []any{map[string]any{"referenceTable": "posts", "referenceColumns": []any{map[string]any{"sourceColumn": "post_id", "referenceColumn": "id"}}, "onDelete": "CASCADE", "onUpdate": "NO ACTION"}},
	})
	if r.status != 201 {
		t.Fatalf("create comments: %d %s", r.status, r.body)
	}
	s := call(t, srv, "GET", "/api/database/tables/comments/schema", nil).obj(t)
	fks := s["foreignKeys"].([]any)
	if len(fks) != 1 || fks[0].(map[string]any)["referenceTable"] != "posts" || fks[0].(map[string]any)["onDelete"] != "CASCADE" {
		t.Errorf("foreignKeys = %v", fks)
	}

	// FK enforcement and cascade through records
	post := call(t, srv, "POST", "/api/database/records/posts", map[string]any{"title": "p"}, "Prefer", "return=representation").arr(t)[0].(map[string]any)
	wantPGRST(t, call(t, srv, "POST", "/api/database/records/comments", map[string]any{"post_id": "00000000-0000-4000-8000-000000000000"}), 409, "23503")
	if r := call(t, srv, "POST", "/api/database/records/comments", map[string]any{"post_id": post["id"], "body": "c"}); r.status != 201 {
		t.Fatalf("comment: %d %s", r.status, r.body)
	}
	if r := call(t, srv, "DELETE", "/api/database/records/posts?id=eq."+post["id"].(string), nil); r.status != 204 {
		t.Fatalf("delete post: %d %s", r.status, r.body)
	}
	if n := len(srv.Rows("comments")); n != 0 {
		t.Errorf("cascade left %d comments", n)
	}

	// PATCH schema
	r = call(t, srv, "PATCH", "/api/database/tables/posts/schema", map[string]any{
		"addColumns":    []any{map[string]any{"columnName": "summary", "type": "string", "isNullable": true, "isUnique": false}},
		"dropColumns":   []any{"views"},
		"updateColumns": []any{map[string]any{"columnName": "slug", "newColumnName": "permalink"}},
	})
	if r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	pm := r.obj(t)
	if pm["tableName"] != "posts" || !reflect.DeepEqual(pm["operations"], []any{"Dropped column: views", "Updated column: slug", "Added column: summary"}) || pm["message"] != "table schema updated successfully" {
		t.Errorf("patch response = %s", r.body)
	}
	var names []string
	for _, c := range call(t, srv, "GET", "/api/database/tables/posts/schema", nil).obj(t)["columns"].([]any) {
		names = append(names, c.(map[string]any)["columnName"].(string))
	}
	if strings.Join(names, ",") != "id,title,permalink,published,created_at,updated_at,summary" {
		t.Errorf("columns after patch = %v", names)
	}
	wantError(t, call(t, srv, "PATCH", "/api/database/tables/posts/schema", map[string]any{"dropColumns": []any{"nope"}}), 400, "DATABASE_VALIDATION_ERROR", "")
	if r := call(t, srv, "PATCH", "/api/database/tables/posts/schema", map[string]any{}); r.status != 200 || !strings.Contains(string(r.body), `"operations":[]`) {
		t.Errorf("empty patch: %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "PATCH", "/api/database/tables/posts/schema", map[string]any{"dropColumns": []any{"id"}}), 404, "DATABASE_FORBIDDEN", "cannot drop system columns")
	wantError(t, call(t, srv, "PATCH", "/api/database/tables/posts/schema", map[string]any{"dropForeignKeys": []any{"nope"}}), 404, "DATABASE_NOT_FOUND", "Foreign key constraint 'nope' does not exist on this table.")
	wantError(t, call(t, srv, "PATCH", "/api/database/tables/nope/schema", map[string]any{"dropColumns": []any{"x"}}), 404, "DATABASE_NOT_FOUND", "table not found")

	// rename table keeps the FK pointing at it
	r = call(t, srv, "PATCH", "/api/database/tables/posts/schema", map[string]any{"renameTable": map[string]any{"newTableName": "articles"}})
	if r.status != 200 || r.obj(t)["tableName"] != "posts" || !strings.Contains(string(r.body), "Renamed table from posts to articles") {
		t.Fatalf("rename: %d %s", r.status, r.body)
	}
	fk := call(t, srv, "GET", "/api/database/tables/comments/schema", nil).obj(t)["foreignKeys"].([]any)[0].(map[string]any)
	if fk["referenceTable"] != "articles" {
		t.Errorf("fk after rename = %v", fk)
	}
}

func TestSchemaParam(t *testing.T) {
	srv := New(t)
	for _, path := range []string{
		"/api/database/tables?schema=information_schema",
		"/api/database/tables?schema=pg_catalog",
		"/api/database/indexes?schema=pg_toast",
		"/api/database/tables/x/schema?schema=information_schema",
	} {
		wantError(t, call(t, srv, "GET", path, nil), 400, "INVALID_INPUT", "")
	}
	wantError(t, call(t, srv, "GET", "/api/database/tables?schema=pg_catalog", nil), 400, "INVALID_INPUT", `Schema "pg_catalog" is not available in the dashboard.`)
	if got := call(t, srv, "GET", "/api/database/tables?schema=auth", nil).arr(t); !reflect.DeepEqual(got, []any{"config", "custom_oauth_configs", "email_otps", "oauth_configs", "user_providers", "users"}) {
		t.Errorf("auth tables = %v", got)
	}
	if got := call(t, srv, "GET", "/api/database/tables?schema=no_such_schema", nil).arr(t); len(got) != 0 {
		t.Errorf("tables of a missing schema = %v", got)
	}
}

func TestIntrospectionListings(t *testing.T) {
	srv := New(t)
	if r := createPosts(t, srv); r.status != 201 {
		t.Fatal(string(r.body))
	}
	mustSQL(t, srv, "create policy read_all on posts for select to anon, authenticated using (true)")
	mustSQL(t, srv, "create index posts_title_idx on posts (title)")
	mustSQL(t, srv, "create or replace function public.add(a int, b int) returns int language sql as $$ select a + b $$")

	sch := call(t, srv, "GET", "/api/database/schemas", nil).obj(t)["schemas"].([]any)
	if first := sch[0].(map[string]any); first["name"] != "public" || first["isProtected"] != false {
		t.Errorf("schemas = %v", sch)
	}

	idx := call(t, srv, "GET", "/api/database/indexes", nil).obj(t)["indexes"].([]any)
	var pk map[string]any
	var idxNames []string
	for _, i := range idx {
		im := i.(map[string]any)
		idxNames = append(idxNames, im["indexName"].(string))
		if im["isPrimary"] == true {
			pk = im
		}
	}
	if pk == nil || pk["tableName"] != "posts" || pk["indexName"] != "posts_pkey" || pk["isUnique"] != true ||
		pk["indexDef"] != "CREATE UNIQUE INDEX posts_pkey ON public.posts USING btree (id)" {
		t.Errorf("pk index = %v", pk)
	}
	if strings.Join(idxNames, ",") != "posts_pkey,posts_slug_key,posts_title_idx" {
		t.Errorf("indexes = %v", idxNames)
	}

	pol := call(t, srv, "GET", "/api/database/policies", nil).obj(t)["policies"].([]any)
	if len(pol) != 1 {
		t.Fatalf("policies = %v", pol)
	}
	p := pol[0].(map[string]any)
	if p["tableName"] != "posts" || p["policyName"] != "read_all" || p["cmd"] != "SELECT" || p["qual"] != "true" ||
		p["roles"] != "{anon,authenticated}" || p["withCheck"] != nil {
		t.Errorf("policy = %v", p)
	}

	trg := call(t, srv, "GET", "/api/database/triggers", nil).obj(t)["triggers"].([]any)
	if len(trg) != 1 || trg[0].(map[string]any)["tableName"] != "posts" || trg[0].(map[string]any)["actionTiming"] != "BEFORE" {
		t.Errorf("triggers = %v", trg)
	}

	fn := call(t, srv, "GET", "/api/database/functions", nil).obj(t)["functions"].([]any)
	if len(fn) != 1 || fn[0].(map[string]any)["functionName"] != "add" || fn[0].(map[string]any)["kind"] != "f" ||
		fn[0].(map[string]any)["functionDef"] != "CREATE OR REPLACE FUNCTION public.add(a integer, b integer)\n RETURNS integer\n LANGUAGE sql\nAS $function$ select a + b $function$\n" {
		t.Errorf("functions = %v", fn)
	}
}
