package mcpserver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// Notifications in order: the MCP spec allows a request's progress only
// while the request is in progress, so every notification a request sends
// must reach the wire before its response. mcp-go queues notifications on
// the session's channel and writes them from another goroutine (stdio, SSE)
// while it writes responses directly, so the last progress of a call could
// follow its result; over streamable HTTP it could be dropped. Before the
// response of a request that sent notifications (through notify, the one
// path for them) leaves, the server therefore sends a marker through the same
// channel and waits until the transport's writer, wrapped here, meets it:
// every notification queued before it has then been written. The marker
// itself is never written.

// flushMethod names the marker notification; it never reaches a client.
const flushMethod = "notifications/insforge-mcp/flushed"

// flushWait bounds the wait for a marker (a stream that closed, a client
// that stopped reading): the response goes out then anyway.
const flushWait = 2 * time.Second

// flushPrefix starts a marker as the transports encode it (after the SSE
// "data: " on the HTTP transports).
var flushPrefix = []byte(`{"jsonrpc":"2.0","method":"` + flushMethod + `","params":{"n":`)

// wireTap is one request's view of the wire, in its context.
type wireTap struct {
	// sent: the request sent a notification through Server.notify.
	sent atomic.Bool
	// streamed: the request's own HTTP response became an event stream
	// (streamable HTTP), so a notification went out on it.
	streamed atomic.Bool
	// drain, when set (stdio), runs once the notifications are written.
	drain func(context.Context)
}

type wireTapKey struct{}

func withTap(ctx context.Context) (context.Context, *wireTap) {
	t := &wireTap{}
	return context.WithValue(ctx, wireTapKey{}, t), t
}

func tapOf(ctx context.Context) *wireTap {
	t, _ := ctx.Value(wireTapKey{}).(*wireTap)
	return t
}

// flushes are the markers in flight, by number.
type flushes struct {
	mu      sync.Mutex
	next    uint64
	waiting map[uint64]chan struct{}
}

func (f *flushes) open() (uint64, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.waiting == nil {
		f.waiting = map[uint64]chan struct{}{}
	}
	f.next++
	ch := make(chan struct{})
	f.waiting[f.next] = ch
	return f.next, ch
}

func (f *flushes) close(n uint64) {
	f.mu.Lock()
	delete(f.waiting, n)
	f.mu.Unlock()
}

// consume reports whether p, one write of a transport, is a marker, and
// wakes the request waiting for it. Only a write that starts with the
// marker counts: a response starts with its id, and a marker's text inside
// any other message is escaped in a string or is not at its start.
func (f *flushes) consume(p []byte) bool {
	rest := bytes.TrimPrefix(p, []byte("event: message\ndata: "))
	rest, ok := bytes.CutPrefix(rest, flushPrefix)
	if !ok {
		return false
	}
	end := bytes.IndexByte(rest, '}')
	if end < 0 {
		return false
	}
	n, err := strconv.ParseUint(string(rest[:end]), 10, 64)
	if err != nil {
		return false
	}
	f.mu.Lock()
	if ch, ok := f.waiting[n]; ok {
		close(ch)
		delete(f.waiting, n)
	}
	f.mu.Unlock()
	return true
}

// notify sends a notification to the client of this request. Every
// notification the server sends while serving a request goes through
// here, so that it reaches the client before the response.
func (s *Server) notify(ctx context.Context, method string, params map[string]any) error {
	if t := tapOf(ctx); t != nil {
		t.sent.Store(true)
	}
	return s.mcp.SendNotificationToClient(ctx, method, params)
}

// flushNotifications returns once every notification queued for this
// request's session has been written, or after flushWait.
func (s *Server) flushNotifications(ctx context.Context) {
	t := tapOf(ctx)
	if t == nil || !(t.sent.Load() || t.streamed.Load()) {
		return // in-process, or a request that sent no notification: nothing to wait for
	}
	n, done := s.flushes.open()
	defer s.flushes.close(n)
	timer := time.NewTimer(flushWait)
	defer timer.Stop()
	for {
		err := s.mcp.SendNotificationToClient(ctx, flushMethod, map[string]any{"n": n})
		if err == nil {
			break
		}
		if !errors.Is(err, server.ErrNotificationChannelBlocked) {
			return // no session ready for notifications: nothing queued
		}
		select { // the queue is full: let the writer catch up
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			return
		case <-timer.C:
			return
		}
	}
	select {
	case <-done:
		if t.drain != nil {
			t.drain(ctx)
		}
	case <-ctx.Done():
	case <-timer.C:
		s.log.Debug("notifications not flushed before a response", "wait", flushWait.String())
	}
}

// flushHook runs flushNotifications before a request's response leaves.
func (s *Server) flushHook(ctx context.Context, id any, method string) {
	if id == nil || method == "initialize" || strings.HasPrefix(method, "notifications/") {
		return
	}
	s.flushNotifications(ctx)
}

// tapWriter is the stdio transport's output: markers are swallowed.
type tapWriter struct {
	w io.Writer
	f *flushes
	// backlog counts the bytes written but not yet read by the client
	// (nil: unknown, the output is no pipe).
	backlog func() int
	// lastNote: the last line written was a notification.
	lastNote atomic.Bool
}

// pipeDrainWait bounds drain: a client that does not read gets its
// response then anyway.
const pipeDrainWait = 250 * time.Millisecond

func (w *tapWriter) Write(p []byte) (int, error) {
	if w.f.consume(p) {
		return len(p), nil
	}
	w.lastNote.Store(bytes.HasPrefix(p, []byte(`{"jsonrpc":"2.0","method":`)))
	return w.w.Write(p)
}

// drain waits, when the last line written was a notification, until the
// client has read all it was sent, so that the response comes in a read of
// its own. The TypeScript SDK handles the notifications of one read after
// the responses of that read, and drops a progress whose request has
// ended: written in order but read together, the last progress of a call
// would be lost.
func (w *tapWriter) drain(ctx context.Context) {
	if w.backlog == nil || !w.lastNote.Load() {
		return
	}
	deadline := time.Now().Add(pipeDrainWait)
	for w.backlog() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Microsecond)
	}
}

// inOrder gives each request of an HTTP transport a wire tap and swallows
// markers on its streams.
func (s *Server) inOrder(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, t := withTap(r.Context())
		next.ServeHTTP(&tapResponseWriter{ResponseWriter: w, f: &s.flushes, tap: t}, r.WithContext(ctx))
	})
}

type tapResponseWriter struct {
	http.ResponseWriter
	f   *flushes
	tap *wireTap
}

func (w *tapResponseWriter) Write(p []byte) (int, error) {
	if w.f.consume(p) {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

func (w *tapResponseWriter) WriteHeader(code int) {
	if strings.HasPrefix(w.Header().Get("Content-Type"), "text/event-stream") {
		w.tap.streamed.Store(true)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *tapResponseWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

func (w *tapResponseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
