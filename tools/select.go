package tools

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Selection says which tools a server serves, from --toolsets, --tools,
// --exclude-tools, --read-only and the feature flags.
type Selection struct {
	// Toolsets: "default" (the core listed, every other tool served
	// through call-tool), "all" (every tool listed), and toolset ids,
	// combinable; case does not matter. Empty means "default".
	Toolsets []string
	// Tools are listed in addition to the toolsets.
	Tools []string
	// ExcludeTools are neither listed nor served.
	ExcludeTools []string
	// ReadOnly drops every tool that is not read-only, except those that
	// enforce read-only themselves.
	ReadOnly bool
	// Features enabled by flags.
	Features []Feature
}

// Catalogue is every declared tool with its toolsets and the default
// preset (package tools/catalogue builds it).
type Catalogue struct {
	Toolsets []ToolsetInfo
	Tools    []Tool
	// Default names the tools the "default" preset lists; every other
	// served tool is reached through find-tools and call-tool.
	Default []string
}

// Surface is what one server serves: the tools tools/list shows, the
// tools it runs by name (those and, under the default preset, the rest of
// the catalogue), and why any other catalogue tool is not served.
type Surface struct {
	Toolsets []ToolsetInfo
	Listed   []Tool
	Served   []Tool // Listed ⊆ Served
	// Left says, for each catalogue tool that is not served, why not and
	// how to serve it.
	Left map[string]string

	byName map[string]int // index into Served
	listed map[string]bool
	index  func() *Index
}

// Tool returns a served tool.
func (s *Surface) Tool(name string) (Tool, bool) {
	i, ok := s.byName[name]
	if !ok {
		return Tool{}, false
	}
	return s.Served[i], true
}

// Serves reports whether the server runs the tool (listed or not).
func (s *Surface) Serves(name string) bool {
	_, ok := s.byName[name]
	return ok
}

// IsListed reports whether tools/list shows the tool.
func (s *Surface) IsListed(name string) bool { return s.listed[name] }

// Index is the search index over the served tools (built once, on first use).
func (s *Surface) Index() *Index { return s.index() }

// Select decides the surface. It is the one place that decides what
// read-only mode, the toolsets and the tool lists leave out.
func (c Catalogue) Select(sel Selection) (*Surface, error) {
	p, err := c.parse(sel)
	if err != nil {
		return nil, err
	}
	s := &Surface{Toolsets: c.Toolsets, Left: map[string]string{}, byName: map[string]int{}, listed: map[string]bool{}}
	var discovery []Tool
	for _, t := range c.Tools {
		if why := p.leftOut(t, sel); why != "" {
			s.Left[t.Name] = why
			continue
		}
		if sel.ReadOnly && t.ReadOnlyNote != "" {
			t.Description += " " + t.ReadOnlyNote
		}
		// A tool that enforces read-only itself (run-raw-sql) keeps its
		// declared hints in read-only mode: its check is of text, and a
		// client must not take it for a tool it may run without asking.
		if t.Discovery {
			discovery = append(discovery, t)
			continue
		}
		s.add(t, p.lists(t, c.Default))
	}
	// find-tools and call-tool exist to reach what tools/list leaves out.
	if len(s.Served) > len(s.Listed) {
		for _, t := range discovery {
			s.add(t, true)
		}
	} else {
		for _, t := range discovery {
			s.Left[t.Name] = "every tool this server serves is listed already; it is served with --toolsets default"
		}
	}
	s.index = sync.OnceValue(func() *Index { return NewIndex(s) })
	return s, nil
}

func (s *Surface) add(t Tool, listed bool) {
	s.byName[t.Name] = len(s.Served)
	s.Served = append(s.Served, t)
	if listed {
		s.Listed = append(s.Listed, t)
		s.listed[t.Name] = true
	}
}

// parsed is a Selection checked against the catalogue.
type parsed struct {
	preset   bool // "default"
	sets     map[Toolset]bool
	tools    map[string]bool
	excluded map[string]bool
	toolset  map[string]Toolset // every tool's toolset, for messages
	defaults map[Toolset]bool   // toolsets the default preset serves
}

