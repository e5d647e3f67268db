package insforgefake

import (
	"strings"
	"testing"
)

const fnTestCode = "module.exports = async function (req) { return new Response('ok'); };"

func fnCreate(t *testing.T, srv *Server, body map[string]any) resp {
	t.Helper()
	return call(t, srv, "POST", "/api/functions", body)
}

func TestFunctionsFakeCRUD(t *testing.T) {
	t.Parallel()
	srv := New(t)
	r := fnCreate(t, srv, map[string]any{"name": "Hello  World", "code": fnTestCode, "description": "greets"})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	m := r.obj(t)
	fn, _ := m["function"].(map[string]any)
	if m["success"] != true || m["deployment"] != nil || fn["slug"] != "hello-world" || fn["status"] != "active" ||
		fn["code"] != fnTestCode || fn["description"] != "greets" || fn["deployedAt"] == nil || fn["id"] == "" {
		t.Errorf("create response = %s", r.body)
	}
	if _, ok := m["deployment"]; !ok {
		t.Errorf("self-hosted create has no deployment key: %s", r.body)
	}

	r = fnCreate(t, srv, map[string]any{"name": "Draft", "slug": "Draft_1", "code": fnTestCode, "status": "draft"})
	if r.status != 201 {
		t.Fatalf("create draft: %d %s", r.status, r.body)
	}
	if fn := r.obj(t)["function"].(map[string]any); fn["deployedAt"] != nil || fn["description"] != nil || fn["slug"] != "Draft_1" {
		t.Errorf("draft = %s", r.body)
	}

	r = call(t, srv, "GET", "/api/functions", nil)
	list := r.obj(t)
	fns := list["functions"].([]any)
	if r.status != 200 || len(fns) != 2 || list["runtime"].(map[string]any)["status"] != "running" || list["deploymentUrl"] != nil {
		t.Fatalf("list = %d %s", r.status, r.body)
	}
	if first := fns[0].(map[string]any); first["slug"] != "Draft_1" || first["code"] != nil {
		t.Errorf("list is not newest first without code: %s", r.body)
	}

	r = call(t, srv, "GET", "/api/metadata", nil)
	meta := r.obj(t)["functions"].([]any)
	if len(meta) != 2 || meta[1].(map[string]any)["slug"] != "hello-world" || meta[1].(map[string]any)["status"] != "active" {
		t.Errorf("metadata functions = %v", meta)
	}

	r = call(t, srv, "GET", "/api/functions/hello-world", nil)
	if r.status != 200 || r.obj(t)["code"] != fnTestCode {
		t.Errorf("get = %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "GET", "/api/functions/nope", nil), 404, "FUNCTION_NOT_FOUND", "Function not found")

	r = call(t, srv, "PUT", "/api/functions/Draft_1", map[string]any{"status": "active", "name": "Now live", "ignored": 1})
	fn = r.obj(t)["function"].(map[string]any)
	if r.status != 200 || fn["status"] != "active" || fn["name"] != "Now live" || fn["deployedAt"] == nil || fn["slug"] != "Draft_1" {
		t.Errorf("update = %d %s", r.status, r.body)
	}
	r = call(t, srv, "PUT", "/api/functions/Draft_1", map[string]any{})
	if r.status != 200 || r.obj(t)["success"] != true {
		t.Errorf("empty update = %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "PUT", "/api/functions/nope", map[string]any{"name": "x"}), 404, "FUNCTION_NOT_FOUND", "")

	r = call(t, srv, "DELETE", "/api/functions/Draft_1", nil)
	if r.status != 200 || r.obj(t)["message"] != "Function Draft_1 deleted successfully" {
		t.Errorf("delete = %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "DELETE", "/api/functions/Draft_1", nil), 404, "FUNCTION_NOT_FOUND", "")
	if got := srv.Functions(); len(got) != 1 || got[0].Slug != "hello-world" {
		t.Errorf("Functions() = %+v", got)
	}

	// Admin routes need the admin key; the anon key is refused.
	wantError(t, call(t, srv, "GET", "/api/functions", nil, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "No admin token provided")
	wantError(t, call(t, srv, "GET", "/api/functions", nil, "Authorization", "Bearer "+DefaultAnonKey), 401, "AUTH_UNAUTHORIZED", "")
}

func TestFunctionsFakeDeploySimulation(t *testing.T) {
	t.Parallel()
	srv := New(t)
	srv.SetDeployResult("failed", []string{"[error] boom"})
	r := fnCreate(t, srv, map[string]any{"name": "a", "code": "export default async () => new Response('x')"})
	m := r.obj(t)
	d, _ := m["deployment"].(map[string]any)
	if r.status != 201 || m["success"] != false || d["status"] != "failed" || d["url"] != nil || d["buildLogs"].([]any)[0] != "[error] boom" {
		t.Fatalf("failed deploy = %d %s", r.status, r.body)
	}
	if len(srv.Functions()) != 1 {
		t.Error("a failed deploy must keep the saved function")
	}
	// Drafts and name-only updates do not deploy.
	if m := fnCreate(t, srv, map[string]any{"name": "b", "code": "x", "status": "draft"}).obj(t); m["success"] != true || m["deployment"] != nil {
		t.Errorf("draft create = %v", m)
	}
	if m := call(t, srv, "PUT", "/api/functions/a", map[string]any{"name": "A"}).obj(t); m["deployment"] != nil {
		t.Errorf("name update deployed: %v", m)
	}

	srv.SetDeployResult("success", nil)
	m = call(t, srv, "PUT", "/api/functions/a", map[string]any{"code": "export default async () => new Response('y')"}).obj(t)
	d, _ = m["deployment"].(map[string]any)
	if m["success"] != true || d["status"] != "success" || d["url"] != FunctionDeploymentURL {
		t.Errorf("successful deploy = %v", m)
	}
	if list := call(t, srv, "GET", "/api/functions", nil).obj(t); list["deploymentUrl"] != FunctionDeploymentURL {
		t.Errorf("deploymentUrl = %v", list["deploymentUrl"])
	}
	// On Cloud, export default code runs.
	if r := call(t, srv, "POST", "/functions/a", nil, "Authorization", ""); r.status != 200 {
		t.Errorf("cloud invoke = %d %s", r.status, r.body)
	}
}

func TestFunctionsFakeInvoke(t *testing.T) {
	t.Parallel()
	srv := New(t)
	srv.AddFunction(EdgeFunction{Name: "echo", Code: fnTestCode})
	srv.AddFunction(EdgeFunction{Name: "tea", Code: "module.exports = async () => new Response('x', { status: 418 })"})
	srv.AddFunction(EdgeFunction{Name: "esm", Code: "export default async function (req) { return new Response('x'); }"})
	srv.AddFunction(EdgeFunction{Name: "off", Code: fnTestCode, Status: "draft"})

	r := call(t, srv, "PATCH", "/functions/echo?a=1&a=2&b=x", map[string]any{"k": "v"}, "Authorization", "Bearer "+DefaultAnonKey, "X-Trace", "t1")
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("echo = %d %v %s", r.status, r.header, r.body)
	}
	echo := r.obj(t)
	q := echo["query"].(map[string]any)
	h := echo["headers"].(map[string]any)
	if echo["method"] != "PATCH" || echo["slug"] != "echo" || echo["body"].(map[string]any)["k"] != "v" ||
		q["b"] != "x" || len(q["a"].([]any)) != 2 || h["x-trace"] != "t1" || h["authorization"] != "Bearer "+DefaultAnonKey {
		t.Errorf("echo = %s", r.body)
	}
	// A non-JSON body arrives as {} (the proxy re-serialises the parsed body); GET has none.
	r = call(t, srv, "POST", "/functions/echo", []byte("plain"), "Authorization", "")
	if b, ok := r.obj(t)["body"].(map[string]any); !ok || len(b) != 0 {
		t.Errorf("non-JSON body echo = %s", r.body)
	}
	r = call(t, srv, "GET", "/functions/echo", nil, "Authorization", "")
	if r.obj(t)["body"] != nil {
		t.Errorf("GET echo body = %s", r.body)
	}

	if r := call(t, srv, "POST", "/functions/tea", nil, "Authorization", ""); r.status != 418 {
		t.Errorf("tea = %d %s", r.status, r.body)
	}
	for _, slug := range []string{"missing", "off"} {
		r := call(t, srv, "POST", "/functions/"+slug, nil, "Authorization", "")
		if r.status != 404 || string(r.body) != `{"error":"Function not found or not active"}` {
			t.Errorf("%s = %d %s", slug, r.status, r.body)
		}
	}
	r = call(t, srv, "POST", "/functions/esm", nil, "Authorization", "")
	if r.status != 500 || !strings.Contains(string(r.body), "Unexpected token 'export'") {
		t.Errorf("esm on self-hosted = %d %s", r.status, r.body)
	}
	if r := call(t, srv, "POST", "/functions/echo/sub", nil, "Authorization", ""); r.status != 404 || r.obj(t)["error"] != "NOT_FOUND" {
		t.Errorf("sub-path = %d %s", r.status, r.body)
	}

	srv.SetFunctionRuntime(false)
	r = call(t, srv, "POST", "/functions/echo", nil, "Authorization", "")
	if r.status != 502 || !strings.Contains(r.obj(t)["error"].(string), "ECONNREFUSED") {
		t.Errorf("runtime down = %d %s", r.status, r.body)
	}
	// any slug, active or not (real 2.3.1 without Deno)
	if r := call(t, srv, "GET", "/functions/nope", nil, "Authorization", ""); r.status != 502 {
		t.Errorf("runtime down, unknown slug = %d %s", r.status, r.body)
	}
	if st := call(t, srv, "GET", "/api/functions", nil).obj(t)["runtime"].(map[string]any)["status"]; st != "unavailable" {
		t.Errorf("runtime status = %v", st)
	}

	// The record says who sent which credential.
	call(t, srv, "POST", "/functions/echo", nil) // admin key as Bearer
	inv := srv.FunctionInvocations()
	if len(inv) != 10 {
		t.Fatalf("%d invocations recorded: %+v", len(inv), inv)
	}
	if inv[0].Slug != "echo" || inv[0].Method != "PATCH" || inv[0].Authorization != "Bearer "+DefaultAnonKey || inv[0].APIKey != "" {
		t.Errorf("first invocation = %+v", inv[0])
	}
	if inv[9].APIKey != DefaultAPIKey {
		t.Errorf("an admin key sent to the proxy is not recorded: %+v", inv[9])
	}
}
