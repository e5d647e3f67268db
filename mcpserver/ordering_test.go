package mcpserver_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// wire speaks raw JSON-RPC to one transport and yields the messages in the
// order they arrive, so that a test sees the order on the wire itself
// (a client library may dispatch notifications on goroutines of its own).
type wire struct {
	send func(msg string)
	in   chan map[string]any
}

func (w *wire) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case m, ok := <-w.in:
		if !ok {
			t.Fatal("the transport closed")
		}
		if method, _ := m["method"].(string); strings.HasPrefix(method, "notifications/insforge-mcp/") {
			t.Fatalf("the server's own marker reached the client: %v", m)
		}
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no message for 20s")
		return nil
	}
}

// push decodes one message (a line or an SSE data field) onto in.
func push(in chan<- map[string]any, data []byte) {
	var m map[string]any
	if json.Unmarshal(data, &m) == nil {
		in <- m
	}
}

// pushEvents pushes every SSE "data:" field of r.
func pushEvents(r io.Reader, in chan<- map[string]any) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	for sc.Scan() {
		if data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data:")); ok {
			push(in, bytes.TrimSpace(data))
		}
	}
}

// stdioMu is held while a test serves the stdio transport. mcp-go serves
// stdio through one session of its package (stdioSessionInstance): two
// stdio servers at once in one process share its notification channel,
// each writing the other's notifications, so tests that otherwise run in
// parallel take turns for it.
var stdioMu sync.Mutex

func stdioWire(t *testing.T, srv *mcpserver.Server) *wire {
	stdioMu.Lock()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.ServeStdio(ctx, inR, outW)
		outW.Close()
	}()
	w := &wire{in: make(chan map[string]any, 1024)}
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(make([]byte, 1<<20), 8<<20)
		for sc.Scan() {
			push(w.in, sc.Bytes())
		}
		close(w.in)
	}()
	w.send = func(msg string) {
		if _, err := io.WriteString(inW, msg+"\n"); err != nil {
			t.Errorf("write stdin: %v", err)
		}
	}
	t.Cleanup(func() { cancel(); inW.Close(); <-done; stdioMu.Unlock() })
	return w
}

func sseWire(t *testing.T, srv *mcpserver.Server) *wire {
	ts := serveSSE(t, srv, mcpserver.HTTPOptions{Loopback: true})
	resp, err := http.Get(ts.URL + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	br := bufio.NewReader(resp.Body)
	var endpoint string
	for endpoint == "" {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("no endpoint event: %v", err)
		}
		if e, ok := strings.CutPrefix(strings.TrimSpace(line), "data:"); ok {
			endpoint = strings.TrimSpace(e)
		}
	}
	w := &wire{in: make(chan map[string]any, 1024)}
	go func() { pushEvents(br, w.in); close(w.in) }()
	if !strings.HasPrefix(endpoint, "http") {
		endpoint = ts.URL + endpoint
	}
	w.send = func(msg string) {
		r, err := http.Post(endpoint, "application/json", strings.NewReader(msg))
		if err != nil {
			t.Errorf("post: %v", err)
			return
		}
		r.Body.Close()
	}
	return w
}

func streamableWire(t *testing.T, srv *mcpserver.Server) *wire {
	ts := httptest.NewServer(srv.StreamableHandler(mcpserver.HTTPOptions{Loopback: true}))
	t.Cleanup(ts.Close)
	w := &wire{in: make(chan map[string]any, 1024)}
	var session string
	w.send = func(msg string) {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/mcp", strings.NewReader(msg))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("MCP-Protocol-Version", "2025-11-25")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("post: %v", err)
			return
		}
		defer resp.Body.Close()
		if id := resp.Header.Get("Mcp-Session-Id"); id != "" {
			session = id
		}
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			pushEvents(resp.Body, w.in)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		push(w.in, body)
	}
	return w
}

