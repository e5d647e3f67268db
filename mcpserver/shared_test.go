package mcpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/redistest"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/sessionstore"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// replica is one in-process server with its own connection to the store.
type replica struct {
	srv  *mcpserver.Server
	host string
}

// newReplica builds a server with its own connection to the store.
func newReplica(t *testing.T, rs *redistest.Server, confirm bool, perKey int) *mcpserver.Server {
	t.Helper()
	store, err := sessionstore.Open(context.Background(), sessionstore.Options{URL: rs.URL(0), Secrets: []string{"a-secret-of-at-least-thirty-two-bytes!"}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return mcpserver.New(mcpserver.Config{
		Version:            "test",
		Surface:            catalogue.Full(),
		ToolConfig:         tools.Config{MaxResultBytes: 100000, Remote: true},
		Transport:          insforge.NewTransport(insforge.Options{Timeout: 5 * time.Second}),
		ConfirmDestructive: confirm,
		MaxCallsPerSession: 2,
		MaxCallsPerKey:     perKey,
		Store:              store,
	})
}

func startReplica(t *testing.T, rs *redistest.Server, perKey int) replica {
	t.Helper()
	srv := newReplica(t, rs, true, perKey)
	h := srv.StreamableHandler(mcpserver.HTTPOptions{Loopback: true})
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = h.(interface{ Shutdown(context.Context) error }).Shutdown(ctx)
		ts.Close()
	})
	u, _ := url.Parse(ts.URL)
	return replica{srv: srv, host: u.Host}
}

// hopper sends the GET stream to one replica and each POST to the next of
// the others, in turn: no stickiness. It records where the client's
// answers to server requests went.
type hopper struct {
	stream string
	posts  []string
	mu     sync.Mutex
	next   int
	lastTo string // where the last POST went
	callTo string // where the last tools/call went
	answer string // where the last answer to a server request went
}

func (h *hopper) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	h.mu.Lock()
	if r.Method == http.MethodGet {
		r.URL.Host = h.stream
	} else {
		r.URL.Host = h.posts[h.next%len(h.posts)]
		h.next++
		h.lastTo = r.URL.Host
		if r.Body != nil {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var m map[string]any
			if json.Unmarshal(body, &m) == nil && m["method"] == nil && m["result"] != nil {
				h.answer = r.URL.Host
			} else if m["method"] == "tools/call" {
				h.callTo = r.URL.Host
			}
		}
	}
	h.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// Issue 14: three replicas and one Redis. The client's stream is held by
// A while its requests hop between B and C: the key connected on one
// replica serves calls on the other, a notification sent from B reaches
// A's stream, and a confirmation asked on one replica is answered
// through the other.
func TestReplicasShareSessions(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	backend := insforgefake.New(t)
	a, b, c := startReplica(t, rs, 0), startReplica(t, rs, 0), startReplica(t, rs, 0)
	hop := &hopper{stream: a.host, posts: []string{b.host, c.host}}
	tr, err := transport.NewStreamableHTTP("http://"+a.host+"/mcp", transport.WithContinuousListening(),
		transport.WithHTTPBasicClient(&http.Client{Transport: hop}))
	if err != nil {
		t.Fatal(err)
	}
	asked := make(chan struct{}, 1)
	cl := client.NewClient(tr, client.WithElicitationHandler(elicitor(func() {
		asked <- struct{}{}
	})))
	notes := make(chan string, 8)
	cl.OnNotification(func(n mcp.JSONRPCNotification) { notes <- n.Method })
	t.Cleanup(func() { cl.Close() })
	if err := testmcp.Initialize(cl, "2025-11-25"); err != nil {
		t.Fatal(err)
	}
	if text, isErr := testmcp.CallText(t, cl, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": insforgefake.DefaultAPIKey}); isErr {
		t.Fatalf("connect-project: %s", text)
	}
	for range 4 {
		if text, isErr := testmcp.CallText(t, cl, "get-backend-metadata", nil); isErr {
			t.Fatalf("metadata on %s: %s", hop.callTo, text)
		}
	}

	// The GET stream is open on A once the client has made it.
	id := tr.GetSessionId()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := mcpserver.NotifySession(b.srv, context.Background(), id, "notifications/tools/list_changed"); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-notes:
			if m != "notifications/tools/list_changed" {
				t.Fatalf("got %s", m)
			}
		case <-time.After(200 * time.Millisecond):
			if time.Now().Before(deadline) {
				continue
			}
			t.Fatal("list_changed sent from B never reached the stream held by A")
		}
		break
	}

	backend.AddTable("old", []insforgefake.Column{{Name: "x", Type: "string", Nullable: true}})
	text, isErr := testmcp.CallText(t, cl, "delete-table", map[string]any{"tableName": "old"})
	select {
	case <-asked:
	default:
		t.Fatalf("the user was not asked: %s", text)
	}
	hop.mu.Lock()
	answeredOn, calledOn := hop.answer, hop.callTo
	hop.mu.Unlock()
	if isErr || answeredOn == "" || answeredOn == calledOn {
		t.Fatalf("confirmation answered on %q for a call on %q: %v %s", answeredOn, calledOn, isErr, text)
	}
	if n := rs.AssertAbsent(t, insforgefake.DefaultAPIKey); n == 0 {
		t.Fatal("nothing in Redis")
	}
	if strings.Contains(text, insforgefake.DefaultAPIKey) {
		t.Fatal("key in a result")
	}
}

