package insforgetest

import (
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Functions module: edge function definitions under /api/functions and
// the invoke proxy ANY /functions/{slug}.
//
// The fake has no Deno runtime. An invoke runs a tiny built-in behaviour
// instead of the function's code:
//
//   - a missing or draft slug answers 404 {"error":"Function not found or
//     not active"} (the runtime's own body, not the standard error body);
//   - in self-hosted mode (the default), code that uses "export default"
//     without "module.exports" answers 500 {"error":"Unexpected token
//     'export'"}, as the local runtime does (as a real backend does);
//   - otherwise the function echoes the request as JSON: {slug, method,
//     query, headers, body}. The status is 200, or N when the code contains
//     a marker "status: N" (for example `new Response(…, { status: 418 })`).
//
// SetDeployResult switches the fake to InsForge Cloud behaviour (a deploy
// result on create and update), SetFunctionRuntime simulates a runtime that
// is down (list says "unavailable", invokes answer 502).

// EdgeFunction is an edge function as stored by the fake.
type EdgeFunction struct {
	ID          string
	Slug        string
	Name        string
	Description *string // nil: null
	Code        string
	Status      string // draft, active or error
	CreatedAt   string
	UpdatedAt   string
	DeployedAt  *string // nil: null
}

// FunctionInvocation records one request to the invoke proxy.
type FunctionInvocation struct {
	Slug   string
	Method string
	// Authorization is the Authorization header as it arrived ("" if none).
	// The proxy forwards it to the function's code.
	Authorization string
	// APIKey is the admin API key presented (Bearer ik_… or x-api-key), if
	// any: a client that sends one leaks the admin key to user code.
	APIKey string
}

// Behaviour constants of the fake invoke proxy.
const (
	// FunctionDeploymentURL is the deploymentUrl reported after a
	// successful simulated Cloud deploy.
	FunctionDeploymentURL = "https://fake-project.deno.dev"
	// functionNotActive is the runtime's body for a missing or draft slug.
	functionNotActive = `{"error":"Function not found or not active"}`
)

var (
	functionSlugRE     = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	functionDenoServe  = regexp.MustCompile(`Deno\.serve\s*\(`)
	functionStatusMark = regexp.MustCompile(`status:\s*([1-5][0-9][0-9])\b`)
	functionSpaces     = regexp.MustCompile(`\s+`)
)

const reservedSlugMessage = `Reserved slug - "health" is used by the functions runtime and cannot be used as a function slug`

// functionsModule is the module state of one Server.
type functionsModule struct {
	mu            sync.Mutex
	fns           map[string]*storedFunction
	seq           int
	deployStatus  string // "": self-hosted (no deploy step); success or failed: Cloud
	deployLogs    []string
	deploymentURL *string
	runtimeDown   bool
	invocations   []FunctionInvocation
}

type storedFunction struct {
	EdgeFunction
	seq int // creation order (createdAt may tie)
}

func registerFunctionsRoutes(s *Server) {
	m := s.functions()
	s.handle("GET /api/functions", accessAdmin, s.listEdgeFunctions)
	s.handle("POST /api/functions", accessAdmin, s.createEdgeFunction)
	s.handle("GET /api/functions/{slug}", accessAdmin, s.getEdgeFunction)
	s.handle("PUT /api/functions/{slug}", accessAdmin, s.updateEdgeFunction)
	s.handle("DELETE /api/functions/{slug}", accessAdmin, s.deleteEdgeFunction)
	s.handle("/functions/{slug}", accessPublic, s.invokeEdgeFunction)
	s.setMetadataSection("functions", m.metadata)
}

// functions returns the module state.
func (s *Server) functions() *functionsModule {
	return moduleState(s, "functions", func() *functionsModule {
		return &functionsModule{fns: map[string]*storedFunction{}}
	})
}

// SetDeployResult simulates InsForge Cloud (Deno Subhosting): creating an
// active function, or updating a function's code or status, then returns
// deployment {id, status, url, buildLogs} and success = (status ==
// "success"). status "" restores self-hosted behaviour (no deploy step,
// deployment null). A failed deploy keeps the saved function, as the real
// backend does.
func (s *Server) SetDeployResult(status string, logs []string) {
	m := s.functions()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deployStatus = status
	m.deployLogs = append([]string(nil), logs...)
	if status == "" {
		m.deploymentURL = nil
	}
}

// SetFunctionRuntime makes the function runtime available (the default) or
// unavailable: when unavailable, GET /api/functions reports runtime status
// "unavailable" and invokes answer 502 {"error": …} from the proxy.
func (s *Server) SetFunctionRuntime(available bool) {
	m := s.functions()
	m.mu.Lock()
	m.runtimeDown = !available
	m.mu.Unlock()
}

// AddFunction stores a function directly (no validation, no deploy). An
// empty Slug is derived from Name, an empty Status is "active", empty
// timestamps are now.
func (s *Server) AddFunction(f EdgeFunction) {
	m := s.functions()
	m.mu.Lock()
	defer m.mu.Unlock()
	if f.Slug == "" {
		f.Slug = deriveFunctionSlug(f.Name)
	}
	if f.Status == "" {
		f.Status = "active"
	}
	if f.ID == "" {
		f.ID = newUUID()
	}
	now := functionNow()
	if f.CreatedAt == "" {
		f.CreatedAt = now
	}
	if f.UpdatedAt == "" {
		f.UpdatedAt = now
	}
	if f.DeployedAt == nil && f.Status == "active" {
		f.DeployedAt = &now
	}
	m.seq++
	m.fns[f.Slug] = &storedFunction{EdgeFunction: f, seq: m.seq}
}

// Functions returns a copy of the stored functions, newest first.
func (s *Server) Functions() []EdgeFunction {
	m := s.functions()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]EdgeFunction, 0, len(m.fns))
	for _, f := range m.sorted() {
		out = append(out, f.EdgeFunction)
	}
	return out
}

