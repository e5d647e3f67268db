package mcpserver

import (
	"context"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/prompts"
	"github.com/insforge-mcp/insforge-mcp/resources"
)

// addPrompts registers the workflow prompts.
func (s *Server) addPrompts() {
	for _, p := range prompts.All() {
		args := make([]mcp.PromptArgument, len(p.Arguments))
		for i, a := range p.Arguments {
			args[i] = mcp.PromptArgument{Name: a.Name, Description: a.Description}
		}
		s.mcp.AddPrompt(mcp.Prompt{Name: p.Name, Title: p.Title, Description: p.Description, Arguments: args},
			func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
				text, err := p.Render(req.Params.Arguments, s.reach)
				if err != nil {
					return nil, err
				}
				return mcp.NewGetPromptResult(p.Description, []mcp.PromptMessage{
					mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(text)),
				}), nil
			})
	}
}

// reach says how this server offers a tool a prompt names.
func (s *Server) reach(name string) prompts.Reach {
	if _, served := s.cfg.Surface.Tool(name); served {
		if s.listed[name] {
			return prompts.Listed
		}
		return prompts.Unlisted
	}
	if _, left := s.cfg.Surface.Left[name]; left {
		return prompts.NotServed
	}
	return prompts.NotATool
}

// maxCompletions is the most values one completion/complete answer holds
// (the protocol's limit).
const maxCompletions = 100

// completer answers completion/complete for prompt arguments and for the
// table of insforge://tables/{table}.
type completer struct{ s *Server }

func (c completer) CompletePromptArgument(ctx context.Context, prompt string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	p, ok := prompts.Lookup(prompt)
	if !ok {
		return &mcp.Completion{}, nil
	}
	a, ok := p.Argument(arg.Name)
	if !ok {
		return &mcp.Completion{}, nil
	}
	if len(a.Choices) > 0 {
		return complete(a.Choices, arg.Value, a.List), nil
	}
	return complete(c.s.liveNames(ctx, a.Names), arg.Value, a.List), nil
}

func (c completer) CompleteResourceArgument(ctx context.Context, uri string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	if uri != resources.TableTemplate || arg.Name != "table" {
		return &mcp.Completion{}, nil
	}
	return complete(c.s.liveNames(ctx, prompts.Tables), arg.Value, false), nil
}

// liveNames reads names of a kind from the project this request acts on;
// none when it has no project or the backend cannot say.
func (s *Server) liveNames(ctx context.Context, kind prompts.Names) []string {
	if kind == prompts.NoNames {
		return nil
	}
	creds, err := s.credentials(ctx)
	if err != nil || !creds.Complete() {
		return nil
	}
	names, err := resources.ReadNames(ctx, s.cfg.Transport.Client(creds.ProjectURL, creds.APIKey))
	if err != nil {
		s.log.Debug("completion: names not read", "error", redact(err.Error(), creds.APIKey))
		return nil
	}
	switch kind {
	case prompts.Tables:
		return names.Tables
	case prompts.Buckets:
		return names.Buckets
	case prompts.Functions:
		return names.Functions
	}
	return nil
}

// complete returns the values that start with what the user typed (case
// folded), at most maxCompletions of them. For a comma-separated list it
// completes the last item and keeps the ones before it.
func complete(values []string, typed string, list bool) *mcp.Completion {
	head := ""
	if list {
		if i := strings.LastIndex(typed, ","); i >= 0 {
			head, typed = typed[:i+1], typed[i+1:]
		}
	}
	typed = strings.ToLower(strings.TrimSpace(typed))
	out := []string{}
	for _, v := range values {
		if strings.HasPrefix(strings.ToLower(v), typed) && !slices.Contains(strings.Split(head, ","), v) {
			out = append(out, head+v)
		}
	}
	res := &mcp.Completion{Values: out, Total: len(out)}
	if len(out) > maxCompletions {
		res.Values, res.HasMore = out[:maxCompletions], true
	}
	return res
}
