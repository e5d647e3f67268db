// Package credentials finds, checks and stores the pair a server needs to
// act on an InsForge project: the project URL and the admin API key.
//
// A Credentials value never prints its key: String, GoString and LogValue
// redact it, so a stray log or %v cannot leak it.
package credentials

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
)

// Credentials is a project URL plus its admin API key.
type Credentials struct {
	ProjectURL string
	APIKey     string
}

// Complete reports whether both parts are present.
func (c Credentials) Complete() bool { return c.ProjectURL != "" && c.APIKey != "" }

// String shows the URL and a redacted key.
func (c Credentials) String() string {
	return fmt.Sprintf("{ProjectURL:%s APIKey:%s}", c.ProjectURL, Redact(c.APIKey))
}

// GoString keeps %#v from printing the key.
func (c Credentials) GoString() string { return "credentials.Credentials" + c.String() }

// LogValue keeps slog from printing the key.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("projectUrl", c.ProjectURL), slog.String("apiKey", Redact(c.APIKey)))
}

// Redact describes a key without revealing it: its prefix kind only.
func Redact(key string) string {
	switch {
	case key == "":
		return "(none)"
	case strings.HasPrefix(key, "ik_"):
		return "ik_…(redacted)"
	case strings.HasPrefix(key, "anon_"):
		return "anon_…(redacted)"
	default:
		return "(redacted)"
	}
}

// keyLike matches text that looks like an admin API key: ik_ (or its
// URL-escaped form ik%5F) followed by at least 12 key characters. The
// placeholder "ik_…" of messages has none, so it stays.
var keyLike = regexp.MustCompile(`(?i)ik(?:_|%5f)[a-z0-9_\-]{12,}`)

// RedactKeys removes from text every token that looks like an admin key
// and each of the given keys (as they are and URL-escaped), whatever their
// form. Use it on any message that can carry a URL or a value a user
// pasted: a key put in the project URL's path must not come back in an
// error.
func RedactKeys(text string, keys ...string) string {
	for _, k := range keys {
		if len(k) < 8 {
			continue
		}
		mark := Redact(k)
		text = strings.ReplaceAll(text, k, mark)
		for _, esc := range []string{url.PathEscape(k), url.QueryEscape(k)} {
			if esc != k {
				text = strings.ReplaceAll(text, esc, mark)
			}
		}
	}
	return keyLike.ReplaceAllString(text, "ik_…(redacted)")
}

// ErrBadURL is returned by NormalizeURL for anything but an http(s) URL with a host.
var ErrBadURL = errors.New("invalid project URL")

// NormalizeURL checks a project URL and returns it without a trailing slash,
// query or fragment. It must be http or https, with a host and no user info.
func NormalizeURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("%w: it is empty; a project URL has the form https://{project-id}.{region}.insforge.app", ErrBadURL)
	}
	if RedactKeys(raw) != raw {
		return "", fmt.Errorf("%w: it contains what looks like an admin API key (ik_…); the project URL is only https://{project-id}.{region}.insforge.app, and the key goes in its own field", ErrBadURL)
	}
	u, err := url.Parse(raw)
	switch {
	case !strings.Contains(raw, "://") && (err != nil || u.Scheme == "" || isPort(u.Opaque)):
		// A bare host, or host:port (which parses as a scheme "host").
		return "", fmt.Errorf("%w: %q has no scheme; write https://%s (or http:// for a local backend)", ErrBadURL, raw, raw)
	case err != nil:
		return "", fmt.Errorf("%w: %q is not a valid URL; a project URL has the form https://{project-id}.{region}.insforge.app", ErrBadURL, raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%w: %q must start with https:// (or http:// for a local backend)", ErrBadURL, raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%w: %q has no host", ErrBadURL, raw)
	}
	if u.User != nil {
		return "", fmt.Errorf("%w: the URL must not contain a user name or password", ErrBadURL)
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	u.Path = trimAPISuffix(u.Path)
	u.RawPath = ""
	out := u.String()
	if RedactKeys(out) != out { // escapes can spell one too: i%6B_…
		return "", fmt.Errorf("%w: it contains what looks like an admin API key (ik_…); the project URL is only https://{project-id}.{region}.insforge.app, and the key goes in its own field", ErrBadURL)
	}
	return out, nil
}

// isPort reports whether s is all digits, like the port of host:port.
func isPort(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// trimAPISuffix removes trailing slashes and "/api" segments until none is
// left, so that a pasted ".../api/" and the bare project URL are the same
// and normalising a normalised URL changes nothing.
func trimAPISuffix(p string) string {
	for {
		trimmed := strings.TrimSuffix(strings.TrimRight(p, "/"), "/api")
		if trimmed == p {
			return p
		}
		p = trimmed
	}
}

// ErrBadKey is returned by CheckKey for a value that cannot be an admin key.
var ErrBadKey = errors.New("invalid API key")

// CheckKey rejects values that cannot be an admin API key, without
// revealing the value in the error.
func CheckKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: it is empty; the admin key starts with ik_", ErrBadKey)
	case strings.HasPrefix(key, "anon_"):
		return fmt.Errorf("%w: this is the project's anon key (public, for app code); the admin key starts with ik_", ErrBadKey)
	case strings.ContainsAny(key, " \t\r\n"):
		return fmt.Errorf("%w: it contains whitespace; copy the key again without spaces or line breaks", ErrBadKey)
	}
	return nil
}
