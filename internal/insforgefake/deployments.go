package insforgefake

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Deployments module: the direct upload flow, the legacy zip flow through a
// presigned form on a separate in-process server, builds, list with
// Content-Range paging, metadata, env vars, custom domains and the slug.
//
// Differences from the real backend: no rate limit, no Vercel (a build
// "runs" by counting status reads, GET advancing it like sync), the
// presigned form is checked by equality instead of a signed policy, and
// what the tools check before sending (ids, slugs, domains, content
// types, uploads before start) is not checked again.

func registerDeploymentRoutes(s *Server) {
	d := deploymentsOf(s)
	s.handle("PUT /api/deployments/{id}/files/{fileId}/content", accessAdmin, d.putContent)
	for pattern, h := range map[string]http.HandlerFunc{
		"GET /api/deployments":              d.list,
		"GET /api/deployments/{id}":         d.get,
		"POST /api/deployments/{id}/sync":   d.sync,
		"POST /api/deployments/{id}/cancel": d.cancel,
		"GET /api/deployments/metadata":     d.metadata,
		"PUT /api/deployments/slug":         d.putSlug,
	} {
		s.handle(pattern, accessAdmin, lockedRoute(&d.mu, h))
	}
	// routes that need the hosting provider configured
	for pattern, h := range map[string]http.HandlerFunc{
		"POST /api/deployments":                         d.createLegacy,
		"POST /api/deployments/direct":                  d.createDirect,
		"POST /api/deployments/{id}/start":              d.start,
		"GET /api/deployments/env-vars":                 d.listEnvVars,
		"POST /api/deployments/env-vars":                d.upsertEnvVars,
		"GET /api/deployments/env-vars/{id}":            d.getEnvVar,
		"DELETE /api/deployments/env-vars/{id}":         d.deleteEnvVar,
		"GET /api/deployments/domains":                  d.listDomains,
		"POST /api/deployments/domains":                 d.addDomain,
		"POST /api/deployments/domains/{domain}/verify": d.verifyDomain,
		"DELETE /api/deployments/domains/{domain}":      d.removeDomain,
	} {
		s.handle(pattern, accessAdmin, lockedRoute(&d.mu, func(w http.ResponseWriter, r *http.Request) {
			switch {
			case d.noDirect && strings.HasSuffix(pattern, "/direct"):
				s.notFound(w, r)
			case d.unconfigured:
				writeError(w, &APIError{Status: 503, Code: "INTERNAL_ERROR",
					Message: "Deployment service is not configured. Please set VERCEL_TOKEN, VERCEL_TEAM_ID, and VERCEL_PROJECT_ID environment variables."})
			default:
				h(w, r)
			}
		}))
	}
}

// lockedRoute runs h with mu held.
func lockedRoute(mu *sync.Mutex, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		h(w, r)
	}
}

// lockedCall returns f() run with mu held.
func lockedCall[T any](mu *sync.Mutex, f func() T) T {
	mu.Lock()
	defer mu.Unlock()
	return f()
}

// indexOr404 returns the index of the first match, or -1 after a 404.
func indexOr404[T any](w http.ResponseWriter, items []T, match func(T) bool, code, message string) int {
	i := slices.IndexFunc(items, match)
	if i < 0 {
		writeError(w, &APIError{Status: http.StatusNotFound, Code: code, Message: message})
	}
	return i
}

// jsonList renders each item with its json method.
func jsonList[T interface{ json() map[string]any }](items []T) []any {
	out := make([]any, len(items))
	for i, v := range items {
		out[i] = v.json()
	}
	return out
}

// ---- per-server state ----

func deploymentsOf(s *Server) *deployState { return moduleState(s, "deployments", newDeployState) }

// withDeploys runs f on the module state with its lock held.
func withDeploys[T any](s *Server, f func(d *deployState) T) T {
	d := deploymentsOf(s)
	return lockedCall(&d.mu, func() T { return f(d) })
}

func (s *Server) setDeploys(f func(d *deployState)) {
	withDeploys(s, func(d *deployState) any {
		f(d)
		return nil
	})
}

