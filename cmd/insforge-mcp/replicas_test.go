package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/redistest"
)

const testSecret = "a-session-secret-for-the-replica-tests-0123456789"

// replicas starts n processes of the binary sharing one redis-server.
func replicas(t *testing.T, n int) ([]string, []*exec.Cmd, []*lockedBuffer, *redistest.Server) {
	t.Helper()
	rs := redistest.Start(t)
	secret := filepath.Join(t.TempDir(), "session-secret")
	if err := os.WriteFile(secret, []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var bases []string
	var cmds []*exec.Cmd
	var logs []*lockedBuffer
	for range n {
		base, cmd, stderr := startServer(t, "http", "--session-store", rs.URL(0), "--session-secret-file", secret)
		bases, cmds, logs = append(bases, base), append(cmds, cmd), append(logs, stderr)
	}
	return bases, cmds, logs, rs
}

// rpc posts one JSON-RPC message to base/mcp and returns the HTTP status,
// the session id header and the result (or error) of the answer.
func rpc(t *testing.T, base, session, method string, params any) (int, string, json.RawMessage) {
	t.Helper()
	msg := map[string]any{"jsonrpc": "2.0", "method": method, "params": params}
	if !strings.HasPrefix(method, "notifications/") {
		msg["id"] = 1
	}
	body, _ := json.Marshal(msg)
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
		req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s on %s: %v", method, base, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		for line := range strings.SplitSeq(string(data), "\n") {
			if d, ok := strings.CutPrefix(line, "data: "); ok && strings.Contains(d, `"id":1`) {
				data = []byte(d)
			}
		}
	}
	var answer struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	_ = json.Unmarshal(data, &answer)
	if answer.Error != nil {
		return resp.StatusCode, resp.Header.Get("Mcp-Session-Id"), answer.Error
	}
	if answer.Result == nil {
		answer.Result = data
	}
	return resp.StatusCode, resp.Header.Get("Mcp-Session-Id"), answer.Result
}

// call runs a tool on base and returns its text and whether it is an error.
func call(t *testing.T, base, session, tool string, args map[string]any) (string, bool) {
	t.Helper()
	status, _, res := rpc(t, base, session, "tools/call", map[string]any{"name": tool, "arguments": args})
	if status != http.StatusOK {
		t.Fatalf("%s on %s: HTTP %d %s", tool, base, status, res)
	}
	var r struct {
		IsError bool `json:"isError"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := json.Unmarshal(res, &r); err != nil || len(r.Content) == 0 {
		t.Fatalf("%s on %s: unreadable result %s", tool, base, res)
	}
	return r.Content[0].Text, r.IsError
}

func initialize(t *testing.T, base string) string {
	t.Helper()
	status, id, res := rpc(t, base, "", "initialize", map[string]any{
		"protocolVersion": "2025-11-25", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "replica-test", "version": "1"},
	})
	if status != http.StatusOK || id == "" {
		t.Fatalf("initialize on %s: HTTP %d %s", base, status, res)
	}
	rpc(t, base, id, "notifications/initialized", map[string]any{})
	return id
}

// Done-when of issue 14: the session hops between three replicas, one of
// them is killed, and DELETE on another ends it everywhere.
func TestSessionHopsBetweenReplicas(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	bases, cmds, logs, rs := replicas(t, 3)
	a, b, c := bases[0], bases[1], bases[2]

	id := initialize(t, a)
	if text, isErr := call(t, b, id, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": insforgefake.DefaultAPIKey}); isErr {
		t.Fatalf("connect-project on B: %s", text)
	}
	if text, isErr := call(t, c, id, "get-backend-metadata", nil); isErr {
		t.Fatalf("get-backend-metadata on C with B's key: %s", text)
	}
	if n := rs.AssertAbsent(t, insforgefake.DefaultAPIKey); n == 0 {
		t.Fatal("nothing in Redis to scan")
	}

	cmds[0].Process.Signal(syscall.SIGKILL)
	_ = cmds[0].Wait()
	for _, base := range []string{b, c, b} {
		if text, isErr := call(t, base, id, "get-backend-metadata", nil); isErr {
			t.Fatalf("after A was killed, on %s: %s", base, text)
		}
	}

	req, _ := http.NewRequest(http.MethodDelete, c+"/mcp", nil)
	req.Header.Set("Mcp-Session-Id", id)
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE on C: %v %v", resp, err)
	}
	resp.Body.Close()
	if status, _, res := rpc(t, b, id, "tools/call", map[string]any{"name": "get-backend-metadata"}); status != http.StatusNotFound {
		t.Fatalf("B after DELETE on C: HTTP %d %s", status, res)
	}
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	keys, err := rdb.Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k != "{ifm}:live" {
			t.Errorf("key %q left after DELETE", k)
		}
	}
	if n, _ := rdb.ZCard(context.Background(), "{ifm}:live").Result(); n != 0 {
		t.Errorf("%d sessions still counted after DELETE", n)
	}
	for _, l := range logs {
		if strings.Contains(l.String(), insforgefake.DefaultAPIKey) {
			t.Fatal("key in a replica's log")
		}
	}
}

// Redis paused mid-session: calls answer that the store is unavailable,
// without crashing, and go on once it answers again. The pause is the
// redis-server process stopped (SIGSTOP) and continued (SIGCONT), so that
// it lasts exactly as long as the call made during it: CLIENT PAUSE has to
// be given its length in advance (and CLIENT UNPAUSE waits behind it), which
// made the test wait out eight seconds of a pause long enough for the
// slowest failing call.
func TestStoreOutageMidSession(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	bases, _, logs, rs := replicas(t, 1)
	id := initialize(t, bases[0])
	if text, isErr := call(t, bases[0], id, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": insforgefake.DefaultAPIKey}); isErr {
		t.Fatalf("connect-project: %s", text)
	}
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	pid := redisPID(t, rdb)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) }) // before redistest stops it
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	text, isErr := call(t, bases[0], id, "get-backend-metadata", nil)
	if !isErr || !strings.Contains(text, "session store unavailable, retry shortly") {
		t.Fatalf("during the outage: %v %s", isErr, text)
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Ping(context.Background()).Err(); err != nil { // it answers again
		t.Fatal(err)
	}
	if text, isErr := call(t, bases[0], id, "get-backend-metadata", nil); isErr {
		t.Fatalf("after the outage: %s (%s)", text, logs[0].String())
	}
}

// redisPID is the process id of the redis-server rdb talks to.
func redisPID(t *testing.T, rdb *redis.Client) int {
	t.Helper()
	info, err := rdb.Info(context.Background(), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			if pid, err := strconv.Atoi(v); err == nil && pid > 1 {
				return pid
			}
		}
	}
	t.Fatalf("INFO server names no process_id:\n%s", info)
	return 0
}

// Redis unreachable, or no secret: exit 2 with a clear message.
func TestStoreConfigurationErrorsExit2(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{EnvSessionSecret + "=" + testSecret}, "does not answer"},
		{nil, "needs a session secret"},
		{[]string{EnvSessionSecret + "=short"}, "at least 32"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(binary, "--transport", "http", "--listen", freeAddr(t), "--credentials-file", "none", "--session-store", "redis://127.0.0.1:1/0")
			cmd.Env = append(cmd.Environ(), tc.env...)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), tc.want) {
				t.Errorf("%v: exit %v, output %s", tc.env, err, out)
			}
		})
	}
}
