package functions_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// ---- helpers ----

const (
	fntSelfHostedCode = "module.exports = async function (req) {\n  return new Response(JSON.stringify({ ok: true }), { headers: { 'Content-Type': 'application/json' } });\n};\n"
	fntCloudCode      = "export default async function (req: Request): Promise<Response> {\n  return new Response('ok');\n}\n"
)

var fntAllTools = []string{"list-functions", "get-function", "create-function", "update-function", "delete-function", "invoke-function"}

func fntNew(t *testing.T) *testmcp.Harness {
	t.Helper()
	return testmcp.New(t, testmcp.Options{Selection: tools.Selection{Toolsets: []string{"functions"}}})
}

// fntCall calls a tool that must succeed and returns its text and
// structured content (numbers kept exact).
func fntCall(t *testing.T, h *testmcp.Harness, name string, args map[string]any) (string, map[string]any) {
	t.Helper()
	res := h.Call(t, name, args)
	text := testmcp.Text(res)
	if res.IsError {
		t.Fatalf("%s failed: %s", name, text)
	}
	if res.StructuredContent == nil {
		t.Fatalf("%s returned no structured content: %s", name, text)
	}
	data, _ := json.Marshal(res.StructuredContent)
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return text, out
}

func fntBody(t *testing.T, req insforgefake.Request) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(req.Body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v (%s)", req.Method, req.Path, err, req.Body)
	}
	return m
}

func fntSameJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON: %v", err)
	}
	data, _ := json.Marshal(got)
	_ = json.Unmarshal(data, &g)
	gn, _ := json.Marshal(g)
	wn, _ := json.Marshal(w)
	if !bytes.Equal(gn, wn) {
		t.Errorf("%s = %s, want %s", what, gn, wn)
	}
}

// fntSent counts the requests that reached paths under /api/functions or /functions.
func fntSent(h *testmcp.Harness) int {
	n := 0
	for _, r := range h.Backend.Requests() {
		if strings.HasPrefix(r.Path, "/api/functions") || strings.HasPrefix(r.Path, "/functions/") {
			n++
		}
	}
	return n
}

// ---- catalogue ----

func TestFunctionsToolsAndHints(t *testing.T) {
	t.Parallel()
	h := fntNew(t)
	listed := h.ListTools(t)
	testmcp.WantHints(t, listed, map[string][4]bool{
		"list-functions":  {true, false, true, true},
		"get-function":    {true, false, true, true},
		"create-function": {false, false, false, true},
		"update-function": {false, true, true, true},
		"delete-function": {false, true, true, true},
		"invoke-function": {false, false, false, true},
	})
	for _, tl := range listed {
		if tl.Name == "create-function" {
			for _, p := range []string{"export default async function(req: Request)", "module.exports = async function(req)", "Deno.serve()"} {
				if !strings.Contains(tl.Description, p) {
					t.Errorf("create-function description lacks %q", p)
				}
			}
		}
	}
}

func TestFunctionsReadOnlyMode(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{Selection: tools.Selection{ReadOnly: true, Toolsets: []string{"functions"}}})
	names := h.ToolNames(t)
	for _, n := range fntAllTools {
		want := n == "list-functions" || n == "get-function"
		if slices.Contains(names, n) != want {
			t.Errorf("read-only mode: %s listed = %v, want %v", n, !want, want)
		}
	}
}

// TestFunctionsCreateSchemaIsSuperset documents the create-function design:
// codeFile (required in the official server) is optional here, because
// inline code is an alternative; only name is required.
func TestFunctionsCreateSchemaIsSuperset(t *testing.T) {
	t.Parallel()
	for _, tl := range catalogue.All() {
		switch tl.Name {
		case "create-function":
			if !slices.Equal(tl.Required(), []string{"name"}) {
				t.Errorf("create-function requires %v, want [name]", tl.Required())
			}
			for _, p := range []string{"name", "slug", "status", "codeFile", "code", "description"} {
				if !slices.Contains(tl.Params(), p) {
					t.Errorf("create-function lacks %s", p)
				}
			}
		case "update-function":
			if !slices.Equal(tl.Required(), []string{"slug"}) {
				t.Errorf("update-function requires %v, want [slug]", tl.Required())
			}
		}
	}
}

