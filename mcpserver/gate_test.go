package mcpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

func connectArgs(b *insforgefake.Server, key string) map[string]any {
	return map[string]any{"projectUrl": b.URL, "apiKey": key}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The tool list is the same before and after connect-project, on every
// protocol version: the gate is in the calls. A locked call says what to
// do and sends nothing; connecting unlocks the calls, disconnecting locks
// them again.
func TestGateLocksCallsUntilConnected(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"", "2025-06-18", "2026-07-28"} {
		t.Run("protocol "+version, func(t *testing.T) {
			t.Parallel()
			h := testmcp.New(t, testmcp.Options{Unconfigured: true, ProtocolVersion: version, DefaultSurface: true})
			before := h.ToolNames(t)
			if !slices.Contains(before, "get-backend-metadata") || !slices.Contains(before, "connect-project") {
				t.Fatalf("the list lacks the core: %v", before)
			}

			msg := h.Fail(t, "get-backend-metadata", nil)
			if !strings.Contains(msg, "connect-project") || !strings.Contains(msg, "ik_") {
				t.Fatalf("locked message does not say what to do: %s", msg)
			}
			if n := len(h.Backend.Requests()); n != 0 {
				t.Fatalf("a locked call reached the backend (%d requests)", n)
			}

			text := h.OK(t, "connect-project", connectArgs(h.Backend, insforgefake.DefaultAPIKey))
			if !strings.Contains(text, "get-backend-metadata") || strings.Contains(text, insforgefake.DefaultAPIKey) {
				t.Fatalf("connect result: %s", text)
			}
			h.OK(t, "get-backend-metadata", nil)
			if got := h.Last(t, "GET", "/api/metadata"); got.APIKey != insforgefake.DefaultAPIKey {
				t.Fatalf("backend saw key %q", got.APIKey)
			}
			if after := h.ToolNames(t); !slices.Equal(after, before) {
				t.Fatalf("the tool list changed as a side effect of connect-project:\nbefore %v\nafter  %v", before, after)
			}
			if slices.ContainsFunc(h.Notifications(), func(n mcp.JSONRPCNotification) bool {
				return n.Method == string(mcp.MethodNotificationToolsListChanged)
			}) {
				t.Fatal("tools/list_changed sent for a list that did not change")
			}

			h.OK(t, "disconnect-project", nil)
			if version != "2026-07-28" { // no sessions there: every call carries its own credentials
				h.Fail(t, "get-backend-metadata", nil)
			}
		})
	}
}

func TestGateRejectsBadCredentials(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{Unconfigured: true})
	cases := []struct {
		args map[string]any
		want string
	}{
		{connectArgs(h.Backend, "ik_"+strings.Repeat("0", 64)), "refused the key"},
		{connectArgs(h.Backend, insforgefake.DefaultAnonKey), "anon key"},
		{map[string]any{"projectUrl": "ftp://example.com", "apiKey": insforgefake.DefaultAPIKey}, "https://"},
		{map[string]any{"projectUrl": "http://127.0.0.1:1", "apiKey": insforgefake.DefaultAPIKey}, "could not reach"},
		{map[string]any{"projectUrl": h.Backend.URL}, "missing apiKey"},
	}
	for _, tc := range cases {
		msg := h.Fail(t, "connect-project", tc.args)
		if !strings.Contains(msg, tc.want) {
			t.Errorf("connect-project %v: %q does not mention %q", tc.args["projectUrl"], msg, tc.want)
		}
		if strings.Contains(msg, insforgefake.DefaultAPIKey) {
			t.Errorf("error echoes the key: %s", msg)
		}
	}
	if msg := h.Fail(t, "get-backend-metadata", nil); !strings.Contains(msg, "connect-project") {
		t.Fatalf("a failed connect unlocked tools: %s", msg)
	}
	if len(h.Notifications()) != 0 {
		t.Fatalf("failed connects sent notifications: %v", h.Notifications())
	}
}

