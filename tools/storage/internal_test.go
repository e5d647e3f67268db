package storage

import (
	"testing"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// TestStorageRequestTargets covers where transfers are sent when the
// backend's own URLs name another origin than the one we connect to (its
// API base URL defaults to http://localhost:7130).
func TestStorageRequestTargets(t *testing.T) {
	t.Parallel()
	env := &tools.Env{Client: insforge.NewTransport(insforge.Options{}).Client("http://127.0.0.1:7130", "ik_test")}
	for _, c := range []struct{ raw, path, url string }{
		{"", "/fallback", ""},
		{"/api/storage/buckets/b/objects/a%2Fb/confirm-upload", "/api/storage/buckets/b/objects/a%2Fb/confirm-upload", ""},
		// Same origin: used as given (the client sends the key there).
		{"http://127.0.0.1:7130/api/storage/buckets/b/objects/a%2Fb", "", "http://127.0.0.1:7130/api/storage/buckets/b/objects/a%2Fb"},
		// The backend's own route under another name: moved onto the project.
		{"http://localhost:7130/api/storage/buckets/b/objects/a%2Fb?v=1", "", "http://127.0.0.1:7130/api/storage/buckets/b/objects/a%2Fb?v=1"},
		// Anything else (a storage provider) is left alone.
		{"https://s3.example.com/bucket/project/b/a?X-Amz-Signature=x", "", "https://s3.example.com/bucket/project/b/a?X-Amz-Signature=x"},
	} {
		req := request(env, "GET", c.raw, "/fallback")
		if req.Path != c.path || req.URL != c.url {
			t.Errorf("%q: path %q url %q, want path %q url %q", c.raw, req.Path, req.URL, c.path, c.url)
		}
	}
	for key, want := range map[string]string{
		"a.txt":             "a.txt",
		"dir/sub/file name": "dir/sub/file%20name",
		"100%/q?x#y":        "100%25/q%3Fx%23y",
		"ünï/çødé.txt":      "%C3%BCn%C3%AF/%C3%A7%C3%B8d%C3%A9.txt",
		"trailing/":         "trailing/",
	} {
		if got := escapeKey(key); got != want {
			t.Errorf("escapeKey(%q) = %q, want %q", key, got, want)
		}
	}
}