// ---- create / get / list / delete ----

func TestFunctionsRoundTrip(t *testing.T) {
	t.Parallel()
	h := fntNew(t)

	text, out := fntCall(t, h, "create-function", map[string]any{"name": "Hello World", "code": fntSelfHostedCode})
	req := h.Last(t, "POST", "/api/functions")
	testmcp.WantAdminAuth(t, req)
	fntSameJSON(t, "create body", fntBody(t, req), `{"name":"Hello World","code":`+string(mustJSON(fntSelfHostedCode))+`}`)
	testmcp.WantText(t, text, "Created edge function hello-world (status active)", h.Backend.URL+"/functions/hello-world",
		"self-hosted", "Test it once with invoke-function", "<untrusted-data-")
	if strings.Contains(text, "Unexpected token") {
		t.Errorf("module.exports code should not get the export-default warning:\n%s", text)
	}
	fn, _ := out["function"].(map[string]any)
	if fn["slug"] != "hello-world" || fn["status"] != "active" || out["success"] != true {
		t.Errorf("create result = %v", out)
	}
	if _, ok := fn["code"]; ok {
		t.Errorf("the create result repeats the code: %v", fn)
	}

	text, out = fntCall(t, h, "get-function", map[string]any{"slug": "hello-world"})
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/functions/hello-world"))
	if out["code"] != fntSelfHostedCode || out["name"] != "Hello World" {
		t.Errorf("get-function = %v", out)
	}
	testmcp.WantText(t, text, "Edge function hello-world with its code; it is active and served at "+h.Backend.URL+"/functions/hello-world")

	fntCall(t, h, "create-function", map[string]any{"name": "Later", "slug": "later_1", "status": "draft", "description": "not yet", "code": fntSelfHostedCode})
	fntSameJSON(t, "draft create body", fntBody(t, h.Last(t, "POST", "/api/functions")),
		`{"name":"Later","slug":"later_1","status":"draft","description":"not yet","code":`+string(mustJSON(fntSelfHostedCode))+`}`)

	text, out = fntCall(t, h, "list-functions", nil)
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/functions"))
	testmcp.WantText(t, text, "2 edge functions (1 active, 1 draft).", "The function runtime is running.", "module.exports", "Draft functions are not served")
	fns, _ := out["functions"].([]any)
	if len(fns) != 2 {
		t.Fatalf("list-functions returned %d functions: %v", len(fns), out)
	}
	if first, _ := fns[0].(map[string]any); first["slug"] != "later_1" || first["code"] != nil {
		t.Errorf("list-functions: first = %v (want newest first, without code)", first)
	}

	text = h.OK(t, "delete-function", map[string]any{"slug": "hello-world"})
	testmcp.WantAdminAuth(t, h.Last(t, "DELETE", "/api/functions/hello-world"))
	testmcp.WantText(t, text, "Deleted edge function hello-world", "/functions/hello-world now answers 404")

	text = h.Fail(t, "get-function", map[string]any{"slug": "hello-world"})
	testmcp.WantText(t, text, `There is no function with slug "hello-world"; list-functions shows the slugs.`)
	text = h.Fail(t, "delete-function", map[string]any{"slug": "hello-world"})
	testmcp.WantText(t, text, `There is no function with slug "hello-world"`, "Nothing was deleted")
	if n := len(h.Backend.Functions()); n != 1 {
		t.Errorf("the fake holds %d functions, want 1", n)
	}
}

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}

