package mcpserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"

	"github.com/mark3labs/mcp-go/server"

	"github.com/insforge-mcp/insforge-mcp/clientlog"
	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// Header names for per-request credentials on the HTTP transports.
const (
	HeaderProjectURL = "X-InsForge-Project-URL"
	HeaderAPIKey     = "X-InsForge-API-Key"
)

type requestCredsKey struct{}

// requestCreds are credentials presented on one HTTP request.
type requestCreds struct {
	creds credentials.Credentials
	err   error // a header was present but unusable
	http  bool
	// client is the request's client address (clientKey): what bounds
	// the calls of requests without a session.
	client string
}

// httpContext reads per-request credentials from HTTP headers: the key from
// X-InsForge-API-Key or Authorization: Bearer ik_…, the URL from
// X-InsForge-Project-URL or else the configured project URL.
func (s *Server) httpContext(ctx context.Context, r *http.Request) context.Context {
	if s.shared != nil {
		s.restoreSession(ctx)
	}
	rc := requestCreds{http: true, client: remoteKey(r.RemoteAddr)}
	key := strings.TrimSpace(r.Header.Get(HeaderAPIKey))
	if key == "" {
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && strings.HasPrefix(strings.TrimSpace(bearer), "ik_") {
			key = strings.TrimSpace(bearer)
		}
	}
	rawURL := strings.TrimSpace(r.Header.Get(HeaderProjectURL))
	if key != "" || rawURL != "" {
		if rawURL == "" {
			rawURL = s.cfg.Configured.ProjectURL
		}
		switch u, err := credentials.NormalizeURL(rawURL); {
		case key == "":
			rc.err = fmt.Errorf("the request has %s but no API key; send Authorization: Bearer <ik_ key> too", HeaderProjectURL)
		case rawURL == "":
			rc.err = fmt.Errorf("the request has an API key but no project URL; send the %s header too", HeaderProjectURL)
		case err != nil:
			rc.err = fmt.Errorf("the %s header is unusable: %v", HeaderProjectURL, err)
		case s.checkHost(u) != nil:
			rc.err = s.checkHost(u)
		default:
			rc.creds = credentials.Credentials{ProjectURL: u, APIKey: key}
		}
	}
	return context.WithValue(ctx, requestCredsKey{}, rc)
}

// remoteKey is clientKey of a request's RemoteAddr ("ip:port").
func remoteKey(remote string) string {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return clientKey(net.TCPAddrFromAddrPort(ap))
	}
	return remote
}

func isHTTP(ctx context.Context) bool {
	rc, _ := ctx.Value(requestCredsKey{}).(requestCreds)
	return rc.http
}

func sessionID(ctx context.Context) string {
	if cs := server.ClientSessionFromContext(ctx); cs != nil {
		return cs.SessionID()
	}
	return ""
}

// credentials resolves the project a request acts on: credentials sent with
// the request, then the session's own (connect-project), then the server's
// configured ones. An empty session id never has session credentials: on
// protocol versions without sessions every client shares that id.
func (s *Server) credentials(ctx context.Context) (credentials.Credentials, error) {
	if rc, ok := ctx.Value(requestCredsKey{}).(requestCreds); ok {
		if rc.err != nil {
			return credentials.Credentials{}, rc.err
		}
		if rc.creds.Complete() {
			return rc.creds, nil
		}
	}
	if id := sessionID(ctx); id != "" {
		c, ok, err := s.sessionCreds(ctx, id)
		if err != nil {
			return credentials.Credentials{}, err
		}
		if ok {
			return c, nil
		}
	}
	if s.configuredInUse() {
		return s.cfg.Configured, nil
	}
	return credentials.Credentials{}, nil
}

// sessionCreds are the session's own credentials (connect-project), from
// the store when there is one.
func (s *Server) sessionCreds(ctx context.Context, id string) (credentials.Credentials, bool, error) {
	if s.inStore(ctx) {
		return s.shared.sessionCreds(ctx, id)
	}
	s.mu.RLock()
	c, ok := s.sessions[id]
	s.mu.RUnlock()
	return c, ok, nil
}

func (s *Server) forget(id string) {
	if id == "" {
		return
	}
	s.mu.Lock()
	delete(s.sessions, id)
	delete(s.live, id)
	delete(s.logs, id)
	s.mu.Unlock()
}

// checkHost applies the operator's project host policy, if any, to a URL
// a client chose (the configured project URL is always allowed).
func (s *Server) checkHost(projectURL string) error {
	if s.cfg.ProjectHosts == nil || projectURL == s.cfg.Configured.ProjectURL {
		return nil
	}
	return s.cfg.ProjectHosts.Check(projectURL)
}

