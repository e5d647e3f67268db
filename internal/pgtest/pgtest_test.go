package pgtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestDatabasesAreSeparate(t *testing.T) {
	ctx := context.Background()
	a, b := NewDB(t), NewDB(t)
	if a == b {
		t.Fatalf("same database twice: %s", a)
	}
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, "CREATE TABLE only_in_a (id int)"); err != nil {
		t.Fatal(err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	var n int
	if err := cb.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("table leaked across databases: n=%d err=%v", n, err)
	}
	var tz string
	if err := ca.QueryRow(ctx, "SHOW timezone").Scan(&tz); err != nil || tz != "UTC" {
		t.Fatalf("timezone = %q, %v; want UTC", tz, err)
	}
}

func TestMissingBinDir(t *testing.T) {
	t.Setenv("PGTEST_BIN_DIR", t.TempDir())
	if _, err := BinDir(); err == nil {
		t.Fatal("an empty PGTEST_BIN_DIR was accepted")
	}
}

// A test process that ends while its cluster is still starting (a fake's
// background warm-up in a package whose tests never needed it) must not
// leave anything behind, whether it ends during the seed (the data
// directory is being copied) or once postgres has been launched: the
// supervisor stops postgres and removes the cluster's directory.
func TestClusterGoesWhenTheProcessEndsDuringItsStart(t *testing.T) {
	if dir := os.Getenv("PGTEST_EXIT_DURING_START"); dir != "" {
		started := make(chan error, 1)
		go func() { started <- Available() }()
		for {
			if seen, _ := filepath.Glob(filepath.Join(dir, "pgtest-*", os.Getenv("PGTEST_EXIT_AT"))); len(seen) > 0 {
				os.Exit(0) // the start has just reached that stage
			}
			select {
			case err := <-started: // the stage was not seen before the start ended
				t.Fatalf("the cluster's start ended before the child could leave during it: %v", err)
			case <-time.After(time.Millisecond):
			}
		}
	}
	Require(t)
	for _, stage := range []string{"data", "data/postmaster.pid"} {
		t.Run("at "+stage, func(t *testing.T) {
			// Not t.TempDir: like /tmp, so that the cluster's unprivileged
			// user can reach it and remove what it made there.
			tmp, err := os.MkdirTemp("", "pgtest-exit-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(tmp) })
			if err := os.Chmod(tmp, 0o777|os.ModeSticky); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestClusterGoesWhenTheProcessEndsDuringItsStart$")
			// GORACE: a race build would sleep a second at exit, long
			// enough for the start to finish.
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "PGTEST_EXIT_DURING_START="+tmp, "PGTEST_EXIT_AT="+stage, "GORACE=atexit_sleep_ms=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			deadline := time.Now().Add(15 * time.Second)
			for {
				left, _ := filepath.Glob(filepath.Join(tmp, "pgtest-*"))
				if len(left) == 0 {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("15 s after its test process ended, the cluster in %s is still there (postgres still running?)", left[0])
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
