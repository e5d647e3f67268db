package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/insforge-mcp/insforge-mcp/bench/internal/mcpwire"
	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/redistest"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/sessionstore"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// loadSecret is the session secret of the replicated run.
const loadSecret = "insforge-mcp load run session secret, 32+ bytes"

// startRedis runs a throwaway redis-server on loopback.
func startRedis() (*redistest.Server, func(), error) {
	dir, err := os.MkdirTemp("", "load-redis-")
	if err != nil {
		return nil, nil, err
	}
	rs, err := redistest.New(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return rs, func() { rs.Stop(); os.RemoveAll(dir) }, nil
}

// newServer builds one server in front of the backend; with a store URL
// its sessions live in Redis.
func newServer(o options, backendURL, storeURL string) (*mcpserver.Server, func(), error) {
	tops := insforge.Options{Timeout: 30 * time.Second, UserAgent: "insforge-mcp-load"}
	if o.backendConns > 0 {
		tops.HTTPClient = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConns: o.backendConns, MaxIdleConnsPerHost: o.backendConns, IdleConnTimeout: 90 * time.Second}}
	}
	cfg := mcpserver.Config{
		Version:            "load",
		Surface:            catalogue.Full(),
		ToolConfig:         tools.Config{MaxResultBytes: 100000, Remote: true},
		Transport:          insforge.NewTransport(tops),
		Configured:         credentials.Credentials{ProjectURL: backendURL, APIKey: insforgefake.DefaultAPIKey},
		MaxCallsPerSession: 8,
		Logger:             slog.New(slog.DiscardHandler),
	}
	closeStore := func() {}
	if storeURL != "" {
		store, err := sessionstore.Open(context.Background(), sessionstore.Options{URL: storeURL, Secrets: []string{loadSecret}})
		if err != nil {
			return nil, nil, err
		}
		cfg.Store, closeStore = store, func() { store.Close() }
	}
	return mcpserver.New(cfg), closeStore, nil
}

// listen serves h on a loopback port.
func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return ln.Addr().String(), func() { hs.Close() }, nil
}

// startServers serves the streamable HTTP transport: one process alone
// (o.replicas 0), or o.replicas servers sharing a Redis store. It returns
// their addresses, comma-separated, and the store's URL.
func startServers(o options, backendURL string) (addrs, storeURL string, stop func(), err error) {
	var stops []func()
	stop = func() {
		for _, f := range slices.Backward(stops) {
			f()
		}
	}
	n := max(o.replicas, 1)
	if o.replicas > 0 {
		rs, stopRedis, err := startRedis()
		if err != nil {
			return "", "", nil, err
		}
		stops = append(stops, stopRedis)
		storeURL = rs.URL(0)
	}
	var list []string
	for range n {
		srv, closeStore, err := newServer(o, backendURL, storeURL)
		if err != nil {
			stop()
			return "", "", nil, err
		}
		addr, closeHTTP, err := listen(srv.StreamableHandler(mcpserver.HTTPOptions{Loopback: true, MaxSessions: o.sessions}))
		if err != nil {
			stop()
			return "", "", nil, err
		}
		stops = append(stops, closeStore, closeHTTP)
		list = append(list, "http://"+addr+"/mcp")
	}
	return strings.Join(list, ","), storeURL, stop, nil
}

// hopping sends each request to the next server of the list in turn: a
// load balancer without sticky sessions.
type hopping struct {
	hosts []string
	next  atomic.Uint32
	base  http.RoundTripper
}

func (h *hopping) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Host = h.hosts[int(h.next.Add(1))%len(h.hosts)]
	return h.base.RoundTrip(r)
}

// storeLatency is what the store adds to one call: the p50 of calls made
// one after another by one session, on a server without a store and on
// one with it, interleaved so that both see the same machine.
func storeLatency(o options, backendURL, storeURL string) (memP50, storeP50 float64, err error) {
	calls := 400
	if o.check {
		calls = 20
	}
	var conns []*mcpwire.HTTP
	for _, u := range []string{"", storeURL} {
		srv, closeStore, err := newServer(o, backendURL, u)
		if err != nil {
			return 0, 0, err
		}
		defer closeStore()
		addr, closeHTTP, err := listen(srv.StreamableHandler(mcpserver.HTTPOptions{Loopback: true}))
		if err != nil {
			return 0, 0, err
		}
		defer closeHTTP()
		c := mcpwire.NewHTTP("http://"+addr+"/mcp", &http.Client{Timeout: 30 * time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err = mcpwire.Initialize(ctx, c, "insforge-mcp-load")
		cancel()
		if err != nil {
			return 0, 0, err
		}
		defer c.Close()
		conns = append(conns, c)
	}
	lat := [2][]time.Duration{}
	for i := range 2 * calls {
		c := conns[i%2]
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		_, _, err := mcpwire.CallTool(ctx, c, o.tool, nil)
		cancel()
		if err != nil {
			return 0, 0, fmt.Errorf("latency call: %w", err)
		}
		lat[i%2] = append(lat[i%2], time.Since(start))
	}
	p50 := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2]) / float64(time.Millisecond)
	}
	return p50(lat[0]), p50(lat[1]), nil
}
