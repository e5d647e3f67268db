package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/pgtest"
	"github.com/insforge-mcp/insforge-mcp/internal/testbin"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
)

// binary is the server the tests run: see TestMain.
var binary string

// serverName is the name the tests run the server by: a link to this test
// binary, which then runs main (see TestMain).
const serverName = "insforge-mcp"

// TestMain makes the server the tests drive as clients do. It is this test
// binary, already built with the run's flags (-race): started through a
// link named insforge-mcp, it runs main instead of the tests, with a drain
// of --timeout + 1 s instead of + 5 s, since the shutdown test waits out a
// whole drain. A separate `go build` would link the same packages once more.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == serverName {
		drainGrace = time.Second
		main()
	}
	testbin.QuickRaceExit()
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "finding the test binary:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "insforge-mcp-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, serverName)
	if err := os.Symlink(exe, binary); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The interop packages install (npm ci: tens of seconds on a fresh
	// clone) while the other tests run.
	go interopOnce() //nolint:errcheck // the interop tests report its error
	// The fake backends' PostgreSQL cluster, which nearly every test needs
	// first, starts meanwhile too.
	go pgtest.Available() //nolint:errcheck // the first fake to use its database reports the error
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{"INSFORGE_TRANSPORT": "http", "INSFORGE_READ_ONLY": "true", "INSFORGE_TOOLSETS": "database, metadata"}
	c, err := parseConfig([]string{"--listen", "127.0.0.1:9999"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.transport != "http" || !c.readOnly || c.listen != "127.0.0.1:9999" || !slices.Equal(c.toolsets, []string{"database", "metadata"}) {
		t.Fatalf("got %+v", c)
	}
	c, err = parseConfig([]string{"--read-only", "--confirm-destructive", "--allow-unrestricted-sql=false"}, func(string) string { return "" }, &bytes.Buffer{})
	if err != nil || !c.readOnly || !c.confirmDestruct || c.unrestrictedSQL {
		t.Fatalf("switches: %+v %v", c, err)
	}
	c, err = parseConfig([]string{"--max-conns-per-ip", "0"}, func(string) string { return "" }, &bytes.Buffer{})
	if err != nil || c.maxConnsPerIP != 0 || c.idleTimeout != 60*time.Second || c.readTimeout != 30*time.Second {
		t.Fatalf("connection limits: %+v %v", c, err)
	}
	for _, bad := range [][]string{{"--transport", "ws"}, {"--read-only=maybe"}, {"--timeout", "-1s"}, {"--max-result-bytes", "10"}, {"--max-conns-per-ip", "-1"}, {"--idle-timeout", "0s"}, {"--read-timeout", "soon"}, {"extra"}, {"--nope"}} {
		if _, err := parseConfig(bad, func(string) string { return "" }, &bytes.Buffer{}); err == nil {
			t.Errorf("parseConfig(%v) accepted", bad)
		}
	}
}

func TestVersionHelpAndBadFlags(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binary, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "insforge-mcp ") {
		t.Fatalf("--version: %v %q", err, out)
	}
	help, err := exec.Command(binary, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("--help exit: %v", err)
	}
	for _, f := range new(config).options() {
		if !bytes.Contains(help, []byte("--"+f.name)) || !bytes.Contains(help, []byte(f.env)) {
			t.Errorf("--help lacks --%s / %s", f.name, f.env)
		}
	}
	cmd := exec.Command(binary, "--transport", "carrier-pigeon")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "--transport") {
		t.Fatalf("bad flag: %v %s", err, stderr.String())
	}
}

// lockedBuffer collects a child's stderr safely.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func stdioClient(t *testing.T, env []string, args ...string) (*client.Client, *lockedBuffer) {
	t.Helper()
	stderr := &lockedBuffer{}
	tr := transport.NewStdioWithOptions(binary, append(env, "HOME="+t.TempDir()), append([]string{"--credentials-file", "none"}, args...),
		transport.WithCommandStderrWriter(stderr))
	c := client.NewClient(tr, client.WithProtocolVersion("2025-11-25"))
	t.Cleanup(func() { c.Close() })
	if err := testmcp.Initialize(c, "2025-11-25"); err != nil {
		t.Fatalf("%v (stderr: %s)", err, stderr.String())
	}
	return c, stderr
}

func TestStdioGateEndToEnd(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	backend.AddTable("todos", []insforgefake.Column{{Name: "title", Type: "string"}}, map[string]any{"title": "ship it"})
	c, stderr := stdioClient(t, nil)

	names := testmcp.ToolNames(t, c)
	for _, want := range []string{"connect-project", "run-raw-sql", "find-tools", "call-tool"} {
		if !slices.Contains(names, want) {
			t.Fatalf("stdio lists %v, without %s", names, want)
		}
	}
	if text, isErr := testmcp.CallText(t, c, "run-raw-sql", map[string]any{"query": "SELECT 1"}); !isErr || !strings.Contains(text, "connect-project") {
		t.Fatalf("run-raw-sql before connect-project: %s", text)
	}
	if text, isErr := testmcp.CallText(t, c, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": insforgefake.DefaultAPIKey}); isErr {
		t.Fatalf("connect: %s", text)
	}
	text, isErr := testmcp.CallText(t, c, "run-raw-sql", map[string]any{"query": "SELECT * FROM todos"})
	if isErr || !strings.Contains(text, "ship it") {
		t.Fatalf("run-raw-sql: %s", text)
	}
	if text, isErr := testmcp.CallText(t, c, "get-backend-metadata", nil); isErr || !strings.Contains(text, "todos") {
		t.Fatalf("get-backend-metadata: %s", text)
	}
	if strings.Contains(stderr.String(), insforgefake.DefaultAPIKey) {
		t.Fatal("the key appeared on stderr")
	}
}

