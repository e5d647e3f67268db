package deployments

import (
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDeployPath checks the deployment manifest path rule and the
// containment check of the folder walk: an accepted manifest path is a
// clean, local, relative path, and a target counts as inside the source
// folder exactly when it is that folder or below it.
func FuzzDeployPath(f *testing.F) {
	for _, seed := range []string{
		"index.html", "assets/app.js", "", ".", "..", "../x", "a/../b", "a//b", "/etc/passwd", "a\\b",
		"a\x00b", "./a", "a/.", "dir/", strings.Repeat("a/", 300), "site2/x", "ü/😀.txt",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		const maxLen = 1024
		if why := pathProblem(p, maxLen); why == "" {
			if !filepath.IsLocal(p) || path.Clean(p) != p || len(p) > maxLen || strings.ContainsAny(p, "\\\x00") {
				t.Fatalf("pathProblem accepted %q", p)
			}
		} else if p != "." && filepath.IsLocal(p) && path.Clean(p) == p && len(p) <= maxLen && !strings.ContainsAny(p, "\\\x00") && p != "" {
			t.Fatalf("pathProblem refused the clean local path %q: %s", p, why)
		}

		const root = "/srv/site"
		target := filepath.Clean("/" + p)
		want := target == root || strings.HasPrefix(target, root+"/")
		if got := inside(root, target); got != want {
			t.Fatalf("inside(%q, %q) = %v, want %v", root, target, got, want)
		}
	})
}
