package insforgefake

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Storage module: storage configuration, buckets,
// objects, upload and download strategies.
//
// By default the fake behaves like a self-hosted backend on local disk: the
// upload strategy is "direct" (a multipart PUT to the backend's own object
// route) and the download strategy is a direct URL of that route.
// [Server.UsePresignedUploads] switches it to InsForge Cloud's behaviour:
// presigned POST forms and signed download URLs that point at a separate
// in-process S3 stand-in ([StorageS3]), and a confirm-upload step.
//
// Differences from the real backend:
//   - RLS on storage.objects is not enforced: the anon key can do whatever
//     the admin key can on USER routes.
//   - MIME types are re-detected with net/http's sniffer, which knows fewer
//     signatures than the backend's file-type library.
//   - A PUT or POST to the objects of a bucket that does not exist answers
//     404 STORAGE_NOT_FOUND (the backend fails on its foreign key).
//   - List entries always carry uploaded_by null (the backend stores the
//     uploading user's id for uploads made with a user token).
//   - The deprecated POST …/objects/{key}/download-strategy alias and the
//     S3 protocol gateway are not implemented.

// storageDefaultMaxMB is the default of the maxFileSizeMb setting.
const storageDefaultMaxMB = 50

// Download link lifetimes (seconds), as in the backend.
const (
	storagePublicExpiry  = 7 * 24 * 3600
	storagePrivateExpiry = 3600
	storageMaxExpiry     = 7 * 24 * 3600
)

// storageS3Bucket is the provider bucket every project object lives in.
const storageS3Bucket = "insforge-fake-s3"

type storageObject struct {
	data       []byte
	mimeType   string // "" when unknown (confirm-upload without contentType)
	etag       string
	uploadedAt time.Time
}

type storageBucket struct {
	public    bool
	createdAt time.Time
	objects   map[string]*storageObject
}

type storageState struct {
	mu       sync.Mutex
	buckets  map[string]*storageBucket
	maxBytes int64
	configID string
	created  time.Time
	updated  time.Time
	s3       *StorageS3 // set by UsePresignedUploads
}

func storageOf(s *Server) *storageState {
	return moduleState(s, "storage", func() *storageState {
		now := time.Now()
		return &storageState{buckets: map[string]*storageBucket{}, maxBytes: storageDefaultMaxMB << 20,
			configID: newUUID(), created: now, updated: now}
	})
}

func registerStorageRoutes(s *Server) {
	st := storageOf(s)
	s.handle("GET /api/storage/buckets", accessAdmin, s.storageListBuckets)
	s.handle("POST /api/storage/buckets", accessAdmin, s.storageCreateBucket)
	s.handle("PATCH /api/storage/buckets/{bucket}", accessAdmin, s.storageUpdateBucket)
	s.handle("DELETE /api/storage/buckets/{bucket}", accessAdmin, s.storageDeleteBucket)
	s.handle("GET /api/storage/buckets/{bucket}/objects", accessUser, s.storageListObjects)
	s.handle("DELETE /api/storage/buckets/{bucket}/objects", accessUser, s.storageDeleteObjects)
	s.handle("PUT /api/storage/buckets/{bucket}/objects/{key...}", accessUser, s.storagePutObject)
	s.handle("GET /api/storage/buckets/{bucket}/objects/{key...}", accessPublic, s.storageGetObject)
	s.handle("POST /api/storage/buckets/{bucket}/upload-strategy", accessUser, s.storageUploadStrategy)
	s.handle("POST /api/storage/buckets/{bucket}/objects/{key}/confirm-upload", accessUser, s.storageConfirmUpload)
	s.handle("GET /api/storage/buckets/{bucket}/download-strategy/objects/{key...}", accessPublic, s.storageDownloadStrategy)
	s.setMetadataSection("storage", st.metadata)
}

// ---- exported helpers for tests ----

// StoredObject is an object as the fake holds it.
type StoredObject struct {
	Bucket     string
	Key        string
	Data       []byte
	MimeType   string
	UploadedAt time.Time
}

