// Package mcpserver turns the tool catalogue and the resources into an MCP
// server (mark3labs/mcp-go) and owns the credential gate: which project each
// session or request acts on, and which tools it may see.
//
// This is the only package, with the transports in serve.go, that imports
// mcp-go: tool logic stays plain Go in package tools.
package mcpserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/resources"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// Config is everything the server is built from.
type Config struct {
	Name    string
	Version string
	// Surface is what the server lists and serves (catalogue.Select).
	Surface *tools.Surface
	// ToolConfig is handed to every handler.
	ToolConfig tools.Config
	// Transport makes InsForge clients.
	Transport *insforge.Transport
	// Configured are the credentials from flags, env or the saved file; when
	// complete, every session is unlocked from its first request.
	Configured credentials.Credentials
	// ConfiguredKeyFrom says where Configured's key came from
	// (credentials.Resolved.KeyFrom: "env INSFORGE_API_KEY", a flag, the
	// saved file), for the answers that say it was refused.
	ConfiguredKeyFrom string
	// ConfigRefused, when set, says which configured value cannot be used,
	// why, and where it came from (a project URL that does not parse). The
	// server then starts locked, and every locked answer says so.
	ConfigRefused string
	// CredentialsFile is where connect-project remember=true saves.
	CredentialsFile string
	// AllowRemember permits saving credentials to CredentialsFile (only
	// when the server runs on the user's machine, over stdio).
	AllowRemember bool
	// ProjectHosts, when set, limits the project URLs that clients may
	// connect to (connect-project, request headers); the configured project
	// is always allowed. Set on the HTTP transports.
	ProjectHosts *credentials.HostPolicy
	// MaxCallsPerSession bounds concurrent tool calls of one session
	// (0: no bound). A call beyond it waits for a slot in the session's
	// queue (agents issue calls in parallel); it is refused only when the
	// queue is full, when it waited QueueWait, or when it was cancelled.
	MaxCallsPerSession int
	// MaxQueuedPerSession bounds the calls of one session that may wait
	// for a slot (0: 64; negative: none wait).
	MaxQueuedPerSession int
	// QueueWait is the longest a call waits for a slot (0: 60s). The call's
	// own context (the client cancelling, the request ending) ends the wait
	// sooner.
	QueueWait time.Duration
	// MaxConcurrentCalls bounds the tool calls running at once across the
	// whole server, every session and sessionless request together (0: 64;
	// negative: no bound). Sessionless requests (protocol 2026-07-28) have
	// no per-session slots, so this is what bounds them. A call beyond it
	// waits, up to QueueWait and while its context lasts.
	MaxConcurrentCalls int
	// InteractiveConnect enables connect-project without arguments: a
	// one-time page on this machine's loopback where the user enters the URL
	// and key (only when the server runs on the user's machine, over stdio).
	InteractiveConnect bool
	// ConfirmDestructive makes destructive tools ask the user first
	// (elicitation when the client supports it, else a confirm argument).
	ConfirmDestructive bool
	// MaxCallsPerKey bounds the tool calls made with one API key in a
	// minute, across every session (and every replica, with a Store);
	// 0: no bound.
	MaxCallsPerKey int
	// Store, when set, keeps streamable HTTP sessions in Redis, shared by
	// every replica (shared.go); nil keeps them in this process.
	Store  SessionStore
	Logger *slog.Logger
}

// Server is an MCP server with the gate.
type Server struct {
	cfg      Config
	mcp      *server.MCPServer
	log      *slog.Logger
	mu       sync.RWMutex
	sessions map[string]credentials.Credentials // keyed by non-empty session id
	live     map[string]*callSlots              // registered sessions → call slots
	// sessionless are the call slots of requests without a session, by
	// API key or client address (sessionlessKey), while calls use them.
	sessionless map[string]*callSlots
	listed      map[string]bool // what tools/list shows
	// toolNames are every catalogue tool's name, longest first (guide).
	toolNames []string
	// dispatched runs the tool call-tool names: the steps of a direct call
	// that call-tool has not taken already (built once, in New).
	dispatched callHandler
	// calls are the tool calls running now (shutdown drains them).
	calls callTracker
	// logs are the sessions that set a log level (logging.go).
	logs map[string]sessionLog
	// running holds one token per tool call running (MaxConcurrentCalls);
	// nil when unbounded.
	running chan struct{}
	// check is what became of the configured credentials (configured.go).
	check *configCheck
	// flushes keep each request's notifications ahead of its response
	// (ordering.go).
	flushes flushes
	// shared is the session store's side, nil without one.
	shared *shared
	// rates count the calls of each key (MaxCallsPerKey, no Store).
	rates keyRates
}

