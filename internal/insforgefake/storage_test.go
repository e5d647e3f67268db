package insforgefake

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// storageForm builds a multipart body: fields in order, then (when
// filename is not empty) the part "file".
func storageForm(t *testing.T, fields [][2]string, filename, contentType string, data []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if filename != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+filename+`"`)
		if contentType != "" {
			h.Set("Content-Type", contentType)
		}
		p, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		p.Write(data)
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func storagePut(t *testing.T, srv *Server, path string, data []byte, contentType string, hdr ...string) resp {
	t.Helper()
	body, ct := storageForm(t, nil, "f.bin", contentType, data)
	return call(t, srv, "PUT", path, body, append([]string{"Content-Type", ct}, hdr...)...)
}

func storageWantStatus(t *testing.T, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
}

func TestStorageBuckets(t *testing.T) {
	srv := New(t)

	r := call(t, srv, "POST", "/api/storage/buckets", map[string]any{"bucketName": "photos"})
	storageWantStatus(t, r, 201)
	m := r.obj(t)
	if m["bucketName"] != "photos" || m["isPublic"] != true || m["message"] != "Bucket created successfully" {
		t.Errorf("create answer = %v", m)
	}
	storageWantStatus(t, call(t, srv, "POST", "/api/storage/buckets", map[string]any{"bucketName": "docs", "isPublic": false}), 201)

	wantError(t, call(t, srv, "POST", "/api/storage/buckets", map[string]any{"bucketName": "photos"}), 409, "STORAGE_ALREADY_EXISTS", `Bucket "photos" already exists`)
	wantError(t, call(t, srv, "POST", "/api/storage/buckets", map[string]any{"bucketName": "my.bucket"}), 400, "STORAGE_INVALID_PARAMETER",
		"Invalid bucket name. Use only letters, numbers, hyphens, and underscores.")
	wantError(t, call(t, srv, "GET", "/api/storage/buckets", nil, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "")

	list := call(t, srv, "GET", "/api/storage/buckets", nil).arr(t)
	if len(list) != 2 {
		t.Fatalf("buckets = %v", list)
	}
	first := list[0].(map[string]any)
	if first["name"] != "docs" || first["public"] != false || first["createdAt"] == nil || len(first) != 3 {
		t.Errorf("first bucket = %v (sorted by name, {name, public, createdAt})", first)
	}

	r = call(t, srv, "PATCH", "/api/storage/buckets/docs", map[string]any{"isPublic": true})
	storageWantStatus(t, r, 200)
	if m := r.obj(t); m["bucket"] != "docs" || m["isPublic"] != true {
		t.Errorf("patch answer = %v", m)
	}
	wantError(t, call(t, srv, "PATCH", "/api/storage/buckets/nope", map[string]any{"isPublic": true}), 404, "STORAGE_NOT_FOUND", `Bucket "nope" does not exist`)

	srv.PutObject("docs", "a.txt", []byte("hello"), "text/plain")
	md := call(t, srv, "GET", "/api/metadata/storage", nil).obj(t)
	bl := md["buckets"].([]any)
	if len(bl) != 2 || bl[0].(map[string]any)["objectCount"] != float64(1) || bl[0].(map[string]any)["public"] != true {
		t.Errorf("storage metadata = %v", md)
	}

	storageWantStatus(t, call(t, srv, "DELETE", "/api/storage/buckets/docs", nil), 200)
	if _, ok := srv.Object("docs", "a.txt"); ok {
		t.Error("deleting the bucket kept its objects")
	}
	wantError(t, call(t, srv, "DELETE", "/api/storage/buckets/docs", nil), 404, "STORAGE_NOT_FOUND", "")
}

func TestStorageConfig(t *testing.T) {
	srv := New(t)
	srv.SetStorageMaxFileSize(1 << 20)
	srv.AddBucket("b", true)
	big := bytes.Repeat([]byte("x"), 1<<20+1)
	wantError(t, storagePut(t, srv, "/api/storage/buckets/b/objects/big.txt", big, "text/plain"), 413, "STORAGE_INVALID_PARAMETER",
		"File too large. Maximum upload size is 1 MB.")
}

func TestStorageObjects(t *testing.T) {
	srv := New(t)
	srv.AddBucket("pub", true)
	srv.AddBucket("priv", false)

	// A nested key, sent escaped as one segment (like the direct uploadUrl)
	// or with raw slashes: both address the same object.
	r := storagePut(t, srv, "/api/storage/buckets/pub/objects/docs%2Freadme.md", []byte("# hi\n"), "text/markdown")
	storageWantStatus(t, r, 200)
	f := r.obj(t)
	if f["key"] != "docs/readme.md" || f["bucket"] != "pub" || f["size"] != float64(5) || f["mimeType"] != "text/markdown" || f["uploadedAt"] == nil {
		t.Errorf("file = %v", f)
	}
	if u, _ := f["url"].(string); !strings.HasPrefix(u, srv.URL+"/api/storage/buckets/pub/objects/docs%2Freadme.md?v=") {
		t.Errorf("url = %v", f["url"])
	}
	storageWantStatus(t, storagePut(t, srv, "/api/storage/buckets/pub/objects/docs/guide.md", []byte("guide"), "text/markdown"), 200)
	storageWantStatus(t, storagePut(t, srv, "/api/storage/buckets/pub/objects/logo.png", []byte("\x89PNG\r\n\x1a\n0000"), "application/octet-stream"), 200)
	storageWantStatus(t, storagePut(t, srv, "/api/storage/buckets/pub/objects/page.html", []byte("<html><body>x</body></html>"), "text/html"), 200)

	if o, _ := srv.Object("pub", "logo.png"); o.MimeType != "image/png" {
		t.Errorf("PNG stored as %q, want the sniffed image/png", o.MimeType)
	}
	if o, _ := srv.Object("pub", "page.html"); o.MimeType != "application/octet-stream" {
		t.Errorf("HTML stored as %q, want application/octet-stream", o.MimeType)
	}
	// busboy drops the part's Content-Type parameters (real 2.3.1 stores
	// text/plain for "text/plain; charset=utf-8")
	r = storagePut(t, srv, "/api/storage/buckets/priv/objects/note.txt", []byte("plain"), "text/plain; charset=utf-8")
	if f := r.obj(t); f["mimeType"] != "text/plain" {
		t.Errorf("charset upload answered mimeType %v, want text/plain", f["mimeType"])
	}

	l := call(t, srv, "GET", "/api/storage/buckets/pub/objects?prefix=docs/&limit=1", nil).obj(t)
	data := l["data"].([]any)
	pg := l["pagination"].(map[string]any)
	if len(data) != 1 || data[0].(map[string]any)["key"] != "docs/guide.md" || pg["total"] != float64(2) || pg["limit"] != float64(1) || pg["offset"] != float64(0) {
		t.Errorf("list = %v", l)
	}
	// list entries carry the storage.objects row's own columns too
	e := data[0].(map[string]any)
	if e["mime_type"] != "text/markdown" || e["mimeType"] != "text/markdown" || e["uploaded_via"] != "rest" || e["etag"] == nil || e["etag"] == "" ||
		e["uploaded_at"] != e["uploadedAt"] || e["uploaded_by"] != nil || e["s3_access_key_id"] != nil || len(e) != 12 {
		t.Errorf("list entry = %v", e)
	}
	l = call(t, srv, "GET", "/api/storage/buckets/pub/objects?search=read&offset=0", nil).obj(t)
	if d := l["data"].([]any); len(d) != 1 || d[0].(map[string]any)["key"] != "docs/readme.md" {
		t.Errorf("search = %v", l)
	}
	l = call(t, srv, "GET", "/api/storage/buckets/ghost/objects", nil).obj(t)
	if d := l["data"].([]any); len(d) != 0 || l["pagination"].(map[string]any)["total"] != float64(0) {
		t.Errorf("missing bucket lists as %v, want an empty 200", l)
	}

	// Downloads: public buckets need no credential, private ones do.
	r = call(t, srv, "GET", "/api/storage/buckets/pub/objects/docs/readme.md", nil, "Authorization", "")
	storageWantStatus(t, r, 200)
	if string(r.body) != "# hi\n" || r.header.Get("Content-Type") != "text/markdown" || r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("download: %q %v", r.body, r.header)
	}
	if r := call(t, srv, "GET", "/api/storage/buckets/pub/objects/page.html", nil); r.header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("HTML served as %v, want application/octet-stream", r.header)
	}
	srv.PutObject("priv", "secret.txt", []byte("s"), "text/plain")
	wantError(t, call(t, srv, "GET", "/api/storage/buckets/priv/objects/secret.txt", nil, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "")
	storageWantStatus(t, call(t, srv, "GET", "/api/storage/buckets/priv/objects/secret.txt", nil), 200)
	wantError(t, call(t, srv, "GET", "/api/storage/buckets/pub/objects/nope.txt", nil), 404, "STORAGE_NOT_FOUND", "Object not found")

	// Errors on upload.
	wantError(t, storagePut(t, srv, "/api/storage/buckets/ghost/objects/a.txt", []byte("x"), "text/plain"), 404, "STORAGE_NOT_FOUND", "")
	wantError(t, call(t, srv, "PUT", "/api/storage/buckets/pub/objects/a.txt", []byte("x"), "Content-Type", "text/plain"), 400, "STORAGE_INVALID_PARAMETER", "File is required")
	wantError(t, storagePut(t, srv, "/api/storage/buckets/pub/objects/a..b", []byte("x"), "text/plain"), 400, "STORAGE_INVALID_PARAMETER", `Invalid key. Cannot use ".." or start with "/"`)
	wantError(t, storagePut(t, srv, "/api/storage/buckets/pub/objects/a.txt", []byte("x"), "text/plain", "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "")
	srv.SetStorageMaxFileSize(4)
	wantError(t, storagePut(t, srv, "/api/storage/buckets/pub/objects/a.txt", []byte("12345"), "text/plain"), 413, "STORAGE_INVALID_PARAMETER", "")
	storageWantStatus(t, storagePut(t, srv, "/api/storage/buckets/pub/objects/a.txt", []byte("1234"), "text/plain"), 200)
	srv.SetStorageMaxFileSize(50 << 20)

	// Deletes.
	r = call(t, srv, "DELETE", "/api/storage/buckets/pub/objects", map[string]any{"keys": []string{"docs/readme.md", "nope", "docs/readme.md", "logo.png"}})
	storageWantStatus(t, r, 200)
	var res struct {
		Results []map[string]any `json:"results"`
	}
	json.Unmarshal(r.body, &res)
	want := []string{"docs/readme.md:deleted", "nope:notFound", "logo.png:deleted"}
	var got []string
	for _, x := range res.Results {
		got = append(got, x["key"].(string)+":"+x["status"].(string))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("delete results = %v, want %v", got, want)
	}
}

func TestStorageStrategiesDirect(t *testing.T) {
	srv := New(t)
	srv.AddBucket("priv", false)

	wantError(t, call(t, srv, "POST", "/api/storage/buckets/ghost/upload-strategy", map[string]any{"filename": "a.txt"}), 404, "STORAGE_NOT_FOUND", `Bucket "ghost" does not exist`)
	wantError(t, call(t, srv, "POST", "/api/storage/buckets/priv/upload-strategy", map[string]any{"filename": "/abs"}), 400, "STORAGE_INVALID_PARAMETER", "")

	r := call(t, srv, "POST", "/api/storage/buckets/priv/upload-strategy", map[string]any{"filename": "a b/c.txt", "contentType": "text/plain", "size": 3})
	storageWantStatus(t, r, 200)
	s := r.obj(t)
	if s["method"] != "direct" || s["confirmRequired"] != false || s["key"] != "a b/c.txt" ||
		s["uploadUrl"] != srv.URL+"/api/storage/buckets/priv/objects/a%20b%2Fc.txt" {
		t.Fatalf("direct strategy = %v", s)
	}
	up := strings.TrimPrefix(s["uploadUrl"].(string), srv.URL)
	storageWantStatus(t, storagePut(t, srv, up, []byte("abc"), "text/plain"), 200)
	if o, ok := srv.Object("priv", "a b/c.txt"); !ok || string(o.Data) != "abc" {
		t.Fatalf("object after direct upload = %+v, %v", o, ok)
	}

	// confirm-upload on a local backend checks that the file exists.
	storageWantStatus(t, call(t, srv, "POST", "/api/storage/buckets/priv/objects/a%20b%2Fc.txt/confirm-upload", map[string]any{"size": 3}), 200)
	wantError(t, call(t, srv, "POST", "/api/storage/buckets/priv/objects/none/confirm-upload", map[string]any{"size": 3}), 404, "STORAGE_NOT_FOUND", `Upload not found for key "none" in bucket "priv"`)

	r = call(t, srv, "GET", "/api/storage/buckets/priv/download-strategy/objects/a%20b/c.txt?expiresIn=60", nil)
	storageWantStatus(t, r, 200)
	d := r.obj(t)
	if d["method"] != "direct" || !strings.HasPrefix(d["url"].(string), srv.URL+"/api/storage/buckets/priv/objects/a%20b%2Fc.txt?v=") {
		t.Errorf("direct download strategy = %v", d)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
	}
	wantError(t, call(t, srv, "GET", "/api/storage/buckets/priv/download-strategy/objects/a%20b/c.txt?expiresIn=abc", nil), 400, "STORAGE_INVALID_PARAMETER", "expiresIn must be a finite number of seconds")
	wantError(t, call(t, srv, "GET", "/api/storage/buckets/priv/download-strategy/objects/nope", nil), 404, "STORAGE_NOT_FOUND", "Object not found")
	wantError(t, call(t, srv, "GET", "/api/storage/buckets/priv/download-strategy/objects/a%20b/c.txt", nil, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "")
}

func TestStoragePresigned(t *testing.T) {
	srv := New(t)
	s3 := srv.UsePresignedUploads(t)
	if s3 != srv.UsePresignedUploads(t) {
		t.Fatal("UsePresignedUploads returned a new StorageS3")
	}
	srv.AddBucket("priv", false)

	strategy := func(key, ct string, size int) map[string]any {
		t.Helper()
		r := call(t, srv, "POST", "/api/storage/buckets/priv/upload-strategy", map[string]any{"filename": key, "contentType": ct, "size": size})
		storageWantStatus(t, r, 200)
		return r.obj(t)
	}
	post := func(s map[string]any, override map[string]string, extra [][2]string, data []byte, hdr ...string) resp {
		t.Helper()
		var fields [][2]string
		raw := s["fields"].(map[string]any)
		names := make([]string, 0, len(raw))
		for k := range raw {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			v := raw[k].(string)
			if o, ok := override[k]; ok {
				v = o
			}
			fields = append(fields, [2]string{k, v})
		}
		fields = append(fields, extra...)
		body, ct := storageForm(t, fields, "x", "application/octet-stream", data)
		req, _ := http.NewRequest("POST", s["uploadUrl"].(string), bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return resp{status: res.StatusCode, header: res.Header, body: b}
	}

	s := strategy("dir/a.txt", "text/plain", 5)
	if s["method"] != "presigned" || s["confirmRequired"] != true || s["confirmUrl"] != "/api/storage/buckets/priv/objects/dir%2Fa.txt/confirm-upload" ||
		!strings.HasPrefix(s["uploadUrl"].(string), s3.URL+"/") || s["expiresAt"] == nil {
		t.Fatalf("presigned strategy = %v", s)
	}
	fields := s["fields"].(map[string]any)
	if fields["Content-Type"] != "text/plain" || fields["key"] != "project/priv/dir/a.txt" || fields["Policy"] == nil || fields["X-Amz-Signature"] == nil {
		t.Errorf("fields = %v", fields)
	}
	if u, _ := url.Parse(s["uploadUrl"].(string)); u.Host == strings.TrimPrefix(srv.URL, "http://") {
		t.Error("the S3 stand-in shares the backend's origin")
	}

	// Policy violations.
	if r := post(s, map[string]string{"Content-Type": "image/png"}, nil, []byte("hello")); r.status != 403 {
		t.Errorf("wrong Content-Type: %d %s", r.status, r.body)
	}
	if r := post(s, nil, nil, []byte("hello!")); r.status != 400 || !strings.Contains(string(r.body), "EntityTooLarge") {
		t.Errorf("over the ceiling: %d %s", r.status, r.body)
	}
	if r := post(s, nil, [][2]string{{"acl", "public-read"}}, []byte("hello")); r.status != 403 {
		t.Errorf("unsigned field: %d %s", r.status, r.body)
	}
	if r := post(s, map[string]string{"key": "project/priv/other"}, nil, []byte("hello")); r.status != 403 {
		t.Errorf("changed key: %d %s", r.status, r.body)
	}
	if s3.SawCredentials() {
		t.Fatal("credentials seen before any was sent")
	}
	if r := post(s, nil, nil, []byte("hello"), "Authorization", "Bearer "+DefaultAPIKey); r.status != 400 || !strings.Contains(string(r.body), "InvalidArgument") {
		t.Errorf("with Authorization: %d %s", r.status, r.body)
	}
	if !s3.SawCredentials() {
		t.Error("SawCredentials missed an Authorization header")
	}

	// Confirming before the upload fails; after it, the object exists.
	wantError(t, call(t, srv, "POST", "/api/storage/buckets/priv/objects/dir%2Fa.txt/confirm-upload", map[string]any{"size": 5}), 404, "STORAGE_NOT_FOUND", "")
	r := post(s, nil, nil, []byte("hello"))
	if r.status != 204 || r.header.Get("ETag") == "" {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	r = call(t, srv, "POST", "/api/storage/buckets/priv/objects/dir%2Fa.txt/confirm-upload", map[string]any{"size": 5, "contentType": "text/plain"})
	storageWantStatus(t, r, 200)
	if f := r.obj(t); f["key"] != "dir/a.txt" || f["size"] != float64(5) || f["mimeType"] != "text/plain" {
		t.Errorf("confirmed file = %v", f)
	}
	if o, ok := srv.Object("priv", "dir/a.txt"); !ok || string(o.Data) != "hello" {
		t.Fatalf("object = %+v %v", o, ok)
	}

	// Downloads go through signed S3 URLs.
	r = call(t, srv, "GET", "/api/storage/buckets/priv/download-strategy/objects/dir/a.txt?expiresIn=60", nil)
	storageWantStatus(t, r, 200)
	d := r.obj(t)
	if d["method"] != "presigned" || !strings.HasPrefix(d["url"].(string), s3.URL+"/") || d["expiresAt"] == nil {
		t.Fatalf("presigned download strategy = %v", d)
	}
	res, err := http.Get(d["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "hello" {
		t.Errorf("signed GET: %d %q", res.StatusCode, b)
	}
	res, err = http.Get(strings.Replace(d["url"].(string), "X-Amz-Signature=", "X-Amz-Signature=0", 1))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Errorf("tampered signature: %d", res.StatusCode)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", srv.URL+"/api/storage/buckets/priv/objects/dir/a.txt", nil)
	req.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
	res, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 302 || !strings.HasPrefix(res.Header.Get("Location"), s3.URL+"/") {
		t.Errorf("object GET in presigned mode: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}
