package insforge_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/insforge"
)

// loopbackResolver answers every name with 127.0.0.1: DNS rebinding, or an
// /etc/hosts alias, without either.
func loopbackResolver(_ context.Context, host string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

// guardLoopbackUnless refuses loopback unless host:port is allowed, and
// records what it was asked.
type guardLog struct {
	mu    sync.Mutex
	asked []string
	allow string
}

func (g *guardLog) guard(host, port string, ip netip.Addr) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = append(g.asked, host+":"+port+"="+ip.String())
	if ip.IsLoopback() && net.JoinHostPort(host, port) != g.allow {
		return errors.New(host + " resolves to " + ip.String() + ", a loopback address")
	}
	return nil
}

// A name that resolves to loopback is judged by the address dialled: the
// request never reaches the server, the key is never sent, the call is
// not retried, and the error says why.
func TestDialGuardJudgesTheAddressDialled(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"secret":"internal"}`))
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	g := &guardLog{}
	tr := insforge.NewTransport(insforge.Options{DialGuard: g.guard, Resolve: loopbackResolver, MaxRetries: 3})

	c := tr.Client("http://project.example.test:"+port, key)
	_, _, err := insforge.Call[map[string]any](context.Background(), c, insforge.Request{Path: "/api/metadata"})
	if !errors.Is(err, insforge.ErrAddressRefused) || errors.Is(err, insforge.ErrUnreachable) {
		t.Fatalf("err = %v; want ErrAddressRefused", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1") || strings.Contains(err.Error(), key) {
		t.Errorf("error text: %s", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("the loopback server received %d requests", hits.Load())
	}
	if len(g.asked) != 1 {
		t.Errorf("guard asked %v; want one attempt (no retries of a refusal)", g.asked)
	}

	// A backend-provided absolute URL goes through the same guard.
	_, _, err = insforge.Call[[]byte](context.Background(), c, insforge.Request{URL: srv.URL + "/internal/secret", NoAuth: true})
	if !errors.Is(err, insforge.ErrAddressRefused) || hits.Load() != 0 {
		t.Fatalf("absolute URL: err = %v, hits %d", err, hits.Load())
	}

	// Named exactly, it passes.
	g.allow = "project.example.test:" + port
	if _, _, err := insforge.Call[map[string]any](context.Background(), c, insforge.Request{Path: "/api/metadata"}); err != nil {
		t.Fatalf("allowed name: %v", err)
	}
}

// A redirect opens its connection through the guard too.
func TestDialGuardSeesRedirects(t *testing.T) {
	var target *httptest.Server
	target = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			w.Header().Set("Connection", "close") // the redirect must dial again
			http.Redirect(w, r, "/moved", http.StatusFound)
			return
		}
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(target.Close)
	u, _ := url.Parse(target.URL)
	g := &guardLog{allow: u.Host}
	c := insforge.NewTransport(insforge.Options{DialGuard: g.guard}).Client(target.URL, key)
	if err := get(c, "/start"); err != nil {
		t.Fatal(err)
	}
	if len(g.asked) != 2 {
		t.Fatalf("guard asked %v; want the first request and the redirect", g.asked)
	}
}

// An HTTPClient with its own *http.Transport gets the guard as well.
func TestDialGuardWrapsAGivenTransport(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	g := &guardLog{}
	hc := &http.Client{Transport: &http.Transport{}}
	c := insforge.NewTransport(insforge.Options{HTTPClient: hc, DialGuard: g.guard}).Client(srv.URL, key)
	if err := get(c, "/x"); !errors.Is(err, insforge.ErrAddressRefused) || hits.Load() != 0 {
		t.Fatalf("err = %v, hits %d", err, hits.Load())
	}
}

// Through a proxy the dial guard sees the proxy's address; a target given
// as an internal IP address is refused before the proxy is asked for it.
func TestDialGuardJudgesIPTargetsBehindAProxy(t *testing.T) {
	var proxyHits atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxyHits.Add(1)
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(proxy.Close)
	pu, _ := url.Parse(proxy.URL)
	g := &guardLog{allow: pu.Host}
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
	tr := insforge.NewTransport(insforge.Options{HTTPClient: hc, DialGuard: g.guard})
	c := tr.Client("http://127.0.0.1:9", key)
	if err := get(c, "/x"); !errors.Is(err, insforge.ErrAddressRefused) || proxyHits.Load() != 0 {
		t.Fatalf("err = %v, proxy hits %d", err, proxyHits.Load())
	}
	// A name goes to the (allowed) proxy, which resolves it.
	c = tr.Client("http://project.example.test", key)
	if err := get(c, "/x"); err != nil || proxyHits.Load() != 1 {
		t.Fatalf("through the proxy: err = %v, proxy hits %d", err, proxyHits.Load())
	}
}
