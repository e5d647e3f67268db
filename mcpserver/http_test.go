package mcpserver_test

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

var (
	keyA = "ik_" + strings.Repeat("a", 64)
	keyB = "ik_" + strings.Repeat("b", 64)
)

// startHTTP serves the MCP server over a real loopback HTTP server and
// returns the client URL (…/mcp or …/sse).
func startHTTP(t *testing.T, kind string, configured credentials.Credentials) string {
	t.Helper()
	srv := mcpserver.New(mcpserver.Config{
		Version:    "test",
		Surface:    catalogue.Full(),
		ToolConfig: tools.Config{MaxResultBytes: 100000},
		Transport:  insforge.NewTransport(insforge.Options{Timeout: 5 * time.Second}),
		Configured: configured,
	})
	opts := mcpserver.HTTPOptions{Loopback: true}
	if kind == "sse" {
		return serveSSE(t, srv, opts).URL + "/sse"
	}
	ts := httptest.NewServer(srv.StreamableHandler(opts))
	t.Cleanup(ts.Close)
	return ts.URL + "/mcp"
}

// serveSSE serves srv's SSE transport on a loopback test server, shut
// down when the test ends.
func serveSSE(t *testing.T, srv *mcpserver.Server, opts mcpserver.HTTPOptions) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	handler, sse := srv.SSEHandler(opts, "http://"+ts.Listener.Addr().String())
	ts.Config.Handler = handler
	ts.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = sse.Shutdown(ctx)
		ts.Close()
	})
	return ts
}

// dial connects an MCP client with optional per-request headers.
func dial(t *testing.T, kind, url, version string, headers map[string]string) *client.Client {
	t.Helper()
	var tr transport.Interface
	var err error
	if kind == "sse" {
		tr, err = transport.NewSSE(url, transport.WithHeaders(headers))
	} else {
		tr, err = transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(headers))
	}
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, client.WithProtocolVersion(version))
	t.Cleanup(func() { c.Close() })
	if err := testmcp.Initialize(c, version); err != nil {
		t.Fatalf("over %s: %v", kind, err)
	}
	return c
}

// Two clients connect with different keys over the same server: each
// request must reach the backend with its own client's key, and one
// client's connect must not unlock the other.
func TestConcurrentHTTPClientsKeepTheirOwnKeys(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"http", "sse"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			backend := insforgefake.New(t, insforgefake.WithAPIKey(keyA), insforgefake.WithAPIKey(keyB))
			url := startHTTP(t, kind, credentials.Credentials{})
			a := dial(t, kind, url, "2025-11-25", nil)
			b := dial(t, kind, url, "2025-11-25", nil)

			if _, isErr := testmcp.CallText(t, a, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": keyA}); isErr {
				t.Fatal("connect A failed")
			}
			if _, isErr := testmcp.CallText(t, b, "get-backend-metadata", nil); !isErr {
				t.Fatal("client A's connect unlocked client B")
			}
			if _, isErr := testmcp.CallText(t, b, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": keyB}); isErr {
				t.Fatal("connect B failed")
			}
			backend.Reset()

			const calls = 20
			var wg sync.WaitGroup
			for _, c := range []*client.Client{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range calls {
						req := mcp.CallToolRequest{}
						req.Params.Name = "get-backend-metadata"
						res, err := c.CallTool(context.Background(), req)
						if err != nil || res.IsError {
							t.Errorf("call failed: %v", err)
							return
						}
					}
				}()
			}
			wg.Wait()
			count := map[string]int{}
			for _, r := range backend.Requests() {
				count[r.APIKey]++
			}
			if count[keyA] != calls || count[keyB] != calls || len(count) != 2 {
				t.Fatalf("backend saw keys %v; want %d each of A and B", redactCounts(count), calls)
			}
		})
	}
}

func redactCounts(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k[:5]+"…"] = v
	}
	return out
}

func TestHeaderCredentialsUnlockWithoutTheGate(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t, insforgefake.WithAPIKey(keyA))
	url := startHTTP(t, "http", credentials.Credentials{})
	c := dial(t, "http", url, "2025-11-25", map[string]string{
		"Authorization":            "Bearer " + keyA,
		mcpserver.HeaderProjectURL: backend.URL,
	})
	if !slices.Contains(testmcp.ToolNames(t, c), "run-raw-sql") {
		t.Fatal("header credentials did not unlock tools/list")
	}
	if text, isErr := testmcp.CallText(t, c, "get-backend-metadata", nil); isErr {
		t.Fatalf("call with header credentials: %s", text)
	}
	bad := dial(t, "http", url, "2025-11-25", map[string]string{"Authorization": "Bearer " + keyA, mcpserver.HeaderProjectURL: "ftp://nope"})
	if text, isErr := testmcp.CallText(t, bad, "get-backend-metadata", nil); !isErr || !strings.Contains(text, mcpserver.HeaderProjectURL) {
		t.Fatalf("bad header URL: %v %s", isErr, text)
	}
}

