package tools

import (
	"fmt"
	"slices"
	"strings"
)

// Selection says which tools a server serves.
type Selection struct {
	// Toolsets to enable; empty means the default toolsets, and "all"
	// means every toolset.
	Toolsets []string
	// ReadOnly drops every tool that is not read-only, except those that
	// enforce read-only themselves.
	ReadOnly bool
	// Features enabled by flags.
	Features []Feature
}

// Select filters the catalogue's tools. The project toolset (the gate) is
// always in. It is the one place that decides what read-only mode leaves
// out.
func Select(all []Tool, sets []ToolsetInfo, sel Selection) ([]Tool, error) {
	want := map[Toolset]bool{}
	if len(sel.Toolsets) == 0 {
		for _, s := range sets {
			want[s.ID] = s.Default
		}
	}
	for _, name := range sel.Toolsets {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
		case name == "all":
			for _, s := range sets {
				want[s.ID] = true
			}
		case slices.ContainsFunc(sets, func(s ToolsetInfo) bool { return string(s.ID) == name && s.ID != Project }):
			want[Toolset(name)] = true
		default:
			return nil, fmt.Errorf("unknown toolset %q; choose from all, %s", name, strings.Join(ToolsetNames(sets), ", "))
		}
	}
	var out []Tool
	for _, t := range all {
		if t.Toolset != Project && !want[t.Toolset] {
			continue
		}
		if t.Feature != "" && !slices.Contains(sel.Features, t.Feature) {
			continue
		}
		if sel.ReadOnly && t.Toolset != Project && !t.Hints.ReadOnly.Bool() && !t.EnforcesReadOnly {
			continue
		}
		if sel.ReadOnly && t.ReadOnlyNote != "" {
			t.Description += " " + t.ReadOnlyNote
		}
		if sel.ReadOnly && t.EnforcesReadOnly {
			// Its handler refuses writes in this mode: say so to clients
			// that approve read-only tools without asking.
			t.Hints.ReadOnly, t.Hints.Destructive, t.Hints.Idempotent = Yes, No, Yes
		}
		out = append(out, t)
	}
	return out, nil
}

// ToolsetNames lists the toolset names that --toolsets accepts besides
// "all", sorted.
func ToolsetNames(sets []ToolsetInfo) []string {
	var names []string
	for _, s := range sets {
		if s.ID != Project {
			names = append(names, string(s.ID))
		}
	}
	slices.Sort(names)
	return names
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
