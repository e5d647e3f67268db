package mcpserver_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// serveReal runs the streamable transport through Server.Serve on a real
// loopback listener, as the binary does, and returns its address.
func serveReal(t *testing.T, ho mcpserver.HTTPOptions, so mcpserver.ServeOptions) string {
	t.Helper()
	srv := mcpserver.New(mcpserver.Config{
		Version:    "test",
		Surface:    catalogue.Full(),
		ToolConfig: tools.Config{MaxResultBytes: 100000},
		Transport:  insforge.NewTransport(insforge.Options{Timeout: 5 * time.Second}),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ho.Loopback = true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, srv.StreamableHandler(ho), so) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
	})
	return ln.Addr().String()
}

func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func rawInitialize(addr string, extra string) string {
	return fmt.Sprintf("POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n%sContent-Length: %d\r\n\r\n%s",
		addr, extra, len(initBody), initBody)
}

// roundTrip sends a whole request on c and reads the whole response.
func roundTrip(t *testing.T, c net.Conn, br *bufio.Reader, req string) *http.Response {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.SetDeadline(time.Time{})
	return resp
}

// waitClosed reports how long the server took to close c (reading nothing
// but EOF), failing if it is still open after within.
func waitClosed(t *testing.T, c net.Conn, br *bufio.Reader, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(within))
	_, err := io.Copy(io.Discard, br)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %s", within)
	}
	return time.Since(start)
}

// Attack (issue 13, item 4): a client sends one request, then keeps its
// keep-alive connection open and silent. Without an idle timeout the socket
// stays forever; 20,000 of them used up the file descriptors.
func TestIdleKeepAliveConnectionIsClosed(t *testing.T) {
	t.Parallel()
	addr := serveReal(t, mcpserver.HTTPOptions{}, mcpserver.ServeOptions{IdleTimeout: 300 * time.Millisecond})
	c := dialRaw(t, addr)
	br := bufio.NewReader(c)
	if resp := roundTrip(t, c, br, rawInitialize(addr, "")); resp.StatusCode != 200 {
		t.Fatalf("initialize: %d", resp.StatusCode)
	}
	waitClosed(t, c, br, 5*time.Second)
}

// Attack (issue 13, item 4): a request announces a body and never finishes
// sending it (slow-body slowloris). It must be answered 408 and cut within
// the read timeout, also when the request is refused before its body is
// read (here: no auth token), as net/http then waits for the rest of a
// small body.
func TestStalledRequestBodyIsCut(t *testing.T) {
	t.Parallel()
	for _, token := range []string{"", "s3cret-token"} {
		name := "accepted request"
		if token != "" {
			name = "refused request"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			addr := serveReal(t, mcpserver.HTTPOptions{AuthToken: token, ReadTimeout: 300 * time.Millisecond}, mcpserver.ServeOptions{IdleTimeout: 30 * time.Second})
			c := dialRaw(t, addr)
			br := bufio.NewReader(c)
			head := fmt.Sprintf("POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n", addr)
			if _, err := io.WriteString(c, head+initBody[:20]); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer to the stalled body: %v", err)
			}
			want := http.StatusRequestTimeout
			if token != "" {
				want = http.StatusUnauthorized
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != want {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, want)
			}
			waitClosed(t, c, br, 5*time.Second)
		})
	}
}

// Attack (issue 13, item 4): one address opens connections until the
// process runs out of file descriptors. Beyond the cap, a connection is
// answered 503 and closed; once one closes, a new one is served.
func TestConnectionsPerAddressAreCapped(t *testing.T) {
	t.Parallel()
	const max = 3
	addr := serveReal(t, mcpserver.HTTPOptions{}, mcpserver.ServeOptions{IdleTimeout: 30 * time.Second, MaxConnsPerIP: max})
	var held []net.Conn
	for i := range max {
		c := dialRaw(t, addr)
		if resp := roundTrip(t, c, bufio.NewReader(c), rawInitialize(addr, "")); resp.StatusCode != 200 {
			t.Fatalf("connection %d: %d", i, resp.StatusCode)
		}
		held = append(held, c)
	}
	for range 5 {
		c := dialRaw(t, addr)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		// Nothing is sent: the refusal comes unasked (and closing a socket
		// with unread data would reset it).
		data, _ := io.ReadAll(c)
		c.Close()
		if !strings.HasPrefix(string(data), "HTTP/1.1 503") || !strings.Contains(string(data), "too many connections") {
			t.Fatalf("connection over the cap got %q", data)
		}
	}
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := dialRaw(t, addr)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		io.WriteString(c, rawInitialize(addr, ""))
		resp, err := http.ReadResponse(br, nil)
		if err == nil && resp.StatusCode == 200 {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("no connection served after one of %d closed: %v", max, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
