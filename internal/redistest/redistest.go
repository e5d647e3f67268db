// Package redistest starts a throwaway redis-server for a test: its own
// process on a free loopback port, in a temporary directory, persisting
// nothing. It goes away with the test (t.Cleanup), and with the test
// process however that ends: a small shell supervisor stops it when the
// process's end of a pipe closes.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/insforge-mcp/insforge-mcp/internal/testbin"
)

// Server is one running redis-server.
type Server struct {
	// Addr is host:port on loopback.
	Addr string
	bin  testbin.Redis
	dir  string
	port int
	pipe *os.File // closing it stops the server
}

// URL is the server's address as a redis:// URL for database db.
func (s *Server) URL(db int) string { return fmt.Sprintf("redis://%s/%d", s.Addr, db) }

// Start runs a redis-server for t, stopped when t ends. When there is no
// redis-server and none can be installed (Find), it skips t with one line
// saying what to install, or fails it when CI=true.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New(t.TempDir())
	if errors.Is(err, errNotFound) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

var errNotFound = errors.New("redis-server not found and not installable here: install it (apt-get install -y redis-server)")

// find returns redis-server from PATH or, when the machine has none, as
// internal/testbin installs it; once per process.
var find = sync.OnceValues(func() (testbin.Redis, error) {
	if !testbin.Downloading() {
		if p, err := exec.LookPath("redis-server"); err == nil {
			return testbin.Redis{Path: p}, nil
		}
	}
	r, err := testbin.InstallRedis()
	if err != nil {
		return r, fmt.Errorf("%w (%v)", errNotFound, err)
	}
	return r, nil
})

// New runs a redis-server with its files in dir (outside tests: the
// load run); Stop ends it.
func New(dir string) (*Server, error) {
	bin, err := find()
	if err != nil {
		return nil, err
	}
	port, err := testbin.FreePort()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, dir: dir, port: port, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// start runs redis-server under the supervisor and waits until it answers.
func (s *Server) start() error {
	script := `"$1" --port "$2" --bind 127.0.0.1 --dir "$3" --save "" --appendonly no --protected-mode no >"$3/log" 2>&1 &
pid=$!
cat >/dev/null
kill -KILL $pid 2>/dev/null
wait $pid`
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	sup := exec.Command("/bin/sh", "-c", script, "redistest", s.bin.Path, strconv.Itoa(s.port), s.dir)
	sup.Env = append(os.Environ(), s.bin.Env...)
	sup.Stdin = pr
	sup.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := sup.Start(); err != nil {
		pr.Close()
		pw.Close()
		return err
	}
	pr.Close()
	done := make(chan struct{})
	go func() { _ = sup.Wait(); close(done) }()
	s.pipe = pw
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := ping(s.Addr); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			s.Stop()
			log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
			return fmt.Errorf("redis-server did not start: %v\n%s", err, log)
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
			return fmt.Errorf("redis-server exited at start:\n%s", log)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop kills the server; its data goes with it.
func (s *Server) Stop() {
	if s.pipe == nil {
		return
	}
	s.pipe.Close()
	s.pipe = nil
	// Wait until the port no longer answers.
	for i := 0; i < 200 && ping(s.Addr) == nil; i++ {
		time.Sleep(10 * time.Millisecond)
	}
}

// ping sends PING in the inline protocol and expects +PONG.
func ping(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 7)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if string(buf[:n]) != "+PONG\r\n" {
		return errors.New("unexpected answer to PING: " + strconv.Quote(string(buf[:n])))
	}
	return nil
}

// AssertAbsent reads every key and value in the server (DUMP, which
// holds a value's bytes as stored) and fails t if any holds secret or a
// recognisable part of it: the whole, the part after a prefix such as
// "ik_", its first and last 12 characters. It returns the number of keys.
func (s *Server) AssertAbsent(t testing.TB, secret string) int {
	t.Helper()
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer rdb.Close()
	parts := []string{secret, secret[3:], secret[:12], secret[len(secret)-12:]}
	n := 0
	iter := rdb.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		n++
		dump, err := rdb.Dump(ctx, k).Result()
		if err != nil {
			t.Fatalf("redistest: dump %q: %v", k, err)
		}
		for _, p := range parts {
			if strings.Contains(k, p) || strings.Contains(dump, p) {
				t.Fatalf("redis key %q holds part of a secret", k)
			}
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("redistest: scan: %v", err)
	}
	return n
}
