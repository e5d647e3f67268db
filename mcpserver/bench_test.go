package mcpserver_test

// Benchmarks of the MCP layer (go test -run '^$' -bench . ./mcpserver):
//
//   - BenchmarkToolCallOverhead: a tools/call of get-backend-metadata through
//     the MCP layer against a direct HTTP GET of the same endpoint on the
//     same fake backend, alternating in every iteration; it reports both
//     and the difference (µs per call).
//   - BenchmarkToolsList: tools/list of the whole catalogue.
//   - BenchmarkStartup: what a server start builds: the catalogue with its
//     schemas (catalogue.All) and the MCP server with every tool and resource
//     registered (mcpserver.New).
//
// Each runs over three paths: jsonrpc (the JSON-RPC handler, no
// transport), stdio (newline-delimited JSON over pipes) and
// streamable-http (loopback HTTP with a session).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// benchServer is a server unlocked for the fake backend, as when started
// with a configured project.
func benchServer(backend *insforgefake.Server) *mcpserver.Server {
	return mcpserver.New(mcpserver.Config{
		Version:    "bench",
		Surface:    catalogue.Full(),
		ToolConfig: tools.Config{MaxResultBytes: 100000},
		Transport:  insforge.NewTransport(insforge.Options{Timeout: 10 * time.Second}),
		Configured: credentials.Credentials{ProjectURL: backend.URL, APIKey: insforgefake.DefaultAPIKey},
	})
}

// benchRoundTrip sends one JSON-RPC request and returns the raw answer.
type benchRoundTrip func(ctx context.Context, request []byte) ([]byte, error)

// benchTransports opens the server on each path; each returns a round trip
// for requests with id 1 after the initialize handshake.
func benchTransports(b testing.TB, srv *mcpserver.Server) map[string]benchRoundTrip {
	b.Helper()
	out := map[string]benchRoundTrip{}

	out["jsonrpc"] = func(ctx context.Context, request []byte) ([]byte, error) {
		return json.Marshal(srv.MCP().HandleMessage(ctx, request))
	}

	stdioMu.Lock() // one stdio server at a time in a process (stdioMu)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		_ = srv.ServeStdio(ctx, inR, outW)
		outW.Close()
		close(done)
	}()
	b.Cleanup(func() {
		inW.Close()
		cancel()
		<-done
		stdioMu.Unlock()
	})
	lines := bufio.NewReaderSize(outR, 256<<10)
	out["stdio"] = func(ctx context.Context, request []byte) ([]byte, error) {
		if _, err := inW.Write(append(request, '\n')); err != nil {
			return nil, err
		}
		for {
			line, err := lines.ReadBytes('\n')
			if err != nil {
				return nil, err
			}
			if bytes.HasPrefix(line, []byte(`{"jsonrpc":"2.0","id":`)) {
				return line, nil
			}
		}
	}

	ts := httptest.NewServer(srv.StreamableHandler(mcpserver.HTTPOptions{Loopback: true}))
	b.Cleanup(ts.Close)
	client := ts.Client()
	var session string
	post := func(ctx context.Context, body []byte) ([]byte, *http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/mcp", bytes.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		res, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer res.Body.Close()
		data, err := io.ReadAll(res.Body)
		if err == nil && res.StatusCode/100 != 2 {
			err = fmt.Errorf("HTTP %d: %s", res.StatusCode, data)
		}
		return data, res, err
	}
	out["streamable-http"] = func(ctx context.Context, request []byte) ([]byte, error) {
		data, res, err := post(ctx, request)
		if err == nil && session == "" {
			session = res.Header.Get("Mcp-Session-Id")
		}
		return data, err
	}

	initialize := []byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`)
	initialized := []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	for name, rt := range out {
		answer, err := rt(context.Background(), initialize)
		if err != nil || !bytes.Contains(answer, []byte(`"serverInfo"`)) {
			b.Fatalf("%s initialize: %v %s", name, err, answer)
		}
		switch name {
		case "stdio":
			if _, err := inW.Write(append(initialized, '\n')); err != nil {
				b.Fatal(err)
			}
		case "streamable-http":
			if _, _, err := post(context.Background(), initialized); err != nil {
				b.Fatal(err)
			}
		}
	}
	return out
}

var benchPaths = []string{"jsonrpc", "stdio", "streamable-http"}

// benchDirect is the direct HTTP call the tool makes: GET /api/metadata
// with the key, body decoded as JSON.
func benchDirect(backend *insforgefake.Server) func(ctx context.Context) error {
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, backend.URL+"/api/metadata", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+insforgefake.DefaultAPIKey)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d", res.StatusCode)
		}
		dec := json.NewDecoder(res.Body)
		dec.UseNumber()
		var v any
		return dec.Decode(&v)
	}
}

func BenchmarkToolCallOverhead(b *testing.B) {
	backend := insforgefake.New(b)
	srv := benchServer(backend)
	paths := benchTransports(b, srv)
	direct := benchDirect(backend)
	request := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-backend-metadata","arguments":{}}}`)
	ctx := context.Background()
	for _, name := range benchPaths {
		rt := paths[name]
		b.Run(name, func(b *testing.B) {
			var directTotal, mcpTotal time.Duration
			n := 0
			for b.Loop() {
				backend.Reset() // the fake keeps every request otherwise
				t := time.Now()
				if err := direct(ctx); err != nil {
					b.Fatal(err)
				}
				directTotal += time.Since(t)
				t = time.Now()
				answer, err := rt(ctx, request)
				mcpTotal += time.Since(t)
				if err != nil {
					b.Fatal(err)
				}
				if bytes.Contains(answer, []byte(`"isError":true`)) || !bytes.Contains(answer, []byte(`"result"`)) {
					b.Fatalf("tools/call: %s", answer)
				}
				n++
			}
			us := func(d time.Duration) float64 { return float64(d) / float64(n) / float64(time.Microsecond) }
			b.ReportMetric(us(directTotal), "direct-µs/call")
			b.ReportMetric(us(mcpTotal), "mcp-µs/call")
			b.ReportMetric(us(mcpTotal-directTotal), "overhead-µs/call")
		})
	}
}

