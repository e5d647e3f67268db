package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/insforge-mcp/insforge-mcp/bench/internal/mcpwire"
)

// server is one server command under measurement.
type server struct {
	// Name labels the server in the results ("ours", "official", "ours-http").
	Name string
	// Argv is the command; over HTTP, the argument "{addr}" is replaced by
	// a free loopback address.
	Argv []string
	// Env is the whole environment of the process.
	Env []string
	// HTTP selects streamable HTTP at http://{addr}/mcp instead of stdio.
	HTTP bool
}

// sample is what one run of a server measured.
type sample struct {
	Init      time.Duration // spawn → initialize response
	ListFirst time.Duration // first tools/list round trip
	ListWarm  time.Duration // median of the following tools/list round trips
	CallFirst time.Duration // first tools/call get-backend-metadata
	CallWarm  time.Duration // median of the following calls
	// StartRSSKB and StartAnonKB are VmHWM and RssAnon right after
	// initialize and the first tools/list: the startup memory.
	StartRSSKB  int64
	StartAnonKB int64
	RSSKB       int64  // peak RSS after tools/list and the calls (VmHWM)
	AnonKB      int64  // private (anonymous) resident memory at that moment (RssAnon)
	ListBytes   int    // bytes of the tools/list JSON-RPC answer
	ToolsJSON   []byte // the "tools" array of that answer, as the server wrote it
	Tools       int    // tools listed
	Stderr      string // the server's stderr (trimmed)
}

// tool is the tool called by every run.
const tool = "get-backend-metadata"

// measure spawns the server once and runs the sequence: initialize, tools/list
// (first, then repeat more), tools/call (first, then repeat more), peak RSS.
func measure(ctx context.Context, srv server, repeat int) (s sample, err error) {
	argv := slices.Clone(srv.Argv)
	var addr string
	if srv.HTTP {
		if addr, err = freeAddr(); err != nil {
			return s, err
		}
		for i, a := range argv {
			argv[i] = strings.ReplaceAll(a, "{addr}", addr)
		}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = srv.Env
	stderr := &capped{max: 64 << 10}
	cmd.Stderr = stderr
	var conn mcpwire.Conn
	var stdio *mcpwire.Stdio
	if !srv.HTTP {
		in, err := cmd.StdinPipe()
		if err != nil {
			return s, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return s, err
		}
		stdio = mcpwire.NewStdio(in, out)
		conn = stdio
	}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return s, fmt.Errorf("start %s: %w", srv.Name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() {
		stop(cmd, conn, exited, srv.HTTP)
		s.Stderr = strings.TrimSpace(stderr.String())
		if err != nil && s.Stderr != "" {
			err = fmt.Errorf("%w\n%s stderr:\n%s", err, srv.Name, tail(s.Stderr, 2000))
		}
	}()

	if srv.HTTP {
		h := mcpwire.NewHTTP("http://"+addr+"/mcp", nil)
		h.Client = loopbackClient()
		conn = h
		// Poll until the listener answers: that is when a client could
		// first initialize.
		for {
			resp, cerr := h.Call(ctx, "initialize", mcpwire.InitializeParams("insforge-mcp-bench"))
			if cerr == nil {
				if cerr = resp.Err(); cerr != nil {
					return s, fmt.Errorf("initialize: %w", cerr)
				}
				break
			}
			if !isConnRefused(cerr) {
				return s, fmt.Errorf("initialize: %w", cerr)
			}
			select {
			case <-exited:
				return s, fmt.Errorf("%s exited before listening", srv.Name)
			case <-ctx.Done():
				return s, ctx.Err()
			case <-time.After(200 * time.Microsecond):
			}
		}
	} else {
		resp, cerr := conn.Call(ctx, "initialize", mcpwire.InitializeParams("insforge-mcp-bench"))
		if cerr == nil {
			cerr = resp.Err()
		}
		if cerr != nil {
			return s, fmt.Errorf("initialize: %w", cerr)
		}
	}
	s.Init = time.Since(start)
	if err := conn.Notify(ctx, "notifications/initialized", nil); err != nil {
		return s, fmt.Errorf("notifications/initialized: %w", err)
	}

	t := time.Now()
	list, names, err := mcpwire.ListTools(ctx, conn)
	if err != nil {
		return s, fmt.Errorf("tools/list: %w", err)
	}
	s.ListFirst = time.Since(t)
	if s.StartRSSKB, s.StartAnonKB, err = memory(cmd.Process.Pid); err != nil {
		return s, err
	}
	s.ListBytes = len(list.Raw)
	s.Tools = len(names)
	if s.ToolsJSON, err = toolsArray(list.Result); err != nil {
		return s, err
	}
	if !slices.Contains(names, tool) {
		return s, fmt.Errorf("tools/list of %s lacks %s", srv.Name, tool)
	}
	warm := make([]time.Duration, 0, repeat)
	for range repeat {
		t := time.Now()
		if _, _, err := mcpwire.ListTools(ctx, conn); err != nil {
			return s, fmt.Errorf("tools/list: %w", err)
		}
		warm = append(warm, time.Since(t))
	}
	s.ListWarm = median(warm)

	t = time.Now()
	if _, _, err := mcpwire.CallTool(ctx, conn, tool, nil); err != nil {
		return s, fmt.Errorf("tools/call: %w", err)
	}
	s.CallFirst = time.Since(t)
	warm = warm[:0]
	for range repeat {
		t := time.Now()
		if _, _, err := mcpwire.CallTool(ctx, conn, tool, nil); err != nil {
			return s, fmt.Errorf("tools/call: %w", err)
		}
		warm = append(warm, time.Since(t))
	}
	s.CallWarm = median(warm)

	if s.RSSKB, s.AnonKB, err = memory(cmd.Process.Pid); err != nil {
		return s, err
	}
	return s, nil
}

// toolsArray is the "tools" member of a tools/list result, byte for byte as
// the server wrote it: what a client hands its model.
func toolsArray(result json.RawMessage) ([]byte, error) {
	var r struct {
		Tools json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(result, &r); err != nil || len(r.Tools) == 0 {
		return nil, fmt.Errorf("tools/list result has no tools array (%v)", err)
	}
	return r.Tools, nil
}

// stop ends the server the way its client would: close stdin (stdio) or
// delete the session and send SIGTERM (HTTP); kill it if it lingers.
func stop(cmd *exec.Cmd, conn mcpwire.Conn, exited chan struct{}, http bool) {
	if conn != nil {
		_ = conn.Close()
	}
	if http && cmd.Process != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-exited:
		return
	case <-time.After(3 * time.Second):
	}
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
	<-exited
}

// memory reads VmHWM (the resident set's high-water mark) and RssAnon (the
// private part of the resident set, without the program's own file pages)
// of a running process, in KiB.
func memory(pid int) (peak, anon int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("peak RSS: %w", err)
	}
	defer f.Close()
	kb := func(v string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		return n
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			peak = kb(v)
		}
		if v, ok := strings.CutPrefix(sc.Text(), "RssAnon:"); ok {
			anon = kb(v)
		}
	}
	if peak == 0 {
		return 0, 0, errors.New("peak RSS: no VmHWM in /proc status")
	}
	return peak, anon, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

func isConnRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// capped is a goroutine-safe buffer keeping the first max bytes.
type capped struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
