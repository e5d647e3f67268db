package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// ServeStdio speaks MCP on in/out until ctx ends or in closes. One at a
// time per process: mcp-go keeps the stdio session in a package variable,
// so two at once would write each other's notifications.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	st := server.NewStdioServer(s.mcp)
	st.SetErrorLogger(log.New(slogWriter{s.log}, "", 0))
	tw := &tapWriter{w: out, f: &s.flushes, backlog: pipeBacklog(out)}
	st.SetContextFunc(func(ctx context.Context) context.Context {
		ctx, t := withTap(ctx)
		t.drain = tw.drain
		return ctx
	})
	err := st.Listen(ctx, in, tw)
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return fmt.Errorf("stdio transport: %w", err)
}

// HTTPOptions configure the HTTP transports.
type HTTPOptions struct {
	// AllowedOrigins are the browser origins accepted besides loopback
	// ones; "*" accepts any. Requests without Origin are always accepted.
	AllowedOrigins []string
	// SessionIdleTTL ends streamable HTTP sessions idle this long (default 30m).
	SessionIdleTTL time.Duration
	// Loopback is set when listening on a loopback address; it keeps
	// mcp-go's Host header check against DNS rebinding.
	Loopback bool
	// AuthToken, when set, must be presented by every HTTP request as
	// Authorization: Bearer <token>.
	AuthToken string
	// MaxSessions bounds concurrent sessions (default 1000).
	MaxSessions int
	// MaxRequestBytes caps a request body (default 4 MiB).
	MaxRequestBytes int64
	// BaseURL is the public URL clients reach the server at, for the page
	// at / (default: the address each connection arrived on).
	BaseURL string
	// ReadTimeout is how long a client may take to send a request's body
	// once its headers arrived (default 30s); a body still incomplete then
	// is answered 408 and its connection closed.
	ReadTimeout time.Duration
}

func (o HTTPOptions) withDefaults() HTTPOptions {
	if o.SessionIdleTTL <= 0 {
		o.SessionIdleTTL = 30 * time.Minute
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 1000
	}
	if o.MaxRequestBytes <= 0 {
		o.MaxRequestBytes = 4 << 20
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 30 * time.Second
	}
	return o
}