// DeploymentKeepBytes is the largest uploaded file whose Content the fake
// keeps; larger files are recorded by SHA-1 and size only.
const DeploymentKeepBytes = 1 << 20

type deployState struct {
	mu sync.Mutex

	runs  []*deployRecordState        // oldest first
	files map[string]*deployFileState // by file id

	unconfigured, noDirect, selfHosted bool
	presignURL                         string
	finalStatus, finalError            string
	polls, maxFiles                    int
	maxTotal, maxFile                  int64
	uploadFaults                       map[string]*deployFault // by path
	startFault                         *APIError
	uploads                            []DeploymentUpload
	legacy                             []LegacyUpload
	rejectLegacy                       bool

	envVars   []*deployEnvVar
	domains   []*deployDomain
	slug      *string
	takenSlug map[string]bool
}

type deployFault struct {
	left int // uploads of the path until the failing one
	err  *APIError
}

type deployRecordState struct {
	id, mode, status     string
	providerID, url      *string
	metadata             map[string]any
	createdAt, updatedAt string
	files                []*deployFileState
	zip                  []byte            // legacy: the uploaded zip
	formFields           map[string]string // legacy: the presigned form's fields
	source               []DeployedFile    // the files that arrived
	remaining            int               // status reads until the final status
}

type deployFileState struct {
	id, path, sha string
	size          int64
	uploadedAt    *string
	dep           *deployRecordState
}

type deployEnvVar struct{ id, key, value string }

type deployDomain struct {
	name, apex, token  string
	dnsReady, verified bool
}

func newDeployState() *deployState {
	return &deployState{
		files:        map[string]*deployFileState{},
		finalStatus:  "READY",
		polls:        2,
		maxFiles:     5000,
		maxTotal:     100 << 20,
		maxFile:      100 << 20,
		uploadFaults: map[string]*deployFault{},
		takenSlug:    map[string]bool{},
	}
}

// ---- exported controls and accessors ----

// SetDeploymentOutcome sets how builds end from now on: READY (the default),
// ERROR (errorMessage becomes metadata.error.message) or CANCELED.
func (s *Server) SetDeploymentOutcome(status, errorMessage string) {
	s.setDeploys(func(d *deployState) { d.finalStatus, d.finalError = status, errorMessage })
}

// SetDeploymentPolls sets how many status reads (GET or sync) a build takes
// to end (default 2: QUEUED at start, BUILDING, then final); with 0, start
// answers the final status.
func (s *Server) SetDeploymentPolls(n int) {
	s.setDeploys(func(d *deployState) { d.polls = max(n, 0) })
}

// SetDeploymentsConfigured(false) is a backend without Vercel settings: 503
// on create, start, env vars and domains; list and metadata answer 200 [].
func (s *Server) SetDeploymentsConfigured(configured bool) {
	s.setDeploys(func(d *deployState) { d.unconfigured = !configured })
}

// SetDirectDeploymentsMissing(true) makes POST /api/deployments/direct a
// 404 unknown route, as on a backend older than the direct flow.
func (s *Server) SetDirectDeploymentsMissing(missing bool) {
	s.setDeploys(func(d *deployState) { d.noDirect = missing })
}

// SetDeploymentSlugCloud(false) makes PUT /api/deployments/slug answer 503
// like a self-hosted backend; the default (true) behaves like Cloud.
func (s *Server) SetDeploymentSlugCloud(cloud bool) {
	s.setDeploys(func(d *deployState) { d.selfHosted = !cloud })
}

// ReserveDeploymentSlug makes slug taken by another project (409).
func (s *Server) ReserveDeploymentSlug(slug string) {
	s.setDeploys(func(d *deployState) { d.takenSlug[slug] = true })
}

// SetDeploymentLimits replaces the backend's limits (defaults 5000 files,
// 100 MiB in total, 100 MiB per file).
func (s *Server) SetDeploymentLimits(maxFiles int, maxTotal, maxFile int64) {
	s.setDeploys(func(d *deployState) { d.maxFiles, d.maxTotal, d.maxFile = maxFiles, maxTotal, maxFile })
}

