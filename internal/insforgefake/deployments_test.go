package insforgefake

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

func deployTestSHA(b []byte) string {
	s := sha1.Sum(b)
	return hex.EncodeToString(s[:])
}

// deployTestCreate registers files (path → content) and returns the id and
// the file ids by path.
func deployTestCreate(t *testing.T, srv *Server, files map[string][]byte) (string, map[string]string) {
	t.Helper()
	var entries []any
	for p, c := range files {
		entries = append(entries, map[string]any{"path": p, "sha": deployTestSHA(c), "size": len(c)})
	}
	r := call(t, srv, "POST", "/api/deployments/direct", map[string]any{"files": entries})
	if r.status != 201 {
		t.Fatalf("direct: %d %s", r.status, r.body)
	}
	m := r.obj(t)
	ids := map[string]string{}
	for _, f := range m["files"].([]any) {
		fm := f.(map[string]any)
		ids[fm["path"].(string)] = fm["fileId"].(string)
		if fm["uploadedAt"] != nil {
			t.Errorf("fresh file already uploaded: %v", fm)
		}
	}
	if m["status"] != "WAITING" {
		t.Errorf("status %v", m["status"])
	}
	return m["id"].(string), ids
}

func deployTestPut(t *testing.T, srv *Server, id, fileID string, content []byte, ctype string) resp {
	t.Helper()
	return call(t, srv, "PUT", "/api/deployments/"+id+"/files/"+fileID+"/content", content, "Content-Type", ctype)
}

