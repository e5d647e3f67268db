package insforgefake

import (
	"reflect"
	"strings"
	"testing"
)

func TestMigrationStatementsAndTexts(t *testing.T) {
	t.Parallel()
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
		map[string]any{"version": "20260101000000", "statements": `{"CREATE TABLE public.mig_t (id int primary key, name text);"}`},
		map[string]any{"version": "20260401000000", "statements": `{"CREATE TABLE public.mig_t5 (id int)","INSERT INTO public.mig_t5 VALUES (1)"}`},
	}) {
		t.Errorf("custom_migrations = %v", res)
	}
}

func TestSplitMigrationSQL(t *testing.T) {
	t.Parallel()
	for sql, want := range map[string][]any{
		"SELECT 1;":                  {"SELECT 1;"},
		"SELECT 'a;b'; SELECT 2":     {"SELECT 'a;b'", "SELECT 2"},
		"a; /* x; */ b; $$ c; $$; d": {"a", "b", "$$ c; $$", "d"},
		"a;;b":                       {"a", "b"},
	} {
		if got := splitMigrationSQL(sql); !reflect.DeepEqual(got, want) {
			t.Errorf("split(%q) = %q, want %q", sql, got, want)
		}
	}
}

func TestMigrationDryRun(t *testing.T) {
	t.Parallel()
	srv := New(t)
	todoTable(srv)
	for sql, want := range map[string]string{
		"DROP TABLE todos":            `{"valid":true,"statementCount":1,"statements":["DROP TABLE todos"],"riskLevel":"SAFE","riskFactors":[]}`,
		"BEGIN; COMMIT;":              `{"valid":false,"statementCount":2,"statements":["BEGIN","COMMIT"],"riskLevel":"DANGER","riskFactors":[{"code":"SYNTAX_OR_EXECUTION_ERROR","description":"Transaction control statements are not allowed.","level":"DANGER"}],"error":"Transaction control statements are not allowed."}`,
		"INSERT INTO nope VALUES (1)": `{"valid":false,"statementCount":1,"statements":["INSERT INTO nope VALUES (1)"],"riskLevel":"DANGER","riskFactors":[{"code":"SYNTAX_OR_EXECUTION_ERROR","description":"relation \"nope\" does not exist","level":"DANGER"}],"error":"relation \"nope\" does not exist"}`,
	} {
		if r := call(t, srv, "POST", "/api/database/migrations/dry-run", map[string]any{"sql": sql}); string(r.body) != want {
			t.Errorf("%s\n got %d %s\nwant %s", sql, r.status, r.body, want)
		}
	}
	if !reflect.DeepEqual(srv.Tables(), []string{"todos"}) {
		t.Errorf("a dry run changed the database: tables %v", srv.Tables())
	}
	wantError(t, call(t, srv, "POST", "/api/database/migrations/dry-run", map[string]any{"sql": ""}), 400, "INVALID_INPUT", "Migration SQL is required")
}