// FailDeploymentUpload makes the attempt-th content upload of path (counted
// from this call, 1 = the next one) fail once with err.
func (s *Server) FailDeploymentUpload(path string, attempt int, err *APIError) {
	s.setDeploys(func(d *deployState) { d.uploadFaults[path] = &deployFault{left: attempt, err: err} })
}

// FailDeploymentStart makes the next start of any deployment fail with err.
func (s *Server) FailDeploymentStart(err *APIError) {
	s.setDeploys(func(d *deployState) { d.startFault = err })
}

// RejectNextLegacyUpload makes the next presigned form upload fail with 403.
func (s *Server) RejectNextLegacyUpload() {
	s.setDeploys(func(d *deployState) { d.rejectLegacy = true })
}

// SetCustomDomainDNSReady marks a domain's DNS records as created: the next
// verify answers verified and not misconfigured.
func (s *Server) SetCustomDomainDNSReady(domain string) {
	s.setDeploys(func(d *deployState) {
		if i := d.domainIndex(domain); i >= 0 {
			d.domains[i].dnsReady = true
		}
	})
}

// DeploymentUpload is one content upload the fake received (accepted or
// not), in arrival order.
type DeploymentUpload struct {
	DeploymentID, FileID string
	Path                 string // registered path of the file ("" for an unknown file)
	ContentType          string
	Authorization        string // as received
	SHA                  string // of the bytes that arrived
	Size                 int64
	Content              []byte // when Size <= DeploymentKeepBytes
	Status               int    // the HTTP status the fake answered
}

// DeploymentUploads returns every content upload received so far.
func (s *Server) DeploymentUploads() []DeploymentUpload {
	return withDeploys(s, func(d *deployState) []DeploymentUpload { return slices.Clone(d.uploads) })
}

// DeployedFile is a file of a deployment's source as the build would see it.
type DeployedFile struct {
	Path    string
	SHA     string
	Size    int64
	Content []byte // when Size <= DeploymentKeepBytes
}

// DeploymentSource returns the files that arrived (legacy: once started).
func (s *Server) DeploymentSource(id string) []DeployedFile {
	return withDeploys(s, func(d *deployState) []DeployedFile {
		out := slices.Clone(d.find(id).source)
		slices.SortFunc(out, func(a, b DeployedFile) int { return strings.Compare(a.Path, b.Path) })
		return out
	})
}

// DeploymentStatus returns the stored status of deployment id ("" if unknown).
func (s *Server) DeploymentStatus(id string) string {
	return withDeploys(s, func(d *deployState) string { return d.find(id).status })
}

// DeploymentIDs returns the ids of all deployments, oldest first.
func (s *Server) DeploymentIDs() []string {
	return withDeploys(s, func(d *deployState) []string {
		out := make([]string, len(d.runs))
		for i, dep := range d.runs {
			out[i] = dep.id
		}
		return out
	})
}

// AddDeployment seeds a deployment in status and returns its id. Other than
// WAITING and UPLOADING it counts as started (provider id, url), and a
// QUEUED or BUILDING one progresses like a started build.
func (s *Server) AddDeployment(status string) string {
	return withDeploys(s, func(d *deployState) string {
		dep := d.newRun("direct")
		if status != "WAITING" && status != "UPLOADING" {
			d.markStarted(dep)
			dep.remaining = max(d.polls, 1)
			if status == "ERROR" {
				dep.metadata["error"] = map[string]any{"code": "BUILD_FAILED", "message": d.finalError}
			}
		}
		dep.status = status
		return dep.id
	})
}

// LegacyUpload is one form upload the presigned storage target received.
type LegacyUpload struct {
	DeploymentID  string
	Fields        map[string]string // every form field except the file
	FieldOrder    []string          // field names in arrival order, "file" included
	ContentLength int64
	// Authorization and APIKey are what the request carried: the admin key
	// must never reach storage.
	Authorization, APIKey string
	ZipSize               int
	Status                int
}

// LegacyUploads returns the uploads the presigned target received.
func (s *Server) LegacyUploads() []LegacyUpload {
	return withDeploys(s, func(d *deployState) []LegacyUpload { return slices.Clone(d.legacy) })
}