// AddBucket creates (or replaces the visibility of) a bucket.
func (s *Server) AddBucket(name string, public bool) {
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	if b, ok := st.buckets[name]; ok {
		b.public = public
		return
	}
	st.buckets[name] = &storageBucket{public: public, createdAt: time.Now(), objects: map[string]*storageObject{}}
}

// PutObject stores data at bucket/key, creating a public bucket if needed.
func (s *Server) PutObject(bucket, key string, data []byte, mimeType string) {
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	b, ok := st.buckets[bucket]
	if !ok {
		b = &storageBucket{public: true, createdAt: time.Now(), objects: map[string]*storageObject{}}
		st.buckets[bucket] = b
	}
	b.objects[key] = newStorageObject(bytes.Clone(data), mimeType)
}

// Object returns a copy of the object at bucket/key.
func (s *Server) Object(bucket, key string) (StoredObject, bool) {
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	b, ok := st.buckets[bucket]
	if !ok {
		return StoredObject{}, false
	}
	o, ok := b.objects[key]
	if !ok {
		return StoredObject{}, false
	}
	return StoredObject{Bucket: bucket, Key: key, Data: bytes.Clone(o.data), MimeType: o.mimeType, UploadedAt: o.uploadedAt}, true
}

// SetStorageMaxFileSize sets the upload size limit in bytes (default 50 MB;
// PUT /api/storage/config sets it in whole MB). Uploads above it answer 413.
func (s *Server) SetStorageMaxFileSize(n int64) {
	st := storageOf(s)
	st.mu.Lock()
	st.maxBytes = n
	st.updated = time.Now()
	st.mu.Unlock()
}

// UsePresignedUploads makes the storage module behave like InsForge Cloud:
// upload-strategy answers method "presigned" with a POST form for the
// returned StorageS3 (another origin), confirm-upload records the uploaded
// file, download-strategy answers signed StorageS3 URLs and object GETs
// redirect there. The StorageS3 is closed with t.Cleanup. Calling it again
// returns the same StorageS3.
func (s *Server) UsePresignedUploads(t testing.TB) *StorageS3 {
	t.Helper()
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.s3 == nil {
		secret := make([]byte, 32)
		_, _ = rand.Read(secret)
		f := &StorageS3{st: st, secret: secret, pending: map[string]*storageObject{}, forms: map[string]s3Form{}}
		f.ts = httptest.NewServer(http.HandlerFunc(f.serve))
		f.URL = f.ts.URL
		t.Cleanup(f.ts.Close)
		st.s3 = f
	}
	return st.s3
}

// ---- helpers ----

func newStorageObject(data []byte, mimeType string) *storageObject {
	sum := md5.Sum(data)
	return &storageObject{data: data, mimeType: mimeType, etag: hex.EncodeToString(sum[:]), uploadedAt: time.Now()}
}

