package insforgefake

import (
	"crypto/sha256"
	"encoding/hex"
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
	t.Parallel()
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
	t.Parallel()
	srv := New(t)
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		msg    string
	}{
		{"wrong type", map[string]any{"tableName": "t", "columns": []any{map[string]any{"columnName": "a", "type": "string", "isNullable": "yes", "isUnique": false}}}, 400, "INVALID_INPUT",
			""},
		{"only reserved", map[string]any{"tableName": "t", "columns": []any{map[string]any{"columnName": "id", "type": "uuid", "isNullable": false, "isUnique": true}}}, 400, "DATABASE_VALIDATION_ERROR", "Table must have at least one user-defined column"},
		{"reserved wrong type", map[string]any{"tableName": "t", "columns": []any{map[string]any{"columnName": "id", "type": "integer", "isNullable": false, "isUnique": true}}}, 400, "DATABASE_VALIDATION_ERROR", "Column 'id' is a reserved field that requires type 'uuid', but got 'integer'"},
		{"bad identifier", map[string]any{"tableName": `a"b`, "columns": []any{map[string]any{"columnName": "a", "type": "string", "isNullable": true, "isUnique": false}}}, 400, "DATABASE_VALIDATION_ERROR", "Invalid table name: cannot contain quotes or control characters"},
		{"fk unknown table", map[string]any{"tableName": "t", "columns": []any{map[string]any{"columnName": "a", "type": "uuid", "isNullable": true, "isUnique": false}},
			"foreignKeys": []any{map[string]any{"referenceTable": "nope", "referenceColumns": []any{map[string]any{"sourceColumn": "a", "referenceColumn": "id"}}, "onDelete": "CASCADE", "onUpdate": "CASCADE"}}},
			400, "DATABASE_VALIDATION_ERROR", `relation "public.nope" does not exist`},
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
	srv := New(t)
	if r := createPosts(t, srv); r.status != 201 {
		t.Fatal(string(r.body))
	}
	mustSQL(t, srv, "create policy read_all on posts for select to anon, authenticated using (true)")
	mustSQL(t, srv, "create index posts_title_idx on posts (title)")
	mustSQL(t, srv, "create or replace function public.add(a int, b int) returns int language sql as $$ select a + b $$")

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

func colDef(name, typ string, nullable, unique bool, def ...string) map[string]any {
	c := map[string]any{"columnName": name, "type": typ, "isNullable": nullable, "isUnique": unique}
	if len(def) > 0 {
		c["defaultValue"] = def[0]
	}
	return c
}

func fkDef(ref string, pairs ...string) map[string]any {
	var refs []any
	for i := 0; i+1 < len(pairs); i += 2 {
		refs = append(refs, map[string]any{"sourceColumn": pairs[i], "referenceColumn": pairs[i+1]})
	}
	return map[string]any{"constraintName": "ignored_by_the_backend", "referenceTable": ref, "referenceColumns": refs, "onDelete": "CASCADE", "onUpdate": "NO ACTION"}
}

// TestForeignKeyNaming covers D5: the backend names foreign keys itself.
func TestForeignKeyNaming(t *testing.T) {
	t.Parallel()
	srv := New(t)
	mustCreate := func(body map[string]any) {
		t.Helper()
		if r := call(t, srv, "POST", "/api/database/tables", body); r.status != 201 {
			t.Fatalf("create %v: %d %s", body["tableName"], r.status, r.body)
		}
	}
	mustCreate(map[string]any{"tableName": "probe_items", "columns": []any{colDef("title", "string", false, true)}})
	mustCreate(map[string]any{"tableName": "probe_orders", "columns": []any{colDef("item_id", "uuid", true, false), colDef("note", "string", true, false)},
		"foreignKeys": []any{fkDef("probe_items", "item_id", "id")}})
	fks := call(t, srv, "GET", "/api/database/tables/probe_orders/schema", nil).obj(t)["foreignKeys"].([]any)
	if len(fks) != 1 || fks[0].(map[string]any)["constraintName"] != "fk_item_id_probe_items_id" {
		t.Fatalf("fks = %v", fks)
	}
	// the same foreign key again: the constraint exists (500, as observed)
	wantError(t, call(t, srv, "PATCH", "/api/database/tables/probe_orders/schema", map[string]any{"addForeignKeys": []any{fkDef("probe_items", "item_id", "id")}}),
		500, "INTERNAL_ERROR", `constraint "fk_item_id_probe_items_id" for relation "probe_orders" already exists`)
	// dropped by its generated name
	r := call(t, srv, "PATCH", "/api/database/tables/probe_orders/schema", map[string]any{"dropForeignKeys": []any{"fk_item_id_probe_items_id"}})
	if r.status != 200 || !strings.Contains(string(r.body), `"operations":["Dropped foreign key constraint: fk_item_id_probe_items_id"]`) {
		t.Errorf("drop fk: %d %s", r.status, r.body)
	}
	// names longer than 63 characters: 54 characters, "_" and 8 hex digits of sha256
	long := strings.Repeat("a", 40)
	mustCreate(map[string]any{"tableName": "longref", "columns": []any{colDef(long, "string", false, true)}})
	mustCreate(map[string]any{"tableName": "longsrc", "columns": []any{colDef(long+"_ref", "string", true, false)},
		"foreignKeys": []any{fkDef("longref", long+"_ref", long)}})
	base := "fk_" + long + "_ref_longref_" + long
	sum := sha256.Sum256([]byte(base))
	want := base[:54] + "_" + hex.EncodeToString(sum[:])[:8]
	if got := call(t, srv, "GET", "/api/database/tables/longsrc/schema", nil).obj(t)["foreignKeys"].([]any)[0].(map[string]any)["constraintName"]; got != want {
		t.Errorf("long name = %v, want %s", got, want)
	}
	// a reference to a column without a unique constraint
	mustCreate(map[string]any{"tableName": "t_plain", "columns": []any{colDef("x", "string", true, false)}})
	m := wantError(t, call(t, srv, "PATCH", "/api/database/tables/probe_orders/schema", map[string]any{"addForeignKeys": []any{fkDef("t_plain", "note", "x")}}),
		400, "DATABASE_VALIDATION_ERROR", `there is no unique constraint matching given keys for referenced table "t_plain"`)
	if m["nextActions"] != "Ensure the referenced column has a unique constraint or is a primary key" {
		t.Errorf("nextActions = %v", m["nextActions"])
	}
	// incompatible types
	wantError(t, call(t, srv, "PATCH", "/api/database/tables/probe_orders/schema", map[string]any{"addForeignKeys": []any{fkDef("probe_items", "note", "id")}}),
		400, "DATABASE_VALIDATION_ERROR", `foreign key constraint "fk_note_probe_items_id" cannot be implemented`)
	// a missing reference table is named with its schema
	wantError(t, call(t, srv, "PATCH", "/api/database/tables/probe_orders/schema", map[string]any{"addForeignKeys": []any{fkDef("nope_table", "item_id", "id")}}),
		400, "DATABASE_VALIDATION_ERROR", `relation "public.nope_table" does not exist`)
	// SQL-created foreign keys keep the Postgres names
	mustSQL(t, srv, "CREATE TABLE s1 (id int PRIMARY KEY, parent int REFERENCES s1 (id), other int REFERENCES s1 (id))")
	mustSQL(t, srv, "ALTER TABLE s1 ADD FOREIGN KEY (parent) REFERENCES s1 (id)")
	var names []string
	for _, fk := range call(t, srv, "GET", "/api/database/tables/s1/schema", nil).obj(t)["foreignKeys"].([]any) {
		names = append(names, fk.(map[string]any)["constraintName"].(string))
	}
	if strings.Join(names, ",") != "s1_other_fkey,s1_parent_fkey,s1_parent_fkey1" {
		t.Errorf("sql fk names = %v", names)
	}
}

// TestDefaultValues covers D6: defaultValue as the backend's
// parseDefaultValue renders information_schema column_default.
func TestDefaultValues(t *testing.T) {
	t.Parallel()
	srv := New(t)
	r := call(t, srv, "POST", "/api/database/tables", map[string]any{"tableName": "t_def", "columns": []any{
		colDef("s", "string", true, false, "it's"), colDef("n", "integer", false, false), colDef("j", "json", true, false, "{}"),
		colDef("d", "date", true, false, "now()"), colDef("f", "float", true, false, "1.5"), colDef("na", "string", true, false, "n/a"),
	}})
	if r.status != 201 || string(r.body) != `{"schemaName":"public","message":"table created successfully","tableName":"t_def","columns":[{"columnName":"s","type":"string","defaultValue":"it's","isNullable":true,"isUnique":false,"sqlType":"TEXT"},{"columnName":"n","type":"integer","isNullable":false,"isUnique":false,"sqlType":"INTEGER"},{"columnName":"j","type":"json","defaultValue":"{}","isNullable":true,"isUnique":false,"sqlType":"JSONB"},{"columnName":"d","type":"date","defaultValue":"now()","isNullable":true,"isUnique":false,"sqlType":"DATE"},{"columnName":"f","type":"float","defaultValue":"1.5","isNullable":true,"isUnique":false,"sqlType":"DOUBLE PRECISION"},{"columnName":"na","type":"string","defaultValue":"n/a","isNullable":true,"isUnique":false,"sqlType":"TEXT"}],"autoFields":["id","created_at","updated_at"],"nextActions":"you can now use the table with the POST /api/database/tables/{table} endpoint"}` {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	defaults := map[string]any{}
	for _, c := range call(t, srv, "GET", "/api/database/tables/t_def/schema", nil).obj(t)["columns"].([]any) {
		cm := c.(map[string]any)
		defaults[cm["columnName"].(string)] = cm["defaultValue"]
	}
	want := map[string]any{"id": "gen_random_uuid()", "s": "'it''s'", "n": nil, "j": "{}", "d": "now()", "f": "1.5", "na": "n/a", "created_at": "now()", "updated_at": "now()"}
	if !reflect.DeepEqual(defaults, want) {
		t.Errorf("defaults = %v", defaults)
	}
	// information_schema keeps the raw form
	res := mustSQL(t, srv, "SELECT column_name, column_default FROM information_schema.columns WHERE table_name = 't_def' AND column_name IN ('s', 'j', 'f') ORDER BY column_name DESC")
	if !reflect.DeepEqual(rowsOf(t, res), []any{
		map[string]any{"column_name": "s", "column_default": "'it''s'::text"},
		map[string]any{"column_name": "j", "column_default": "'{}'::jsonb"},
		map[string]any{"column_name": "f", "column_default": "'1.5'::double precision"},
	}) {
		t.Errorf("column_default = %v", res)
	}
	mustSQL(t, srv, "CREATE TABLE s_def (id serial PRIMARY KEY, c varchar(10) DEFAULT 'x', b boolean DEFAULT true)")
	for _, c := range call(t, srv, "GET", "/api/database/tables/s_def/schema", nil).obj(t)["columns"].([]any) {
		cm := c.(map[string]any)
		switch cm["columnName"] {
		case "id":
			if cm["defaultValue"] != "nextval('s_def_id_seq'::regclass)" || cm["type"] != "integer" {
				t.Errorf("serial = %v", cm)
			}
		case "c":
			if cm["defaultValue"] != "x" || cm["type"] != "string" {
				t.Errorf("varchar = %v", cm)
			}
		case "b":
			if cm["defaultValue"] != "true" {
				t.Errorf("bool = %v", cm)
			}
		}
	}
}

// TestAlterTableDetails covers D7.
func TestAlterTableDetails(t *testing.T) {
	t.Parallel()
	srv := New(t)
	if r := call(t, srv, "POST", "/api/database/tables", map[string]any{"tableName": "items", "columns": []any{colDef("title", "string", false, true)}}); r.status != 201 {
		t.Fatal(string(r.body))
	}
	if r := call(t, srv, "POST", "/api/database/tables", map[string]any{"tableName": "orders",
		"columns":     []any{colDef("item_id", "uuid", true, false), colDef("note", "string", true, false), colDef("qty", "integer", true, false)},
		"foreignKeys": []any{fkDef("items", "item_id", "id")}}); r.status != 201 {
		t.Fatal(string(r.body))
	}
	// every kind of operation in one request: the backend's order
	r := call(t, srv, "PATCH", "/api/database/tables/orders/schema", map[string]any{
		"renameTable":     map[string]any{"newTableName": "orders2"},
		"addForeignKeys":  []any{fkDef("items", "ref", "title")},
		"addColumns":      []any{colDef("ref", "string", true, false), colDef("amount", "float", true, false, "0")},
		"updateColumns":   []any{map[string]any{"columnName": "note", "defaultValue": "n/a", "newColumnName": "remark"}},
		"dropColumns":     []any{"qty"},
		"dropForeignKeys": []any{"fk_item_id_items_id"},
	})
	if r.status != 200 || string(r.body) != `{"schemaName":"public","message":"table schema updated successfully","tableName":"orders","operations":["Dropped foreign key constraint: fk_item_id_items_id","Dropped column: qty","Updated column: note","Added column: ref","Added column: amount","Added foreign key constraint on column(s): ref","Renamed table from orders to orders2"]}` {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	s := call(t, srv, "GET", "/api/database/tables/orders2/schema", nil)
	if !strings.Contains(string(s.body), `{"columnName":"remark","type":"string","isNullable":true,"isPrimaryKey":false,"isUnique":false,"defaultValue":"n/a"}`) ||
		!strings.Contains(string(s.body), `"foreignKeys":[{"constraintName":"fk_ref_items_title","referenceTable":"items","referenceColumns":[{"sourceColumn":"ref","referenceColumn":"title"}],"onDelete":"CASCADE","onUpdate":"NO ACTION"}]`) {
		t.Errorf("schema after patch = %s", s.body)
	}
	// an empty update is a no-op
	if r := call(t, srv, "PATCH", "/api/database/tables/orders2/schema", map[string]any{}); r.status != 200 || !strings.Contains(string(r.body), `"operations":[]`) {
		t.Errorf("empty: %d %s", r.status, r.body)
	}
	// a failed update changes nothing (one transaction)
	wantError(t, call(t, srv, "PATCH", "/api/database/tables/orders2/schema", map[string]any{"dropColumns": []any{"amount"}, "updateColumns": []any{map[string]any{"columnName": "nope", "defaultValue": "1"}}}),
		400, "DATABASE_VALIDATION_ERROR", `column "nope" of relation "orders2" does not exist`)
	if !strings.Contains(string(call(t, srv, "GET", "/api/database/tables/orders2/schema", nil).body), `"columnName":"amount"`) {
		t.Errorf("a failed update was not rolled back")
	}
	// dropping a referenced column needs CASCADE: refused through the API
	wantError(t, call(t, srv, "PATCH", "/api/database/tables/items/schema", map[string]any{"dropColumns": []any{"title"}, "addColumns": []any{colDef("x", "string", true, false)}}),
		500, "INTERNAL_ERROR", "cannot drop column title of table items because other objects depend on it")
	// dropping a column drops the foreign keys using it
	r = call(t, srv, "PATCH", "/api/database/tables/orders2/schema", map[string]any{"dropColumns": []any{"ref"}})
	if r.status != 200 || !strings.Contains(string(call(t, srv, "GET", "/api/database/tables/orders2/schema", nil).body), `"foreignKeys":[]`) {
		t.Errorf("drop ref: %d %s", r.status, r.body)
	}
	// renaming keeps constraint, index and trigger names (as Postgres)
	idx := call(t, srv, "GET", "/api/database/indexes", nil).obj(t)["indexes"].([]any)
	var idxNames []string
	for _, i := range idx {
		im := i.(map[string]any)
		idxNames = append(idxNames, im["tableName"].(string)+":"+im["indexName"].(string))
	}
	if strings.Join(idxNames, ",") != "items:items_pkey,items:items_title_key,orders2:orders_pkey" {
		t.Errorf("indexes = %v", idxNames)
	}
	trg := call(t, srv, "GET", "/api/database/triggers", nil).obj(t)["triggers"].([]any)
	if len(trg) != 2 || trg[1].(map[string]any)["tableName"] != "orders2" || trg[1].(map[string]any)["triggerName"] != "orders_update_timestamp" {
		t.Errorf("triggers = %v", trg)
	}
}

// TestListingsShape covers D11.
func TestListingsShape(t *testing.T) {
	t.Parallel()
	srv := New(t)
	if r := createPosts(t, srv); r.status != 201 {
		t.Fatal(string(r.body))
	}
	mustSQL(t, srv, "CREATE TABLE alpha (id int PRIMARY KEY, qty int)")
	mustSQL(t, srv, "create index alpha_qty_idx on alpha (qty)")
	mustSQL(t, srv, "CREATE INDEX ON alpha USING hash (qty)")
	mustSQL(t, srv, "CREATE POLICY zz ON posts FOR SELECT TO anon USING (true)")
	mustSQL(t, srv, "CREATE POLICY aa ON posts FOR INSERT WITH CHECK (true)")
	mustSQL(t, srv, "CREATE PROCEDURE public.p() LANGUAGE plpgsql AS $$ BEGIN END $$")
	idx := call(t, srv, "GET", "/api/database/indexes", nil).obj(t)["indexes"].([]any)
	var defs []string
	for _, i := range idx {
		defs = append(defs, i.(map[string]any)["indexDef"].(string))
	}
	want := []string{
		"CREATE UNIQUE INDEX alpha_pkey ON public.alpha USING btree (id)",
		"CREATE INDEX alpha_qty_idx ON public.alpha USING btree (qty)",
		"CREATE INDEX alpha_qty_idx1 ON public.alpha USING hash (qty)",
		"CREATE UNIQUE INDEX posts_pkey ON public.posts USING btree (id)",
		"CREATE UNIQUE INDEX posts_slug_key ON public.posts USING btree (slug)",
	}
	if !reflect.DeepEqual(defs, want) {
		t.Errorf("indexDefs = %q", defs)
	}
	mustSQL(t, srv, "DROP INDEX alpha_qty_idx1")
	wantError(t, sqlQuery(t, srv, "DROP INDEX nope_idx"), 500, "INTERNAL_ERROR", `index "nope_idx" does not exist`)
	mustSQL(t, srv, "DROP INDEX IF EXISTS nope_idx")
	pol := call(t, srv, "GET", "/api/database/policies", nil)
	if string(pol.body) != `{"policies":[{"tableName":"posts","policyName":"aa","cmd":"INSERT","roles":"{public}","qual":null,"withCheck":"true"},{"tableName":"posts","policyName":"zz","cmd":"SELECT","roles":"{anon}","qual":"true","withCheck":null}]}` {
		t.Errorf("policies = %s", pol.body)
	}
	trg := call(t, srv, "GET", "/api/database/triggers", nil)
	if string(trg.body) != `{"triggers":[{"tableName":"posts","triggerName":"posts_update_timestamp","actionTiming":"BEFORE","eventManipulation":"UPDATE","actionOrientation":"ROW","actionCondition":null,"actionStatement":"EXECUTE FUNCTION system.update_updated_at()"}]}` {
		t.Errorf("triggers = %s", trg.body)
	}
	fn := call(t, srv, "GET", "/api/database/functions", nil)
	if string(fn.body) != `{"functions":[{"functionName":"p","functionDef":"CREATE OR REPLACE PROCEDURE public.p()\n LANGUAGE plpgsql\nAS $procedure$ BEGIN END $procedure$\n","kind":"p"}]}` {
		t.Errorf("functions = %s", fn.body)
	}
}
