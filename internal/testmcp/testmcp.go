// Package testmcp drives the server the way a client does, for tests: an
// mcp-go in-process client talks MCP to a server wired to a fake InsForge
// backend (package insforgefake).
package testmcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// Options shape the server under test.
type Options struct {
	// Unconfigured starts the server without credentials (the gate is shut).
	Unconfigured bool
	// Selection picks tools; without toolsets or tools it lists every
	// tool (--toolsets all), unless DefaultSurface is set.
	Selection tools.Selection
	// DefaultSurface keeps the server's default surface (--toolsets
	// default) when Selection names no toolsets.
	DefaultSurface bool
	// MaxResultBytes defaults to 100000.
	MaxResultBytes int
	// Backend options for the fake.
	Backend []insforgefake.Option
	// ProtocolVersion pins the client's protocol (default 2025-11-25, with sessions).
	ProtocolVersion string
	// CredentialsFile enables remember/forget.
	CredentialsFile string
	// Remote makes tools behave as over the HTTP transports (local files
	// are off limits unless FilesRoot is set).
	Remote bool
	// FilesRoot is --files-root.
	FilesRoot string
	// ConfirmDestructive is --confirm-destructive.
	ConfirmDestructive bool
	// Elicit, when set, answers the server's elicitation requests (the
	// client then declares the elicitation capability).
	Elicit func(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error)
	// ElicitURL declares URL-mode elicitation support too.
	ElicitURL bool
	// ProjectHosts, when set, is --allowed-project-hosts as over the HTTP
	// transports: it checks the project URLs clients name and, through
	// the transport's DialGuard, every address dialled (the configured
	// fake backend is allowed, as the server allows its configured
	// project).
	ProjectHosts []string
	// Resolve replaces DNS in the server's transport (a name that
	// resolves to loopback, without /etc/hosts).
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
}

type elicitFunc func(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error)

func (f elicitFunc) Elicit(ctx context.Context, r mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	return f(ctx, r)
}

// Harness is a connected client, its server and the fake backend.
type Harness struct {
	Backend *insforgefake.Server
	Server  *mcpserver.Server
	Client  *client.Client

	mu            sync.Mutex
	notifications []mcp.JSONRPCNotification
}

// New builds everything and initializes the client.
func New(t testing.TB, o Options) *Harness {
	t.Helper()
	backend := insforgefake.New(t, o.Backend...)
	return NewWithBackend(t, backend, o)
}

// NewWithBackend is New with an existing fake backend.
func NewWithBackend(t testing.TB, backend *insforgefake.Server, o Options) *Harness {
	t.Helper()
	sel := o.Selection
	if len(sel.Toolsets) == 0 && len(sel.Tools) == 0 && !o.DefaultSurface {
		sel.Toolsets = []string{"all"}
	}
	selected, err := catalogue.Select(sel)
	if err != nil {
		t.Fatalf("select tools: %v", err)
	}
	if o.MaxResultBytes == 0 {
		o.MaxResultBytes = 100000
	}
	topts := insforge.Options{Timeout: 5 * time.Second, RetryWait: 10 * time.Millisecond, Resolve: o.Resolve}
	var hosts *credentials.HostPolicy
	if o.ProjectHosts != nil {
		policy, err := credentials.ParseHostPolicy(o.ProjectHosts)
		if err != nil {
			t.Fatalf("project hosts: %v", err)
		}
		hosts = &policy
		configured := ""
		if !o.Unconfigured {
			configured = backend.URL
		}
		topts.DialGuard = policy.DialGuard(configured)
	}
	cfg := mcpserver.Config{
		Version:            "test",
		Surface:            selected,
		ToolConfig:         tools.Config{ReadOnly: o.Selection.ReadOnly, MaxResultBytes: o.MaxResultBytes, Remote: o.Remote, FilesRoot: o.FilesRoot},
		Transport:          insforge.NewTransport(topts),
		ProjectHosts:       hosts,
		CredentialsFile:    o.CredentialsFile,
		AllowRemember:      o.CredentialsFile != "",
		ConfirmDestructive: o.ConfirmDestructive,
		InteractiveConnect: true,
	}
	if !o.Unconfigured {
		cfg.Configured = credentials.Credentials{ProjectURL: backend.URL, APIKey: insforgefake.DefaultAPIKey}
	}
	srv := mcpserver.New(cfg)
	var copts []client.ClientOption
	if o.Elicit != nil {
		copts = append(copts, client.WithElicitationHandler(elicitFunc(o.Elicit)))
		caps := &mcp.ElicitationCapability{Form: &struct{}{}}
		if o.ElicitURL {
			caps.URL = &struct{}{}
		}
		copts = append(copts, client.WithClientCapabilities(mcp.ClientCapabilities{Elicitation: caps}))
	}
	return connect(t, &Harness{Backend: backend, Server: srv}, o.ProtocolVersion, copts...)
}

