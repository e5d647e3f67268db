package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/insforge-mcp/insforge-mcp/tools"
)

// confirmArg is the argument a client without elicitation passes to
// confirm a destructive call under --confirm-destructive.
const confirmArg = "confirm"

// confirmKey names the elicitation in a multi-round-trip exchange.
const confirmKey = "confirm-destructive"

// needsConfirmation reports whether calls of t must be confirmed.
func (s *Server) needsConfirmation(t tools.Tool) bool {
	return s.cfg.ConfirmDestructive && t.Hints.Destructive.Bool() && !t.Hints.ReadOnly.Bool()
}

// withConfirmArg adds the confirm property to a tool's input schema.
func withConfirmArg(schema json.RawMessage) json.RawMessage {
	var m map[string]any
	if err := json.Unmarshal(schema, &m); err != nil {
		return schema
	}
	props, _ := m["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	props[confirmArg] = map[string]any{
		"type":        "boolean",
		"description": "This tool is destructive and the server asks for confirmation. Ask the user first; pass true only after they agreed. Ignored when the client can ask the user itself: the server then asks them.",
	}
	m["properties"] = props
	out, err := json.Marshal(m)
	if err != nil {
		return schema
	}
	return out
}

// confirm decides a destructive call under --confirm-destructive. It
// returns (nil, args) to go ahead with the arguments minus confirm, or a
// result to answer with instead: a request for the user's confirmation
// through the client (elicitation, form mode: no secret is involved), or an
// error saying how to confirm. When the client supports elicitation, only
// the user's answer counts: a confirm: true from the model is ignored.
func (s *Server) confirm(ctx context.Context, t tools.Tool, req mcp.CallToolRequest, args json.RawMessage) (*mcp.CallToolResult, json.RawMessage) {
	var m map[string]any
	if json.Unmarshal(args, &m) != nil || m == nil {
		m = map[string]any{}
	}
	confirmed, _ := m[confirmArg].(bool)
	delete(m, confirmArg)
	clean, _ := json.Marshal(m)
	// The user's answer, when the client brings one (a retried call).
	if answer := server.ElicitationResponse(req.Params.InputResponses, confirmKey); answer != nil {
		content, _ := answer.Content.(map[string]any)
		if ok, _ := content[confirmArg].(bool); answer.Action == mcp.ElicitationResponseActionAccept && ok {
			return nil, clean
		}
		return mcp.NewToolResultError(fmt.Sprintf("The user did not confirm %s; nothing was done.", t.Name)), nil
	}
	// The confirm argument is written by the model, which a prompt
	// injection may steer; it counts only when the client cannot ask the
	// user. A client that can is always asked, whatever the argument says.
	canAsk := clientCanElicit(ctx)
	if confirmed && !canAsk {
		return nil, clean
	}
	if canAsk {
		return server.NewInputRequestBuilder("").Elicit(confirmKey, mcp.ElicitationParams{
			Mode:    mcp.ElicitationModeForm,
			Message: fmt.Sprintf("Allow %s (%s)? %s", t.Name, t.Title, describeArgs(m)),
			RequestedSchema: map[string]any{
				"type": "object",
				"properties": map[string]any{
					confirmArg: map[string]any{"type": "boolean", "title": "Allow this change", "description": "It may delete or overwrite data in the InsForge project."},
				},
				"required": []string{confirmArg},
			},
		}).ToolResult(), nil
	}
	return mcp.NewToolResultError(fmt.Sprintf(
		"%s may delete or overwrite data, and this server requires confirmation for that. Tell the user exactly what will change, ask them, and only if they agree call %s again with the same arguments plus \"confirm\": true.",
		t.Name, t.Name)), nil
}

func clientCanElicit(ctx context.Context) bool {
	cs, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo)
	if !ok {
		return false
	}
	return cs.GetClientCapabilities().Elicitation != nil
}

// describeArgs summarises arguments for the user, hiding secret-looking ones.
func describeArgs(m map[string]any) string {
	if len(m) == 0 {
		return "No arguments."
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := fmt.Sprint(m[k])
		lk := strings.ToLower(k)
		if strings.Contains(lk, "password") || strings.Contains(lk, "secret") || strings.Contains(lk, "key") && k != "key" || lk == "value" || strings.Contains(lk, "token") {
			v = "(hidden)"
		}
		if len(v) > 80 {
			v = v[:80] + "…"
		}
		parts = append(parts, k+"="+v)
	}
	return "Arguments: " + strings.Join(parts, ", ") + "."
}
