package mcpserver_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// getPrompt runs prompts/get and returns the text of its one message.
func getPrompt(t *testing.T, h *testmcp.Harness, name string, args map[string]string) string {
	t.Helper()
	req := mcp.GetPromptRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := h.Client.GetPrompt(context.Background(), req)
	if err != nil {
		t.Fatalf("prompts/get %s: %v", name, err)
	}
	if len(res.Messages) != 1 || res.Messages[0].Role != mcp.RoleUser {
		t.Fatalf("prompts/get %s: want one user message, got %+v", name, res.Messages)
	}
	tc, ok := res.Messages[0].Content.(mcp.TextContent)
	if !ok {
		t.Fatalf("prompts/get %s: content is %T, want text", name, res.Messages[0].Content)
	}
	return tc.Text
}

// Issue 15, item 8: the six workflows are prompts, with optional
// arguments; each text starts with the credentials and the metadata and
// names tools by how this server offers them.
func TestPromptsThroughTheProtocol(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{DefaultSurface: true, Unconfigured: true})
	list, err := h.Client.ListPrompts(context.Background(), mcp.ListPromptsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list.Prompts {
		names = append(names, p.Name)
		if p.Title == "" || p.Description == "" || len(p.Description) > 100 {
			t.Errorf("%s: title %q, description %q (want both, the description terse)", p.Name, p.Title, p.Description)
		}
		for _, a := range p.Arguments {
			if a.Required || a.Description == "" {
				t.Errorf("%s: argument %+v should be optional and described", p.Name, a)
			}
		}
	}
	slices.Sort(names)
	want := []string{"add-auth", "deploy-frontend", "deploy-function", "diagnose-logs", "setup-backend", "store-uploads"}
	if !slices.Equal(names, want) {
		t.Fatalf("prompts/list = %v, want %v", names, want)
	}

	// Locked: a prompt needs no project; it says to connect first.
	text := getPrompt(t, h, "store-uploads", map[string]string{"bucket": "avatars", "visibility": "private"})
	testmcp.WantText(t, text, "`connect-project`", "`get-backend-metadata`", "bucket `avatars`", "`isPublic: false`")
	if strings.Index(text, "`connect-project`") > strings.Index(text, "`get-backend-metadata`") || strings.Index(text, "`get-backend-metadata`") > strings.Index(text, "`create-bucket`") {
		t.Errorf("not credentials, then metadata, then the module:\n%s", text)
	}
	// The default surface lists create-bucket but not list-objects: the
	// text says to reach that one through call-tool.
	_, notes, _ := strings.Cut(text, "Not in your tool list, but served:")
	testmcp.WantText(t, notes, "`list-objects`", "`call-tool`")
	testmcp.WantNoText(t, notes, "`create-bucket`", "does not offer")

	// Without arguments the text asks the user instead.
	testmcp.WantText(t, getPrompt(t, h, "diagnose-logs", nil), "Ask the user what fails", "`get-container-logs`", "`search-logs`")

	if _, err := h.Client.GetPrompt(context.Background(), mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: "no-such-prompt"}}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("an unknown prompt: %v", err)
	}
}

// With every tool listed there is nothing to reach through call-tool; in
// read-only mode the writing steps are named as not offered.
func TestPromptsFollowTheSurface(t *testing.T) {
	t.Parallel()
	all := testmcp.New(t, testmcp.Options{})
	text := getPrompt(t, all, "deploy-function", map[string]string{"slug": "hello"})
	testmcp.WantText(t, text, "at the slug `hello`", "`update-function`", "`invoke-function`")
	testmcp.WantNoText(t, text, "Not in your tool list", "does not offer")

	ro := testmcp.New(t, testmcp.Options{Selection: tools.Selection{Toolsets: []string{"all"}, ReadOnly: true}})
	text = getPrompt(t, ro, "deploy-function", nil)
	_, notes, _ := strings.Cut(text, "This server does not offer")
	testmcp.WantText(t, notes, "`create-function`", "`update-function`", "`create-secret`", "read-only mode")
	testmcp.WantNoText(t, notes, "`get-function`", "`list-functions`")
}