// DeploymentEnvVars returns the environment variables (key → value).
func (s *Server) DeploymentEnvVars() map[string]string {
	return withDeploys(s, func(d *deployState) map[string]string {
		out := map[string]string{}
		for _, v := range d.envVars {
			out[v.key] = v.value
		}
		return out
	})
}

// CustomDomains returns the names of the custom domains.
func (s *Server) CustomDomains() []string {
	return withDeploys(s, func(d *deployState) []string {
		out := make([]string, len(d.domains))
		for i, dom := range d.domains {
			out[i] = dom.name
		}
		return out
	})
}

// DeploymentSlug returns the project's custom slug (nil when unset).
func (s *Server) DeploymentSlug() *string {
	return withDeploys(s, func(d *deployState) *string { return d.slug })
}

// EnableLegacyDeployments starts the presigned storage target of the legacy
// flow and returns its URL; until then POST /api/deployments answers 503
// like a backend without S3 storage.
func (s *Server) EnableLegacyDeployments(t testing.TB) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(deploymentsOf(s).presignedPost))
	t.Cleanup(ts.Close)
	s.setDeploys(func(d *deployState) { d.presignURL = ts.URL })
	return ts.URL
}

// StreamingDeploymentFront starts a listener in front of the fake and
// returns its URL. It streams file content uploads itself, without checking
// the key (the fake keeps every body for Requests), and proxies the rest,
// for measuring a client's memory; its uploads appear in DeploymentUploads
// but not in Requests.
func (s *Server) StreamingDeploymentFront(t testing.TB) string {
	t.Helper()
	backend, _ := url.Parse(s.ts.URL)
	front := http.NewServeMux()
	front.HandleFunc("PUT /api/deployments/{id}/files/{fileId}/content", deploymentsOf(s).putContent)
	front.Handle("/", httputil.NewSingleHostReverseProxy(backend))
	ts := httptest.NewServer(front)
	t.Cleanup(ts.Close)
	return ts.URL
}

// ---- records ----

// find returns deployment id, or an empty record. d.mu held.
func (d *deployState) find(id string) *deployRecordState {
	if i := slices.IndexFunc(d.runs, func(dep *deployRecordState) bool { return dep.id == id }); i >= 0 {
		return d.runs[i]
	}
	return &deployRecordState{}
}

// lookup finds the deployment of an {id} route or answers 404. d.mu held.
func (d *deployState) lookup(w http.ResponseWriter, r *http.Request) *deployRecordState {
	id := r.PathValue("id")
	if i := indexOr404(w, d.runs, func(dep *deployRecordState) bool { return dep.id == strings.ToLower(id) }, "DEPLOYMENT_NOT_FOUND", "Deployment not found: "+id); i >= 0 {
		return d.runs[i]
	}
	return nil
}

func (d *deployState) newRun(mode string) *deployRecordState {
	now := isoMillis(time.Now())
	dep := &deployRecordState{id: newUUID(), mode: mode, status: "WAITING", metadata: map[string]any{"uploadMode": mode}, createdAt: now, updatedAt: now}
	d.runs = append(d.runs, dep)
	return dep
}

func (dep *deployRecordState) record() map[string]any {
	return map[string]any{
		"id": dep.id, "providerDeploymentId": dep.providerID, "provider": "vercel", "status": dep.status,
		"url": dep.url, "metadata": cloneValue(dep.metadata), "createdAt": dep.createdAt, "updatedAt": dep.updatedAt,
	}
}

// markStarted gives the deployment its provider id and url. d.mu held.
func (d *deployState) markStarted(dep *deployRecordState) {
	pid := "dpl_" + strings.ReplaceAll(newUUID(), "-", "")[:24]
	u := "https://insforge-" + dep.id[:8] + ".vercel.app"
	dep.providerID, dep.url, dep.status, dep.updatedAt = &pid, &u, "QUEUED", isoMillis(time.Now())
	if dep.remaining = d.polls; dep.remaining == 0 {
		d.finish(dep)
	}
}

