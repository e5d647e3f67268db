package insforgefake

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBulkUpsertBackendDetails covers D14.
func TestBulkUpsertBackendDetails(t *testing.T) {
	t.Parallel()
	srv := New(t)
	todoTable(srv)
	// every database failure is 400 INVALID_INPUT without nextActions
	for _, c := range []struct {
		file, content string
		fields        map[string]string
		msg           string
	}{
		{"x.csv", "title,slug\nx,a\n", map[string]string{"table": "todos"}, `duplicate key value violates unique constraint "todos_slug_key"`},
		{"x.csv", "title,nosuchcol\nx,1\n", map[string]string{"table": "todos"}, `column "nosuchcol" of relation "todos" does not exist`},
		{"x.csv", "title\nx\n", map[string]string{"table": "no_such_table"}, `relation "public.no_such_table" does not exist`},
		{"x.json", `[{"title":"x","priority":1}]`, map[string]string{"table": "todos", "upsertKey": "priority"}, "there is no unique or exclusion constraint matching the ON CONFLICT specification"},
		{"x.csv", "key\nx\n", map[string]string{"table": "secrets", "schema": "system"}, "permission denied for table secrets"},
	} {
		m := wantError(t, bulk(t, srv, c.file, c.content, c.fields), 400, "INVALID_INPUT", c.msg)
		if _, ok := m["nextActions"]; ok {
			t.Errorf("%s: unexpected nextActions", c.msg)
		}
	}
	// success message even with upsertKey
	r := bulk(t, srv, "items.json", `[{"slug":"a","title":"A2"},{"slug":"new","title":"N"}]`, map[string]string{"table": "todos", "upsertKey": "slug"})
	if r.status != 200 || string(r.body) != `{"success":true,"message":"Successfully inserted 2 rows into todos","table":"todos","rowsAffected":2,"totalRecords":2,"filename":"items.json"}` {
		t.Errorf("upsert: %d %s", r.status, r.body)
	}
	// the schema field: custom schemas and auth.users (writable by project_admin)
	mustSQL(t, srv, "CREATE SCHEMA s1")
	mustSQL(t, srv, "CREATE TABLE s1.t (id int PRIMARY KEY, v text)")
	if r := bulk(t, srv, "t.csv", "id,v\n1,a\n2,b\n", map[string]string{"table": "t", "schema": "s1"}); r.status != 200 {
		t.Errorf("s1.t: %d %s", r.status, r.body)
	}
	if got := sqlBody(t, srv, "SELECT count(*) AS n FROM s1.t"); !strings.Contains(got, `"n":"2"`) {
		t.Errorf("s1.t rows = %s", got)
	}
	if r := bulk(t, srv, "u.csv", "email\na@b.c\n", map[string]string{"table": "users", "schema": "auth"}); r.status != 200 {
		t.Errorf("auth.users: %d %s", r.status, r.body)
	}
	wantError(t, bulk(t, srv, "t.csv", "id\n1\n", map[string]string{"table": "t", "schema": "nope"}), 400, "INVALID_INPUT", `relation "nope.t" does not exist`)
}

func TestJSONArrayIsMarshal(t *testing.T) {
	t.Parallel()
	for _, records := range [][]any{
		{map[string]any{"a": "x"}},
		{map[string]any{"b": nil, "a": "<&>\u2028"}, map[string]any{"n": 1.5, "s": []any{"q", true}}, "plain"},
	} {
		want, _ := json.Marshal(records)
		if got := jsonArray(records); got != string(want) {
			t.Errorf("jsonArray = %s, json.Marshal = %s", got, want)
		}
	}
}