func TestDeployFakeDirectFlow(t *testing.T) {
	srv := New(t)
	srv.SetDeploymentPolls(2)
	files := map[string][]byte{"index.html": []byte("<h1>x</h1>"), "src/a.js": []byte("a()"), "empty": {}}
	id, ids := deployTestCreate(t, srv, files)

	// Content type, size and hash are checked.
	if r := deployTestPut(t, srv, id, ids["index.html"], files["index.html"], "text/html"); r.status != 415 {
		t.Errorf("wrong content type: %d %s", r.status, r.body)
	}
	if r := deployTestPut(t, srv, id, ids["index.html"], []byte("<h1>y</h1>"), "application/octet-stream"); r.status != 400 || !strings.Contains(string(r.body), "content does not match") {
		t.Errorf("wrong bytes: %d %s", r.status, r.body)
	}
	if r := deployTestPut(t, srv, id, ids["index.html"], []byte("<h1>"), "application/octet-stream"); r.status != 400 || !strings.Contains(string(r.body), "size does not match") {
		t.Errorf("too short: %d %s", r.status, r.body)
	}
	if r := deployTestPut(t, srv, id, "6d1b4a4e-0000-4000-8000-000000000000", []byte("x"), "application/octet-stream"); r.status != 404 {
		t.Errorf("unknown file: %d", r.status)
	}

	// Start refuses missing uploads.
	if r := call(t, srv, "POST", "/api/deployments/"+id+"/start", map[string]any{}); r.status != 400 || !strings.Contains(string(r.body), "3 file(s) that have not been uploaded") {
		t.Errorf("start too early: %d %s", r.status, r.body)
	}
	for p, c := range files {
		r := deployTestPut(t, srv, id, ids[p], c, "application/octet-stream; charset=binary")
		if r.status != 200 || r.obj(t)["uploadedAt"] == nil {
			t.Fatalf("upload %s: %d %s", p, r.status, r.body)
		}
	}
	if st := srv.DeploymentStatus(id); st != "UPLOADING" {
		t.Errorf("status after uploads %s", st)
	}
	src := srv.DeploymentSource(id)
	if len(src) != 3 || src[0].Path != "empty" || string(src[1].Content) != "<h1>x</h1>" || src[2].SHA != deployTestSHA(files["src/a.js"]) {
		t.Errorf("source %+v", src)
	}
	if ups := srv.DeploymentUploads(); len(ups) != 7 || ups[0].Status != 415 || ups[len(ups)-1].Status != 200 {
		t.Errorf("uploads %+v", ups)
	}

	// Start, then the status progresses with each read.
	r := call(t, srv, "POST", "/api/deployments/"+id+"/start", map[string]any{
		"projectSettings": map[string]any{"buildCommand": nil, "outputDirectory": "dist"},
		"envVars":         []any{map[string]any{"key": "K", "value": "v"}},
		"meta":            map[string]any{"a": "b"},
	})
	if r.status != 200 || r.obj(t)["status"] != "QUEUED" || r.obj(t)["providerDeploymentId"] == nil {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	if srv.DeploymentEnvVars()["K"] != "v" {
		t.Error("start did not save env vars")
	}
	if r := call(t, srv, "POST", "/api/deployments/"+id+"/start", nil); r.status != 400 || !strings.Contains(string(r.body), "Current status: QUEUED") {
		t.Errorf("second start: %d %s", r.status, r.body)
	}
	if r := deployTestPut(t, srv, id, ids["src/a.js"], files["src/a.js"], "application/octet-stream"); r.status != 400 || !strings.Contains(string(r.body), "DEPLOYMENT_INVALID_FILE") {
		t.Errorf("upload after start: %d %s", r.status, r.body)
	}
	if st := call(t, srv, "GET", "/api/deployments/"+id, nil).obj(t)["status"]; st != "BUILDING" {
		t.Errorf("first read %v", st)
	}
	rec := call(t, srv, "POST", "/api/deployments/"+id+"/sync", nil).obj(t)
	if rec["status"] != "READY" || !strings.HasPrefix(fmt.Sprint(rec["url"]), "https://") {
		t.Errorf("second read %v", rec)
	}
	meta := call(t, srv, "GET", "/api/deployments/metadata", nil).obj(t)
	if meta["currentDeploymentId"] != id || meta["defaultDomainUrl"] != rec["url"] || meta["customDomainUrl"] != nil {
		t.Errorf("metadata %v", meta)
	}
}

func TestDeployFakeValidation(t *testing.T) {
	srv := New(t)
	sha := deployTestSHA([]byte("x"))
	srv.SetDeploymentLimits(1, 10, 5)
	two := []any{map[string]any{"path": "a", "sha": sha, "size": 1}, map[string]any{"path": "b", "sha": sha, "size": 1}}
	if r := call(t, srv, "POST", "/api/deployments/direct", map[string]any{"files": two}); !strings.Contains(string(r.body), "maximum of 1 files") {
		t.Errorf("file count: %s", r.body)
	}
	big := []any{map[string]any{"path": "a", "sha": sha, "size": 6}}
	if r := call(t, srv, "POST", "/api/deployments/direct", map[string]any{"files": big}); !strings.Contains(string(r.body), "Deployment file a exceeds the maximum size of 5 bytes.") {
		t.Errorf("file size: %s", r.body)
	}
	if len(srv.DeploymentIDs()) != 0 {
		t.Error("an invalid manifest created a deployment")
	}
	if r := call(t, srv, "POST", "/api/deployments/direct", map[string]any{"files": big}, "Authorization", ""); r.status != 401 {
		t.Errorf("no key: %d", r.status)
	}
	if r := call(t, srv, "GET", "/api/deployments/not-a-uuid", nil); r.status != 500 {
		t.Errorf("malformed id: %d", r.status)
	}
	if r := call(t, srv, "GET", "/api/deployments/6d1b4a4e-0000-4000-8000-000000000000", nil); r.status != 404 || !strings.Contains(string(r.body), "DEPLOYMENT_NOT_FOUND") {
		t.Errorf("unknown id: %d %s", r.status, r.body)
	}
	waiting := srv.AddDeployment("WAITING")
	if r := call(t, srv, "POST", "/api/deployments/"+waiting+"/sync", nil); r.status != 400 || !strings.Contains(string(r.body), "no provider deployment ID") {
		t.Errorf("sync waiting: %d %s", r.status, r.body)
	}
}

func TestDeployFakeFailuresAndOutcome(t *testing.T) {
	srv := New(t)
	srv.SetDeploymentPolls(0)
	srv.SetDeploymentOutcome("ERROR", "boom")
	files := map[string][]byte{"a": []byte("a")}
	id, ids := deployTestCreate(t, srv, files)
	srv.FailDeploymentUpload("a", 2, &APIError{Status: 502, Code: "UPSTREAM_FAILURE", Message: "x"})
	if r := deployTestPut(t, srv, id, ids["a"], files["a"], "application/octet-stream"); r.status != 200 {
		t.Errorf("attempt 1: %d", r.status)
	}
	if r := deployTestPut(t, srv, id, ids["a"], files["a"], "application/octet-stream"); r.status != 502 {
		t.Errorf("attempt 2: %d", r.status)
	}
	if r := deployTestPut(t, srv, id, ids["a"], files["a"], "application/octet-stream"); r.status != 200 {
		t.Errorf("attempt 3: %d", r.status)
	}
	rec := call(t, srv, "POST", "/api/deployments/"+id+"/start", nil).obj(t)
	if rec["status"] != "ERROR" || fmt.Sprint(rec["metadata"].(map[string]any)["error"]) != "map[code:BUILD_FAILED message:boom]" {
		t.Errorf("outcome %v", rec)
	}
	r := call(t, srv, "POST", "/api/deployments/"+id+"/cancel", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "has been cancelled") || srv.DeploymentStatus(id) != "CANCELED" {
		t.Errorf("cancel: %d %s", r.status, r.body)
	}

	srv.SetDirectDeploymentsMissing(true)
	if r := call(t, srv, "POST", "/api/deployments/direct", map[string]any{}); r.status != 404 || !strings.Contains(string(r.body), "NOT_FOUND") {
		t.Errorf("missing direct: %d %s", r.status, r.body)
	}
	srv.SetDeploymentsConfigured(false)
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/deployments"}, {"GET", "/api/deployments/env-vars"}, {"POST", "/api/deployments/env-vars"}, {"GET", "/api/deployments/domains"},
	} {
		if r := call(t, srv, c.method, c.path, map[string]any{}); r.status != 503 || !strings.Contains(string(r.body), "VERCEL_TOKEN") {
			t.Errorf("%s %s unconfigured: %d %s", c.method, c.path, r.status, r.body)
		}
	}
	for _, p := range []string{"/api/deployments", "/api/deployments/metadata"} {
		if r := call(t, srv, "GET", p, nil); r.status != 200 || string(r.body) != "[]" {
			t.Errorf("GET %s unconfigured: %d %s", p, r.status, r.body)
		}
	}
}