// advance moves a started build one status read closer to its end. d.mu held.
func (d *deployState) advance(dep *deployRecordState) {
	if dep.providerID == nil || dep.status == "READY" || dep.status == "ERROR" || dep.status == "CANCELED" {
		return
	}
	dep.updatedAt = isoMillis(time.Now())
	if dep.remaining--; dep.remaining > 0 {
		dep.status = "BUILDING"
	} else {
		d.finish(dep)
	}
}

func (d *deployState) finish(dep *deployRecordState) {
	dep.status = d.finalStatus
	if d.finalStatus == "ERROR" {
		dep.metadata["error"] = map[string]any{"code": "BUILD_FAILED", "message": d.finalError}
	}
}

// ---- direct flow ----

func (d *deployState) createDirect(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Files []struct {
			Path, Sha string
			Size      int64
		}
	}
	if !bind(w, r, &in) {
		return
	}
	var total, largest int64
	for _, f := range in.Files {
		total, largest = total+f.Size, max(largest, f.Size)
	}
	if len(in.Files) > d.maxFiles || total > d.maxTotal || largest > d.maxFile {
		writeError(w, errInvalidInput(fmt.Sprintf("Deployment files exceed the maximum of %d files, %d bytes per file or %d bytes in total.", d.maxFiles, d.maxFile, d.maxTotal)))
		return
	}
	dep := d.newRun("direct")
	out := make([]any, len(in.Files))
	for i, f := range in.Files {
		ff := &deployFileState{id: newUUID(), path: f.Path, sha: strings.ToLower(f.Sha), size: f.Size, dep: dep}
		dep.files = append(dep.files, ff)
		d.files[ff.id] = ff
		out[i] = ff.json()
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": dep.id, "status": dep.status, "files": out})
}

func (f *deployFileState) json() map[string]any {
	return map[string]any{"fileId": f.id, "path": f.path, "sha": f.sha, "size": f.size, "uploadedAt": f.uploadedAt}
}