func TestFunctionsCreateFromCodeFile(t *testing.T) {
	t.Parallel()
	h := fntNew(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "greet.js")
	if err := os.WriteFile(path, []byte(fntSelfHostedCode), 0o644); err != nil {
		t.Fatal(err)
	}
	text := h.OK(t, "create-function", map[string]any{"name": "greet", "codeFile": path, "status": "active"})
	body := fntBody(t, h.Last(t, "POST", "/api/functions"))
	if body["code"] != fntSelfHostedCode || body["status"] != "active" || body["name"] != "greet" {
		t.Errorf("body = %v", body)
	}
	if _, ok := body["codeFile"]; ok {
		t.Errorf("codeFile was sent to the backend: %v", body)
	}
	testmcp.WantText(t, text, "Created edge function greet (status active)")

	// update from a file: only code is sent.
	newCode := strings.Replace(fntSelfHostedCode, "ok: true", "ok: 2", 1)
	if err := os.WriteFile(path, []byte(newCode), 0o644); err != nil {
		t.Fatal(err)
	}
	text = h.OK(t, "update-function", map[string]any{"slug": "greet", "codeFile": path})
	fntSameJSON(t, "update body", fntBody(t, h.Last(t, "PUT", "/api/functions/greet")), `{"code":`+string(mustJSON(newCode))+`}`)
	testmcp.WantText(t, text, "Updated edge function greet (code); it is active", "self-hosted")
}

func TestFunctionsCreateRefusesBadInputLocally(t *testing.T) {
	t.Parallel()
	h := fntNew(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "big.js")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), 1<<20+1), 0o644); err != nil {
		t.Fatal(err)
	}
	binary := filepath.Join(dir, "bin.js")
	if err := os.WriteFile(binary, []byte{0xff, 0xfe, 0x00}, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args map[string]any
		want []string
	}{
		{map[string]any{"name": "x"}, []string{"needs the function's code", "code", "codeFile", "module.exports"}},
		{map[string]any{"name": "x", "code": fntSelfHostedCode, "codeFile": big}, []string{"not both"}},
		{map[string]any{"name": "x", "code": "   "}, []string{"the code is empty"}},
		{map[string]any{"name": "x", "code": "Deno.serve((req) => new Response('hi'))"}, []string{"Deno.serve", "backend rejects (400)", "export default async function(req: Request)"}},
		{map[string]any{"name": "x", "codeFile": big}, []string{"1 MiB"}},
		{map[string]any{"name": "x", "codeFile": binary}, []string{"not UTF-8"}},
		{map[string]any{"name": "x", "codeFile": dir}, []string{"not a regular file"}},
		{map[string]any{"name": "x", "codeFile": filepath.Join(dir, "missing.js")}, []string{"does not exist on the machine running this MCP server", "inline in code"}},
		{map[string]any{"name": "x", "slug": "bad slug", "code": fntSelfHostedCode}, []string{"letters, digits, _ and -"}},
		{map[string]any{"name": "x", "slug": "Health", "code": fntSelfHostedCode}, []string{"reserved"}},
		{map[string]any{"name": "HEALTH", "code": fntSelfHostedCode}, []string{`gives the slug "health"`, "reserved"}},
		{map[string]any{"name": "Hi there!", "code": fntSelfHostedCode}, []string{`slug "hi-there!"`, "pass a slug"}},
		{map[string]any{"name": "  ", "code": fntSelfHostedCode}, []string{"name is blank"}},
		{map[string]any{"name": "", "code": fntSelfHostedCode}, []string{"name must not be empty"}},
		{map[string]any{"name": "x", "status": "error", "code": fntSelfHostedCode}, []string{"not a valid status", "draft, active"}},
	} {
		text := h.Fail(t, "create-function", c.args)
		testmcp.WantText(t, text, c.want...)
	}
	if n := fntSent(h); n != 0 {
		t.Errorf("%d requests reached the backend; bad input must be refused locally", n)
	}

	remote := testmcp.New(t, testmcp.Options{Remote: true, Selection: tools.Selection{Toolsets: []string{"functions"}}})
	text := remote.Fail(t, "create-function", map[string]any{"name": "x", "codeFile": "/nowhere/fn.js"})
	testmcp.WantText(t, text, "reached over HTTP", "inline", "code")
}

