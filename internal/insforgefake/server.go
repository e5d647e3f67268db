// Package insforgefake is a fake of the InsForge backend's admin HTTP API
// for tests, on loopback (net/http/httptest). It keeps to the API's
// contract (reference v2.3.1): the routes, the credential rules, the
// standard error body, Content-Range paging, and the upload and deploy
// flows, with state only where a flow needs it. Its database is a real
// PostgreSQL: each Server has a database of its own on the test process's
// throwaway cluster (internal/pgtest; New skips the test without
// PostgreSQL, or fails it under CI=true), made when it is first needed
// (by Start: at once). Raw SQL runs as
// project_admin (/rawsql) or postgres (/rawsql/unrestricted) with the
// backend's guards and statement timeout, typed like node-pg's results;
// records are PostgREST filters turned into SQL. Row-level security is not
// enforced.
//
// Every request is recorded ([Server.Requests]) before it is answered;
// failures and slow answers are injected with [Server.Fail],
// [Server.FailTimes] and [Server.Stall]. Each backend module is one file
// with one registration function (see modules); handlers decode bodies with
// bind and answer with writeJSON, writeError or writePaged. A module keeps
// its own state through moduleState.
package insforgefake

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/internal/pgtest"
)

// DefaultAPIKey is the admin API key accepted when no WithAPIKey option is given.
const DefaultAPIKey = "ik_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// DefaultAnonKey is the anon key of the fake project.
const DefaultAnonKey = "anon_fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

// Version is the backend version the fake reports (metadata).
const Version = "2.3.1"

// Option configures a Server in New.
type Option func(*Server)

// WithAPIKey adds key to the accepted admin API keys. It may be repeated to
// accept several keys. When at least one WithAPIKey option is given,
// DefaultAPIKey is no longer accepted unless it is passed explicitly. Keys
// sent as "Authorization: Bearer" must start with "ik_" to be treated as API
// keys (as on the real backend); any key works in the x-api-key header.
func WithAPIKey(key string) Option {
	return func(s *Server) { s.apiKeys = append(s.apiKeys, key) }
}

// Request is a copy of one request received by the fake.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	// APIKey is the admin API key presented (Bearer ik_… or any x-api-key
	// header value), "" if none. It is set whether or not the key is valid.
	APIKey string
}

// Server is a running fake InsForge backend.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234 (no trailing slash).
	URL string

	ts      *httptest.Server
	mux     *http.ServeMux
	apiKeys []string
	anonKey string

	mu         sync.Mutex // guards requests, failures, stalls, sqlHandler
	requests   []Request
	failures   map[failKey]*failure
	stalls     map[string]time.Duration
	sqlHandler func(query string, params []any) (SQLResult, error)

	db *database // database module state kept outside PostgreSQL

	pg *pgDB // the PostgreSQL database

	metaSections map[string]func() any // read-only once the server runs

	// stateMu guards state, the extension point holding every module's
	// own state by module name (see moduleState).
	stateMu sync.Mutex
	state   map[string]any

	closeOnce sync.Once
}

type failKey struct{ method, path string }

type failure struct {
	err       *APIError
	remaining int // < 0: until cleared
}

// modules are the route registration functions of the modules, called by
// Start. The order does not matter: ServeMux picks the most specific pattern.
var modules = []func(*Server){
	registerDatabaseRoutes,
	registerRecordRoutes,
	registerSQLRoutes,
	registerMigrationRoutes,
	registerBulkRoutes,
	registerDocsRoutes,
	registerAuthRoutes,
	registerStorageRoutes,
	registerFunctionsRoutes,
	registerRealtimeRoutes,
	registerAIRoutes,
	registerLogsRoutes,
	registerSecretsRoutes,
	registerScheduleRoutes,
	registerAdvisorRoutes,
	registerDeploymentRoutes,
	registerMetadataRoutes,
}

// moduleState returns the state module name keeps in s, creating it with
// newState on first use. It is safe for concurrent use, and newState runs
// at most once per Server and name. newState runs with s.stateMu held: it
// must not call moduleState. Every call for a name must use the same T.
func moduleState[T any](s *Server, name string, newState func() *T) *T {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if v, ok := s.state[name]; ok {
		return v.(*T)
	}
	st := newState()
	s.state[name] = st
	return st
}