// putContent streams one file's bytes (without d.mu) and checks them
// against the registered SHA-1 and size.
func (d *deployState) putContent(w http.ResponseWriter, r *http.Request) {
	rec := DeploymentUpload{DeploymentID: r.PathValue("id"), FileID: r.PathValue("fileId"), ContentType: r.Header.Get("Content-Type"), Authorization: r.Header.Get("Authorization")}
	file, aerr := d.uploadTarget(&rec)
	if aerr == nil {
		h := sha1.New()
		var kept bytes.Buffer
		n, err := io.Copy(io.MultiWriter(h, &capWriter{&kept, DeploymentKeepBytes}), r.Body)
		rec.SHA, rec.Size = hex.EncodeToString(h.Sum(nil)), n
		if n <= DeploymentKeepBytes {
			rec.Content = kept.Bytes()
		}
		if err != nil || n != file.size || rec.SHA != file.sha {
			aerr = errInvalidInput("Uploaded file content does not match the registered deployment file.")
		}
	}
	_, _ = io.Copy(io.Discard, r.Body)
	d.mu.Lock()
	defer d.mu.Unlock()
	rec.Status = http.StatusOK
	if aerr != nil {
		rec.Status = aerr.status()
	}
	d.uploads = append(d.uploads, rec)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	now := isoMillis(time.Now())
	file.uploadedAt = &now
	src := slices.DeleteFunc(file.dep.source, func(f DeployedFile) bool { return f.Path == file.path }) // a re-upload replaces
	file.dep.source = append(src, DeployedFile{Path: file.path, SHA: rec.SHA, Size: rec.Size, Content: rec.Content})
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
func (d *deployState) uploadTarget(rec *DeploymentUpload) (*deployFileState, *APIError) {
	d.mu.Lock()
	defer d.mu.Unlock()
	file := d.files[strings.ToLower(rec.FileID)]
	if file == nil {
		return nil, &APIError{Status: 404, Code: "DEPLOYMENT_NOT_FOUND", Message: "Deployment file not found: " + rec.FileID}
	}
	rec.Path = file.path
	if f := d.uploadFaults[file.path]; f != nil {
		if f.left--; f.left == 0 {
			delete(d.uploadFaults, file.path)
			return nil, f.err
		}
	}
	// As on the backend: an upload that arrives after the deployment was
	// started or cancelled (a request still in flight when the client gave
	// up) is refused, and does not bring the deployment back to UPLOADING.
	if st := file.dep.status; st != "WAITING" && st != "UPLOADING" {
		return nil, &APIError{Status: 400, Code: "DEPLOYMENT_INVALID_FILE", Message: "Deployment files can only be uploaded while status is WAITING or UPLOADING."}
	}
	file.dep.status = "UPLOADING"
	return file, nil
}

// ---- start, status, sync, cancel, list, metadata (d.mu held) ----

func (d *deployState) start(w http.ResponseWriter, r *http.Request) {
	var in struct{ EnvVars []struct{ Key, Value string } }
	if !bind(w, r, &in) {
		return
	}
	switch dep := d.lookup(w, r); {
	case dep == nil:
	case dep.status != "WAITING" && dep.status != "UPLOADING":
		writeError(w, errInvalidInput("Deployment is not ready to start. Current status: "+dep.status))
	case d.startFault != nil:
		writeError(w, d.startFault)
		d.startFault = nil
	case dep.mode == "direct" && len(dep.files) == 0:
		writeError(w, errInvalidInput("Deployment files have not been registered."))
	default:
		if dep.mode == "legacy" {
			dep.source, dep.zip = deployUnzip(dep.zip), nil
		}
		for _, v := range in.EnvVars {
			d.upsertEnv(v.Key, v.Value)
		}
		d.markStarted(dep)
		writeJSON(w, http.StatusOK, dep.record())
	}
}

func (d *deployState) get(w http.ResponseWriter, r *http.Request) {
	if dep := d.lookup(w, r); dep != nil {
		d.advance(dep)
		writeJSON(w, http.StatusOK, dep.record())
	}
}

func (d *deployState) sync(w http.ResponseWriter, r *http.Request) {
	dep := d.lookup(w, r)
	switch {
	case dep == nil:
	case dep.providerID == nil:
		writeError(w, errInvalidInput("Cannot sync deployment: no provider deployment ID yet. Deployment may still be in WAITING status."))
	default:
		d.advance(dep)
		writeJSON(w, http.StatusOK, dep.record())
	}
}

func (d *deployState) cancel(w http.ResponseWriter, r *http.Request) {
	if dep := d.lookup(w, r); dep != nil {
		dep.status, dep.updatedAt = "CANCELED", isoMillis(time.Now())
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Deployment " + dep.id + " has been cancelled"})
	}
}

func (d *deployState) list(w http.ResponseWriter, r *http.Request) {
	if d.unconfigured {
		writeJSON(w, http.StatusOK, []any{})
		return
	}
	limit, offset := queryInt(r.URL.Query(), "limit", 50), queryInt(r.URL.Query(), "offset", 0)
	all := []any{}
	for _, dep := range slices.Backward(d.runs) {
		all = append(all, dep.record())
	}
	page := pageSlice(all, limit, offset)
	writePaged(w, page, len(page), offset, len(all))
}

func (d *deployState) metadata(w http.ResponseWriter, r *http.Request) {
	if d.unconfigured {
		writeJSON(w, http.StatusOK, []any{})
		return
	}
	var current, defURL, custom any
	for _, dep := range d.runs { // the newest READY one
		if dep.status == "READY" {
			current, defURL = dep.id, dep.url
		}
	}
	if d.slug != nil {
		custom = "https://" + *d.slug + ".insforge.site"
	}
	writeJSON(w, http.StatusOK, map[string]any{"currentDeploymentId": current, "defaultDomainUrl": defURL, "customDomainUrl": custom})
}

func (d *deployState) putSlug(w http.ResponseWriter, r *http.Request) {
	var in struct{ Slug *string }
	if !bind(w, r, &in) {
		return
	}
	switch {
	case d.selfHosted:
		writeError(w, &APIError{Status: 503, Code: "INTERNAL_ERROR", Message: "Custom slugs are only available in cloud environment."})
	case in.Slug != nil && d.takenSlug[*in.Slug]:
		writeError(w, &APIError{Status: 409, Code: "DEPLOYMENT_ALREADY_EXISTS", Message: "Slug is already taken"})
	default:
		d.slug = in.Slug
		var domain any
		if in.Slug != nil {
			domain = *in.Slug + ".insforge.site"
		}
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "slug": in.Slug, "domain": domain})
	}
}