// storageEncodeURIComponent escapes like JavaScript's encodeURIComponent.
func storageEncodeURIComponent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// storageBucketNameOK applies the backend's rule [A-Za-z0-9_-]+.
func storageBucketNameOK(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func errStorageParam(msg string) *APIError {
	return &APIError{Status: 400, Code: "STORAGE_INVALID_PARAMETER", Message: msg}
}

func errStorageBucketName() *APIError {
	return errStorageParam("Invalid bucket name. Use only letters, numbers, hyphens, and underscores.")
}

func errStorageKey() *APIError {
	return errStorageParam(`Invalid key. Cannot use ".." or start with "/"`)
}

func errStorageNotFound(msg, next string) *APIError {
	return &APIError{Status: 404, Code: "STORAGE_NOT_FOUND", Message: msg, NextActions: next}
}

func storageKeyOK(key string) bool {
	return !strings.Contains(key, "..") && !strings.HasPrefix(key, "/")
}

// storageObjectPathErr checks an object route's bucket and key path values
// in the backend's order: missing key, bucket name, key.
func storageObjectPathErr(bucket, key string) *APIError {
	switch {
	case key == "":
		return errStorageParam("Object key is required")
	case !storageBucketNameOK(bucket):
		return errStorageBucketName()
	case !storageKeyOK(key):
		return errStorageKey()
	}
	return nil
}

// storageObjectURL is the file object's url: <API base>/api/storage/buckets/{b}/objects/{encoded key}?v=<etag>.
func (s *Server) storageObjectURL(bucket, key string, o *storageObject) string {
	return s.URL + "/api/storage/buckets/" + bucket + "/objects/" + storageEncodeURIComponent(key) + "?v=" + url.QueryEscape(o.etag)
}

func (s *Server) storageFileJSON(bucket, key string, o *storageObject) map[string]any {
	m := map[string]any{
		"bucket":     bucket,
		"key":        key,
		"size":       len(o.data),
		"uploadedAt": isoMillis(o.uploadedAt),
		"url":        s.storageObjectURL(bucket, key, o),
	}
	if o.mimeType != "" {
		m["mimeType"] = o.mimeType
	}
	return m
}

// storageUnsafeMime lists the types browsers execute (mime-guard).
func storageUnsafeMime(t string) bool {
	t = strings.ToLower(strings.TrimSpace(strings.Split(t, ";")[0]))
	switch t {
	case "text/html", "image/svg+xml", "text/javascript", "application/javascript", "application/ecmascript",
		"text/ecmascript", "application/x-javascript", "application/xhtml+xml", "application/x-xhtml+xml",
		"text/xml", "application/xml":
		return true
	}
	return false
}

// storageResolveMime approximates the backend's magic-byte re-detection:
// a recognised binary signature wins, active content becomes
// application/octet-stream, otherwise the declared type is kept.
func storageResolveMime(data []byte, declared string) string {
	sniffed := strings.ToLower(strings.TrimSpace(strings.Split(http.DetectContentType(data), ";")[0]))
	if storageUnsafeMime(sniffed) {
		return "application/octet-stream"
	}
	if sniffed != "text/plain" && sniffed != "application/octet-stream" {
		return sniffed
	}
	head := strings.ToLower(string(data[:min(len(data), 4096)]))
	for _, tag := range []string{"<html", "<script", "<svg", "<!doctype html", "<body", "<iframe", "<object", "<form"} {
		if strings.Contains(head, tag) {
			return "application/octet-stream"
		}
	}
	if declared == "" || storageUnsafeMime(declared) {
		return "application/octet-stream"
	}
	return declared
}

// storagePartMime is the part's MIME type as busboy reports it to multer:
// type/subtype in lower case without parameters ("text/plain; charset=utf-8"
// is stored as text/plain), and text/plain when the header is missing or
// unparseable.
func storagePartMime(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt == "" {
		return "text/plain"
	}
	return mt
}

// storageTooLarge is multer's 413 for a file over the limit.
func storageTooLarge(max int64) *APIError {
	msg := fmt.Sprintf("File too large. Maximum upload size is %d MB.", int64(math.Round(float64(max)/(1<<20))))
	if max < 1<<20 {
		msg = fmt.Sprintf("File too large. Maximum upload size is %d bytes.", max)
	}
	return &APIError{Status: http.StatusRequestEntityTooLarge, Code: "STORAGE_INVALID_PARAMETER", Message: msg}
}

// readFile reads the multipart field "file" like multer's single('file')
// and returns its bytes and re-detected MIME type.
func (st *storageState) readFile(r *http.Request) ([]byte, string, *APIError) {
	st.mu.Lock()
	max := st.maxBytes
	st.mu.Unlock()
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, "", errStorageParam("File is required")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var data []byte
	var declared string
	found := false
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", errStorageParam("Unexpected end of form")
		}
		if p.FileName() == "" {
			_, _ = io.Copy(io.Discard, p)
			continue
		}
		if p.FormName() != "file" || found {
			return nil, "", errStorageParam("Unexpected field")
		}
		found = true
		declared = storagePartMime(p.Header.Get("Content-Type"))
		data, err = io.ReadAll(io.LimitReader(p, max+1))
		if err != nil {
			return nil, "", errStorageParam("Unexpected end of form")
		}
		if int64(len(data)) > max {
			return nil, "", storageTooLarge(max)
		}
	}
	if !found {
		return nil, "", errStorageParam("File is required")
	}
	return data, storageResolveMime(data, declared), nil
}

