package insforgefake

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// The tools' tests cover the storage routes and both upload flows; this
// covers what they do not reach: anonymous downloads and the S3 stand-in's
// refusals.
func TestStorageDownloadAuth(t *testing.T) {
	t.Parallel()
	srv := New(t)
	srv.PutObject("pub", "a.txt", []byte("hi"), "text/plain")
	srv.AddBucket("priv", false)
	srv.PutObject("priv", "a.txt", []byte("hi"), "text/plain")
	if r := call(t, srv, "GET", "/api/storage/buckets/pub/objects/a.txt", nil, "Authorization", ""); r.status != 200 || string(r.body) != "hi" {
		t.Errorf("public download without a credential: %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "GET", "/api/storage/buckets/priv/objects/a.txt", nil, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "")
	wantError(t, call(t, srv, "GET", "/api/storage/buckets/priv/download-strategy/objects/a.txt", nil, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "")
}

func TestStorageS3Refusals(t *testing.T) {
	t.Parallel()
	srv := New(t)
	s3 := srv.UsePresignedUploads(t)
	srv.AddBucket("priv", false)
	s := call(t, srv, "POST", "/api/storage/buckets/priv/upload-strategy", map[string]any{"filename": "a.txt", "contentType": "text/plain", "size": 5}).obj(t)
	post := func(override string) int {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range s["fields"].(map[string]any) {
			if k == override {
				v = "changed"
			}
			mw.WriteField(k, v.(string))
		}
		fw, _ := mw.CreateFormFile("file", "a.txt")
		fw.Write([]byte("hello"))
		mw.Close()
		res, err := http.Post(s["uploadUrl"].(string), mw.FormDataContentType(), &buf)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if post("key") != 403 {
		t.Error("an upload to a key not handed out was accepted")
	}
	if post("") != 204 {
		t.Fatal("the form handed out was refused")
	}
	call(t, srv, "POST", "/api/storage/buckets/priv/objects/a.txt/confirm-upload", map[string]any{"contentType": "text/plain"})
	u := call(t, srv, "GET", "/api/storage/buckets/priv/download-strategy/objects/a.txt", nil).obj(t)["url"].(string)
	for url, want := range map[string]string{u: "hello", strings.Replace(u, "X-Amz-Signature=", "X-Amz-Signature=0", 1): "AccessDenied"} {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(b), want) {
			t.Errorf("GET %s: %d %s, want %s", url, res.StatusCode, b, want)
		}
	}
	if s3.SawCredentials() {
		t.Error("credentials seen where none was sent")
	}
}
