package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/internal/testbin"

	"github.com/insforge-mcp/insforge-mcp/internal/redistest"
)

// TestMain lets the test binary play the client process, as the command
// does.
func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) == "client" {
		os.Exit(clientMain(os.Stdin, os.Stdout))
	}
	testbin.QuickRaceExit()
	os.Exit(m.Run())
}

// TestSmallRun runs the whole load run with a few sessions for a short
// time: every session opens, calls without error, and is deleted. It
// checks correctness only; the figures are not asserted.
func TestSmallRun(t *testing.T) {
	rep, err := run(context.Background(), options{sessions: 12, duration: 300 * time.Millisecond, tool: "get-backend-metadata", open: 4, check: true}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OpenErrors != 0 || rep.Errors != 0 || rep.DeleteErrors != 0 {
		t.Fatalf("errors: open %d, calls %d (%v), delete %d", rep.OpenErrors, rep.Errors, rep.ErrorSample, rep.DeleteErrors)
	}
	if rep.Calls < int64(rep.Sessions) {
		t.Fatalf("%d calls from %d sessions", rep.Calls, rep.Sessions)
	}
	if rep.P50ms <= 0 || rep.P99ms < rep.P50ms || rep.MaxMs < rep.P99ms {
		t.Fatalf("latencies p50 %v p99 %v max %v", rep.P50ms, rep.P99ms, rep.MaxMs)
	}
	text := rep.Text()
	for _, want := range []string{"12 streamable HTTP sessions", "per idle session", "calls/s", "p99"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

// TestUnknownToolIsCountedAsErrors: failing calls are reported, not hidden.
func TestUnknownToolIsCountedAsErrors(t *testing.T) {
	rep, err := run(context.Background(), options{sessions: 2, duration: 100 * time.Millisecond, tool: "no-such-tool", open: 2, check: true}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors == 0 || rep.Calls != 0 || len(rep.ErrorSample) == 0 {
		t.Fatalf("calls %d, errors %d, sample %v", rep.Calls, rep.Errors, rep.ErrorSample)
	}
}

// TestReplicatedRun: three replicas sharing a redis-server, each request
// of a session to the next replica. Checks correctness only.
func TestReplicatedRun(t *testing.T) {
	redistest.Start(t) // skips, or fails under CI, without redis-server
	rep, err := run(context.Background(), options{sessions: 9, duration: 300 * time.Millisecond, tool: "get-backend-metadata", open: 3, replicas: 3, check: true}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OpenErrors != 0 || rep.Errors != 0 || rep.DeleteErrors != 0 {
		t.Fatalf("errors: open %d, calls %d (%v), delete %d", rep.OpenErrors, rep.Errors, rep.ErrorSample, rep.DeleteErrors)
	}
	if rep.Calls < int64(rep.Sessions) || rep.StoreP50ms <= 0 || rep.MemoryP50ms <= 0 {
		t.Fatalf("%d calls from %d sessions; p50 %v / %v", rep.Calls, rep.Sessions, rep.MemoryP50ms, rep.StoreP50ms)
	}
	if text := rep.Text(); !strings.Contains(text, "3 replicas") || !strings.Contains(text, "the store adds") {
		t.Errorf("report:\n%s", text)
	}
}
