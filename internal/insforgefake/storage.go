package insforgefake

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
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

// Storage module: buckets, objects, upload and download strategies.
//
// By default the fake behaves like a self-hosted backend on local disk: the
// upload strategy is "direct" (a multipart PUT to the backend's own object
// route) and downloads are direct URLs of that route.
// [Server.UsePresignedUploads] switches it to InsForge Cloud's behaviour:
// presigned POST forms and signed download URLs that point at a separate
// in-process S3 stand-in ([StorageS3]), and a confirm-upload step.
//
// Differences from the real backend: RLS on storage.objects is not
// enforced, MIME types are stored as declared (no magic-byte re-detection),
// and bucket names and keys are not validated (the tools check them first).

// Download link lifetimes (seconds), as in the backend.
const (
	storagePublicExpiry  = 7 * 24 * 3600
	storagePrivateExpiry = 3600
)

// storageS3Bucket is the provider bucket every project object lives in.
const storageS3Bucket = "insforge-fake-s3"

type storageObject struct {
	data       []byte
	mimeType   string
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
	s3       *StorageS3 // set by UsePresignedUploads
}

func storageOf(s *Server) *storageState {
	return moduleState(s, "storage", func() *storageState {
		return &storageState{buckets: map[string]*storageBucket{}, maxBytes: 50 << 20}
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
	Data     []byte
	MimeType string
}

// AddBucket creates (or replaces the visibility of) a bucket.
func (s *Server) AddBucket(name string, public bool) {
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.bucket(name, true).public = public
}

// PutObject stores data at bucket/key, creating a public bucket if needed.
func (s *Server) PutObject(bucket, key string, data []byte, mimeType string) {
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.bucket(bucket, true).objects[key] = newStorageObject(bytes.Clone(data), mimeType)
}

// Object returns a copy of the object at bucket/key.
func (s *Server) Object(bucket, key string) (StoredObject, bool) {
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	o := st.object(bucket, key)
	if o == nil {
		return StoredObject{}, false
	}
	return StoredObject{Data: bytes.Clone(o.data), MimeType: o.mimeType}, true
}

// SetStorageMaxFileSize sets the upload size limit in bytes (default
// 50 MB). Uploads above it answer 413.
func (s *Server) SetStorageMaxFileSize(n int64) {
	st := storageOf(s)
	st.mu.Lock()
	st.maxBytes = n
	st.mu.Unlock()
}

// UsePresignedUploads makes the storage module behave like InsForge Cloud:
// upload-strategy answers method "presigned" with a POST form for the
// returned StorageS3 (another origin), confirm-upload records the uploaded
// file and download-strategy answers signed StorageS3 URLs. The StorageS3 is closed with t.Cleanup. Calling it again
// returns the same StorageS3.
func (s *Server) UsePresignedUploads(t testing.TB) *StorageS3 {
	t.Helper()
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.s3 == nil {
		secret := make([]byte, 32)
		_, _ = rand.Read(secret)
		f := &StorageS3{st: st, secret: secret, pending: map[string]*storageObject{}, forms: map[string]int64{}}
		f.ts = httptest.NewServer(http.HandlerFunc(f.serve))
		f.URL = f.ts.URL
		t.Cleanup(f.ts.Close)
		st.s3 = f
	}
	return st.s3
}

// ---- helpers ----

// bucket returns the named bucket, creating a public one when create is
// set (nil when it does not exist otherwise). st.mu held.
func (st *storageState) bucket(name string, create bool) *storageBucket {
	b := st.buckets[name]
	if b == nil && create {
		b = &storageBucket{public: true, createdAt: time.Now(), objects: map[string]*storageObject{}}
		st.buckets[name] = b
	}
	return b
}

// object returns bucket/key or nil. st.mu held.
func (st *storageState) object(bucket, key string) *storageObject {
	if b := st.buckets[bucket]; b != nil {
		return b.objects[key]
	}
	return nil
}

func newStorageObject(data []byte, mimeType string) *storageObject {
	sum := md5.Sum(data)
	return &storageObject{data: data, mimeType: mimeType, etag: hex.EncodeToString(sum[:]), uploadedAt: time.Now()}
}

func errStorageNotFound(msg string) *APIError {
	return &APIError{Status: 404, Code: "STORAGE_NOT_FOUND", Message: msg}
}

// storageObjectURL is the file object's url: <API base>/api/storage/buckets/{b}/objects/{encoded key}?v=<etag>.
func (s *Server) storageObjectURL(bucket, key string, o *storageObject) string {
	return s.URL + "/api/storage/buckets/" + bucket + "/objects/" + url.PathEscape(key) + "?v=" + o.etag
}

func (s *Server) storageFileJSON(bucket, key string, o *storageObject) map[string]any {
	return map[string]any{"bucket": bucket, "key": key, "size": len(o.data), "mimeType": o.mimeType,
		"uploadedAt": isoMillis(o.uploadedAt), "url": s.storageObjectURL(bucket, key, o)}
}

// readFile reads the multipart field "file" like multer's single('file')
// and returns its bytes and its part's MIME type without parameters.
func (st *storageState) readFile(r *http.Request) ([]byte, string, *APIError) {
	f, fh, err := r.FormFile("file")
	if err != nil {
		return nil, "", &APIError{Status: 400, Code: "STORAGE_INVALID_PARAMETER", Message: "File is required"}
	}
	defer f.Close()
	data, _ := io.ReadAll(f)
	st.mu.Lock()
	max := st.maxBytes
	st.mu.Unlock()
	if int64(len(data)) > max { // multer's 413
		return nil, "", &APIError{Status: http.StatusRequestEntityTooLarge, Code: "STORAGE_INVALID_PARAMETER",
			Message: fmt.Sprintf("File too large. Maximum upload size is %d bytes.", max)}
	}
	mt, _, _ := mime.ParseMediaType(fh.Header.Get("Content-Type"))
	return data, mt, nil
}

// storageDownloadTarget applies conditionalDownloadAuth (public buckets
// need no credential, anything else needs a USER credential) and returns
// the requested object, answering the request when it fails. st.mu held.
func (s *Server) storageDownloadTarget(w http.ResponseWriter, r *http.Request, st *storageState) (*storageBucket, *storageObject, bool) {
	b := st.buckets[r.PathValue("bucket")]
	if b == nil || !b.public {
		if _, err := s.authenticate(r, accessUser); err != nil {
			writeError(w, err)
			return nil, nil, false
		}
	}
	o := st.object(r.PathValue("bucket"), r.PathValue("key"))
	if o == nil {
		writeError(w, errStorageNotFound("Object not found"))
	}
	return b, o, o != nil
}

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
	var in struct {
		BucketName string
		IsPublic   *bool
	}
	if !bind(w, r, &in) {
		return
	}
	name, public := in.BucketName, in.IsPublic == nil || *in.IsPublic
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.buckets[name] != nil {
		writeError(w, &APIError{Status: http.StatusConflict, Code: "STORAGE_ALREADY_EXISTS", Message: fmt.Sprintf("Bucket %q already exists", name)})
		return
	}
	st.bucket(name, true).public = public
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
	b := st.buckets[name]
	if b == nil {
		writeError(w, errStorageNotFound(fmt.Sprintf("Bucket %q does not exist", name)))
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
	if st.buckets[name] == nil {
		writeError(w, errStorageNotFound("Bucket not found or already empty"))
		return
	}
	delete(st.buckets, name)
	writeJSON(w, 200, map[string]any{"message": "Bucket deleted successfully"})
}

// ---- objects ----

func (s *Server) storageListObjects(w http.ResponseWriter, r *http.Request) {
	name, q := r.PathValue("bucket"), r.URL.Query()
	limit, offset := 100, 0
	if n, err := strconv.Atoi(q.Get("limit")); err == nil {
		limit = n
	}
	if n, err := strconv.Atoi(q.Get("offset")); err == nil {
		offset = n
	}
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	var keys []string
	if b := st.buckets[name]; b != nil { // a missing bucket lists as empty (as a real backend does)
		for k := range b.objects {
			if strings.HasPrefix(k, q.Get("prefix")) && strings.Contains(k, q.Get("search")) {
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
		m["mime_type"], m["etag"], m["uploaded_at"] = o.mimeType, o.etag, isoMillis(o.uploadedAt)
		data = append(data, m)
	}
	writeJSON(w, 200, map[string]any{"data": data, "pagination": map[string]any{"offset": offset, "limit": limit, "total": len(keys)}})
}

func (s *Server) storagePutObject(w http.ResponseWriter, r *http.Request) {
	bucket, key := r.PathValue("bucket"), r.PathValue("key")
	st := storageOf(s)
	data, mimeType, aerr := st.readFile(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	b := st.buckets[bucket]
	if b == nil {
		writeError(w, errStorageNotFound("Bucket does not exist"))
		return
	}
	o := newStorageObject(data, mimeType)
	b.objects[key] = o
	writeJSON(w, 200, s.storageFileJSON(bucket, key, o))
}

func (s *Server) storageGetObject(w http.ResponseWriter, r *http.Request) {
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, o, ok := s.storageDownloadTarget(w, r, st); ok {
		storageServe(w, o)
	}
}

func storageServe(w http.ResponseWriter, o *storageObject) {
	w.Header().Set("Content-Type", o.mimeType)
	w.Header().Set("Content-Length", strconv.Itoa(len(o.data)))
	_, _ = w.Write(o.data)
}

func (s *Server) storageDeleteObjects(w http.ResponseWriter, r *http.Request) {
	var in struct{ Keys []string }
	if !bind(w, r, &in) {
		return
	}
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	results := []map[string]any{}
	for _, k := range in.Keys {
		status := "notFound"
		if st.object(r.PathValue("bucket"), k) != nil {
			delete(st.buckets[r.PathValue("bucket")].objects, k)
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
	key, escaped := in.Filename, url.PathEscape(in.Filename)
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.buckets[bucket] == nil {
		writeError(w, errStorageNotFound(fmt.Sprintf("Bucket %q does not exist", bucket)))
		return
	}
	if st.s3 == nil {
		writeJSON(w, 200, map[string]any{"method": "direct", "uploadUrl": s.URL + "/api/storage/buckets/" + bucket + "/objects/" + escaped,
			"key": key, "confirmRequired": false})
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
		"fields":          st.s3.postFields(bucket, key, in.ContentType, ceiling, expires),
		"key":             key,
		"confirmRequired": true,
		"confirmUrl":      "/api/storage/buckets/" + bucket + "/objects/" + escaped + "/confirm-upload",
		"expiresAt":       isoMillis(expires),
	})
}

// storageConfirmUpload records a file uploaded to the S3 stand-in
// (verifyObjectExists: the provider must hold it).
func (s *Server) storageConfirmUpload(w http.ResponseWriter, r *http.Request) {
	bucket, key := r.PathValue("bucket"), r.PathValue("key")
	var in struct{ ContentType string }
	if !bind(w, r, &in) {
		return
	}
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	var o *storageObject
	if st.s3 != nil {
		o = st.s3.takePending(bucket, key)
	}
	b := st.buckets[bucket]
	if o == nil || b == nil {
		writeError(w, errStorageNotFound(fmt.Sprintf("Upload not found for key %q in bucket %q", key, bucket)))
		return
	}
	o.mimeType, o.uploadedAt = in.ContentType, time.Now()
	b.objects[key] = o
	writeJSON(w, 200, s.storageFileJSON(bucket, key, o))
}

func (s *Server) storageDownloadStrategy(w http.ResponseWriter, r *http.Request) {
	st := storageOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	b, o, ok := s.storageDownloadTarget(w, r, st)
	if !ok {
		return
	}
	bucket, key := r.PathValue("bucket"), r.PathValue("key")
	if st.s3 == nil {
		writeJSON(w, 200, map[string]any{"method": "direct", "url": s.storageObjectURL(bucket, key, o)})
		return
	}
	expiresIn := storagePrivateExpiry
	if n, err := strconv.Atoi(r.URL.Query().Get("expiresIn")); err == nil {
		expiresIn = n
	}
	if b.public {
		expiresIn = storagePublicExpiry
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
// the fake backend:
//
//   - POST /{bucket}: a browser-style form upload of a key handed out
//     (else 403 AccessDenied) that fits the form's content-length-range
//     ceiling (else 400 EntityTooLarge). A successful upload (204) waits
//     for the backend's confirm-upload.
//   - any other request: GET of a signed download URL (403 when the
//     signature is wrong or expired).
//
// Errors are S3 XML documents.
type StorageS3 struct {
	// URL is the base URL of the S3 stand-in.
	URL string

	ts     *httptest.Server
	st     *storageState
	secret []byte

	mu       sync.Mutex // guards requests, pending and forms
	requests []Request
	pending  map[string]*storageObject // provider key → uploaded, not yet confirmed
	forms    map[string]int64          // provider key → the size ceiling of its form
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
		if r.Header.Get("Authorization") != "" || r.APIKey != "" {
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
// remembers its size ceiling.
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
	f.forms[fields["key"]] = ceiling
	f.mu.Unlock()
	return fields
}

// signedURL is a presigned GET URL for bucket/key.
func (f *StorageS3) signedURL(bucket, key string, expiresIn int) string {
	pk := storageProviderKey(bucket, key)
	exp := strconv.FormatInt(time.Now().Add(time.Duration(expiresIn)*time.Second).Unix(), 10)
	q := url.Values{"X-Amz-Algorithm": {"AWS4-HMAC-SHA256"}, "X-Amz-Expires": {exp}, "X-Amz-Signature": {f.sign("GET", pk, exp)}}
	return f.URL + "/" + storageS3Bucket + "/" + (&url.URL{Path: pk}).EscapedPath() + "?" + q.Encode()
}

// takePending removes and returns an uploaded, unconfirmed file.
func (f *StorageS3) takePending(bucket, key string) *storageObject {
	f.mu.Lock()
	defer f.mu.Unlock()
	pk := storageProviderKey(bucket, key)
	o := f.pending[pk]
	delete(f.pending, pk)
	return o
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
	if r.Method == http.MethodPost {
		f.postObject(w, r, body)
	} else {
		f.getObject(w, r, strings.TrimPrefix(r.URL.Path, "/"+storageS3Bucket+"/"))
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
	defer f.mu.Unlock()
	ceiling, ok := f.forms[fields["key"]]
	switch {
	case !ok:
		storageS3Error(w, 403, "AccessDenied", "Invalid according to Policy")
	case int64(len(file)) > ceiling:
		storageS3Error(w, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
	default:
		o := newStorageObject(file, fields["content-type"])
		f.pending[fields["key"]] = o
		w.Header().Set("ETag", `"`+o.etag+`"`)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (f *StorageS3) getObject(w http.ResponseWriter, r *http.Request, pk string) {
	q := r.URL.Query()
	exp, _ := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if !hmac.Equal([]byte(q.Get("X-Amz-Signature")), []byte(f.sign("GET", pk, q.Get("X-Amz-Expires")))) || time.Now().Unix() > exp {
		storageS3Error(w, 403, "AccessDenied", "The signature does not match, or the request has expired.")
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(pk, "project/"), "/")
	f.st.mu.Lock()
	o := f.st.object(bucket, key)
	f.st.mu.Unlock()
	if o == nil {
		storageS3Error(w, 404, "NoSuchKey", "The specified key does not exist.")
		return
	}
	w.Header().Set("ETag", `"`+o.etag+`"`)
	storageServe(w, o)
}
