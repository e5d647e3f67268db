package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// config is the command line and environment, parsed into typed fields.
//
// It uses the standard flag package: one command, a couple of dozen
// flags, each with an environment variable, is what flag.Value does
// well. cobra and viper would bring subcommands, config files and a dozen
// modules that this binary has no use for.
type config struct {
	transport       string
	listen          string
	baseURL         string
	projectURL      string
	apiKey          string
	credentialsFile string
	toolsets        []string
	tools           []string
	excludeTools    []string
	readOnly        bool
	unrestrictedSQL bool
	confirmDestruct bool
	maxResultBytes  int
	timeout         time.Duration
	allowedOrigins  []string
	projectHosts    []string
	filesRoot       string
	authToken       string
	authTokenFile   string
	maxSessions     int
	maxCalls        int
	maxCallsPerKey  int
	maxRequestBytes int
	idleTimeout     time.Duration
	readTimeout     time.Duration
	maxConnsPerIP   int
	maxBackendCalls int
	maxBuffered     int
	sessionStore    string
	secretFile      string
	logLevel        slog.Level
	version         bool
	healthcheck     bool
}

// errHelp is returned when --help was asked for (exit 0).
var errHelp = errors.New("help requested")

// option declares one flag: its name, its environment variable, its
// default as text (what --help shows), its usage, and the typed field of
// config it sets.
type option struct {
	name, env, def, usage string
	value                 flag.Value
}

// options binds every flag to a field of c, in --help order.
func (c *config) options() []option {
	return []option{
		{"transport", "INSFORGE_TRANSPORT", "stdio", "stdio, sse (GET /sse + POST /message) or http (streamable HTTP at /mcp)", transportValue{&c.transport}},
		{"listen", "INSFORGE_LISTEN", "127.0.0.1:8080", "address the sse and http transports listen on (loopback by default)", stringValue{&c.listen}},
		{"base-url", "INSFORGE_BASE_URL", "", "public base URL of the server, when it sits behind a proxy or a port mapping: the SSE endpoint and the page at / name it (default http://<listen>)", stringValue{&c.baseURL}},
		{"project-url", credentials.EnvProjectURL, "", "InsForge project URL (alias env " + credentials.EnvAliasProjectURL + ")", stringValue{&c.projectURL}},
		{"api-key", credentials.EnvAPIKey, "", "InsForge admin API key, ik_… (alias env " + credentials.EnvAliasAPIKey + "); prefer the env variable: flags show in process lists", stringValue{&c.apiKey}},
		{"credentials-file", "INSFORGE_CREDENTIALS_FILE", "<user config dir>/insforge-mcp/credentials.json", "saved credentials (read at start, written by connect-project remember=true); \"none\" disables", stringValue{&c.credentialsFile}},
		{"toolsets", "INSFORGE_TOOLSETS", "default", "comma-separated: default (the core listed, the rest through find-tools and call-tool), all (every tool listed), or toolsets to list:" + toolsetHelp(), listValue{&c.toolsets}},
		{"tools", "INSFORGE_TOOLS", "", "comma-separated tools to list besides the toolsets", listValue{&c.tools}},
		{"exclude-tools", "INSFORGE_EXCLUDE_TOOLS", "", "comma-separated tools neither listed nor served", listValue{&c.excludeTools}},
		{"read-only", "INSFORGE_READ_ONLY", "false", "serve only tools that do not modify the backend; run-raw-sql then accepts only a single plain read", boolValue{&c.readOnly}},
		{"confirm-destructive", "INSFORGE_CONFIRM_DESTRUCTIVE", "false", "ask the user before any tool that deletes or overwrites (through the client when it supports elicitation, and then only the user's answer counts; else the agent must pass confirm: true)", boolValue{&c.confirmDestruct}},
		{"allow-unrestricted-sql", "INSFORGE_ALLOW_UNRESTRICTED_SQL", "false", "add run-unrestricted-sql, which runs SQL as the database owner", boolValue{&c.unrestrictedSQL}},
		{"max-result-bytes", "INSFORGE_MAX_RESULT_BYTES", "100000", "cap on the text of one tool result; longer results are cut with a note", intValue{&c.maxResultBytes, 1000}},
		{"timeout", "INSFORGE_TIMEOUT", "30s", "time limit of one backend call, retries included", durationValue{&c.timeout}},
		{"allowed-origins", "INSFORGE_ALLOWED_ORIGINS", "", "comma-separated browser origins accepted by the HTTP transports besides loopback (\"*\" for any)", listValue{&c.allowedOrigins}},
		{"allowed-project-hosts", "INSFORGE_ALLOWED_PROJECT_HOSTS", credentials.DefaultProjectHosts, "HTTP transports: comma-separated host patterns clients may connect to (the configured project is always allowed); loopback and private addresses only when named exactly", listValue{&c.projectHosts}},
		{"files-root", "INSFORGE_FILES_ROOT", "", "HTTP transports: the directory under which remote clients may read and write through tools that take local paths (uploads, downloads, code files, deployments), each project key in its own subdirectory that no other key reaches; none by default", stringValue{&c.filesRoot}},
		{"auth-token", "INSFORGE_AUTH_TOKEN", "", "HTTP transports: token every request must send as Authorization: Bearer <token> (prefer the variable or --auth-token-file)", tokenValue{&c.authToken}},
		{"auth-token-file", "INSFORGE_AUTH_TOKEN_FILE", "", "file holding the auth token", stringValue{&c.authTokenFile}},
		{"max-sessions", "INSFORGE_MAX_SESSIONS", "1000", "HTTP transports: concurrent sessions at most", intValue{&c.maxSessions, 1}},
		{"max-calls-per-key", "INSFORGE_MAX_CALLS_PER_KEY", "0", "tool calls one project API key may make in a minute, across its sessions (and every replica with --session-store); 0 for no cap", intValue{&c.maxCallsPerKey, 0}},
		{"max-calls-per-session", "INSFORGE_MAX_CALLS_PER_SESSION", "8", "concurrent tool calls of one session at most; further calls wait for a slot (up to 64 of them, each for at most twice --timeout)", intValue{&c.maxCalls, 1}},
		{"max-request-bytes", "INSFORGE_MAX_REQUEST_BYTES", "4194304", "HTTP transports: largest request body accepted", intValue{&c.maxRequestBytes, 1}},
		{"read-timeout", "INSFORGE_READ_TIMEOUT", "30s", "HTTP transports: time a client has to send a request's body once its headers arrived (headers get 10s); slower requests are answered 408 and cut", durationValue{&c.readTimeout}},
		{"idle-timeout", "INSFORGE_IDLE_TIMEOUT", "60s", "HTTP transports: a keep-alive connection idle this long between requests is closed", durationValue{&c.idleTimeout}},
		{"max-conns-per-ip", "INSFORGE_MAX_CONNS_PER_IP", "100", "HTTP transports: open connections from one client address (IPv4 address or IPv6 /64) at most; 0 for no cap (behind a reverse proxy every client shares its address)", intValue{&c.maxConnsPerIP, 0}},
		{"max-backend-requests", "INSFORGE_MAX_BACKEND_REQUESTS", "64", "backend requests in flight at once, every session together; more wait for one to finish", intValue{&c.maxBackendCalls, 1}},
		{"max-buffered-bytes", "INSFORGE_MAX_BUFFERED_BYTES", "67108864", "backend answer bytes held in memory at once, every session together (a tool call reads about twice --max-result-bytes of an answer); more wait for room", intValue{&c.maxBuffered, 1 << 20}},
		{"session-store", "INSFORGE_SESSION_STORE", "", "HTTP transports: redis://host:port/db (rediss:// for TLS) where sessions live, shared by every replica behind a load balancer; needs a session secret", stringValue{&c.sessionStore}},
		{"session-secret-file", "INSFORGE_SESSION_SECRET_FILE", "", "file of session secrets, one a line, at least 32 bytes each: the first encrypts the keys kept in the session store, the others only decrypt (rotation); or set INSFORGE_SESSION_SECRET", stringValue{&c.secretFile}},
		{"log-level", "INSFORGE_LOG_LEVEL", "info", "debug, info, warn or error (logs go to stderr)", levelValue{&c.logLevel}},
	}
}

