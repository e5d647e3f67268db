// Package prompts declares the server's MCP prompts: the main InsForge
// workflows, each a markdown text (embedded at build time) that walks an
// agent through credentials, then the project's metadata, then the module's
// own tools, naming the tools to call.
//
// It is plain Go; package mcpserver turns it into MCP prompts and offers
// completions for the arguments that take names from the live project.
package prompts

import (
	"embed"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/template"

	"github.com/insforge-mcp/insforge-mcp/tools"
)

//go:embed text/*.md
var textFS embed.FS

// texts are every prompt's text plus the shared parts (common.md), parsed
// on the first prompts/get rather than at every start.
var texts = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Option("missingkey=zero").ParseFS(textFS, "text/*.md"))
})

// Names is the kind of live project names an argument takes, offered as
// completions while the user types it.
type Names int

// Kinds of names.
const (
	NoNames   Names = iota
	Tables          // database tables
	Buckets         // storage buckets
	Functions       // edge function slugs
)

// Argument is one optional argument of a prompt. A prompt never requires
// one: without it, the text tells the agent to ask the user.
type Argument struct {
	Name        string
	Description string
	// Names offers the live project's names as completions.
	Names Names
	// Choices are the fixed values offered as completions.
	Choices []string
	// List marks a comma-separated list: completion works on its last item.
	List bool
}

// Prompt is one workflow.
type Prompt struct {
	Name        string
	Title       string
	Description string
	Arguments   []Argument
}

// all are the prompts, in the order of the README and prompts/list.
var all = []Prompt{{
	Name:        "setup-backend",
	Title:       "Set up a new backend",
	Description: "Plan and create the tables, policies and buckets of a new app, then wire its frontend.",
	Arguments: []Argument{
		{Name: "app", Description: "What the app does, in a sentence."},
		{Name: "framework", Description: "Starter app: react or nextjs.", Choices: []string{"react", "nextjs"}},
	},
}, {
	Name:        "add-auth",
	Title:       "Add auth to an app",
	Description: "Configure sign-up and sign-in, optionally OAuth, and write the app's auth screens.",
	Arguments: []Argument{
		{Name: "providers", Description: "OAuth providers, comma-separated (e.g. google,github).", Choices: oauthProviders, List: true},
		{Name: "profileTable", Description: "Table of per-user data to protect with RLS.", Names: Tables},
	},
}, {
	Name:        "store-uploads",
	Title:       "Store uploads",
	Description: "Create a bucket for user files and record each file's url and key in a table.",
	Arguments: []Argument{
		{Name: "bucket", Description: "Bucket to use or create.", Names: Buckets},
		{Name: "table", Description: "Table whose rows own the files.", Names: Tables},
		{Name: "visibility", Description: "public or private.", Choices: []string{"public", "private"}},
	},
}, {
	Name:        "deploy-function",
	Title:       "Write and deploy an edge function",
	Description: "Write, deploy and test a Deno edge function, with its secrets.",
	Arguments: []Argument{
		{Name: "slug", Description: "Function to create or change.", Names: Functions},
		{Name: "purpose", Description: "What it should do."},
	},
}, {
	Name:        "deploy-frontend",
	Title:       "Deploy the frontend",
	Description: "Build locally, then deploy a frontend folder to InsForge hosting and report its URL.",
	Arguments: []Argument{
		{Name: "directory", Description: "Absolute path of the app on the server's machine."},
	},
}, {
	Name:        "diagnose-logs",
	Title:       "Diagnose from logs",
	Description: "Find the cause of a failure in the backend's logs before changing anything.",
	Arguments: []Argument{
		{Name: "symptom", Description: "What fails, with any error text."},
		{Name: "function", Description: "Edge function involved, if any.", Names: Functions},
	},
}}

// oauthProviders are the backend's built-in OAuth providers.
var oauthProviders = []string{"google", "github", "discord", "linkedin", "facebook", "instagram", "tiktok", "apple", "x", "spotify", "microsoft"}

