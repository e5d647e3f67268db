package tools

import (
	"testing"
	"time"
)

// DeployFastForTest shortens create-deployment's retry and poll waits for
// the duration of a test.
func DeployFastForTest(t testing.TB) {
	t.Helper()
	old := deployTuning
	deployTuning.retryWait = time.Millisecond
	deployTuning.pollFirst = time.Millisecond
	deployTuning.pollMax = 2 * time.Millisecond
	t.Cleanup(func() { deployTuning = old })
}

// DeployLimitsForTest replaces the local limits create-deployment checks
// before uploading, for the duration of a test.
func DeployLimitsForTest(t testing.TB, maxFiles int, maxTotal, maxFile int64) {
	t.Helper()
	old := deployTuning.limits
	deployTuning.limits = deployLimits{maxFiles: maxFiles, maxTotal: maxTotal, maxFile: maxFile, maxPathLen: old.maxPathLen}
	t.Cleanup(func() { deployTuning.limits = old })
}