func TestConfiguredServerIsUnlockedFromTheStart(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	if names := h.ToolNames(t); !slices.Contains(names, "run-raw-sql") {
		t.Fatalf("configured server lists %v", names)
	}
	// An apiKey argument (official server's habit) is ignored, not an error.
	h.OK(t, "get-backend-metadata", map[string]any{"apiKey": "ik_whatever"})
	if got := h.Last(t, "GET", "/api/metadata"); got.APIKey != insforgefake.DefaultAPIKey {
		t.Fatalf("the apiKey argument replaced the configured key: %q", got.APIKey)
	}
}

func TestEveryToolsAnnotationsMeanItsHints(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{Selection: tools.Selection{Features: []tools.Feature{tools.UnrestrictedSQL}}})
	res, err := h.Client.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(catalogue.All()) - 2; len(res.Tools) < want { // all but find-tools and call-tool
		t.Fatalf("listed %d of %d tools", len(res.Tools), want)
	}
	declared := map[string]tools.Hints{}
	for _, tool := range catalogue.All() {
		declared[tool.Name] = tool.Hints
	}
	for _, tool := range res.Tools {
		if tool.Annotations.Title == "" {
			t.Errorf("%s has no title", tool.Name)
		}
		got := testmcp.Hints(tool.Annotations)
		d := declared[tool.Name]
		want := [4]bool{d.ReadOnly.Bool(), d.Destructive.Bool(), d.Idempotent.Bool(), d.OpenWorld.Bool()}
		if got != want {
			t.Errorf("%s: annotations read as %v, declared %v", tool.Name, got, want)
		}
	}
}

func TestKeyNeverReachesAResult(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	// A backend that echoes the key in an error must not get it to the agent.
	h.Backend.Fail("GET", "/api/metadata", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "boom for " + insforgefake.DefaultAPIKey})
	msg := h.Fail(t, "get-backend-metadata", nil)
	if strings.Contains(msg, insforgefake.DefaultAPIKey) || !strings.Contains(msg, "boom") {
		t.Fatalf("result: %s", msg)
	}
}

func TestResourcesDocsAndMetadata(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{Unconfigured: true})
	ctx := context.Background()
	list, err := h.Client.ListResources(ctx, mcp.ListResourcesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, r := range list.Resources {
		uris = append(uris, r.URI)
	}
	for _, want := range []string{"insforge://docs/overview", "insforge://docs/database", "insforge://docs/auth", "insforge://metadata"} {
		if !slices.Contains(uris, want) {
			t.Errorf("resources/list lacks %s (has %v)", want, uris)
		}
	}
	read := func(uri string) (string, error) {
		req := mcp.ReadResourceRequest{}
		req.Params.URI = uri
		res, err := h.Client.ReadResource(ctx, req)
		if err != nil {
			return "", err
		}
		return res.Contents[0].(mcp.TextResourceContents).Text, nil
	}
	doc, err := read("insforge://docs/overview")
	if err != nil || !strings.Contains(doc, "connect-project") {
		t.Fatalf("overview doc: %v %.80q", err, doc)
	}
	// Locked: -32600 (not -32603, internal error) with what to do.
	for _, uri := range []string{"insforge://metadata", "insforge://tables/notes"} {
		_, err := read(uri)
		if !errors.Is(err, mcp.ErrInvalidRequest) {
			t.Fatalf("%s before connect: %v; want -32600", uri, err)
		}
		testmcp.WantText(t, err.Error(), uri, "Project URL", "API key", "call connect-project with projectUrl and apiKey")
	}
	h.OK(t, "connect-project", connectArgs(h.Backend, insforgefake.DefaultAPIKey))
	meta, err := read("insforge://metadata")
	if err != nil || !json.Valid([]byte(meta)) || !strings.Contains(meta, "database") {
		t.Fatalf("metadata after connect: %v %.80q", err, meta)
	}
	h.Backend.AddTable("notes", []insforgefake.Column{{Name: "body", Type: "string", Nullable: true}})
	schema, err := read("insforge://tables/notes")
	if err != nil || !strings.Contains(schema, "body") {
		t.Fatalf("table resource: %v %.200q", err, schema)
	}
}