// storageCheckDownloadAuth applies conditionalDownloadAuth: public buckets need no
// credential, anything else needs a USER credential.
func (s *Server) storageCheckDownloadAuth(w http.ResponseWriter, r *http.Request, st *storageState, bucket string) bool {
	st.mu.Lock()
	b, ok := st.buckets[bucket]
	public := ok && b.public
	st.mu.Unlock()
	if public {
		return true
	}
	if _, err := s.authenticate(r, accessUser); err != nil {
		writeError(w, err)
		return false
	}
	return true
}

// ---- config ----

// ---- buckets ----

func (st *storageState) metadata() any {
	st.mu.Lock()
	defer st.mu.Unlock()
	list := []map[string]any{}
	total := 0
	for _, name := range sortedKeys(st.buckets) {
		b := st.buckets[name]
		for _, o := range b.objects {
			total += len(o.data)
		}
		list = append(list, map[string]any{"name": name, "public": b.public, "createdAt": isoMillis(b.createdAt), "objectCount": len(b.objects)})
	}
	return map[string]any{"buckets": list, "totalSizeInGB": float64(total) / (1 << 30)}
}

func (s *Server) storageListBuckets(w http.ResponseWriter, r *http.Request) {
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	out := []map[string]any{}
	for _, name := range sortedKeys(st.buckets) {
		b := st.buckets[name]
		out = append(out, map[string]any{"name": name, "public": b.public, "createdAt": isoMillis(b.createdAt)})
	}
	writeJSON(w, 200, out)
}

func (s *Server) storageCreateBucket(w http.ResponseWriter, r *http.Request) {
	in := struct {
		BucketName string
		IsPublic   *bool
	}{}
	if !bind(w, r, &in) {
		return
	}
	name, public := in.BucketName, in.IsPublic == nil || *in.IsPublic
	if !storageBucketNameOK(name) {
		writeError(w, errStorageBucketName())
		return
	}
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, exists := st.buckets[name]; exists {
		writeError(w, &APIError{Status: http.StatusConflict, Code: "STORAGE_ALREADY_EXISTS", Message: fmt.Sprintf("Bucket %q already exists", name)})
		return
	}
	st.buckets[name] = &storageBucket{public: public, createdAt: time.Now(), objects: map[string]*storageObject{}}
	writeJSON(w, http.StatusCreated, map[string]any{"message": "Bucket created successfully", "bucketName": name, "isPublic": public})
}

func (s *Server) storageUpdateBucket(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("bucket")
	var in struct{ IsPublic bool }
	if !bind(w, r, &in) {
		return
	}
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	b, ok := st.buckets[name]
	if !ok {
		writeError(w, errStorageNotFound(fmt.Sprintf("Bucket %q does not exist", name), ""))
		return
	}
	b.public = in.IsPublic
	writeJSON(w, 200, map[string]any{"message": "Bucket visibility updated", "bucket": name, "isPublic": b.public})
}

func (s *Server) storageDeleteBucket(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("bucket")
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.buckets[name]; !ok {
		writeError(w, errStorageNotFound("Bucket not found or already empty", ""))
		return
	}
	delete(st.buckets, name)
	writeJSON(w, 200, map[string]any{"message": "Bucket deleted successfully"})
}

// ---- objects ----

// storageIntParam mimics parseInt(x) || def.
func storageIntParam(v string, def int) int {
	v = strings.TrimSpace(v)
	end := 0
	for end < len(v) && (v[end] >= '0' && v[end] <= '9' || end == 0 && (v[end] == '-' || v[end] == '+')) {
		end++
	}
	n, err := strconv.Atoi(v[:end])
	if err != nil || n == 0 {
		return def
	}
	return n
}