// All returns every prompt.
func All() []Prompt { return slices.Clone(all) }

// Lookup returns the prompt of a name.
func Lookup(name string) (Prompt, bool) {
	i := slices.IndexFunc(all, func(p Prompt) bool { return p.Name == name })
	if i < 0 {
		return Prompt{}, false
	}
	return all[i], true
}

// Argument returns the prompt's argument of a name.
func (p Prompt) Argument(name string) (Argument, bool) {
	i := slices.IndexFunc(p.Arguments, func(a Argument) bool { return a.Name == name })
	if i < 0 {
		return Argument{}, false
	}
	return p.Arguments[i], true
}

// Reach is how this server offers a tool that a text names.
type Reach int

// Ways a tool is offered.
const (
	NotATool  Reach = iota // not a tool name at all
	Listed                 // in tools/list: call it directly
	Unlisted               // served, but reached through call-tool
	NotServed              // excluded here (read-only mode, --exclude-tools)
)

// maxArgBytes bounds one argument's value in the text; a longer one is cut.
const maxArgBytes = 2000

// Render returns the prompt's text for the arguments given (unknown ones
// are ignored), followed by a note on the tools it names that this server
// does not list (run them with call-tool) or does not serve at all.
func (p Prompt) Render(args map[string]string, reach func(tool string) Reach) (string, error) {
	values := map[string]string{}
	for _, a := range p.Arguments {
		values[a.Name] = tools.Clip(strings.TrimSpace(args[a.Name]), maxArgBytes)
	}
	var b strings.Builder
	if err := texts().ExecuteTemplate(&b, p.Name+".md", values); err != nil {
		return "", fmt.Errorf("render prompt %s: %w", p.Name, err)
	}
	text := strings.TrimSpace(b.String())
	var unlisted, absent []string
	for _, name := range Tools(text) {
		if slices.Contains(slices.Collect(maps.Values(values)), name) {
			continue // the user's words, not the text's
		}
		switch reach(name) {
		case Unlisted:
			unlisted = append(unlisted, "`"+name+"`")
		case NotServed:
			absent = append(absent, "`"+name+"`")
		}
	}
	if len(unlisted) > 0 {
		text += "\n\nNot in your tool list, but served: " + strings.Join(unlisted, ", ") +
			". Run them with `call-tool` {name, arguments}; `find-tools` with a tool's name shows its arguments."
	}
	if len(absent) > 0 {
		text += "\n\nThis server does not offer " + strings.Join(absent, ", ") +
			" (read-only mode, or left out by its operator): skip those steps and tell the user what remains for them to do."
	}
	return text + "\n", nil
}

// toolRef is a name in backticks that may be a tool's.
var toolRef = regexp.MustCompile("`([a-z]+(?:-[a-z0-9]+)+)`")

// Tools returns the names in backticks that a text mentions, once each, in
// order of first mention; some may be no tool's (the caller decides).
func Tools(text string) []string {
	var names []string
	for _, m := range toolRef.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// String names the kind of names, for the README.
func (n Names) String() string {
	switch n {
	case Tables:
		return "table names"
	case Buckets:
		return "bucket names"
	case Functions:
		return "function slugs"
	}
	return ""
}

// MarkdownTable lists the prompts for the README: name, arguments with
// what completes them, and purpose.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| Prompt | Arguments (all optional; completed from) | What it walks through |\n|---|---|---|\n")
	for _, p := range all {
		args := make([]string, len(p.Arguments))
		for i, a := range p.Arguments {
			args[i] = "`" + a.Name + "`"
			switch {
			case a.Names != NoNames:
				args[i] += " (live " + a.Names.String() + ")"
			case len(a.Choices) > 0:
				args[i] += " (" + strings.Join(a.Choices, ", ") + ")"
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", p.Name, strings.Join(args, ", "), p.Description)
	}
	return b.String()
}
