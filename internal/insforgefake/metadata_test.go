package insforgefake

import (
	"strings"
	"testing"
)

// TestMetadataBackendShapes covers D1.
func TestMetadataBackendShapes(t *testing.T) {
	srv := New(t)
	db := call(t, srv, "GET", "/api/metadata/database", nil).obj(t)
	if db["hint"] != "To retrieve detailed schema information for a specific table, call the get-table-schema tool with the table name." {
		t.Errorf("database section = %v", db)
	}
	// an unknown table: an empty export description
	r := call(t, srv, "GET", "/api/metadata/bogus", nil)
	if string(r.body) != `{"bogus":{"schema":[],"indexes":[],"foreignKeys":[],"rlsEnabled":false,"policies":[],"triggers":[],"rows":[]}}` {
		t.Errorf("bogus = %s", r.body)
	}
	if r := createPosts(t, srv); r.status != 201 {
		t.Fatal(string(r.body))
	}
	mustSQL(t, srv, "CREATE POLICY read_all ON posts FOR SELECT TO anon USING (true)")
	r = call(t, srv, "GET", "/api/metadata/posts", nil)
	body := string(r.body)
	for _, want := range []string{
		`{"posts":{"schema":[{"columnName":"id","dataType":"uuid","characterMaximumLength":null,"isNullable":"NO","columnDefault":"gen_random_uuid()"}`,
		`{"columnName":"views","dataType":"integer","characterMaximumLength":null,"isNullable":"YES","columnDefault":"0"}`,
		`"indexes":[{"indexname":"posts_pkey","indexdef":"CREATE UNIQUE INDEX posts_pkey ON public.posts USING btree (id)","isUnique":true,"isPrimary":true},`,
		`"rlsEnabled":true,"policies":[{"policyname":"read_all","cmd":"SELECT","roles":"{anon}","qual":"true","withCheck":null}]`,
		`"triggers":[{"triggerName":"posts_update_timestamp","actionTiming":"BEFORE","eventManipulation":"UPDATE","actionOrientation":"ROW","actionCondition":null,"actionStatement":"EXECUTE FUNCTION system.update_updated_at()","newTable":null,"oldTable":null}],"rows":[]}}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("posts metadata lacks %s\n%s", want, body)
		}
	}
}

// TestDocsBackendShapes covers D2.
func TestDocsBackendShapes(t *testing.T) {
	srv := New(t)
	list := call(t, srv, "GET", "/api/docs", nil)
	for _, want := range []string{
		`[{"type":"instructions","filename":"../.agents/docs/insforge-instructions-sdk.md","endpoint":"/api/docs/instructions"},{"type":"db-sdk","filename":"sdks/typescript/database.mdx","endpoint":"/api/docs/db-sdk"},`,
		`{"type":"db-sdk-swift","filename":"sdks/swift/database.mdx","endpoint":"/api/docs/db/swift"}`,
		`{"type":"storage-rest-api","filename":"sdks/rest/storage.mdx","endpoint":"/api/docs/storage/rest-api"}`,
		`{"type":"payments-sdk-typescript","filename":"sdks/typescript/payments.mdx","endpoint":"/api/docs/payments/typescript"}]`,
	} {
		if !strings.Contains(string(list.body), want) {
			t.Errorf("docs list lacks %s", want)
		}
	}
	doc := call(t, srv, "GET", "/api/docs/db-sdk", nil).obj(t)
	if c := doc["content"].(string); !strings.HasPrefix(c, "---\ntitle: Database SDK Reference\n") || !strings.Contains(c, "<CodeGroup>") {
		t.Errorf("db-sdk content = %q", c)
	}
	if c := call(t, srv, "GET", "/api/docs/auth/swift", nil).obj(t)["content"].(string); !strings.HasPrefix(c, "---\ntitle: Authentication SDK Reference") {
		t.Errorf("auth-sdk-swift content = %q", c)
	}
	if c := call(t, srv, "GET", "/api/docs/real-time", nil).obj(t)["content"].(string); strings.HasPrefix(c, "---") {
		t.Errorf("real-time is markdown: %q", c)
	}
	for _, path := range []string{"/api/docs/unknown-doc", "/api/docs/db/python"} {
		m := wantError(t, call(t, srv, "GET", path, nil), 404, "DOCS_NOT_FOUND", "Documentation not found")
		if _, ok := m["nextActions"]; ok {
			t.Errorf("%s: unexpected nextActions", path)
		}
	}
}

// The metadata module's defaults do not replace the section a module set,
// whichever registers first.
func TestMetadataDefaultSections(t *testing.T) {
	srv := New(t)
	srv.setMetadataSection("probe", func() any { return "module" })
	srv.defaultMetadataSection("probe", func() any { return "default" })
	if got := srv.section("probe"); got != "module" {
		t.Errorf("section = %v", got)
	}
	srv.defaultMetadataSection("probe2", func() any { return "default" })
	if got := srv.section("probe2"); got != "default" {
		t.Errorf("section = %v", got)
	}
}