// New builds the server and registers every tool and resource.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Name == "" {
		cfg.Name = "insforge-mcp"
	}
	if cfg.MaxQueuedPerSession == 0 {
		cfg.MaxQueuedPerSession = 64
	}
	if cfg.QueueWait <= 0 {
		cfg.QueueWait = 60 * time.Second
	}
	if cfg.MaxConcurrentCalls == 0 {
		cfg.MaxConcurrentCalls = 64
	}
	s := &Server{cfg: cfg, log: cfg.Logger, sessions: map[string]credentials.Credentials{}, live: map[string]*callSlots{}, sessionless: map[string]*callSlots{}, listed: map[string]bool{}}
	if cfg.MaxConcurrentCalls > 0 {
		s.running = make(chan struct{}, cfg.MaxConcurrentCalls)
	}
	s.check = newConfigCheck(cfg.ConfigRefused)
	for _, t := range cfg.Surface.Listed {
		s.listed[t.Name] = true
	}
	s.toolNames = catalogueNames(cfg.Surface)
	s.dispatched = chain(s.execute, s.requireProject, s.confirmDestructive, decodeArguments)

	hooks := &server.Hooks{}
	hooks.AddAfterSetLevel(func(ctx context.Context, id any, req *mcp.SetLevelRequest, _ *mcp.EmptyResult) {
		s.setLogLevel(ctx, req.Params.Level)
	})
	if cfg.Store != nil {
		s.shared = newShared(cfg.Store, cfg.Logger)
		s.shareHooks(hooks)
	}
	hooks.AddOnRegisterSession(func(ctx context.Context, session server.ClientSession) {
		s.mu.Lock()
		s.live[session.SessionID()] = &callSlots{slots: make(chan struct{}, max(cfg.MaxCallsPerSession, 1))}
		s.mu.Unlock()
	})
	hooks.AddOnUnregisterSession(func(ctx context.Context, session server.ClientSession) {
		s.forget(session.SessionID())
	})
	// Every served tool is registered, so that a call by name reaches it;
	// tools/list shows the listed ones only. The list is the same for
	// every client, session and protocol version, and never changes: a
	// tool that needs a project answers, until one is connected, with
	// what to do.
	hooks.AddAfterListTools(func(ctx context.Context, id any, req *mcp.ListToolsRequest, res *mcp.ListToolsResult) {
		res.Tools = slices.DeleteFunc(res.Tools, func(t mcp.Tool) bool { return !s.listed[t.Name] })
	})
	hooks.AddOnRequestInitialization(s.lockedRead)
	hooks.AddOnSuccess(func(ctx context.Context, id any, method mcp.MCPMethod, _ any, _ any) {
		s.flushHook(ctx, id, string(method))
	})
	hooks.AddOnError(func(ctx context.Context, id any, method mcp.MCPMethod, _ any, _ error) {
		s.flushHook(ctx, id, string(method))
	})

	s.mcp = server.NewMCPServer(cfg.Name, cfg.Version,
		server.WithToolCapabilities(false),
		server.WithResourceCapabilities(false, true),
		server.WithPromptCapabilities(false),
		server.WithCompletions(),
		server.WithPromptCompletionProvider(completer{s}),
		server.WithResourceCompletionProvider(completer{s}),
		server.WithLogging(),
		server.WithInstructions(resources.Instructions(tools.ToolsetNames(cfg.Surface.Toolsets))),
		server.WithHooks(hooks),
	)
	for _, t := range cfg.Surface.Served {
		tool := mcpTool(t, s.listed[t.Name])
		if s.listed[t.Name] && s.needsConfirmation(t) {
			tool.RawInputSchema = withConfirmArg(tool.RawInputSchema)
		}
		s.mcp.AddTool(tool, s.handler(t))
	}
	s.addResources()
	s.addPrompts()
	return s
}