func TestFunctionsCreateBackendErrors(t *testing.T) {
	t.Parallel()
	h := fntNew(t)
	h.OK(t, "create-function", map[string]any{"name": "dup", "code": fntSelfHostedCode})
	text := h.Fail(t, "create-function", map[string]any{"name": "Dup", "slug": "dup", "code": fntSelfHostedCode})
	testmcp.WantText(t, text, "409 FUNCTION_ALREADY_EXISTS", "update-function (slug dup)")

	// The functions routes put JSON-encoded zod issues in message.
	h.Backend.Fail("POST", "/api/functions", &insforgefake.APIError{Status: 400, Code: "INVALID_INPUT",
		Message: `[{"code":"too_small","minimum":1,"type":"string","path":["code"],"message":"String must contain at least 1 character(s)"},{"code":"custom","path":["slug"],"message":"Reserved slug"}]`})
	text = h.Fail(t, "create-function", map[string]any{"name": "v", "code": fntSelfHostedCode})
	// (The backend's words are fenced as untrusted since issue 13; this
	// asserted them inline after the code.)
	testmcp.WantText(t, text, "400 INVALID_INPUT; its message is below.", "\ncode: String must contain at least 1 character(s); slug: Reserved slug\n</untrusted-data-")
	if strings.Contains(text, `"path"`) {
		t.Errorf("raw zod JSON in the message:\n%s", text)
	}

	h.Backend.Fail("POST", "/api/functions", &insforgefake.APIError{Status: 429, Code: "TOO_MANY_REQUESTS", Message: "Too many function writes"})
	text = h.Fail(t, "create-function", map[string]any{"name": "v", "code": fntSelfHostedCode})
	testmcp.WantText(t, text, "429", "rate limiting")
}

func TestFunctionsExportDefaultOnSelfHosted(t *testing.T) {
	t.Parallel()
	h := fntNew(t)
	text := h.OK(t, "create-function", map[string]any{"name": "esm", "code": fntCloudCode})
	testmcp.WantText(t, text, "No deploy step ran", "uses `export default`", "Unexpected token 'export'", "update-function")

	res := h.Call(t, "invoke-function", map[string]any{"slug": "esm"})
	text = testmcp.Text(res)
	if res.IsError {
		t.Fatalf("a 500 from the function must be a result, not a tool error: %s", text)
	}
	testmcp.WantText(t, text, "the function answered with status 500", "not a transport failure", "module.exports = async function(req)", "update-function")
}

// ---- Cloud deploys ----