// toolsetHelp lists the toolsets for --help, one per line.
func toolsetHelp() string {
	var b strings.Builder
	for _, s := range catalogue.Toolsets() {
		fmt.Fprintf(&b, "\n        %-12s %s", s.ID, s.Description)
	}
	return b.String()
}

// parseConfig reads flags over environment variables over defaults. The
// credentials' variables (and their aliases) are left to
// credentials.Resolve, which also reports where each part came from.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("insforge-mcp", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var badValue error // the flag package's own wording names the flag with one dash
	for _, o := range c.options() {
		if o.def != "" && !strings.HasPrefix(o.def, "<") {
			if err := o.value.Set(o.def); err != nil {
				panic(fmt.Sprintf("default of --%s: %v", o.name, err)) // a programming error
			}
		}
		if v := getenv(o.env); v != "" && o.name != "project-url" && o.name != "api-key" {
			if err := o.value.Set(v); err != nil {
				return c, fmt.Errorf("%s (--%s) %w", o.env, o.name, err)
			}
		}
		fs.Var(namedValue{o, &badValue}, o.name, o.usage)
	}
	fs.BoolVar(&c.version, "version", false, "print the version and exit")
	fs.BoolVar(&c.healthcheck, "healthcheck", false, "check /healthz of the server these settings configure and exit 0 if it answers")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(stderr, c.options())
			return config{}, errHelp
		}
		if badValue != nil {
			err = badValue
		}
		return config{}, fmt.Errorf("%w (see --help)", err)
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	return c, c.resolveFiles()
}

