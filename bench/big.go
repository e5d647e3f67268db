package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/insforge-mcp/insforge-mcp/bench/internal/mcpwire"
)

// The big-answers run (go run ./bench -big-answers): N concurrent tool
// calls (default 10), each from its own streamable HTTP session, each
// answered by a JSON body of S bytes (default 30 MB) from a handler of
// this program on loopback. The server runs as its own process, so the
// peak RSS read from /proc is its own. Every call must come back as a
// result cut to --max-result-bytes with the note saying so, and the
// server's peak RSS must stay within the target.

// bigTargetMB is the peak RSS the server must stay within.
const bigTargetMB = 256

// bigResult is what the big-answers run measured.
type bigResult struct {
	Calls      int
	BodyBytes  int
	StartRSSKB int64 // VmHWM once every session is open
	PeakRSSKB  int64 // VmHWM after the calls
	Cut        int   // calls that returned a cut result with its note
	Sent       int64 // bytes of the answers the backend got to write, all calls together
	Took       time.Duration
	Info       map[string]string
}

// bigBackend answers /api/database/advance/rawsql with {"rows":[…]} of
// size bytes (with its Content-Length), generated as it is written, and
// counts the bytes the client took; every other path gets {}.
func bigBackend(size int, sent *atomic.Int64) *httptest.Server {
	row := func(i int) string {
		return fmt.Sprintf(`{"id":%d,"email":"user%d@example.com","note":"%s"}`, i, i, strings.Repeat("n", 60))
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/api/database/advance/rawsql" {
			w.Write([]byte(`{}`))
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(size))
		bw := bufio.NewWriterSize(w, 64<<10)
		defer func() { bw.Flush() }()
		n, _ := bw.WriteString(`{"rows":[`)
		for i := 0; ; i++ {
			item := row(i)
			if i > 0 {
				item = "," + item
			}
			if n+len(item)+2 > size {
				break
			}
			m, err := bw.WriteString(item)
			n += m
			sent.Add(int64(m))
			if err != nil {
				return // the server stopped reading
			}
		}
		bw.WriteString(strings.Repeat(" ", size-n-2) + "]}")
	}))
}

// runBig runs the big-answers measurement against srv (whose Env gets the
// backend's URL as API_BASE_URL).
func runBig(ctx context.Context, srv server, calls, size int) (res bigResult, err error) {
	var sent atomic.Int64
	backend := bigBackend(size, &sent)
	defer backend.Close()
	res = bigResult{Calls: calls, BodyBytes: size}

	addr, err := freeAddr()
	if err != nil {
		return res, err
	}
	argv := slices.Clone(srv.Argv)
	for i, a := range argv {
		argv[i] = strings.ReplaceAll(a, "{addr}", addr)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(slices.Clone(srv.Env), "API_BASE_URL="+backend.URL)
	stderr := &capped{max: 64 << 10}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("start %s: %w", srv.Name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() {
		stop(cmd, nil, exited, true)
		if err != nil {
			err = fmt.Errorf("%w\n%s stderr:\n%s", err, srv.Name, tail(stderr.String(), 2000))
		}
	}()

	sessions, err := openBigSessions(ctx, "http://"+addr+"/mcp", calls, exited)
	if err != nil {
		return res, err
	}
	if res.StartRSSKB, _, err = memory(cmd.Process.Pid); err != nil {
		return res, err
	}
	start := time.Now()
	errs := make([]error, calls)
	var wg sync.WaitGroup
	for i, c := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, tr, err := mcpwire.CallTool(ctx, c, "run-raw-sql", map[string]any{"query": "SELECT * FROM big"})
			switch {
			case err != nil:
				errs[i] = err
			case !strings.Contains(tr.Text(), "larger than this server reads") || !strings.Contains(tr.Text(), "Ask for less"):
				errs[i] = fmt.Errorf("call %d: the result has no cut note: %.300s", i, tr.Text())
			}
		}()
	}
	wg.Wait()
	res.Took = time.Since(start)
	if res.PeakRSSKB, _, err = memory(cmd.Process.Pid); err != nil {
		return res, err
	}
	res.Sent = sent.Load()
	for _, e := range errs {
		if e == nil {
			res.Cut++
		}
	}
	return res, errors.Join(errs...)
}

// openBigSessions opens n sessions, polling until the server listens.
func openBigSessions(ctx context.Context, url string, n int, exited chan struct{}) ([]*mcpwire.HTTP, error) {
	var out []*mcpwire.HTTP
	for len(out) < n {
		h := mcpwire.NewHTTP(url, nil)
		h.Client = loopbackClient()
		_, err := mcpwire.Initialize(ctx, h, "insforge-mcp-bench")
		switch {
		case err == nil:
			out = append(out, h)
			continue
		case !isConnRefused(err) || len(out) > 0:
			return nil, fmt.Errorf("initialize: %w", err)
		}
		select {
		case <-exited:
			return nil, errors.New("the server exited before listening")
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return out, nil
}

// Met reports whether the run met the target: every call cut with its
// note, peak RSS within bigTargetMB.
func (r bigResult) Met() bool {
	return r.Cut == r.Calls && r.PeakRSSKB*1024 <= bigTargetMB*1000*1000
}

// Markdown is the run's table, as the README shows it.
func (r bigResult) Markdown() string {
	var b strings.Builder
	mb := func(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)*1024/1e6) }
	verdict := "met"
	if !r.Met() {
		verdict = "**missed**"
	}
	fmt.Fprintf(&b, "%d concurrent `run-raw-sql` calls, each from its own streamable HTTP session, each answered by a %d MB JSON body ({\"rows\":[…]}, about 100-byte rows) from a loopback handler; the server is the release build, a process of its own, with default flags.\n\n",
		r.Calls, r.BodyBytes/1e6)
	b.WriteString("| Figure | Value |\n|---|---:|\n")
	fmt.Fprintf(&b, "| server peak RSS (VmHWM) with every session open, before the calls | %s |\n", mb(r.StartRSSKB))
	fmt.Fprintf(&b, "| server peak RSS (VmHWM) after the calls | %s |\n", mb(r.PeakRSSKB))
	fmt.Fprintf(&b, "| target | ≤ %d MB: %s |\n", bigTargetMB, verdict)
	fmt.Fprintf(&b, "| calls answered with a cut result and its note | %d of %d |\n", r.Cut, r.Calls)
	fmt.Fprintf(&b, "| answer bytes the backend's writes got through before the server closed, all calls together (loopback socket buffers take a few MB per connection) | %.2f MB of %d MB |\n", float64(r.Sent)/1e6, r.Calls*r.BodyBytes/1e6)
	fmt.Fprintf(&b, "| wall time of the %d calls | %d ms |\n", r.Calls, r.Took.Milliseconds())
	if r.Info != nil {
		fmt.Fprintf(&b, "\nMachine: %s, Go %s, one-minute load average %s.\n", r.Info["cpu"], strings.TrimPrefix(r.Info["go"], "go"), r.Info["load"])
	}
	return b.String()
}

// Markers around the generated part of the README.
const (
	bigStart = "<!-- big-answers:start (generated by `go run ./bench -big-answers`) -->"
	bigEnd   = "<!-- big-answers:end -->"
)

// replaceBetween replaces what lies between the markers in file with body.
func replaceBetween(file, startMark, endMark, body string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	s := string(data)
	i, j := strings.Index(s, startMark), strings.Index(s, endMark)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s … %s section", file, startMark, endMark)
	}
	s = s[:i+len(startMark)] + "\n" + body + s[j:]
	return os.WriteFile(file, []byte(s), 0o644)
}
