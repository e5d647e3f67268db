package mcpserver

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/insforge-mcp/insforge-mcp/clientlog"
	"github.com/insforge-mcp/insforge-mcp/credentials"
)

// loggerName is the logger the server's notifications/message name.
const loggerName = "insforge-mcp"

// sessionLog is one session's logging state: the least severe level its
// client asked for with logging/setLevel. Nothing is sent before it asks.
// It is all the logging state a session has, kept apart from the rest so
// that it can move to a shared store with the session.
type sessionLog struct {
	level mcp.LoggingLevel
}

// setLogLevel records the level a session's client set (mcp-go has
// validated it). A session that has ended keeps nothing.
func (s *Server) setLogLevel(ctx context.Context, level mcp.LoggingLevel) {
	id := sessionID(ctx)
	if id == "" {
		return
	}
	s.mu.Lock()
	if _, live := s.live[id]; live {
		if s.logs == nil {
			s.logs = map[string]sessionLog{}
		}
		s.logs[id] = sessionLog{level: level}
	}
	s.mu.Unlock()
}

// logLevel is the least severe level this request's client wants, if it
// wants messages at all: on protocol 2026-07-28 the request's own _meta
// says, earlier the session's logging/setLevel does.
func (s *Server) logLevel(ctx context.Context) (mcp.LoggingLevel, bool) {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return info.LogLevel, info.LogLevel != ""
	}
	id := sessionID(ctx)
	if id == "" {
		return "", false
	}
	if st, ok := ctx.Value(storedKey{}).(*stored); ok && s.shared != nil { // set on any replica
		return mcp.LoggingLevel(st.entry.LogLevel), st.entry.LogLevel != ""
	}
	s.mu.RLock()
	l, ok := s.logs[id]
	s.mu.RUnlock()
	return l.level, ok
}

// withClientLog returns ctx with a sink that sends the request's messages
// to its client, without key (the request's own, and anything key-like).
func (s *Server) withClientLog(ctx context.Context, key string) context.Context {
	return clientlog.With(ctx, clientSink{s: s, ctx: ctx, key: key})
}

// clientSink sends one request's messages as notifications/message,
// through the path progress notifications take (when that path changes,
// this send follows it).
type clientSink struct {
	s   *Server
	ctx context.Context
	key string
}

func (k clientSink) Enabled(l clientlog.Level) bool {
	min, ok := k.s.logLevel(k.ctx)
	return ok && mcp.LoggingLevel(l.String()).ShouldSendTo(min)
}

func (k clientSink) Log(l clientlog.Level, msg string) {
	params := map[string]any{
		"level":  l.String(),
		"logger": loggerName,
		"data":   credentials.RedactKeys(redact(msg, k.key), k.key),
	}
	if err := k.s.notify(k.ctx, string(mcp.MethodNotificationMessage), params); err != nil {
		k.s.log.Debug("log notification not delivered", "error", err)
	}
}
