package insforgefake

import (
	"context"
	"reflect"
	"testing"
)

// SQL the old emulator refused (403) runs on PostgreSQL.
func TestPostgresRawSQLRunsRealSQL(t *testing.T) {
	t.Parallel()
	srv := New(t)
	todoTable(srv)
	r := call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": `
		WITH p AS (SELECT title, priority FROM todos WHERE priority IS NOT NULL)
		SELECT a.title, count(*) OVER () AS n, (SELECT max(priority) FROM todos) AS top,
		       now()::date AS today, '1 day 02:00:00'::interval AS iv, ARRAY[1,2] AS arr, '{"k":1}'::jsonb AS j
		FROM p a JOIN todos b ON a.title = b.title ORDER BY a.priority LIMIT 1`})
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	m := r.obj(t)
	row := m["rows"].([]any)[0].(map[string]any)
	if row["title"] != "alpha" || row["n"] != "3" || row["top"] != float64(3) {
		t.Errorf("row = %v", row)
	}
	if !reflect.DeepEqual(row["iv"], "1 day 02:00:00") ||
		row["arr"] != "{1,2}" || !reflect.DeepEqual(row["j"], map[string]any{"k": float64(1)}) {
		t.Errorf("row = %v", row)
	}
	if m["rowCount"] != float64(1) {
		t.Errorf("rowCount = %v", m["rowCount"])
	}

	r = call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": "UPDATE todos SET done = $1 WHERE priority > $2", "params": []any{true, 1}})
	if r.status != 200 || r.obj(t)["rowCount"] != float64(2) {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": "SELECT * FROM nowhere"}), 400, "DATABASE_VALIDATION_ERROR", `relation "nowhere" does not exist`)
	wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": "BEGIN"}), 403, "FORBIDDEN", "Transaction control statements are not allowed.")
	// project_admin may not write system schemas; postgres may.
	r = call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": "CREATE TABLE auth.x (id int)"})
	if r.status != 403 || r.obj(t)["message"] != "permission denied for schema auth" {
		t.Errorf("project_admin created a table in auth: %d %s", r.status, r.body)
	}
	r = call(t, srv, "POST", "/api/database/advance/rawsql/unrestricted", map[string]any{"query": "CREATE TABLE auth.x (id int)"})
	if r.status != 200 {
		t.Errorf("unrestricted: %d %s", r.status, r.body)
	}
	if got := srv.Rows("todos"); len(got) != 4 || got[1]["done"] != true {
		t.Errorf("rows = %v", got)
	}
	if got := srv.Tables(); !reflect.DeepEqual(got, []string{"todos"}) {
		t.Errorf("tables = %v", got)
	}
}

func TestPostgresStatementTimeout(t *testing.T) {
	srv := New(t)
	old := pgStatementTimeout
	pgStatementTimeout = 200e6
	defer func() { pgStatementTimeout = old }()
	r := call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": "SELECT pg_sleep(2)"})
	wantError(t, r, 500, "INTERNAL_ERROR", "Query timeout: canceling statement due to statement timeout")
}

// A server made by New makes its database when it first needs it, and a
// server that never does makes none.
func TestDatabaseOnFirstUse(t *testing.T) {
	t.Parallel()
	srv := New(t)
	if r := call(t, srv, "GET", "/api/docs/instructions", nil); r.status != 200 {
		t.Fatalf("docs: %d %s", r.status, r.body)
	}
	if srv.pg.pool != nil {
		t.Fatal("a request that needs no database made one")
	}
	if got := srv.Tables(); len(got) != 0 {
		t.Errorf("tables of a fresh database: %v", got)
	}
	if srv.pg.pool == nil {
		t.Fatal("Tables made no database")
	}
	todoTable(srv)
	if r := call(t, srv, "GET", "/api/database/records/todos", nil); r.status != 200 || len(r.json(t).([]any)) != 4 {
		t.Errorf("records: %d %s", r.status, r.body)
	}

	unused := New(t)
	unused.Close()
	if unused.pg.pool != nil {
		t.Error("closing a server made its database")
	}
	if _, err := unused.pg.pgRun(context.Background(), "SELECT 1", nil, "postgres", false); err != errClosed {
		t.Errorf("the database of a closed server: %v", err)
	}
}
