package credentials

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// DefaultProjectHosts is where InsForge Cloud projects live.
const DefaultProjectHosts = "*.insforge.app"

// ErrHostNotAllowed is returned by HostPolicy.Check for a project URL the
// operator did not allow.
var ErrHostNotAllowed = errors.New("project host not allowed")

// HostPolicy decides which project URLs a server that others can reach may
// send its requests (and keys) to: the guard against using it as a proxy
// into the operator's network.
//
// Patterns: "*.insforge.app" (any subdomain, any port), "api.example.com"
// (that host, any port), "127.0.0.1:7130" (that host and port), "*" (any
// public host name). Loopback, private, link-local and unspecified
// addresses, and "localhost", are refused unless a pattern names them
// exactly: a wildcard never reaches them.
type HostPolicy struct {
	patterns []string
}

// ParseHostPolicy checks and normalises the patterns.
func ParseHostPolicy(patterns []string) (HostPolicy, error) {
	var p HostPolicy
	for _, raw := range patterns {
		pat := strings.ToLower(strings.TrimSpace(raw))
		if pat == "" {
			continue
		}
		if strings.Contains(pat, "://") || strings.ContainsAny(pat, "/?#@ ") {
			return HostPolicy{}, fmt.Errorf("allowed project host %q: give a host name pattern such as *.insforge.app or 127.0.0.1:7130, not a URL", raw)
		}
		if strings.Count(pat, "*") > 1 || (strings.Contains(pat, "*") && pat != "*" && !strings.HasPrefix(pat, "*.")) {
			return HostPolicy{}, fmt.Errorf("allowed project host %q: a wildcard may only be a leading *. or * alone", raw)
		}
		p.patterns = append(p.patterns, pat)
	}
	return p, nil
}

// Patterns returns the normalised patterns.
func (p HostPolicy) Patterns() []string { return append([]string(nil), p.patterns...) }

// Check returns nil when the project URL's host is allowed.
func (p HostPolicy) Check(projectURL string) error {
	u, err := url.Parse(projectURL)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("%w: %q has no host", ErrHostNotAllowed, projectURL)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		if u.Scheme == "https" {
			port = "443"
		} else {
			port = "80"
		}
	}
	internal := isInternalHost(host)
	for _, pat := range p.patterns {
		switch {
		case pat == "*":
			if !internal {
				return nil
			}
		case strings.HasPrefix(pat, "*."):
			suffix := pat[1:] // ".insforge.app"
			if strings.HasSuffix(host, suffix) && len(host) > len(suffix) && !internal {
				return nil
			}
		default:
			ph, pp, err := net.SplitHostPort(pat)
			if err != nil {
				ph, pp = strings.Trim(pat, "[]"), ""
			}
			if ph == host && (pp == "" || pp == port) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %s is not in this server's allowed project hosts (%s); the operator can add it with --allowed-project-hosts",
		ErrHostNotAllowed, u.Host, strings.Join(p.patterns, ", "))
}

// isInternalHost reports names and addresses that point into the machine
// or its private network.
func isInternalHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || host == "metadata.google.internal" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil {
		return false
	}
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast()
}