func TestStdioConfiguredFromEnvNeverLeaksTheKey(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	c, stderr := stdioClient(t, []string{"INSFORGE_PROJECT_URL=" + backend.URL, "INSFORGE_API_KEY=" + insforgefake.DefaultAPIKey}, "--log-level", "debug")
	var all strings.Builder
	for _, name := range []string{"get-backend-metadata", "get-anon-key", "list-tables"} {
		text, isErr := testmcp.CallText(t, c, name, nil)
		if isErr {
			t.Fatalf("%s: %s", name, text)
		}
		all.WriteString(text)
	}
	backend.Fail("GET", "/api/metadata", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "failed for " + insforgefake.DefaultAPIKey})
	text, _ := testmcp.CallText(t, c, "get-backend-metadata", nil)
	all.WriteString(text)
	c.Close()
	for where, s := range map[string]string{"results": all.String(), "stderr": stderr.String()} {
		if strings.Contains(s, insforgefake.DefaultAPIKey) {
			t.Errorf("the key appeared in %s", where)
		}
	}
	if !strings.Contains(stderr.String(), "insforge request") {
		t.Error("debug logging did not reach stderr")
	}
}

// initialize must be answered at once even when the configured backend hangs.
func TestInitializeDoesNotWaitForTheBackend(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(release)
	c, _ := stdioClient(t, []string{"INSFORGE_PROJECT_URL=" + hanging.URL, "INSFORGE_API_KEY=" + insforgefake.DefaultAPIKey}, "--timeout", "500ms")
	if names := testmcp.ToolNames(t, c); !slices.Contains(names, "run-raw-sql") {
		t.Fatalf("configured server lists %v", names)
	}
	text, isErr := testmcp.CallText(t, c, "get-backend-metadata", nil)
	if !isErr || !strings.Contains(text, "did not answer in time") {
		t.Fatalf("hanging backend: %v %s", isErr, text)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startServer runs the binary with an HTTP transport and waits until it listens.
func startServer(t *testing.T, kind string, extra ...string) (string, *exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--transport", kind, "--listen", "127.0.0.1:0", "--credentials-file", "none", "--allowed-project-hosts", "127.0.0.1"}, extra...)...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return "http://" + listenAddr(t, stderr), cmd, stderr
}

// listenLine is the log line of a server listening, with its address.
var listenLine = regexp.MustCompile(`msg="serving (?:streamable HTTP|SSE)" (?:url|sse)=http://([^/\s]+)/`)

// listenAddr waits for a server started with --listen 127.0.0.1:0 to log
// the address it was given, and returns it. (A free port picked by the
// test and handed to the server can be taken by another test's server
// before it binds: the test then talks to that server until it stops.)
func listenAddr(t *testing.T, stderr *lockedBuffer) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := listenLine.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not listen: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHTTPTransportsEndToEnd(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"http", "sse"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			backend := insforgefake.New(t)
			base, cmd, stderr := startServer(t, kind)
			var tr transport.Interface
			var err error
			if kind == "sse" {
				tr, err = transport.NewSSE(base + "/sse")
			} else {
				tr, err = transport.NewStreamableHTTP(base + "/mcp")
			}
			if err != nil {
				t.Fatal(err)
			}
			c := client.NewClient(tr, client.WithProtocolVersion("2025-11-25"))
			if err := testmcp.Initialize(c, "2025-11-25"); err != nil {
				t.Fatalf("%v (%s)", err, stderr.String())
			}
			if text, isErr := testmcp.CallText(t, c, "run-raw-sql", map[string]any{"query": "SELECT 1"}); !isErr || !strings.Contains(text, "connect-project") {
				t.Fatalf("run-raw-sql before connect-project: %s", text)
			}
			if text, isErr := testmcp.CallText(t, c, "connect-project", map[string]any{"projectUrl": backend.URL, "apiKey": insforgefake.DefaultAPIKey}); isErr {
				t.Fatalf("connect: %s", text)
			}
			if text, isErr := testmcp.CallText(t, c, "run-raw-sql", map[string]any{"query": "SELECT 1"}); isErr {
				t.Fatalf("run-raw-sql: %s", text)
			}
			c.Close()

			// SIGTERM: graceful shutdown, exit 0.
			cmd.Process.Signal(syscall.SIGTERM)
			waitExit(t, cmd, stderr, 15*time.Second)
			if strings.Contains(stderr.String(), insforgefake.DefaultAPIKey) {
				t.Fatal("key on stderr")
			}
		})
	}
}

// The README's flag table documents every flag and its variable.
func TestReadmeDocumentsEveryFlag(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range new(config).options() {
		if !bytes.Contains(readme, []byte("`--"+f.name+"`")) || !bytes.Contains(readme, []byte("`"+f.env+"`")) {
			t.Errorf("README.md does not document --%s / %s", f.name, f.env)
		}
	}
}

// waitExit waits for a signalled server to exit 0 within d.
func waitExit(t *testing.T, cmd *exec.Cmd, stderr fmt.Stringer, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v (%s)", err, stderr.String())
		}
	case <-time.After(d):
		t.Fatalf("the server did not stop within %v of SIGTERM", d)
	}
}