// FunctionInvocations returns the requests received by the invoke proxy, in
// arrival order.
func (s *Server) FunctionInvocations() []FunctionInvocation {
	m := s.functions()
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]FunctionInvocation(nil), m.invocations...)
}

func functionNow() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

// deriveFunctionSlug mirrors the backend: name lower-cased, runs of
// whitespace replaced by "-".
func deriveFunctionSlug(name string) string {
	return functionSpaces.ReplaceAllString(strings.ToLower(name), "-")
}

// sorted returns the functions newest first (ORDER BY created_at DESC). m.mu held.
func (m *functionsModule) sorted() []*storedFunction {
	out := make([]*storedFunction, 0, len(m.fns))
	for _, f := range m.fns {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq > out[j].seq })
	return out
}

func (m *functionsModule) metadata() any {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []any{}
	for _, f := range m.sorted() {
		out = append(out, map[string]any{"slug": f.Slug, "name": f.Name, "description": f.Description, "status": f.Status})
	}
	return out
}

func (f *storedFunction) toJSON(withCode bool) map[string]any {
	out := map[string]any{
		"id":          f.ID,
		"slug":        f.Slug,
		"name":        f.Name,
		"description": f.Description,
		"status":      f.Status,
		"createdAt":   f.CreatedAt,
		"updatedAt":   f.UpdatedAt,
		"deployedAt":  f.DeployedAt,
	}
	if withCode {
		out["code"] = f.Code
	}
	return out
}

func errFunctionNotFound() *APIError {
	return &APIError{Status: 404, Code: "FUNCTION_NOT_FOUND", Message: "Function not found"}
}

// zodIssues collects zod issues; the functions routes send them as the
// JSON-encoded array in message (the standard error body).
type zodIssues []map[string]any

func (z *zodIssues) add(issue map[string]any) { *z = append(*z, issue) }

func (z zodIssues) err() *APIError {
	if len(z) == 0 {
		return nil
	}
	return &APIError{Status: 400, Code: "INVALID_INPUT", Message: string(marshalJSON([]map[string]any(z)))}
}

// optString checks an optional string field; it returns the value and
// whether it was present and valid.
func (z *zodIssues) optString(obj map[string]any, key string) (string, bool) {
	v, ok := obj[key]
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		z.add(map[string]any{"code": "invalid_type", "expected": "string", "received": jsonType(v), "path": []any{key}, "message": "Expected string, received " + jsonType(v)})
		return "", false
	}
	return s, true
}

// reqString checks a required string field with a minimum length of 1.
func (z *zodIssues) reqString(obj map[string]any, key, tooShort string) (string, bool) {
	if _, present := obj[key]; !present {
		z.add(map[string]any{"code": "invalid_type", "expected": "string", "received": "undefined", "path": []any{key}, "message": "Required"})
		return "", false
	}
	s, ok := z.optString(obj, key)
	if !ok {
		return "", false
	}
	if s == "" {
		z.add(map[string]any{"code": "too_small", "minimum": 1, "type": "string", "inclusive": true, "exact": false, "message": tooShort, "path": []any{key}})
		return "", false
	}
	return s, true
}