// ---- legacy zip flow ----

func (d *deployState) createLegacy(w http.ResponseWriter, r *http.Request) {
	if d.presignURL == "" {
		writeError(w, &APIError{Status: 503, Code: "INTERNAL_ERROR", Message: "S3 storage is required for legacy deployments. Please configure S3_BUCKET."})
		return
	}
	dep := d.newRun("legacy")
	dep.formFields = map[string]string{
		"bucket":          "insforge-deployments",
		"key":             "deployments/" + dep.id + "/source.zip",
		"Policy":          "eyJjb25kaXRpb25zIjpbWyJjb250ZW50LWxlbmd0aC1yYW5nZSIsMCwxMDQ4NTc2MDBdXX0=",
		"X-Amz-Signature": strings.ReplaceAll(newUUID(), "-", ""),
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": dep.id, "uploadUrl": d.presignURL + "/insforge-deployments", "uploadFields": dep.formFields})
}

// presignedPost is the legacy flow's storage target: its form fields must
// equal the ones handed out. A refusal is S3's XML error body.
func (d *deployState) presignedPost(w http.ResponseWriter, r *http.Request) {
	up := LegacyUpload{Fields: map[string]string{}, ContentLength: r.ContentLength, Authorization: r.Header.Get("Authorization"), APIKey: extractAPIKey(r)}
	zipData := legacyForm(r, &up)
	_, _ = io.Copy(io.Discard, r.Body)
	d.mu.Lock()
	defer d.mu.Unlock()
	up.DeploymentID = strings.TrimSuffix(strings.TrimPrefix(up.Fields["key"], "deployments/"), "/source.zip")
	dep := d.find(up.DeploymentID)
	fits := dep.formFields != nil && zipData != nil && !d.rejectLegacy
	if fits {
		for k, v := range dep.formFields {
			fits = fits && up.Fields[k] == v
		}
	}
	d.rejectLegacy = false
	if !fits {
		up.Status = http.StatusForbidden
		d.legacy = append(d.legacy, up)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(up.Status)
		fmt.Fprint(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>the upload was refused</Message></Error>")
		return
	}
	up.Status, dep.zip = http.StatusNoContent, zipData
	d.legacy = append(d.legacy, up)
	w.WriteHeader(up.Status)
}

// legacyForm reads a form's fields into up and returns the file's bytes.
func legacyForm(r *http.Request, up *LegacyUpload) []byte {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil
	}
	var zipData []byte
	for part, err := mr.NextPart(); err == nil; part, err = mr.NextPart() {
		up.FieldOrder = append(up.FieldOrder, part.FormName())
		v, _ := io.ReadAll(part)
		if part.FormName() == "file" {
			zipData = v
		} else {
			up.Fields[part.FormName()] = string(v)
		}
	}
	up.ZipSize = len(zipData)
	return zipData
}

// deployUnzip reads the files of a legacy source zip.
func deployUnzip(data []byte) []DeployedFile {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil
	}
	var out []DeployedFile
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil || f.FileInfo().IsDir() {
			continue
		}
		content, _ := io.ReadAll(rc)
		rc.Close()
		sum := sha1.Sum(content)
		df := DeployedFile{Path: f.Name, SHA: hex.EncodeToString(sum[:]), Size: int64(len(content))}
		if len(content) <= DeploymentKeepBytes {
			df.Content = content
		}
		out = append(out, df)
	}
	return out
}

// ---- environment variables (d.mu held) ----

func (d *deployState) upsertEnv(key, value string) {
	if i := slices.IndexFunc(d.envVars, func(v *deployEnvVar) bool { return v.key == key }); i >= 0 {
		d.envVars[i].value = value
		return
	}
	d.envVars = append(d.envVars, &deployEnvVar{id: "env_" + strings.ReplaceAll(newUUID(), "-", "")[:16], key: key, value: value})
}

