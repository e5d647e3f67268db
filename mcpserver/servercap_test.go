package mcpserver_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
)

// Issue 13, item 1: nothing bounded the calls across the server, and
// sessionless requests (protocol 2026-07-28) escaped the per-session
// limit altogether. With a server-wide cap of 2, a third concurrent
// sessionless call waits for a slot, and runs when one is free.
func TestServerWideCallCapBoundsSessionlessCalls(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	var now, peak, total atomic.Int32
	release := make(chan struct{})
	backend.SetSQLHandler(func(query string, params []any) (insforgefake.SQLResult, error) {
		n := now.Add(1)
		total.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		now.Add(-1)
		return insforgefake.SQLResult{Rows: []map[string]any{{"one": 1}}}, nil
	})
	url := startGuarded(t, mcpserver.Config{
		Configured:         credentials.Credentials{ProjectURL: backend.URL, APIKey: insforgefake.DefaultAPIKey},
		MaxCallsPerSession: 8, // per client: above the server's cap, which is what binds here
		MaxConcurrentCalls: 2,
	}, mcpserver.HTTPOptions{})
	c := dial(t, "http", url, "2026-07-28", nil)

	var wg sync.WaitGroup
	results := make([]string, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text, isErr := testmcp.CallText(t, c, "run-raw-sql", map[string]any{"query": "SELECT 1 AS one"})
			if isErr {
				results[i] = text
			} else {
				results[i] = "ok"
			}
		}()
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting until %s (running %d, peak %d, total %d)", what, now.Load(), peak.Load(), total.Load())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("two calls reach the backend", func() bool { return now.Load() == 2 })
	time.Sleep(300 * time.Millisecond)
	if n, p := total.Load(), peak.Load(); n != 2 || p != 2 {
		t.Fatalf("with a cap of 2, the backend saw %d calls (peak %d at once) before any finished", n, p)
	}
	release <- struct{}{} // one call finishes
	waitFor("the third call reaches the backend", func() bool { return total.Load() == 3 })
	close(release)
	wg.Wait()
	for i, r := range results {
		if r != "ok" {
			t.Errorf("call %d: %s", i, r)
		}
	}
	if p := peak.Load(); p > 2 {
		t.Errorf("%d calls ran at once, over the cap of 2", p)
	}
}