func (z *zodIssues) status(obj map[string]any) (string, bool) {
	s, ok := z.optString(obj, "status")
	if !ok {
		return "", false
	}
	if s != "draft" && s != "active" {
		z.add(map[string]any{"received": s, "code": "invalid_enum_value", "options": []any{"draft", "active"}, "path": []any{"status"},
			"message": "Invalid enum value. Expected 'draft' | 'active', received '" + s + "'"})
		return "", false
	}
	return s, true
}

func (z *zodIssues) object(v any) (map[string]any, bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		z.add(map[string]any{"code": "invalid_type", "expected": "object", "received": jsonType(v), "path": []any{}, "message": "Expected object, received " + jsonType(v)})
	}
	return obj, ok
}

func errDenoServe() *APIError {
	return &APIError{Status: 400, Code: "INVALID_INPUT",
		Message: `Function source cannot contain Deno.serve(). Use "export default async function(req: Request)" instead; the router handles serving automatically.`}
}

// deploy returns the deployment result of a write (nil in self-hosted
// mode). m.mu held.
func (m *functionsModule) deploy() map[string]any {
	if m.deployStatus == "" {
		return nil
	}
	d := map[string]any{"id": newUUID(), "status": m.deployStatus, "url": nil}
	if m.deployStatus == "success" {
		u := FunctionDeploymentURL
		m.deploymentURL = &u
		d["url"] = u
	}
	if m.deployLogs != nil {
		d["buildLogs"] = append([]string(nil), m.deployLogs...)
	}
	return d
}

func writeFunctionResult(w http.ResponseWriter, status int, f *storedFunction, deployment map[string]any) {
	success := deployment == nil || deployment["status"] == "success"
	var dep any
	if deployment != nil {
		dep = deployment
	}
	writeJSON(w, status, map[string]any{"success": success, "function": f.toJSON(true), "deployment": dep})
}

// ---- GET /api/functions ----

func (s *Server) listEdgeFunctions(w http.ResponseWriter, r *http.Request) {
	m := s.functions()
	m.mu.Lock()
	defer m.mu.Unlock()
	list := []any{}
	for _, f := range m.sorted() {
		list = append(list, f.toJSON(false))
	}
	status := "running"
	if m.runtimeDown && m.deployStatus == "" {
		status = "unavailable"
	}
	var url any
	if m.deployStatus != "" && m.deploymentURL != nil {
		url = *m.deploymentURL
	}
	writeJSON(w, 200, map[string]any{"functions": list, "runtime": map[string]any{"status": status}, "deploymentUrl": url})
}

// ---- GET /api/functions/{slug} ----

func (s *Server) getEdgeFunction(w http.ResponseWriter, r *http.Request) {
	m := s.functions()
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fns[r.PathValue("slug")]
	if !ok {
		writeError(w, errFunctionNotFound())
		return
	}
	writeJSON(w, 200, f.toJSON(true))
}

// ---- POST /api/functions ----

