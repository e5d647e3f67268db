package mcpserver_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
)

func deletes(b *insforgefake.Server) int {
	n := 0
	for _, r := range b.Requests() {
		if r.Method == "DELETE" {
			n++
		}
	}
	return n
}

func TestConfirmDestructiveWithoutElicitation(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{ConfirmDestructive: true})
	h.Backend.AddTable("old", []insforgefake.Column{{Name: "x", Type: "string", Nullable: true}})

	res, err := h.Client.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range res.Tools {
		schema, _ := json.Marshal(tool)
		has := strings.Contains(string(schema), `"confirm":{`)
		hints := testmcp.Hints(tool.Annotations)
		destructive := hints[1] && !hints[0]
		if has != destructive {
			t.Errorf("%s: confirm argument present=%v, destructive=%v", tool.Name, has, destructive)
		}
	}

	msg := h.Fail(t, "delete-table", map[string]any{"tableName": "old"})
	if !strings.Contains(msg, `"confirm": true`) || deletes(h.Backend) != 0 {
		t.Fatalf("unconfirmed delete: %s (deletes %d)", msg, deletes(h.Backend))
	}
	h.OK(t, "delete-table", map[string]any{"tableName": "old", "confirm": true})
	if deletes(h.Backend) != 1 {
		t.Fatal("confirmed delete did not reach the backend")
	}
	h.OK(t, "list-tables", nil) // reads need no confirmation
}

func TestConfirmDestructiveAsksTheUser(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"2025-11-25", "2026-07-28"} {
		for _, accept := range []bool{true, false} {
			var asked atomic.Int32
			h := testmcp.New(t, testmcp.Options{
				ConfirmDestructive: true,
				ProtocolVersion:    version,
				Elicit: func(ctx context.Context, r mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
					asked.Add(1)
					if !strings.Contains(r.Params.Message, "delete-table") || !strings.Contains(r.Params.Message, "tableName=old") {
						t.Errorf("elicitation message: %q", r.Params.Message)
					}
					return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{
						Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{"confirm": accept},
					}}, nil
				},
			})
			h.Backend.AddTable("old", []insforgefake.Column{{Name: "x", Type: "string", Nullable: true}})
			res := h.Call(t, "delete-table", map[string]any{"tableName": "old"})
			if asked.Load() != 1 {
				t.Fatalf("%s: the user was asked %d times", version, asked.Load())
			}
			if accept && (res.IsError || deletes(h.Backend) != 1) {
				t.Fatalf("%s accepted: %s", version, testmcp.Text(res))
			}
			if !accept && (!res.IsError || deletes(h.Backend) != 0 || !strings.Contains(testmcp.Text(res), "did not confirm")) {
				t.Fatalf("%s declined: %s", version, testmcp.Text(res))
			}
		}
	}
}

// A model's confirm: true is not the user's consent: a prompt-injected
// agent could pass it. A client that can ask the user is always asked, and
// the user's no stands.
func TestConfirmArgumentDoesNotSkipTheUser(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"2025-11-25", "2026-07-28"} {
		var asked atomic.Int32
		h := testmcp.New(t, testmcp.Options{
			ConfirmDestructive: true,
			DefaultSurface:     true, // serves call-tool
			ProtocolVersion:    version,
			Elicit: func(ctx context.Context, r mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
				asked.Add(1)
				if strings.Contains(r.Params.Message, "confirm") {
					t.Errorf("the model's confirm argument is shown to the user: %q", r.Params.Message)
				}
				return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionDecline}}, nil
			},
		})
		h.Backend.AddTable("old", []insforgefake.Column{{Name: "x", Type: "string", Nullable: true}})
		text := h.Fail(t, "delete-table", map[string]any{"tableName": "old", "confirm": true})
		if asked.Load() != 1 || deletes(h.Backend) != 0 || !strings.Contains(text, "did not confirm") {
			t.Fatalf("%s: asked %d times, %d deletes: %s", version, asked.Load(), deletes(h.Backend), text)
		}
		// Through call-tool too.
		text = h.Fail(t, "call-tool", map[string]any{"name": "delete-table", "arguments": map[string]any{"tableName": "old", "confirm": true}})
		if asked.Load() != 2 || deletes(h.Backend) != 0 || !strings.Contains(text, "did not confirm") {
			t.Fatalf("%s via call-tool: asked %d times, %d deletes: %s", version, asked.Load(), deletes(h.Backend), text)
		}
	}
}
