package tools

import (
	"errors"
	"net/url"
	"path"
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