func (s *Server) storageListObjects(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("bucket")
	if !storageBucketNameOK(name) {
		writeError(w, errStorageBucketName())
		return
	}
	q := r.URL.Query()
	limit := min(max(1, storageIntParam(q.Get("limit"), 100)), 1000)
	offset := max(0, storageIntParam(q.Get("offset"), 0))
	prefix, search := q.Get("prefix"), strings.TrimSpace(q.Get("search"))

	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	var keys []string
	if b, ok := st.buckets[name]; ok { // a missing bucket lists as empty (as a real backend does)
		for k := range b.objects {
			if strings.HasPrefix(k, prefix) && strings.Contains(k, search) {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	data := []map[string]any{}
	for _, k := range pageSlice(keys, limit, offset) {
		o := st.buckets[name].objects[k]
		m := s.storageFileJSON(name, k, o)
		// The list spreads the storage.objects row into each entry.
		var mt any
		if o.mimeType != "" {
			mt = o.mimeType
		}
		m["mimeType"], m["mime_type"], m["etag"] = mt, mt, o.etag
		m["uploaded_at"], m["uploaded_by"], m["uploaded_via"], m["s3_access_key_id"] = isoMillis(o.uploadedAt), nil, "rest", nil
		data = append(data, m)
	}
	writeJSON(w, 200, map[string]any{
		"data":        data,
		"pagination":  map[string]any{"offset": offset, "limit": limit, "total": len(keys)},
		"nextActions": "You can use PUT /api/storage/buckets/:bucketName/objects/:objectKey to create or replace a specific key, POST /api/storage/buckets/:bucketName/objects to upload with an auto-generated key, and GET /api/storage/buckets/:bucketName/objects/:objectKey to download an object.",
	})
}

// storageStore writes an uploaded object and answers the file object.
func (s *Server) storageStore(w http.ResponseWriter, r *http.Request, bucket, key string, status int) {
	st := storageOf(s)
	data, mimeType, aerr := st.readFile(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	b, ok := st.buckets[bucket]
	if !ok {
		writeError(w, errStorageNotFound("Bucket does not exist", "Create the bucket first using POST /api/storage/buckets"))
		return
	}
	o := newStorageObject(data, mimeType)
	b.objects[key] = o
	writeJSON(w, status, s.storageFileJSON(bucket, key, o))
}

func (s *Server) storagePutObject(w http.ResponseWriter, r *http.Request) {
	bucket, key := r.PathValue("bucket"), r.PathValue("key")
	if err := storageObjectPathErr(bucket, key); err != nil {
		writeError(w, err)
		return
	}
	s.storageStore(w, r, bucket, key, 200)
}

// storageDownloadTarget reads the bucket and key of a download request and
// checks its access and path, answering the request when it fails.
func (s *Server) storageDownloadTarget(w http.ResponseWriter, r *http.Request) (*storageState, string, string, bool) {
	bucket, key := r.PathValue("bucket"), r.PathValue("key")
	st := storageOf(s)
	if !s.storageCheckDownloadAuth(w, r, st, bucket) {
		return nil, "", "", false
	}
	if err := storageObjectPathErr(bucket, key); err != nil {
		writeError(w, err)
		return nil, "", "", false
	}
	return st, bucket, key, true
}

func (s *Server) storageGetObject(w http.ResponseWriter, r *http.Request) {
	st, bucket, key, ok := s.storageDownloadTarget(w, r)
	if !ok {
		return
	}
	st.mu.Lock()
	var o *storageObject
	if b, ok := st.buckets[bucket]; ok {
		o = b.objects[key]
	}
	s3 := st.s3
	st.mu.Unlock()
	if o == nil {
		writeError(w, errStorageNotFound("Object not found", ""))
		return
	}
	if s3 != nil {
		http.Redirect(w, r, s3.signedURL(bucket, key, storagePrivateExpiry), http.StatusFound)
		return
	}
	storageServe(w, o)
}

func storageServe(w http.ResponseWriter, o *storageObject) {
	ct := o.mimeType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(o.data)))
	h.Set("X-Content-Type-Options", "nosniff")
	if storageUnsafeMime(ct) {
		h.Set("Content-Disposition", "attachment")
	}
	w.WriteHeader(200)
	_, _ = w.Write(o.data)
}

func (s *Server) storageDeleteObjects(w http.ResponseWriter, r *http.Request) {
	bucket := r.PathValue("bucket")
	var in struct{ Keys []string }
	if !bind(w, r, &in) {
		return
	}
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	results := []map[string]any{}
	b := st.buckets[bucket]
	seen := map[string]bool{}
	for _, k := range in.Keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		status := "notFound"
		if b != nil && b.objects[k] != nil {
			delete(b.objects, k)
			status = "deleted"
		}
		results = append(results, map[string]any{"key": k, "status": status})
	}
	writeJSON(w, 200, map[string]any{"results": results})
}

// ---- upload and download strategies ----

func (s *Server) storageUploadStrategy(w http.ResponseWriter, r *http.Request) {
	bucket := r.PathValue("bucket")
	var in struct {
		Filename, ContentType string
		Size                  int64
	}
	if !bind(w, r, &in) {
		return
	}
	key, contentType := in.Filename, in.ContentType
	if strings.TrimSpace(contentType) == "" || storageUnsafeMime(contentType) {
		contentType = "application/octet-stream"
	}
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.buckets[bucket]; !ok {
		writeError(w, errStorageNotFound(fmt.Sprintf("Bucket %q does not exist", bucket), ""))
		return
	}
	if !storageKeyOK(key) {
		writeError(w, errStorageKey())
		return
	}
	if st.s3 == nil {
		writeJSON(w, 200, map[string]any{
			"method":          "direct",
			"uploadUrl":       s.URL + "/api/storage/buckets/" + bucket + "/objects/" + storageEncodeURIComponent(key),
			"key":             key,
			"confirmRequired": false,
		})
		return
	}
	ceiling := st.maxBytes
	if in.Size > 0 && in.Size < ceiling {
		ceiling = in.Size
	}
	expires := time.Now().Add(time.Hour)
	writeJSON(w, 200, map[string]any{
		"method":          "presigned",
		"uploadUrl":       st.s3.URL + "/" + storageS3Bucket,
		"fields":          st.s3.postFields(bucket, key, contentType, ceiling, expires),
		"key":             key,
		"confirmRequired": true,
		"confirmUrl":      "/api/storage/buckets/" + bucket + "/objects/" + storageEncodeURIComponent(key) + "/confirm-upload",
		"expiresAt":       isoMillis(expires),
	})
}

func (s *Server) storageConfirmUpload(w http.ResponseWriter, r *http.Request) {
	bucket, key := r.PathValue("bucket"), r.PathValue("key")
	var in struct{ ContentType, Etag string }
	if !bind(w, r, &in) {
		return
	}
	contentType, etag := in.ContentType, in.Etag
	if storageUnsafeMime(contentType) {
		contentType = "application/octet-stream"
	}
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	// verifyObjectExists: the provider must hold the file.
	var data []byte
	var found bool
	if st.s3 != nil {
		data, etag, found = st.s3.takePending(bucket, key, etag)
	} else if b, ok := st.buckets[bucket]; ok && b.objects[key] != nil {
		data, etag, found = b.objects[key].data, b.objects[key].etag, true
	}
	b, ok := st.buckets[bucket]
	switch {
	case !found || !ok:
		writeError(w, errStorageNotFound(fmt.Sprintf("Upload not found for key %q in bucket %q", key, bucket), ""))
		return
	case int64(len(data)) > st.maxBytes:
		writeError(w, storageTooLarge(st.maxBytes))
		return
	}
	o := &storageObject{data: data, mimeType: contentType, etag: etag, uploadedAt: time.Now()}
	b.objects[key] = o
	writeJSON(w, 200, s.storageFileJSON(bucket, key, o))
}

func (s *Server) storageDownloadStrategy(w http.ResponseWriter, r *http.Request) {
	st, bucket, key, ok := s.storageDownloadTarget(w, r)
	if !ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	b := st.buckets[bucket]
	if b == nil || b.objects[key] == nil {
		writeError(w, errStorageNotFound("Object not found", ""))
		return
	}
	expiresIn := storagePrivateExpiry
	if raw := r.URL.Query().Get("expiresIn"); raw != "" {
		n, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			writeError(w, errStorageParam("expiresIn must be a finite number of seconds"))
			return
		}
		expiresIn = int(min(max(math.Floor(n), 1), storageMaxExpiry))
	}
	if b.public {
		expiresIn = storagePublicExpiry
	}
	w.Header().Set("Cache-Control", "no-store")
	if st.s3 == nil {
		writeJSON(w, 200, map[string]any{"method": "direct", "url": s.storageObjectURL(bucket, key, b.objects[key])})
		return
	}
	writeJSON(w, 200, map[string]any{
		"method":    "presigned",
		"url":       st.s3.signedURL(bucket, key, expiresIn),
		"expiresAt": isoMillis(time.Now().Add(time.Duration(expiresIn) * time.Second)),
	})
}