// New starts a fake backend on loopback and closes it with t.Cleanup.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	pgtest.Require(t)
	// The server makes its database when it first needs one; most never
	// do, and each spares a CREATE and a DROP DATABASE. The process's
	// cluster and template get ready meanwhile, so that a first use costs
	// one CREATE DATABASE; an error is the first use's to report.
	go pgTemplate() //nolint:errcheck // see above
	s := start(false, opts)
	t.Cleanup(s.Close)
	return s
}

// OpenDatabase makes the server's database now rather than at its first
// use, and fails t if it cannot. A first use may have to wait for the
// process's cluster to start, seconds on a loaded machine: a test whose
// first calls have a deadline of about a second calls this before them.
func (s *Server) OpenDatabase(t testing.TB) {
	t.Helper()
	if _, err := s.pg.open(); err != nil {
		t.Fatal(err)
	}
}

// Start starts a fake backend outside a test (benchmark drivers, manual
// runs), its database made at once; the caller closes it.
func Start(opts ...Option) *Server { return start(true, opts) }

func start(openDatabase bool, opts []Option) *Server {
	s := &Server{
		mux:          http.NewServeMux(),
		anonKey:      DefaultAnonKey,
		failures:     map[failKey]*failure{},
		stalls:       map[string]time.Duration{},
		db:           &database{},
		metaSections: map[string]func() any{},
		state:        map[string]any{},
	}
	for _, o := range opts {
		o(s)
	}
	if len(s.apiKeys) == 0 {
		s.apiKeys = []string{DefaultAPIKey}
	}
	s.pg = &pgDB{}
	if openDatabase {
		if _, err := s.pg.open(); err != nil {
			panic(err.Error())
		}
	}
	for _, m := range modules {
		m(s)
	}
	s.mux.HandleFunc("/", s.notFound)
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.ts.URL
	return s
}

// Close shuts the server down. It is called automatically by t.Cleanup.
// Stalled requests are abandoned.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.ts.CloseClientConnections()
		s.ts.Close()
		s.pg.close()
	})
}

// Client returns an *http.Client suitable for talking to the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Requests returns a copy of every request received, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.clone()
	}
	return out
}

// Reset forgets the recorded requests (state such as tables is kept).
func (s *Server) Reset() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// Fail makes every request matching method and path (exact URL path, no
// query) fail with err until cleared with Fail(method, path, nil). method ""
// matches any method. Injected failures apply after the request is
// recorded and before authentication and routing, so they also work for
// routes the fake does not implement.
func (s *Server) Fail(method, path string, err *APIError) {
	s.FailTimes(method, path, -1, err)
}

// FailTimes is like Fail but only the next n matching requests fail (n < 0:
// until cleared). A nil err or n == 0 clears the injection.
func (s *Server) FailTimes(method, path string, n int, err *APIError) {
	k := failKey{strings.ToUpper(method), path}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil || n == 0 {
		delete(s.failures, k)
		return
	}
	e := *err
	s.failures[k] = &failure{err: &e, remaining: n}
}

// Stall delays answers for requests to path (exact URL path) by d. The
// delay ends early, without an answer, when the request context is
// cancelled (client timeout or disconnect). d <= 0 clears the stall.
func (s *Server) Stall(path string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.stalls, path)
		return
	}
	s.stalls[path] = d
}

func (r Request) clone() Request {
	c := r
	c.Header = r.Header.Clone()
	c.Body = bytes.Clone(r.Body)
	return c
}

// serve is the entry point for every request: record, stall, inject, route.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body) // a broken body is the client's own failure
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     bytes.Clone(body),
		APIKey:   extractAPIKey(r),
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	stall := s.stalls[r.URL.Path]
	inj := s.takeFailure(r.Method, r.URL.Path)
	s.mu.Unlock()

	if stall > 0 {
		t := time.NewTimer(stall)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	w.Header().Set("Access-Control-Expose-Headers", "Content-Range,Preference-Applied")
	if inj != nil {
		writeError(w, inj)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// takeFailure returns the injected failure for a request, if any. s.mu held.
func (s *Server) takeFailure(method, path string) *APIError {
	for _, k := range []failKey{{method, path}, {"", path}} {
		f, ok := s.failures[k]
		if !ok {
			continue
		}
		if f.remaining > 0 {
			f.remaining--
			if f.remaining == 0 {
				delete(s.failures, k)
			}
		}
		return f.err
	}
	return nil
}

// notFound answers unknown routes.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, &APIError{
		Status:      http.StatusNotFound,
		Code:        "NOT_FOUND",
		Message:     "Endpoint " + r.URL.Path + " not found",
		NextActions: "Please check the API documentation for available endpoints",
	})
}

