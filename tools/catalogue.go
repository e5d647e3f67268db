package tools

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// All returns every tool of the server, toolset by toolset. Each toolset
// file contributes one function; its order here is the order of the README.
func All() []Tool {
	var all []Tool
	for _, set := range [][]Tool{
		projectTools(),
		metadataTools(),
		docsTools(),
		databaseTools(),
		authTools(),
		storageTools(),
		functionsTools(),
		realtimeTools(),
		aiTools(),
		logsTools(),
		secretsTools(),
		schedulesTools(),
		advisorTools(),
		templateTools(),
		deploymentsTools(),
	} {
		all = append(all, set...)
	}
	return all
}

// Toolsets lists the toolset names that --toolsets accepts.
func Toolsets(all []Tool) []string {
	seen := map[string]bool{}
	var names []string
	for _, t := range all {
		if t.Toolset == Project || seen[string(t.Toolset)] {
			continue
		}
		seen[string(t.Toolset)] = true
		names = append(names, string(t.Toolset))
	}
	sort.Strings(names)
	return names
}

// Selection says which tools a server serves.
type Selection struct {
	// Toolsets to enable; empty or containing "all" means every toolset.
	Toolsets []string
	// ReadOnly drops every tool that is not read-only, except those that
	// enforce read-only themselves.
	ReadOnly bool
	// Features enabled by flags.
	Features []Feature
}

// Select filters the catalogue. The project toolset (the gate) is always in.
func Select(all []Tool, sel Selection) ([]Tool, error) {
	want := map[Toolset]bool{}
	everything := len(sel.Toolsets) == 0
	known := Toolsets(all)
	for _, name := range sel.Toolsets {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
		case name == "all":
			everything = true
		case slices.Contains(known, name):
			want[Toolset(name)] = true
		default:
			return nil, fmt.Errorf("unknown toolset %q; choose from all, %s", name, strings.Join(known, ", "))
		}
	}
	var out []Tool
	for _, t := range all {
		if t.Toolset != Project && !everything && !want[t.Toolset] {
			continue
		}
		if t.Feature != "" && !slices.Contains(sel.Features, t.Feature) {
			continue
		}
		if sel.ReadOnly && t.Toolset != Project && !t.Hints.ReadOnly.Bool() && !t.EnforcesReadOnly {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// MarkdownTable renders the tool table of the README.
func MarkdownTable(all []Tool) string {
	var b strings.Builder
	b.WriteString("| Tool | Toolset | Needs project | Read-only | Destructive | Idempotent | What it does |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	yn := func(h Hint) string {
		if h.Bool() {
			return "yes"
		}
		return "no"
	}
	for _, t := range all {
		needs := "yes"
		if t.Access == Open {
			needs = "no"
		}
		title := t.Title
		if t.Feature != "" {
			title += fmt.Sprintf(" (only with --allow-%s)", t.Feature)
		}
		if t.EnforcesReadOnly {
			title += " (kept in read-only mode, reads only)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n",
			t.Name, t.Toolset, needs, yn(t.Hints.ReadOnly), yn(t.Hints.Destructive), yn(t.Hints.Idempotent), title)
	}
	return b.String()
}