// ---- the S3 stand-in ----

// StorageS3 is an in-process stand-in for the S3 service behind presigned
// URLs. It listens on its own loopback port, so it is another origin than
// the fake backend, and it never accepts the backend's API key:
//
//   - POST /{bucket}: a browser-style form upload. Every field before the
//     file part must be covered by the signed policy; the policy's
//     Content-Type equality and content-length-range ceiling are enforced
//     (403 AccessDenied, 400 EntityTooLarge). A request that also carries an
//     Authorization header is refused (400 InvalidArgument). A successful
//     upload (204) waits for the backend's confirm-upload.
//   - GET /{bucket}/{key}: a signed download URL (403 when the signature is
//     wrong or expired).
//
// Errors are S3 XML documents.
type StorageS3 struct {
	// URL is the base URL of the S3 stand-in.
	URL string

	ts     *httptest.Server
	st     *storageState
	secret []byte

	mu       sync.Mutex // guards requests and pending
	requests []Request
	pending  map[string]*storageObject // provider key → uploaded, not yet confirmed
	forms    map[string]s3Form         // provider key → the form handed out
}

// Requests returns a copy of every request the S3 stand-in received.
func (f *StorageS3) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Request, len(f.requests))
	for i, r := range f.requests {
		out[i] = r.clone()
	}
	return out
}