// StreamableHandler serves streamable HTTP at /mcp. The handler has a
// Shutdown(context.Context) error method that ends every session (their
// credentials are forgotten) and stops the idle-session sweeper goroutine;
// Serve calls it once the tool calls have drained.
func (s *Server) StreamableHandler(o HTTPOptions) http.Handler {
	o = o.withDefaults()
	ids := newSessionIDs()
	resolve := func(*http.Request) server.SessionIdManager { return ids }
	idOption := server.WithSessionIdManager(ids)
	if s.shared != nil {
		resolve = storeIDs{s.shared}.ResolveSessionIdManager
		idOption = server.WithSessionIdManagerResolver(storeIDs{s.shared})
	}
	h := server.NewStreamableHTTPServer(s.mcp,
		server.WithEndpointPath("/mcp"),
		idOption,
		server.WithSessionIdleTTL(o.SessionIdleTTL),
		server.WithHTTPContextFunc(s.httpContext),
		server.WithDisableLocalhostProtection(!o.Loopback),
		server.WithStreamableHTTPLogger(s.log),
	)
	handler, shutdown := listeningStreams(resolve, s.inOrder(h)), h.Shutdown
	if s.shared != nil {
		handler, shutdown = s.shareTransport(h, handler)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", handler)
	return streamableHandler{
		Handler: s.withPages(o, "/mcp", s.guard(o, mux, func(r *http.Request) bool {
			return r.Method == http.MethodPost && r.Header.Get("Mcp-Session-Id") == ""
		})),
		shutdown: shutdown,
	}
}

// streamableHandler is the guarded streamable HTTP handler with the
// transport's shutdown.
type streamableHandler struct {
	http.Handler
	shutdown func(context.Context) error
}

// Shutdown ends every session and stops the idle-session sweeper.
func (h streamableHandler) Shutdown(ctx context.Context) error { return h.shutdown(ctx) }

// SSEHandler serves the SSE transport: GET /sse and POST /message.
func (s *Server) SSEHandler(o HTTPOptions, baseURL string) (http.Handler, *server.SSEServer) {
	o = o.withDefaults()
	sse := server.NewSSEServer(s.mcp,
		server.WithBaseURL(baseURL),
		server.WithSSEContextFunc(s.httpContext),
		server.WithSSEDisableLocalhostProtection(!o.Loopback),
		server.WithKeepAliveInterval(25*time.Second),
	)
	mux := http.NewServeMux()
	mux.Handle("/sse", s.inOrder(sse.SSEHandler()))
	messages := s.inOrder(sse.MessageHandler())
	if s.shared != nil {
		s.shared.sseRelay = messages
		s.listenToReplicas()
		messages = s.sseMessages(messages)
	}
	mux.Handle("/message", messages)
	return s.withPages(o, "/sse", s.guard(o, mux, func(r *http.Request) bool {
		return r.Method == http.MethodGet && r.URL.Path == "/sse"
	})), sse
}

// checkOrigin answers 403 to a browser request from an origin that is not
// loopback or allowed (the MCP spec requires servers to validate Origin).
func checkOrigin(allowed []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && !originAllowed(origin, allowed) {
			http.Error(w, "origin not allowed; start the server with --allowed-origins to accept it", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func originAllowed(origin string, allowed []string) bool {
	if slices.Contains(allowed, "*") || slices.Contains(allowed, origin) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return isLoopbackHost(u.Hostname())
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IsLoopbackAddr reports whether a listen address binds only loopback.
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	return isLoopbackHost(host)
}

// ServeOptions configure the HTTP server that carries a transport.
type ServeOptions struct {
	// Drain is how long the tool calls running when shutdown begins may go
	// on (default 10s); calls still running then are logged and abandoned.
	Drain time.Duration
	// IdleTimeout closes a keep-alive connection that has been idle this
	// long between requests (default 60s).
	IdleTimeout time.Duration
	// MaxConnsPerIP caps the open connections of one client address (an
	// IPv4 address or an IPv6 /64); 0 sets no cap.
	MaxConnsPerIP int
	// EndSessions end the transport's sessions and close their streams
	// (SSEServer.Shutdown). They run once the calls have drained, since
	// SSE delivers results on those streams. A handler's own
	// Shutdown(context.Context) error method runs then too.
	EndSessions []func(context.Context) error
}

func (o ServeOptions) withDefaults() ServeOptions {
	if o.Drain <= 0 {
		o.Drain = 10 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 60 * time.Second
	}
	return o
}

// Serve runs handler, one of this server's transports, on ln until ctx
// ends, then shuts down: it stops accepting, lets the tool calls in flight
// finish for up to o.Drain, logs those it abandons, ends the sessions and
// closes every connection.
func (s *Server) Serve(ctx context.Context, ln net.Listener, handler http.Handler, o ServeOptions) error {
	return serveHTTP(ctx, ln, handler, o, &s.calls, s.log)
}

// ServeHTTP runs handler on ln until ctx ends, then shuts down gracefully,
// giving in-flight requests grace to finish. Server.Serve also waits for
// the tool calls, which a transport may answer on another connection.
func ServeHTTP(ctx context.Context, ln net.Listener, handler http.Handler, grace time.Duration, onShutdown ...func(context.Context) error) error {
	return serveHTTP(ctx, ln, handler, ServeOptions{Drain: grace, EndSessions: onShutdown}, nil, slog.New(slog.DiscardHandler))
}

func serveHTTP(ctx context.Context, ln net.Listener, handler http.Handler, o ServeOptions, calls *callTracker, log *slog.Logger) error {
	o = o.withDefaults()
	if o.MaxConnsPerIP > 0 {
		ln = limitConnsPerIP(ln, o.MaxConnsPerIP, log)
	}
	// No ReadTimeout: it would stay the connection's read deadline while
	// the handler runs, and net/http cancels the request's context when it
	// passes, cutting long tool calls and streams. The guard bounds the
	// body instead (HTTPOptions.ReadTimeout).
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}

	// Stop accepting and close idle connections; requests in flight go on.
	dctx, cancel := context.WithTimeout(context.Background(), o.Drain)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(dctx) }()

	// Let the tool calls finish. The sessions' streams stay open meanwhile:
	// over SSE, that is where the results go.
	if calls != nil {
		if n := calls.count(); n > 0 {
			log.Info("shutting down: waiting for tool calls to finish", "running", n, "drain", o.Drain.String())
			left := calls.wait(dctx)
			logAbandoned(log, left)
			if len(left) == 0 {
				time.Sleep(200 * time.Millisecond) // the last results reach their streams
			}
		}
	}

	// End the sessions (their credentials are forgotten); their streams
	// close, so the connections go idle and Shutdown completes.
	ectx, ecancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer ecancel()
	for _, f := range o.EndSessions {
		_ = f(ectx)
	}
	if h, ok := handler.(interface{ Shutdown(context.Context) error }); ok {
		_ = h.Shutdown(ectx)
	}
	err := <-shut
	_ = srv.Close() // whatever is left past the drain
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

// slogWriter adapts mcp-go's *log.Logger output to slog.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Warn(strings.TrimSpace(string(p)), "component", "mcp-go")
	return len(p), nil
}
