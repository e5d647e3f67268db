package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/insforge-mcp/insforge-mcp/sessionstore"
)

// storeIDs resolves mcp-go's session id manager per request, so that the
// manager reads the entry storeSessions loaded for the request.
type storeIDs struct{ sh *shared }

func (r storeIDs) ResolveSessionIdManager(req *http.Request) server.SessionIdManager {
	if req == nil || req.Context().Value(endingKey{}) != nil {
		return localIDs{r.sh} // the idle sweeper and shutdown: this process only
	}
	return requestIDs{sh: r.sh, ctx: req.Context()}
}

// requestIDs is the session id manager of one request.
type requestIDs struct {
	sh  *shared
	ctx context.Context
}

// Generate issues an id and records the session in the store.
func (m requestIDs) Generate() string {
	id := newSessionID()
	if err := m.sh.store.Create(m.ctx, id); err != nil {
		m.sh.log.Warn("session not recorded in the store; its next request will be refused", "error", err)
	}
	return id
}

// Validate answers from the store: an id it does not hold is terminated.
// When the store cannot be reached the session is taken as live: its tool
// calls then answer that the store is unavailable.
func (m requestIDs) Validate(id string) (bool, error) {
	if err := checkSessionID(id); err != nil {
		return false, err
	}
	st := m.sh.load(m.ctx, id)
	return st.err == nil && !st.found, nil
}

// Terminate (DELETE) ends the session everywhere.
func (m requestIDs) Terminate(id string) (bool, error) {
	if err := m.sh.store.Delete(m.ctx, id); err != nil {
		return false, err
	}
	return false, nil
}

// localIDs is the manager outside requests: ending a session here (idle
// here, or this process shutting down) leaves it in the store for the
// other replicas, and for this one after a restart.
type localIDs struct{ sh *shared }

func (m localIDs) Generate() string { return newSessionID() }

func (m localIDs) Validate(id string) (bool, error) {
	return requestIDs{sh: m.sh, ctx: context.Background()}.Validate(id)
}

func (m localIDs) Terminate(string) (bool, error) { return false, nil }

// storeSessions loads the entry of the session a request names, once,
// for the steps after it. A GET stream held here is ended when another
// replica ends the session. A client's answer to a server request that
// another replica sent goes to that replica.
func (s *Server) storeSessions(next http.Handler) http.Handler {
	sh := s.shared
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(server.HeaderKeySessionID)
		if id == "" || checkSessionID(id) != nil || mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion)) {
			next.ServeHTTP(w, r)
			return
		}
		st := sh.load(r.Context(), id)
		if st.err != nil && r.Method != http.MethodPost {
			w.Header().Set("Retry-After", "2")
			http.Error(w, storeUnavailable, http.StatusServiceUnavailable)
			return
		}
		ctx := context.WithValue(r.Context(), storedKey{}, st)
		if r.Method == http.MethodGet && st.found {
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			sh.mu.Lock()
			sh.streams[id] = cancel
			sh.mu.Unlock()
			defer func() {
				sh.mu.Lock()
				delete(sh.streams, id)
				sh.mu.Unlock()
				cancel()
			}()
		}
		r = r.WithContext(ctx)
		if r.Method == http.MethodPost && st.found {
			if body, ok := clientResponse(r); ok {
				s.answerOrRelay(w, r, id, body, next)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// clientResponse returns the body of a POST that carries a JSON-RPC
// response (the client answering an elicitation or another server request).
func clientResponse(r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil, false
	}
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &m) != nil || m.Method != "" || m.ID == nil || (m.Result == nil && m.Error == nil) {
		return nil, false
	}
	return body, true
}

// relayed is a client's response sent on to the replica waiting for it,
// or a message posted to the SSE transport, sent on to the replica that
// holds the session's stream.
type relayed struct {
	ID       string      `json:"id"`
	Protocol string      `json:"pv,omitempty"`
	Body     []byte      `json:"b"`
	SSE      bool        `json:"sse,omitempty"`
	Query    string      `json:"q,omitempty"`
	Header   http.Header `json:"h,omitempty"`
}

// publishRelay sends rl to the other replicas.
func (s *Server) publishRelay(ctx context.Context, rl relayed) error {
	data, err := json.Marshal(rl)
	if err != nil {
		return err
	}
	return s.shared.store.Publish(ctx, sessionstore.Message{Kind: sessionstore.KindRelay, Session: sessionstore.Hash(rl.ID), From: s.shared.replica, Sealed: s.shared.store.SealFor("", data)})
}