// complete runs completion/complete against a reference.
func complete(t *testing.T, h *testmcp.Harness, ref any, arg, value string) []string {
	t.Helper()
	req := mcp.CompleteRequest{}
	req.Params.Ref = ref
	req.Params.Argument.Name, req.Params.Argument.Value = arg, value
	res, err := h.Client.Complete(context.Background(), req)
	if err != nil {
		t.Fatalf("completion/complete %v %s=%q: %v", ref, arg, value, err)
	}
	return res.Completion.Values
}

// Issue 15, item 8: completion of the table template and of prompt
// arguments, from the connected project's live names; nothing, and no
// request, while the session is locked.
func TestCompletion(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	backend.AddTable("todos", []insforgefake.Column{{Name: "title", Type: "string"}})
	backend.AddTable("tags", []insforgefake.Column{{Name: "label", Type: "string"}})
	backend.AddTable("users_extra", []insforgefake.Column{{Name: "bio", Type: "string"}})
	backend.AddBucket("avatars", true)
	backend.AddBucket("invoices", false)
	backend.AddFunction(insforgefake.EdgeFunction{Slug: "hello-world", Name: "Hello", Code: "export default async function(req) { return new Response('hi') }", Status: "active"})

	table := mcp.ResourceReference{Type: "ref/resource", URI: "insforge://tables/{table}"}
	prompt := func(name string) mcp.PromptReference { return mcp.PromptReference{Type: "ref/prompt", Name: name} }

	locked := testmcp.NewWithBackend(t, backend, testmcp.Options{Unconfigured: true})
	before := len(backend.Requests())
	if got := complete(t, locked, table, "table", "t"); len(got) != 0 {
		t.Errorf("locked: table completion = %v, want none", got)
	}
	if got := complete(t, locked, prompt("store-uploads"), "bucket", ""); len(got) != 0 {
		t.Errorf("locked: bucket completion = %v, want none", got)
	}
	if n := len(backend.Requests()) - before; n != 0 {
		t.Errorf("locked completion sent %d requests to the backend", n)
	}
	// Fixed choices need no project.
	if got := complete(t, locked, prompt("add-auth"), "providers", "google,GI"); !slices.Equal(got, []string{"google,github"}) {
		t.Errorf("providers after google, = %v", got)
	}

	h := testmcp.NewWithBackend(t, backend, testmcp.Options{})
	for _, c := range []struct {
		ref        any
		arg, value string
		want       []string
	}{
		{table, "table", "t", []string{"tags", "todos"}},
		{table, "table", "TO", []string{"todos"}},
		{table, "table", "", []string{"tags", "todos", "users_extra"}},
		{table, "other", "", nil},
		{mcp.ResourceReference{Type: "ref/resource", URI: "insforge://metadata"}, "table", "", nil},
		{prompt("store-uploads"), "bucket", "", []string{"avatars", "invoices"}},
		{prompt("store-uploads"), "table", "u", []string{"users_extra"}},
		{prompt("store-uploads"), "visibility", "p", []string{"public", "private"}},
		{prompt("deploy-function"), "slug", "hel", []string{"hello-world"}},
		{prompt("diagnose-logs"), "function", "", []string{"hello-world"}},
		{prompt("diagnose-logs"), "symptom", "", nil},
		{prompt("no-such-prompt"), "x", "", nil},
	} {
		if got := complete(t, h, c.ref, c.arg, c.value); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("complete %v %s=%q = %v, want %v", c.ref, c.arg, c.value, got, c.want)
		}
	}
}

// An answer holds at most 100 values, the protocol's limit, and says how
// many there are.
func TestCompletionIsCapped(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	for i := range 120 {
		h.Backend.AddBucket(fmt.Sprintf("b%03d", i), false)
	}
	req := mcp.CompleteRequest{}
	req.Params.Ref = mcp.PromptReference{Type: "ref/prompt", Name: "store-uploads"}
	req.Params.Argument.Name, req.Params.Argument.Value = "bucket", "b"
	res, err := h.Client.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Completion
	if len(c.Values) != 100 || !c.HasMore || c.Total != 120 || c.Values[0] != "b000" || c.Values[99] != "b099" {
		t.Errorf("completion of 120 buckets: %d values (%v…), hasMore %v, total %d", len(c.Values), c.Values[:min(3, len(c.Values))], c.HasMore, c.Total)
	}
}
