package deployments

import (
	"testing"
	"time"
)

// FastForTest shortens create-deployment's poll waits for the duration of
// a test (upload retries wait as the test client's transport says).
func FastForTest(t testing.TB) {
	t.Helper()
	old := tuning
	tuning.pollFirst = time.Millisecond
	tuning.pollMax = 2 * time.Millisecond
	t.Cleanup(func() { tuning = old })
}

// LimitsForTest replaces the local limits create-deployment checks
// before uploading, for the duration of a test.
func LimitsForTest(t testing.TB, maxFiles int, maxTotal, maxFile int64) {
	t.Helper()
	old := tuning.limits
	tuning.limits = limits{maxFiles: maxFiles, maxTotal: maxTotal, maxFile: maxFile, maxPathLen: old.maxPathLen}
	t.Cleanup(func() { tuning.limits = old })
}
