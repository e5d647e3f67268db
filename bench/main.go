// Command bench measures insforge-mcp side by side with the official
// InsForge MCP server (@insforge/mcp, TypeScript), both against the same
// fake InsForge backend on loopback (package insforgefake).
//
// From the module root:
//
//	go run ./bench                 # 10 runs each after 2 warm-up rounds
//	go run ./bench -runs 20 -official off
//
// Each run spawns the server, and measures: spawn → initialize response,
// the first and the warm tools/list, the first and the warm tools/call of
// get-backend-metadata, the startup memory (VmHWM and RssAnon right after
// initialize and the first tools/list), the peak RSS after the calls, and
// the bytes of the tools array of tools/list. The servers run in
// alternation, round after round, so that all see the same machine state:
// ours with default flags, ours with --toolsets all, the official server,
// and the floor, a bare mcp-go stdio server with one trivial tool
// (bench/internal/floor) that bounds from below what any mcp-go server
// holds at startup. Medians and the ratios ours/official and ours/floor
// are printed, and written to bench/results.md with a chart in
// bench/results.svg.
//
// The tools arrays are also counted in tokens, approximately: bytes/4
// always, and with the o200k_base tokenizer of js-tiktoken (installed with
// npm into -npm-cache, run by node) when -tokenizer is auto and Node is
// there. Neither is the tokenizer of every model; both are labelled ≈.
//
// Our binary and the floor are built as the Dockerfile builds the release,
// with CGO_ENABLED=0 -trimpath -ldflags "-s -w" (or given with -ours). The
// official server is installed once with npm into -npm-cache and run with
// node directly, so that no download is measured; it is measured over
// stdio only (its HTTP server needs Redis and the InsForge cloud's OAuth).
// Ours is also measured over streamable HTTP.
//
// The load run for streamable HTTP is a separate command: go run ./bench/load.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
)

// officialVersion is the official server release measured.
const officialVersion = "1.2.11"

type options struct {
	runs     int
	warmup   int
	repeat   int
	ours     string
	official string
	npmCache string
	floor    bool
	tokens   string
	http     bool
	out      string
	timeout  time.Duration
	// The big-answers run (big.go) instead of the comparison.
	big      bool
	bigCalls int
	bigBytes int
	readme   string
}

