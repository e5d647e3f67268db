package insforgefake

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Deployments module: the direct upload flow (manifest,
// streamed file contents, start), the legacy zip flow with a presigned
// storage form served by a separate in-process server, status progression
// after start, sync, cancel, list with Content-Range paging, metadata,
// environment variables, custom domains and the project slug.
//
// Tests control it with the exported methods below: the outcome of builds
// (SetDeploymentOutcome, SetDeploymentPolls), availability
// (SetDeploymentsConfigured, SetDirectDeploymentsMissing,
// EnableLegacyDeployments), upload failures (FailDeploymentUpload) and
// limits; they read what arrived with DeploymentUploads, DeploymentSource
// and LegacyUploads.
//
// Differences from the real backend: no rate limit (25 writes / 5 min), no
// Vercel behind it (builds "run" by counting status reads), GET
// /api/deployments/{id} advances the status like sync does (standing in for
// Vercel's webhooks), and the presigned form checks its fields by equality
// instead of a signed policy.

func registerDeploymentRoutes(s *Server) {
	d := deploymentsOf(s)
	s.handle("POST /api/deployments", accessAdmin, d.createLegacy)
	s.handle("GET /api/deployments", accessAdmin, d.list)
	s.handle("PUT /api/deployments/{id}/files/{fileId}/content", accessAdmin, func(w http.ResponseWriter, r *http.Request) {
		if d.directMissing() {
			s.notFound(w, r)
			return
		}
		d.putContent(w, r)
	})
	s.handle("POST /api/deployments/{id}/start", accessAdmin, d.start)
	s.handle("GET /api/deployments/{id}", accessAdmin, d.get)
	s.handle("POST /api/deployments/{id}/sync", accessAdmin, d.sync)
	s.handle("POST /api/deployments/{id}/cancel", accessAdmin, d.cancel)
	s.handle("GET /api/deployments/metadata", accessAdmin, d.metadata)
	s.handle("PUT /api/deployments/slug", accessAdmin, d.putSlug)
	// routes that need the hosting provider configured
	for pattern, h := range map[string]http.HandlerFunc{
		"GET /api/deployments/env-vars":                 d.listEnvVars,
		"POST /api/deployments/env-vars":                d.upsertEnvVars,
		"GET /api/deployments/env-vars/{id}":            d.getEnvVar,
		"DELETE /api/deployments/env-vars/{id}":         d.deleteEnvVar,
		"GET /api/deployments/domains":                  d.listDomains,
		"POST /api/deployments/domains":                 d.addDomain,
		"POST /api/deployments/domains/{domain}/verify": d.verifyDomain,
		"DELETE /api/deployments/domains/{domain}":      d.removeDomain,
		"POST /api/deployments/direct":                  d.createDirect,
	} {
		s.handle(pattern, accessAdmin, func(w http.ResponseWriter, r *http.Request) {
			d.mu.Lock()
			ok, missing := d.configured, d.noDirect && strings.Contains(pattern, "/direct")
			d.mu.Unlock()
			switch {
			case missing:
				s.notFound(w, r)
			case !ok:
				writeError(w, errDeployNotConfigured())
			default:
				h(w, r)
			}
		})
	}
}

// ---- per-server state ----

func deploymentsOf(s *Server) *deployState { return moduleState(s, "deployments", newDeployState) }

// DeploymentKeepBytes is the largest uploaded file whose bytes the fake
// keeps (DeploymentUpload.Content, DeployedFile.Content); larger files are
// recorded by SHA-1 and size only.
const DeploymentKeepBytes = 1 << 20

type deployState struct {
	mu sync.Mutex

	runs  map[string]*deployRecordState
	order []string // creation order
	clock time.Time

	configured   bool
	noDirect     bool
	cloud        bool
	presignURL   string
	finalStatus  string
	finalError   string
	polls        int
	maxFiles     int
	maxTotal     int64
	maxFile      int64
	uploadFaults map[string]*deployFault
	startFault   *APIError
	attempts     map[string]int // content uploads per path
	uploads      []DeploymentUpload
	legacy       []LegacyUpload
	rejectLegacy bool
	legacyKeys   map[string]string // storage key → deployment id

	envVars   []*deployEnvVar
	domains   []*deployDomain
	slug      *string
	takenSlug map[string]bool
}

type deployFault struct {
	attempt int
	err     *APIError
}

type deployRecordState struct {
	id, mode, status string
	providerID       *string
	url              *string
	metadata         map[string]any
	createdAt        string
	updatedAt        string
	files            []*deployFileState
	zip              []byte
	formFields       map[string]string // legacy: the presigned form's fields
	source           []DeployedFile    // legacy: files of the zip
	remaining        int               // status reads until the final status
	final, finalErr  string
	started          bool
}

type deployFileState struct {
	id, path, sha string
	size          int64
	uploadedAt    *string
	content       []byte
}

type deployEnvVar struct {
	id, key, value, typ string
	updatedAt           int64
}

type deployDomain struct {
	name, apex string
	dnsReady   bool
	verified   bool
	token      string
}

func newDeployState() *deployState {
	return &deployState{
		runs:         map[string]*deployRecordState{},
		clock:        time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC),
		configured:   true,
		cloud:        true,
		finalStatus:  "READY",
		polls:        2,
		maxFiles:     5000,
		maxTotal:     100 << 20,
		maxFile:      100 << 20,
		uploadFaults: map[string]*deployFault{},
		attempts:     map[string]int{},
		legacyKeys:   map[string]string{},
		takenSlug:    map[string]bool{},
	}
}

