package deployments

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/insforge-mcp/insforge-mcp/tools"
)

// Folder walk of create-deployment: which files ship, which are skipped and
// why, and the limits checked before anything is uploaded.

// limits are the backend's limits on a direct deployment
// (POST /api/deployments/direct: MAX_DEPLOYMENT_FILES,
// MAX_DEPLOYMENT_TOTAL_BYTES, MAX_DEPLOYMENT_FILE_BYTES, path length).
type limits struct {
	maxFiles   int
	maxTotal   int64
	maxFile    int64
	maxPathLen int
}

var defaultLimits = limits{maxFiles: 5000, maxTotal: 100 << 20, maxFile: 100 << 20, maxPathLen: 2048}

// file is one file that ships.
type file struct {
	Path string // relative to the source folder, forward slashes
	abs  string // what to read: the file, or the target of a symlink inside the folder
	Size int64
	mod  time.Time
	SHA  string // hex SHA-1, set by hashing
	crc  uint32 // CRC-32 (IEEE), set by hashing; the legacy zip needs it
}

// skip is an entry left out of the deployment.
type skip struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Skip reasons (also used to group them in the summary).
const (
	skipDeps    = "dependencies (installed by the build)"
	skipVCS     = "version control data"
	skipBuild   = "build output or cache (rebuilt remotely)"
	skipEnv     = "environment file (may hold secrets; pass build variables with envVars)"
	skipIgnored = "excluded by .gitignore"
	skipOutside = "symlink pointing outside the folder (not followed)"
	skipBroken  = "broken symlink"
	skipLinkDir = "symlink to a folder (not followed)"
	skipSpecial = "not a regular file (socket, device or pipe)"
	skipOSJunk  = "operating system metadata"
)

var (
	depDirs   = map[string]bool{"node_modules": true, "bower_components": true, "jspm_packages": true}
	vcsDirs   = map[string]bool{".git": true, ".hg": true, ".svn": true}
	buildDirs = map[string]bool{
		"dist": true, "build": true, "out": true, ".next": true, ".nuxt": true, ".output": true,
		".svelte-kit": true, ".vercel": true, ".turbo": true, ".cache": true, ".parcel-cache": true,
	}
	junkFiles = map[string]bool{".DS_Store": true, "Thumbs.db": true, "desktop.ini": true}
)

// walk is the result of scanning a source folder.
type walk struct {
	root    string // absolute, symlinks resolved
	files   []*file
	skipped []skip
	// unreadable lists entries that could not be read (an error before upload).
	unreadable []string
}

func (w *walk) totalBytes() int64 {
	var n int64
	for _, f := range w.files {
		n += f.Size
	}
	return n
}

// scan walks root and decides what ships. It reads directories and
// file metadata only (no content).
func scan(root string) (*walk, error) {
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	w := &walk{root: real}
	w.walkDir(real, "", nil)
	sort.Slice(w.files, func(i, j int) bool { return w.files[i].Path < w.files[j].Path })
	return w, nil
}

func (w *walk) walkDir(dir, rel string, ignores []*ignoreFile) {
	if data, err := os.ReadFile(filepath.Join(dir, ".gitignore")); err == nil {
		ignores = append(ignores[:len(ignores):len(ignores)], &ignoreFile{base: rel, rules: parseIgnore(string(data))})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.unreadable = append(w.unreadable, fmt.Sprintf("%s (%v)", display(rel), errText(err)))
		return
	}
	for _, e := range entries {
		name := e.Name()
		p := name
		if rel != "" {
			p = rel + "/" + name
		}
		abs := filepath.Join(dir, name)
		info, err := e.Info()
		if err != nil {
			w.unreadable = append(w.unreadable, fmt.Sprintf("%s (%v)", p, errText(err)))
			continue
		}
		mode := info.Mode()
		isLink := mode&fs.ModeSymlink != 0
		isDir := e.IsDir()
		if isLink {
			// Whether a link counts as a folder for ignore rules depends on its
			// target; a broken one is treated as a file.
			if ti, err := os.Stat(abs); err == nil {
				isDir = ti.IsDir()
			}
		}
		if reason := builtinSkip(name, isDir); reason != "" {
			w.skip(p, isDir, reason)
			continue
		}
		if rule := ignored(ignores, p, isDir); rule != "" {
			w.skip(p, isDir, skipIgnored+" ("+rule+")")
			continue
		}
		if isLink {
			target, err := filepath.EvalSymlinks(abs)
			if err != nil {
				w.skip(p, false, skipBroken)
				continue
			}
			if !inside(w.root, target) {
				w.skip(p, isDir, skipOutside)
				continue
			}
			ti, err := os.Stat(target)
			switch {
			case err != nil:
				w.skip(p, false, skipBroken)
			case ti.IsDir():
				w.skip(p, true, skipLinkDir)
			case !ti.Mode().IsRegular():
				w.skip(p, false, skipSpecial)
			default:
				w.files = append(w.files, &file{Path: p, abs: target, Size: ti.Size(), mod: ti.ModTime()})
			}
			continue
		}
		switch {
		case isDir:
			w.walkDir(abs, p, ignores)
		case mode.IsRegular():
			w.files = append(w.files, &file{Path: p, abs: abs, Size: info.Size(), mod: info.ModTime()})
		default:
			w.skip(p, false, skipSpecial)
		}
	}
}

