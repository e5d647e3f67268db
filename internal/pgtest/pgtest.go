// Package pgtest starts a throwaway PostgreSQL cluster for tests: one per
// test process, in a temporary directory, listening on loopback only, with
// a fresh database for each caller.
//
// The binaries (initdb, postgres) are looked up in $PGTEST_BIN_DIR, then on
// PATH, then in /usr/lib/postgresql/*/bin (Debian); on a machine with none,
// internal/testbin installs them from the npm registry. initdb refuses to run as
// root, so as root the cluster runs as the "postgres" user (or "nobody").
// The cluster goes away with the test process: a small shell supervisor
// stops the server and removes its directory when the process's end of a
// pipe closes, however the process ends.
package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/insforge-mcp/insforge-mcp/internal/testbin"
)

// ErrNotFound reports that no PostgreSQL binaries were found or installed.
var ErrNotFound = errors.New("PostgreSQL not found and not installable here: install it (apt-get install -y postgresql) or set PGTEST_BIN_DIR to the directory holding initdb and postgres")

type cluster struct {
	adminDSN string
	host     string
	port     int
	pipe     *os.File // closing it stops the cluster
	// copy is the CREATE DATABASE strategy clause: FILE_COPY (PostgreSQL
	// 15+) copies a small template several times faster than WAL_LOG.
	copy string
}

var (
	binOnce sync.Once
	binDir  string
	binErr  error
	once    sync.Once
	shared  *cluster
	initErr error
	dbSeq   atomic.Int64
)

// bins is BinDir, looked up (or installed) once per process.
func bins() (string, error) {
	binOnce.Do(func() { binDir, binErr = BinDir() })
	return binDir, binErr
}