func (s *Server) createEdgeFunction(w http.ResponseWriter, r *http.Request) {
	body, apiErr := decodeBody(r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	var z zodIssues
	obj, ok := z.object(body)
	var name, slug, code, description, status string
	var hasSlug, hasDescription bool
	if ok {
		name, _ = z.reqString(obj, "name", "Name is required")
		if slug, hasSlug = z.optString(obj, "slug"); hasSlug {
			if !functionSlugRE.MatchString(slug) {
				z.add(map[string]any{"validation": "regex", "code": "invalid_string", "message": "Invalid slug format - must be alphanumeric with hyphens or underscores only", "path": []any{"slug"}})
			}
			if strings.EqualFold(slug, "health") {
				z.add(map[string]any{"code": "custom", "message": reservedSlugMessage, "path": []any{"slug"}})
			}
		}
		code, _ = z.reqString(obj, "code", "String must contain at least 1 character(s)")
		description, hasDescription = z.optString(obj, "description")
		status, _ = z.status(obj)
	}
	if err := z.err(); err != nil {
		writeError(w, err)
		return
	}
	if status == "" {
		status = "active"
	}
	if !hasSlug || slug == "" {
		slug = deriveFunctionSlug(name)
	}
	if strings.EqualFold(slug, "health") {
		writeError(w, &APIError{Status: 400, Code: "FUNCTION_SLUG_RESERVED", Message: reservedSlugMessage})
		return
	}
	if functionDenoServe.MatchString(code) {
		writeError(w, errDenoServe())
		return
	}
	m := s.functions()
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, exists := m.fns[slug]; exists {
		writeError(w, &APIError{Status: 409, Code: "FUNCTION_ALREADY_EXISTS", Message: "Function with this slug already exists"})
		return
	}
	now := functionNow()
	f := EdgeFunction{ID: newUUID(), Slug: slug, Name: name, Code: code, Status: status, CreatedAt: now, UpdatedAt: now}
	if hasDescription && description != "" {
		f.Description = &description
	}
	if status == "active" {
		f.DeployedAt = &now
	}
	m.seq++
	sf := &storedFunction{EdgeFunction: f, seq: m.seq}
	m.fns[slug] = sf
	var deployment map[string]any
	if status == "active" {
		deployment = m.deploy()
	}
	writeFunctionResult(w, 201, sf, deployment)
}

// ---- PUT /api/functions/{slug} ----

func (s *Server) updateEdgeFunction(w http.ResponseWriter, r *http.Request) {
	body, apiErr := decodeBody(r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	var z zodIssues
	obj, ok := z.object(body)
	var name, code, description, status string
	var hasName, hasCode, hasDescription, hasStatus bool
	if ok {
		name, hasName = z.optString(obj, "name")
		code, hasCode = z.optString(obj, "code")
		description, hasDescription = z.optString(obj, "description")
		status, hasStatus = z.status(obj)
	}
	if err := z.err(); err != nil {
		writeError(w, err)
		return
	}
	if hasCode && functionDenoServe.MatchString(code) {
		writeError(w, errDenoServe())
		return
	}
	m := s.functions()
	m.mu.Lock()
	defer m.mu.Unlock()
	f, exists := m.fns[r.PathValue("slug")]
	if !exists {
		writeError(w, errFunctionNotFound())
		return
	}
	now := functionNow()
	if hasName {
		f.Name = name
	}
	if hasDescription {
		f.Description = &description
	}
	if hasCode {
		f.Code = code
	}
	if hasStatus {
		f.Status = status
		if status == "active" {
			f.DeployedAt = &now
		}
	}
	f.UpdatedAt = now
	var deployment map[string]any
	if hasCode || hasStatus {
		deployment = m.deploy()
	}
	writeFunctionResult(w, 200, f, deployment)
}

// ---- DELETE /api/functions/{slug} ----

func (s *Server) deleteEdgeFunction(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	m := s.functions()
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, exists := m.fns[slug]; !exists {
		writeError(w, errFunctionNotFound())
		return
	}
	delete(m.fns, slug)
	writeJSON(w, 200, map[string]any{"success": true, "message": "Function " + slug + " deleted successfully"})
}

// ---- ANY /functions/{slug} ----

func (s *Server) invokeEdgeFunction(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	m := s.functions()
	m.mu.Lock()
	m.invocations = append(m.invocations, FunctionInvocation{Slug: slug, Method: r.Method, Authorization: r.Header.Get("Authorization"), APIKey: extractAPIKey(r)})
	down := m.runtimeDown && m.deployStatus == ""
	var code string
	f, found := m.fns[slug]
	active := found && f.Status == "active"
	if active {
		code = f.Code
	}
	cloud := m.deployStatus != ""
	m.mu.Unlock()

	// The proxy re-serialises the body parsed by express.json().
	var body any
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		v, apiErr := decodeBody(r)
		if apiErr != nil {
			writeError(w, apiErr)
			return
		}
		body = v
	}
	if down {
		target := "http://deno:7133/" + slug
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery // the proxy forwards the query string
		}
		writeJSON(w, http.StatusBadGateway, map[string]any{"error": "request to " + target + " failed, reason: connect ECONNREFUSED 172.18.0.4:7133"})
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if !active {
		functionRaw(w, http.StatusNotFound, functionNotActive)
		return
	}
	if !cloud && strings.Contains(code, "export default") && !strings.Contains(code, "module.exports") {
		functionRaw(w, http.StatusInternalServerError, `{"error":"Unexpected token 'export'"}`)
		return
	}
	status := http.StatusOK
	if mk := functionStatusMark.FindStringSubmatch(code); mk != nil {
		status, _ = strconv.Atoi(mk[1])
	}
	query := map[string]any{}
	for k, vs := range r.URL.Query() {
		if len(vs) == 1 {
			query[k] = vs[0]
		} else {
			query[k] = vs
		}
	}
	headers := map[string]any{}
	for k, vs := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	echo := map[string]any{"slug": slug, "method": r.Method, "query": query, "headers": headers, "body": body}
	functionRaw(w, status, string(marshalJSON(echo)))
}

// functionRaw writes a function's own answer (Content-Type as Deno sets it).
func functionRaw(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
