package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"time"
)

// version is set at build time with -ldflags "-X main.version=…" (the
// Dockerfile's VERSION build argument). Left empty, appVersion reads what
// the go command recorded in the binary.
var version string

// appVersion is the version --version prints and initialize reports:
// the -X value if one was given; else the module version the go command
// stamped (a tag such as v1.2.0, a pseudo-version such as
// v0.0.0-20261202085104-0ff5f12476c7 for an untagged commit, +dirty for
// uncommitted changes; go install module@version gives the release); else
// the commit, when only that was recorded; else "devel".
func appVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", ""
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value[:min(12, len(s.Value))]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	if rev != "" {
		return "devel-" + rev + dirty
	}
	return "devel"
}

// healthcheck is --healthcheck, the image's HEALTHCHECK (a scratch image
// has no curl): it asks /healthz of the server these flags and variables
// configure, on loopback when it listens on every interface, and returns
// the exit code. A server over stdio has no address: when nothing answers
// and the transport is stdio, there is nothing to check, and it reports
// healthy.
func healthcheck(ctx context.Context, cfg config, stderr io.Writer) int {
	host, port, err := net.SplitHostPort(cfg.listen)
	if err != nil {
		fmt.Fprintf(stderr, "insforge-mcp: --healthcheck: listen address %q: %v\n", cfg.listen, err)
		return 1
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	url := "http://" + net.JoinHostPort(host, port) + "/healthz"
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "insforge-mcp: --healthcheck: %v\n", err)
		return 1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if cfg.transport == "stdio" {
			return 0
		}
		fmt.Fprintf(stderr, "insforge-mcp: --healthcheck: %v\n", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "insforge-mcp: --healthcheck: %s answered %s\n", url, resp.Status)
		return 1
	}
	return 0
}
