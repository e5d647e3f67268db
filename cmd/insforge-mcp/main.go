// Command insforge-mcp is an MCP server that lets AI agents operate an
// InsForge backend over stdio, SSE or streamable HTTP.
//
// It wires config → credentials → InsForge client → tool registry → MCP
// server → transport; each stage lives in its own package.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/mcpserver"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// drainGrace is how long a SIGTERM drain lasts beyond --timeout, for a
// call that needed all of --timeout to answer. Only the tests' server
// changes it (see TestMain): the shutdown test waits out a whole drain.
var drainGrace = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: testable, and it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "insforge-mcp:", err)
		return 2
	}
	if cfg.version {
		fmt.Fprintln(stdout, "insforge-mcp", appVersion())
		return 0
	}
	if cfg.healthcheck {
		return healthcheck(ctx, cfg, stderr)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	store, err := openStore(ctx, cfg, getenv, log)
	if err != nil {
		fmt.Fprintln(stderr, "insforge-mcp:", err)
		return 2
	}
	var shared mcpserver.SessionStore // nil unless a store is configured: no typed nil
	if store != nil {
		defer store.Close()
		shared = store
	}
	if err := serve(ctx, cfg, shared, getenv, log, stdin, stdout); err != nil {
		log.Error("insforge-mcp stopped", "error", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, cfg config, store mcpserver.SessionStore, getenv func(string) string, log *slog.Logger, stdin io.Reader, stdout io.Writer) error {
	ver := appVersion()
	// Credentials: flags, env, the official server's env names, saved file.
	file := cfg.credentialsFile
	switch file {
	case "none":
		file = ""
	case "":
		if f, err := credentials.DefaultFile(); err == nil {
			file = f
		}
	}
	found, err := credentials.Resolve(credentials.Inputs{FlagURL: cfg.projectURL, FlagKey: cfg.apiKey, Getenv: getenv, File: file})
	// A project URL that does not parse: start anyway, locked, and say why
	// in every locked answer (an MCP client shows an exit at start only as
	// "server disconnected").
	refused := ""
	switch {
	case errors.Is(err, credentials.ErrBadURL):
		refused = "the project URL from " + found.URLFrom + " was refused: " + strings.TrimPrefix(errors.Unwrap(err).Error(), credentials.ErrBadURL.Error()+": ")
		found.ProjectURL, found.URLFrom = "", ""
		log.Warn("the configured project URL is unusable; starting locked", "error", err)
	case err != nil:
		return err
	case found.APIKey != "" && !found.Complete():
		log.Warn("an API key is configured but no project URL; the key is unused until a project URL is set", "keyFrom", found.KeyFrom)
	}

	// Hosting controls for the HTTP transports. The host policy acts
	// twice: on the project URL a client names (mcpserver checks it), and
	// on every address the transport dials (project calls, redirects,
	// presigned and deployment URLs from the backend), so that neither DNS
	// nor a hostile backend can steer requests into the operator's
	// network. Over stdio the server acts for the local user on their own
	// machine (a project on http://localhost:7130 is the usual local
	// setup), so neither applies.
	var hosts *credentials.HostPolicy
	var dialGuard func(host, port string, ip netip.Addr) error
	if cfg.transport != "stdio" {
		policy, err := credentials.ParseHostPolicy(cfg.projectHosts)
		if err != nil {
			return err
		}
		hosts = &policy
		// The configured project is always allowed, as by name.
		dialGuard = policy.DialGuard(found.ProjectURL)
	}

	// InsForge client machinery, shared by every session.
	transport := insforge.NewTransport(insforge.Options{
		Timeout:               cfg.timeout,
		UserAgent:             "insforge-mcp/" + ver,
		Logger:                log,
		DialGuard:             dialGuard,
		MaxConcurrentRequests: cfg.maxBackendCalls,
		MaxBufferedBytes:      int64(cfg.maxBuffered),
	})

	// Tool registry.
	var features []tools.Feature
	if cfg.unrestrictedSQL {
		features = append(features, tools.UnrestrictedSQL)
	}
	selected, err := catalogue.Select(tools.Selection{
		Toolsets: cfg.toolsets, Tools: cfg.tools, ExcludeTools: cfg.excludeTools,
		ReadOnly: cfg.readOnly, Features: features,
	})
	if err != nil {
		return err
	}

	// MCP server with the gate.
	srv := mcpserver.New(mcpserver.Config{
		Version:            ver,
		Surface:            selected,
		ToolConfig:         tools.Config{ReadOnly: cfg.readOnly, MaxResultBytes: cfg.maxResultBytes, Remote: cfg.transport != "stdio", FilesRoot: cfg.filesRoot},
		Transport:          transport,
		Configured:         found.Credentials,
		ConfiguredKeyFrom:  found.KeyFrom,
		ConfigRefused:      refused,
		CredentialsFile:    file,
		AllowRemember:      cfg.transport == "stdio" && file != "",
		InteractiveConnect: cfg.transport == "stdio",
		ProjectHosts:       hosts,
		MaxCallsPerSession: cfg.maxCalls,
		MaxCallsPerKey:     cfg.maxCallsPerKey,
		QueueWait:          2 * cfg.timeout, // a queued call waits at most two backend calls' time
		ConfirmDestructive: cfg.confirmDestruct,
		Store:              store,
		Logger:             log,
	})
	log.Info("insforge-mcp starting", "version", ver, "transport", cfg.transport, "listed", len(selected.Listed), "served", len(selected.Served),
		"readOnly", cfg.readOnly, "projectConfigured", found.Complete(), "projectUrl", found.ProjectURL)

	// Check the configured pair in the background: the protocol must
	// answer initialize at once even when the backend is down.
	srv.CheckConfigured(ctx, cfg.timeout)

	// Transport.
	switch cfg.transport {
	case "stdio":
		return srv.ServeStdio(ctx, stdin, stdout)
	default:
		ln, err := net.Listen("tcp", cfg.listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.listen, err)
		}
		opts := mcpserver.HTTPOptions{
			AllowedOrigins:  cfg.allowedOrigins,
			Loopback:        mcpserver.IsLoopbackAddr(ln.Addr().String()),
			AuthToken:       cfg.authToken,
			BaseURL:         cfg.baseURL,
			MaxSessions:     cfg.maxSessions,
			MaxRequestBytes: int64(cfg.maxRequestBytes),
			ReadTimeout:     cfg.readTimeout,
		}
		// On SIGTERM, a call may still need its whole --timeout: the drain
		// gives it that and a little more to answer.
		serveOpts := mcpserver.ServeOptions{
			Drain:         cfg.timeout + drainGrace,
			IdleTimeout:   cfg.idleTimeout,
			MaxConnsPerIP: cfg.maxConnsPerIP,
		}
		if !opts.Loopback && found.Complete() && cfg.authToken == "" {
			ln.Close()
			return fmt.Errorf("refusing to listen on %s: the server holds a configured API key, so without --auth-token anyone who can reach it could use that key; set --auth-token (or INSFORGE_AUTH_TOKEN), or listen on 127.0.0.1", cfg.listen)
		}
		if !opts.Loopback && cfg.authToken == "" {
			log.Warn("listening on a non-loopback address without --auth-token: clients must bring their own project credentials", "listen", ln.Addr().String())
		}
		if cfg.transport == "sse" {
			base := cfg.baseURL
			if base == "" {
				base = "http://" + ln.Addr().String()
			}
			handler, sse := srv.SSEHandler(opts, base)
			log.Info("serving SSE", "sse", base+"/sse", "message", base+"/message")
			serveOpts.EndSessions = append(serveOpts.EndSessions, sse.Shutdown)
			return srv.Serve(ctx, ln, handler, serveOpts)
		}
		log.Info("serving streamable HTTP", "url", "http://"+ln.Addr().String()+"/mcp")
		return srv.Serve(ctx, ln, srv.StreamableHandler(opts), serveOpts)
	}
}
