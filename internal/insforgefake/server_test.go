package insforgefake

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestKeysFormat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ key, prefix string }{{DefaultAPIKey, "ik_"}, {DefaultAnonKey, "anon_"}} {
		hex := strings.TrimPrefix(c.key, c.prefix)
		if !strings.HasPrefix(c.key, c.prefix) || len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
			t.Errorf("%q is not %s + 64 hex chars", c.key, c.prefix)
		}
	}
}

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	srv := New(t)
	// no credential
	r := call(t, srv, "GET", "/api/database/tables", nil, "Authorization", "")
	m := wantError(t, r, 401, "AUTH_INVALID_CREDENTIALS", "No admin token provided")
	if m["nextActions"] != "Check the token is valid or login to get a new token." {
		t.Errorf("nextActions: %s", r.body)
	}
	// wrong ik_ key, Bearer and x-api-key
	for _, h := range [][]string{
		{"Authorization", "Bearer ik_0000000000000000000000000000000000000000000000000000000000000000"},
		{"X-Api-Key", "nope"},
	} {
		r = call(t, srv, "GET", "/api/database/tables", nil, h...)
		m = wantError(t, r, 401, "AUTH_INVALID_API_KEY", "Invalid API key")
		if m["nextActions"] == nil {
			t.Errorf("no nextActions for wrong key")
		}
	}
	// the anon key and a garbage JWT on an admin route
	for _, tok := range []string{DefaultAnonKey, "eyJhbGciOiJIUzI1NiJ9.e30.x"} {
		r = call(t, srv, "GET", "/api/database/tables", nil, "Authorization", "Bearer "+tok)
		wantError(t, r, 401, "AUTH_UNAUTHORIZED", "Invalid token")
	}
	// an invalid x-api-key wins over a valid Bearer JWT-looking value
	r = call(t, srv, "GET", "/api/database/tables", nil, "Authorization", "Bearer eyJx", "X-Api-Key", "bad")
	wantError(t, r, 401, "AUTH_INVALID_API_KEY", "Invalid API key")
	// valid key via x-api-key
	if r = call(t, srv, "GET", "/api/database/tables", nil, "X-Api-Key", DefaultAPIKey); r.status != 200 {
		t.Errorf("x-api-key: status %d %s", r.status, r.body)
	}
	// USER route: anon key accepted, nothing → 401, wrong anon key → 401
	todoTable(srv)
	if r = call(t, srv, "GET", "/api/database/records/todos", nil, "Authorization", "Bearer "+DefaultAnonKey); r.status != 200 {
		t.Errorf("anon on records: %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "GET", "/api/database/records/todos", nil, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "No token provided")
	wantError(t, call(t, srv, "GET", "/api/database/records/todos", nil, "Authorization", "Bearer anon_x"), 401, "AUTH_INVALID_CREDENTIALS", "Invalid anon key")
	wantError(t, call(t, srv, "GET", "/api/database/records/todos", nil, "Authorization", "Bearer eyJx.y.z"), 401, "AUTH_UNAUTHORIZED", "Invalid token")
	// failed-auth requests are recorded with the key presented
	var sawBad bool
	for _, req := range srv.Requests() {
		if req.APIKey == "nope" && req.Header.Get("X-Api-Key") == "nope" {
			sawBad = true
		}
	}
	if !sawBad {
		t.Errorf("failed-auth request not recorded")
	}
}

func TestWithAPIKey(t *testing.T) {
	t.Parallel()
	srv := New(t, WithAPIKey("ik_one"), WithAPIKey("ik_two"))
	for _, k := range []string{"ik_one", "ik_two"} {
		if r := call(t, srv, "GET", "/api/database/tables", nil, "Authorization", "Bearer "+k); r.status != 200 {
			t.Errorf("key %s: %d", k, r.status)
		}
	}
	wantError(t, call(t, srv, "GET", "/api/database/tables", nil), 401, "AUTH_INVALID_API_KEY", "Invalid API key")
	reqs := srv.Requests()
	if len(reqs) != 3 || reqs[0].APIKey != "ik_one" || reqs[2].APIKey != DefaultAPIKey {
		t.Errorf("requests = %+v", reqs)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	srv := New(t)
	r := call(t, srv, "GET", "/api/x", nil)
	wantError(t, r, 404, "NOT_FOUND", "Endpoint /api/x not found")
	// a known path with another method is an unknown route too
	wantError(t, call(t, srv, "PUT", "/api/metadata", nil), 404, "NOT_FOUND", "Endpoint /api/metadata not found")
}

func TestRequestsRecording(t *testing.T) {
	t.Parallel()
	srv := New(t)
	call(t, srv, "POST", "/api/database/advance/rawsql?x=1", map[string]any{"query": "select 1"})
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	q := reqs[0]
	if q.Method != "POST" || q.Path != "/api/database/advance/rawsql" || q.RawQuery != "x=1" ||
		string(q.Body) != `{"query":"select 1"}` || q.APIKey != DefaultAPIKey || q.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request = %+v", q)
	}
	// copies are independent
	q.Body[0] = 'X'
	q.Header.Set("Content-Type", "x")
	if again := srv.Requests()[0]; again.Body[0] != '{' || again.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Requests() did not copy")
	}
	srv.Reset()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("after Reset: %d requests", n)
	}
}

