package deployments

import (
	"os"
	"testing"
	"time"
)

// TestMain gives every test of the package create-deployment's short poll
// waits (1 ms, growing to 2 ms, instead of 2 s growing to 5 s; upload
// retries wait as the test client's transport says). They are set once,
// before any test runs: the tests run in parallel and the tools read
// tuning without a lock. No test measures the waits themselves.
func TestMain(m *testing.M) {
	tuning.pollFirst = time.Millisecond
	tuning.pollMax = 2 * time.Millisecond
	os.Exit(m.Run())
}

// LimitsForTest replaces the local limits create-deployment checks
// before uploading, for the duration of a test, which must not run in
// parallel with others (they read the limits).
func LimitsForTest(t testing.TB, maxFiles int, maxTotal, maxFile int64) {
	t.Helper()
	old := tuning.limits
	tuning.limits = limits{maxFiles: maxFiles, maxTotal: maxTotal, maxFile: maxFile, maxPathLen: old.maxPathLen}
	t.Cleanup(func() { tuning.limits = old })
}
