package deployments

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDeployIgnoreRules(t *testing.T) {
	t.Parallel()
	rules := parseIgnore(strings.Join([]string{
		"# comment",
		"",
		"*.log",
		"!keep.log",
		"/anchored.txt",
		"build-*/",
		"docs/**/*.draft.md",
		"**/cache",
		"vendor/**",
		"!vendor/keep/",
		`\#literal`,
		`\!bang`,
		"trailing   ",
		"a?c",
		"[xy].tmp",
		"sub/dir",
	}, "\n"))
	files := []*ignoreFile{{base: "", rules: rules}}
	for _, c := range []struct {
		path  string
		dir   bool
		want  bool
		which string
	}{
		{"app.log", false, true, "*.log"},
		{"deep/x/app.log", false, true, "*.log"},
		{"keep.log", false, false, ""},
		{"deep/keep.log", false, false, ""},
		{"anchored.txt", false, true, "/anchored.txt"},
		{"sub/anchored.txt", false, false, ""},
		{"build-1", true, true, "build-*/"},
		{"build-1", false, false, ""},
		{"docs/a/b/c.draft.md", false, true, "docs/**/*.draft.md"},
		{"docs/c.draft.md", false, true, "docs/**/*.draft.md"},
		{"other/docs/c.draft.md", false, false, ""},
		{"cache", true, true, "**/cache"},
		{"x/y/cache", false, true, "**/cache"},
		{"vendor", true, false, ""},
		{"vendor/lib.js", false, true, "vendor/**"},
		{"vendor/keep", true, false, ""},
		{"#literal", false, true, `\#literal`},
		{"!bang", false, true, `\!bang`},
		{"trailing", false, true, "trailing"},
		{"abc", false, true, "a?c"},
		{"ac", false, false, ""},
		{"x.tmp", false, true, "[xy].tmp"},
		{"z.tmp", false, false, ""},
		{"sub/dir", true, true, "sub/dir"},
		{"a/sub/dir", true, false, ""},
	} {
		got := ignored(files, c.path, c.dir)
		if (got != "") != c.want || (c.want && got != c.which) {
			t.Errorf("%s (dir %v): excluded by %q, want excluded=%v by %q", c.path, c.dir, got, c.want, c.which)
		}
	}
}

func TestDeployIgnoreNestedFiles(t *testing.T) {
	t.Parallel()
	files := []*ignoreFile{
		{base: "", rules: parseIgnore("*.tmp\n")},
		{base: "web", rules: parseIgnore("/generated/\n!important.tmp\n")},
	}
	for path, want := range map[string]bool{
		"a.tmp":                 true,
		"web/a.tmp":             true,
		"web/important.tmp":     false, // the inner file re-includes it
		"important.tmp":         true,  // not below web/
		"web/generated":         true,
		"generated":             false, // anchored to web/
		"web/src/generated":     false,
		"web/src/important.tmp": false,
	} {
		dir := !strings.HasSuffix(path, ".tmp")
		if got := ignored(files, path, dir) != ""; got != want {
			t.Errorf("%s: excluded = %v, want %v", path, got, want)
		}
	}
}

func TestDeployScanSymlinksAndSkips(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	outside := t.TempDir()
	write := func(p, data string) {
		t.Helper()
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.txt", "a")
	write("web/.gitignore", "*.gen.js\n")
	write("web/x.gen.js", "gen")
	write("web/y.js", "y")
	write(".DS_Store", "junk")
	if err := os.WriteFile(filepath.Join(outside, "o.txt"), []byte("o"), 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"to-outside": filepath.Join(outside, "o.txt"),
		"to-inside":  "a.txt",
		"dangling":   "missing.txt",
		"dir-link":   "web",
		"escape":     "../" + filepath.Base(outside),
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	w, err := scan(root)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range w.files {
		paths = append(paths, f.Path)
	}
	if want := []string{"a.txt", "to-inside", "web/.gitignore", "web/y.js"}; !slices.Equal(paths, want) {
		t.Errorf("files %v, want %v", paths, want)
	}
	reasons := map[string]string{}
	for _, s := range w.skipped {
		reasons[s.Path] = s.Reason
	}
	for p, want := range map[string]string{
		"to-outside":   skipOutside,
		"dangling":     skipBroken,
		"dir-link/":    skipLinkDir,
		".DS_Store":    skipOSJunk,
		"web/x.gen.js": skipIgnored + " (*.gen.js)",
	} {
		if reasons[p] != want {
			t.Errorf("skipped[%s] = %q, want %q (all %v)", p, reasons[p], want, reasons)
		}
	}
	if r := reasons["escape/"] + reasons["escape"]; r != skipOutside {
		t.Errorf("escape: %q", r)
	}
	if err := w.check(defaultLimits); err != nil {
		t.Errorf("check: %v", err)
	}
}

func TestDeployPathProblems(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]string{
		"ok/file.js":              "",
		"":                        "empty",
		"/abs":                    "not relative",
		"a/../b":                  "segment",
		"a//b":                    "segment",
		"./a":                     "segment",
		`a\b`:                     "backslash",
		strings.Repeat("x", 2049): "longer than 2048",
	} {
		got := pathProblem(p, 2048)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%q: %q, want %q", p, got, want)
		}
	}
}

// Many "**" segments against a deep path must not take exponential time
// (the test bounds nothing by the clock: a regression would simply hang
// until the package timeout).
func TestDeployGitignoreManyGlobstars(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("d/", 40) + "x"
	segs := strings.Split(deep, "/")
	pat := strings.Split("**/**/**/**/**/**/**/**/**/x", "/")
	if !matchSegs(pat, segs) {
		t.Fatal("**/…/x should match a deep x")
	}
	if matchSegs(strings.Split("**/**/**/**/**/**/**/**/**/y", "/"), segs) {
		t.Fatal("…/y must not match x")
	}
}
