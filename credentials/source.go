package credentials

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Env variable names, ours first, then the official server's aliases.
const (
	EnvProjectURL      = "INSFORGE_PROJECT_URL"
	EnvAPIKey          = "INSFORGE_API_KEY"
	EnvAliasProjectURL = "API_BASE_URL"
	EnvAliasAPIKey     = "API_KEY"
)

// Resolved is what Resolve found, with where each part came from.
type Resolved struct {
	Credentials
	URLFrom string // "flag", "env INSFORGE_PROJECT_URL", "file", … or ""
	KeyFrom string
}

// Inputs are the places Resolve looks, in precedence order.
type Inputs struct {
	FlagURL, FlagKey string
	// Getenv reads the environment (os.Getenv in production).
	Getenv func(string) string
	// File is the saved credentials file; "" skips it.
	File string
}

// Resolve picks each part from the first source that has it: flags, then
// INSFORGE_* variables, then API_BASE_URL/API_KEY, then the saved file.
// A missing file is not an error; an unreadable one is.
func Resolve(in Inputs) (Resolved, error) {
	var r Resolved
	getenv := in.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	pick := func(dst, from *string, val, name string) {
		if *dst == "" && val != "" {
			*dst, *from = val, name
		}
	}
	pick(&r.ProjectURL, &r.URLFrom, in.FlagURL, "flag --project-url")
	pick(&r.APIKey, &r.KeyFrom, in.FlagKey, "flag --api-key")
	pick(&r.ProjectURL, &r.URLFrom, getenv(EnvProjectURL), "env "+EnvProjectURL)
	pick(&r.APIKey, &r.KeyFrom, getenv(EnvAPIKey), "env "+EnvAPIKey)
	pick(&r.ProjectURL, &r.URLFrom, getenv(EnvAliasProjectURL), "env "+EnvAliasProjectURL)
	pick(&r.APIKey, &r.KeyFrom, getenv(EnvAliasAPIKey), "env "+EnvAliasAPIKey)
	if in.File != "" && (r.ProjectURL == "" || r.APIKey == "") {
		saved, err := Load(in.File)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return r, err
		default:
			pick(&r.ProjectURL, &r.URLFrom, saved.ProjectURL, "file "+in.File)
			pick(&r.APIKey, &r.KeyFrom, saved.APIKey, "file "+in.File)
		}
	}
	if r.ProjectURL != "" {
		u, err := NormalizeURL(r.ProjectURL)
		if err != nil {
			return r, fmt.Errorf("project URL from %s: %w", r.URLFrom, err)
		}
		r.ProjectURL = u
	}
	return r, nil
}

// DefaultFile is where credentials are saved: <user config dir>/insforge-mcp/credentials.json.
func DefaultFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config directory: %w", err)
	}
	return filepath.Join(dir, "insforge-mcp", "credentials.json"), nil
}

type fileFormat struct {
	ProjectURL string `json:"projectUrl"`
	APIKey     string `json:"apiKey"`
}

// Load reads a credentials file written by Save.
func Load(path string) (Credentials, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("read credentials file: %w", err)
	}
	var f fileFormat
	if err := json.Unmarshal(data, &f); err != nil {
		// The JSON error may quote file content; do not pass it on.
		return Credentials{}, fmt.Errorf("credentials file %s is not valid JSON; delete it and connect again", path)
	}
	return Credentials{ProjectURL: f.ProjectURL, APIKey: f.APIKey}, nil
}

// Save writes the credentials with mode 0600 (directory 0700), atomically:
// a reader sees the old file or the new one, never a partial write.
func Save(path string, c Credentials) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create credentials directory: %w", err)
	}
	data, err := json.MarshalIndent(fileFormat{ProjectURL: c.ProjectURL, APIKey: c.APIKey}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode credentials: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".credentials-*.tmp")
	if err != nil {
		return fmt.Errorf("create temporary credentials file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("restrict credentials file: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write credentials file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync credentials file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close credentials file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replace credentials file: %w", err)
	}
	return nil
}

// Delete removes a saved credentials file; a missing file is not an error.
func Delete(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete credentials file: %w", err)
	}
	return nil
}
