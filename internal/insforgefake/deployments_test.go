package insforgefake

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"maps"
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

// The product tests run both upload flows end to end; these check the
// refusals and controls they do not reach.

func TestDeployFakeDirectChecks(t *testing.T) {
	t.Parallel()
	srv := New(t)
	srv.SetDeploymentPolls(0)
	srv.SetDeploymentOutcome("ERROR", "boom")
	files := map[string][]byte{"a": []byte("a")}
	id, ids := deployTestCreate(t, srv, files)
	if r := deployTestPut(t, srv, id, ids["a"], []byte("b"), "application/octet-stream"); r.status != 400 || !strings.Contains(string(r.body), "does not match") {
		t.Errorf("wrong bytes: %d %s", r.status, r.body)
	}
	if r := deployTestPut(t, srv, id, "6d1b4a4e-0000-4000-8000-000000000000", []byte("x"), "application/octet-stream"); r.status != 404 {
		t.Errorf("unknown file: %d", r.status)
	}
	srv.FailDeploymentUpload("a", 2, &APIError{Status: 502, Code: "UPSTREAM_FAILURE", Message: "x"})
	for i, want := range []int{200, 502, 200} {
		if r := deployTestPut(t, srv, id, ids["a"], files["a"], "application/octet-stream"); r.status != want {
			t.Errorf("attempt %d: %d, want %d", i+1, r.status, want)
		}
	}
	rec := call(t, srv, "POST", "/api/deployments/"+id+"/start", nil).obj(t)
	if rec["status"] != "ERROR" || fmt.Sprint(rec["metadata"].(map[string]any)["error"]) != "map[code:BUILD_FAILED message:boom]" {
		t.Errorf("outcome %v", rec)
	}
	if src := srv.DeploymentSource(id); len(src) != 1 || string(src[0].Content) != "a" {
		t.Errorf("source %+v", src)
	}
	// An upload after the start (or a cancel) is refused and changes nothing.
	if r := deployTestPut(t, srv, id, ids["a"], files["a"], "application/octet-stream"); r.status != 400 || !strings.Contains(string(r.body), "only be uploaded while status is WAITING or UPLOADING") {
		t.Errorf("upload after the start: %d %s", r.status, r.body)
	}
	if st := srv.DeploymentStatus(id); st != "ERROR" {
		t.Errorf("status after a late upload: %s", st)
	}
	id, ids = deployTestCreate(t, srv, files)
	call(t, srv, "POST", "/api/deployments/"+id+"/cancel", nil)
	if r := deployTestPut(t, srv, id, ids["a"], files["a"], "application/octet-stream"); r.status != 400 {
		t.Errorf("upload after a cancel: %d %s", r.status, r.body)
	}
	if st := srv.DeploymentStatus(id); st != "CANCELED" {
		t.Errorf("status after a late upload: %s", st)
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

func TestDeployFakeLegacyForm(t *testing.T) {
	t.Parallel()
	srv := New(t)
	srv.EnableLegacyDeployments(t)
	m := call(t, srv, "POST", "/api/deployments", nil).obj(t)
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
	_ = zw.Close()
	post := func(fields map[string]string) int {
		body, ctype := deployTestForm(t, fields, order, zbuf.Bytes())
		resp, err := http.Post(uploadURL, ctype, body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	forged := maps.Clone(fields)
	forged["X-Amz-Signature"] = "forged"
	if st := post(forged); st != 403 {
		t.Errorf("forged: %d", st)
	}
	if st := post(fields); st != 204 {
		t.Fatalf("upload: %d", st)
	}
	if ups := srv.LegacyUploads(); len(ups) != 2 || ups[1].DeploymentID != id || ups[1].FieldOrder[len(ups[1].FieldOrder)-1] != "file" {
		t.Errorf("recorded %+v", ups)
	}
	call(t, srv, "POST", "/api/deployments/"+id+"/start", nil)
	if src := srv.DeploymentSource(id); len(src) != 1 || src[0].Path != "index.html" || string(src[0].Content) != "<h1>legacy</h1>" {
		t.Errorf("source %+v", src)
	}
}
