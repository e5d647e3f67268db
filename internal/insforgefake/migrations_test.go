package insforgefake

import (
	"reflect"
	"strings"
	"testing"
)

func TestMigrationStatementsAndTexts(t *testing.T) {
	srv := New(t)
	post := func(body map[string]any) resp {
		return call(t, srv, "POST", "/api/database/migrations", body)
	}
	// a single statement keeps its trailing ";"; several are split and stripped
	r := post(map[string]any{"version": "20260101000000", "name": "add-mig-t", "sql": "CREATE TABLE public.mig_t (id int primary key, name text);"})
	if r.status != 201 || !strings.Contains(string(r.body), `"statements":["CREATE TABLE public.mig_t (id int primary key, name text);"]`) ||
		!strings.HasSuffix(string(r.body), `"message":"Migration executed successfully"}`) {
		t.Fatalf("single: %d %s", r.status, r.body)
	}
	r = post(map[string]any{"version": "20260401000000", "name": "two-stmts", "sql": "CREATE TABLE public.mig_t5 (id int); -- a comment\nINSERT INTO public.mig_t5 VALUES (1);"})
	if r.status != 201 || !strings.Contains(string(r.body), `"statements":["CREATE TABLE public.mig_t5 (id int)","INSERT INTO public.mig_t5 VALUES (1)"]`) {
		t.Fatalf("multi: %d %s", r.status, r.body)
	}
	m := wantError(t, post(map[string]any{"version": "20260101000000", "name": "again", "sql": "select 1"}), 409, "DATABASE_MIGRATION_ALREADY_EXISTS", "Migration version must be newer than the latest applied migration.")
	if _, ok := m["nextActions"]; ok {
		t.Errorf("unexpected nextActions %v", m)
	}
	for _, body := range []map[string]any{
		{"version": "abc", "name": "x", "sql": "select 1"},
		{"version": "20990101000000", "name": "Bad Name", "sql": "select 1"},
		{"version": "20990101000000", "name": "x"},
		{"version": "20990101000000", "name": "x", "sql": "-- nothing"},
	} {
		if m := wantError(t, post(body), 400, "INVALID_INPUT", ""); m["nextActions"] != nil {
			t.Errorf("%v: unexpected nextActions", body)
		}
	}
	wantError(t, post(map[string]any{"version": "20990101000000", "name": "fails-at-runtime", "sql": "CREATE TABLE public.mx (id int); INSERT INTO public.nope VALUES (1);"}),
		400, "DATABASE_VALIDATION_ERROR", `relation "public.nope" does not exist`)
	if !reflect.DeepEqual(srv.Tables(), []string{"mig_t", "mig_t5"}) {
		t.Errorf("a failed migration was not rolled back")
	}
	// applied migrations are rows of system.custom_migrations too
	res := mustSQL(t, srv, "SELECT version, statements FROM system.custom_migrations ORDER BY version")
	if !reflect.DeepEqual(rowsOf(t, res), []any{
		map[string]any{"version": "20260101000000", "statements": []any{"CREATE TABLE public.mig_t (id int primary key, name text);"}},
		map[string]any{"version": "20260401000000", "statements": []any{"CREATE TABLE public.mig_t5 (id int)", "INSERT INTO public.mig_t5 VALUES (1)"}},
	}) {
		t.Errorf("custom_migrations = %v", res)
	}
}

func TestSplitMigrationSQL(t *testing.T) {
	for sql, want := range map[string][]string{
		"SELECT 1":                   {"SELECT 1"},
		"SELECT 1;":                  {"SELECT 1;"},
		"  -- head\nSELECT 1;  ":     {"-- head\nSELECT 1;"},
		"SELECT 'a;b'":               {"SELECT 'a;b'"},
		"SELECT 'a;b'; SELECT 2":     {"SELECT 'a;b'", "SELECT 2"},
		"a; /* x; */ b; $$ c; $$; d": {"a", "b", "$$ c; $$", "d"},
		"a;;b":                       {"a", "b"},
		"CREATE FUNCTION f() AS $fn$ BEGIN; END; $fn$; SELECT 2": {"CREATE FUNCTION f() AS $fn$ BEGIN; END; $fn$", "SELECT 2"},
		"-- only a comment": nil,
	} {
		if got := splitMigrationSQL(sql); !reflect.DeepEqual(got, want) {
			t.Errorf("split(%q) = %q, want %q", sql, got, want)
		}
	}
}

