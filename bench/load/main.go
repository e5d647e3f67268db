// Command load is the streamable HTTP load run of insforge-mcp: K
// concurrent sessions (default 1,000) against a server in this process,
// which talks to the fake InsForge backend (package insforgefake), also in
// this process, on loopback.
//
//	go run ./bench/load                       # 1,000 sessions, 10 s of calls
//	go run ./bench/load -sessions 200 -duration 5s
//
// The clients run in a child process (this program again), so that the
// server's memory is measured alone. The run:
//
//  1. opens K sessions (initialize + notifications/initialized), each
//     session with its own HTTP connection, as K separate clients would;
//  2. measures the server's heap in use with every session idle and its
//     connection open, then again after the clients closed their idle
//     connections (the session state alone); each divided by K is the
//     memory per idle session;
//  3. has every session call a tool (get-backend-metadata) in a loop for
//     the given time, and reports throughput, p50/p99/max latency, errors,
//     and the server's peak heap during the calls;
//  4. ends every session (DELETE) and checks that the server forgot them.
//
// Every address is on loopback; the calls stop by themselves after the
// given time.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
)

// roleEnv makes this program the client side of the run.
const roleEnv = "INSFORGE_MCP_LOAD_ROLE"

type options struct {
	sessions     int
	duration     time.Duration
	tool         string
	open         int // sessions opened concurrently
	backendConns int // MaxIdleConnsPerHost of the server's backend client (0: the client's default)
	json         bool
	heapProfile  string // prefix of heap profiles written at the idle and final measurements
	replicas     int    // servers sharing a Redis session store; 0: one server, sessions in memory
	// check makes a correctness run (the tests, which read none of the
	// figures): no pauses for the heap to settle before its readings, and
	// the store's latency from 20 calls of each kind instead of 400.
	check bool
}

