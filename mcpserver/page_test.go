package mcpserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// pageServer serves one transport with o on loopback.
func pageServer(t *testing.T, kind string, o mcpserver.HTTPOptions) string {
	t.Helper()
	srv := mcpserver.New(mcpserver.Config{
		Version: "9.8.7-test", Surface: catalogue.Full(), ToolConfig: tools.Config{MaxResultBytes: 100000},
		Transport: insforge.NewTransport(insforge.Options{Timeout: 5 * time.Second}),
	})
	var h http.Handler
	if kind == "sse" {
		h, _ = srv.SSEHandler(o, "http://127.0.0.1")
	} else {
		h = srv.StreamableHandler(o)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

// get answers a request within 5 s, or fails: a page must never hang.
func get(t *testing.T, method, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if h := header["Host"]; h != "" {
		req.Host = h
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s body: %v", method, url, err)
	}
	return resp, string(body)
}

const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func TestPageForBrowsersAndHealthz(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ kind, endpoint, transport string }{{"http", "/mcp", "http"}, {"sse", "/sse", "sse"}} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			base := pageServer(t, tc.kind, mcpserver.HTTPOptions{Loopback: true, AuthToken: "s3cret-token"})
			endpoint := base + tc.endpoint
			for _, path := range []string{"/", tc.endpoint} {
				resp, body := get(t, http.MethodGet, base+path, map[string]string{"Accept": browser, "Host": `evil.example"><script>x()</script>`})
				if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || resp.Header.Get("Content-Security-Policy") == "" {
					t.Fatalf("GET %s: %d %v", path, resp.StatusCode, resp.Header)
				}
				for _, want := range []string{
					"<code>" + endpoint + "</code>", "9.8.7-test",
					"claude mcp add --transport " + tc.transport + " insforge " + endpoint + ` --header &#34;Authorization: Bearer &lt;token&gt;&#34;`,
					"mcp-remote", "Add custom connector", ".vscode/mcp.json", "&#34;type&#34;: &#34;" + tc.transport + "&#34;", "~/.cursor/mcp.json", "connect-project",
				} {
					if !strings.Contains(body, want) {
						t.Errorf("GET %s lacks %q", path, want)
					}
				}
				if strings.Contains(body, "evil.example") || strings.Contains(body, "<script") || strings.Contains(body, "s3cret-token") {
					t.Errorf("GET %s reflects the Host header or shows the token:\n%s", path, body)
				}
				if len(body) > 6000 {
					t.Errorf("GET %s: the page is %d bytes; keep it small", path, len(body))
				}
			}
			resp, body := get(t, http.MethodGet, base+"/healthz", nil)
			if resp.StatusCode != 200 || body != "ok\n" {
				t.Errorf("/healthz: %d %q", resp.StatusCode, body)
			}
			if resp, _ := get(t, http.MethodPost, base+"/", nil); resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("POST /: %d", resp.StatusCode)
			}
			// The MCP endpoint itself still needs the token.
			if resp, _ := get(t, http.MethodGet, endpoint, map[string]string{"Accept": "text/event-stream"}); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("GET %s as a client, without the token: %d", tc.endpoint, resp.StatusCode)
			}
		})
	}
}

// With --base-url, the page names that address.
func TestPageNamesTheBaseURL(t *testing.T) {
	t.Parallel()
	base := pageServer(t, "http", mcpserver.HTTPOptions{Loopback: true, BaseURL: "https://mcp.example.com/"})
	_, body := get(t, http.MethodGet, base+"/", nil)
	if !strings.Contains(body, "<code>https://mcp.example.com/mcp</code>") || strings.Contains(body, "127.0.0.1") || strings.Contains(body, "--allow-http") {
		t.Errorf("page with --base-url:\n%s", body)
	}
	// mcp-remote refuses plain HTTP beyond loopback unless told.
	base = pageServer(t, "http", mcpserver.HTTPOptions{BaseURL: "http://mcp.lan:8080"})
	if _, body := get(t, http.MethodGet, base+"/", nil); !strings.Contains(body, "--allow-http") {
		t.Errorf("page for a plain-HTTP LAN address lacks --allow-http:\n%s", body)
	}
}