func main() {
	var o options
	flag.IntVar(&o.runs, "runs", 10, "measured runs of each server")
	flag.IntVar(&o.warmup, "warmup", 2, "warm-up rounds, not measured")
	flag.IntVar(&o.repeat, "repeat", 5, "warm tools/list and tools/call repetitions within one run (their median is the warm figure)")
	flag.StringVar(&o.ours, "ours", "", "our binary (default: build ./cmd/insforge-mcp with CGO_ENABLED=0 -trimpath -ldflags \"-s -w\", as the Dockerfile does)")
	flag.StringVar(&o.official, "official", "auto", "the official server: auto (node + @insforge/mcp@"+officialVersion+" from -npm-cache, installed there when missing), off, or a command line")
	flag.StringVar(&o.npmCache, "npm-cache", filepath.Join(os.TempDir(), "bench-npm"), "npm prefix the official server is installed into")
	flag.BoolVar(&o.floor, "floor", true, "also measure the floor: a bare mcp-go stdio server with one tool (bench/internal/floor)")
	flag.StringVar(&o.tokens, "tokenizer", "auto", "count the tools arrays with js-tiktoken's o200k_base too: auto (node + js-tiktoken@"+tiktokenVersion+" from -npm-cache, installed there when missing) or off; bytes/4 is always given")
	flag.BoolVar(&o.http, "http", true, "also measure ours over streamable HTTP")
	flag.StringVar(&o.out, "out", "bench", "directory for results.md and results.svg (\"\" writes nothing)")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "time limit of one run")
	flag.BoolVar(&o.big, "big-answers", false, "instead of the comparison, the big-answers run: concurrent calls answered by huge bodies, and the server's peak RSS")
	flag.IntVar(&o.bigCalls, "big-calls", 10, "big-answers run: concurrent calls")
	flag.IntVar(&o.bigBytes, "big-bytes", 30_000_000, "big-answers run: bytes of each answer")
	flag.StringVar(&o.readme, "readme", "README.md", "big-answers run: README whose big-answers section gets the figures (\"\" writes nothing)")
	flag.Parse()
	if err := run(context.Background(), o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, stdout, stderr io.Writer) error {
	if o.runs < 1 {
		return fmt.Errorf("-runs must be at least 1")
	}
	work, err := os.MkdirTemp("", "insforge-mcp-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if o.big {
		return runBigAnswers(ctx, o, work, stdout, stderr)
	}

	backend := insforgefake.Start()
	defer backend.Close()
	seed(backend)

	ours, err := buildOurs(o, work, stderr)
	if err != nil {
		return err
	}
	var floor string
	if o.floor {
		floor = filepath.Join(work, "floor")
		fmt.Fprintln(stderr, "building the floor: CGO_ENABLED=0 go build -trimpath -ldflags \"-s -w\" ./bench/internal/floor")
		if err := build(floor, "./bench/internal/floor"); err != nil {
			return err
		}
	}
	official, why, err := officialCommand(o, stderr)
	if err != nil {
		return err
	}

	home := filepath.Join(work, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	env := func(apiURL string) []string {
		return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "API_BASE_URL=" + apiURL, "API_KEY=" + insforgefake.DefaultAPIKey}
	}
	// Ours with default flags (--credentials-file none only keeps a saved
	// project out of the measurement), and with every tool listed.
	servers := []server{
		{Name: "ours", Argv: []string{ours, "--credentials-file", "none"}},
		{Name: "ours-all", Argv: []string{ours, "--credentials-file", "none", "--toolsets", "all"}},
	}
	if official != nil {
		servers = append(servers, server{Name: "official", Argv: official})
	}
	if floor != "" {
		servers = append(servers, server{Name: "floor", Argv: []string{floor}})
	}
	if o.http {
		servers = append(servers, server{Name: "ours-http", HTTP: true,
			Argv: []string{ours, "--transport", "http", "--listen", "{addr}", "--credentials-file", "none", "--allowed-project-hosts", "127.0.0.1"}})
	}
	for i := range servers {
		servers[i].Env = env(backend.URL)
	}

	loadStart := loadAverage()
	samples := map[string][]sample{}
	rounds := o.warmup + o.runs
	for r := range rounds {
		order := servers
		if r%2 == 1 { // alternate who goes first
			order = reversed(servers)
		}
		for _, srv := range order {
			rctx, cancel := context.WithTimeout(ctx, o.timeout)
			s, err := measure(rctx, srv, o.repeat)
			cancel()
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", srv.Name, r+1, err)
			}
			if r >= o.warmup {
				samples[srv.Name] = append(samples[srv.Name], s)
			}
		}
		phase := "measured"
		if r < o.warmup {
			phase = "warm-up"
		}
		fmt.Fprintf(stderr, "round %d/%d (%s) done\n", r+1, rounds, phase)
	}

	// One more run of each server, untimed, through a recording proxy: which
	// backend endpoints each server called and what the fake answered.
	seen := map[string]recorded{}
	for _, srv := range servers {
		if srv.HTTP || srv.Name == "floor" || srv.Name == "ours-all" {
			continue // the floor has no backend; ours-all calls as ours does
		}
		rec := newRecorder(backend.URL)
		srv.Env = env(rec.URL())
		rctx, cancel := context.WithTimeout(ctx, o.timeout)
		s, err := measure(rctx, srv, 1)
		cancel()
		rec.Close()
		if err != nil {
			return fmt.Errorf("%s, recorded run: %w", srv.Name, err)
		}
		seen[srv.Name] = recorded{Calls: rec.Calls(), Stderr: firstLines(s.Stderr, 8)}
	}

	info := machineInfo(official != nil)
	info["load"] = strings.TrimSpace(loadStart + " at the start, " + loadAverage() + " at the end")
	res := summarize(samples, o, info, why, seen)
	res.Tokenizer, res.TokenizerWhy = countTokens(o, res.Lists, stderr)
	fmt.Fprint(stdout, res.Markdown())
	if o.out != "" {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(o.out, "results.md"), []byte(res.Markdown()), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(o.out, "results.svg"), []byte(res.SVG()), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s and %s\n", filepath.Join(o.out, "results.md"), filepath.Join(o.out, "results.svg"))
	}
	return nil
}

// buildOurs returns -ours, or else builds our binary into work as the
// Dockerfile builds the release.
func buildOurs(o options, work string, stderr io.Writer) (string, error) {
	if o.ours != "" {
		return o.ours, nil
	}
	ours := filepath.Join(work, "insforge-mcp")
	fmt.Fprintln(stderr, "building ours: CGO_ENABLED=0 go build -trimpath -ldflags \"-s -w\" ./cmd/insforge-mcp")
	return ours, build(ours, "./cmd/insforge-mcp")
}

// runBigAnswers builds ours (unless given) and runs the big-answers
// measurement, writing its table to -out and into -readme.
func runBigAnswers(ctx context.Context, o options, work string, stdout, stderr io.Writer) error {
	ours, err := buildOurs(o, work, stderr)
	if err != nil {
		return err
	}
	home := filepath.Join(work, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	srv := server{Name: "ours-http", HTTP: true,
		Argv: []string{ours, "--transport", "http", "--listen", "{addr}", "--credentials-file", "none"},
		Env:  []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "API_KEY=" + insforgefake.DefaultAPIKey}}
	load := loadAverage()
	rctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	res, err := runBig(rctx, srv, o.bigCalls, o.bigBytes)
	res.Info = machineInfo(false)
	res.Info["load"] = load + " at the start, " + loadAverage() + " at the end"
	fmt.Fprint(stdout, res.Markdown())
	if err != nil {
		return err
	}
	if !res.Met() {
		return fmt.Errorf("the target was missed: peak RSS %d KiB (target %d MB)", res.PeakRSSKB, bigTargetMB)
	}
	if o.out != "" {
		if err := os.WriteFile(filepath.Join(o.out, "big-answers.md"), []byte(res.Markdown()), 0o644); err != nil {
			return err
		}
	}
	if o.readme != "" {
		return replaceBetween(o.readme, bigStart, bigEnd, res.Markdown())
	}
	return nil
}

