package testbin

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

func TestCachedFillsOnceAndKeepsFailuresOut(t *testing.T) {
	t.Setenv("INSFORGE_TEST_CACHE", t.TempDir())
	if _, err := Cached("x", func(tmp string) error { return os.ErrPermission }); err == nil {
		t.Fatal("a failed fill was reported as cached")
	}
	var fills atomic.Int32
	var wg sync.WaitGroup
	dirs := make([]string, 8)
	for i := range dirs {
		wg.Go(func() {
			d, err := Cached("x", func(tmp string) error {
				fills.Add(1)
				return os.WriteFile(filepath.Join(tmp, "bin"), []byte("ok"), 0o755)
			})
			if err != nil {
				t.Error(err)
			}
			dirs[i] = d
		})
	}
	wg.Wait()
	if fills.Load() != 1 {
		t.Fatalf("filled %d times, want once", fills.Load())
	}
	for _, d := range dirs {
		if b, err := os.ReadFile(filepath.Join(d, "bin")); err != nil || string(b) != "ok" {
			t.Fatalf("%s: %q %v", d, b, err)
		}
	}
}

func TestLinkFromList(t *testing.T) {
	pkg := t.TempDir()
	lib := filepath.Join(pkg, "native", "lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(list string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(pkg, "native", "pg-symlinks.json"), []byte(list), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(lib, "libpq.so.5.18"), []byte("elf"), 0o644); err != nil {
		t.Fatal(err)
	}
	write(`[{"source":"native/lib/libpq.so.5.18","target":"native/lib/libpq.so.5"}]`)
	if err := linkFromList(pkg); err != nil {
		t.Fatal(err)
	}
	if err := linkFromList(pkg); err != nil { // a second run finds the link made
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(lib, "libpq.so.5")); err != nil || string(b) != "elf" {
		t.Fatalf("link: %q %v", b, err)
	}
	for _, bad := range []string{
		`[{"source":"native/lib/a","target":"../../outside"}]`,
		`[{"source":"/etc/passwd","target":"native/lib/passwd"}]`,
	} {
		write(bad)
		if err := linkFromList(pkg); err == nil {
			t.Errorf("%s was linked", bad)
		}
	}
}