// Surface is what the server lists and serves.
func (s *Server) Surface() *tools.Surface { return s.cfg.Surface }

// MCP is the underlying mcp-go server, for transports and in-process clients.
func (s *Server) MCP() *server.MCPServer { return s.mcp }

// mcpTool converts a declaration into an mcp.Tool. Its annotations carry
// the title and every hint that differs from the MCP default
// (readOnlyHint false, destructiveHint true, idempotentHint false,
// openWorldHint true); for a read-only tool destructiveHint and
// idempotentHint mean nothing and are left out. Clients apply the
// defaults, so the hints mean what the declaration says, and the list
// does not pay for restating them: no model sees annotations, but every
// conversation pays for the bytes.
//
// mcp-go keeps a tool's schema only to list it, and tools/list shows the
// listed tools alone (the hook in New): a tool that is served but not
// listed is registered with a placeholder schema, so that its real one is
// reflected only when find-tools shows it or a call decodes its arguments,
// not at every startup.
func mcpTool(t tools.Tool, listed bool) mcp.Tool {
	a := mcp.ToolAnnotation{Title: t.Title}
	set := func(hint tools.Hint, byDefault bool) *bool {
		if v := hint.Bool(); v != byDefault {
			return &v
		}
		return nil
	}
	a.ReadOnlyHint = set(t.Hints.ReadOnly, false)
	if !t.Hints.ReadOnly.Bool() {
		a.DestructiveHint = set(t.Hints.Destructive, true)
		a.IdempotentHint = set(t.Hints.Idempotent, false)
	}
	a.OpenWorldHint = set(t.Hints.OpenWorld, true)
	schema := unlistedSchema
	if listed {
		schema = t.Schema()
	}
	return mcp.Tool{Name: t.Name, Description: t.Description, RawInputSchema: schema, Annotations: a}
}

// unlistedSchema stands for the schema of a served tool that tools/list
// does not show.
var unlistedSchema = json.RawMessage(`{"type":"object"}`)

// progress returns a reporter that sends notifications/progress for this
// request when the client sent a progress token, and does nothing otherwise.
func (s *Server) progress(ctx context.Context, req mcp.CallToolRequest) func(float64, float64, string) {
	if req.Params.Meta == nil || req.Params.Meta.ProgressToken == nil {
		return func(float64, float64, string) {}
	}
	token := req.Params.Meta.ProgressToken
	return func(progress, total float64, message string) {
		params := map[string]any{"progressToken": token, "progress": progress}
		if total > 0 {
			params["total"] = total
		}
		if message != "" {
			params["message"] = message
		}
		if err := s.notify(ctx, string(mcp.MethodNotificationProgress), params); err != nil {
			s.log.Debug("progress notification not delivered", "error", err)
		}
	}
}

// callSlots are one session's call slots and the count of calls waiting
// for one.
type callSlots struct {
	slots   chan struct{}
	waiting atomic.Int32
	// users and key are set for the slots of sessionless requests: how
	// many calls hold the entry, and its key in Server.sessionless.
	users *atomic.Int32
	key   string
}

// acquireServer takes one of the server-wide call slots, waiting for one
// up to QueueWait and while the call's context lasts. It returns the
// release function, or else why the call was refused.
func (s *Server) acquireServer(ctx context.Context) (func(), string) {
	if s.running == nil {
		return func() {}, ""
	}
	release := func() { <-s.running }
	select {
	case s.running <- struct{}{}:
		return release, ""
	default:
	}
	timer := time.NewTimer(s.cfg.QueueWait)
	defer timer.Stop()
	select {
	case s.running <- struct{}{}:
		return release, ""
	case <-ctx.Done():
		return nil, fmt.Sprintf("The call was cancelled while it waited for one of this server's %d tool call slots; nothing was done.", cap(s.running))
	case <-timer.C:
		return nil, fmt.Sprintf("The call waited %s for one of this server's %d tool call slots, all busy; nothing was done. Retry when the server is less busy.", s.cfg.QueueWait, cap(s.running))
	}
}

