package tools

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LocalPath resolves a path on the machine running the server, for the
// tools that read or write local files (bulk-upsert, upload-object,
// download-object, create-function's codeFile, create-deployment).
//
// Over stdio the server runs on the user's machine, started by the user's
// client, and acts as the user: any path, "~/" expanded, a relative path
// taken from the working directory. Over HTTP the caller is whoever can
// reach the server, so its files are off limits unless the operator named a
// directory with --files-root; then each project key has its own
// subdirectory there (Env.FilesTenant), and a path (relative ones from that
// subdirectory) must stay inside it once symbolic links are resolved.
func LocalPath(env *Env, given string) (string, error) {
	if strings.TrimSpace(given) == "" {
		return "", Errorf("the path is empty")
	}
	if !env.Config.Remote {
		p := given
		if p == "~" || strings.HasPrefix(p, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				p = filepath.Join(home, p[1:])
			}
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", Errorf("cannot resolve the path %q (%v); pass an absolute path", given, err)
		}
		return abs, nil
	}
	root := env.Config.FilesRoot
	if root == "" {
		return "", Errorf("this server is reached over HTTP, so it may run on another machine than the user's, and it does not read or write its own files for remote clients. " +
			"Pass the content inline where the tool allows it (content, code), or run insforge-mcp locally over stdio for local files; " +
			"an operator can allow a directory with --files-root.")
	}
	dir, err := tenantDir(env)
	if err != nil {
		return "", err
	}
	p := given
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	resolved, err := resolveExisting(filepath.Clean(p))
	if err != nil {
		return "", Errorf("cannot resolve %q: %v", given, err)
	}
	if rel, err := filepath.Rel(dir, resolved); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", Errorf("%q is outside the directory this server may use for this project's files (%s, its own directory under --files-root); give a path inside it, or a relative one", given, dir)
	}
	return resolved, nil
}

// tenantDir returns the caller's own directory under --files-root, with
// symbolic links resolved, creating it (mode 0700) on first use. Over HTTP
// the callers of one server are different people: one's downloads must
// never be another's uploads.
func tenantDir(env *Env) (string, error) {
	root := env.Config.FilesRoot
	if env.FilesTenant == "" || strings.ContainsAny(env.FilesTenant, `/\`) || env.FilesTenant == "." || env.FilesTenant == ".." {
		return "", Errorf("local files need a connected project on this server: each project key has its own directory under --files-root. Call connect-project first.")
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", Errorf("the server's --files-root %s is unusable: %v", root, err)
	}
	dir := filepath.Join(realRoot, env.FilesTenant)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", Errorf("cannot create this project's directory under --files-root (%s): %v", dir, err)
	}
	// Only a real directory: a link placed there could lead anywhere.
	if st, err := os.Lstat(dir); err != nil || !st.IsDir() {
		return "", Errorf("this project's directory under --files-root (%s) is not a plain directory; ask the server's operator to remove it", dir)
	}
	return dir, nil
}

// MissingLocal says that the local path given for the argument what was
// looked for at abs and does not exist, how a relative path was resolved,
// and what to do next: remoteHint when the server is reached over HTTP,
// localHint otherwise ("" for none).
func MissingLocal(env *Env, what, given, abs, remoteHint, localHint string) string {
	msg := fmt.Sprintf("%s %s does not exist on the machine running this MCP server", what, abs)
	if !filepath.IsAbs(given) && !strings.HasPrefix(given, "~") {
		base := "the server's working directory"
		if env.Config.Remote {
			base = "the server's --files-root (this project's own directory there)"
		}
		msg += fmt.Sprintf(" (the relative path %q was resolved against %s; pass an absolute path)", given, base)
	}
	hint := localHint
	if env.Config.Remote {
		hint = remoteHint
	}
	if hint != "" {
		msg += ". " + hint
	}
	return msg
}

// resolveExisting resolves symbolic links in the longest existing prefix of
// p and appends the rest, so paths of files still to be written resolve too.
func resolveExisting(p string) (string, error) {
	rest := ""
	for {
		r, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(r, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return "", fmt.Errorf("no existing parent")
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}
