package mcpserver

import (
	"fmt"
	"slices"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/tools"
)

// guide finishes our own text in a result (never the backend's data) so
// that it sends the agent only where it can go: a tool it names that
// tools/list does not show is run through call-tool, and a tool it names
// that this server does not serve is said to be so, with why.
func (s *Server) guide(text string) string {
	var viaCall, notServed []string
	ours := outsideUntrusted(text) // the backend's words name no tool for us
	for _, name := range s.toolNames {
		if s.listed[name] || !mentions(ours, name) {
			continue
		}
		if s.cfg.Surface.Serves(name) {
			viaCall = append(viaCall, name)
		} else if why, ok := s.cfg.Surface.Left[name]; ok {
			notServed = append(notServed, fmt.Sprintf("%s is not served here (%s)", name, why))
		}
	}
	if len(viaCall) > 0 && s.listed["call-tool"] {
		text += "\n(Not listed; run with call-tool: " + strings.Join(viaCall, ", ") + ".)"
	}
	if len(notServed) > 0 {
		text += "\n(" + strings.Join(notServed, "; ") + ".)"
	}
	return text
}

// catalogueNames lists every tool name the surface knows, sorted, so that
// notes name tools in a stable order. (mentions matches whole names, so
// get-function-build-logs is not read as get-function.)
func catalogueNames(s *tools.Surface) []string {
	var names []string
	for _, t := range s.Served {
		names = append(names, t.Name)
	}
	for name := range s.Left {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// mentions reports whether text names the tool as a whole word (tool
// names are kebab-case: a letter, digit or hyphen next to it is part of
// a longer word).
func mentions(text, name string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		if (start == 0 || !wordByte(text[start-1])) && (end == len(text) || !wordByte(text[end])) {
			return true
		}
		i = end
	}
}

func wordByte(c byte) bool {
	return c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// outsideUntrusted is text without its untrusted-data blocks (backend words
// quoted in an error).
func outsideUntrusted(text string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, "<untrusted-data-")
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		end := strings.IndexByte(text[i:], '>')
		if end < 0 {
			return b.String()
		}
		closing := "</" + text[i+1:i+end+1]
		j := strings.Index(text[i:], closing)
		if j < 0 {
			return b.String()
		}
		text = text[i+j+len(closing):]
	}
}
