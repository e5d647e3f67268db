package credentials_test

import (
	"errors"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/credentials"
)

func TestHostPolicy(t *testing.T) {
	p, err := credentials.ParseHostPolicy([]string{"*.insforge.app", "api.example.com", "127.0.0.1:7130"})
	if err != nil {
		t.Fatal(err)
	}
	allowed := []string{
		"https://abc.us-east.insforge.app",
		"https://abc.insforge.app:8443",
		"http://api.example.com",
		"http://127.0.0.1:7130",
	}
	refused := []string{
		"https://insforge.app",              // the wildcard needs a subdomain
		"https://evil-insforge.app",         // not a subdomain
		"https://insforge.app.evil.com",     // suffix trick
		"http://127.0.0.1:7131",             // other port
		"http://localhost:7130",             // not named
		"http://10.0.0.5",                   // private
		"http://169.254.169.254",            // cloud metadata
		"http://[::1]:7130",                 // loopback v6
		"http://192.168.1.1.insforge.app.x", // nonsense
	}
	for _, u := range allowed {
		if err := p.Check(u); err != nil {
			t.Errorf("Check(%s) = %v", u, err)
		}
	}
	for _, u := range refused {
		if err := p.Check(u); !errors.Is(err, credentials.ErrHostNotAllowed) {
			t.Errorf("Check(%s) = %v; want refused", u, err)
		}
	}
	any, _ := credentials.ParseHostPolicy([]string{"*"})
	if any.Check("https://example.org") != nil || any.Check("http://127.0.0.1") == nil || any.Check("http://10.1.2.3") == nil {
		t.Error("* must allow public hosts and never internal ones")
	}
	for _, bad := range []string{"https://x.insforge.app", "a.*.b", "**", "x/y"} {
		if _, err := credentials.ParseHostPolicy([]string{bad}); err == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
}

func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{"https://abc.us-east.insforge.app", "http://localhost:7130/api/", " https://x ", "ftp://x", "http://[::1]:80", "http://a@b", "%", "https://x.insforge.app/?q#f", "https://x.insforge.app/i%6B_0123456789abcdef"} {
		f.Add(s)
	}
	policy, _ := credentials.ParseHostPolicy([]string{"*.insforge.app", "127.0.0.1:7130"})
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := credentials.NormalizeURL(raw)
		if err != nil {
			return
		}
		// A normalised URL is stable and always has a host.
		again, err := credentials.NormalizeURL(u)
		if err != nil || again != u {
			t.Fatalf("NormalizeURL not idempotent: %q -> %q -> %q (%v)", raw, u, again, err)
		}
		_ = policy.Check(u)
	})
}
