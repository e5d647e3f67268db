// Package clientlog carries messages meant for the MCP client's log
// (notifications/message) from where they arise, such as the InsForge
// client's retries or a deployment's build phases, to the server, through
// the request's context. The code that has something to say stays plain
// Go; the server decides whether the client asked for that level and how
// the message reaches it, and removes any key from it on the way.
package clientlog

import (
	"context"
	"fmt"
)

// Level is a message's severity, the MCP names of the lower half of the
// syslog scale.
type Level int

// Levels, least severe first.
const (
	Debug Level = iota
	Info
	Notice
	Warning
	Error
)

// String is the level's MCP name.
func (l Level) String() string {
	switch l {
	case Debug:
		return "debug"
	case Info:
		return "info"
	case Notice:
		return "notice"
	case Warning:
		return "warning"
	}
	return "error"
}

// Sink takes the messages of one request.
type Sink interface {
	// Enabled reports whether the client wants messages of the level.
	Enabled(Level) bool
	// Log delivers one message without blocking for long.
	Log(Level, string)
}

type sinkKey struct{}

// With returns a context whose messages go to sink.
func With(ctx context.Context, sink Sink) context.Context {
	return context.WithValue(ctx, sinkKey{}, sink)
}

// Logf formats and sends a message when the context has a sink that wants
// its level, and does nothing otherwise (formatting included). Messages
// name requests by method and path, never by their credentials.
func Logf(ctx context.Context, level Level, format string, args ...any) {
	sink, ok := ctx.Value(sinkKey{}).(Sink)
	if !ok || !sink.Enabled(level) {
		return
	}
	sink.Log(level, fmt.Sprintf(format, args...))
}
