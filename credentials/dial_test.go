package credentials_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/credentials"
)

// The name-level check must not be fooled by spellings of localhost that
// resolve to loopback all the same.
func TestCheckRefusesLocalhostSpellings(t *testing.T) {
	any, _ := credentials.ParseHostPolicy([]string{"*"})
	for _, u := range []string{"http://localhost.:7130", "http://LOCALHOST.", "http://localhost.localdomain", "http://x.localhost.", "http://100.100.100.200"} {
		if err := any.Check(u); !errors.Is(err, credentials.ErrHostNotAllowed) {
			t.Errorf("* Check(%s) = %v; want refused", u, err)
		}
	}
}

// DialGuard judges the address actually dialled: public addresses pass
// (presigned links live on storage providers' hosts), internal ones only
// when the host or the address is named exactly.
func TestDialGuard(t *testing.T) {
	p, err := credentials.ParseHostPolicy([]string{"*", "*.insforge.app", "db.lan", "127.0.0.1:7130", "[::1]:9000"})
	if err != nil {
		t.Fatal(err)
	}
	guard := p.DialGuard("http://localhost:7131", "")
	ip := netip.MustParseAddr
	cases := []struct {
		host, port string
		ip         netip.Addr
		ok         bool
	}{
		{"evil.example.com", "443", ip("93.184.216.34"), true},           // public
		{"s3.amazonaws.com", "443", ip("2600:1f18::1"), true},            // public v6
		{"evil.example.com", "80", ip("127.0.0.1"), false},               // rebinding to loopback
		{"x.insforge.app", "443", ip("10.0.0.8"), false},                 // wildcard never reaches private
		{"x.insforge.app", "443", ip("169.254.169.254"), false},          // metadata
		{"x.insforge.app", "443", ip("::ffff:127.0.0.1"), false},         // v4-mapped loopback
		{"x.insforge.app", "443", ip("fd00:ec2::254"), false},            // ULA (AWS IMDS v6)
		{"x.insforge.app", "443", ip("100.100.100.200"), false},          // shared space (a metadata service)
		{"x.insforge.app", "443", ip("0.0.0.0"), false},                  // unspecified
		{"x.insforge.app", "443", ip("224.0.0.1"), false},                // multicast
		{"db.lan", "5432", ip("192.168.1.20"), true},                     // named exactly, any port
		{"DB.LAN.", "5432", ip("192.168.1.20"), true},                    // same name, other spelling
		{"127.0.0.1", "7130", ip("127.0.0.1"), true},                     // named with its port
		{"127.0.0.1", "22", ip("127.0.0.1"), false},                      // another port
		{"alias.example.com", "7130", ip("127.0.0.1"), true},             // the address is named, with its port
		{"alias.example.com", "7131", ip("127.0.0.1"), false},            // not that port
		{"localhost", "9000", ip("::1"), true},                           // [::1]:9000 names the address
		{"localhost", "7131", ip("127.0.0.1"), true},                     // the configured project
		{"localhost", "7132", ip("127.0.0.1"), false},                    // not the configured port
		{"metadata.google.internal", "80", ip("169.254.169.254"), false}, // by name too
	}
	for _, c := range cases {
		err := guard(c.host, c.port, c.ip)
		if (err == nil) != c.ok {
			t.Errorf("guard(%s, %s, %s) = %v; want ok=%v", c.host, c.port, c.ip, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--allowed-project-hosts") {
			t.Errorf("guard(%s, %s, %s): %v does not say how to allow it", c.host, c.port, c.ip, err)
		}
	}
}

func TestRedactKeys(t *testing.T) {
	key := "ik_" + strings.Repeat("ab12", 8)
	for _, in := range []string{
		"could not reach https://x.insforge.app/" + key + " (timeout)",
		"https://x.insforge.app/IK_" + strings.Repeat("CD34", 8),
		"https://x.insforge.app/ik%5F" + strings.Repeat("ef56", 8),
		"opaque " + "secret-key-1234",
	} {
		out := credentials.RedactKeys(in, "secret-key-1234")
		if strings.Contains(strings.ToLower(out), "ab12ab12") || strings.Contains(strings.ToLower(out), "cd34cd34") || strings.Contains(out, "ef56ef56") || strings.Contains(out, "secret-key-1234") {
			t.Errorf("RedactKeys(%q) = %q", in, out)
		}
	}
	for _, keep := range []string{"the admin API key (ik_…)", "ik_short", "Bearer <ik_ key>"} {
		if out := credentials.RedactKeys(keep); out != keep {
			t.Errorf("RedactKeys(%q) = %q; want unchanged", keep, out)
		}
	}
	if _, err := credentials.NormalizeURL("https://x.insforge.app/" + key); err == nil || strings.Contains(err.Error(), "ab12ab12") {
		t.Errorf("NormalizeURL with a key in the path: %v", err)
	}
}