func TestMigrationDryRun(t *testing.T) {
	srv := New(t)
	todoTable(srv)
	dry := func(sql string) string {
		t.Helper()
		r := call(t, srv, "POST", "/api/database/migrations/dry-run", map[string]any{"sql": sql})
		if r.status != 200 {
			t.Fatalf("%q: %d %s", sql, r.status, r.body)
		}
		return string(r.body)
	}
	for sql, want := range map[string]string{
		"CREATE TABLE public.mig_t (id int primary key, name text)": `{"valid":true,"statementCount":1,"statements":["CREATE TABLE public.mig_t (id int primary key, name text)"],"riskLevel":"SAFE","riskFactors":[]}`,
		"DROP TABLE todos":                      `{"valid":true,"statementCount":1,"statements":["DROP TABLE todos"],"riskLevel":"DANGER","riskFactors":[{"code":"DESTRUCTIVE_DATA_LOSS","description":"Statement drops database object (OBJECT_TABLE) permanently resulting in potential data loss.","level":"DANGER","statement":"DROP TABLE todos"}]}`,
		"CREATE TABEL oops":                     `{"valid":false,"statementCount":1,"statements":["CREATE TABEL oops"],"riskLevel":"DANGER","riskFactors":[{"code":"GUARD_VIOLATION","description":"Query could not be parsed and was rejected for security reasons.","level":"DANGER"}],"error":"Query could not be parsed and was rejected for security reasons."}`,
		"BEGIN; CREATE TABLE x(y int); COMMIT;": `{"valid":false,"statementCount":3,"statements":["BEGIN","CREATE TABLE x(y int)","COMMIT"],"riskLevel":"DANGER","riskFactors":[{"code":"GUARD_VIOLATION","description":"Transaction control statements are not allowed.","level":"DANGER"}],"error":"Transaction control statements are not allowed."}`,
		"ALTER TABLE todos ADD COLUMN extra text; UPDATE todos SET extra = 'x'": `{"valid":true,"statementCount":2,"statements":["ALTER TABLE todos ADD COLUMN extra text","UPDATE todos SET extra = 'x'"],"riskLevel":"SAFE","riskFactors":[]}`,
		"INSERT INTO public.nope VALUES (1)":                                    `{"valid":false,"statementCount":1,"statements":["INSERT INTO public.nope VALUES (1)"],"riskLevel":"DANGER","riskFactors":[{"code":"SYNTAX_OR_EXECUTION_ERROR","description":"relation \"public.nope\" does not exist","level":"DANGER"}],"error":"relation \"public.nope\" does not exist"}`,
		"TRUNCATE todos; ALTER TABLE todos DROP COLUMN slug; DELETE FROM todos; UPDATE todos SET title='x'; ALTER TABLE todos ALTER COLUMN priority TYPE text": `{"valid":true,"statementCount":5,"statements":["TRUNCATE todos","ALTER TABLE todos DROP COLUMN slug","DELETE FROM todos","UPDATE todos SET title='x'","ALTER TABLE todos ALTER COLUMN priority TYPE text"],"riskLevel":"DANGER","riskFactors":[{"code":"DESTRUCTIVE_DATA_LOSS","description":"TRUNCATE statement clears all records from targeted table(s).","level":"DANGER","statement":"TRUNCATE todos"},{"code":"SCHEMA_BREAKING_CHANGE","description":"ALTER TABLE statement contains destructive command: AT_DropColumn.","level":"WARNING","statement":"ALTER TABLE todos DROP COLUMN slug"},{"code":"SCHEMA_BREAKING_CHANGE","description":"ALTER TABLE statement contains destructive command: AT_AlterColumnType.","level":"WARNING","statement":"ALTER TABLE todos ALTER COLUMN priority TYPE text"}]}`,
		"ALTER TABLE todos DROP CONSTRAINT todos_slug_key": `{"valid":true,"statementCount":1,"statements":["ALTER TABLE todos DROP CONSTRAINT todos_slug_key"],"riskLevel":"WARNING","riskFactors":[{"code":"SCHEMA_BREAKING_CHANGE","description":"ALTER TABLE statement contains destructive command: AT_DropConstraint.","level":"WARNING","statement":"ALTER TABLE todos DROP CONSTRAINT todos_slug_key"}]}`,
		"-- nothing": `{"valid":false,"statementCount":0,"statements":[],"riskLevel":"DANGER","riskFactors":[{"code":"EMPTY_SQL","description":"Migration SQL must contain at least one statement.","level":"DANGER"}],"error":"Migration SQL must contain at least one statement."}`,
	} {
		if got := dry(sql); got != want {
			t.Errorf("%s\n got %s\nwant %s", sql, got, want)
		}
	}
	// nothing was changed by the dry runs
	if n := len(srv.Rows("todos")); n != 4 || !reflect.DeepEqual(srv.Tables(), []string{"todos"}) {
		t.Errorf("dry runs changed the database: %d rows, tables %v", n, srv.Tables())
	}
	if _, ok := srv.Rows("todos")[0]["slug"]; !ok {
		t.Errorf("dry run dropped a column")
	}
	wantError(t, call(t, srv, "POST", "/api/database/migrations/dry-run", map[string]any{"sql": ""}), 400, "INVALID_INPUT", "Migration SQL is required")
	wantError(t, call(t, srv, "POST", "/api/database/migrations/dry-run", map[string]any{}), 400, "INVALID_INPUT", "")
	wantError(t, call(t, srv, "POST", "/api/database/migrations/dry-run", map[string]any{"sql": 1}), 400, "INVALID_INPUT", "")
	wantError(t, call(t, srv, "POST", "/api/database/migrations/dry-run", map[string]any{"sql": "select 1"}, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "No admin token provided")

	// with a test SQL handler: its errors are execution errors
	srv.SetSQLHandler(func(q string, _ []any) (SQLResult, error) {
		if strings.Contains(q, "boom") {
			return SQLResult{}, &APIError{Status: 400, Code: "DATABASE_VALIDATION_ERROR", Message: "boom failed"}
		}
		return SQLResult{}, nil
	})
	if got := dry("SELECT boom FROM somewhere JOIN elsewhere USING (id)"); got != `{"valid":false,"statementCount":1,"statements":["SELECT boom FROM somewhere JOIN elsewhere USING (id)"],"riskLevel":"DANGER","riskFactors":[{"code":"SYNTAX_OR_EXECUTION_ERROR","description":"boom failed","level":"DANGER"}],"error":"boom failed"}` {
		t.Errorf("handler dry run = %s", got)
	}
	if got := dry("DROP TABLE a; SELECT x FROM a JOIN b ON true"); !strings.Contains(got, `"description":"Statement drops database object (OBJECT_TABLE) permanently resulting in potential data loss."`) {
		t.Errorf("fallback risk analysis = %s", got)
	}
}
