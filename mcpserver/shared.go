package mcpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/sessionstore"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// With a session store (Config.Store), streamable HTTP sessions live in
// Redis instead of this process: any replica serves any request of any
// session. Each request with a session id loads the session's entry once
// (storeSessions), which refreshes its idle timeout; the session id
// manager, the gate and the call slots read that entry or the store.
// Messages for a session whose stream another replica holds (a
// notification, the client's answer to an elicitation) travel on the
// store's channel.

// SessionStore is what the server needs of a shared session store;
// *sessionstore.Store (Redis) is the one the command wires. The server
// names no Redis type: every package that sees a go-redis type compiles
// its generic instantiations again (about 1,500 functions), so the
// packages that build on mcpserver stay clear of them.
type SessionStore interface {
	Create(ctx context.Context, id string) error
	Load(ctx context.Context, id string) (e sessionstore.Entry, found bool, err error)
	Update(ctx context.Context, id string, st sessionstore.State) (live bool, err error)
	SaveCreds(ctx context.Context, id string, c credentials.Credentials) (live bool, err error)
	DeleteCreds(ctx context.Context, id string) (had bool, err error)
	Delete(ctx context.Context, id string) error
	Count(ctx context.Context) (int, error)
	AcquireSlot(ctx context.Context, id string, limit int, lease time.Duration, token string) (bool, error)
	ReleaseSlot(ctx context.Context, id, token string) error
	Tally(ctx context.Context, apiKey string, window time.Duration) (int64, time.Duration, error)
	Publish(ctx context.Context, m sessionstore.Message) error
	Subscribe(ctx context.Context, fn func(sessionstore.Message)) error
	SealFor(id string, data []byte) []byte
	OpenFor(id string, sealed []byte) ([]byte, error)
}

// storeUnavailable is what a call gets when Redis cannot be reached.
const storeUnavailable = "session store unavailable, retry shortly"

// shared is the server's side of a session store.
type shared struct {
	store   SessionStore
	replica string // this process, so that it ignores its own messages
	log     *slog.Logger

	mu      sync.Mutex
	local   map[string]string             // hash → id of the sessions registered here
	streams map[string]context.CancelFunc // id → cancels the GET stream held here
	// relay answers a request relayed by another replica (the streamable
	// HTTP transport, without the guard); set by StreamableHandler.
	relay http.Handler
	// sseRelay is the SSE transport's message handler, for messages
	// posted to another replica; set by SSEHandler.
	sseRelay  http.Handler
	subscribe sync.Once
	stop      context.CancelFunc
}

// isSSE tells an SSE transport session (mcp-go v1.2.1 exports neither its
// type nor a method that tells).
func isSSE(session server.ClientSession) bool {
	return fmt.Sprintf("%T", session) == "*server.sseSession"
}

