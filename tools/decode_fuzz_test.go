package tools

import (
	"errors"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzObjectKey checks the storage key validation and escaping used by the
// storage tools (upload, download, delete, URLs): an accepted key cannot
// climb out of its bucket's objects/ route, cannot add a query or fragment,
// and reaches the backend unchanged after URL decoding.
func FuzzObjectKey(f *testing.F) {
	for _, seed := range []string{
		"avatars/42/photo.png", "", "/abs", "..", "a/../b", "a/..", "./a", "a//b", "a/./b",
		"%2e%2e/x", "a?b=c", "a#frag", "a b/ü/😀", "a\x00b", "a\\..\\b", "\xff\xfe", "%", "a/%2F/b",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := storageCheckKey(key, "key")
		if err != nil {
			var ue *UserError
			if !errors.As(err, &ue) {
				t.Fatalf("storageCheckKey(%q) failed with %T, not a *UserError", key, err)
			}
			return
		}
		if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "..") {
			t.Fatalf("storageCheckKey accepted %q", key)
		}
		const base = "/api/storage/buckets/b/objects/"
		escaped := storageEscapeKey(key)
		if strings.ContainsAny(escaped, "?#") {
			t.Fatalf("escaped key %q of %q would change the query or fragment", escaped, key)
		}
		u, err := url.Parse("https://p.insforge.app" + base + escaped)
		if err != nil {
			t.Fatalf("escaped key %q of %q is not a valid URL path: %v", escaped, key, err)
		}
		if u.Path != base+key {
			t.Fatalf("key %q reaches the backend as %q", key, u.Path)
		}
		if clean := path.Clean(u.Path); !strings.HasPrefix(clean+"/", base) {
			t.Fatalf("key %q climbs out of the objects route: %q", key, clean)
		}
	})
}

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
		if why := deployPathProblem(p, maxLen); why == "" {
			if !filepath.IsLocal(p) || path.Clean(p) != p || len(p) > maxLen || strings.ContainsAny(p, "\\\x00") {
				t.Fatalf("deployPathProblem accepted %q", p)
			}
		} else if p != "." && filepath.IsLocal(p) && path.Clean(p) == p && len(p) <= maxLen && !strings.ContainsAny(p, "\\\x00") && p != "" {
			t.Fatalf("deployPathProblem refused the clean local path %q: %s", p, why)
		}

		const root = "/srv/site"
		target := filepath.Clean("/" + p)
		want := target == root || strings.HasPrefix(target, root+"/")
		if got := deployInside(root, target); got != want {
			t.Fatalf("deployInside(%q, %q) = %v, want %v", root, target, got, want)
		}
	})
}