func main() {
	if os.Getenv(roleEnv) == "client" {
		os.Exit(clientMain(os.Stdin, os.Stdout))
	}
	var o options
	flag.IntVar(&o.sessions, "sessions", 1000, "concurrent streamable HTTP sessions")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long every session keeps calling")
	flag.StringVar(&o.tool, "tool", "get-backend-metadata", "the tool every call runs (it takes no arguments)")
	flag.IntVar(&o.open, "open-concurrency", 50, "sessions opened at once")
	flag.IntVar(&o.backendConns, "backend-idle-conns", 0, "idle connections the server keeps to the backend (0: the InsForge client's default, as in production)")
	flag.BoolVar(&o.json, "json", false, "print the report as JSON")
	flag.StringVar(&o.heapProfile, "heapprofile", "", "write the server's heap profiles to PREFIX-idle.pprof (sessions idle, connections closed) and PREFIX-deleted.pprof (sessions deleted)")
	flag.IntVar(&o.replicas, "replicas", 0, "run this many servers sharing a Redis session store (a redis-server on PATH), each request of a session going to the next server in turn; 0: one server, sessions in its memory")
	flag.Parse()
	rep, err := run(context.Background(), o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	if o.json {
		out, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Println(string(out))
	} else {
		fmt.Print(rep.Text())
	}
	if rep.Errors > 0 || rep.OpenErrors > 0 || rep.DeleteErrors > 0 {
		os.Exit(1)
	}
}

// report is what a run measured.
type report struct {
	Sessions   int     `json:"sessions"`
	Replicas   int     `json:"replicas,omitempty"`
	Cores      int     `json:"cores"`
	OpenErrors int     `json:"openErrors"`
	OpenSecs   float64 `json:"openSeconds"`
	// Server heap in use (runtime.MemStats.HeapInuse) per idle session,
	// bytes: with each session's connection open, and with the
	// connections closed (session state only). Stack bytes are separate.
	HeapPerSessionConnected float64 `json:"heapPerSessionConnected"`
	StackPerSessionConnect  float64 `json:"stackPerSessionConnected"`
	HeapPerSessionState     float64 `json:"heapPerSessionState"`
	GoroutinesPerSession    float64 `json:"goroutinesPerSessionConnected"`
	BaselineHeap            uint64  `json:"baselineHeapInuse"`

	Calls       int64    `json:"calls"`
	Errors      int64    `json:"errors"`
	ErrorSample []string `json:"errorSample,omitempty"`
	Seconds     float64  `json:"seconds"`
	Throughput  float64  `json:"callsPerSecond"`
	P50ms       float64  `json:"p50ms"`
	P99ms       float64  `json:"p99ms"`
	MaxMs       float64  `json:"maxMs"`
	PeakHeap    uint64   `json:"peakHeapInuseDuringCalls"`
	// BackendTimeWait counts the sockets to the backend left in TIME_WAIT
	// after the calls: connections the server's backend client opened and
	// closed instead of reusing.
	BackendTimeWait int `json:"backendTimeWait"`
	// After every client deleted its session: errors, and what is left of
	// the heap growth per session (near 0 when the server forgot them).
	DeleteErrors              int     `json:"deleteErrors"`
	HeapPerSessionAfterDelete float64 `json:"heapPerSessionAfterDelete"`
	// With replicas: the p50 of one session's calls in series on a server
	// without a store and on one with it.
	MemoryP50ms float64 `json:"memoryP50ms,omitempty"`
	StoreP50ms  float64 `json:"storeP50ms,omitempty"`
}

// Text renders the report.
func (r report) Text() string {
	var b strings.Builder
	if r.Replicas > 0 {
		fmt.Fprintf(&b, "insforge-mcp load run: %d streamable HTTP sessions, %d cores, %d replicas sharing a Redis session store, each request to the next replica in turn (no stickiness); replicas and fake backend in one process, clients in another, redis-server in a third\n", r.Sessions, r.Cores, r.Replicas)
	} else {
		fmt.Fprintf(&b, "insforge-mcp load run: %d streamable HTTP sessions, %d cores, server and fake backend in one process, clients in another\n", r.Sessions, r.Cores)
	}
	fmt.Fprintf(&b, "  opened in %.2f s, %d errors\n", r.OpenSecs, r.OpenErrors)
	fmt.Fprintf(&b, "  heap in use per idle session: %.1f KB with its connection open (+ %.1f KB of goroutine stacks, %.1f goroutines), %.1f KB for the session state alone\n",
		r.HeapPerSessionConnected/1024, r.StackPerSessionConnect/1024, r.GoroutinesPerSession, r.HeapPerSessionState/1024)
	fmt.Fprintf(&b, "  calls: %d in %.1f s = %.0f calls/s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; errors %d\n",
		r.Calls, r.Seconds, r.Throughput, r.P50ms, r.P99ms, r.MaxMs, r.Errors)
	for _, e := range r.ErrorSample {
		fmt.Fprintf(&b, "    error: %s\n", e)
	}
	fmt.Fprintf(&b, "  server heap in use: %.1f MB before the sessions, %.1f MB at the peak of the calls\n", float64(r.BaselineHeap)/(1<<20), float64(r.PeakHeap)/(1<<20))
	fmt.Fprintf(&b, "  backend sockets left in TIME_WAIT (connections not reused): %d\n", r.BackendTimeWait)
	fmt.Fprintf(&b, "  after every client deleted its session: %d errors, %.2f KB of heap left per session\n", r.DeleteErrors, r.HeapPerSessionAfterDelete/1024)
	if r.StoreP50ms > 0 {
		fmt.Fprintf(&b, "  one session's calls in series: p50 %.2f ms without a store, %.2f ms with Redis: the store adds %.2f ms per call\n", r.MemoryP50ms, r.StoreP50ms, r.StoreP50ms-r.MemoryP50ms)
	}
	return b.String()
}

// run is the server side: backend, server, the client process, the
// measurements.
func run(ctx context.Context, o options, logw io.Writer) (report, error) {
	rep := report{Sessions: o.sessions, Cores: runtime.NumCPU()}
	if o.sessions < 1 || o.duration <= 0 {
		return rep, errors.New("-sessions and -duration must be positive")
	}
	backend := insforgefake.Start()
	defer backend.Close()
	urls, storeURL, stop, err := startServers(o, backend.URL)
	if err != nil {
		return rep, err
	}
	defer stop()
	rep.Replicas = o.replicas
	defer forgetRequests(backend)()

	baseHeap, _, baseG := heap()
	rep.BaselineHeap = baseHeap
	ask, done, err := startClient(ctx, logw)
	if err != nil {
		return rep, err
	}
	defer done()

	fmt.Fprintf(logw, "opening %d sessions…\n", o.sessions)
	m, err := ask(fmt.Sprintf("open %s %d %d", urls, o.sessions, o.open))
	if err != nil {
		return rep, err
	}
	rep.OpenErrors = int(num(m["errors"]))
	rep.OpenSecs = num(m["seconds"])
	if rep.OpenErrors > 0 {
		return rep, fmt.Errorf("%d sessions failed to open: %v", rep.OpenErrors, m["sample"])
	}
	o.settle(300 * time.Millisecond) // let the last handshakes' goroutines finish
	h, st, g := heap()
	rep.HeapPerSessionConnected = perSession(h, baseHeap, o.sessions)
	rep.StackPerSessionConnect = perSession(st, 0, o.sessions)
	rep.GoroutinesPerSession = float64(g-baseG) / float64(o.sessions)

	if _, err := ask("close-idle"); err != nil {
		return rep, err
	}
	o.settle(500 * time.Millisecond) // the server notices the closed connections
	h, _, _ = heap()
	rep.HeapPerSessionState = perSession(h, baseHeap, o.sessions)
	if err := writeHeapProfile(o.heapProfile, "idle"); err != nil {
		return rep, err
	}

	fmt.Fprintf(logw, "calling %s from every session for %s…\n", o.tool, o.duration)
	stopPeak := watchPeakHeap()
	m, err = ask(fmt.Sprintf("call %s %d", o.tool, o.duration.Milliseconds()))
	rep.PeakHeap = stopPeak()
	if err != nil {
		return rep, err
	}
	rep.readCalls(m)
	rep.BackendTimeWait = timeWait(backend.URL)

	m, err = ask("delete")
	if err != nil {
		return rep, err
	}
	rep.DeleteErrors = int(num(m["errors"]))
	o.settle(300 * time.Millisecond)
	h, _, _ = heap()
	rep.HeapPerSessionAfterDelete = perSession(h, baseHeap, o.sessions)
	if storeURL != "" {
		fmt.Fprintf(logw, "measuring the latency the store adds…\n")
		if rep.MemoryP50ms, rep.StoreP50ms, err = storeLatency(o, backend.URL, storeURL); err != nil {
			return rep, err
		}
	}
	return rep, writeHeapProfile(o.heapProfile, "deleted")
}

// settle waits d before a heap reading, unless the run only checks
// correctness.
func (o options) settle(d time.Duration) {
	if !o.check {
		time.Sleep(d)
	}
}

// readCalls copies the client's figures for the call phase.
func (rep *report) readCalls(m map[string]any) {
	rep.Calls = int64(num(m["calls"]))
	rep.Errors = int64(num(m["errors"]))
	rep.Seconds = num(m["seconds"])
	rep.P50ms, rep.P99ms, rep.MaxMs = num(m["p50ms"]), num(m["p99ms"]), num(m["maxms"])
	if s, ok := m["sample"].([]any); ok {
		for _, e := range s {
			rep.ErrorSample = append(rep.ErrorSample, fmt.Sprint(e))
		}
	}
	if rep.Seconds > 0 {
		rep.Throughput = float64(rep.Calls) / rep.Seconds
	}
}

// forgetRequests makes the fake forget the requests it records, every
// 200 ms, until the returned function is called.
func forgetRequests(backend *insforgefake.Server) func() {
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				backend.Reset()
			}
		}
	}()
	return func() { close(stop) }
}