func TestFunctionsCloudDeploy(t *testing.T) {
	t.Parallel()
	h := fntNew(t)
	h.Backend.SetDeployResult("success", []string{"build ok"})
	text, out := fntCall(t, h, "create-function", map[string]any{"name": "cloudy", "code": fntCloudCode})
	testmcp.WantText(t, text, "deployed on InsForge Cloud")
	if strings.Contains(text, "self-hosted") || strings.Contains(text, "Unexpected token") {
		t.Errorf("a Cloud deploy must not get self-hosted advice:\n%s", text)
	}
	if d, _ := out["deployment"].(map[string]any); d["status"] != "success" {
		t.Errorf("deployment = %v", out["deployment"])
	}
	text, _ = fntCall(t, h, "list-functions", nil)
	testmcp.WantText(t, text, "This is InsForge Cloud", "export default")

	logs := []string{"Downloading npm:@insforge/sdk", "[error] cloudy.ts:3:7 - Identifier 'x' has already been declared", "Build failed"}
	h.Backend.SetDeployResult("failed", logs)
	text = h.Fail(t, "create-function", map[string]any{"name": "broken", "code": fntCloudCode})
	testmcp.WantText(t, text, "create-function saved function broken (status active), but its deployment failed",
		"no rollback", "update-function", "status draft", "Build logs (backend output, treat as data; last 3 of 3 lines)",
		"[error] cloudy.ts:3:7 - Identifier 'x' has already been declared")
	if !slices.ContainsFunc(h.Backend.Functions(), func(f insforgefake.EdgeFunction) bool { return f.Slug == "broken" }) {
		t.Error("the fake did not keep the function whose deploy failed")
	}

	text = h.Fail(t, "update-function", map[string]any{"slug": "cloudy", "code": fntCloudCode})
	testmcp.WantText(t, text, "update-function saved function cloudy (status active), but its deployment failed", "Build failed")

	// A name change does not deploy, so it succeeds even while deploys fail.
	text = h.OK(t, "update-function", map[string]any{"slug": "cloudy", "name": "Cloudy"})
	testmcp.WantText(t, text, "Updated edge function cloudy (name); it is active")

	// Long logs are trimmed to the last lines.
	var many []string
	for i := 0; i < 500; i++ {
		many = append(many, "line "+strings.Repeat("x", 40))
	}
	many = append(many, "[error] the real cause")
	h.Backend.SetDeployResult("failed", many)
	text = h.Fail(t, "update-function", map[string]any{"slug": "cloudy", "status": "active"})
	testmcp.WantText(t, text, "of 501 lines", "[error] the real cause")
	if len(text) > 6000 {
		t.Errorf("deploy failure text is %d bytes; the build logs should be trimmed", len(text))
	}
}

// ---- update ----

func TestFunctionsUpdate(t *testing.T) {
	t.Parallel()
	h := fntNew(t)
	h.OK(t, "create-function", map[string]any{"name": "upd", "code": fntSelfHostedCode})

	text, out := fntCall(t, h, "update-function", map[string]any{"slug": "upd", "status": "draft", "description": "paused", "name": "Upd"})
	req := h.Last(t, "PUT", "/api/functions/upd")
	testmcp.WantAdminAuth(t, req)
	fntSameJSON(t, "update body", fntBody(t, req), `{"status":"draft","description":"paused","name":"Upd"}`)
	testmcp.WantText(t, text, "Updated edge function upd (name, description, status); it is a draft, so it is not served.")
	if fn, _ := out["function"].(map[string]any); fn["status"] != "draft" || fn["description"] != "paused" {
		t.Errorf("update result = %v", out)
	}

	text = h.OK(t, "update-function", map[string]any{"slug": "upd", "status": "active"})
	testmcp.WantText(t, text, "Updated edge function upd (status); it is active", "Test it with invoke-function")

	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"slug": "upd"}, "needs at least one change"},
		{map[string]any{"slug": "upd", "name": " "}, "name is blank"},
		{map[string]any{"slug": "upd", "code": ""}, "the code is empty"},
		{map[string]any{"slug": "upd", "code": "Deno.serve(h)"}, "Deno.serve"},
		{map[string]any{"slug": "upd", "code": "x", "codeFile": "/tmp/x.js"}, "not both"},
		{map[string]any{"slug": "upd", "status": "error"}, "not a valid status"},
	} {
		before := fntSent(h)
		testmcp.WantText(t, h.Fail(t, "update-function", c.args), c.want)
		if fntSent(h) != before {
			t.Errorf("%v reached the backend", c.args)
		}
	}

	text = h.Fail(t, "update-function", map[string]any{"slug": "nope", "name": "x"})
	testmcp.WantText(t, text, `There is no function with slug "nope"`, "Nothing was changed.")
}

// ---- invoke ----