// seed gives the fake backend a little state, so that the metadata is not
// empty.
func seed(b *insforgefake.Server) {
	b.AddTable("todos", insforgefake.AutoColumns(
		insforgefake.Column{Name: "title", Type: "string"},
		insforgefake.Column{Name: "done", Type: "boolean"},
	), map[string]any{"title": "write the benchmark", "done": true}, map[string]any{"title": "publish the table", "done": false})
	b.AddTable("profiles", insforgefake.AutoColumns(
		insforgefake.Column{Name: "name", Type: "string"},
		insforgefake.Column{Name: "bio", Type: "string", Nullable: true},
	), map[string]any{"name": "Ada"})
}

// build builds a main package of the module as the Dockerfile builds the
// release binary: static, stripped.
func build(out, pkg string) error {
	return goBuild(out, pkg, []string{"CGO_ENABLED=0"}, "-trimpath", "-ldflags", "-s -w")
}

// goBuild runs go build in the module's root with extra environment
// entries and flags.
func goBuild(out, pkg string, env []string, flags ...string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", out, pkg)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s: %w", pkg, err)
	}
	return nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run the driver from inside the insforge-mcp module")
	}
	return filepath.Dir(mod), nil
}

// officialCommand resolves -official; a nil command with a reason means
// the official server is not measured.
func officialCommand(o options, stderr io.Writer) ([]string, string, error) {
	switch o.official {
	case "off", "":
		return nil, "not measured (-official off)", nil
	case "auto":
	default:
		return strings.Fields(o.official), "", nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, "not measured: Node.js is not installed", nil
	}
	pkg, err := npmInstall(o.npmCache, "@insforge/mcp", officialVersion, stderr)
	if errors.Is(err, errNoNPM) {
		return nil, "not measured: npm is not installed", nil
	}
	if err != nil {
		return nil, "", err
	}
	bin, err := packageBin(pkg, "insforge-mcp")
	if err != nil {
		return nil, "", err
	}
	return []string{node, bin}, "", nil
}

var errNoNPM = errors.New("npm is not installed")

// npmInstall installs name@version into the npm prefix, unless it is there
// already, and returns the package's directory.
func npmInstall(prefix, name, version string, stderr io.Writer) (string, error) {
	pkg := filepath.Join(prefix, "node_modules", filepath.FromSlash(name))
	if packageVersion(pkg) == version {
		return pkg, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errNoNPM
	}
	fmt.Fprintf(stderr, "installing %s@%s into %s (once)\n", name, version, prefix)
	cmd := exec.Command(npm, "install", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error", name+"@"+version)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm install %s@%s: %w", name, version, err)
	}
	if v := packageVersion(pkg); v != version {
		return "", fmt.Errorf("%s holds %s %q after npm install, not %s", pkg, name, v, version)
	}
	return pkg, nil
}

func packageVersion(dir string) string {
	var p struct {
		Version string `json:"version"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil || json.Unmarshal(data, &p) != nil {
		return ""
	}
	return p.Version
}

func packageBin(dir, name string) (string, error) {
	var p struct {
		Bin map[string]string `json:"bin"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return "", fmt.Errorf("%s/package.json: %w", dir, err)
	}
	rel, ok := p.Bin[name]
	if !ok {
		return "", fmt.Errorf("%s/package.json has no bin %q", dir, name)
	}
	return filepath.Join(dir, rel), nil
}

// machineInfo describes where the run happened.
func machineInfo(withNode bool) map[string]string {
	info := map[string]string{
		"go":    runtime.Version(),
		"cores": fmt.Sprint(runtime.NumCPU()),
		"os":    runtime.GOOS + "/" + runtime.GOARCH,
		"date":  time.Now().UTC().Format("2006-01-02"),
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				info["cpu"] = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if withNode {
		if out, err := exec.Command("node", "--version").Output(); err == nil {
			info["node"] = strings.TrimSpace(string(out))
		}
	}
	if out, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		info["commit"] = strings.TrimSpace(string(out))
	}
	return info
}

// loadAverage is the one-minute load average: other work on the machine
// slows every server, and the timings say so only with it beside them.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func reversed(s []server) []server {
	out := make([]server, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// loopbackClient is an HTTP client that never uses a proxy.
func loopbackClient() *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}}
}