// resolveFiles checks --files-root and reads --auth-token-file.
func (c *config) resolveFiles() error {
	if c.filesRoot != "" {
		abs, err := filepath.Abs(c.filesRoot)
		if st, statErr := os.Stat(abs); err != nil || statErr != nil || !st.IsDir() {
			return fmt.Errorf("--files-root %q must be an existing directory", c.filesRoot)
		}
		c.filesRoot = abs
	}
	if c.authTokenFile != "" {
		data, err := os.ReadFile(c.authTokenFile)
		if err != nil {
			return fmt.Errorf("--auth-token-file: %w", err)
		}
		c.authToken = strings.TrimSpace(string(data))
		if c.authToken == "" {
			return fmt.Errorf("--auth-token-file %s is empty", c.authTokenFile)
		}
	}
	return nil
}

// namedValue reports a refused value as "--name must be …".
type namedValue struct {
	option
	bad *error
}

func (v namedValue) String() string { return v.value.String() }

func (v namedValue) Set(s string) error {
	err := v.value.Set(s)
	if err != nil && *v.bad == nil {
		*v.bad = fmt.Errorf("--%s %w", v.name, err)
	}
	return err
}

func (v namedValue) IsBoolFlag() bool {
	b, ok := v.value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// Typed flag values. Each Set checks its input and says what is expected;
// flag and environment values go through the same Set.

type stringValue struct{ p *string }

func (v stringValue) String() string     { return deref(v.p) }
func (v stringValue) Set(s string) error { *v.p = s; return nil }

type tokenValue struct{ p *string }

func (v tokenValue) String() string     { return "" } // never shown
func (v tokenValue) Set(s string) error { *v.p = strings.TrimSpace(s); return nil }

type listValue struct{ p *[]string }

func (v listValue) String() string {
	if v.p == nil {
		return ""
	}
	return strings.Join(*v.p, ",")
}

func (v listValue) Set(s string) error {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	*v.p = out
	return nil
}

// boolValue is a switch: --read-only alone means true.
type boolValue struct{ p *bool }

func (v boolValue) String() string {
	if v.p == nil {
		return "false"
	}
	return strconv.FormatBool(*v.p)
}

func (v boolValue) Set(s string) error {
	if s == "" {
		*v.p = false
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("must be true or false, not %q", s)
	}
	*v.p = b
	return nil
}

func (v boolValue) IsBoolFlag() bool { return true }

type intValue struct {
	p   *int
	min int
}

func (v intValue) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.Itoa(*v.p)
}

func (v intValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < v.min {
		if v.min == 0 {
			return fmt.Errorf("must be a number, 0 or more, not %q", s)
		}
		if v.min <= 1 {
			return fmt.Errorf("must be a positive number, not %q", s)
		}
		return fmt.Errorf("must be a number of at least %d, not %q", v.min, s)
	}
	*v.p = n
	return nil
}

type durationValue struct{ p *time.Duration }

func (v durationValue) String() string {
	if v.p == nil {
		return "0s"
	}
	return v.p.String()
}

func (v durationValue) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 {
		return fmt.Errorf("must be a positive duration such as 30s, not %q", s)
	}
	*v.p = d
	return nil
}

type levelValue struct{ p *slog.Level }

func (v levelValue) String() string {
	if v.p == nil {
		return "INFO"
	}
	return v.p.String()
}

func (v levelValue) Set(s string) error {
	if err := v.p.UnmarshalText([]byte(s)); err != nil {
		return fmt.Errorf("must be debug, info, warn or error, not %q", s)
	}
	return nil
}

// transportValue accepts the transport names, case-insensitively, and the
// spec's longer name for http.
type transportValue struct{ p *string }

func (v transportValue) String() string { return deref(v.p) }

func (v transportValue) Set(s string) error {
	switch t := strings.ToLower(strings.TrimSpace(s)); t {
	case "stdio", "sse", "http":
		*v.p = t
	case "streamable-http", "streamable":
		*v.p = "http"
	default:
		return fmt.Errorf("must be stdio, sse or http, not %q", s)
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func printHelp(w io.Writer, opts []option) {
	fmt.Fprint(w, `insforge-mcp: an MCP server for operating an InsForge backend.

Usage:
  insforge-mcp [flags]                                   stdio (for Claude Desktop, Claude Code, Cursor, VS Code)
  insforge-mcp --transport http --listen 127.0.0.1:8080  streamable HTTP at /mcp
  insforge-mcp --transport sse --listen 127.0.0.1:8080   SSE at /sse and /message

Without a project URL and API key the server still starts: agents call the
connect-project tool to unlock the InsForge tools. Over HTTP, clients may also
send credentials on each request: Authorization: Bearer <ik_ key> (or
X-InsForge-API-Key) and X-InsForge-Project-URL.

Flags (each can also be set with its environment variable):
`)
	for _, o := range opts {
		def := ""
		if o.def != "" {
			def = " (default " + o.def + ")"
		}
		fmt.Fprintf(w, "  --%-24s %s\n      %s%s\n", o.name, o.env, o.usage, def)
	}
	fmt.Fprintf(w, "  --%-24s\n      %s\n  --%-24s\n      %s\n  --%-24s\n      %s\n", "version", "print the version and exit",
		"healthcheck", "ask /healthz of the server these flags and variables configure (on loopback); exit 0 if it answers ok, or when the transport is stdio and nothing listens (the image's HEALTHCHECK)",
		"help", "show this help")
}