type elicitor func()

func (f elicitor) Elicit(ctx context.Context, r mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	f()
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{
		Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{"confirm": true},
	}}, nil
}

// On the SSE transport, POST /message may reach any replica: the one
// holding the stream answers on it.
func TestSSEMessagesReachAnyReplica(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	backend := insforgefake.New(t)
	a, b := startSSEReplica(t, rs), startSSEReplica(t, rs)
	hop := &hopper{stream: a.host, posts: []string{b.host}}
	tr, err := transport.NewSSE("http://"+a.host+"/sse", transport.WithHTTPClient(&http.Client{Transport: hop}))
	cl := started(t, tr, err)
	if text, isErr := testmcp.CallText(t, cl, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": insforgefake.DefaultAPIKey}); isErr {
		t.Fatalf("connect-project: %s", text)
	}
	if text, isErr := testmcp.CallText(t, cl, "get-backend-metadata", nil); isErr {
		t.Fatalf("metadata: %s", text)
	}
	hop.mu.Lock()
	defer hop.mu.Unlock()
	if hop.callTo != b.host {
		t.Fatalf("calls went to %s, not B", hop.callTo)
	}
}

func startSSEReplica(t *testing.T, rs *redistest.Server) replica {
	t.Helper()
	srv := newReplica(t, rs, false, 0)
	ts := serveSSE(t, srv, mcpserver.HTTPOptions{Loopback: true})
	u, _ := url.Parse(ts.URL)
	return replica{srv: srv, host: u.Host}
}

// --max-calls-per-key counts a key's calls on every replica together.
func TestKeyRateHoldsAcrossReplicas(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	backend := insforgefake.New(t)
	a, b := startReplica(t, rs, 3), startReplica(t, rs, 3)
	hop := &hopper{stream: a.host, posts: []string{a.host, b.host}}
	tr, err := transport.NewStreamableHTTP("http://"+a.host+"/mcp", transport.WithHTTPBasicClient(&http.Client{Transport: hop}),
		transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + insforgefake.DefaultAPIKey, mcpserver.HeaderProjectURL: backend.URL}))
	cl := started(t, tr, err)
	for i := range 3 {
		if text, isErr := testmcp.CallText(t, cl, "get-backend-metadata", nil); isErr {
			t.Fatalf("call %d: %s", i+1, text)
		}
	}
	text, isErr := testmcp.CallText(t, cl, "get-backend-metadata", nil)
	if !isErr || !strings.Contains(text, "--max-calls-per-key") {
		t.Fatalf("fourth call in the minute, over two replicas: %v %s", isErr, text)
	}
}

// started initializes a client on tr (err: tr's construction).
func started(t *testing.T, tr transport.Interface, err error) *client.Client {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	cl := client.NewClient(tr)
	t.Cleanup(func() { cl.Close() })
	if err := testmcp.Initialize(cl, "2025-11-25"); err != nil {
		t.Fatal(err)
	}
	return cl
}
