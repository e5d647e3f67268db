package insforgefake

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func titles(t *testing.T, r resp) string {
	t.Helper()
	var out []string
	for _, row := range r.arr(t) {
		out = append(out, row.(map[string]any)["title"].(string))
	}
	return strings.Join(out, ",")
}

func TestRecordsRead(t *testing.T) {
	t.Parallel()
	srv := New(t)
	todoTable(srv)
	cases := []struct{ query, want string }{
		{"", "alpha,beta,gamma,delta"},
		{"?order=priority.desc", "delta,gamma,beta,alpha"}, // NULLs first when descending
		{"?order=priority.desc.nullslast", "gamma,beta,alpha,delta"},
		{"?order=title.asc&limit=2", "alpha,beta"},
		{"?order=title.asc&limit=2&offset=2", "delta,gamma"},
		{"?priority=eq.2", "beta"},
		{"?priority=neq.2", "alpha,gamma"},
		{"?priority=gt.1", "beta,gamma"},
		{"?priority=gte.2&priority=lte.2", "beta"},
		{"?priority=lt.3", "alpha,beta"},
		{"?title=like.*lt*", "delta"},
		{"?title=ilike.A*", "alpha"},
		{"?priority=is.null", "delta"},
		{"?done=is.true", "beta"},
		{"?title=in.(alpha,gamma)", "alpha,gamma"},
		{"?or=(priority.eq.1,title.eq.delta)", "alpha,delta"},
		{"?title=eq." + url.QueryEscape("nope"), ""},
	}
	for _, c := range cases {
		r := call(t, srv, "GET", "/api/database/records/todos"+c.query, nil)
		if r.status != 200 {
			t.Errorf("%s: status %d %s", c.query, r.status, r.body)
			continue
		}
		if got := titles(t, r); got != c.want {
			t.Errorf("%s: got %q, want %q", c.query, got, c.want)
		}
	}

	// rows come back in column order
	r := call(t, srv, "GET", "/api/database/records/todos?limit=1", nil)
	if !strings.HasPrefix(string(r.body), `[{"id":"`) || !strings.Contains(string(r.body), `"title":"alpha","done":false,"priority":1,"slug":"a","created_at":`) {
		t.Errorf("column order: %s", r.body)
	}
}

func TestRecordsPaging(t *testing.T) {
	t.Parallel()
	srv := New(t)
	todoTable(srv)
	r := call(t, srv, "GET", "/api/database/records/todos?limit=2&offset=1&order=title", nil, "Prefer", "count=exact")
	if r.status != 206 {
		t.Fatalf("status %d", r.status)
	}
	if cr := r.header.Get("Content-Range"); cr != "1-2/4" {
		t.Errorf("Content-Range = %q", cr)
	}
	if got := titles(t, r); got != "beta,delta" {
		t.Errorf("page = %s", got)
	}
	r = call(t, srv, "GET", "/api/database/records/todos", nil, "Prefer", "count=exact")
	if r.status != 200 || r.header.Get("Content-Range") != "0-3/4" {
		t.Errorf("full: %d %q", r.status, r.header.Get("Content-Range"))
	}
	r = call(t, srv, "GET", "/api/database/records/todos?limit=2", nil)
	if r.status != 200 || r.header.Get("Content-Range") != "0-1/*" {
		t.Errorf("no count: %d %q", r.status, r.header.Get("Content-Range"))
	}
	r = call(t, srv, "GET", "/api/database/records/todos?title=eq.none", nil, "Prefer", "count=exact")
	if r.status != 200 || r.header.Get("Content-Range") != "*/0" || string(r.body) != "[]" {
		t.Errorf("empty: %d %q %s", r.status, r.header.Get("Content-Range"), r.body)
	}
}