// now returns a strictly increasing timestamp (list order is by creation).
func (d *deployState) now() string {
	d.clock = d.clock.Add(time.Millisecond)
	return d.clock.Format("2006-01-02T15:04:05.000Z")
}

func (d *deployState) directMissing() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.noDirect
}

// ---- exported controls and accessors ----

// SetDeploymentOutcome sets how builds started from now on end: status is
// READY (the default), ERROR (errorMessage becomes metadata.error.message)
// or CANCELED.
func (s *Server) SetDeploymentOutcome(status, errorMessage string) {
	d := deploymentsOf(s)
	d.mu.Lock()
	d.finalStatus, d.finalError = status, errorMessage
	d.mu.Unlock()
}

// SetDeploymentPolls sets how many status reads (GET or sync) a started
// build takes to reach its final status (default 2: QUEUED at start,
// BUILDING after the first read, final after the second). 0 makes start
// answer with the final status.
func (s *Server) SetDeploymentPolls(n int) {
	d := deploymentsOf(s)
	d.mu.Lock()
	d.polls = max(n, 0)
	d.mu.Unlock()
}

// SetDeploymentsConfigured(false) behaves like a self-hosted backend
// without Vercel settings (as a real backend does): 503 on create, direct, upload,
// start, env vars and domains; list and metadata answer 200 [].
func (s *Server) SetDeploymentsConfigured(configured bool) {
	d := deploymentsOf(s)
	d.mu.Lock()
	d.configured = configured
	d.mu.Unlock()
}

// SetDirectDeploymentsMissing(true) makes the direct flow's routes
// (/direct and the file content upload) answer like unknown routes (404),
// as on a backend older than the direct flow.
func (s *Server) SetDirectDeploymentsMissing(missing bool) {
	d := deploymentsOf(s)
	d.mu.Lock()
	d.noDirect = missing
	d.mu.Unlock()
}

// SetDeploymentSlugCloud(false) makes PUT /api/deployments/slug answer 503
// like a self-hosted backend; the default (true) behaves like Cloud.
func (s *Server) SetDeploymentSlugCloud(cloud bool) {
	d := deploymentsOf(s)
	d.mu.Lock()
	d.cloud = cloud
	d.mu.Unlock()
}

// ReserveDeploymentSlug makes slug taken by another project (409).
func (s *Server) ReserveDeploymentSlug(slug string) {
	d := deploymentsOf(s)
	d.mu.Lock()
	d.takenSlug[slug] = true
	d.mu.Unlock()
}

// SetDeploymentLimits replaces the backend's limits (defaults 5000 files,
// 100 MiB in total, 100 MiB per file).
func (s *Server) SetDeploymentLimits(maxFiles int, maxTotal, maxFile int64) {
	d := deploymentsOf(s)
	d.mu.Lock()
	d.maxFiles, d.maxTotal, d.maxFile = maxFiles, maxTotal, maxFile
	d.mu.Unlock()
}

// FailDeploymentUpload makes the attempt-th content upload of path (counted
// from this call, 1 = the next one) fail once with err.
func (s *Server) FailDeploymentUpload(path string, attempt int, err *APIError) {
	d := deploymentsOf(s)
	d.mu.Lock()
	d.attempts[path] = 0
	d.uploadFaults[path] = &deployFault{attempt: attempt, err: err}
	d.mu.Unlock()
}

// FailDeploymentStart makes the next POST /api/deployments/{id}/start (of
// any deployment) fail once with err.
func (s *Server) FailDeploymentStart(err *APIError) {
	d := deploymentsOf(s)
	d.mu.Lock()
	d.startFault = err
	d.mu.Unlock()
}

// DeploymentUpload is one content upload the fake received (accepted or
// not), in arrival order.
type DeploymentUpload struct {
	DeploymentID string
	FileID       string
	Path         string // registered path of the file ("" for an unknown file)
	ContentType  string
	// Authorization is the Authorization header as received.
	Authorization string
	// SHA and Size describe the bytes that arrived.
	SHA  string
	Size int64
	// Content holds the bytes when Size <= DeploymentKeepBytes.
	Content []byte
	// Status is the HTTP status the fake answered.
	Status int
}

// DeploymentUploads returns every content upload received so far.
func (s *Server) DeploymentUploads() []DeploymentUpload {
	d := deploymentsOf(s)
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]DeploymentUpload, len(d.uploads))
	for i, u := range d.uploads {
		u.Content = bytes.Clone(u.Content)
		out[i] = u
	}
	return out
}

