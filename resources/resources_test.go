package resources_test

import (
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/resources"
)

// The instructions reach every conversation: they stay small, and name
// the way to the tools that are not listed.
func TestInstructionsAreShort(t *testing.T) {
	text := resources.Instructions([]string{"advisor", "ai", "auth", "database", "deployments", "docs", "functions", "logs", "metadata", "project", "realtime", "schedules", "secrets", "storage", "template"})
	if len(text) > 1200 {
		t.Errorf("instructions are %d bytes, over 1,200:\n%s", len(text), text)
	}
	for _, want := range []string{"connect-project", "find-tools", "call-tool", "untrusted", "insforge://docs/{", "storage"} {
		if !strings.Contains(text, want) {
			t.Errorf("instructions lack %q:\n%s", want, text)
		}
	}
}