// On 2026-07-28 there are no sessions: every request has an empty session
// id, and a connect must never be stored under it.
func TestModernHTTPClientsNeverShareAConnection(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	url := startHTTP(t, "http", credentials.Credentials{})
	a := dial(t, "http", url, "2026-07-28", nil)
	b := dial(t, "http", url, "2026-07-28", nil)
	text, isErr := testmcp.CallText(t, a, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": insforgefake.DefaultAPIKey})
	if isErr || !strings.Contains(text, "no session") {
		t.Fatalf("modern connect: %v %s", isErr, text)
	}
	for _, c := range []*client.Client{a, b} {
		if text, isErr := testmcp.CallText(t, c, "get-backend-metadata", nil); !isErr {
			t.Fatalf("a sessionless connect unlocked a later request: %s", text)
		}
	}
}

func TestOriginIsChecked(t *testing.T) {
	t.Parallel()
	url := startHTTP(t, "http", credentials.Credentials{})
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`
	for origin, want := range map[string]int{"https://evil.example": http.StatusForbidden, "http://localhost:6274": http.StatusOK, "": http.StatusOK} {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Origin %q: status %d, want %d", origin, resp.StatusCode, want)
		}
	}
}

func TestSessionEndForgetsCredentials(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	url := startHTTP(t, "http", credentials.Credentials{})
	c := dial(t, "http", url, "2025-11-25", nil)
	testmcp.CallText(t, c, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": insforgefake.DefaultAPIKey})
	sid := c.GetSessionId()
	if sid == "" {
		t.Fatal("no session id")
	}
	c.Close() // sends DELETE
	// Reusing the ended session id must not find credentials.
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"get-backend-metadata"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", sid)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	// The ended id is answered 404 (start a new session); were it served,
	// the call would at least have to find no credentials.
	switch {
	case resp.StatusCode == http.StatusNotFound:
	case resp.StatusCode == http.StatusOK && strings.Contains(string(body), "connect-project"):
	default:
		t.Fatalf("ended session: %d %s", resp.StatusCode, body)
	}
	if n := len(backend.Requests()); n != 1 { // connect-project's validation only
		t.Fatalf("the backend received %d requests after the session ended", n)
	}
}

// Over HTTP the callers of one server are different people. Tenant A
// downloads payroll.csv under --files-root; tenant B, with its own key and
// project, must not read it back: not by the same relative path, not by
// the absolute path A was shown, not by climbing out of its own directory.
func TestFilesRootIsPerTenant(t *testing.T) {
	t.Parallel()
	backendA := insforgefake.New(t, insforgefake.WithAPIKey(keyA))
	backendB := insforgefake.New(t, insforgefake.WithAPIKey(keyB))
	backendA.AddBucket("hr", false)
	backendA.PutObject("hr", "payroll.csv", []byte("name,salary\nalice,123456\n"), "text/csv")
	backendB.AddBucket("drop", false)

	root := t.TempDir()
	srv := mcpserver.New(mcpserver.Config{
		Version:    "test",
		Surface:    catalogue.Full(),
		ToolConfig: tools.Config{MaxResultBytes: 100000, Remote: true, FilesRoot: root},
		Transport:  insforge.NewTransport(insforge.Options{Timeout: 5 * time.Second}),
	})
	ts := httptest.NewServer(srv.StreamableHandler(mcpserver.HTTPOptions{Loopback: true}))
	t.Cleanup(ts.Close)
	a := dial(t, "http", ts.URL+"/mcp", "2025-11-25", nil)
	b := dial(t, "http", ts.URL+"/mcp", "2025-11-25", nil)
	if text, isErr := testmcp.CallText(t, a, "connect-project", map[string]any{"projectUrl": backendA.URL, "apiKey": keyA}); isErr {
		t.Fatal(text)
	}
	if text, isErr := testmcp.CallText(t, b, "connect-project", map[string]any{"projectUrl": backendB.URL, "apiKey": keyB}); isErr {
		t.Fatal(text)
	}

	text, isErr := testmcp.CallText(t, a, "download-object", map[string]any{"bucket": "hr", "key": "payroll.csv", "destinationPath": "payroll.csv"})
	if isErr {
		t.Fatalf("A's download: %s", text)
	}
	var saved string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "payroll.csv" {
			saved = p
		}
		return nil
	})
	if saved == "" {
		t.Fatalf("A's download wrote no payroll.csv under %s: %s", root, text)
	}
	rel, _ := filepath.Rel(root, saved)
	for _, path := range []string{"payroll.csv", saved, filepath.Join("..", rel)} {
		text, isErr := testmcp.CallText(t, b, "upload-object", map[string]any{"bucket": "drop", "filePath": path, "key": "stolen.csv"})
		if !isErr {
			t.Errorf("B uploaded A's file by the path %q: %s", path, text)
		}
	}
	if _, ok := backendB.Object("drop", "stolen.csv"); ok {
		t.Fatal("tenant B read back the file tenant A downloaded")
	}
	if filepath.Dir(saved) == root {
		t.Fatalf("A's file is at %q, not in a directory of its own under %s", saved, root)
	}
	if st, err := os.Stat(filepath.Dir(saved)); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("A's directory: %v %v", st, err)
	}
	// A itself reads its file back by the same relative path.
	if text, isErr := testmcp.CallText(t, a, "upload-object", map[string]any{"bucket": "hr", "filePath": "payroll.csv", "key": "copy.csv"}); isErr {
		t.Fatalf("A's own upload: %s", text)
	}
}
