package credentials

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
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
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
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
		ErrHostNotAllowed, RedactKeys(u.Host), strings.Join(p.patterns, ", "))
}

// DialGuard turns the policy into the check the InsForge transport runs
// on every connection it opens (insforge.Options.DialGuard): project
// calls, their redirects, and the URLs the backend hands out (presigned
// storage links, deployment uploads). Check above judges the name a
// client gave, once; DNS can answer that name with any address, and
// differently on the next lookup. The guard sees the address actually
// dialled, after resolution, on every attempt.
//
// A public address always passes: a presigned link on a storage
// provider's host is not a project host, and the name-level Check has
// already applied the patterns to the project URL. An internal address
// (loopback, private, link-local, unspecified, multicast, shared
// address space) passes only when a pattern without a wildcard names
// the host being dialled, or that address, with its port or without
// one; wildcards never reach internal addresses. projectURLs are added
// as exact host:port patterns: the operator's configured project, which
// may be local.
func (p HostPolicy) DialGuard(projectURLs ...string) func(host, port string, ip netip.Addr) error {
	var exact []string
	for _, pat := range p.patterns {
		if !strings.Contains(pat, "*") {
			exact = append(exact, pat)
		}
	}
	for _, raw := range projectURLs {
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" {
			continue
		}
		port := u.Port()
		if port == "" {
			port = map[bool]string{true: "443", false: "80"}[u.Scheme == "https"]
		}
		exact = append(exact, net.JoinHostPort(strings.TrimSuffix(strings.ToLower(u.Hostname()), "."), port))
	}
	return func(host, port string, ip netip.Addr) error {
		ip = ip.Unmap()
		kind := InternalAddr(ip)
		if kind == "" {
			return nil
		}
		host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
		for _, pat := range exact {
			ph, pp, err := net.SplitHostPort(pat)
			if err != nil {
				ph, pp = strings.Trim(pat, "[]"), ""
			}
			if pp != "" && pp != port {
				continue
			}
			if ph == host {
				return nil
			}
			if pa, err := netip.ParseAddr(ph); err == nil && pa.Unmap() == ip {
				return nil
			}
		}
		what := RedactKeys(host)
		if a, err := netip.ParseAddr(host); err != nil || a.Unmap() != ip {
			what += " resolves to " + ip.String() + ","
		}
		return fmt.Errorf("%s is %s; this server connects to loopback, private and link-local addresses only when --allowed-project-hosts names the host exactly (for example %s)",
			what, kind, net.JoinHostPort(RedactKeys(host), port))
	}
}

// InternalAddr says what kind of internal address ip is ("a loopback
// address", …), or "" for an address on the public internet.
func InternalAddr(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "not a valid address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		return "a private address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address (cloud metadata services live there)"
	case ip.IsUnspecified(), ip.Is4() && ip.As4()[0] == 0:
		return "an unspecified address (this host)"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast(), ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "a multicast or broadcast address"
	case sharedSpace.Contains(ip):
		return "a shared (carrier-grade NAT) address, used inside cloud and VPN networks"
	}
	return ""
}

// sharedSpace is 100.64.0.0/10 (RFC 6598): not public, and home to some
// cloud metadata services and VPN overlays.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// isInternalHost reports names and addresses that point into the machine
// or its private network.
func isInternalHost(host string) bool {
	host = strings.TrimSuffix(host, ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || host == "localhost.localdomain" || host == "metadata.google.internal" {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return false
	}
	return InternalAddr(ip) != ""
}
