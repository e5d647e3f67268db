package mcpserver

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// callTracker knows the tool calls running now, so that a shutdown can wait
// for them and name those it had to abandon. It records only tool names and
// start times: never arguments, credentials or session ids.
type callTracker struct {
	mu      sync.Mutex
	running map[*runningCall]struct{}
	changed chan struct{} // closed and replaced whenever a call ends
}

type runningCall struct {
	tool    string
	target  string // the tool call-tool runs, once known
	started time.Time
}

type runningCallKey struct{}

func (t *callTracker) start(tool string) *runningCall {
	c := &runningCall{tool: tool, started: time.Now()}
	t.mu.Lock()
	if t.running == nil {
		t.running = map[*runningCall]struct{}{}
	}
	t.running[c] = struct{}{}
	t.mu.Unlock()
	return c
}

func (t *callTracker) end(c *runningCall) {
	t.mu.Lock()
	delete(t.running, c)
	if t.changed != nil {
		close(t.changed)
		t.changed = nil
	}
	t.mu.Unlock()
}

// setTarget records the tool that call-tool runs.
func (t *callTracker) setTarget(ctx context.Context, name string) {
	if c, ok := ctx.Value(runningCallKey{}).(*runningCall); ok {
		t.mu.Lock()
		c.target = name
		t.mu.Unlock()
	}
}

// count is the number of calls running.
func (t *callTracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.running)
}

// wait returns once no call runs, or when ctx ends; then it returns the
// calls still running, which the caller abandons.
func (t *callTracker) wait(ctx context.Context) []runningCall {
	for {
		t.mu.Lock()
		if len(t.running) == 0 {
			t.mu.Unlock()
			return nil
		}
		if t.changed == nil {
			t.changed = make(chan struct{})
		}
		changed := t.changed
		t.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			t.mu.Lock()
			defer t.mu.Unlock()
			left := make([]runningCall, 0, len(t.running))
			for c := range t.running {
				left = append(left, *c)
			}
			return left
		}
	}
}

// trackCall registers the call as running until it returns.
func (s *Server) trackCall(next callHandler) callHandler {
	return func(ctx context.Context, c *toolCall) (*mcp.CallToolResult, error) {
		rc := s.calls.start(c.tool.Name)
		defer s.calls.end(rc)
		return next(context.WithValue(ctx, runningCallKey{}, rc), c)
	}
}

// logAbandoned logs, one line each, the calls a shutdown cut short: the
// tool and how long it had run, never its arguments or key.
func logAbandoned(log *slog.Logger, calls []runningCall) {
	for _, c := range calls {
		attrs := []any{"tool", c.tool, "running", time.Since(c.started).Round(time.Millisecond).String()}
		if c.target != "" {
			attrs = append(attrs, "runs", c.target)
		}
		log.Warn("tool call abandoned at shutdown: it was still running when the drain time ran out, and its client gets no answer", attrs...)
	}
}