func TestRememberAndForget(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "credentials.json")
	h := testmcp.New(t, testmcp.Options{Unconfigured: true, CredentialsFile: file})
	args := connectArgs(h.Backend, insforgefake.DefaultAPIKey)
	args["remember"] = true
	if text := h.OK(t, "connect-project", args); !strings.Contains(text, file) {
		t.Fatalf("connect result does not name the file: %s", text)
	}
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("saved file: %v %v", st, err)
	}
	// A plain disconnect names the file it leaves and how to delete it.
	text := h.OK(t, "disconnect-project", nil)
	testmcp.WantText(t, text, "saved in "+file, "forget: true")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("a plain disconnect deleted the file: %v", err)
	}
	text = h.OK(t, "disconnect-project", map[string]any{"forget": true})
	testmcp.WantText(t, text, "Deleted the saved credentials file "+file)
	if strings.Contains(text, "forget: true") {
		t.Errorf("after forgetting, still says how to forget: %s", text)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("file still there: %v", err)
	}
}

func TestDocsWorkWithoutAProject(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{Unconfigured: true})
	text := h.OK(t, "fetch-docs", map[string]any{"docType": "db-sdk"})
	if !strings.Contains(text, "Built-in guide") || !strings.Contains(text, "run-raw-sql") {
		t.Fatalf("fetch-docs offline: %.300s", text)
	}
	msg := h.Fail(t, "fetch-docs", map[string]any{"docType": "nope"})
	if !strings.Contains(msg, "docType") {
		t.Fatalf("bad enum message: %s", msg)
	}
	h.OK(t, "connect-project", connectArgs(h.Backend, insforgefake.DefaultAPIKey))
	text = h.OK(t, "fetch-sdk-docs", map[string]any{"sdkFeature": "db", "sdkLanguage": "swift"})
	if !strings.Contains(text, "<untrusted-data-") {
		t.Fatalf("backend docs are not marked untrusted: %.300s", text)
	}
	h.Last(t, "GET", "/api/docs/db/swift")
}

func TestBadArgumentsGetClearErrors(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	if msg := h.Fail(t, "get-table-schema", map[string]any{"tablename": "x"}); !strings.Contains(msg, "tableName") {
		t.Fatalf("typo message: %s", msg)
	}
	if msg := h.Fail(t, "get-table-schema", map[string]any{"tableName": 42}); !strings.Contains(msg, "string") {
		t.Fatalf("type message: %s", msg)
	}
	if msg := h.Fail(t, "get-table-schema", map[string]any{"tableName": "missing"}); !strings.Contains(msg, "list-tables") {
		t.Fatalf("404 message: %s", msg)
	}
}

// The user enters the key on the local connect page: it reaches the server
// without ever being a tool argument or appearing in a result.
func TestInteractiveConnectThroughALocalPage(t *testing.T) {
	t.Parallel()
	var backendURL string
	var pageErr string
	h := testmcp.New(t, testmcp.Options{
		Unconfigured: true,
		Elicit: func(ctx context.Context, r mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
			if r.Params.Mode != mcp.ElicitationModeURL || !strings.HasPrefix(r.Params.URL, "http://127.0.0.1:") {
				t.Errorf("elicitation %+v", r.Params)
			}
			// The user: a wrong key first (the page says so), then the right one.
			for _, key := range []string{"ik_wrong", insforgefake.DefaultAPIKey} {
				form := url.Values{"projectUrl": {backendURL}, "apiKey": {key}}
				resp, err := http.PostForm(r.Params.URL, form)
				if err != nil {
					return nil, err
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if key == "ik_wrong" {
					pageErr = string(body)
				}
			}
			// A replayed submission is refused: the page is single-use.
			if resp, err := http.PostForm(r.Params.URL, url.Values{"projectUrl": {backendURL}, "apiKey": {insforgefake.DefaultAPIKey}}); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					t.Error("the connect page accepted a second submission")
				}
			}
			return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept}}, nil
		},
		ElicitURL: true,
	})
	backendURL = h.Backend.URL
	text := h.OK(t, "connect-project", nil)
	if !strings.Contains(text, "Connected to "+h.Backend.URL) || strings.Contains(text, insforgefake.DefaultAPIKey) {
		t.Fatalf("interactive connect: %s", text)
	}
	if !strings.Contains(pageErr, "refused the key") || strings.Contains(pageErr, "ik_wrong") {
		t.Fatalf("page error for a wrong key: %.400s", pageErr)
	}
	h.OK(t, "get-backend-metadata", nil)
}

