package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
)

// The HTTP transports pass the host policy down to the InsForge transport:
// a backend the operator allowed (named exactly) cannot make the server
// fetch another loopback address with a presigned URL, and so cannot read
// services in the operator's network through it.
func TestHTTPServerDoesNotFollowBackendURLsIntoTheNetwork(t *testing.T) {
	t.Parallel()
	var secretHits atomic.Int32
	secret := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secretHits.Add(1)
		w.Write([]byte("TOP-SECRET internal payroll"))
	}))
	t.Cleanup(secret.Close)
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.URL.Path, "/download-strategy/") {
			w.Write([]byte(`{"method":"presigned","url":"` + secret.URL + `/internal/secret"}`))
			return
		}
		w.Write([]byte(`{"database":{},"auth":{}}`))
	}))
	t.Cleanup(hostile.Close)

	base, _, stderr := startServer(t, "http", "--allowed-project-hosts", strings.TrimPrefix(hostile.URL, "http://"))
	tr, err := transport.NewStreamableHTTP(base + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, client.WithProtocolVersion("2025-11-25"))
	t.Cleanup(func() { c.Close() })
	if err := testmcp.Initialize(c, "2025-11-25"); err != nil {
		t.Fatalf("%v (%s)", err, stderr.String())
	}
	if text, isErr := testmcp.CallText(t, c, "connect-project", map[string]any{"projectUrl": hostile.URL, "apiKey": insforgefake.DefaultAPIKey}); isErr {
		t.Fatalf("connect to the allowed backend: %s", text)
	}
	text, isErr := testmcp.CallText(t, c, "download-object", map[string]any{"bucket": "docs", "key": "payroll.csv"})
	if !isErr || strings.Contains(text, "TOP-SECRET") || secretHits.Load() != 0 {
		t.Fatalf("download-object followed the backend into the network (%d requests): %s", secretHits.Load(), text)
	}
	testmcp.WantText(t, text, "allowed-project-hosts")
}
