package insforgefake

import (
	"cmp"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Functions module: edge function definitions under /api/functions and
// the invoke proxy ANY /functions/{slug}. There is no Deno runtime; an
// invoke of a missing or draft slug answers the runtime's own 404 body, ES
// module code ("export default" without "module.exports") answers 500
// "Unexpected token 'export'" on self-hosted (the default), and any other
// function echoes {slug, method, query, headers, body} with status 200, or
// N when the code contains "status: N". SetDeployResult switches to Cloud
// behaviour, SetFunctionRuntime takes the runtime down. What the tools
// check before sending (slugs, "health", Deno.serve) is not checked again.

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

// FunctionInvocation records one request to the invoke proxy: the
// Authorization header it forwards to the code, and the admin API key
// presented, if any (which would leak the admin key to user code).
type FunctionInvocation struct {
	Slug, Method          string
	Authorization, APIKey string
}

// FunctionDeploymentURL is the deploymentUrl of a successful Cloud deploy.
const FunctionDeploymentURL = "https://fake-project.deno.dev"

var (
	functionStatusMark = regexp.MustCompile(`status:\s*([1-5][0-9][0-9])\b`)
	functionSpaces     = regexp.MustCompile(`\s+`)
)

// functionsModule is the module state of one Server.
type functionsModule struct {
	mu           sync.Mutex
	fns          []*EdgeFunction // oldest first
	deployStatus string          // "": self-hosted (no deploy step); success or failed: Cloud
	deployLogs   []string
	deployed     bool // a Cloud deploy succeeded: the list reports deploymentUrl
	runtimeDown  bool
	invocations  []FunctionInvocation
}

func registerFunctionsRoutes(s *Server) {
	m := s.functions()
	s.handle("GET /api/functions", accessAdmin, lockedRoute(&m.mu, m.list))
	s.handle("POST /api/functions", accessAdmin, m.create)
	s.handle("GET /api/functions/{slug}", accessAdmin, lockedRoute(&m.mu, m.get))
	s.handle("PUT /api/functions/{slug}", accessAdmin, m.update)
	s.handle("DELETE /api/functions/{slug}", accessAdmin, lockedRoute(&m.mu, m.remove))
	s.handle("/functions/{slug}", accessPublic, m.invoke)
	s.setMetadataSection("functions", m.metadata)
}

func (s *Server) functions() *functionsModule {
	return moduleState(s, "functions", func() *functionsModule { return &functionsModule{} })
}

// SetDeployResult simulates InsForge Cloud: creating an active function, or
// updating code or status, returns deployment {id, status, url, buildLogs}
// and success = (status == "success"); a failed deploy keeps the function.
// status "" restores self-hosted behaviour (deployment null).
func (s *Server) SetDeployResult(status string, logs []string) {
	m := s.functions()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deployStatus, m.deployLogs = status, slices.Clone(logs)
}

// SetFunctionRuntime(false) makes the runtime "unavailable" in the list and
// invokes answer the proxy's 502.
func (s *Server) SetFunctionRuntime(available bool) {
	m := s.functions()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runtimeDown = !available
}

// AddFunction stores a function directly. An empty Slug is derived from
// Name, an empty Status is "active", empty timestamps are now.
func (s *Server) AddFunction(f EdgeFunction) {
	m := s.functions()
	m.mu.Lock()
	defer m.mu.Unlock()
	now := isoMillis(time.Now())
	f.ID, f.CreatedAt, f.UpdatedAt = cmp.Or(f.ID, newUUID()), cmp.Or(f.CreatedAt, now), cmp.Or(f.UpdatedAt, now)
	f.Slug, f.Status = cmp.Or(f.Slug, deriveFunctionSlug(f.Name)), cmp.Or(f.Status, "active")
	if f.DeployedAt == nil && f.Status == "active" {
		f.DeployedAt = &now
	}
	m.fns = append(m.fns, &f)
}

// deref is *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Functions returns a copy of the stored functions, newest first.
func (s *Server) Functions() []EdgeFunction {
	m := s.functions()
	return lockedCall(&m.mu, func() (out []EdgeFunction) {
		for _, f := range slices.Backward(m.fns) {
			out = append(out, *f)
		}
		return out
	})
}

// FunctionInvocations returns the requests received by the invoke proxy, in
// arrival order.
func (s *Server) FunctionInvocations() []FunctionInvocation {
	m := s.functions()
	return lockedCall(&m.mu, func() []FunctionInvocation { return slices.Clone(m.invocations) })
}

// deriveFunctionSlug mirrors the backend: name lower-cased, runs of
// whitespace replaced by "-".
func deriveFunctionSlug(name string) string {
	return functionSpaces.ReplaceAllString(strings.ToLower(name), "-")
}

// find returns the function with slug, or nil. m.mu held.
func (m *functionsModule) find(slug string) *EdgeFunction {
	if i := slices.IndexFunc(m.fns, func(f *EdgeFunction) bool { return f.Slug == slug }); i >= 0 {
		return m.fns[i]
	}
	return nil
}

// each lists the functions newest first (ORDER BY created_at DESC). m.mu held.
func (m *functionsModule) each(f func(*EdgeFunction) any) []any {
	out := []any{}
	for _, fn := range slices.Backward(m.fns) {
		out = append(out, f(fn))
	}
	return out
}

func (m *functionsModule) metadata() any {
	return lockedCall(&m.mu, func() []any {
		return m.each(func(f *EdgeFunction) any {
			return map[string]any{"slug": f.Slug, "name": f.Name, "description": f.Description, "status": f.Status}
		})
	})
}

func functionJSON(f *EdgeFunction, withCode bool) map[string]any {
	out := map[string]any{
		"id": f.ID, "slug": f.Slug, "name": f.Name, "description": f.Description, "status": f.Status,
		"createdAt": f.CreatedAt, "updatedAt": f.UpdatedAt, "deployedAt": f.DeployedAt,
	}
	if withCode {
		out["code"] = f.Code
	}
	return out
}

// at finds the function of a {slug} route or answers 404. m.mu held.
func (m *functionsModule) at(w http.ResponseWriter, r *http.Request) int {
	slug := r.PathValue("slug")
	return indexOr404(w, m.fns, func(f *EdgeFunction) bool { return f.Slug == slug }, "FUNCTION_NOT_FOUND", "Function not found")
}

// functionInput is the create or update body (nil: absent).
type functionInput struct {
	Name, Slug, Code, Description, Status *string
}

// writeResult answers a write, deploying first on Cloud when deploy is
// set. m.mu held.
func (m *functionsModule) writeResult(w http.ResponseWriter, status int, f *EdgeFunction, deploy bool) {
	var deployment any
	if deploy && m.deployStatus != "" {
		d := map[string]any{"id": newUUID(), "status": m.deployStatus, "url": nil, "buildLogs": m.deployLogs}
		if m.deployStatus == "success" {
			m.deployed, d["url"] = true, FunctionDeploymentURL
		}
		deployment = d
	}
	success := deployment == nil || m.deployStatus == "success"
	writeJSON(w, status, map[string]any{"success": success, "function": functionJSON(f, true), "deployment": deployment})
}

func (m *functionsModule) list(w http.ResponseWriter, r *http.Request) {
	status, cloud := "running", m.deployStatus != ""
	if m.runtimeDown && !cloud {
		status = "unavailable"
	}
	var url any
	if cloud && m.deployed {
		url = FunctionDeploymentURL
	}
	list := m.each(func(f *EdgeFunction) any { return functionJSON(f, false) })
	writeJSON(w, 200, map[string]any{"functions": list, "runtime": map[string]any{"status": status}, "deploymentUrl": url})
}

func (m *functionsModule) get(w http.ResponseWriter, r *http.Request) {
	if i := m.at(w, r); i >= 0 {
		writeJSON(w, 200, functionJSON(m.fns[i], true))
	}
}

func (m *functionsModule) create(w http.ResponseWriter, r *http.Request) {
	var in functionInput
	if !bind(w, r, &in) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := isoMillis(time.Now())
	f := &EdgeFunction{ID: newUUID(), Name: deref(in.Name), Code: deref(in.Code), Status: cmp.Or(deref(in.Status), "active"), CreatedAt: now, UpdatedAt: now}
	f.Slug = cmp.Or(deref(in.Slug), deriveFunctionSlug(f.Name))
	if m.find(f.Slug) != nil {
		writeError(w, &APIError{Status: 409, Code: "FUNCTION_ALREADY_EXISTS", Message: "Function with this slug already exists"})
		return
	}
	if deref(in.Description) != "" {
		f.Description = in.Description
	}
	if f.Status == "active" {
		f.DeployedAt = &now
	}
	m.fns = append(m.fns, f)
	m.writeResult(w, 201, f, f.Status == "active")
}

func (m *functionsModule) update(w http.ResponseWriter, r *http.Request) {
	var in functionInput
	if !bind(w, r, &in) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.at(w, r)
	if i < 0 {
		return
	}
	f, now := m.fns[i], isoMillis(time.Now())
	set(&f.Name, in.Name)
	set(&f.Code, in.Code)
	set(&f.Status, in.Status)
	if in.Description != nil {
		f.Description = in.Description
	}
	if deref(in.Status) == "active" {
		f.DeployedAt = &now
	}
	f.UpdatedAt = now
	m.writeResult(w, 200, f, in.Code != nil || in.Status != nil)
}

func (m *functionsModule) remove(w http.ResponseWriter, r *http.Request) {
	if i := m.at(w, r); i >= 0 {
		m.fns = slices.Delete(m.fns, i, i+1)
		writeJSON(w, 200, map[string]any{"success": true, "message": "Function " + r.PathValue("slug") + " deleted successfully"})
	}
}

// invoke answers ANY /functions/{slug}.
func (m *functionsModule) invoke(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	m.mu.Lock()
	m.invocations = append(m.invocations, FunctionInvocation{Slug: slug, Method: r.Method, Authorization: r.Header.Get("Authorization"), APIKey: extractAPIKey(r)})
	cloud, code := m.deployStatus != "", ""
	down := m.runtimeDown && !cloud
	f := m.find(slug)
	active := f != nil && f.Status == "active"
	if active {
		code = f.Code
	}
	m.mu.Unlock()

	// The proxy re-serialises the body parsed by express.json().
	var body any
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		body, _ = decodeBody(r)
	}
	switch {
	case down:
		writeJSON(w, http.StatusBadGateway, map[string]any{"error": "request to http://deno:7133/" + slug + " failed, reason: connect ECONNREFUSED 172.18.0.4:7133"})
		return
	case !active:
		functionRaw(w, http.StatusNotFound, `{"error":"Function not found or not active"}`)
		return
	case !cloud && strings.Contains(code, "export default") && !strings.Contains(code, "module.exports"):
		functionRaw(w, http.StatusInternalServerError, `{"error":"Unexpected token 'export'"}`)
		return
	}
	status := http.StatusOK
	if mk := functionStatusMark.FindStringSubmatch(code); mk != nil {
		status, _ = strconv.Atoi(mk[1])
	}
	query := map[string]any{}
	for k, vs := range r.URL.Query() {
		if query[k] = vs; len(vs) == 1 {
			query[k] = vs[0]
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
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