func TestDeployFakeListPaging(t *testing.T) {
	srv := New(t)
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, srv.AddDeployment("READY"))
	}
	r := call(t, srv, "GET", "/api/deployments?limit=2&offset=1", nil)
	if r.status != 206 || r.header.Get("Content-Range") != "1-2/5" {
		t.Errorf("page: %d %q", r.status, r.header.Get("Content-Range"))
	}
	page := r.arr(t)
	if len(page) != 2 || page[0].(map[string]any)["id"] != ids[3] {
		t.Errorf("newest first: %v", page)
	}
	r = call(t, srv, "GET", "/api/deployments?limit=abc", nil)
	if r.status != 200 || len(r.arr(t)) != 5 {
		t.Errorf("bad limit falls back to 50: %d", r.status)
	}
}

func TestDeployFakeEnvVarsDomainsSlug(t *testing.T) {
	srv := New(t)
	r := call(t, srv, "POST", "/api/deployments/env-vars", map[string]any{"envVars": []any{map[string]any{"key": "A", "value": "1"}}})
	if r.status != 201 || r.obj(t)["count"] != float64(1) {
		t.Errorf("upsert: %d %s", r.status, r.body)
	}
	list := call(t, srv, "GET", "/api/deployments/env-vars", nil)
	if strings.Contains(string(list.body), `"value"`) {
		t.Errorf("list shows values: %s", list.body)
	}
	id := list.obj(t)["envVars"].([]any)[0].(map[string]any)["id"].(string)
	if v := call(t, srv, "GET", "/api/deployments/env-vars/"+id, nil).obj(t)["envVar"].(map[string]any)["value"]; v != "1" {
		t.Errorf("get value %v", v)
	}
	if r := call(t, srv, "DELETE", "/api/deployments/env-vars/"+id, nil); r.status != 200 {
		t.Errorf("delete %d", r.status)
	}
	if r := call(t, srv, "GET", "/api/deployments/env-vars/"+id, nil); r.status != 404 || !strings.Contains(string(r.body), "ENVIRONMENT_VARIABLE_NOT_FOUND") {
		t.Errorf("deleted get: %d %s", r.status, r.body)
	}

	r = call(t, srv, "POST", "/api/deployments/domains", map[string]any{"domain": "example.com"})
	if d := r.obj(t); r.status != 201 || d["aRecordValue"] != "76.76.21.21" || d["verified"] != false || d["misconfigured"] != true {
		t.Errorf("add apex: %d %s", r.status, r.body)
	}
	if r := call(t, srv, "POST", "/api/deployments/domains", map[string]any{"domain": "example.com"}); r.status != 409 {
		t.Errorf("duplicate domain: %d", r.status)
	}
	srv.SetCustomDomainDNSReady("example.com")
	if d := call(t, srv, "POST", "/api/deployments/domains/example.com/verify", nil).obj(t); d["verified"] != true || d["misconfigured"] != false {
		t.Errorf("verify: %v", d)
	}
	if r := call(t, srv, "DELETE", "/api/deployments/domains/other.com", nil); r.status != 404 || !strings.Contains(string(r.body), "DOMAIN_NOT_FOUND") {
		t.Errorf("remove unknown: %d %s", r.status, r.body)
	}

	for body, want := range map[string]string{`{"slug":"-x-"}`: "lowercase alphanumeric"} {
		if r := call(t, srv, "PUT", "/api/deployments/slug", body); r.status != 400 || !strings.Contains(string(r.body), want) {
			t.Errorf("slug %s: %d %s", body, r.status, r.body)
		}
	}
	if r := call(t, srv, "PUT", "/api/deployments/slug", `{"slug":"my-app"}`); r.status != 200 || r.obj(t)["domain"] != "my-app.insforge.site" {
		t.Errorf("slug: %d %s", r.status, r.body)
	}
	srv.SetDeploymentSlugCloud(false)
	if r := call(t, srv, "PUT", "/api/deployments/slug", `{"slug":null}`); r.status != 503 {
		t.Errorf("self-hosted slug: %d", r.status)
	}
}