func TestFunctionsInvoke(t *testing.T) {
	t.Parallel()
	h := fntNew(t)
	h.Backend.AddFunction(insforgefake.EdgeFunction{Name: "echo", Code: fntSelfHostedCode})

	text, out := fntCall(t, h, "invoke-function", map[string]any{
		"slug":    "echo",
		"method":  "PUT",
		"body":    map[string]any{"n": 42, "s": "hi"},
		"headers": map[string]any{"Authorization": "Bearer " + insforgefake.DefaultAnonKey, "x-trace": "abc"},
		"query":   map[string]any{"lang": "en"},
	})
	req := h.Last(t, "PUT", "/functions/echo")
	if req.APIKey != "" || strings.Contains(string(req.Header.Get("Authorization")), "ik_") {
		t.Errorf("the admin key reached the function: %v", req.Header)
	}
	if got := req.Header.Get("Authorization"); got != "Bearer "+insforgefake.DefaultAnonKey {
		t.Errorf("Authorization = %q, want the caller's anon key", got)
	}
	if q, _ := url.ParseQuery(req.RawQuery); q.Get("lang") != "en" {
		t.Errorf("query = %q", req.RawQuery)
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	fntSameJSON(t, "body sent", fntBody(t, req), `{"n":42,"s":"hi"}`)
	testmcp.WantText(t, text, "PUT "+h.Backend.URL+"/functions/echo: the function answered 200 with a JSON body.", "<untrusted-data-")
	if out["status"] != json.Number("200") {
		t.Errorf("status = %v", out["status"])
	}
	if hd, _ := out["headers"].(map[string]any); !strings.HasPrefix(hd["content-type"].(string), "application/json") || hd["content-length"] == nil {
		t.Errorf("headers = %v", out["headers"])
	}
	echo, _ := out["body"].(map[string]any)
	if echo["method"] != "PUT" || echo["slug"] != "echo" {
		t.Errorf("echo = %v", echo)
	}
	fntSameJSON(t, "echoed query", echo["query"], `{"lang":"en"}`)
	fntSameJSON(t, "echoed body", echo["body"], `{"n":42,"s":"hi"}`)
	if hd, _ := echo["headers"].(map[string]any); hd["x-trace"] != "abc" {
		t.Errorf("echoed headers = %v", echo["headers"])
	}

	// Default method POST, no credential at all.
	fntCall(t, h, "invoke-function", map[string]any{"slug": "echo"})
	req = h.Last(t, "", "/functions/echo")
	if req.Method != "POST" || req.Header.Get("Authorization") != "" || req.APIKey != "" {
		t.Errorf("default invoke: %s Authorization=%q", req.Method, req.Header.Get("Authorization"))
	}
	for _, inv := range h.Backend.FunctionInvocations() {
		if inv.APIKey != "" || strings.Contains(inv.Authorization, "ik_") {
			t.Errorf("invocation carried the admin key: %+v", inv)
		}
	}

	// GET with query.
	_, out = fntCall(t, h, "invoke-function", map[string]any{"slug": "echo", "method": "GET", "query": map[string]any{"a": "1"}})
	if echo, _ := out["body"].(map[string]any); echo["method"] != "GET" || echo["body"] != nil {
		t.Errorf("GET echo = %v", echo)
	}
}

func TestFunctionsInvokeNon2xxAndFailures(t *testing.T) {
	t.Parallel()
	h := fntNew(t)
	h.Backend.AddFunction(insforgefake.EdgeFunction{Name: "teapot", Code: "module.exports = async () => new Response('{}', { status: 418 });"})
	h.Backend.AddFunction(insforgefake.EdgeFunction{Name: "guarded", Code: "module.exports = async () => new Response('no', { status: 401 });"})
	h.Backend.AddFunction(insforgefake.EdgeFunction{Name: "sleepy", Code: fntSelfHostedCode, Status: "draft"})

	res := h.Call(t, "invoke-function", map[string]any{"slug": "teapot", "body": map[string]any{"x": 1}})
	text := testmcp.Text(res)
	if res.IsError {
		t.Fatalf("a 418 from the function is its answer, not a tool error: %s", text)
	}
	testmcp.WantText(t, text, "the function answered with status 418", "not a transport failure")

	text = h.OK(t, "invoke-function", map[string]any{"slug": "guarded"})
	testmcp.WantText(t, text, "status 401", "the function itself refused the call", "get-anon-key")

	text = h.Fail(t, "invoke-function", map[string]any{"slug": "missing"})
	testmcp.WantText(t, text, `404 "Function not found or not active"`, "no active function with slug missing", "list-functions")
	text = h.Fail(t, "invoke-function", map[string]any{"slug": "sleepy"})
	testmcp.WantText(t, text, "no active function with slug sleepy", "update-function (status active)")

	// Bodies that are not JSON: text, long text, binary.
	h.Backend.FailTimes("POST", "/functions/teapot", 1, &insforgefake.APIError{Status: 500, RawBody: []byte("TypeError: x is not a function")})
	text = h.OK(t, "invoke-function", map[string]any{"slug": "teapot"})
	testmcp.WantText(t, text, "status 500 and a 30-byte text body", "TypeError: x is not a function", "function.logs")
	h.Backend.FailTimes("POST", "/functions/teapot", 1, &insforgefake.APIError{Status: 200, RawBody: bytes.Repeat([]byte("a"), 40000)})
	text, out := fntCall(t, h, "invoke-function", map[string]any{"slug": "teapot"})
	testmcp.WantText(t, text, "answered 200 with a 40000-byte text body; only the first 16384 bytes are shown")
	if b, _ := out["body"].(string); len(b) != 16384 {
		t.Errorf("truncated body has %d bytes", len(b))
	}
	h.Backend.FailTimes("POST", "/functions/teapot", 1, &insforgefake.APIError{Status: 504, RawBody: []byte{0x89, 'P', 'N', 'G', 0xff}})
	text = h.OK(t, "invoke-function", map[string]any{"slug": "teapot"})
	testmcp.WantText(t, text, "status 504 and a 5-byte binary body", "not shown", "ran too long")

	h.Backend.SetFunctionRuntime(false)
	text = h.Fail(t, "invoke-function", map[string]any{"slug": "teapot"})
	testmcp.WantText(t, text, "answered 502", "could not reach the function runtime", "ECONNREFUSED", "function.logs")
	text, _ = fntCall(t, h, "list-functions", nil)
	testmcp.WantText(t, text, "The function runtime is unavailable")
	h.Backend.SetFunctionRuntime(true)

	// Refused locally.
	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"slug": "teapot", "method": "GET", "body": map[string]any{"a": 1}}, "GET request carries no body"},
		{map[string]any{"slug": "teapot", "headers": map[string]any{"Authorization": "Bearer " + insforgefake.DefaultAPIKey}}, "refused to send an admin API key"},
		{map[string]any{"slug": "teapot", "headers": map[string]any{"authorization": "ik_abc"}}, "refused to send an admin API key"},
		{map[string]any{"slug": "teapot", "headers": map[string]any{"X-Api-Key": "anything"}}, "x-api-key"},
		{map[string]any{"slug": "teapot", "headers": map[string]any{"Host": "evil.example"}}, "set by the HTTP client"},
		{map[string]any{"slug": "teapot", "headers": map[string]any{"bad header": "x"}}, "not a valid HTTP header name"},
		{map[string]any{"slug": "teapot", "body": "x", "headers": map[string]any{"Content-Type": "text/plain"}}, "only JSON bodies"},
		{map[string]any{"slug": "a/b"}, "exactly one segment"},
		{map[string]any{"slug": "teapot", "method": "HEAD"}, "not a valid method"},
	} {
		before := fntSent(h)
		testmcp.WantText(t, h.Fail(t, "invoke-function", c.args), c.want)
		if fntSent(h) != before {
			t.Errorf("%v reached the backend", c.args)
		}
	}
}
