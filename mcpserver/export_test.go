package mcpserver

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/clientlog"
)

// Test hooks for the external test package.

type SessionIDs = sessionIDs

func NewSessionIDsForTest() *SessionIDs { return newSessionIDs() }

func LiveSessionIDs(m *SessionIDs) int { return m.count() }

// StoredCredentials counts the sessions holding connect-project credentials.
func StoredCredentials(s *Server) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions)
}

// logSession is a session that asked for every level and keeps what it
// is sent.
type logSession struct{ ch chan mcp.JSONRPCNotification }

func (l *logSession) Initialize()                                         {}
func (l *logSession) Initialized() bool                                   { return true }
func (l *logSession) NotificationChannel() chan<- mcp.JSONRPCNotification { return l.ch }
func (l *logSession) SessionID() string                                   { return "log-test" }

// LogThrough sends msg at level error through the client log of a request
// made with key, as any message would go, and returns the params of the
// notification the session received.
func LogThrough(s *Server, key, msg string) map[string]any {
	sess := &logSession{ch: make(chan mcp.JSONRPCNotification, 1)}
	s.mu.Lock()
	s.live[sess.SessionID()] = &callSlots{}
	s.mu.Unlock()
	s.setLogLevel(s.mcp.WithContext(context.Background(), sess), mcp.LoggingLevelDebug)
	ctx := s.withClientLog(s.mcp.WithContext(context.Background(), sess), key)
	clientlog.Logf(ctx, clientlog.Error, "%s", msg)
	return (<-sess.ch).Params.AdditionalFields
}

// AddNotifyingTool registers a tool that sends n notifications of method
// through the server's notification path, then answers.
func AddNotifyingTool(s *Server, name, method string, n int) {
	s.mcp.AddTool(mcp.NewTool(name), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		for i := range n {
			_ = s.notify(ctx, method, map[string]any{"level": "info", "data": fmt.Sprintf("%v-%d", req.Params.Arguments, i)})
		}
		return mcp.NewToolResultText("done"), nil
	})
}

var PipeBacklog = pipeBacklog

// NotifySession sends a notification to a session's stream, wherever it
// is held.
func NotifySession(s *Server, ctx context.Context, id, method string) error {
	return s.notifySession(ctx, id, method, nil)
}