func newShared(store SessionStore, log *slog.Logger) *shared {
	return &shared{store: store, replica: randomHex(8), log: log, local: map[string]string{}, streams: map[string]context.CancelFunc{}}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// stored is a request's session entry, loaded once by storeSessions.
type stored struct {
	entry sessionstore.Entry
	found bool
	err   error
}

type storedKey struct{}

// load returns the request's entry, loading it when the request has none
// yet. A request that found the store unavailable does not try again:
// each try may wait for a timeout.
func (sh *shared) load(ctx context.Context, id string) *stored {
	if st, ok := ctx.Value(storedKey{}).(*stored); ok {
		return st
	}
	e, found, err := sh.store.Load(ctx, id)
	if err != nil {
		sh.log.Warn("session store unavailable", "error", err)
	}
	return &stored{entry: e, found: found, err: err}
}

// shareHooks keeps the protocol state in the store and tracks the
// sessions registered in this process.
func (s *Server) shareHooks(hooks *server.Hooks) {
	sh := s.shared
	hooks.AddAfterInitialize(func(ctx context.Context, _ any, req *mcp.InitializeRequest, res *mcp.InitializeResult) {
		id := sessionID(ctx)
		if id == "" {
			return
		}
		caps, _ := json.Marshal(req.Params.Capabilities)
		if _, err := sh.store.Update(ctx, id, sessionstore.State{Initialized: true, ProtocolVersion: res.ProtocolVersion, ClientCapabilities: caps}); err != nil {
			sh.log.Warn("session state not stored", "error", err)
		}
	})
	hooks.AddAfterSetLevel(func(ctx context.Context, _ any, req *mcp.SetLevelRequest, _ *mcp.EmptyResult) {
		if id := sessionID(ctx); id != "" {
			if _, err := sh.store.Update(ctx, id, sessionstore.State{LogLevel: string(req.Params.Level)}); err != nil {
				sh.log.Warn("session log level not stored", "error", err)
			}
		}
	})
	hooks.AddOnRegisterSession(func(ctx context.Context, session server.ClientSession) {
		id := session.SessionID()
		sh.mu.Lock()
		sh.local[sessionstore.Hash(id)] = id
		sh.mu.Unlock()
		if isSSE(session) { // lives as long as its stream, here
			if err := sh.store.Create(ctx, id); err != nil {
				sh.log.Warn("SSE session not recorded in the store: its messages must reach this replica", "error", err)
			}
		}
	})
	hooks.AddOnUnregisterSession(func(ctx context.Context, session server.ClientSession) {
		id := session.SessionID()
		sh.mu.Lock()
		delete(sh.local, sessionstore.Hash(id))
		sh.mu.Unlock()
		if isSSE(session) {
			if err := sh.store.Delete(context.WithoutCancel(ctx), id); err != nil {
				sh.log.Warn("ended SSE session left in the store until it expires", "error", err)
			}
		}
	})
}

// restoreSession gives the request's session what another replica may
// have recorded: the client's capabilities and the log level.
func (s *Server) restoreSession(ctx context.Context) {
	st, ok := ctx.Value(storedKey{}).(*stored)
	if !ok || !st.found {
		return
	}
	cs := server.ClientSessionFromContext(ctx)
	if ci, ok := cs.(server.SessionWithClientInfo); ok && len(st.entry.ClientCapabilities) > 0 {
		var caps mcp.ClientCapabilities
		if json.Unmarshal(st.entry.ClientCapabilities, &caps) == nil {
			ci.SetClientCapabilities(caps)
		}
	}
	if sl, ok := cs.(server.SessionWithLogging); ok && st.entry.LogLevel != "" {
		sl.SetLogLevel(mcp.LoggingLevel(st.entry.LogLevel))
	}
}

// sessionCreds are the session's connect-project credentials from the
// store; err is set when the store cannot be reached.
func (sh *shared) sessionCreds(ctx context.Context, id string) (credentials.Credentials, bool, error) {
	st := sh.load(ctx, id)
	if st.err != nil {
		return credentials.Credentials{}, false, errors.New(storeUnavailable)
	}
	return st.entry.Creds, st.entry.Creds.Complete(), nil
}

// saveCreds stores connect-project credentials into the live session.
func (sh *shared) saveCreds(ctx context.Context, id string, c credentials.Credentials) (live bool, err error) {
	live, err = sh.store.SaveCreds(ctx, id, c)
	if err != nil {
		sh.log.Warn("credentials not stored", "error", err)
		return false, tools.Errorf("%s; the key was not kept, call connect-project again", storeUnavailable)
	}
	return live, nil
}

// dropCreds removes the session's credentials from the store.
func (sh *shared) dropCreds(ctx context.Context, id string) (bool, error) {
	had, err := sh.store.DeleteCreds(ctx, id)
	if err != nil {
		sh.log.Warn("credentials not removed", "error", err)
		return false, tools.Errorf("%s; the project is still connected, call disconnect-project again", storeUnavailable)
	}
	return had, nil
}

// atSessionLimit reports whether every replica together holds max
// sessions.
func (s *Server) atSessionLimit(ctx context.Context, max int) (bool, error) {
	if s.shared == nil {
		return s.sessionCount() >= max, nil
	}
	n, err := s.shared.store.Count(ctx)
	if err != nil {
		s.log.Warn("session store unavailable", "error", err)
		return false, err
	}
	return n >= max, nil
}

// slotLease bounds how long a call slot stays taken in the store when the
// replica running the call dies.
const slotLease = 10 * time.Minute

// acquireShared takes one of the session's call slots, counted in the
// store across replicas, polling while all are busy, up to QueueWait and
// while the call's context lasts.
func (s *Server) acquireShared(ctx context.Context, id string) (func(), string) {
	limit, token := s.cfg.MaxCallsPerSession, randomHex(8)
	st := s.shared.store
	deadline := time.Now().Add(s.cfg.QueueWait)
	pause := 5 * time.Millisecond
	for {
		ok, err := st.AcquireSlot(ctx, id, limit, slotLease, token)
		switch {
		case err != nil:
			s.log.Warn("session store unavailable", "error", err)
			return nil, "The " + storeUnavailable + "; nothing was done."
		case ok:
			// The slot goes back after the call has answered, not
			// before: the answer need not wait for Redis.
			return func() {
				go func() {
					if err := st.ReleaseSlot(context.WithoutCancel(ctx), id, token); err != nil {
						s.log.Warn("call slot not released; it frees itself later", "error", err)
					}
				}()
			}, ""
		}
		if time.Now().Add(pause).After(deadline) {
			return nil, "The call waited " + s.cfg.QueueWait.String() + " for one of this session's tool call slots, all busy; nothing was done. Retry when some calls have finished."
		}
		select {
		case <-ctx.Done():
			return nil, "The call was cancelled while it waited for one of this session's tool call slots; nothing was done."
		case <-time.After(pause):
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// notifySession sends a notification to the session's stream, wherever
// it is held: here, and through the store to the other replicas.
func (s *Server) notifySession(ctx context.Context, id, method string, params map[string]any) error {
	local := s.mcp.SendNotificationToSpecificClient(id, method, params)
	if s.shared == nil {
		return local
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return err
	}
	return s.shared.store.Publish(ctx, sessionstore.Message{Kind: sessionstore.KindNotify, Session: sessionstore.Hash(id), From: s.shared.replica, Method: method, Params: raw})
}

// onMessage acts on a message from another replica for a session held
// here.
func (s *Server) onMessage(m sessionstore.Message) {
	sh := s.shared
	if m.From == sh.replica {
		return
	}
	sh.mu.Lock()
	id, ok := sh.local[m.Session]
	cancelStream := sh.streams[id]
	sh.mu.Unlock()
	switch m.Kind {
	case sessionstore.KindEnd:
		// Requests served here left traces (mcp-go's idle clock) even when
		// the session is not registered here: the sealed id clears them.
		if raw, err := sh.store.OpenFor("", m.Sealed); err == nil && sessionstore.Hash(string(raw)) == m.Session {
			s.endLocally(string(raw))
		} else if ok {
			s.endLocally(id)
		}
		if cancelStream != nil {
			cancelStream()
		}
	case sessionstore.KindNotify:
		if !ok {
			return
		}
		var params map[string]any
		_ = json.Unmarshal(m.Params, &params)
		if err := s.mcp.SendNotificationToSpecificClient(id, m.Method, params); err != nil {
			s.log.Debug("relayed notification not delivered", "error", err)
		}
	case sessionstore.KindRelay:
		s.replay(m)
	}
}

// inStore reports whether the request's session lives in the store (a
// streamable HTTP session, with a store configured).
func (s *Server) inStore(ctx context.Context) bool {
	if s.shared == nil {
		return false
	}
	_, ok := ctx.Value(storedKey{}).(*stored)
	return ok
}

// shareTransport puts the store in front of the streamable HTTP transport
// h (whose guarded handler is handler) and listens to the other replicas
// until the returned shutdown runs.
func (s *Server) shareTransport(h *server.StreamableHTTPServer, handler http.Handler) (http.Handler, func(context.Context) error) {
	s.shared.relay = h
	s.listenToReplicas()
	return s.storeSessions(handler), func(c context.Context) error {
		s.shared.stop()
		return h.Shutdown(c)
	}
}

// listenToReplicas subscribes, once, to the other replicas' messages.
func (s *Server) listenToReplicas() {
	sh := s.shared
	sh.subscribe.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		sh.stop = cancel
		if err := sh.store.Subscribe(ctx, s.onMessage); err != nil {
			s.log.Warn("not listening to the other replicas: sessions ended or notified elsewhere reach this one late", "error", err)
		}
	})
}