// deployTestForm builds a presigned POST body.
func deployTestForm(t *testing.T, fields map[string]string, order []string, zipData []byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, k := range order {
		_ = mw.WriteField(k, fields[k])
	}
	fw, _ := mw.CreateFormFile("file", "source.zip")
	_, _ = fw.Write(zipData)
	_ = mw.Close()
	return &buf, mw.FormDataContentType()
}

func TestDeployFakeLegacyFlow(t *testing.T) {
	srv := New(t)
	srv.SetDeploymentPolls(0)
	if r := call(t, srv, "POST", "/api/deployments", nil); r.status != 503 || !strings.Contains(string(r.body), "S3_BUCKET") {
		t.Errorf("legacy without storage: %d %s", r.status, r.body)
	}
	srv.EnableLegacyDeployments(t)
	r := call(t, srv, "POST", "/api/deployments", nil)
	if r.status != 201 {
		t.Fatalf("legacy create: %d %s", r.status, r.body)
	}
	m := r.obj(t)
	id, uploadURL := m["id"].(string), m["uploadUrl"].(string)
	fields := map[string]string{}
	var order []string
	for k, v := range m["uploadFields"].(map[string]any) {
		fields[k] = v.(string)
		order = append(order, k)
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, _ := zw.Create("index.html")
	_, _ = w.Write([]byte("<h1>legacy</h1>"))
	_, _ = zw.Create("assets/")
	_ = zw.Close()

	post := func(body io.Reader, ctype string, length int64, hdr ...string) *http.Response {
		req, _ := http.NewRequest("POST", uploadURL, body)
		req.Header.Set("Content-Type", ctype)
		req.ContentLength = length
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	// A chunked body (no Content-Length) is refused like S3 does.
	body, ctype := deployTestForm(t, fields, order, zbuf.Bytes())
	if resp := post(io.MultiReader(body), ctype, -1); resp.StatusCode != 411 {
		t.Errorf("chunked: %d", resp.StatusCode)
	}
	// The admin key must not reach storage.
	body, ctype = deployTestForm(t, fields, order, zbuf.Bytes())
	if resp := post(body, ctype, int64(body.Len()), "Authorization", "Bearer "+DefaultAPIKey); resp.StatusCode != 400 {
		t.Errorf("with the admin key: %d", resp.StatusCode)
	}
	// A changed field fails the policy.
	bad := map[string]string{}
	for k, v := range fields {
		bad[k] = v
	}
	bad["X-Amz-Signature"] = "forged"
	body, ctype = deployTestForm(t, bad, order, zbuf.Bytes())
	if resp := post(body, ctype, int64(body.Len())); resp.StatusCode != 403 {
		t.Errorf("forged: %d", resp.StatusCode)
	}
	if r := call(t, srv, "POST", "/api/deployments/"+id+"/start", nil); r.status != 400 || !strings.Contains(string(r.body), "Source zip file not found") {
		t.Errorf("start without zip: %d %s", r.status, r.body)
	}

	r = call(t, srv, "POST", "/api/deployments", nil)
	m = r.obj(t)
	id = m["id"].(string)
	for k, v := range m["uploadFields"].(map[string]any) {
		fields[k] = v.(string)
	}
	body, ctype = deployTestForm(t, fields, order, zbuf.Bytes())
	if resp := post(body, ctype, int64(body.Len())); resp.StatusCode != 204 {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	ups := srv.LegacyUploads()
	last := ups[len(ups)-1]
	if last.DeploymentID != id || last.Status != 204 || last.FieldOrder[len(last.FieldOrder)-1] != "file" {
		t.Errorf("recorded %+v", last)
	}
	if rec := call(t, srv, "POST", "/api/deployments/"+id+"/start", nil).obj(t); rec["status"] != "READY" {
		t.Errorf("start: %v", rec)
	}
	src := srv.DeploymentSource(id)
	if len(src) != 1 || src[0].Path != "index.html" || string(src[0].Content) != "<h1>legacy</h1>" {
		t.Errorf("source %+v", src)
	}
}

func TestDeployFakeStreamingFront(t *testing.T) {
	srv := New(t)
	front := srv.StreamingDeploymentFront(t)
	content := bytes.Repeat([]byte("z"), 3<<20)
	id, ids := deployTestCreate(t, srv, map[string][]byte{"big": content})
	req, _ := http.NewRequest("PUT", front+"/api/deployments/"+id+"/files/"+ids["big"]+"/content", io.MultiReader(bytes.NewReader(content)))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("front upload: %d", resp.StatusCode)
	}
	src := srv.DeploymentSource(id)
	if len(src) != 1 || src[0].SHA != deployTestSHA(content) || src[0].Content != nil {
		t.Errorf("source %+v", src)
	}
	// Everything else passes through to the fake.
	r, err := http.Get(front + "/api/deployments/" + id)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 401 {
		t.Errorf("proxied without key: %d", r.StatusCode)
	}
}
