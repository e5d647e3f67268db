package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/insforge-mcp/insforge-mcp/bench/internal/mcpwire"
)

// session is one client: its own connection pool (one connection), as a
// separate MCP client process would have.
type session struct {
	conn      *mcpwire.HTTP
	transport *http.Transport
}

// clientMain is the client process: it obeys one command per line on in
// and answers each with one JSON line on out.
//
//	open URL K CONCURRENCY   open K sessions
//	close-idle               close every idle connection
//	call TOOL MILLISECONDS   call TOOL from every session until the time is up
//	delete                   delete every session
func clientMain(in io.Reader, out io.Writer) int {
	var sessions []*session
	answer := func(v any) {
		data, _ := json.Marshal(v)
		fmt.Fprintf(out, "%s\n", data)
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "open":
			k, _ := strconv.Atoi(f[2])
			conc, _ := strconv.Atoi(f[3])
			var res map[string]any
			sessions, res = openSessions(f[1], k, max(conc, 1))
			answer(res)
		case "close-idle":
			for _, s := range sessions {
				s.transport.CloseIdleConnections()
			}
			answer(map[string]any{})
		case "call":
			ms, _ := strconv.Atoi(f[2])
			answer(callAll(sessions, f[1], time.Duration(ms)*time.Millisecond))
		case "delete":
			answer(deleteAll(sessions))
		default:
			answer(map[string]any{"error": "unknown command " + f[0]})
		}
	}
	return 0
}

// errorLog counts errors and keeps a few distinct messages.
type errorLog struct {
	mu     sync.Mutex
	n      int
	sample []string
}

func (e *errorLog) add(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if len(e.sample) < 5 && !slices.Contains(e.sample, msg) {
		e.sample = append(e.sample, msg)
	}
}

// openSessions opens k sessions on url, or, given several comma-separated
// URLs (replicas), sends each request of a session to the next in turn.
func openSessions(url string, k, conc int) ([]*session, map[string]any) {
	urls := strings.Split(url, ",")
	var hosts []string
	for _, u := range urls {
		hosts = append(hosts, strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/mcp"))
	}
	sessions := make([]*session, k)
	var errs errorLog
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range sessions {
		tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1, DisableCompression: true}
		var rt http.RoundTripper = tr
		if len(hosts) > 1 {
			h := &hopping{hosts: hosts, base: tr}
			h.next.Store(uint32(i)) // sessions start on different replicas
			rt = h
		}
		s := &session{conn: mcpwire.NewHTTP(urls[0], &http.Client{Transport: rt, Timeout: 60 * time.Second}), transport: tr}
		sessions[i] = s
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := mcpwire.Initialize(ctx, s.conn, "insforge-mcp-load"); err != nil {
				errs.add(err)
			}
		}()
	}
	wg.Wait()
	return sessions, map[string]any{"errors": errs.n, "sample": errs.sample, "seconds": time.Since(start).Seconds()}
}

func callAll(sessions []*session, tool string, d time.Duration) map[string]any {
	var errs errorLog
	lat := make([][]time.Duration, len(sessions))
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for i, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				t := time.Now()
				_, _, err := mcpwire.CallTool(ctx, s.conn, tool, nil)
				cancel()
				if err != nil {
					errs.add(err)
					continue
				}
				lat[i] = append(lat[i], time.Since(t))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	q := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := min(int(p*float64(len(all))), len(all)-1)
		return float64(all[i]) / float64(time.Millisecond)
	}
	return map[string]any{
		"calls": len(all), "errors": errs.n, "sample": errs.sample, "seconds": elapsed.Seconds(),
		"p50ms": q(0.50), "p99ms": q(0.99), "maxms": q(1),
	}
}

func deleteAll(sessions []*session) map[string]any {
	var errs errorLog
	sem := make(chan struct{}, 50)
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := s.conn.Close(); err != nil {
				errs.add(err)
			}
			s.transport.CloseIdleConnections()
		}()
	}
	wg.Wait()
	return map[string]any{"errors": errs.n, "sample": errs.sample}
}
