package insforgefake

import (
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

const unparseable = "Query could not be parsed and was rejected for security reasons."

func TestRawSQLValidation(t *testing.T) {
	t.Parallel()
	srv := New(t)
	for _, body := range []any{map[string]any{}, nil} {
		wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", body), 400, "INVALID_INPUT", "")
	}
	wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": ""}), 400, "INVALID_INPUT", "")
	// a body not sent as JSON reads as {} (express.json)
	wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", []byte(`{"query":"select 1"}`)), 400, "INVALID_INPUT", "")
	wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": 1}), 400, "INVALID_INPUT", "")
	wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": "select 1", "params": "x"}), 400, "INVALID_INPUT", "")
	wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", `{bad json`), 400, "INVALID_INPUT", "")
}

func TestRawSQLGuards(t *testing.T) {
	t.Parallel()
	srv := New(t)
	todoTable(srv)
	forbidden := []string{
		"select set_config('role', 'postgres', false)",
		"SELECT 1; SELECT SET_CONFIG('x','y',true)",
		"BEGIN",
		"begin; select 1; commit",
		"COMMIT",
		"ROLLBACK",
		"SAVEPOINT a",
		"START TRANSACTION",
		"SET ROLE postgres",
		"set local role postgres",
		"SET SESSION AUTHORIZATION postgres",
		"set session_authorization = 'postgres'",
		"RESET ROLE",
		"SET search_path TO auth",
		"set search_path = public, auth",
		"RESET search_path",
		"SET statement_timeout = 0",
		"RESET ALL",
		"CREATE DATABASE other",
		"ALTER DATABASE insforge SET x = 1",
		"DROP DATABASE insforge",
		"CREATE ROLE hacker",
		"ALTER ROLE anon SUPERUSER",
		"DROP ROLE anon",
		"CREATE USER bob",
		"GRANT project_admin TO anon",
		"REVOKE project_admin FROM anon",
		"select 1; select from where", // unparseable
		"SELEC 1",
		"hello world",
		"select 'unterminated",
	}
	for _, q := range forbidden {
		for _, path := range []string{"/api/database/advance/rawsql", "/api/database/advance/rawsql/unrestricted"} {
			r := call(t, srv, "POST", path, map[string]any{"query": q})
			if r.status != 403 {
				t.Errorf("%s %q: status %d %s", path, q, r.status, r.body)
				continue
			}
			wantError(t, r, 403, "FORBIDDEN", "")
		}
	}
	wantError(t, sqlQuery(t, srv, "SELEC 1"), 403, "FORBIDDEN", unparseable)
	for q, msg := range map[string]string{
		"select set_config('a','b',false)":  "Changing SQL session configuration is not allowed.",
		"BEGIN":                             "Transaction control statements are not allowed.",
		"SET ROLE postgres":                 "Changing SQL execution role or session authorization is not allowed.",
		"SET SESSION AUTHORIZATION bob":     "Changing SQL execution role or session authorization is not allowed.",
		"set search_path = auth":            "Changing SQL search_path is not allowed.",
		"SET statement_timeout = 0":         "Changing SQL statement_timeout is not allowed.",
		"RESET ALL":                         "RESET ALL is not allowed.",
		"DROP DATABASE x":                   "Query contains restricted operations",
		"CREATE ROLE x":                     "Managing database roles is not allowed.",
		"select 1; commit; select * from x": "Transaction control statements are not allowed.",
	} {
		wantError(t, sqlQuery(t, srv, q), 403, "FORBIDDEN", msg)
	}
	// allowed lookalikes
	for _, q := range []string{
		"GRANT SELECT ON todos TO anon",
		"SET timezone = 'UTC'",
		"select 'begin; commit' as txt",
		"comment on table todos is 'set role'",
	} {
		if r := sqlQuery(t, srv, q); r.status != 200 {
			t.Errorf("%q: %d %s", q, r.status, r.body)
		}
	}
	// guards also apply with a custom SQL handler
	var called atomic.Bool
	srv.SetSQLHandler(func(string, []any) (SQLResult, error) { called.Store(true); return SQLResult{}, nil })
	wantError(t, sqlQuery(t, srv, "BEGIN"), 403, "FORBIDDEN", "")
	if called.Load() {
		t.Errorf("handler called for a forbidden query")
	}
}

func rowsOf(t *testing.T, m map[string]any) []any {
	t.Helper()
	rows, ok := m["rows"].([]any)
	if !ok {
		t.Fatalf("no rows in %v", m)
	}
	return rows
}

func TestRawSQLInterpreter(t *testing.T) {
	t.Parallel()
	srv := New(t)

	r := sqlQuery(t, srv, "SELECT 1")
	if string(r.body) != `{"rows":[{"?column?":1}],"rowCount":1,"fields":[{"name":"?column?","dataTypeID":23}]}` {
		t.Errorf("select 1 = %s", r.body)
	}
	r = sqlQuery(t, srv, "select 1 as one, 'x' as s, true, null as n, 2.5 + 1 as f, $1::int as p", "7")
	if !strings.HasPrefix(string(r.body), `{"rows":[{"one":1,"s":"x","?column?":true,"n":null,"f":"3.5","p":7}],"rowCount":1`) {
		t.Errorf("literals = %s", r.body)
	}

	// unknown relation
	m := wantError(t, sqlQuery(t, srv, "select * from missing"), 400, "DATABASE_VALIDATION_ERROR", `relation "missing" does not exist`)
	if m["nextActions"] == nil {
		t.Errorf("no nextActions")
	}

	// create / insert / select
	res := mustSQL(t, srv, `CREATE TABLE notes (
		id serial PRIMARY KEY,
		body text NOT NULL,
		score integer DEFAULT 0,
		tag varchar(20) UNIQUE,
		created_at timestamptz DEFAULT now()
	)`)
	if res["rowCount"] != nil || len(rowsOf(t, res)) != 0 {
		t.Errorf("create = %v", res)
	}
	if !reflect.DeepEqual(srv.Tables(), []string{"notes"}) {
		t.Errorf("tables = %v", srv.Tables())
	}
	res = mustSQL(t, srv, "insert into notes (body, tag) values ($1, $2)", "first", "a")
	if res["rowCount"] != float64(1) || len(rowsOf(t, res)) != 0 {
		t.Errorf("insert = %v", res)
	}
	res = mustSQL(t, srv, "INSERT INTO public.notes (body, score, tag) VALUES ('second', 5, 'b'), ('it''s third', 7, NULL) RETURNING id, body")
	if res["rowCount"] != float64(2) || !reflect.DeepEqual(rowsOf(t, res), []any{
		map[string]any{"id": float64(2), "body": "second"},
		map[string]any{"id": float64(3), "body": "it's third"},
	}) {
		t.Errorf("insert returning = %v", res)
	}
	res = mustSQL(t, srv, "select * from notes limit 1")
	row := rowsOf(t, res)[0].(map[string]any)
	if row["id"] != float64(1) || row["body"] != "first" || row["score"] != float64(0) || row["created_at"] == nil {
		t.Errorf("select * = %v", row)
	}
	fields := res["fields"].([]any)
	if len(fields) != 5 || fields[0].(map[string]any)["dataTypeID"] != float64(23) || fields[1].(map[string]any)["dataTypeID"] != float64(25) {
		t.Errorf("fields = %v", fields)
	}
	res = mustSQL(t, srv, "SELECT count(*) FROM notes")
	if !reflect.DeepEqual(rowsOf(t, res), []any{map[string]any{"count": "3"}}) {
		t.Errorf("count = %v", res)
	}
	res = mustSQL(t, srv, "select body from notes where score >= $1 and tag is not null order by score desc", 1)
	if !reflect.DeepEqual(rowsOf(t, res), []any{map[string]any{"body": "second"}}) {
		t.Errorf("where = %v", res)
	}
	res = mustSQL(t, srv, "select max(score) as top, sum(score) from notes where body <> 'x'")
	if !reflect.DeepEqual(rowsOf(t, res), []any{map[string]any{"top": float64(7), "sum": "12"}}) {
		t.Errorf("aggregates = %v", res)
	}
	// constraint errors map like the backend
	wantError(t, sqlQuery(t, srv, "insert into notes (body, tag) values ('x', 'a')"), 409, "DATABASE_DUPLICATE", "")
	wantError(t, sqlQuery(t, srv, "insert into notes (tag) values ('zz')"), 400, "MISSING_FIELD", "")
	wantError(t, sqlQuery(t, srv, "insert into notes (nope) values (1)"), 400, "DATABASE_VALIDATION_ERROR", `column "nope" of relation "notes" does not exist`)
	wantError(t, sqlQuery(t, srv, "select nope from notes"), 400, "DATABASE_VALIDATION_ERROR", `column "nope" does not exist`)
	wantError(t, sqlQuery(t, srv, "insert into notes (body, score) values ('x', 'high')"), 500, "INTERNAL_ERROR", "")
	wantError(t, sqlQuery(t, srv, "select $2::int", 1), 500, "INTERNAL_ERROR", "")

	// update / delete / upsert
	res = mustSQL(t, srv, "update notes set score = score + 1 where tag = 'a'")
	if res["rowCount"] != float64(1) || srv.Rows("notes")[0]["score"] != float64(1) {
		t.Errorf("update = %v / %v", res, srv.Rows("notes")[0])
	}
	res = mustSQL(t, srv, "insert into notes (body, tag) values ('dup', 'a') on conflict (tag) do update set body = excluded.body returning body")
	if !reflect.DeepEqual(rowsOf(t, res), []any{map[string]any{"body": "dup"}}) {
		t.Errorf("upsert = %v", res)
	}
	mustSQL(t, srv, "insert into notes (body, tag) values ('dup2', 'a') on conflict do nothing")
	res = mustSQL(t, srv, "delete from notes where tag is null")
	if res["rowCount"] != float64(1) || len(srv.Rows("notes")) != 2 {
		t.Errorf("delete = %v", res)
	}

	// multi-statement quirk: {rows: []}, executed, atomic
	r = sqlQuery(t, srv, "insert into notes (body) values ('m1'); insert into notes (body) values ('m2');")
	if r.status != 200 || string(r.body) != `{"rows":[]}` {
		t.Errorf("multi = %d %s", r.status, r.body)
	}
	if n := len(srv.Rows("notes")); n != 4 {
		t.Errorf("rows after multi = %d", n)
	}
	wantError(t, sqlQuery(t, srv, "insert into notes (body) values ('m3'); select * from missing"), 400, "DATABASE_VALIDATION_ERROR", "")
	if n := len(srv.Rows("notes")); n != 4 {
		t.Errorf("multi-statement failure was not rolled back: %d rows", n)
	}
	wantError(t, sqlQuery(t, srv, "select 1; select 2", 1), 500, "INTERNAL_ERROR", "")

	// alter / information_schema / drop
	mustSQL(t, srv, "alter table notes add column extra jsonb, enable row level security")
	res = mustSQL(t, srv, "select column_name, data_type from information_schema.columns where table_name = 'notes' and column_name = 'extra'")
	if !reflect.DeepEqual(rowsOf(t, res), []any{map[string]any{"column_name": "extra", "data_type": "jsonb"}}) {
		t.Errorf("information_schema = %v", res)
	}
	res = mustSQL(t, srv, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
	if !reflect.DeepEqual(rowsOf(t, res), []any{map[string]any{"table_name": "notes"}}) {
		t.Errorf("tables = %v", res)
	}
	mustSQL(t, srv, "DROP TABLE notes")
	if len(srv.Tables()) != 0 {
		t.Errorf("tables after drop = %v", srv.Tables())
	}
	wantError(t, sqlQuery(t, srv, "drop table notes"), 400, "DATABASE_VALIDATION_ERROR", `table "notes" does not exist`)
	mustSQL(t, srv, "drop table if exists notes")
}

func TestRawSQLSharedWithRecords(t *testing.T) {
	t.Parallel()
	srv := New(t)
	todoTable(srv)
	mustSQL(t, srv, "insert into todos (title, slug) values ('from sql', 'sql')")
	r := call(t, srv, "GET", "/api/database/records/todos?slug=eq.sql&select=title,done", nil)
	if string(r.body) != `[{"title":"from sql","done":false}]` {
		t.Errorf("records after SQL insert = %s", r.body)
	}
	res := mustSQL(t, srv, "select title from todos where done = true")
	if !reflect.DeepEqual(rowsOf(t, res), []any{map[string]any{"title": "beta"}}) {
		t.Errorf("bool filter = %v", res)
	}
	// unrestricted behaves the same
	r = call(t, srv, "POST", "/api/database/advance/rawsql/unrestricted", map[string]any{"query": "select current_user"})
	if r.status != 200 || !strings.Contains(string(r.body), `"current_user":"postgres"`) {
		t.Errorf("unrestricted = %s", r.body)
	}
	if n := len(srv.Rows("todos")); n != 5 {
		t.Errorf("rows = %d", n)
	}
}

func TestSQLHandler(t *testing.T) {
	t.Parallel()
	srv := New(t)
	var gotQuery string
	var gotParams []any
	n := 3
	srv.SetSQLHandler(func(q string, params []any) (SQLResult, error) {
		gotQuery, gotParams = q, params
		switch {
		case strings.Contains(q, "fail"):
			return SQLResult{}, &APIError{Status: 400, Code: "DATABASE_VALIDATION_ERROR", Message: `relation "x" does not exist`}
		case strings.Contains(q, "boom"):
			return SQLResult{}, errors.New("boom")
		}
		return SQLResult{Rows: []map[string]any{{"b": 2, "a": "x"}}, RowCount: &n, Fields: []Field{{Name: "b", DataTypeID: 23}, {Name: "a", DataTypeID: 25}}}, nil
	})
	r := sqlQuery(t, srv, "anything the interpreter would reject", 1, "two")
	if r.status != 200 || string(r.body) != `{"rows":[{"a":"x","b":2}],"rowCount":3,"fields":[{"name":"b","dataTypeID":23},{"name":"a","dataTypeID":25}]}` {
		t.Errorf("handler result = %d %s", r.status, r.body)
	}
	if gotQuery != "anything the interpreter would reject" || !reflect.DeepEqual(gotParams, []any{float64(1), "two"}) {
		t.Errorf("handler got %q %v", gotQuery, gotParams)
	}
	wantError(t, sqlQuery(t, srv, "fail"), 400, "DATABASE_VALIDATION_ERROR", `relation "x" does not exist`)
	wantError(t, sqlQuery(t, srv, "boom"), 500, "INTERNAL_ERROR", "boom")
	srv.SetSQLHandler(func(string, []any) (SQLResult, error) {
		return SQLResult{Rows: []map[string]any{{"z": 1, "a": true}}}, nil
	})
	r = sqlQuery(t, srv, "x")
	if string(r.body) != `{"rows":[{"a":true,"z":1}],"rowCount":null,"fields":[]}` {
		t.Errorf("no fields = %s", r.body)
	}
	srv.SetSQLHandler(nil)
	wantError(t, sqlQuery(t, srv, "x"), 403, "FORBIDDEN", unparseable)
}