// SawCredentials reports whether any request to the S3 stand-in carried an
// Authorization or X-Api-Key header (a client must never send the
// backend's key there).
func (f *StorageS3) SawCredentials() bool {
	for _, r := range f.Requests() {
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-Api-Key") != "" || r.APIKey != "" {
			return true
		}
	}
	return false
}

// storageProviderKey is where the backend keeps bucket/key in its S3 bucket.
func storageProviderKey(bucket, key string) string { return "project/" + bucket + "/" + key }

func (f *StorageS3) sign(parts ...string) string {
	m := hmac.New(sha256.New, f.secret)
	m.Write([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(m.Sum(nil))
}

// postFields builds a presigned POST form like createPresignedPost and
// remembers it: an upload must repeat its fields (instead of a signed
// policy) and stay under its size ceiling.
func (f *StorageS3) postFields(bucket, key, contentType string, ceiling int64, expires time.Time) map[string]string {
	now := time.Now().UTC()
	fields := map[string]string{
		"bucket":           storageS3Bucket,
		"X-Amz-Algorithm":  "AWS4-HMAC-SHA256",
		"X-Amz-Credential": "FAKEACCESSKEY/" + now.Format("20060102") + "/us-east-2/s3/aws4_request",
		"X-Amz-Date":       now.Format("20060102T150405Z"),
		"key":              storageProviderKey(bucket, key),
		"Content-Type":     contentType,
		"Policy":           base64.StdEncoding.EncodeToString(marshalJSON(map[string]any{"expiration": expires.UTC().Format(time.RFC3339), "max": ceiling})),
	}
	fields["X-Amz-Signature"] = f.sign(fields["Policy"])
	f.mu.Lock()
	f.forms[fields["key"]] = s3Form{fields, ceiling}
	f.mu.Unlock()
	return fields
}

// s3Form is a presigned POST form handed out.
type s3Form struct {
	fields  map[string]string
	ceiling int64
}

// signedURL is a presigned GET URL for bucket/key.
func (f *StorageS3) signedURL(bucket, key string, expiresIn int) string {
	pk := storageProviderKey(bucket, key)
	exp := strconv.FormatInt(time.Now().Add(time.Duration(expiresIn)*time.Second).Unix(), 10)
	segs := strings.Split(pk, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	q := url.Values{"X-Amz-Algorithm": {"AWS4-HMAC-SHA256"}, "X-Amz-Expires": {exp}, "X-Amz-Signature": {f.sign("GET", pk, exp)}}
	return f.URL + "/" + storageS3Bucket + "/" + strings.Join(segs, "/") + "?" + q.Encode()
}

// takePending removes and returns an uploaded, unconfirmed file. st.mu held.
func (f *StorageS3) takePending(bucket, key, etag string) ([]byte, string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pk := storageProviderKey(bucket, key)
	o, ok := f.pending[pk]
	if !ok {
		return nil, etag, false
	}
	delete(f.pending, pk)
	return o.data, o.etag, true
}

func storageS3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}

func (f *StorageS3) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: bytes.Clone(body), APIKey: extractAPIKey(r)})
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "" {
		storageS3Error(w, 400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/"+storageS3Bucket:
		f.postObject(w, r, body)
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.HasPrefix(r.URL.Path, "/"+storageS3Bucket+"/"):
		f.getObject(w, r, strings.TrimPrefix(r.URL.Path, "/"+storageS3Bucket+"/"))
	default:
		storageS3Error(w, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	}
}

func (f *StorageS3) postObject(w http.ResponseWriter, r *http.Request, body []byte) {
	_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	fields := map[string]string{}
	var file []byte
	for file == nil {
		p, err := mr.NextPart()
		if err != nil {
			storageS3Error(w, 400, "MalformedPOSTRequest", "The body of your POST request is not a form with a file.")
			return
		}
		data, _ := io.ReadAll(p)
		if p.FormName() == "file" {
			file = data // fields after the file are ignored
		}
		fields[strings.ToLower(p.FormName())] = string(data)
	}
	f.mu.Lock()
	form, ok := f.forms[fields["key"]]
	f.mu.Unlock()
	signed := map[string]bool{"file": true}
	for k, v := range form.fields {
		signed[strings.ToLower(k)] = true
		ok = ok && fields[strings.ToLower(k)] == v
	}
	for k := range fields {
		ok = ok && signed[k]
	}
	switch {
	case !ok:
		storageS3Error(w, 403, "AccessDenied", "Invalid according to Policy")
		return
	case int64(len(file)) > form.ceiling:
		storageS3Error(w, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		return
	}
	o := newStorageObject(file, fields["content-type"])
	f.mu.Lock()
	f.pending[fields["key"]] = o
	f.mu.Unlock()
	w.Header().Set("ETag", `"`+o.etag+`"`)
	w.WriteHeader(http.StatusNoContent)
}

func (f *StorageS3) getObject(w http.ResponseWriter, r *http.Request, pk string) {
	q := r.URL.Query()
	exp := q.Get("X-Amz-Expires")
	if !hmac.Equal([]byte(q.Get("X-Amz-Signature")), []byte(f.sign("GET", pk, exp))) {
		storageS3Error(w, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
		return
	}
	if n, err := strconv.ParseInt(exp, 10, 64); err != nil || time.Now().Unix() > n {
		storageS3Error(w, 403, "AccessDenied", "Request has expired")
		return
	}
	rest, ok := strings.CutPrefix(pk, "project/")
	bucket, key, ok2 := strings.Cut(rest, "/")
	var o *storageObject
	if ok && ok2 {
		f.st.mu.Lock()
		if b := f.st.buckets[bucket]; b != nil {
			o = b.objects[key]
		}
		f.st.mu.Unlock()
	}
	if o == nil {
		storageS3Error(w, 404, "NoSuchKey", "The specified key does not exist.")
		return
	}
	w.Header().Set("ETag", `"`+o.etag+`"`)
	storageServe(w, o)
}
