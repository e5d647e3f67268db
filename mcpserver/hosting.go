package mcpserver

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// guard puts the hosting controls in front of an HTTP transport: Origin
// check, auth token, request body cap, and the session bound (opensSession
// tells which requests would create a session).
func (s *Server) guard(o HTTPOptions, next http.Handler, opensSession func(*http.Request) bool) http.Handler {
	return checkOrigin(o.AllowedOrigins, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.AuthToken != "" && !validToken(r, o.AuthToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="insforge-mcp"`)
			http.Error(w, "missing or wrong auth token: send Authorization: Bearer <token> (the server's --auth-token)", http.StatusUnauthorized)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, o.MaxRequestBytes)
		}
		if opensSession(r) && s.sessionCount() >= o.MaxSessions {
			w.Header().Set("Retry-After", "30")
			http.Error(w, "this server is at its session limit; retry later", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	}))
}

func validToken(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}