// startClient starts this program again as the load client, in its own
// process, and returns a function that sends it one command and reads its
// one-line JSON answer.
func startClient(ctx context.Context, logw io.Writer) (func(string) (map[string]any, error), func(), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), roleEnv+"=client")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	cmd.Stderr = logw
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	done := func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	}
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	ask := func(command string) (map[string]any, error) {
		if _, err := fmt.Fprintln(stdin, command); err != nil {
			return nil, err
		}
		if !lines.Scan() {
			return nil, fmt.Errorf("client process ended during %q: %v", strings.Fields(command)[0], lines.Err())
		}
		var m map[string]any
		if err := json.Unmarshal(lines.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("client answered %q: %w", lines.Text(), err)
		}
		return m, nil
	}
	return ask, done, nil
}

// watchPeakHeap samples the heap in use every 100 ms until the returned
// function is called, which returns the peak.
func watchPeakHeap() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		return peak.Load()
	}
}

// heap returns the heap in use and the stacks in use after a full GC, and
// the number of goroutines.
func heap() (heapInuse, stackInuse uint64, goroutines int) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, ms.StackInuse, runtime.NumGoroutine()
}

func writeHeapProfile(prefix, moment string) error {
	if prefix == "" {
		return nil
	}
	f, err := os.Create(prefix + "-" + moment + ".pprof")
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("heap").WriteTo(f, 0)
}

func perSession(now, base uint64, n int) float64 {
	if now < base {
		return 0
	}
	return float64(now-base) / float64(n)
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

// timeWait counts TCP sockets in TIME_WAIT whose remote end is the
// backend's port (from /proc/net/tcp; 0 where it cannot be read).
func timeWait(backendURL string) int {
	_, port, err := net.SplitHostPort(strings.TrimPrefix(backendURL, "http://"))
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(port)
	want := fmt.Sprintf(":%04X", p)
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 3 && f[3] == "06" && strings.HasSuffix(f[2], want) {
			n++
		}
	}
	return n
}