func TestFailInjection(t *testing.T) {
	t.Parallel()
	srv := New(t)
	srv.Fail("GET", "/api/database/tables", &APIError{Status: 503, Code: "UPSTREAM_FAILURE", Message: "down"})
	for i := 0; i < 2; i++ {
		r := call(t, srv, "GET", "/api/database/tables", nil)
		m := wantError(t, r, 503, "UPSTREAM_FAILURE", "down")
		if _, ok := m["nextActions"]; ok {
			t.Errorf("nextActions must be omitted when empty: %s", r.body)
		}
	}
	// other methods are not affected
	if r := call(t, srv, "POST", "/api/database/tables", map[string]any{}); r.status != 400 {
		t.Errorf("POST: %d", r.status)
	}
	srv.Fail("GET", "/api/database/tables", nil)
	if r := call(t, srv, "GET", "/api/database/tables", nil); r.status != 200 {
		t.Errorf("after clear: %d", r.status)
	}
	// FailTimes, any method, unimplemented route, raw body
	const unimplemented = "/api/not-a-module/x"
	srv.FailTimes("", unimplemented, 1, &APIError{Status: 503, Code: "UPSTREAM_FAILURE", Message: "no key", NextActions: "configure"})
	m := wantError(t, call(t, srv, "GET", unimplemented, nil), 503, "UPSTREAM_FAILURE", "no key")
	if m["nextActions"] != "configure" {
		t.Errorf("nextActions = %v", m["nextActions"])
	}
	wantError(t, call(t, srv, "GET", unimplemented, nil), 404, "NOT_FOUND", "")
	todoTable(srv)
	srv.FailTimes("GET", "/api/database/records/todos", 1, &APIError{Status: 404, RawBody: []byte(`{}`)})
	if r := call(t, srv, "GET", "/api/database/records/todos", nil); r.status != 404 || string(r.body) != "{}" {
		t.Errorf("raw body: %d %s", r.status, r.body)
	}
	if r := call(t, srv, "GET", "/api/database/records/todos", nil); r.status != 200 {
		t.Errorf("after FailTimes: %d", r.status)
	}
	var e error = &APIError{Status: 400, Code: "X", Message: "m"}
	var ae *APIError
	if !errors.As(e, &ae) || e.Error() != "400 X: m" {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestStall(t *testing.T) {
	t.Parallel()
	srv := New(t)
	srv.Stall("/api/metadata", 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/metadata", nil)
	start := time.Now()
	_, err := srv.Client().Do(req)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("stall did not respect cancellation")
	}
	srv.Stall("/api/metadata", 50*time.Millisecond)
	start = time.Now()
	if r := call(t, srv, "GET", "/api/metadata", nil); r.status != 200 || time.Since(start) < 50*time.Millisecond {
		t.Errorf("short stall: %d after %v", r.status, time.Since(start))
	}
	srv.Stall("/api/metadata", 0)
	// the stalled (cancelled) request was recorded
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("%d requests recorded", n)
	}
}

func TestConcurrency(t *testing.T) {
	t.Parallel()
	srv := New(t)
	todoTable(srv)
	mustSQL(t, srv, "create table counters (id serial primary key, n integer)")
	const workers = 16
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			call(t, srv, "POST", "/api/database/records/todos", []map[string]any{{"title": "c", "priority": i}})
			sqlQuery(t, srv, "insert into counters (n) values ($1)", i)
			call(t, srv, "GET", "/api/database/records/todos?priority=gte.0", nil)
			call(t, srv, "GET", "/api/metadata", nil)
			_ = srv.Requests()
			_ = srv.Rows("todos")
			if i%4 == 0 {
				srv.Fail("GET", "/api/nothing", &APIError{Status: 500})
				srv.SetSQLHandler(nil)
			}
		}(i)
	}
	wg.Wait()
	if n := len(srv.Rows("todos")); n != 4+workers {
		t.Errorf("todos rows = %d", n)
	}
	res := mustSQL(t, srv, "select count(*) from counters")
	if got := res["rows"].([]any)[0].(map[string]any)["count"]; got != "16" { // int8: a string, as node-pg returns it
		t.Errorf("count = %v", got)
	}
	if n := len(srv.Requests()); n != 1+workers*4+1 {
		t.Errorf("recorded %d requests", n)
	}
}

