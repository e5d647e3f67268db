package mcpserver_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// portOf is the port of a loopback test server's URL.
func portOf(t *testing.T, rawURL string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(rawURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// toLoopback resolves every name to 127.0.0.1, in place of DNS.
func toLoopback(context.Context, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

// With --allowed-project-hosts '*', a public-looking name that resolves
// to loopback (DNS rebinding, an /etc/hosts alias) must not connect: the
// host policy judges the address dialled, not just the name. No request,
// and so no key, reaches the loopback backend.
func TestNameResolvingToLoopbackIsRefused(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	h := testmcp.NewWithBackend(t, backend, testmcp.Options{
		Unconfigured: true,
		ProjectHosts: []string{"*"},
		Resolve:      toLoopback,
	})
	port := portOf(t, backend.URL)
	for _, projectURL := range []string{
		"http://project.example.test:" + port, // resolved by the test's resolver
		"http://localhost.:" + port,           // /etc/hosts, spelt with a final dot
	} {
		text := h.Fail(t, "connect-project", map[string]any{"projectUrl": projectURL, "apiKey": insforgefake.DefaultAPIKey})
		testmcp.WantText(t, text, "allowed-project-hosts")
		testmcp.WantNoText(t, text, insforgefake.DefaultAPIKey)
	}
	if n := len(backend.Requests()); n != 0 {
		t.Fatalf("the loopback backend received %d requests (and the key)", n)
	}

	// Named exactly, the same name connects.
	h = testmcp.NewWithBackend(t, backend, testmcp.Options{
		Unconfigured: true,
		ProjectHosts: []string{"*", "project.example.test:" + port},
		Resolve:      toLoopback,
	})
	h.OK(t, "connect-project", map[string]any{"projectUrl": "http://project.example.test:" + port, "apiKey": insforgefake.DefaultAPIKey})
}

// Over stdio (no host policy) a local project keeps working: local
// development on http://localhost:7130 is the common case.
func TestLocalProjectOverStdioStillConnects(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	h := testmcp.NewWithBackend(t, backend, testmcp.Options{Unconfigured: true})
	h.OK(t, "connect-project", map[string]any{"projectUrl": "http://localhost:" + portOf(t, backend.URL), "apiKey": insforgefake.DefaultAPIKey})
	h.OK(t, "get-backend-metadata", nil)
}

// A hostile (but allowed) backend hands out a presigned download URL that
// points at a service inside the operator's network. The server must not
// fetch it: nothing reaches the internal service and its content never
// reaches the agent.
func TestBackendURLsIntoTheNetworkAreNotFollowed(t *testing.T) {
	t.Parallel()
	var secretHits atomic.Int32
	secret := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secretHits.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("TOP-SECRET internal payroll"))
	}))
	t.Cleanup(secret.Close)
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.Contains(r.URL.Path, "/download-strategy/"):
			w.Write([]byte(`{"method":"presigned","url":"` + secret.URL + `/internal/secret","expiresAt":"2099-01-01T00:00:00Z"}`))
		case strings.Contains(r.URL.Path, "/objects/"):
			// A direct strategy's object route: redirect into the network.
			http.Redirect(w, r, secret.URL+"/internal/secret", http.StatusFound)
		default:
			w.Write([]byte(`{"database":{},"auth":{}}`))
		}
	}))
	t.Cleanup(hostile.Close)

	// As the HTTP transports are wired in main: the policy checks the
	// names clients give, and its DialGuard every address the transport
	// dials; the configured project is allowed.
	policy, err := credentials.ParseHostPolicy([]string{credentials.DefaultProjectHosts})
	if err != nil {
		t.Fatal(err)
	}
	srv := mcpserver.New(mcpserver.Config{
		Version:      "test",
		Surface:      catalogue.Full(),
		ToolConfig:   tools.Config{MaxResultBytes: 100000, Remote: true},
		Transport:    insforge.NewTransport(insforge.Options{Timeout: 5 * time.Second, DialGuard: policy.DialGuard(hostile.URL)}),
		Configured:   credentials.Credentials{ProjectURL: hostile.URL, APIKey: insforgefake.DefaultAPIKey},
		ProjectHosts: &policy,
	})
	c, err := client.NewInProcessClient(srv.MCP())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := testmcp.Initialize(c, mcp.LATEST_LEGACY_PROTOCOL_VERSION); err != nil {
		t.Fatal(err)
	}
	text, isErr := testmcp.CallText(t, c, "download-object", map[string]any{"bucket": "docs", "key": "payroll.csv"})
	if !isErr {
		t.Fatalf("download-object followed the backend's URL into the network: %s", text)
	}
	testmcp.WantNoText(t, text, "TOP-SECRET")
	testmcp.WantText(t, text, "allowed-project-hosts")
	if n := secretHits.Load(); n != 0 {
		t.Fatalf("the internal service received %d requests", n)
	}
}

// A key pasted into the project URL must not come back in any text the
// agent sees, whatever the error.
func TestKeyInProjectURLIsNotEchoed(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	// Every name resolves to loopback: should a URL slip through to the
	// network, it must not leave this machine.
	h := testmcp.NewWithBackend(t, backend, testmcp.Options{Unconfigured: true, Resolve: toLoopback})
	pasted := "ik_" + strings.Repeat("9f8e7d6c", 8)
	for _, projectURL := range []string{
		"https://x.insforge.app/" + pasted,
		backend.URL + "/" + pasted,
		backend.URL + "/api/" + pasted + "/",
		"http://127.0.0.1:1/" + pasted,
		"ftp://x.insforge.app/" + pasted,
		"https://x.insforge.app/ik%5F" + pasted[3:],
	} {
		for _, key := range []string{insforgefake.DefaultAPIKey, pasted} {
			res := h.Call(t, "connect-project", map[string]any{"projectUrl": projectURL, "apiKey": key})
			text := testmcp.Text(res)
			if !res.IsError {
				t.Errorf("connect-project %s: not an error: %s", projectURL, text)
			}
			if strings.Contains(text, pasted[3:20]) {
				t.Errorf("connect-project %s: the pasted key came back: %s", projectURL, text)
			}
		}
	}
}
