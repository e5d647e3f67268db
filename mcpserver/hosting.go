package mcpserver

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// guard puts the hosting controls in front of an HTTP transport: Origin
// check, auth token, request body cap and deadline, and the session bound
// (opensSession tells which requests would create a session).
func (s *Server) guard(o HTTPOptions, next http.Handler, opensSession func(*http.Request) bool) http.Handler {
	return bodyDeadline(o, checkOrigin(o.AllowedOrigins, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.AuthToken != "" && !validToken(r, o.AuthToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="insforge-mcp"`)
			http.Error(w, "missing or wrong auth token: send Authorization: Bearer <token> (the server's --auth-token)", http.StatusUnauthorized)
			return
		}
		if !readBody(w, r, o) {
			return
		}
		if opensSession(r) {
			full, err := s.atSessionLimit(r.Context(), o.MaxSessions)
			if err != nil {
				w.Header().Set("Retry-After", "2")
				http.Error(w, storeUnavailable, http.StatusServiceUnavailable)
				return
			}
			if full {
				w.Header().Set("Retry-After", "30")
				http.Error(w, "this server is at its session limit; retry later", http.StatusServiceUnavailable)
				return
			}
		}
		next.ServeHTTP(w, r)
	})))
}

// bodyDeadline gives a request that has a body o.ReadTimeout to send it,
// from the moment its headers are read. It is set before anything else
// runs, so that a request refused early (bad origin, no token) cannot hold
// its connection either: net/http reads what is left of a small body after
// the handler, and without a deadline it would wait for it forever.
func bodyDeadline(o HTTPOptions, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(o.ReadTimeout))
		}
		next.ServeHTTP(w, r)
	})
}

// readBody reads the whole body, within the deadline bodyDeadline set and
// o.MaxRequestBytes, then lifts the deadline: what follows (a tool call, a
// stream) may take as long as it needs. It answers the request itself and
// returns false when the body is too large, too slow or broken.
func readBody(w http.ResponseWriter, r *http.Request, o HTTPOptions) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, o.MaxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &tooBig):
			http.Error(w, fmt.Sprintf("request body over %d bytes, this server's limit (--max-request-bytes)", o.MaxRequestBytes), http.StatusRequestEntityTooLarge)
		case errors.As(err, &ne) && ne.Timeout():
			w.Header().Set("Connection", "close")
			http.Error(w, fmt.Sprintf("the request body did not arrive within %s (--read-timeout)", o.ReadTimeout), http.StatusRequestTimeout)
		default:
			w.Header().Set("Connection", "close")
			http.Error(w, "could not read the request body", http.StatusBadRequest)
		}
		return false
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	r.Body = io.NopCloser(bytes.NewReader(body))
	return true
}

// listeningStreams admits a streamable HTTP GET (the stream on which the
// server sends a session its requests and notifications) only for a live
// session, one stream per session. mcp-go would otherwise open a stream,
// and register a session that no initialize created, for any GET: without
// an id, or with an id it has never issued. Such streams escaped
// --max-sessions, so that anyone could hold thousands of them.
// Protocol 2026-07-28 requests pass through: mcp-go refuses their GET.
func listeningStreams(resolve func(*http.Request) server.SessionIdManager, next http.Handler) http.Handler {
	var mu sync.Mutex
	open := map[string]bool{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion)) {
			next.ServeHTTP(w, r)
			return
		}
		id := r.Header.Get("Mcp-Session-Id")
		if id == "" {
			w.Header().Set("Allow", "POST, DELETE")
			http.Error(w, "GET /mcp without a session: this server opens a stream only for an initialized session; send the Mcp-Session-Id header that initialize returned", http.StatusMethodNotAllowed)
			return
		}
		if terminated, err := resolve(r).Validate(id); err != nil || terminated {
			http.Error(w, "session not found or ended: initialize a new session", http.StatusNotFound)
			return
		}
		mu.Lock()
		if open[id] {
			mu.Unlock()
			http.Error(w, "this session already has its stream open; a session gets one", http.StatusConflict)
			return
		}
		open[id] = true
		mu.Unlock()
		defer func() {
			mu.Lock()
			delete(open, id)
			mu.Unlock()
		}()
		next.ServeHTTP(w, r)
	})
}

func validToken(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}