// envVarAt finds the variable of an {id} route or answers 404.
func (d *deployState) envVarAt(w http.ResponseWriter, r *http.Request) int {
	id := r.PathValue("id")
	return indexOr404(w, d.envVars, func(v *deployEnvVar) bool { return v.id == id }, "ENVIRONMENT_VARIABLE_NOT_FOUND", "Environment variable not found: "+id)
}

func (v *deployEnvVar) json() map[string]any {
	return map[string]any{"id": v.id, "key": v.key, "type": "encrypted"}
}

func (d *deployState) listEnvVars(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"envVars": jsonList(d.envVars)})
}

func (d *deployState) upsertEnvVars(w http.ResponseWriter, r *http.Request) {
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
	if i := d.envVarAt(w, r); i >= 0 {
		v := d.envVars[i].json()
		v["value"] = d.envVars[i].value
		writeJSON(w, http.StatusOK, map[string]any{"envVar": v})
	}
}

func (d *deployState) deleteEnvVar(w http.ResponseWriter, r *http.Request) {
	if i := d.envVarAt(w, r); i >= 0 {
		d.envVars = slices.Delete(d.envVars, i, i+1)
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Environment variable has been deleted successfully"})
	}
}

// ---- custom domains (d.mu held) ----

func (d *deployState) domainIndex(name string) int {
	return slices.IndexFunc(d.domains, func(dom *deployDomain) bool { return strings.EqualFold(dom.name, name) })
}

// domainAt finds the domain of a {domain} route or answers 404.
func (d *deployState) domainAt(w http.ResponseWriter, r *http.Request) int {
	name := r.PathValue("domain")
	return indexOr404(w, d.domains, func(dom *deployDomain) bool { return strings.EqualFold(dom.name, name) }, "DOMAIN_NOT_FOUND", "Domain not found on Vercel: "+name)
}

func (dom *deployDomain) json() map[string]any {
	verification := []any{}
	if !dom.verified {
		verification = append(verification, map[string]any{"type": "TXT", "domain": "_vercel." + dom.apex, "value": "vc-domain-verify=" + dom.name + "," + dom.token})
	}
	var cname, aRecord any = "cname.vercel-dns.com", nil
	if dom.name == dom.apex {
		cname, aRecord = nil, "76.76.21.21"
	}
	return map[string]any{"domain": dom.name, "apexDomain": dom.apex, "verified": dom.verified, "misconfigured": !dom.dnsReady,
		"verification": verification, "cnameTarget": cname, "aRecordValue": aRecord}
}

func (d *deployState) listDomains(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"domains": jsonList(d.domains)})
}

func (d *deployState) addDomain(w http.ResponseWriter, r *http.Request) {
	var in struct{ Domain string }
	if !bind(w, r, &in) {
		return
	}
	name := strings.TrimSpace(in.Domain)
	if d.domainIndex(name) >= 0 {
		writeError(w, &APIError{Status: 409, Code: "DOMAIN_ALREADY_EXISTS", Message: "Domain " + name + " is already added to this project"})
		return
	}
	labels := strings.Split(name, ".")
	dom := &deployDomain{name: name, apex: strings.Join(labels[max(0, len(labels)-2):], "."), token: strings.ReplaceAll(newUUID(), "-", "")[:12]}
	d.domains = append(d.domains, dom)
	writeJSON(w, http.StatusCreated, dom.json())
}

func (d *deployState) verifyDomain(w http.ResponseWriter, r *http.Request) {
	if i := d.domainAt(w, r); i >= 0 {
		dom := d.domains[i]
		dom.verified = dom.verified || dom.dnsReady
		writeJSON(w, http.StatusOK, dom.json())
	}
}

func (d *deployState) removeDomain(w http.ResponseWriter, r *http.Request) {
	if i := d.domainAt(w, r); i >= 0 {
		d.domains = slices.Delete(d.domains, i, i+1)
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "Domain " + r.PathValue("domain") + " removed"})
	}
}
