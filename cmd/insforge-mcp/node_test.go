package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// interopOnce installs the pinned interop packages once per test run.
var interopOnce = sync.OnceValues(func() (string, error) {
	dir, err := filepath.Abs("../../interop")
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil {
		return dir, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return dir, err
	}
	cmd := exec.Command(npm, "ci", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return dir, &installError{out: string(out), err: err}
	}
	return dir, nil
})

type installError struct {
	out string
	err error
}

func (e *installError) Error() string {
	return "npm ci --prefix interop: " + e.err.Error() + "\n" + e.out
}

// interop returns the interop directory with its pinned packages
// (the TypeScript SDK client and the MCP Inspector) installed, and the
// node binary. Without Node the test says so in one line and is skipped,
// except under CI, where that is a failure.
func interop(t *testing.T) (dir, node string) {
	t.Helper()
	node, nodeErr := exec.LookPath("node")
	dir, err := interopOnce()
	if nodeErr != nil || err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("this test needs Node.js and npm (node: %v; install: %v)", nodeErr, err)
		}
		t.Skipf("skipped: needs Node.js 22.7.5+ and npm to install interop/ (node: %v; install: %v)", nodeErr, err)
	}
	return dir, node
}