// access is the credential level a route requires.
type access int

const (
	accessPublic access = iota // no credential checked
	accessAdmin                // admin API key (or project_admin JWT)
	accessUser                 // admin API key, anon key or JWT
)

// role is the identity an authorised request runs as.
type role string

const (
	roleNone  role = ""
	roleAdmin role = "project_admin"
	roleAnon  role = "anon"
)

type roleKey struct{}

// requestRole reports the role the request was authorised as.
func requestRole(r *http.Request) role {
	v, _ := r.Context().Value(roleKey{}).(role)
	return v
}

// handle registers a route with the given access level (see package doc).
func (s *Server) handle(pattern string, a access, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		rl, err := s.authenticate(r, a)
		if err != nil {
			writeError(w, err)
			return
		}
		if rl != roleNone {
			r = r.WithContext(context.WithValue(r.Context(), roleKey{}, rl))
		}
		h(w, r)
	})
}

// bearer returns the Bearer token of the Authorization header ("" if none).
func bearer(r *http.Request) string {
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return v
	}
	return ""
}

// extractAPIKey mirrors the backend: a Bearer value starting with ik_ wins,
// else any x-api-key header value.
func extractAPIKey(r *http.Request) string {
	if b := bearer(r); strings.HasPrefix(b, "ik_") {
		return b
	}
	if vals := r.Header.Values("X-Api-Key"); len(vals) > 0 {
		return vals[0]
	}
	return ""
}

const (
	nextCheckAPIKey = "Check the API key is valid or generate a new API key."
	nextCheckToken  = "Check the token is valid or login to get a new token."
)

// authenticate applies the backend's credential dispatch: API key first (Bearer
// ik_… or x-api-key), then anon key, then JWT (the fake issues no JWTs, so
// every other bearer value is an invalid token).
func (s *Server) authenticate(r *http.Request, a access) (role, *APIError) {
	if a == accessPublic {
		return roleNone, nil
	}
	if strings.HasPrefix(bearer(r), "ik_") || len(r.Header.Values("X-Api-Key")) > 0 {
		key := extractAPIKey(r)
		if secretsOf(s).keyValid("API_KEY", key) {
			return roleAdmin, nil
		}
		for _, k := range s.apiKeys[1:] {
			if key == k {
				return roleAdmin, nil
			}
		}
		return roleNone, &APIError{
			Status:      http.StatusUnauthorized,
			Code:        "AUTH_INVALID_API_KEY",
			Message:     "Invalid API key",
			NextActions: nextCheckAPIKey,
		}
	}
	tok := bearer(r)
	if tok == "" {
		if a == accessAdmin {
			return roleNone, &APIError{Status: http.StatusUnauthorized, Code: "AUTH_INVALID_CREDENTIALS", Message: "No admin token provided", NextActions: nextCheckToken}
		}
		return roleNone, &APIError{Status: http.StatusUnauthorized, Code: "AUTH_INVALID_CREDENTIALS", Message: "No token provided", NextActions: nextCheckToken}
	}
	if a == accessUser && strings.HasPrefix(tok, "anon_") {
		if secretsOf(s).keyValid("ANON_KEY", tok) {
			return roleAnon, nil
		}
		return roleNone, &APIError{Status: http.StatusUnauthorized, Code: "AUTH_INVALID_CREDENTIALS", Message: "Invalid anon key", NextActions: nextCheckToken}
	}
	// Every other bearer value is verified as a JWT; the fake issues none.
	return roleNone, &APIError{Status: http.StatusUnauthorized, Code: "AUTH_UNAUTHORIZED", Message: "Invalid token"}
}