func BenchmarkToolsList(b *testing.B) {
	backend := insforgefake.New(b)
	srv := benchServer(backend)
	paths := benchTransports(b, srv)
	request := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`)
	ctx := context.Background()
	for _, name := range benchPaths {
		rt := paths[name]
		b.Run(name, func(b *testing.B) {
			size := 0
			for b.Loop() {
				answer, err := rt(ctx, request)
				if err != nil {
					b.Fatal(err)
				}
				size = len(answer)
			}
			if size < 10000 {
				b.Fatalf("tools/list answered %d bytes", size)
			}
			b.ReportMetric(float64(size), "bytes/answer")
		})
	}
}

func BenchmarkStartup(b *testing.B) {
	transport := insforge.NewTransport(insforge.Options{Timeout: time.Second})
	newServer := func(s *tools.Surface) *mcpserver.Server {
		return mcpserver.New(mcpserver.Config{Version: "bench", Surface: s, Transport: transport})
	}
	surface := func() *tools.Surface {
		s, err := catalogue.Select(tools.Selection{})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	b.Run("catalogue.Select", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			n = len(surface().Served)
		}
		b.ReportMetric(float64(n), "tools")
	})
	b.Run("mcpserver.New", func(b *testing.B) {
		s := surface()
		b.ReportAllocs()
		for b.Loop() {
			_ = newServer(s)
		}
	})
	b.Run("both", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = newServer(surface())
		}
	})
}

// TestBenchTransportsAnswer keeps the benchmark plumbing honest: each path
// answers tools/call like a client expects, and so does the direct call.
func TestBenchTransportsAnswer(t *testing.T) {
	t.Parallel()
	backend := insforgefake.New(t)
	paths := benchTransports(t, benchServer(backend))
	for _, name := range benchPaths {
		answer, err := paths[name](context.Background(), []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-backend-metadata","arguments":{}}}`))
		if err != nil || !strings.Contains(string(answer), "untrusted-data") || strings.Contains(string(answer), `"isError":true`) {
			t.Errorf("%s: %v %.300s", name, err, answer)
		}
	}
	if err := benchDirect(backend)(context.Background()); err != nil {
		t.Fatalf("direct call: %v", err)
	}
}