// connect attaches an in-process client to h.Server, records the
// notifications it receives and initializes it at version (default: the
// latest protocol with sessions).
func connect(t testing.TB, h *Harness, version string, copts ...client.ClientOption) *Harness {
	t.Helper()
	c, err := client.NewInProcessClientWithOptions(h.Server.MCP(), copts...)
	if err != nil {
		t.Fatalf("in-process client: %v", err)
	}
	h.Client = c
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		h.mu.Lock()
		h.notifications = append(h.notifications, n)
		h.mu.Unlock()
	})
	t.Cleanup(func() { c.Close() })
	if version == "" {
		version = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	}
	if err := Initialize(c, version); err != nil {
		t.Fatal(err)
	}
	return h
}

// Initialize starts c and performs the initialize handshake at the given
// protocol version, within 10 s. (Start gets a context without deadline:
// the stdio and SSE transports live as long as it does.)
func Initialize(c *client.Client, version string) error {
	if err := c.Start(context.Background()); err != nil {
		return fmt.Errorf("start client: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = version
	init.Params.ClientInfo = mcp.Implementation{Name: "insforge-mcp-tests", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		return fmt.Errorf("initialize at %s: %w", version, err)
	}
	return nil
}

// Notifications returns the notifications received so far.
func (h *Harness) Notifications() []mcp.JSONRPCNotification {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]mcp.JSONRPCNotification(nil), h.notifications...)
}

// ToolNames lists the tools the client sees.
func (h *Harness) ToolNames(t testing.TB) []string { return ToolNames(t, h.Client) }

// Call calls a tool and returns its raw result; a protocol error fails the test.
func (h *Harness) Call(t testing.TB, name string, args map[string]any) *mcp.CallToolResult {
	return Call(t, h.Client, name, args)
}

// ToolNames lists the tools any connected mcp-go client sees.
func ToolNames(t testing.TB, c *client.Client) []string {
	t.Helper()
	res, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	names := make([]string, len(res.Tools))
	for i, tool := range res.Tools {
		names[i] = tool.Name
	}
	return names
}

// Call calls a tool through any connected mcp-go client (in-process, stdio,
// SSE or streamable HTTP); a protocol error fails the test.
func Call(t testing.TB, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("tools/call %s: %v", name, err)
	}
	return res
}

// CallText is Call returning the result's text and whether it is an error.
func CallText(t testing.TB, c *client.Client, name string, args map[string]any) (string, bool) {
	t.Helper()
	res := Call(t, c, name, args)
	return Text(res), res.IsError
}

// OK calls a tool that must succeed and returns its text.
func (h *Harness) OK(t testing.TB, name string, args map[string]any) string {
	t.Helper()
	res := h.Call(t, name, args)
	text := Text(res)
	if res.IsError {
		t.Fatalf("%s failed: %s", name, text)
	}
	return text
}

// Fail calls a tool that must fail with an error result and returns its text.
func (h *Harness) Fail(t testing.TB, name string, args map[string]any) string {
	t.Helper()
	res := h.Call(t, name, args)
	text := Text(res)
	if !res.IsError {
		t.Fatalf("%s succeeded but should have failed: %s", name, text)
	}
	return text
}

// Structured calls a tool that must succeed and decodes its structured content into out.
func (h *Harness) Structured(t testing.TB, name string, args map[string]any, out any) {
	t.Helper()
	res := h.Call(t, name, args)
	if res.IsError {
		t.Fatalf("%s failed: %s", name, Text(res))
	}
	if res.StructuredContent == nil {
		t.Fatalf("%s returned no structured content: %s", name, Text(res))
	}
	data, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatalf("encode structured content: %v", err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("decode structured content of %s: %v (%s)", name, err, data)
	}
}

// Text joins the text contents of a result.
func Text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// Last returns the last backend request whose path equals path (method too
// when non-empty), failing the test when there is none.
func (h *Harness) Last(t testing.TB, method, path string) insforgefake.Request {
	t.Helper()
	reqs := h.Backend.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Path == path && (method == "" || reqs[i].Method == method) {
			return reqs[i]
		}
	}
	t.Fatalf("the backend received no %s %s; it received %d requests", method, path, len(reqs))
	return insforgefake.Request{}
}