func TestRecordsWrite(t *testing.T) {
	t.Parallel()
	srv := New(t)
	todoTable(srv)
	base := "/api/database/records/todos"

	// minimal insert: 201 []
	r := call(t, srv, "POST", base, []map[string]any{{"title": "e1", "slug": "e1"}, {"title": "e2", "slug": "e2"}})
	if r.status != 201 || string(r.body) != "[]" {
		t.Fatalf("insert: %d %s", r.status, r.body)
	}
	// representation, single object body, "" dropped for non-text columns
	r = call(t, srv, "POST", base+"?select=title,priority,done", map[string]any{"title": "e3", "priority": "", "slug": "e3"}, "Prefer", "return=representation")
	if r.status != 201 || string(r.body) != `[{"title":"e3","priority":null,"done":false}]` {
		t.Fatalf("insert repr: %d %s", r.status, r.body)
	}
	if n := len(srv.Rows("todos")); n != 7 {
		t.Errorf("rows = %d", n)
	}
	// unknown column
	m := wantPGRST(t, call(t, srv, "POST", base, map[string]any{"nope": 1}), 400, "PGRST204")
	if m["message"] != "Could not find the 'nope' column of 'todos' in the schema cache" {
		t.Errorf("message = %v", m["message"])
	}
	// unique violation, not null violation, bad value
	wantPGRST(t, call(t, srv, "POST", base, map[string]any{"title": "dup", "slug": "a"}), 409, "23505")
	wantPGRST(t, call(t, srv, "POST", base, map[string]any{"slug": "zz"}), 400, "23502")
	wantPGRST(t, call(t, srv, "POST", base, map[string]any{"title": "x", "priority": "high"}), 400, "22P02")

	// PATCH: minimal → 204, representation → 200 rows
	r = call(t, srv, "PATCH", base+"?priority=lte.2", map[string]any{"done": true})
	if r.status != 204 || len(r.body) != 0 {
		t.Errorf("patch minimal: %d %q", r.status, r.body)
	}
	r = call(t, srv, "PATCH", base+"?slug=eq.b&select=title,done", map[string]any{"title": "BETA", "done": false}, "Prefer", "return=representation")
	if r.status != 200 || string(r.body) != `[{"title":"BETA","done":false}]` {
		t.Errorf("patch repr: %d %s", r.status, r.body)
	}
	wantPGRST(t, call(t, srv, "PATCH", base+"?slug=eq.b", map[string]any{"nope": 1}), 400, "PGRST204")
	wantPGRST(t, call(t, srv, "PATCH", base+"?slug=eq.b", map[string]any{"slug": "c"}), 409, "23505")

	// DELETE
	r = call(t, srv, "DELETE", base+"?slug=in.(e1,e2)&select=slug", nil, "Prefer", "return=representation")
	if r.status != 200 || string(r.body) != `[{"slug":"e1"},{"slug":"e2"}]` {
		t.Errorf("delete repr: %d %s", r.status, r.body)
	}
	r = call(t, srv, "DELETE", base+"?slug=eq.e3", nil)
	if r.status != 204 {
		t.Errorf("delete minimal: %d %s", r.status, r.body)
	}
	// DELETE without filters affects every row
	if r = call(t, srv, "DELETE", base, nil); r.status != 204 || len(srv.Rows("todos")) != 0 {
		t.Errorf("delete all: %d, %d rows left", r.status, len(srv.Rows("todos")))
	}
}

func TestRecordsErrors(t *testing.T) {
	t.Parallel()
	srv := New(t)
	todoTable(srv)
	r := call(t, srv, "GET", "/api/database/records/nope", nil)
	if r.status != 404 || string(r.body) != `{"code":"PGRST205","details":null,"hint":null,"message":"Could not find the table 'public.nope' in the schema cache"}` {
		t.Errorf("unknown table: %d %s", r.status, r.body)
	}
	wantPGRST(t, call(t, srv, "GET", "/api/database/records/todo", nil), 404, "PGRST205")
	wantPGRST(t, call(t, srv, "GET", "/api/database/records/todos?nope=eq.1", nil), 400, "42703")
	wantPGRST(t, call(t, srv, "GET", "/api/database/records/todos?select=nope", nil), 400, "42703")
	wantPGRST(t, call(t, srv, "GET", "/api/database/records/todos?order=nope.desc", nil), 400, "42703")
	wantPGRST(t, call(t, srv, "GET", "/api/database/records/todos?priority=zz.1", nil), 400, "PGRST100")
	wantPGRST(t, call(t, srv, "GET", "/api/database/records/todos?priority=eq.abc", nil), 400, "22P02")
	wantPGRST(t, call(t, srv, "GET", "/api/database/records/todos?schema=auth", nil), 406, "PGRST106")
	if r := call(t, srv, "GET", "/api/database/records/todos?schema=public", nil); r.status != 200 {
		t.Errorf("schema=public: %d", r.status)
	}
}

func TestAddTableAndRows(t *testing.T) {
	t.Parallel()
	srv := New(t)
	srv.AddTable("plain", []Column{{Name: "k", Type: "text", PrimaryKey: true}, {Name: "n", Type: "int4", Nullable: true}},
		map[string]any{"k": "a", "n": 1})
	rows := srv.Rows("plain")
	if !reflect.DeepEqual(rows, []map[string]any{{"k": "a", "n": float64(1)}}) {
		t.Errorf("rows = %v", rows)
	}
	rows[0]["k"] = "changed"
	if srv.Rows("plain")[0]["k"] != "a" {
		t.Errorf("Rows() is not a copy")
	}
	if srv.Rows("nope") != nil {
		t.Errorf("Rows of unknown table")
	}
	s := call(t, srv, "GET", "/api/database/tables/plain/schema", nil).obj(t)
	cols := s["columns"].([]any)
	if cols[0].(map[string]any)["type"] != "string" || cols[1].(map[string]any)["type"] != "integer" || s["recordCount"] != float64(1) {
		t.Errorf("schema = %v", s)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("AddTable with an unknown column did not panic")
		}
	}()
	srv.AddTable("bad", []Column{{Name: "a", Type: "string"}}, map[string]any{"b": 1})
}