// answerOrRelay hands a client's response to mcp-go; when no request of
// this process waits for it, it goes to the other replicas, one of which
// sent the request.
func (s *Server) answerOrRelay(w http.ResponseWriter, r *http.Request, id string, body []byte, next http.Handler) {
	rec := &recorder{header: http.Header{}, code: http.StatusOK}
	next.ServeHTTP(rec, r)
	if rec.code != http.StatusNotFound && rec.code != http.StatusBadRequest {
		rec.copyTo(w)
		return
	}
	if err := s.publishRelay(r.Context(), relayed{ID: id, Protocol: r.Header.Get(mcp.HeaderProtocolVersion), Body: body}); err != nil {
		http.Error(w, storeUnavailable, http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

type endingKey struct{}

// endLocally forgets here a session another replica ended: a DELETE that
// only this process's transport sees (its id manager leaves the store
// alone), so that mcp-go drops what it kept of the session.
func (s *Server) endLocally(id string) {
	if s.shared.relay == nil {
		return
	}
	req, err := http.NewRequestWithContext(context.WithValue(context.Background(), endingKey{}, true), http.MethodDelete, "/mcp", nil)
	if err != nil {
		return
	}
	req.Header.Set(server.HeaderKeySessionID, id)
	s.shared.relay.ServeHTTP(&recorder{header: http.Header{}}, req)
}

// replay gives a relayed response to this process's transport, which
// takes it if one of its requests waits for it.
func (s *Server) replay(m sessionstore.Message) {
	sh := s.shared
	data, err := sh.store.OpenFor("", m.Sealed)
	var rl relayed
	if err != nil || json.Unmarshal(data, &rl) != nil || sessionstore.Hash(rl.ID) != m.Session {
		s.log.Warn("relayed message refused: it does not decrypt")
		return
	}
	if rl.SSE {
		s.replaySSE(rl)
		return
	}
	if sh.relay == nil {
		return
	}
	req, err := http.NewRequest(http.MethodPost, "/mcp", bytes.NewReader(rl.Body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(server.HeaderKeySessionID, rl.ID)
	if rl.Protocol != "" {
		req.Header.Set(mcp.HeaderProtocolVersion, rl.Protocol)
	}
	sh.relay.ServeHTTP(&recorder{header: http.Header{}}, req)
}

// recorder keeps a response to look at before it is sent.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

func (r *recorder) copyTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.code)
	_, _ = w.Write(r.body.Bytes())
}

// checkSessionID accepts only ids of the form this server issues.
func checkSessionID(id string) error {
	rest, ok := strings.CutPrefix(id, sessionIDPrefix)
	if !ok || len(rest) != 32 || strings.Trim(rest, "0123456789abcdef") != "" {
		return errInvalidSessionID
	}
	return nil
}

// sseMessages lets a message for an SSE session reach any replica: one
// posted here for a session whose stream another replica holds goes to
// that replica, which answers on the stream; this one answers 202, as
// the transport does.
func (s *Server) sseMessages(next http.Handler) http.Handler {
	sh := s.shared
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("sessionId")
		if r.Method != http.MethodPost || id == "" {
			next.ServeHTTP(w, r)
			return
		}
		sh.mu.Lock()
		_, local := sh.local[sessionstore.Hash(id)]
		sh.mu.Unlock()
		st := sh.load(r.Context(), id) // refreshes the entry's TTL
		switch {
		case local:
			next.ServeHTTP(w, r)
		case st.err != nil:
			w.Header().Set("Retry-After", "2")
			http.Error(w, storeUnavailable, http.StatusServiceUnavailable)
		case !st.found:
			next.ServeHTTP(w, r) // unknown: the transport refuses it
		default:
			body, _ := io.ReadAll(r.Body)
			h := http.Header{}
			for _, k := range []string{"Content-Type", "Authorization", HeaderAPIKey, HeaderProjectURL} {
				if v := r.Header.Values(k); len(v) > 0 {
					h[k] = v
				}
			}
			if err := s.publishRelay(r.Context(), relayed{ID: id, SSE: true, Query: r.URL.RawQuery, Header: h, Body: body}); err != nil {
				http.Error(w, storeUnavailable, http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusAccepted)
		}
	})
}

// replaySSE posts a relayed SSE message to this replica's transport, if
// it holds the session's stream.
func (s *Server) replaySSE(rl relayed) {
	sh := s.shared
	sh.mu.Lock()
	_, local := sh.local[sessionstore.Hash(rl.ID)]
	sh.mu.Unlock()
	if !local || sh.sseRelay == nil {
		return
	}
	req, err := http.NewRequest(http.MethodPost, "/message?"+rl.Query, bytes.NewReader(rl.Body))
	if err != nil {
		return
	}
	req.Header = rl.Header
	sh.sseRelay.ServeHTTP(&recorder{header: http.Header{}}, req)
}
