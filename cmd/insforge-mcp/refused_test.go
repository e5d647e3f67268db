package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
)

// A configured key or URL that cannot work does not stop the server: it
// starts locked, and the first locked answer names the value, why it was
// refused and where it came from, never the key itself.
func TestRefusedConfigurationIsNamedInLockedAnswers(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	const wrongKey = "ik_0123456789abcdef0123456789abcdef"
	file := filepath.Join(t.TempDir(), "credentials.json")
	if err := credentials.Save(file, credentials.Credentials{ProjectURL: backend.URL, APIKey: wrongKey}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"key from env", []string{"INSFORGE_PROJECT_URL=" + backend.URL, "INSFORGE_API_KEY=" + wrongKey}, nil,
			[]string{"the API key from env INSFORGE_API_KEY was refused", "refused the key (401"}},
		{"key from the official variable", []string{"API_BASE_URL=" + backend.URL, "API_KEY=" + wrongKey}, nil,
			[]string{"the API key from env API_KEY was refused"}},
		{"key from a flag", []string{"INSFORGE_PROJECT_URL=" + backend.URL}, []string{"--api-key", wrongKey},
			[]string{"the API key from flag --api-key was refused"}},
		{"key from the saved file", nil, []string{"--credentials-file", file},
			[]string{"the API key from file " + file + " was refused"}},
		{"anon key", []string{"INSFORGE_PROJECT_URL=" + backend.URL, "INSFORGE_API_KEY=anon_0123456789abcdef"}, nil,
			[]string{"the API key from env INSFORGE_API_KEY was refused", "anon key"}},
		{"URL without a scheme", []string{"INSFORGE_PROJECT_URL=127.0.0.1:43747", "INSFORGE_API_KEY=" + wrongKey}, nil,
			[]string{`the project URL from env INSFORGE_PROJECT_URL was refused: "127.0.0.1:43747" has no scheme`}},
		{"URL from a flag", []string{"INSFORGE_API_KEY=" + wrongKey}, []string{"--project-url", "ftp://x.insforge.app"},
			[]string{"the project URL from flag --project-url was refused", "must start with https://"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, stderr := stdioClient(t, tc.env, tc.args...)
			text, isErr := testmcp.CallText(t, c, "run-raw-sql", map[string]any{"query": "SELECT 1"})
			if !isErr {
				t.Fatalf("run-raw-sql with a refused configuration ran: %s", text)
			}
			t.Log(text)
			for _, w := range append(tc.want, "configured project is not in use", "connect-project") {
				if !strings.Contains(text, w) {
					t.Errorf("the locked answer lacks %q:\n%s", w, text)
				}
			}
			// A resource read that needs the project says it too.
			var req mcp.ReadResourceRequest
			req.Params.URI = "insforge://metadata"
			if _, err := c.ReadResource(context.Background(), req); err == nil || !strings.Contains(err.Error(), tc.want[0]) {
				t.Errorf("reading insforge://metadata: %v", err)
			}
			// The session can still connect, with the right key.
			if text, isErr := testmcp.CallText(t, c, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": insforgefake.DefaultAPIKey}); isErr {
				t.Fatalf("connect: %s", text)
			}
			if after, isErr := testmcp.CallText(t, c, "run-raw-sql", map[string]any{"query": "SELECT 1"}); isErr {
				t.Fatalf("after connect: %s", after)
			}
			c.Close()
			if strings.Contains(text+stderr.String(), wrongKey) {
				t.Error("the refused key was repeated")
			}
		})
	}
}