// TestBackendTexts covers D0a/D0c: nextActions as the backend sends them
// and the headers of every answer.
func TestBackendTexts(t *testing.T) {
	t.Parallel()
	srv := New(t)
	r := call(t, srv, "GET", "/api/database/nonexistent", nil)
	m := wantError(t, r, 404, "NOT_FOUND", "Endpoint /api/database/nonexistent not found")
	if m["nextActions"] != "Please check the API documentation for available endpoints" {
		t.Errorf("not found nextActions = %v", m["nextActions"])
	}
	for _, path := range []string{"/api/metadata", "/api/database/tables", "/api/database/migrations"} {
		m := wantError(t, call(t, srv, "GET", path, nil, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "No admin token provided")
		if m["nextActions"] != "Check the token is valid or login to get a new token." {
			t.Errorf("%s: nextActions = %v", path, m["nextActions"])
		}
	}
	m = wantError(t, call(t, srv, "GET", "/api/metadata", nil, "X-Api-Key", "ik_wrong"), 401, "AUTH_INVALID_API_KEY", "Invalid API key")
	if m["nextActions"] != "Check the API key is valid or generate a new API key." {
		t.Errorf("bad key nextActions = %v", m["nextActions"])
	}
	// zod failures, guard refusals and DOCS_NOT_FOUND carry no nextActions
	for _, r := range []resp{
		call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{}),
		call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": "BEGIN"}),
		call(t, srv, "GET", "/api/docs/unknown-doc", nil),
	} {
		if _, ok := r.obj(t)["nextActions"]; ok {
			t.Errorf("unexpected nextActions: %s", r.body)
		}
	}
	srv.Fail("GET", "/api/injected", &APIError{Status: 503, Code: "X", Message: "down"})
	if r := call(t, srv, "GET", "/api/injected", nil); r.header.Get("Access-Control-Expose-Headers") == "" {
		t.Errorf("injected failure without the common headers")
	}
}

// moduleState creates a module's state once per Server, also under
// concurrent first use, and keeps the states of two servers apart.
func TestModuleState(t *testing.T) {
	t.Parallel()
	// Not zero-sized: two zero-sized values may share one address.
	type probe struct{ _ int }
	srv := New(t)
	var mu sync.Mutex
	created := 0
	newProbe := func() *probe {
		mu.Lock()
		created++
		mu.Unlock()
		return &probe{}
	}
	got := make([]*probe, 16)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = moduleState(srv, "probe", newProbe)
		}()
	}
	wg.Wait()
	for _, p := range got {
		if p != got[0] {
			t.Fatal("moduleState returned different states for one server")
		}
	}
	if created != 1 {
		t.Errorf("state created %d times", created)
	}
	if other := moduleState(New(t), "probe", newProbe); other == got[0] {
		t.Error("two servers share a module state")
	}
	// The state a module's routes use is the one its helpers see.
	srv.AddLogs("custom.logs", LogEntry{Message: "probe"})
	if r := call(t, srv, "GET", "/api/logs/custom.logs", nil); !strings.Contains(string(r.body), `"probe"`) {
		t.Errorf("logs route does not see AddLogs: %s", r.body)
	}
	// A mismatched type for a name is a programming error.
	defer func() {
		if recover() == nil {
			t.Error("no panic for a name used with another type")
		}
	}()
	moduleState(srv, "probe", func() *int { return new(int) })
}