func (c Catalogue) parse(sel Selection) (parsed, error) {
	p := parsed{sets: map[Toolset]bool{}, tools: map[string]bool{}, excluded: map[string]bool{}, toolset: map[string]Toolset{}, defaults: map[Toolset]bool{}}
	for _, s := range c.Toolsets {
		p.defaults[s.ID] = s.Default
	}
	for _, t := range c.Tools {
		p.toolset[t.Name] = t.Toolset
	}
	names := sel.Toolsets
	if len(names) == 0 {
		names = []string{"default"}
	}
	for _, raw := range names {
		name := strings.ToLower(strings.TrimSpace(raw))
		switch {
		case name == "":
		case name == "default":
			p.preset = true
		case name == "all":
			for _, s := range c.Toolsets {
				p.sets[s.ID] = true
			}
		case slices.ContainsFunc(c.Toolsets, func(s ToolsetInfo) bool { return string(s.ID) == name }):
			p.sets[Toolset(name)] = true
		default:
			return p, fmt.Errorf("unknown toolset %q; choose from default, all, %s", raw, strings.Join(ToolsetNames(c.Toolsets), ", "))
		}
	}
	for _, list := range []struct {
		flag  string
		names []string
		into  map[string]bool
	}{{"--tools", sel.Tools, p.tools}, {"--exclude-tools", sel.ExcludeTools, p.excluded}} {
		for _, raw := range list.names {
			name := strings.ToLower(strings.TrimSpace(raw))
			if name == "" {
				continue
			}
			set, ok := p.toolset[name]
			if !ok {
				return p, fmt.Errorf("%s: there is no tool %q%s", list.flag, raw, suggest(name, c.Tools))
			}
			if list.flag == "--exclude-tools" && set == Project {
				return p, fmt.Errorf("--exclude-tools: %s is part of the credential gate and cannot be left out", name)
			}
			list.into[name] = true
		}
	}
	return p, nil
}

// leftOut says why a tool is not served under this selection ("" if it is).
func (p parsed) leftOut(t Tool, sel Selection) string {
	switch {
	case t.Feature != "" && !slices.Contains(sel.Features, t.Feature):
		return fmt.Sprintf("it is served only when the server starts with --allow-%s", t.Feature)
	case p.excluded[t.Name]:
		return "the server was started with --exclude-tools " + t.Name
	case sel.ReadOnly && t.Toolset != Project && !t.Hints.ReadOnly.Bool() && !t.EnforcesReadOnly:
		return "it changes the project, and the server runs with --read-only"
	case t.Toolset == Project || (p.preset && p.defaults[t.Toolset]) || p.sets[t.Toolset] || p.tools[t.Name]:
		return ""
	}
	return fmt.Sprintf("its toolset %s is not served; start the server with --toolsets default (or add %s to --toolsets, or --tools %s)", t.Toolset, t.Toolset, t.Name)
}

// lists reports whether tools/list shows a served tool.
func (p parsed) lists(t Tool, preset []string) bool {
	return t.Toolset == Project || p.sets[t.Toolset] || p.tools[t.Name] || (p.preset && slices.Contains(preset, t.Name))
}

// suggest names the catalogue tools closest to name, for an error.
func suggest(name string, all []Tool) string {
	near := Closest(name, all, 3)
	if len(near) == 0 {
		return ""
	}
	return "; did you mean " + strings.Join(near, ", ") + "?"
}

// ToolsetNames lists the toolset ids, sorted.
func ToolsetNames(sets []ToolsetInfo) []string {
	var names []string
	for _, s := range sets {
		names = append(names, string(s.ID))
	}
	slices.Sort(names)
	return names
}

// MarkdownTable renders the tool table of the README.
func MarkdownTable(all []Tool, preset []string) string {
	var b strings.Builder
	b.WriteString("| Tool | Toolset | Listed by default | Needs project | Read-only | Destructive | Idempotent | What it does |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	yn := func(v bool) string {
		if v {
			return "yes"
		}
		return "no"
	}
	for _, t := range all {
		title := t.Title
		if t.Feature != "" {
			title += fmt.Sprintf(" (only with --allow-%s)", t.Feature)
		}
		if t.EnforcesReadOnly {
			title += " (kept in read-only mode, reads only)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n",
			t.Name, t.Toolset, yn(t.Toolset == Project || slices.Contains(preset, t.Name)), yn(t.Access == Connected),
			yn(t.Hints.ReadOnly.Bool()), yn(t.Hints.Destructive.Bool()), yn(t.Hints.Idempotent.Bool()), title)
	}
	return b.String()
}
