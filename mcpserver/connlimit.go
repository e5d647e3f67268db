package mcpserver

import (
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// limitConnsPerIP wraps a listener so that one client address holds at most
// max open connections: beyond that, a new connection is answered 503 and
// closed at once, before any of it is read. Without it, one address could
// open sockets until the process runs out of file descriptors, and lock
// every other user out. An IPv6 client is counted by its /64, the block a
// single host is usually given.
func limitConnsPerIP(ln net.Listener, max int, log *slog.Logger) net.Listener {
	return &perIPListener{Listener: ln, max: max, log: log, open: map[string]int{}}
}

type perIPListener struct {
	net.Listener
	max  int
	log  *slog.Logger
	mu   sync.Mutex
	open map[string]int
	// lastLog throttles the refusal log line to one every 10 s.
	lastLog atomic.Int64
}

// refusal is the whole answer to a connection over the cap.
var refusal = func() []byte {
	const body = "too many connections from your address; close some, then retry\n"
	return fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 10\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}()

func (l *perIPListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := clientKey(c.RemoteAddr())
		l.mu.Lock()
		n := l.open[key]
		if n >= l.max {
			l.mu.Unlock()
			l.refuse(c, key)
			continue
		}
		l.open[key] = n + 1
		l.mu.Unlock()
		return &countedConn{Conn: c, release: func() { l.release(key) }}, nil
	}
}

func (l *perIPListener) release(key string) {
	l.mu.Lock()
	if l.open[key] <= 1 {
		delete(l.open, key)
	} else {
		l.open[key]--
	}
	l.mu.Unlock()
}

// refuse answers 503 without waiting: the write goes to a fresh socket's
// send buffer, and a deadline bounds it should that ever block.
func (l *perIPListener) refuse(c net.Conn, key string) {
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.Write(refusal)
	_ = c.Close()
	now := time.Now().UnixNano()
	if last := l.lastLog.Load(); now-last > int64(10*time.Second) && l.lastLog.CompareAndSwap(last, now) {
		l.log.Warn("refused connections over the per-address cap (--max-conns-per-ip)", "client", key, "max", l.max)
	}
}

// clientKey is what connections are counted by: the IPv4 address, or the
// IPv6 /64.
func clientKey(a net.Addr) string {
	var ip net.IP
	switch a := a.(type) {
	case *net.TCPAddr:
		ip = a.IP
	default:
		host, _, err := net.SplitHostPort(a.String())
		if err != nil {
			return a.String()
		}
		ip = net.ParseIP(host)
		if ip == nil {
			return host
		}
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// countedConn gives its slot back once, on the first Close.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