func TestInteractiveConnectFallsBackToArguments(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{Unconfigured: true}) // no elicitation support
	msg := h.Fail(t, "connect-project", nil)
	if !strings.Contains(msg, "needs projectUrl and apiKey") {
		t.Fatalf("fallback: %s", msg)
	}
}

// In read-only mode run-raw-sql refuses writes itself, and its annotations
// say it is read-only.
// In read-only mode every served tool is annotated read-only except
// run-raw-sql: its refusal of writes is a check of the SQL text, so it keeps
// saying it may write, and clients that auto-approve read-only tools still
// ask before running it.
func TestReadOnlyModeAnnotations(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{Selection: tools.Selection{ReadOnly: true}})
	res, err := h.Client.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range res.Tools {
		ro := testmcp.Hints(tool.Annotations)[0]
		switch tool.Name {
		case "run-raw-sql":
			if ro {
				t.Error("run-raw-sql is annotated read-only: clients may run it without asking")
			}
		case "connect-project", "disconnect-project", "call-tool":
		default:
			if !ro {
				t.Errorf("%s is served in read-only mode but not annotated read-only", tool.Name)
			}
		}
	}
	if !slices.Contains(testmcp.ToolNames(t, h.Client), "run-raw-sql") {
		t.Fatal("run-raw-sql missing in read-only mode")
	}
}

// A DELETE that ends a streamable HTTP session while its connect-project is
// still checking the key must leave no key behind: the session's cleanup
// has run already, so a key stored afterwards would stay for the life of
// the process. The backend holds /api/metadata until the DELETE is done.
func TestDeleteDuringConnectKeepsNoKey(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/metadata" {
			http.NotFound(w, r)
			return
		}
		once.Do(func() { close(arrived) })
		<-release
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"database":{"tables":[]},"auth":{}}`)
	}))
	t.Cleanup(backend.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})

	srv := mcpserver.New(mcpserver.Config{
		Version:    "test",
		Surface:    catalogue.Full(),
		ToolConfig: tools.Config{MaxResultBytes: 100000},
		Transport:  insforge.NewTransport(insforge.Options{Timeout: 10 * time.Second}),
	})
	ts := httptest.NewServer(srv.StreamableHandler(mcpserver.HTTPOptions{Loopback: true}))
	t.Cleanup(ts.Close)
	c := dialStreamable(t, ts.URL+"/mcp")
	sid := c.GetSessionId()

	done := make(chan string, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "connect-project"
		req.Params.Arguments = map[string]any{"projectUrl": backend.URL, "apiKey": insforgefake.DefaultAPIKey}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res, err := c.CallTool(ctx, req)
		switch {
		case err != nil:
			done <- "error: " + err.Error()
		default:
			done <- testmcp.Text(res)
		}
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("connect-project never reached the backend")
	}
	del, _ := http.NewRequest(http.MethodDelete, ts.URL+"/mcp", nil)
	del.Header.Set("Mcp-Session-Id", sid)
	resp, err := http.DefaultClient.Do(del)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	close(release)
	select {
	case text := <-done:
		t.Logf("connect-project answered: %s", text)
	case <-time.After(15 * time.Second):
		t.Fatal("connect-project did not finish")
	}
	if n := mcpserver.StoredCredentials(srv); n != 0 {
		t.Fatalf("%d sessions hold a key after their session was deleted", n)
	}
}
