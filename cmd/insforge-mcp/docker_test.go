package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
)

// image is what the Dockerfile builds and runs: the build command, the
// final stage's environment, entrypoint and health check.
type image struct {
	build       string
	env         []string
	entrypoint  []string
	healthcheck []string
}

func readDockerfile(t *testing.T) image {
	t.Helper()
	f, err := os.Open("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var img image
	jsonArgs := func(s string) []string {
		var out []string
		if err := json.Unmarshal([]byte(strings.TrimSpace(s)), &out); err != nil {
			t.Fatalf("Dockerfile: %q is not an exec-form list: %v", s, err)
		}
		return out
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "RUN ") && strings.Contains(line, "go build"):
			img.build = strings.TrimPrefix(line, "RUN ")
		case strings.HasPrefix(line, "FROM scratch"):
			img.env = nil // only the final stage's environment counts
		case strings.HasPrefix(line, "ENV "):
			img.env = append(img.env, strings.TrimPrefix(line, "ENV "))
		case strings.HasPrefix(line, "ENTRYPOINT "):
			img.entrypoint = jsonArgs(strings.TrimPrefix(line, "ENTRYPOINT "))
		case strings.HasPrefix(line, "HEALTHCHECK "):
			_, cmd, ok := strings.Cut(line, " CMD ")
			if !ok {
				t.Fatalf("Dockerfile: HEALTHCHECK without CMD: %s", line)
			}
			img.healthcheck = jsonArgs(cmd)
		}
	}
	if img.build == "" || len(img.healthcheck) < 2 || img.healthcheck[0] != "/insforge-mcp" || len(img.entrypoint) != 1 || img.entrypoint[0] != "/insforge-mcp" || !strings.Contains(img.build, "-o /out/insforge-mcp ") {
		t.Fatalf("Dockerfile: unexpected shape: %+v", img)
	}
	return img
}

// imageSettings are the Dockerfile's compile settings: a static binary
// with no build paths in it.
const imageSettings = "CGO_ENABLED=0 go build -trimpath "

// buildAsImage runs the Dockerfile's own build command, its VERSION build
// argument left at its default, with one change: it compiles with -race as
// the rest of the test run does, so every package comes from that build's
// cache instead of a whole compile of the standard library and the modules
// of its own (about 140 s on a cold two-core machine, most of CI's budget).
// What the changed settings guarantee is checked apart: the command sets
// them, and the binary's whole dependency graph loads without cgo.
func buildAsImage(t *testing.T, img image) string {
	t.Helper()
	if !strings.Contains(img.build, imageSettings) {
		t.Fatalf("Dockerfile: the build command no longer says %q: %s", imageSettings, img.build)
	}
	list := exec.Command("go", "list", "-deps", "./cmd/insforge-mcp")
	list.Dir = "../.."
	list.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := list.CombinedOutput(); err != nil {
		t.Fatalf("the image's binary does not build without cgo: %v\n%s", err, msg)
	}
	out := filepath.Join(t.TempDir(), "insforge-mcp")
	build := strings.Replace(strings.Replace(img.build, imageSettings, "go build -race ", 1), "/out/insforge-mcp", out, 1)
	cmd := exec.Command("sh", "-c", build)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "VERSION=")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", build, err, msg)
	}
	return out
}

// The image's binary, built and run as the Dockerfile says (no Docker
// daemon needed; see buildAsImage for the compile settings): it reports a real version, listens where it is told with
// an auth token file, and its health check tells a live server from a
// dead one.
func TestImageCommandLine(t *testing.T) {
	t.Parallel()
	img := readDockerfile(t)
	bin := buildAsImage(t, img)

	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("--version: %v", err)
	}
	v := strings.TrimSpace(strings.TrimPrefix(string(out), "insforge-mcp "))
	t.Logf("--version: %s", out)
	if v == "" || v == "dev" || v == "devel" || strings.Contains(v, "(devel)") {
		t.Fatalf("--version = %q; want a real version", out)
	}
	rev, err := exec.Command("git", "-C", "../..", "rev-parse", "HEAD").Output()
	tags, _ := exec.Command("git", "-C", "../..", "tag", "--points-at", "HEAD").Output()
	switch {
	case err != nil:
		t.Logf("not a git checkout (%v): the commit in --version is not checked", err)
	case len(tags) == 0 && !strings.Contains(v, string(rev[:7])):
		t.Errorf("--version = %q; want it to name the commit %.12s", v, rev)
	case len(tags) > 0 && !strings.HasPrefix(v, strings.Fields(string(tags))[0]):
		t.Errorf("--version = %q; want it to name the tag %s", v, tags)
	}

	// Hosting: every interface, an auth token from a file, a configured key.
	backend := insforgefake.New(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "mcp-token")
	if err := os.WriteFile(tokenFile, []byte("image-test-token\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	port := freeAddr(t)[len("127.0.0.1:"):]
	env := append(append([]string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}, img.env...),
		"INSFORGE_PROJECT_URL="+backend.URL, "INSFORGE_API_KEY="+insforgefake.DefaultAPIKey)
	// Not the image's: the race runtime's settings for this race build
	// (TestMain's quick exit; without it every health check sleeps a
	// second as it exits).
	if v := os.Getenv("GORACE"); v != "" {
		env = append(env, "GORACE="+v)
	}
	health := func(extraEnv ...string) error {
		hc := exec.Command(bin, img.healthcheck[1:]...)
		hc.Env = append(append([]string{}, env...), extraEnv...)
		return hc.Run()
	}
	if err := health(); err != nil {
		t.Errorf("health check of a stdio container (nothing listens): %v", err)
	}
	listenEnv := "INSFORGE_LISTEN=0.0.0.0:" + port
	if err := health(listenEnv, "INSFORGE_TRANSPORT=http"); err == nil {
		t.Error("health check passed with no server running")
	}

	srv := exec.Command(bin, "--transport", "http", "--listen", "0.0.0.0:"+port, "--auth-token-file", tokenFile)
	srv.Env = env
	stderr := &lockedBuffer{}
	srv.Stderr = stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Kill()
		srv.Wait()
	})
	waitListening(t, "127.0.0.1:"+port, stderr)

	if err := health(listenEnv, "INSFORGE_TRANSPORT=http"); err != nil {
		t.Errorf("health check of the running server: %v (%s)", err, stderr.String())
	}
	url := "http://127.0.0.1:" + port + "/mcp"
	resp, err := http.Post(url, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a request without the token: %d", resp.StatusCode)
	}
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer image-test-token"}))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, client.WithProtocolVersion("2025-11-25"))
	if err := testmcp.Initialize(c, "2025-11-25"); err != nil {
		t.Fatalf("%v (%s)", err, stderr.String())
	}
	if text, isErr := testmcp.CallText(t, c, "run-raw-sql", map[string]any{"query": "SELECT 1 AS one"}); isErr {
		t.Fatalf("run-raw-sql with the configured key: %s", text)
	}
	c.Close()
	srv.Process.Kill()
	srv.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for health(listenEnv, "INSFORGE_TRANSPORT=http") == nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := health(listenEnv, "INSFORGE_TRANSPORT=http"); err == nil {
		t.Error("health check passed after the server died")
	}
}