// keep makes c the live session's credentials, in the store when there is
// one; live is false when the session has ended.
func (g *gate) keep(id string, c credentials.Credentials) (live bool, err error) {
	s := g.s
	if s.inStore(g.ctx) {
		return s.shared.saveCreds(g.ctx, id, c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, live = s.live[id]; live {
		s.sessions[id] = c
	}
	return live, nil
}

// gate implements tools.Session for one request.
type gate struct {
	s   *Server
	ctx context.Context
}

func (g *gate) Connect(ctx context.Context, c credentials.Credentials, remember bool) (tools.ConnectOutcome, error) {
	s := g.s
	if err := s.checkHost(c.ProjectURL); err != nil {
		return tools.ConnectOutcome{}, err
	}
	if err := credentials.Validate(ctx, s.cfg.Transport, c); err != nil {
		return tools.ConnectOutcome{}, err
	}
	return g.adopt(c, remember)
}

func (g *gate) ConnectInteractive(ctx context.Context) (tools.ConnectOutcome, error) {
	c, err := g.connectInteractive(ctx)
	if err != nil {
		return tools.ConnectOutcome{}, err
	}
	return g.adopt(c, false)
}

// adopt makes validated credentials this session's project.
func (g *gate) adopt(c credentials.Credentials, remember bool) (tools.ConnectOutcome, error) {
	s := g.s
	out := tools.ConnectOutcome{ProjectURL: c.ProjectURL, Unlocked: len(s.cfg.Surface.Served)}
	id := sessionID(g.ctx)
	if id != "" {
		// The session may have ended (DELETE, a closed SSE stream, the idle
		// sweeper) while the key was being checked: its cleanup (forget)
		// has then run already, and a key stored now would stay for the
		// life of the process. Store only into a live session, under the
		// lock forget takes.
		live, err := g.keep(id, c)
		if err != nil {
			return tools.ConnectOutcome{}, err
		}
		if !live {
			s.log.Info("project not connected: the session ended during connect-project")
			return tools.ConnectOutcome{}, tools.Errorf("This session ended while connect-project was checking the key, so the key was not kept. Start a new session and connect again.")
		}
		out.Persistent = true
	}
	if remember {
		switch {
		case !s.cfg.AllowRemember || s.cfg.CredentialsFile == "":
			out.NotSaved = "remember=true is only available when the server runs locally over stdio with a credentials file"
		default:
			if err := credentials.Save(s.cfg.CredentialsFile, c); err != nil {
				out.NotSaved = err.Error()
			} else {
				out.Saved = s.cfg.CredentialsFile
			}
		}
	}
	s.log.Info("project connected", "projectUrl", c.ProjectURL, "session", id != "")
	clientlog.Logf(g.ctx, clientlog.Info, "Connected to the InsForge project at %s.", c.ProjectURL)
	if out.Saved != "" {
		clientlog.Logf(g.ctx, clientlog.Info, "Saved the project URL and key to %s.", out.Saved)
	}
	return out, nil
}

func (g *gate) Disconnect(ctx context.Context, forget bool) (tools.DisconnectOutcome, error) {
	s := g.s
	var out tools.DisconnectOutcome
	if id := sessionID(g.ctx); id != "" && s.inStore(g.ctx) {
		had, err := s.shared.dropCreds(g.ctx, id)
		if err != nil {
			return out, err
		}
		out.WasConnected = had
	} else if id != "" {
		s.mu.Lock()
		was, connected := s.sessions[id]
		delete(s.sessions, id)
		s.mu.Unlock()
		out.WasConnected = connected
		if connected {
			clientlog.Logf(g.ctx, clientlog.Info, "Disconnected this session from the InsForge project at %s.", was.ProjectURL)
		}
	}
	if forget {
		if !s.cfg.AllowRemember || s.cfg.CredentialsFile == "" {
			return out, fmt.Errorf("forget=true is only available when the server runs locally over stdio")
		}
		if err := credentials.Delete(s.cfg.CredentialsFile); err != nil {
			return out, err
		}
		out.Deleted = s.cfg.CredentialsFile
	} else if s.cfg.AllowRemember && s.cfg.CredentialsFile != "" {
		if _, err := os.Stat(s.cfg.CredentialsFile); err == nil {
			out.Saved = s.cfg.CredentialsFile
		}
	}
	out.StillConfigured = s.configuredInUse()
	return out, nil
}
