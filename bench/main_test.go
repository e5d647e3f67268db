package main

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/insforgetest"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// serverEnv makes the test binary an MCP server (stdio, or http on the
// address given as its last argument), standing in for a server command.
const serverEnv = "INSFORGE_MCP_BENCH_TEST_SERVER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(serverEnv); mode != "" {
		os.Exit(serveForTest(mode))
	}
	os.Exit(m.Run())
}

func serveForTest(mode string) int {
	srv := mcpserver.New(mcpserver.Config{
		Version:    "test",
		Surface:    catalogue.Full(),
		ToolConfig: tools.Config{MaxResultBytes: 100000},
		Transport:  insforge.NewTransport(insforge.Options{Timeout: 5 * time.Second}),
		Configured: credentials.Credentials{ProjectURL: os.Getenv("API_BASE_URL"), APIKey: os.Getenv("API_KEY")},
	})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	var err error
	if mode == "stdio" {
		err = srv.ServeStdio(ctx, os.Stdin, os.Stdout)
	} else {
		var ln net.Listener
		if ln, err = net.Listen("tcp", os.Args[len(os.Args)-1]); err == nil {
			err = mcpserver.ServeHTTP(ctx, ln, srv.StreamableHandler(mcpserver.HTTPOptions{Loopback: true}), time.Second)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func testServer(t *testing.T, backendURL string, http bool) server {
	mode, argv := "stdio", []string{os.Args[0]}
	if http {
		mode, argv = "http", []string{os.Args[0], "-test.run=^$", "{addr}"}
	}
	return server{
		Name: mode, HTTP: http, Argv: argv,
		Env: append(os.Environ(), serverEnv+"="+mode, "API_BASE_URL="+backendURL, "API_KEY="+insforgetest.DefaultAPIKey),
	}
}

// TestMeasureStdioAndHTTP runs the driver's sequence against a real server
// process over both transports and checks every figure is filled in.
func TestMeasureStdioAndHTTP(t *testing.T) {
	backend := insforgetest.New(t)
	seed(backend)
	for _, http := range []bool{false, true} {
		srv := testServer(t, backend.URL, http)
		t.Run(srv.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s, err := measure(ctx, srv, 2)
			if err != nil {
				t.Fatal(err)
			}
			if s.Init <= 0 || s.ListFirst <= 0 || s.ListWarm <= 0 || s.CallFirst <= 0 || s.CallWarm <= 0 {
				t.Errorf("a duration is missing: %+v", s)
			}
			if s.RSSKB < 1000 || s.AnonKB < 100 || s.AnonKB > s.RSSKB || s.ListBytes < 10000 || s.Tools < 50 {
				t.Errorf("RSS %d KiB (anon %d), tools/list %d bytes, %d tools", s.RSSKB, s.AnonKB, s.ListBytes, s.Tools)
			}
		})
	}
}

// TestMeasureReportsAFailingServer: a server that exits at once is an
// error with its stderr, not a hang.
func TestMeasureReportsAFailingServer(t *testing.T) {
	srv := server{Name: "broken", Argv: []string{"/bin/sh", "-c", "echo cannot start >&2; exit 3"}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := measure(ctx, srv, 1)
	if err == nil || !strings.Contains(err.Error(), "cannot start") {
		t.Fatalf("err = %v", err)
	}
}

// TestRecorderCountsBackendCalls: the recording proxy forwards and counts.
func TestRecorderCountsBackendCalls(t *testing.T) {
	backend := insforgetest.New(t)
	rec := newRecorder(backend.URL)
	defer rec.Close()
	srv := testServer(t, rec.URL(), false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := measure(ctx, srv, 1); err != nil {
		t.Fatal(err)
	}
	calls := rec.Calls()
	found := false
	for _, c := range calls {
		if c.Method == "GET" && strings.HasPrefix(c.Path, "/api/metadata") && c.Status == 200 && c.Count >= 2 {
			found = true
		}
	}
	if !found {
		t.Fatalf("calls: %+v", calls)
	}
}

func TestMedians(t *testing.T) {
	if got := median([]time.Duration{5, 1, 3}); got != 3 {
		t.Errorf("median odd = %v", got)
	}
	if got := median([]time.Duration{4, 1, 3, 2}); got != 2 {
		t.Errorf("median even = %v", got) // (2+3)/2 truncated
	}
	if got := medianFloat([]float64{1, 10, 2, 3}); got != 2.5 {
		t.Errorf("medianFloat = %v", got)
	}
	if !math.IsNaN(medianFloat(nil)) {
		t.Error("median of nothing is a number")
	}
}

func TestRatioWording(t *testing.T) {
	timeFig, sizeFig := figures[0], figures[len(figures)-1]
	for _, c := range []struct {
		ours, theirs float64
		f            figure
		want         string
	}{
		{10, 400, timeFig, "0.025 (40× faster)"},
		{20, 10, timeFig, "2 (2× worse)"},
		{100, 10, sizeFig, "10"},
		{1, 0, timeFig, "–"},
		{math.NaN(), 1, timeFig, "–"},
	} {
		if got := ratio(c.ours, c.theirs, c.f); got != c.want {
			t.Errorf("ratio(%v, %v) = %q, want %q", c.ours, c.theirs, got, c.want)
		}
	}
}

func sampleResults() results {
	mk := func(init time.Duration, rss int64, bytes int) []sample {
		var ss []sample
		for i := range 3 {
			d := time.Duration(i) * time.Millisecond
			ss = append(ss, sample{Init: init + d, ListFirst: 2 * time.Millisecond, ListWarm: time.Millisecond, CallFirst: 3 * time.Millisecond, CallWarm: time.Millisecond, RSSKB: rss, AnonKB: rss / 4, ListBytes: bytes, Tools: 100})
		}
		return ss
	}
	samples := map[string][]sample{
		"ours":      mk(12*time.Millisecond, 20000, 100000),
		"official":  mk(300*time.Millisecond, 80000, 10000),
		"ours-http": mk(14*time.Millisecond, 20000, 100000),
	}
	seen := map[string]recorded{"official": {Calls: []backendCall{{Method: "POST", Path: "/api/usage/mcp", Status: 404, Count: 2}}}}
	return summarize(samples, options{runs: 3, warmup: 1}, map[string]string{"cpu": "Test CPU <x>", "cores": "2", "go": "go1.x", "date": "2026-01-01"}, "", seen)
}

func TestMarkdownTable(t *testing.T) {
	md := sampleResults().Markdown()
	for _, want := range []string{
		"| spawn → initialize response | 13.0 ms | 301 ms | 0.0432 (23.2× faster) |",
		"| peak RSS after tools/list and the calls | 19.5 MB | 78.1 MB | 0.25 (4× less) |",
		"(100 tools)",
		"Ours over streamable HTTP",
		"`POST /api/usage/mcp` 404 ×2",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestSVGIsWellFormed(t *testing.T) {
	for _, r := range []results{sampleResults(), func() results {
		r := sampleResults()
		delete(r.Median, "official")
		r.Why = "not measured: Node.js is not installed"
		return r
	}()} {
		svg := r.SVG()
		dec := xml.NewDecoder(strings.NewReader(svg))
		rects := 0
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("SVG does not parse: %v\n%s", err, svg)
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
				rects++
			}
		}
		if rects < len(figures)+3 {
			t.Errorf("%d rects", rects)
		}
		for _, want := range []string{"spawn → initialize response", "Test CPU &lt;x&gt;"} {
			if !strings.Contains(svg, want) {
				t.Errorf("SVG lacks %q", want)
			}
		}
	}
}
