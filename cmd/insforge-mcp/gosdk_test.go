package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
)

// TestGoSDKInterop drives the binary with the official Go SDK client
// (github.com/modelcontextprotocol/go-sdk) over stdio and streamable HTTP:
// initialize, tools/list, a locked resource read, connect-project, tool
// calls, resources/read, and over stdio create-deployment with a progress
// token, whose last progress must reach the client.
func TestGoSDKInterop(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, version string
		// headers: the credentials go in headers on every request, as a
		// client of protocol 2026-07-28 (the SDK's default, without
		// sessions) must send them over HTTP.
		headers bool
	}{
		{name: "stdio"},
		{name: "http 2025-11-25", version: "2025-11-25"},
		{name: "http 2026-07-28", headers: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			backend := insforgefake.New(t)
			backend.AddTable("interop_todos", []insforgefake.Column{{Name: "title", Type: "string"}})
			var transport mcp.Transport
			if tc.name == "stdio" {
				cmd := exec.Command(binary, "--credentials-file", "none")
				cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
				cmd.Stderr = &lockedBuffer{}
				transport = &mcp.CommandTransport{Command: cmd}
			} else {
				base, _, _ := startServer(t, "http")
				st := &mcp.StreamableClientTransport{Endpoint: base + "/mcp"}
				if tc.headers {
					st.HTTPClient = &http.Client{Transport: withHeaders{
						"X-InsForge-Project-URL": backend.URL,
						"Authorization":          "Bearer " + insforgefake.DefaultAPIKey,
					}}
				}
				transport = st
			}
			var mu sync.Mutex
			progress := map[string][]string{} // token → messages
			client := mcp.NewClient(&mcp.Implementation{Name: "go-sdk-interop", Version: "1"}, &mcp.ClientOptions{
				ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
					mu.Lock()
					defer mu.Unlock()
					tok := fmt.Sprint(r.Params.ProgressToken)
					progress[tok] = append(progress[tok], r.Params.Message)
				},
			})
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			session, err := client.Connect(ctx, transport, &mcp.ClientSessionOptions{ProtocolVersion: tc.version})
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer session.Close()

			list, err := session.ListTools(ctx, nil)
			if err != nil {
				t.Fatalf("tools/list: %v", err)
			}
			var names []string
			for _, tool := range list.Tools {
				names = append(names, tool.Name)
			}
			for _, want := range defaultSurface {
				if !slices.Contains(names, want) {
					t.Errorf("tools/list lacks %s: %v", want, names)
				}
			}

			call := func(name string, args map[string]any) string {
				t.Helper()
				res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				text := toolText(res)
				if res.IsError {
					t.Fatalf("%s failed: %s", name, text)
				}
				return text
			}
			if !tc.headers {
				// Locked: the resource read says what to do, as -32600.
				_, err = session.ReadResource(ctx, &mcp.ReadResourceParams{URI: "insforge://metadata"})
				var rpcErr *jsonrpc.Error
				if !errors.As(err, &rpcErr) || rpcErr.Code != jsonrpc.CodeInvalidRequest || !strings.Contains(rpcErr.Message, "call connect-project") {
					t.Errorf("insforge://metadata before connect-project: %v", err)
				}
				call("connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": insforgefake.DefaultAPIKey})
			}
			if text := call("run-raw-sql", map[string]any{"query": "SELECT 1 AS one"}); !strings.Contains(text, "rows") {
				t.Errorf("run-raw-sql: %s", text)
			}
			if text := call("call-tool", map[string]any{"name": "list-tables", "arguments": map[string]any{}}); !strings.Contains(text, "interop_todos") {
				t.Errorf("call-tool list-tables: %s", text)
			}
			meta, err := session.ReadResource(ctx, &mcp.ReadResourceParams{URI: "insforge://metadata"})
			if err != nil || len(meta.Contents) == 0 || !json.Valid([]byte(meta.Contents[0].Text)) || !strings.Contains(meta.Contents[0].Text, "database") {
				t.Fatalf("insforge://metadata: %v %+v", err, meta)
			}

			if tc.name != "stdio" {
				return // deploying a folder is for a local server
			}
			app := t.TempDir()
			for name, text := range map[string]string{"index.html": "<!doctype html>\n", "package.json": `{"name":"app"}`} {
				if err := os.WriteFile(filepath.Join(app, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 5 {
				token := fmt.Sprintf("deploy-%d", i)
				params := &mcp.CallToolParams{Name: "create-deployment", Arguments: map[string]any{"sourceDirectory": app, "wait": false}}
				params.SetProgressToken(token)
				res, err := session.CallTool(ctx, params)
				if err != nil || res.IsError {
					t.Fatalf("create-deployment: %v %s", err, toolText(res))
				}
				// The SDK hands notifications to its handler on a goroutine of
				// its own; the wire order is checked in mcpserver. Here the
				// last progress must arrive at all.
				deadline := time.Now().Add(5 * time.Second)
				for {
					mu.Lock()
					msgs := progress[token]
					mu.Unlock()
					if len(msgs) > 0 && strings.Contains(msgs[len(msgs)-1], " is ") {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("create-deployment %s: progress %q never reached the deployment's status", token, msgs)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
}

func toolText(res *mcp.CallToolResult) string {
	if res == nil {
		return ""
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// withHeaders adds headers to every request.
type withHeaders map[string]string

func (h withHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return http.DefaultTransport.RoundTrip(r)
}
