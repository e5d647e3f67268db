package mcpserver_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/internal/testbin"
)

// Most tests here wait more than they compute: for PostgreSQL to create a
// fake backend's database, for a backend that stalls, for a retry. They
// run in parallel (t.Parallel), twice as many at once as there are CPUs
// (-test.parallel's default is GOMAXPROCS): a test that waits leaves the
// CPU to one that computes, while each test keeps enough of the CPU for
// its calls to answer well within their timeouts (5 s for a backend call,
// 20 s for a tool call) on a loaded machine. Two of the slots are taken,
// while their children run, by the tests that run alone (ranAlone). An
// explicit -parallel is left as it is.
const waitingParallel = 2

// aloneEnv names the test that a child process of this test binary runs
// by itself (ranAlone).
const aloneEnv = "MCPSERVER_TEST_ALONE"

func TestMain(m *testing.M) {
	// A race-built child (ranAlone) would otherwise sleep a second at exit.
	testbin.QuickRaceExit()
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit && os.Getenv(aloneEnv) == "" {
		flag.Set("test.parallel", fmt.Sprint(waitingParallel*runtime.GOMAXPROCS(0))) //nolint:errcheck // a valid int
	}
	os.Exit(m.Run())
}

// ranAlone runs the top-level test t in a process of its own, unless this
// is that process, and reports whether it did: the caller then returns,
// as t has run. Else (in the child) t runs here, by itself.
//
// The child is this test binary, with -test.run naming only t (and the
// subtests the parent's -test.run names, if any). Its goroutine counts and
// heap measurements see only t; t's goroutines are scheduled among its
// own, and its timers fire on time, however busy the tests running in
// parallel here keep this process; and t's own crowd of goroutines does
// not slow those tests. Here t runs in parallel with the other tests and
// only waits for the child. The child's output is t's log; its failure
// is t's.
func ranAlone(t *testing.T) bool {
	t.Helper()
	if os.Getenv(aloneEnv) == t.Name() {
		return false
	}
	t.Parallel()
	run := "^" + regexp.QuoteMeta(t.Name()) + "$"
	if sub := subtestPattern(flag.Lookup("test.run").Value.String()); sub != "" {
		run += "/" + sub
	}
	args := []string{"-test.run=" + run, "-test.count=1"}
	if skip := flag.Lookup("test.skip").Value.String(); skip != "" {
		args = append(args, "-test.skip="+skip)
	}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	ctx := context.Background()
	if dl, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-5*time.Second))
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), aloneEnv+"="+t.Name())
	cmd.WaitDelay = 10 * time.Second // should a server it started keep its output open
	out, err := cmd.CombinedOutput()
	t.Logf("%s run alone in a process of its own:\n%s", t.Name(), out)
	if err != nil {
		t.Fatalf("%s, run alone: %v", t.Name(), err)
	}
	if strings.Contains(string(out), "no tests to run") {
		t.Fatalf("%s, run alone, ran no test", t.Name())
	}
	return true
}

// subtestPattern is what follows the first top-level test's part of a
// -test.run pattern ("A/b/c" → "b/c"), "" when it names no subtests. A
// slash inside brackets or parentheses does not split, as in package
// testing.
func subtestPattern(pattern string) string {
	depth := 0
	for i, c := range pattern {
		switch c {
		case '[', '(':
			depth++
		case ']', ')':
			depth--
		case '/':
			if depth == 0 && (i == 0 || pattern[i-1] != '\\') {
				return pattern[i+1:]
			}
		}
	}
	return ""
}