// acquire takes one of the session's call slots, waiting for one when all
// are busy: up to QueueWait, while the call's context lasts, and only when
// fewer than MaxQueuedPerSession calls already wait. Requests without a
// session (protocol 2026-07-28) share the slots of their API key, when
// they send one, or else of their client address, as if that were a
// session. It returns the release function, or else why the call was
// refused.
func (s *Server) acquire(ctx context.Context, creds credentials.Credentials) (func(), string) {
	if s.cfg.MaxCallsPerSession <= 0 {
		return func() {}, ""
	}
	if id := sessionID(ctx); id != "" && s.inStore(ctx) {
		return s.acquireShared(ctx, id)
	}
	s.mu.RLock()
	q, ok := s.live[sessionID(ctx)]
	s.mu.RUnlock()
	who := "session"
	if !ok {
		key := sessionlessKey(ctx, creds)
		if key == "" {
			return func() {}, "" // stdio, in-process
		}
		q = s.sessionlessSlots(key) // held until the call ends or is refused
		who = "client"
	}
	release := func() { <-q.slots }
	if q.users != nil {
		release = func() { <-q.slots; s.leaveSessionless(q) }
	}
	select {
	case q.slots <- struct{}{}:
		return release, ""
	default:
	}
	fail := func(msg string) (func(), string) {
		if q.users != nil {
			s.leaveSessionless(q)
		}
		return nil, msg
	}
	limit := s.cfg.MaxCallsPerSession
	if n := q.waiting.Add(1); n > int32(max(s.cfg.MaxQueuedPerSession, 0)) {
		q.waiting.Add(-1)
		return fail(fmt.Sprintf("This %s already has %d tool calls running and %d waiting, the most this server queues; wait for some to finish, then retry.", who, limit, n-1))
	}
	defer q.waiting.Add(-1)
	timer := time.NewTimer(s.cfg.QueueWait)
	defer timer.Stop()
	select {
	case q.slots <- struct{}{}:
		return release, ""
	case <-ctx.Done():
		return fail(fmt.Sprintf("The call was cancelled while it waited for one of this %s's %d tool call slots; nothing was done.", who, limit))
	case <-timer.C:
		return fail(fmt.Sprintf("The call waited %s for one of this %s's %d tool call slots, all busy; nothing was done. Retry when some calls have finished.", s.cfg.QueueWait, who, limit))
	}
}

// sessionlessKey is what bounds the calls of an HTTP request without a
// session: the API key it sent (hashed), or else its client address; ""
// for a request that is not over HTTP.
func sessionlessKey(ctx context.Context, creds credentials.Credentials) string {
	rc, ok := ctx.Value(requestCredsKey{}).(requestCreds)
	if !ok || !rc.http {
		return ""
	}
	if rc.creds.Complete() && rc.creds.APIKey == creds.APIKey {
		sum := sha256.Sum256([]byte(creds.APIKey))
		return "key " + hex.EncodeToString(sum[:8])
	}
	return "addr " + rc.client
}

// sessionlessSlots returns the call slots of a sessionless key, made on
// first use, held until leaveSessionless; the entry goes once nobody
// holds it.
func (s *Server) sessionlessSlots(key string) *callSlots {
	s.mu.Lock()
	q, ok := s.sessionless[key]
	if !ok {
		q = &callSlots{slots: make(chan struct{}, max(s.cfg.MaxCallsPerSession, 1)), users: &atomic.Int32{}, key: key}
		s.sessionless[key] = q
	}
	q.users.Add(1)
	s.mu.Unlock()
	return q
}

func (s *Server) leaveSessionless(q *callSlots) {
	s.mu.Lock()
	if q.users.Add(-1) == 0 {
		delete(s.sessionless, q.key)
	}
	s.mu.Unlock()
}

// sessionCount is the number of registered sessions.
func (s *Server) sessionCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.live)
}

func lockedMessage(tool string, overHTTP bool) string {
	msg := tool + " needs a connected InsForge project, and this session has none. " +
		"Ask the user for the Project URL (https://{project-id}.{region}.insforge.app) and the admin API key (ik_…) from the InsForge dashboard's project settings, " +
		"then call connect-project with projectUrl and apiKey, and retry."
	if overHTTP {
		msg += " (HTTP clients may instead send the headers Authorization: Bearer <ik_ key> and X-InsForge-Project-URL on every request.)"
	}
	return msg
}

// redact removes the key from text, as a last line of defence.
func redact(text, key string) string {
	if len(key) < 8 {
		return text
	}
	return strings.ReplaceAll(text, key, credentials.Redact(key))
}
