package insforgefake

import (
	"strings"
	"testing"
)

// TestMetadataBackendShapes covers D1.
func TestMetadataBackendShapes(t *testing.T) {
	t.Parallel()
	srv := New(t)
	db := call(t, srv, "GET", "/api/metadata/database", nil).obj(t)
	if db["hint"] != "To retrieve detailed schema information for a specific table, call the get-table-schema tool with the table name." {
		t.Errorf("database section = %v", db)
	}
}

// TestDocsBackendShapes covers D2.
func TestDocsBackendShapes(t *testing.T) {
	t.Parallel()
	srv := New(t)
	if c := call(t, srv, "GET", "/api/docs/auth/swift", nil).obj(t)["content"].(string); !strings.HasPrefix(c, "---\ntitle: auth-sdk-swift\n") {
		t.Errorf("auth-sdk-swift content = %q", c)
	}
	for _, path := range []string{"/api/docs/unknown-doc", "/api/docs/db/python"} {
		m := wantError(t, call(t, srv, "GET", path, nil), 404, "DOCS_NOT_FOUND", "Documentation not found")
		if _, ok := m["nextActions"]; ok {
			t.Errorf("%s: unexpected nextActions", path)
		}
	}
}