func (w *walk) skip(p string, dir bool, reason string) {
	if dir {
		p += "/"
	}
	w.skipped = append(w.skipped, skip{Path: p, Reason: reason})
}

// builtinSkip says why an entry never ships, or "".
func builtinSkip(name string, isDir bool) string {
	if isDir {
		switch {
		case depDirs[name]:
			return skipDeps
		case vcsDirs[name]:
			return skipVCS
		case buildDirs[name]:
			return skipBuild
		}
		return ""
	}
	switch {
	case name == ".env" || strings.HasPrefix(name, ".env."):
		return skipEnv
	case junkFiles[name]:
		return skipOSJunk
	}
	return ""
}

// inside reports whether target (absolute, resolved) is root or below it.
func inside(root, target string) bool {
	rel, err := filepath.Rel(root, target)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}

func display(rel string) string {
	if rel == "" {
		return "the source folder"
	}
	return rel + "/"
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// pathProblem says what is wrong with a manifest path for the backend
// (the manifest of POST /api/deployments/direct), or "".
func pathProblem(p string, maxLen int) string {
	switch {
	case p == "":
		return "empty path"
	case len(p) > maxLen:
		return fmt.Sprintf("path longer than %d characters", maxLen)
	case strings.ContainsRune(p, 0):
		return "path contains a NUL byte"
	case strings.Contains(p, `\`):
		return `name contains a backslash (\), which the backend refuses`
	case strings.HasPrefix(p, "/") || filepath.IsAbs(p):
		return "path is not relative"
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "path has an empty, . or .. segment"
		}
	}
	return ""
}

// check verifies the limits before anything is read or sent, and returns
// one error listing every problem with what to do about it.
func (w *walk) check(lim limits) error {
	var problems []string
	if len(w.unreadable) > 0 {
		problems = append(problems, fmt.Sprintf("cannot read %s; fix the permissions or add them to .gitignore", first(w.unreadable, 5)))
	}
	var badPaths []string
	for _, f := range w.files {
		if why := pathProblem(f.Path, lim.maxPathLen); why != "" {
			badPaths = append(badPaths, fmt.Sprintf("%q (%s)", f.Path, why))
		}
	}
	if len(badPaths) > 0 {
		problems = append(problems, fmt.Sprintf("some paths cannot be deployed: %s; rename them or add them to .gitignore", first(badPaths, 5)))
	}
	if len(w.files) > lim.maxFiles {
		problems = append(problems, fmt.Sprintf("%d files is more than the limit of %d; the folders with the most files are %s. Point sourceDirectory at the app's own folder or exclude generated files in .gitignore",
			len(w.files), lim.maxFiles, topDirs(w.files, 3)))
	}
	var big []string
	for _, f := range w.bySize() {
		if f.Size > lim.maxFile {
			big = append(big, fmt.Sprintf("%s (%s)", f.Path, humanBytes(f.Size)))
		}
	}
	if len(big) > 0 {
		problems = append(problems, fmt.Sprintf("files larger than the %s per-file limit: %s; host large media elsewhere (a storage bucket) or exclude them in .gitignore",
			humanBytes(lim.maxFile), first(big, 5)))
	}
	if total := w.totalBytes(); total > lim.maxTotal {
		var largest []string
		for _, f := range w.bySize() {
			largest = append(largest, fmt.Sprintf("%s (%s)", f.Path, humanBytes(f.Size)))
		}
		problems = append(problems, fmt.Sprintf("the files add up to %s, more than the %s limit; the largest are %s",
			humanBytes(total), humanBytes(lim.maxTotal), first(largest, 5)))
	}
	if len(problems) == 0 && len(w.files) == 0 {
		return tools.Errorf("there is nothing to deploy in %s: it has no files once %d skipped entries are left out (node_modules, .git, build output, .env files, .gitignore exclusions). Check sourceDirectory; nothing was uploaded.",
			w.root, len(w.skipped))
	}
	if len(problems) > 0 {
		return tools.Errorf("cannot deploy %s: %s. Nothing was uploaded.", w.root, strings.Join(problems, "; "))
	}
	return nil
}

// bySize returns the files, largest first.
func (w *walk) bySize() []*file {
	out := append([]*file(nil), w.files...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Size > out[j].Size })
	return out
}

func topDirs(files []*file, n int) string {
	count := map[string]int{}
	for _, f := range files {
		dir := "top level"
		if i := strings.IndexByte(f.Path, '/'); i > 0 {
			dir = f.Path[:i] + "/"
		}
		count[dir]++
	}
	dirs := make([]string, 0, len(count))
	for d := range count {
		dirs = append(dirs, d)
	}
	sort.Slice(dirs, func(i, j int) bool {
		if count[dirs[i]] != count[dirs[j]] {
			return count[dirs[i]] > count[dirs[j]]
		}
		return dirs[i] < dirs[j]
	})
	var parts []string
	for _, d := range dirs {
		if len(parts) == n {
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", d, count[d]))
	}
	return strings.Join(parts, ", ")
}

func first(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}

// humanBytes formats a byte count for people.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// ---- .gitignore ----

// ignoreFile is one .gitignore: its folder (relative to the source
// folder, "" for the top) and its rules in order.
type ignoreFile struct {
	base  string
	rules []ignoreRule
}

// ignoreRule is one pattern line. Supported: blank lines, # comments
// (\# for a literal #), ! negation (\! for a literal !), a trailing / for
// folders only, a leading or inner / anchoring the pattern to the
// .gitignore's folder, and the globs * ? [...] and ** (leading **/, inner
// /**/, trailing /**). Not supported: trailing-space escapes beyond "\ ".
type ignoreRule struct {
	text     string
	negate   bool
	dirOnly  bool
	anchored bool
	segs     []string
}

func parseIgnore(data string) []ignoreRule {
	var rules []ignoreRule
	for _, line := range strings.Split(data, "\n") {
		line = strings.TrimSuffix(line, "\r")
		for strings.HasSuffix(line, " ") && !strings.HasSuffix(line, `\ `) {
			line = line[:len(line)-1]
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := ignoreRule{text: line}
		switch {
		case strings.HasPrefix(line, `\#`), strings.HasPrefix(line, `\!`):
			line = line[1:]
		case strings.HasPrefix(line, "!"):
			r.negate = true
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			r.dirOnly = true
			line = strings.TrimRight(line, "/")
		}
		if strings.Contains(line, "/") {
			r.anchored = true
			line = strings.TrimLeft(line, "/")
		}
		if line == "" {
			continue
		}
		r.segs = strings.Split(line, "/")
		rules = append(rules, r)
	}
	return rules
}

// match reports whether the rule matches rel (relative to the .gitignore's
// folder, forward slashes).
func (r ignoreRule) match(rel string, isDir bool) bool {
	if r.dirOnly && !isDir {
		return false
	}
	segs := strings.Split(rel, "/")
	if !r.anchored {
		ok, err := path.Match(r.segs[0], segs[len(segs)-1])
		return err == nil && ok
	}
	return matchSegs(r.segs, segs)
}

func matchSegs(pat, segs []string) bool {
	// Dynamic programming from the end, one row per pattern segment:
	// next[j] says whether pat[i+1:] matches segs[j:]. Recursion on "**"
	// would be exponential in the number of "**" segments.
	m := len(segs)
	next := make([]bool, m+1)
	next[m] = true // the empty pattern matches only the empty path
	cur := make([]bool, m+1)
	for i := len(pat) - 1; i >= 0; i-- {
		switch {
		case pat[i] == "**" && i == len(pat)-1:
			for j := 0; j <= m; j++ {
				cur[j] = j < m // "dir/**" matches what is inside, not dir itself
			}
		case pat[i] == "**":
			anyLater := false
			for j := m; j >= 0; j-- {
				anyLater = anyLater || next[j]
				cur[j] = anyLater
			}
		default:
			cur[m] = false
			for j := 0; j < m; j++ {
				ok, err := path.Match(pat[i], segs[j])
				cur[j] = err == nil && ok && next[j+1]
			}
		}
		next, cur = cur, next
	}
	return next[0]
}

// ignored applies the .gitignore files (outer first, the last match
// wins) to p and returns the deciding pattern when p is excluded.
func ignored(files []*ignoreFile, p string, isDir bool) string {
	excluded, by := false, ""
	for _, f := range files {
		rel := p
		if f.base != "" {
			var ok bool
			if rel, ok = strings.CutPrefix(p, f.base+"/"); !ok {
				continue
			}
		}
		for _, r := range f.rules {
			if r.match(rel, isDir) {
				excluded, by = !r.negate, r.text
			}
		}
	}
	if !excluded {
		return ""
	}
	return by
}