// BinDir returns the directory holding initdb and postgres, installing
// them when the machine has none, or an error wrapping ErrNotFound.
func BinDir() (string, error) {
	if d := os.Getenv("PGTEST_BIN_DIR"); d != "" {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
		return "", fmt.Errorf("PGTEST_BIN_DIR=%s holds no initdb and postgres", d)
	}
	if testbin.Downloading() {
		return install()
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		if d := filepath.Dir(p); isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return install()
}

func install() (string, error) {
	d, err := testbin.InstallPostgres()
	if err != nil {
		return "", fmt.Errorf("%w (%v)", ErrNotFound, err)
	}
	return d, nil
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// start initialises and starts the process's cluster.
func start() (*cluster, error) {
	bin, err := bins()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		cred, err = unprivileged()
		if err == nil {
			err = os.Chown(dir, int(cred.Uid), int(cred.Gid))
		}
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	// The supervisor owns dir from here on, so that it goes however the
	// test process ends, even during the seed (a fake's background warm-up
	// in a package whose tests end first): it does all the work in dir. It
	// waits for the port and the cluster to copy on its stdin, copies it,
	// runs postgres, waits for end of file (the test process has gone),
	// then stops postgres and removes dir; end of file before a port (the
	// seed failed, or the process ended) removes dir at once.
	// SIGTERM, not SIGINT: a shell starts an asynchronous command with
	// SIGINT ignored, so a SIGINT that came before postgres set its handlers
	// (a test process that ended while its cluster was still starting) was
	// lost, and that postgres ran on for good. A SIGTERM then kills it; once
	// handled, it is a smart shutdown, whose sessions have already ended.
	script := `read -r port src || { rm -rf "$2"; exit 0; }
if [ -z "$src" ] || cp -a "$src" "$2/data" 2>"$2/log"; then
  "$1" -D "$2/data" -p "$port" -k "$2" -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c timezone=UTC -c max_connections=200 >"$2/log" 2>&1 &
  pid=$!
fi
cat >/dev/null
[ -z "$pid" ] || { kill -TERM $pid 2>/dev/null; wait $pid; }
rm -rf "$2"`
	pr, pw, err := os.Pipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	sup := exec.Command("/bin/sh", "-c", script, "pgtest", filepath.Join(bin, "postgres"), dir)
	sup.Stdin = pr
	sup.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	if err := sup.Start(); err != nil {
		pr.Close()
		pw.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	pr.Close()
	go sup.Wait() //nolint:errcheck // reaps the supervisor
	fail := func(err error) (*cluster, error) {
		pw.Close()
		os.RemoveAll(dir) // as the supervisor does: whichever comes first
		return nil, err
	}
	src, err := seed(bin, cred, dir)
	if err != nil {
		return fail(err)
	}
	port, err := testbin.FreePort()
	if err != nil {
		return fail(err)
	}
	if _, err := fmt.Fprintf(pw, "%d %s\n", port, src); err != nil {
		return fail(fmt.Errorf("pgtest: the supervisor did not take the port: %w", err))
	}
	c := &cluster{host: "127.0.0.1", port: port, pipe: pw,
		adminDSN: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, c.adminDSN)
		if err == nil {
			var v int
			if conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&v) == nil && v >= 150000 {
				c.copy = " STRATEGY FILE_COPY"
			}
			cancel()
			conn.Close(context.Background())
			return c, nil
		}
		cancel()
		if time.Now().After(deadline) {
			// The log first: closing the pipe has the supervisor remove dir.
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			pw.Close()
			return nil, fmt.Errorf("pgtest: postgres did not start: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var initdbArgs = []string{"-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"}

// seed returns the cluster the supervisor copies into dir/data. initdb
// costs over a second of CPU and every test process needs a cluster, so
// one initdb per machine and PostgreSQL build is kept in testbin's cache;
// without a usable cache, initdb makes dir/data here and seed returns "".
func seed(bin string, cred *syscall.Credential, dir string) (string, error) {
	key, err := buildKey(bin)
	if err == nil {
		var tmpl string
		tmpl, err = testbin.Cached("pgdata-"+key, func(tmp string) error {
			work := filepath.Join(dir, "initdb")
			if err := initdb(bin, cred, work); err != nil {
				return err
			}
			defer os.RemoveAll(work)
			return copyTree(work, filepath.Join(tmp, "data"))
		})
		if err == nil {
			return filepath.Join(tmpl, "data"), nil
		}
	}
	if ierr := initdb(bin, cred, filepath.Join(dir, "data")); ierr != nil {
		return "", fmt.Errorf("%w (no cached cluster either: %v)", ierr, err)
	}
	return "", nil
}

func initdb(bin string, cred *syscall.Credential, data string) error {
	cmd := exec.Command(filepath.Join(bin, "initdb"), append([]string{"-D", data}, initdbArgs...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Env = append(os.Environ(), "TZ=UTC", "PGTZ=UTC")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	return nil
}

// buildKey names a PostgreSQL build and the initdb settings, so that a
// cached cluster is only reused by the same binaries.
func buildKey(bin string) (string, error) {
	out, err := exec.Command(filepath.Join(bin, "postgres"), "--version").Output()
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(bin)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(real + "\x00" + string(out) + "\x00" + strings.Join(initdbArgs, " ")))
	return hex.EncodeToString(sum[:8]), nil
}

// copyTree copies the cluster directory src to dst with its modes and
// owner (cp -a): the cache's copy stays the server user's, who copies it
// for each cluster.
func copyTree(src, dst string) error {
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: copying the cluster: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	return nil, errors.New("pgtest: running as root and no postgres or nobody user to run PostgreSQL as")
}

func get() (*cluster, error) {
	once.Do(func() { shared, initErr = start() })
	return shared, initErr
}

// Available reports whether a cluster is running or can be started.
func Available() error {
	_, err := get()
	return err
}

// CreateDB creates a fresh database on the process's cluster, starting it
// on first use, and returns its connection string and a function that drops
// it in the background.
func CreateDB() (dsn string, drop func(), err error) { return CreateDBFrom("") }

// CreateDBFrom is CreateDB with a copy of the database template (a
// database of the cluster no one is connected to) instead of an empty
// one; "" is CreateDB.
func CreateDBFrom(template string) (dsn string, drop func(), err error) {
	c, err := get()
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.adminDSN)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(context.Background())
	create := "CREATE DATABASE " + name
	if template != "" {
		create += ` TEMPLATE "` + strings.ReplaceAll(template, `"`, `""`) + `"`
	}
	create += c.copy
	if _, err := conn.Exec(ctx, create); err != nil {
		return "", nil, err
	}
	dsn = fmt.Sprintf("postgres://postgres@%s:%d/%s?sslmode=disable", c.host, c.port, name)
	// The drop runs in the background (it waits on a checkpoint): the
	// test moves on, and whatever is left goes with the cluster.
	drop = func() {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if conn, err := pgx.Connect(ctx, c.adminDSN); err == nil {
				conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") //nolint:errcheck // best effort
				conn.Close(context.Background())
			}
		}()
	}
	return dsn, drop, nil
}

// NewDB returns the connection string of a fresh database dropped when t
// ends. Without PostgreSQL it skips t with one line saying what to install,
// or fails it when CI=true.
func NewDB(t testing.TB) string {
	t.Helper()
	Require(t)
	dsn, drop, err := CreateDB()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(drop)
	return dsn
}

// Require skips t (or fails it under CI=true) when PostgreSQL is neither
// installed nor installable. It starts nothing: the cluster starts with
// its first use, which fails the test if it cannot.
func Require(t testing.TB) {
	t.Helper()
	_, err := bins()
	if err == nil {
		return
	}
	msg := strings.TrimSpace(err.Error())
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
