package credentials_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
)

const key = "ik_feedfacefeedfacefeedfacefeedface"

func TestNormalizeURL(t *testing.T) {
	good := map[string]string{
		"https://abc.us-east.insforge.app":       "https://abc.us-east.insforge.app",
		" https://abc.us-east.insforge.app/ ":    "https://abc.us-east.insforge.app",
		"https://abc.us-east.insforge.app/api/":  "https://abc.us-east.insforge.app",
		"http://localhost:7130?x=1#frag":         "http://localhost:7130",
		"https://proxy.example.com/insforge/api": "https://proxy.example.com/insforge",
	}
	for in, want := range good {
		got, err := credentials.NormalizeURL(in)
		if err != nil || got != want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc.insforge.app", "ftp://x.insforge.app", "https://", "javascript:alert(1)", "https://user:pw@x.insforge.app", "http://%zz"} {
		if _, err := credentials.NormalizeURL(bad); !errors.Is(err, credentials.ErrBadURL) {
			t.Errorf("NormalizeURL(%q) = %v; want ErrBadURL", bad, err)
		}
	}
}

// A value without a scheme is told so, with the fix; the example form is
// not put as if it described the input.
func TestNormalizeURLSaysWhatIsMissing(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:43747":      `"127.0.0.1:43747" has no scheme; write https://127.0.0.1:43747 (or http:// for a local backend)`,
		"localhost:7130":       `"localhost:7130" has no scheme; write https://localhost:7130`,
		"abc.insforge.app":     `"abc.insforge.app" has no scheme; write https://abc.insforge.app`,
		"ftp://x.insforge.app": `must start with https://`,
		"http://%zz":           `"http://%zz" is not a valid URL; a project URL has the form https://`,
	} {
		_, err := credentials.NormalizeURL(in)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "it looks like") {
			t.Errorf("NormalizeURL(%q) = %v; want it to say %s", in, err, want)
		}
	}
}

func TestCheckKeyNeverEchoesTheKey(t *testing.T) {
	for _, k := range []string{"", "anon_abcdefabcdef", "ik_abc def"} {
		err := credentials.CheckKey(k)
		if !errors.Is(err, credentials.ErrBadKey) {
			t.Fatalf("CheckKey(%q) = %v", k, err)
		}
		if k != "" && strings.Contains(err.Error(), k) {
			t.Fatalf("error echoes the key: %v", err)
		}
	}
	if err := credentials.CheckKey(key); err != nil {
		t.Fatal(err)
	}
}

func TestCredentialsNeverPrintTheKey(t *testing.T) {
	c := credentials.Credentials{ProjectURL: "https://x.insforge.app", APIKey: key}
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "creds", c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), buf.String()} {
		if strings.Contains(s, key) {
			t.Fatalf("key printed: %s", s)
		}
	}
}

func TestResolvePrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "credentials.json")
	if err := credentials.Save(file, credentials.Credentials{ProjectURL: "https://file.insforge.app", APIKey: "ik_file"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"INSFORGE_PROJECT_URL": "https://env.insforge.app",
		"API_KEY":              "ik_alias",
	}
	r, err := credentials.Resolve(credentials.Inputs{Getenv: func(k string) string { return env[k] }, File: file})
	if err != nil {
		t.Fatal(err)
	}
	if r.ProjectURL != "https://env.insforge.app" || r.APIKey != "ik_alias" || r.KeyFrom != "env API_KEY" {
		t.Fatalf("got %+v from %s/%s", r.Credentials, r.URLFrom, r.KeyFrom)
	}
	r, _ = credentials.Resolve(credentials.Inputs{FlagKey: "ik_flag", Getenv: func(k string) string { return env[k] }, File: file})
	if r.APIKey != "ik_flag" {
		t.Fatalf("flag did not win: %+v", r)
	}
	env = map[string]string{"API_BASE_URL": "https://alias.insforge.app/"}
	r, _ = credentials.Resolve(credentials.Inputs{Getenv: func(k string) string { return env[k] }, File: file})
	if r.ProjectURL != "https://alias.insforge.app" || r.APIKey != "ik_file" {
		t.Fatalf("alias/file: %+v", r)
	}
	r, err = credentials.Resolve(credentials.Inputs{File: filepath.Join(dir, "missing.json")})
	if err != nil || r.Complete() {
		t.Fatalf("missing file: %+v %v", r, err)
	}
	if _, err := credentials.Resolve(credentials.Inputs{FlagURL: "not a url"}); err == nil {
		t.Fatal("bad flag URL accepted")
	}
}

func TestSaveIsPrivateAndAtomic(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "credentials.json")
	c := credentials.Credentials{ProjectURL: "https://x.insforge.app", APIKey: key}
	for i := 0; i < 3; i++ { // overwrite repeatedly: no temp files left behind
		if err := credentials.Save(file, c); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	if dst, _ := os.Stat(filepath.Dir(file)); dst.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v", dst.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Fatalf("leftover files: %v", entries)
	}
	got, err := credentials.Load(file)
	if err != nil || got != c {
		t.Fatalf("load: %+v %v", got, err)
	}
	if err := credentials.Delete(file); err != nil {
		t.Fatal(err)
	}
	if err := credentials.Delete(file); err != nil {
		t.Fatal("deleting a missing file must not fail")
	}
	os.WriteFile(file, []byte("{not json "+key), 0o600)
	if _, err := credentials.Load(file); err == nil || strings.Contains(err.Error(), key) {
		t.Fatalf("corrupt file: %v", err)
	}
}

func TestValidateSaysWhichPartIsWrong(t *testing.T) {
	insforgeLike := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":"AUTH_INVALID_API_KEY","message":"Invalid API key","statusCode":401}`)
			return
		}
		io.WriteString(w, `{"auth":{},"database":{"tables":[]}}`)
	}))
	defer insforgeLike.Close()
	htmlSite := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(404)
		io.WriteString(w, "<html>Cannot GET /api/metadata</html>")
	}))
	defer htmlSite.Close()
	otherJSON := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"hello":"world"}`)
	}))
	defer otherJSON.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()

	tr := insforge.NewTransport(insforge.Options{Timeout: 2 * time.Second, MaxRetries: -1})
	ctx := context.Background()
	cases := []struct {
		url, key string
		want     error
	}{
		{insforgeLike.URL, key, nil},
		{insforgeLike.URL, "ik_wrong", credentials.ErrKeyRejected},
		{htmlSite.URL, key, credentials.ErrNotInsForge},
		{otherJSON.URL, key, credentials.ErrNotInsForge},
		{downURL, key, credentials.ErrUnreachable},
		{"ftp://x", key, credentials.ErrBadURL},
		{insforgeLike.URL, "anon_123456789", credentials.ErrBadKey},
	}
	for _, tc := range cases {
		err := credentials.Validate(ctx, tr, credentials.Credentials{ProjectURL: tc.url, APIKey: tc.key})
		if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Errorf("Validate(%s, %s) = %v; want %v", tc.url, credentials.Redact(tc.key), err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), key) {
			t.Errorf("error contains the key: %v", err)
		}
	}
}