// DeployedFile is one file of a deployment's source as the build would see
// it: an uploaded file of the direct flow or an entry of the legacy zip.
type DeployedFile struct {
	Path    string
	SHA     string
	Size    int64
	Content []byte // when Size <= DeploymentKeepBytes
}

// DeploymentSource returns the files of deployment id that arrived, sorted
// by path (nil for an unknown id).
func (s *Server) DeploymentSource(id string) []DeployedFile {
	d := deploymentsOf(s)
	d.mu.Lock()
	defer d.mu.Unlock()
	dep, ok := d.runs[id]
	if !ok {
		return nil
	}
	var out []DeployedFile
	if dep.mode == "legacy" {
		for _, f := range dep.source {
			f.Content = bytes.Clone(f.Content)
			out = append(out, f)
		}
		if out == nil && dep.zip != nil {
			files, _ := deployUnzip(dep.zip)
			out = files
		}
	} else {
		for _, f := range dep.files {
			if f.uploadedAt != nil {
				out = append(out, DeployedFile{Path: f.path, SHA: f.sha, Size: f.size, Content: bytes.Clone(f.content)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// DeploymentStatus returns the stored status of deployment id ("" if unknown).
func (s *Server) DeploymentStatus(id string) string {
	d := deploymentsOf(s)
	d.mu.Lock()
	defer d.mu.Unlock()
	if dep, ok := d.runs[id]; ok {
		return dep.status
	}
	return ""
}

// DeploymentIDs returns the ids of all deployments, oldest first.
func (s *Server) DeploymentIDs() []string {
	d := deploymentsOf(s)
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.order...)
}

// AddDeployment seeds a deployment in the given status and returns its id.
// A status other than WAITING and UPLOADING counts as started: it gets a
// provider id and a url, and a QUEUED or BUILDING one progresses like a
// started build (SetDeploymentOutcome, SetDeploymentPolls).
func (s *Server) AddDeployment(status string) string {
	d := deploymentsOf(s)
	d.mu.Lock()
	defer d.mu.Unlock()
	dep := d.newRun("direct")
	dep.status = status
	if status != "WAITING" && status != "UPLOADING" {
		d.markStarted(dep)
		dep.status = status
		dep.remaining = max(d.polls, 1)
		if status == "ERROR" {
			dep.metadata["error"] = map[string]any{"code": "BUILD_FAILED", "message": d.finalError}
		}
	}
	return dep.id
}

// RejectNextLegacyUpload makes the presigned storage target refuse the
// next form upload with 403 AccessDenied (an expired policy).
func (s *Server) RejectNextLegacyUpload() {
	d := deploymentsOf(s)
	d.mu.Lock()
	d.rejectLegacy = true
	d.mu.Unlock()
}

// LegacyUpload is one form upload the presigned storage target received.
type LegacyUpload struct {
	DeploymentID  string
	Fields        map[string]string // every form field except the file
	FieldOrder    []string          // field names in arrival order, "file" included
	ContentType   string
	ContentLength int64
	// Authorization and APIKey are what the request carried: the admin key
	// must never reach storage.
	Authorization string
	APIKey        string
	ZipSize       int
	Status        int
}

// LegacyUploads returns the uploads the presigned target received.
func (s *Server) LegacyUploads() []LegacyUpload {
	d := deploymentsOf(s)
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]LegacyUpload(nil), d.legacy...)
}

// DeploymentEnvVars returns the environment variables (key → value).
func (s *Server) DeploymentEnvVars() map[string]string {
	d := deploymentsOf(s)
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]string{}
	for _, v := range d.envVars {
		out[v.key] = v.value
	}
	return out
}

// SetCustomDomainDNSReady marks a domain's DNS records as created: the next
// verify answers verified and not misconfigured.
func (s *Server) SetCustomDomainDNSReady(domain string) {
	d := deploymentsOf(s)
	d.mu.Lock()
	defer d.mu.Unlock()
	if dom := d.domain(domain); dom != nil {
		dom.dnsReady = true
	}
}

// CustomDomains returns the names of the custom domains.
func (s *Server) CustomDomains() []string {
	d := deploymentsOf(s)
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, len(d.domains))
	for i, dom := range d.domains {
		out[i] = dom.name
	}
	return out
}

// DeploymentSlug returns the project's custom slug (nil when unset).
func (s *Server) DeploymentSlug() *string {
	d := deploymentsOf(s)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.slug == nil {
		return nil
	}
	v := *d.slug
	return &v
}

// EnableLegacyDeployments starts the presigned storage target of the
// legacy zip flow (a separate in-process server, closed with t.Cleanup) and
// returns its URL. Until it is called, POST /api/deployments answers 503
// like a backend without S3 storage.
func (s *Server) EnableLegacyDeployments(t testing.TB) string {
	t.Helper()
	d := deploymentsOf(s)
	ts := httptest.NewServer(http.HandlerFunc(d.presignedPost))
	t.Cleanup(ts.Close)
	d.mu.Lock()
	d.presignURL = ts.URL
	d.mu.Unlock()
	return ts.URL
}

// StreamingDeploymentFront starts a second listener (closed with
// t.Cleanup) in front of the fake and returns its URL. It serves the file
// content uploads of the direct flow itself, reading each body as a stream
// (nothing is buffered, unlike the fake, which keeps every request body
// for Requests), and passes every other request to the fake. Point a
// client at it to measure the client's memory on large uploads; its
// content uploads appear in DeploymentUploads but not in Requests.
func (s *Server) StreamingDeploymentFront(t testing.TB) string {
	t.Helper()
	d := deploymentsOf(s)
	backend, err := url.Parse(s.ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(backend)
	front := http.NewServeMux()
	front.HandleFunc("PUT /api/deployments/{id}/files/{fileId}/content", func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.authenticate(r, accessAdmin); err != nil {
			_, _ = io.Copy(io.Discard, r.Body)
			writeError(w, err)
			return
		}
		if d.directMissing() {
			_, _ = io.Copy(io.Discard, r.Body)
			s.notFound(w, r)
			return
		}
		d.putContent(w, r)
	})
	front.Handle("/", proxy)
	ts := httptest.NewServer(front)
	t.Cleanup(ts.Close)
	return ts.URL
}

// ---- errors ----

func errDeployNotConfigured() *APIError {
	return &APIError{Status: 503, Code: "INTERNAL_ERROR",
		Message: "Deployment service is not configured. Please set VERCEL_TOKEN, VERCEL_TEAM_ID, and VERCEL_PROJECT_ID environment variables."}
}

func errDeploymentNotFound(id string) *APIError {
	return &APIError{Status: 404, Code: "DEPLOYMENT_NOT_FOUND", Message: "Deployment not found: " + id}
}

var deployUUIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// lookup finds a deployment for the {id} routes. A malformed id fails in
// Postgres on the real backend (500). d.mu held.
func (d *deployState) lookup(id string, failure string) (*deployRecordState, *APIError) {
	if !deployUUIDPattern.MatchString(id) {
		return nil, errInternal(failure)
	}
	dep, ok := d.runs[strings.ToLower(id)]
	if !ok {
		return nil, errDeploymentNotFound(id)
	}
	return dep, nil
}

// ---- records ----

func (d *deployState) newRun(mode string) *deployRecordState {
	now := d.now()
	meta := map[string]any{"uploadMode": mode}
	dep := &deployRecordState{id: newUUID(), mode: mode, status: "WAITING", metadata: meta, createdAt: now, updatedAt: now}
	d.runs[dep.id] = dep
	d.order = append(d.order, dep.id)
	return dep
}

func (dep *deployRecordState) record() map[string]any {
	var meta any
	if dep.metadata != nil {
		meta = cloneValue(dep.metadata)
	}
	return map[string]any{
		"id": dep.id, "providerDeploymentId": dep.providerID, "provider": "vercel", "status": dep.status,
		"url": dep.url, "metadata": meta, "createdAt": dep.createdAt, "updatedAt": dep.updatedAt,
	}
}

// markStarted gives the deployment its provider id and url and schedules
// its final status. d.mu held.
func (d *deployState) markStarted(dep *deployRecordState) {
	pid := "dpl_" + strings.ReplaceAll(newUUID(), "-", "")[:24]
	u := "https://insforge-" + dep.id[:8] + ".vercel.app"
	dep.providerID, dep.url, dep.started = &pid, &u, true
	dep.final, dep.finalErr, dep.remaining = d.finalStatus, d.finalError, d.polls
	dep.status = "QUEUED"
	if dep.remaining == 0 {
		d.finish(dep)
	}
	dep.updatedAt = d.now()
}

// advance moves a started build one status read closer to its end. d.mu held.
func (d *deployState) advance(dep *deployRecordState) {
	if !dep.started || dep.status == "READY" || dep.status == "ERROR" || dep.status == "CANCELED" {
		return
	}
	if dep.remaining > 0 {
		dep.remaining--
	}
	if dep.remaining == 0 {
		d.finish(dep)
	} else {
		dep.status = "BUILDING"
	}
	dep.updatedAt = d.now()
}

func (d *deployState) finish(dep *deployRecordState) {
	dep.status = dep.final
	if dep.final == "ERROR" {
		dep.metadata["error"] = map[string]any{"code": "BUILD_FAILED", "message": dep.finalErr}
	}
}

// ---- direct flow ----

func (d *deployState) createDirect(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var in struct {
		Files []struct {
			Path, Sha string
			Size      int64
		}
	}
	if !bind(w, r, &in) {
		return
	}
	if len(in.Files) > d.maxFiles {
		writeError(w, errInvalidInput(fmt.Sprintf("Deployment files exceed the maximum of %d files.", d.maxFiles)))
		return
	}
	var total int64
	for _, f := range in.Files {
		total += f.Size
		switch {
		case f.Size > d.maxFile:
			writeError(w, errInvalidInput(fmt.Sprintf("Deployment file %s exceeds the maximum size of %d bytes.", f.Path, d.maxFile)))
			return
		case total > d.maxTotal:
			writeError(w, errInvalidInput(fmt.Sprintf("Deployment files exceed the maximum total size of %d bytes.", d.maxTotal)))
			return
		}
	}
	dep := d.newRun("direct")
	dep.metadata["fileCount"] = float64(len(in.Files))
	dep.metadata["totalSizeBytes"] = float64(total)
	dep.metadata["manifestCreatedAt"] = dep.createdAt
	out := make([]any, len(in.Files))
	for i, f := range in.Files {
		ff := &deployFileState{id: newUUID(), path: f.Path, sha: strings.ToLower(f.Sha), size: f.Size}
		dep.files = append(dep.files, ff)
		out[i] = ff.json()
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": dep.id, "status": dep.status, "files": out})
}

func (f *deployFileState) json() map[string]any {
	return map[string]any{"fileId": f.id, "path": f.path, "sha": f.sha, "size": float64(f.size), "uploadedAt": f.uploadedAt}
}

// putContent receives one file's bytes: PUT …/files/{fileId}/content. The
// body is read as a stream and checked against the registered SHA-1 and
// size.
func (d *deployState) putContent(w http.ResponseWriter, r *http.Request) {
	id, fileID := r.PathValue("id"), r.PathValue("fileId")
	rec := DeploymentUpload{DeploymentID: id, FileID: fileID, ContentType: r.Header.Get("Content-Type"), Authorization: r.Header.Get("Authorization")}
	file, aerr := d.uploadTarget(r, &rec)
	if aerr == nil {
		h := sha1.New()
		var kept bytes.Buffer
		n, err := io.Copy(io.MultiWriter(h, &capWriter{&kept, DeploymentKeepBytes}), r.Body)
		rec.SHA, rec.Size = hex.EncodeToString(h.Sum(nil)), n
		if n <= DeploymentKeepBytes {
			rec.Content = kept.Bytes()
		}
		switch {
		case err != nil:
			aerr = errInternal("Failed to upload deployment file")
		case n != file.size:
			aerr = errInvalidInput("Uploaded file size does not match the registered deployment file.")
		case rec.SHA != file.sha:
			aerr = errInvalidInput("Uploaded file content does not match the registered deployment file.")
		}
	}
	_, _ = io.Copy(io.Discard, r.Body)
	d.mu.Lock()
	defer d.mu.Unlock()
	rec.Status = http.StatusOK
	if aerr != nil {
		rec.Status = aerr.status()
		d.uploads = append(d.uploads, rec)
		writeError(w, aerr)
		return
	}
	now := d.now()
	file.uploadedAt = &now
	file.content = rec.Content
	d.runs[strings.ToLower(id)].metadata["lastFileUploadedAt"] = now
	d.uploads = append(d.uploads, rec)
	writeJSON(w, http.StatusOK, file.json())
}

// capWriter keeps at most n bytes and discards the rest.
type capWriter struct {
	buf *bytes.Buffer
	n   int
}

func (c *capWriter) Write(p []byte) (int, error) {
	if room := c.n + 1 - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// uploadTarget finds the file a content upload is for, or the refusal.
func (d *deployState) uploadTarget(r *http.Request, rec *DeploymentUpload) (*deployFileState, *APIError) {
	if mt, _, _ := mime.ParseMediaType(rec.ContentType); mt != "application/octet-stream" {
		return nil, &APIError{Status: http.StatusUnsupportedMediaType, Code: "INVALID_INPUT", Message: "Deployment file content must be uploaded as application/octet-stream."}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.configured {
		return nil, errDeployNotConfigured()
	}
	dep, ok := d.runs[strings.ToLower(rec.DeploymentID)]
	if !ok {
		return nil, errDeploymentNotFound(rec.DeploymentID)
	}
	if dep.status != "WAITING" && dep.status != "UPLOADING" {
		return nil, &APIError{Status: 400, Code: "DEPLOYMENT_INVALID_FILE",
			Message: "Deployment files can only be uploaded while status is WAITING or UPLOADING. Current status: " + dep.status}
	}
	i := slices.IndexFunc(dep.files, func(f *deployFileState) bool { return f.id == strings.ToLower(rec.FileID) })
	if i < 0 {
		return nil, &APIError{Status: 404, Code: "DEPLOYMENT_NOT_FOUND", Message: "Deployment file not found: " + rec.FileID}
	}
	file := dep.files[i]
	rec.Path = file.path
	d.attempts[file.path]++
	if f, ok := d.uploadFaults[file.path]; ok && f.attempt == d.attempts[file.path] {
		delete(d.uploadFaults, file.path)
		return nil, f.err
	}
	dep.status = "UPLOADING"
	return file, nil
}

// ---- start, status, sync, cancel, list, metadata ----

func (d *deployState) start(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.configured {
		writeError(w, errDeployNotConfigured())
		return
	}
	id := r.PathValue("id")
	var in struct{ EnvVars []struct{ Key, Value string } }
	if !bind(w, r, &in) {
		return
	}
	dep, apiErr := d.lookup(id, "Failed to start deployment")
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if dep.status != "WAITING" && dep.status != "UPLOADING" {
		writeError(w, errInvalidInput("Deployment is not ready to start. Current status: "+dep.status))
		return
	}
	if e := d.startFault; e != nil {
		d.startFault = nil
		if e.status() >= 500 {
			dep.status = "ERROR"
			dep.metadata["error"] = e.Message
		}
		writeError(w, e)
		return
	}
	var total int64
	count := 0
	if dep.mode == "direct" {
		if len(dep.files) == 0 {
			writeError(w, errInvalidInput("Deployment files have not been registered."))
			return
		}
		missing := 0
		for _, f := range dep.files {
			if f.uploadedAt == nil {
				missing++
			}
			total += f.size
		}
		if missing > 0 {
			writeError(w, errInvalidInput(fmt.Sprintf("Deployment has %d file(s) that have not been uploaded yet.", missing)))
			return
		}
		count = len(dep.files)
	} else {
		if dep.zip == nil {
			dep.status = "ERROR"
			dep.metadata["error"] = "Source zip file not found. Please upload the source files first."
			writeError(w, errInvalidInput("Source zip file not found. Please upload the source files first."))
			return
		}
		files, err := deployUnzip(dep.zip)
		if err != nil || len(files) == 0 {
			dep.status = "ERROR"
			dep.metadata["error"] = "No files found in source zip."
			writeError(w, &APIError{Status: 400, Code: "DEPLOYMENT_INVALID_FILE", Message: "No files found in source zip."})
			return
		}
		dep.source, dep.zip = files, nil
		for _, f := range files {
			total += f.Size
		}
		count = len(files)
	}
	for _, v := range in.EnvVars {
		d.upsertEnv(v.Key, v.Value)
	}
	keys := make([]any, len(d.envVars))
	for i, v := range d.envVars {
		keys[i] = v.key
	}
	d.markStarted(dep)
	dep.metadata["vercelName"] = "insforge-project"
	dep.metadata["fileCount"] = float64(count)
	dep.metadata["totalSizeBytes"] = float64(total)
	dep.metadata["envVarKeys"] = keys
	dep.metadata["startedAt"] = dep.updatedAt
	writeJSON(w, http.StatusOK, dep.record())
}

func (d *deployState) get(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dep, apiErr := d.lookup(r.PathValue("id"), "Failed to get deployment")
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	d.advance(dep)
	writeJSON(w, http.StatusOK, dep.record())
}

func (d *deployState) sync(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dep, apiErr := d.lookup(r.PathValue("id"), "Failed to get deployment")
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if dep.providerID == nil {
		writeError(w, errInvalidInput("Cannot sync deployment: no provider deployment ID yet. Deployment may still be in WAITING status."))
		return
	}
	d.advance(dep)
	dep.metadata["lastSyncedAt"] = d.now()
	writeJSON(w, http.StatusOK, dep.record())
}

func (d *deployState) cancel(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dep, apiErr := d.lookup(r.PathValue("id"), "Failed to get deployment")
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	dep.status = "CANCELED"
	dep.updatedAt = d.now()
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Deployment " + dep.id + " has been cancelled"})
}

func (d *deployState) list(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.configured {
		writeJSON(w, http.StatusOK, []any{})
		return
	}
	q := r.URL.Query()
	limit, offset := 50, 0
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n >= 1 {
		limit = n
	}
	if n, err := strconv.Atoi(q.Get("offset")); err == nil && n >= 0 {
		offset = n
	}
	all := make([]any, 0, len(d.order))
	for i := len(d.order) - 1; i >= 0; i-- {
		all = append(all, d.runs[d.order[i]].record())
	}
	page := pageSlice(all, limit, offset)
	writePaged(w, page, len(page), offset, len(all))
}

func (d *deployState) metadata(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.configured {
		writeJSON(w, http.StatusOK, []any{})
		return
	}
	var current, defURL any
	latest := ""
	for _, id := range d.order {
		dep := d.runs[id]
		if dep.status == "READY" && dep.createdAt >= latest {
			latest, current, defURL = dep.createdAt, dep.id, dep.url
		}
	}
	var custom any
	if d.slug != nil {
		custom = "https://" + *d.slug + ".insforge.site"
	}
	writeJSON(w, http.StatusOK, map[string]any{"currentDeploymentId": current, "defaultDomainUrl": defURL, "customDomainUrl": custom})
}

var deploySlugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

func (d *deployState) putSlug(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var in struct{ Slug *string }
	if !bind(w, r, &in) {
		return
	}
	if in.Slug != nil && !deploySlugPattern.MatchString(*in.Slug) {
		writeError(w, errInvalidInput("slug: slug must be lowercase alphanumeric with hyphens, not starting or ending with hyphen"))
		return
	}
	if !d.cloud {
		writeError(w, &APIError{Status: 503, Code: "INTERNAL_ERROR", Message: "Custom slugs are only available in cloud environment."})
		return
	}
	if in.Slug != nil && d.takenSlug[*in.Slug] {
		writeError(w, &APIError{Status: 409, Code: "DEPLOYMENT_ALREADY_EXISTS", Message: "Slug is already taken"})
		return
	}
	d.slug = in.Slug
	var domain any
	if in.Slug != nil {
		domain = *in.Slug + ".insforge.site"
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "slug": in.Slug, "domain": domain})
}

// ---- legacy zip flow ----

func (d *deployState) createLegacy(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.configured {
		writeError(w, errDeployNotConfigured())
		return
	}
	if d.presignURL == "" {
		writeError(w, &APIError{Status: 503, Code: "INTERNAL_ERROR", Message: "S3 storage is required for legacy deployments. Please configure S3_BUCKET."})
		return
	}
	dep := d.newRun("legacy")
	key := "deployments/" + dep.id + "/source.zip"
	d.legacyKeys[key] = dep.id
	fields := map[string]string{
		"bucket":           "insforge-deployments",
		"key":              key,
		"Policy":           "eyJjb25kaXRpb25zIjpbWyJjb250ZW50LWxlbmd0aC1yYW5nZSIsMCwxMDQ4NTc2MDBdXX0=",
		"X-Amz-Algorithm":  "AWS4-HMAC-SHA256",
		"X-Amz-Credential": "AKIAFAKE/20261126/us-east-1/s3/aws4_request",
		"X-Amz-Date":       "20261126T090000Z",
		"X-Amz-Signature":  strings.ReplaceAll(newUUID(), "-", "") + strings.ReplaceAll(newUUID(), "-", ""),
	}
	dep.formFields = fields
	writeJSON(w, http.StatusCreated, map[string]any{"id": dep.id, "uploadUrl": d.presignURL + "/insforge-deployments", "uploadFields": fields})
}

// presignedPost is the storage target of the legacy flow: a multipart POST
// form whose fields must equal the ones handed out (instead of a signed
// policy). Refusals are S3's XML error bodies.
func (d *deployState) presignedPost(w http.ResponseWriter, r *http.Request) {
	up := LegacyUpload{Fields: map[string]string{}, ContentType: r.Header.Get("Content-Type"), ContentLength: r.ContentLength,
		Authorization: r.Header.Get("Authorization"), APIKey: extractAPIKey(r)}
	status, code := d.legacyForm(r, &up)
	_, _ = io.Copy(io.Discard, r.Body)
	up.Status = status
	d.mu.Lock()
	d.legacy = append(d.legacy, up)
	d.mu.Unlock()
	if status >= 300 {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>the upload was refused</Message></Error>", code)
		return
	}
	w.WriteHeader(status)
}

// legacyForm reads and checks a presigned form upload into up and returns
// the status and S3 error code of the answer.
func (d *deployState) legacyForm(r *http.Request, up *LegacyUpload) (int, string) {
	d.mu.Lock()
	reject := d.rejectLegacy
	d.rejectLegacy = false
	d.mu.Unlock()
	switch {
	case reject:
		return http.StatusForbidden, "AccessDenied"
	case up.Authorization != "" || up.APIKey != "":
		return http.StatusBadRequest, "InvalidArgument"
	case r.ContentLength < 0: // S3 needs the length up front
		return http.StatusLengthRequired, "MissingContentLength"
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return http.StatusBadRequest, "MalformedPOSTRequest"
	}
	var zipData []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil || zipData != nil {
			return http.StatusBadRequest, "MalformedPOSTRequest"
		}
		up.FieldOrder = append(up.FieldOrder, part.FormName())
		v, _ := io.ReadAll(part)
		if part.FormName() == "file" {
			zipData = v
		} else {
			up.Fields[part.FormName()] = string(v)
		}
	}
	up.ZipSize = len(zipData)
	d.mu.Lock()
	defer d.mu.Unlock()
	id := d.legacyKeys[up.Fields["key"]]
	up.DeploymentID = id
	dep := d.runs[id]
	if dep == nil || zipData == nil {
		return http.StatusForbidden, "AccessDenied"
	}
	for k, v := range dep.formFields {
		if up.Fields[k] != v {
			return http.StatusForbidden, "AccessDenied"
		}
	}
	dep.zip = zipData
	return http.StatusNoContent, ""
}

// deployUnzip reads the files of a legacy source zip (folders are
// skipped, paths normalised like the backend does).
func deployUnzip(data []byte) ([]DeployedFile, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	var out []DeployedFile
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || strings.HasSuffix(f.Name, "/") {
			continue
		}
		name := strings.ReplaceAll(f.Name, `\`, "/")
		name = strings.TrimLeft(name, "/")
		for strings.HasPrefix(name, "./") {
			name = name[2:]
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		sum := sha1.Sum(content)
		df := DeployedFile{Path: name, SHA: hex.EncodeToString(sum[:]), Size: int64(len(content))}
		if len(content) <= DeploymentKeepBytes {
			df.Content = content
		}
		out = append(out, df)
	}
	return out, nil
}

// ---- environment variables ----

func (d *deployState) upsertEnv(key, value string) *deployEnvVar {
	d.clock = d.clock.Add(time.Millisecond)
	for _, v := range d.envVars {
		if v.key == key {
			v.value, v.updatedAt = value, d.clock.UnixMilli()
			return v
		}
	}
	v := &deployEnvVar{id: "env_" + strings.ReplaceAll(newUUID(), "-", "")[:16], key: key, value: value, typ: "encrypted", updatedAt: d.clock.UnixMilli()}
	d.envVars = append(d.envVars, v)
	return v
}

func (d *deployState) listEnvVars(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]any, len(d.envVars))
	for i, v := range d.envVars {
		out[i] = map[string]any{"id": v.id, "key": v.key, "type": v.typ, "updatedAt": float64(v.updatedAt)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"envVars": out})
}

func (d *deployState) upsertEnvVars(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var in struct{ EnvVars []struct{ Key, Value string } }
	if !bind(w, r, &in) {
		return
	}
	for _, v := range in.EnvVars {
		d.upsertEnv(strings.TrimSpace(v.Key), v.Value)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"success": true,
		"message": fmt.Sprintf("%d environment variables have been saved successfully", len(in.EnvVars)), "count": len(in.EnvVars)})
}

func (d *deployState) getEnvVar(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id := r.PathValue("id")
	for _, v := range d.envVars {
		if v.id == id {
			writeJSON(w, http.StatusOK, map[string]any{"envVar": map[string]any{"id": v.id, "key": v.key, "value": v.value, "type": v.typ, "updatedAt": float64(v.updatedAt)}})
			return
		}
	}
	writeError(w, &APIError{Status: 404, Code: "ENVIRONMENT_VARIABLE_NOT_FOUND", Message: "Environment variable not found: " + id})
}

func (d *deployState) deleteEnvVar(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id := r.PathValue("id")
	for i, v := range d.envVars {
		if v.id == id {
			d.envVars = append(d.envVars[:i], d.envVars[i+1:]...)
			writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Environment variable has been deleted successfully"})
			return
		}
	}
	writeError(w, &APIError{Status: 404, Code: "ENVIRONMENT_VARIABLE_NOT_FOUND", Message: "Environment variable not found: " + id})
}

// ---- custom domains ----

var deployDomainPattern = regexp.MustCompile(`(?i)^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$`)

func (d *deployState) domain(name string) *deployDomain {
	for _, dom := range d.domains {
		if strings.EqualFold(dom.name, name) {
			return dom
		}
	}
	return nil
}

func (dom *deployDomain) json() map[string]any {
	verification := []any{}
	if !dom.verified {
		verification = append(verification, map[string]any{"type": "TXT", "domain": "_vercel." + dom.apex, "value": "vc-domain-verify=" + dom.name + "," + dom.token})
	}
	var cname, aRecord any
	if dom.name == dom.apex {
		aRecord = "76.76.21.21"
	} else {
		cname = "cname.vercel-dns.com"
	}
	return map[string]any{"domain": dom.name, "apexDomain": dom.apex, "verified": dom.verified, "misconfigured": !dom.dnsReady,
		"verification": verification, "cnameTarget": cname, "aRecordValue": aRecord}
}

func (d *deployState) listDomains(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]any, len(d.domains))
	for i, dom := range d.domains {
		out[i] = dom.json()
	}
	writeJSON(w, http.StatusOK, map[string]any{"domains": out})
}

func (d *deployState) addDomain(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var in struct{ Domain string }
	if !bind(w, r, &in) {
		return
	}
	name := strings.TrimSpace(in.Domain)
	if !deployDomainPattern.MatchString(name) {
		writeError(w, errInvalidInput("domain: Invalid domain format (e.g. myapp.com or www.myapp.com)"))
		return
	}
	if d.domain(name) != nil {
		writeError(w, &APIError{Status: 409, Code: "DOMAIN_ALREADY_EXISTS", Message: "Domain " + name + " is already added to this project"})
		return
	}
	labels := strings.Split(name, ".")
	dom := &deployDomain{name: name, apex: strings.Join(labels[max(0, len(labels)-2):], "."), token: strings.ReplaceAll(newUUID(), "-", "")[:12]}
	d.domains = append(d.domains, dom)
	writeJSON(w, http.StatusCreated, dom.json())
}

func (d *deployState) verifyDomain(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	name := r.PathValue("domain")
	dom := d.domain(name)
	if dom == nil {
		writeError(w, &APIError{Status: 404, Code: "DOMAIN_NOT_FOUND", Message: "Domain not found on Vercel: " + name})
		return
	}
	if dom.dnsReady {
		dom.verified = true
	}
	writeJSON(w, http.StatusOK, dom.json())
}

func (d *deployState) removeDomain(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	name := r.PathValue("domain")
	for i, dom := range d.domains {
		if strings.EqualFold(dom.name, name) {
			d.domains = append(d.domains[:i], d.domains[i+1:]...)
			writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Domain " + name + " removed"})
			return
		}
	}
	writeError(w, &APIError{Status: 404, Code: "DOMAIN_NOT_FOUND", Message: "Domain not found on Vercel: " + name})
}
