// Package discovery declares find-tools and call-tool: the way to the
// tools that tools/list does not show. The default surface lists a small
// core; every other tool of the catalogue is found by the words of a task
// and run by name, through the same checks as a direct call.
package discovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/tools"
)

// FindInput are the arguments of find-tools.
type FindInput struct {
	Query   string `json:"query,omitempty" jsonschema_description:"Task words (\"schedule a cron job\") or tool names."`
	Toolset string `json:"toolset,omitempty" jsonschema_description:"Only tools of this toolset."`
}

// CallInput are the arguments of call-tool.
type CallInput struct {
	Name      string          `json:"name" jsonschema:"required,minLength=1" jsonschema_description:"Tool name, from find-tools."`
	Arguments json.RawMessage `json:"arguments,omitempty" jsonschema:"type=object" jsonschema_description:"Per the tool's input schema."`
}

// CallToolName is the name the server dispatches itself.
const CallToolName = "call-tool"

// maxListed bounds a search answer; maxSchemas bounds how many named tools
// come back with their whole definitions.
const (
	maxListed  = 8
	maxSchemas = 3
)

// FindTools is find-tools.
func FindTools() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "find-tools",
		Title:       "Find tools for a task",
		Access:      tools.Open,
		Discovery:   true,
		Hints:       tools.Hints{ReadOnly: tools.Yes, Destructive: tools.No, Idempotent: tools.Yes, OpenWorld: tools.No},
		Description: "Search all InsForge tools, listed or not, by task words; named tools come with input schemas. No arguments: toolsets.",
	}, find)
}

// CallTool is call-tool. The server runs it: it looks the tool up and
// sends the call through the same steps as a direct call.
func CallTool() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        CallToolName,
		Title:       "Run a tool by name",
		Access:      tools.Open,
		Discovery:   true,
		Hints:       tools.Overwrite,
		Description: "Run any InsForge tool by name (see find-tools), with the same checks and result as a direct call.",
	}, func(context.Context, *tools.Env, CallInput) (*tools.Result, error) {
		return nil, errors.New("call-tool is dispatched by the server, not run as a handler")
	})
}

func find(_ context.Context, env *tools.Env, in FindInput) (*tools.Result, error) {
	s := env.Surface
	if s == nil {
		return nil, errors.New("find-tools needs the server's surface")
	}
	set := tools.Toolset(strings.ToLower(strings.TrimSpace(in.Toolset)))
	if set != "" && !knownToolset(s, set) {
		return nil, tools.Errorf("There is no toolset %q. %s", in.Toolset, toolsetList(s))
	}
	query := strings.TrimSpace(in.Query)
	if query == "" && set == "" {
		return tools.Say("%s Search with query (task words or tool names).", toolsetList(s)), nil
	}
	ix := s.Index()
	if query == "" {
		return listing(s, fmt.Sprintf("Toolset %s:", set), toolsOf(s, set)), nil
	}
	if named := ix.Named(query); len(named) > 0 && len(named) <= maxSchemas {
		return definitions(s, named), nil
	}
	hits := ix.Search(query, set, maxListed)
	if len(hits) == 0 {
		if why, ok := s.Left[strings.ToLower(query)]; ok {
			return nil, tools.Errorf("%s is not served: %s.", strings.ToLower(query), why)
		}
		return tools.Say("No tool matches %q. %s", query, toolsetList(s)), nil
	}
	var ts []tools.Tool
	for _, h := range hits {
		ts = append(ts, h.Tool)
	}
	return listing(s, fmt.Sprintf("Best matches for %q:", query), ts), nil
}

func knownToolset(s *tools.Surface, id tools.Toolset) bool {
	for _, t := range s.Toolsets {
		if t.ID == id {
			return true
		}
	}
	return false
}

func toolsOf(s *tools.Surface, set tools.Toolset) []tools.Tool {
	var out []tools.Tool
	for _, t := range s.Served {
		if t.Toolset == set {
			out = append(out, t)
		}
	}
	return out
}

// toolsetList lists the toolsets with what they do.
func toolsetList(s *tools.Surface) string {
	var b strings.Builder
	b.WriteString("Toolsets:")
	for _, t := range s.Toolsets {
		fmt.Fprintf(&b, "\n- %s: %s", t.ID, t.Description)
	}
	return b.String()
}

// listing is one line per tool: name, what it changes, purpose.
func listing(s *tools.Surface, head string, ts []tools.Tool) *tools.Result {
	var b strings.Builder
	b.WriteString(head)
	unlisted := false
	for _, t := range ts {
		mark := ""
		if !s.IsListed(t.Name) {
			mark, unlisted = "*", true
		}
		fmt.Fprintf(&b, "\n- %s%s%s: %s", t.Name, mark, effect(t), firstSentence(t.Description))
	}
	if unlisted {
		b.WriteString("\n* not listed: run with call-tool {name, arguments}.")
	}
	b.WriteString("\nName a tool in query for its input schema.")
	return tools.Say("%s", b.String())
}

// definitions returns named tools whole: description and input schema.
func definitions(s *tools.Surface, names []string) *tools.Result {
	var b strings.Builder
	for i, name := range names {
		t, _ := s.Tool(name)
		if i > 0 {
			b.WriteString("\n\n")
		}
		how := "call it directly"
		if !s.IsListed(name) {
			how = "run it with call-tool"
		}
		fmt.Fprintf(&b, "%s%s (%s): %s\ninputSchema: %s", t.Name, effect(t), how, t.Description, t.Schema())
	}
	return tools.Say("%s", b.String())
}

// effect says whether a tool writes or deletes.
func effect(t tools.Tool) string {
	switch {
	case t.Hints.ReadOnly.Bool():
		return ""
	case t.Hints.Destructive.Bool():
		return " [writes/deletes]"
	}
	return " [writes]"
}

// firstSentence cuts s after its first sentence: at a period followed by
// a space and a capital, so that "e.g. a" does not end it.
func firstSentence(s string) string {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '.' && s[i+1] == ' ' && s[i+2] >= 'A' && s[i+2] <= 'Z' {
			return s[:i+1]
		}
	}
	return s
}
