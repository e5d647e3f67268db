package insforgefake

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
	now := isoMillis(time.Now())
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

// functionInput is the create or update body (nil: absent).
type functionInput struct {
	Name, Slug, Code, Description, Status *string
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
	var in functionInput
	if !bind(w, r, &in) {
		return
	}
	name, slug, code, status := deref(in.Name), deref(in.Slug), deref(in.Code), deref(in.Status)
	if status == "" {
		status = "active"
	}
	if slug == "" {
		slug = deriveFunctionSlug(name)
	}
	switch {
	case name == "" || code == "" || !functionSlugRE.MatchString(slug):
		writeError(w, errInvalidInput("name and code are required; slug is letters, digits, - and _"))
		return
	case strings.EqualFold(slug, "health"):
		writeError(w, &APIError{Status: 400, Code: "FUNCTION_SLUG_RESERVED", Message: reservedSlugMessage})
		return
	case functionDenoServe.MatchString(code):
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
	now := isoMillis(time.Now())
	f := EdgeFunction{ID: newUUID(), Slug: slug, Name: name, Code: code, Status: status, CreatedAt: now, UpdatedAt: now}
	if deref(in.Description) != "" {
		f.Description = in.Description
	}
	var deployment map[string]any
	if status == "active" {
		f.DeployedAt = &now
		deployment = m.deploy()
	}
	m.seq++
	sf := &storedFunction{EdgeFunction: f, seq: m.seq}
	m.fns[slug] = sf
	writeFunctionResult(w, 201, sf, deployment)
}

// deref is *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ---- PUT /api/functions/{slug} ----

func (s *Server) updateEdgeFunction(w http.ResponseWriter, r *http.Request) {
	var in functionInput
	if !bind(w, r, &in) {
		return
	}
	if functionDenoServe.MatchString(deref(in.Code)) {
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
	now := isoMillis(time.Now())
	set(&f.Name, in.Name)
	if in.Description != nil {
		f.Description = in.Description
	}
	set(&f.Code, in.Code)
	set(&f.Status, in.Status)
	if deref(in.Status) == "active" {
		f.DeployedAt = &now
	}
	f.UpdatedAt = now
	var deployment map[string]any
	if in.Code != nil || in.Status != nil {
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