// smallApp is a folder to deploy.
func smallApp(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "app")
	for name, text := range map[string]string{
		"index.html":   "<!doctype html><script src=/src/main.js></script>\n",
		"package.json": `{"name":"app","scripts":{"build":"vite build"}}`,
		"src/main.js":  "console.log('hi')\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestProgressNeverFollowsTheResult repeats create-deployment with a
// progress token over each transport and reads the wire: every progress of
// a call, down to the last ("Deployment … is …"), arrives before the call's
// result, and none after it.
func TestProgressNeverFollowsTheResult(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	app := smallApp(t)
	const calls = 50
	for kind, open := range map[string]func(*testing.T, *mcpserver.Server) *wire{
		"stdio": stdioWire, "sse": sseWire, "http": streamableWire,
	} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			srv := mcpserver.New(mcpserver.Config{
				Version:    "test",
				Surface:    catalogue.Full(),
				ToolConfig: tools.Config{MaxResultBytes: 100000},
				Transport:  insforge.NewTransport(insforge.Options{Timeout: 5 * time.Second}),
				Configured: credentials.Credentials{ProjectURL: backend.URL, APIKey: insforgefake.DefaultAPIKey},
			})
			w := open(t, srv)
			w.send(initBody)
			if m := w.next(t); m["result"] == nil {
				t.Fatalf("initialize: %v", m)
			}
			w.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)

			done := map[string]bool{} // tokens whose result arrived
			// await reads up to the response to id and returns the
			// progress messages of token that came before it.
			await := func(id int, token string) (msgs []string, result map[string]any) {
				for {
					m := w.next(t)
					if m["method"] == "notifications/progress" {
						p, _ := m["params"].(map[string]any)
						tok := fmt.Sprint(p["progressToken"])
						if done[tok] {
							t.Errorf("progress %v of %s arrived after its result", p["progress"], tok)
						}
						if tok == token {
							msgs = append(msgs, fmt.Sprint(p["message"]))
						}
						continue
					}
					if fmt.Sprint(m["id"]) == fmt.Sprint(id) {
						return msgs, m
					}
				}
			}
			for i := range calls {
				id, token := 100+i, fmt.Sprintf("dep-%d", i)
				w.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"create-deployment","arguments":{"sourceDirectory":%q,"wait":false},"_meta":{"progressToken":%q}}}`, id, app, token))
				msgs, res := await(id, token)
				done[token] = true
				if r, _ := res["result"].(map[string]any); r == nil || r["isError"] == true {
					t.Fatalf("call %d: %v", i, res)
				}
				if len(msgs) < 2 || !strings.Contains(msgs[len(msgs)-1], " is ") {
					t.Fatalf("call %d: progress before the result %q; want it to end with the deployment's status", i, msgs)
				}
			}
			w.send(`{"jsonrpc":"2.0","id":99,"method":"ping"}`)
			await(99, "")
		})
	}
}

// TestEveryNotificationPrecedesItsResult: whatever a call sends through
// the server's notification path (here notifications/message, as MCP
// logging does) reaches the wire before the call's result, on each
// transport.
func TestEveryNotificationPrecedesItsResult(t *testing.T) {
	t.Parallel()
	const calls, perCall = 30, 5
	for kind, open := range map[string]func(*testing.T, *mcpserver.Server) *wire{
		"stdio": stdioWire, "sse": sseWire, "http": streamableWire,
	} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			srv := mcpserver.New(mcpserver.Config{Version: "test", Surface: catalogue.Full()})
			mcpserver.AddNotifyingTool(srv, "notify-test", "notifications/message", perCall)
			w := open(t, srv)
			w.send(initBody)
			if m := w.next(t); m["result"] == nil {
				t.Fatalf("initialize: %v", m)
			}
			w.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
			for i := range calls {
				id, tag := 100+i, fmt.Sprintf("call%d", i)
				w.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"notify-test","arguments":{"tag":%q}}}`, id, tag))
				seen := 0
				for {
					m := w.next(t)
					if m["method"] == "notifications/message" {
						p, _ := m["params"].(map[string]any)
						if !strings.Contains(fmt.Sprint(p["data"]), tag+"]") {
							t.Errorf("call %d: a message of another call arrived: %v", i, p["data"])
						}
						seen++
						continue
					}
					if fmt.Sprint(m["id"]) == fmt.Sprint(id) {
						break
					}
				}
				if seen != perCall {
					t.Fatalf("call %d: %d of %d messages arrived before its result", i, seen, perCall)
				}
			}
		})
	}
}

// TestPipeBacklog: the stdio transport sees what its client has not read
// yet, on a pipe and on a socket pair (how Node.js starts a server).
func TestPipeBacklog(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("skipped: the backlog is read on Linux only")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	sw, sr := os.NewFile(uintptr(fds[0]), "server"), os.NewFile(uintptr(fds[1]), "client")
	defer sw.Close()
	defer sr.Close()
	for name, pair := range map[string][2]*os.File{"pipe": {w, r}, "socket": {sw, sr}} {
		backlog := mcpserver.PipeBacklog(pair[0])
		if backlog == nil {
			t.Fatalf("%s: no backlog", name)
		}
		if _, err := pair[0].Write([]byte("{}\n")); err != nil {
			t.Fatal(err)
		}
		if n := backlog(); n == 0 {
			t.Errorf("%s: nothing unread after a write", name)
		}
		if _, err := pair[1].Read(make([]byte, 16)); err != nil {
			t.Fatal(err)
		}
		if n := backlog(); n != 0 {
			t.Errorf("%s: %d bytes unread after the client read all", name, n)
		}
	}
	if mcpserver.PipeBacklog(io.Discard) != nil {
		t.Error("a backlog for a writer that is no pipe")
	}
}
