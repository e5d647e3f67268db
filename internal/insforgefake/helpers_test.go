package insforgefake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"testing"
)

// resp is a decoded answer of the fake.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	return v
}

func (r resp) obj(t testing.TB) map[string]any {
	t.Helper()
	m, ok := r.json(t).(map[string]any)
	if !ok {
		t.Fatalf("body is not an object: %s", r.body)
	}
	return m
}

func (r resp) arr(t testing.TB) []any {
	t.Helper()
	a, ok := r.json(t).([]any)
	if !ok {
		t.Fatalf("body is not an array: %s", r.body)
	}
	return a
}

// call sends a request. body: nil, []byte (raw), string (raw JSON) or a
// value to encode as JSON. hdr are key/value pairs; unless an Authorization
// or X-Api-Key header is given (use "Authorization", "" for none), the
// default admin key is sent.
func call(t testing.TB, srv *Server, method, path string, body any, hdr ...string) resp {
	t.Helper()
	var rd io.Reader
	isJSON := false
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
		isJSON = true
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
		isJSON = true
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if isJSON {
		req.Header.Set("Content-Type", "application/json")
	}
	auth := true
	for i := 0; i+1 < len(hdr); i += 2 {
		k, v := hdr[i], hdr[i+1]
		if http.CanonicalHeaderKey(k) == "Authorization" || http.CanonicalHeaderKey(k) == "X-Api-Key" {
			auth = false
			if v == "" {
				continue
			}
		}
		req.Header.Add(k, v)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: data}
}

// wantError checks a standard error body.
func wantError(t testing.TB, r resp, status int, code, message string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	m := r.obj(t)
	if m["error"] != code {
		t.Errorf("error = %v, want %s; body %s", m["error"], code, r.body)
	}
	if message != "" && m["message"] != message {
		t.Errorf("message = %q, want %q", m["message"], message)
	}
	if m["statusCode"] != float64(status) {
		t.Errorf("statusCode = %v, want %d", m["statusCode"], status)
	}
	for k := range m {
		switch k {
		case "error", "message", "statusCode", "nextActions":
		default:
			t.Errorf("unexpected key %q in error body", k)
		}
	}
	if na, ok := m["nextActions"]; ok {
		if s, _ := na.(string); s == "" {
			t.Errorf("nextActions present but empty")
		}
	}
	return m
}

// wantPGRST checks a PostgREST error body.
func wantPGRST(t testing.TB, r resp, status int, code string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	m := r.obj(t)
	if m["code"] != code {
		t.Errorf("code = %v, want %s; body %s", m["code"], code, r.body)
	}
	keys := sortedKeys(m)
	if !reflect.DeepEqual(keys, []string{"code", "details", "hint", "message"}) {
		t.Errorf("PostgREST body keys = %v", keys)
	}
	return m
}

// sql runs a raw SQL query and returns the decoded answer.
func sqlQuery(t testing.TB, srv *Server, query string, params ...any) resp {
	t.Helper()
	body := map[string]any{"query": query}
	if params != nil {
		body["params"] = params
	}
	return call(t, srv, "POST", "/api/database/advance/rawsql", body)
}

func mustSQL(t testing.TB, srv *Server, query string, params ...any) map[string]any {
	t.Helper()
	r := sqlQuery(t, srv, query, params...)
	if r.status != 200 {
		t.Fatalf("SQL %q: status %d: %s", query, r.status, r.body)
	}
	return r.obj(t)
}

func todoTable(srv *Server) {
	srv.AddTable("todos", AutoColumns(
		Column{Name: "title", Type: "string"},
		Column{Name: "done", Type: "boolean", Nullable: true, Default: "false"},
		Column{Name: "priority", Type: "integer", Nullable: true},
		Column{Name: "slug", Type: "string", Nullable: true, Unique: true},
	),
		map[string]any{"title": "alpha", "priority": 1, "slug": "a"},
		map[string]any{"title": "beta", "priority": 2, "done": true, "slug": "b"},
		map[string]any{"title": "gamma", "priority": 3, "slug": "c"},
		map[string]any{"title": "delta", "slug": "d"},
	)
}
