package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// interopOnce installs the pinned interop packages once per test run.
var interopOnce = sync.OnceValues(func() (string, error) {
	dir, err := filepath.Abs("../../interop")
	if err != nil {
		return "", err
	}
	if installedFresh(dir) {
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

// installedFresh reports whether interop/node_modules was installed after
// the last change of package-lock.json, so a changed pin is installed anew.
func installedFresh(dir string) bool {
	installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err != nil {
		return false
	}
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	return err == nil && !installed.ModTime().Before(lock.ModTime())
}

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
		t.Skipf("skipped: needs Node.js and npm to install interop/ (node: %v; install: %v)", nodeErr, err)
	}
	return dir, node
}

// nodeCommand prepares node with args in the interop directory dir, with a
// home and temporary directory of its own (what node and the servers it
// starts leave there goes with the test) and env added, stopped after a
// minute. Node starts the stdio server as its child, which holds the
// output pipes open: at the deadline the pipes are let go too. cancel
// releases the deadline.
func nodeCommand(t *testing.T, dir, node string, env []string, args ...string) (cmd *exec.Cmd, cancel context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd = exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(append(os.Environ(), "HOME="+t.TempDir(), "TMPDIR="+t.TempDir()), env...)
	return cmd, cancel
}
