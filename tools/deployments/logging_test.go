package deployments_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
)

// Issue 15, item 9: a deployment's build phases reach the log of a client
// that set level info, the failure at level error.
func TestDeployLogsBuildPhases(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	h.Backend.SetDeploymentPolls(2)
	req := mcp.SetLevelRequest{}
	req.Params.Level = mcp.LoggingLevelInfo
	if err := h.Client.SetLevel(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	tr := deployMakeTree(t)
	h.OK(t, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	lines := deployLogLines(t, h, "is READY, live at https://")
	want := []string{"files uploaded, build started", "is now BUILDING", "is READY, live at https://"}
	at := 0
	for _, l := range lines {
		if at < len(want) && strings.Contains(l, want[at]) {
			at++
		}
	}
	if at != len(want) {
		t.Errorf("build phases %q not logged in order; got %q", want, lines)
	}

	h.Backend.SetDeploymentOutcome("ERROR", "npm run build exited with 1")
	h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	deployLogLines(t, h, "failed: its build ended in ERROR.")
	var levels []string
	for _, n := range h.Notifications() {
		if n.Method == string(mcp.MethodNotificationMessage) && strings.Contains(n.Params.AdditionalFields["data"].(string), "its build ended in ERROR") {
			levels = append(levels, n.Params.AdditionalFields["level"].(string))
		}
	}
	if len(levels) != 1 || levels[0] != "error" {
		t.Errorf("failed build logged at %v, want [error]", levels)
	}
}

// deployLogLines waits for a log message containing last and returns the
// texts of every log message so far.
func deployLogLines(t *testing.T, h *testmcp.Harness, last string) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var lines []string
		done := false
		for _, n := range h.Notifications() {
			if n.Method != string(mcp.MethodNotificationMessage) {
				continue
			}
			data, _ := n.Params.AdditionalFields["data"].(string)
			lines = append(lines, data)
			done = done || strings.Contains(data, last)
		}
		if done {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log message contains %q; got %q", last, lines)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
