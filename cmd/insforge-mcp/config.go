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
)

// config is the command line and environment, parsed.
type config struct {
	transport       string
	listen          string
	baseURL         string
	projectURL      string
	apiKey          string
	credentialsFile string
	toolsets        []string
	readOnly        bool
	unrestrictedSQL bool
	confirmDestruct bool
	maxResultBytes  int
	timeout         time.Duration
	allowedOrigins  []string
	projectHosts    []string
	filesRoot       string
	authToken       string
	maxSessions     int
	maxCalls        int
	maxRequestBytes int
	logLevel        slog.Level
	version         bool
}

// errHelp is returned when --help was asked for (exit 0).
var errHelp = errors.New("help requested")

// envFlag documents one flag and its environment variable.
type envFlag struct {
	name, env, def, usage string
}

var flagDocs = []envFlag{
	{"transport", "INSFORGE_TRANSPORT", "stdio", "stdio, sse (GET /sse + POST /message) or http (streamable HTTP at /mcp)"},
	{"listen", "INSFORGE_LISTEN", "127.0.0.1:8080", "address the sse and http transports listen on (loopback by default)"},
	{"base-url", "INSFORGE_BASE_URL", "", "public base URL of the SSE server, when it sits behind a proxy (default http://<listen>)"},
	{"project-url", credentials.EnvProjectURL, "", "InsForge project URL (alias env " + credentials.EnvAliasProjectURL + ")"},
	{"api-key", credentials.EnvAPIKey, "", "InsForge admin API key, ik_… (alias env " + credentials.EnvAliasAPIKey + "); prefer the env variable: flags show in process lists"},
	{"credentials-file", "INSFORGE_CREDENTIALS_FILE", "<user config dir>/insforge-mcp/credentials.json", "saved credentials (read at start, written by connect-project remember=true); \"none\" disables"},
	{"toolsets", "INSFORGE_TOOLSETS", "all", "comma-separated toolsets to serve"},
	{"read-only", "INSFORGE_READ_ONLY", "false", "serve only tools that do not modify the backend; run-raw-sql then accepts only a single plain read"},
	{"confirm-destructive", "INSFORGE_CONFIRM_DESTRUCTIVE", "false", "ask the user before any tool that deletes or overwrites (through the client when it supports elicitation, else the agent must pass confirm: true)"},
	{"allow-unrestricted-sql", "INSFORGE_ALLOW_UNRESTRICTED_SQL", "false", "add run-unrestricted-sql, which runs SQL as the database owner"},
	{"max-result-bytes", "INSFORGE_MAX_RESULT_BYTES", "100000", "cap on the text of one tool result; longer results are cut with a note"},
	{"timeout", "INSFORGE_TIMEOUT", "30s", "time limit of one backend call, retries included"},
	{"allowed-origins", "INSFORGE_ALLOWED_ORIGINS", "", "comma-separated browser origins accepted by the HTTP transports besides loopback (\"*\" for any)"},
	{"allowed-project-hosts", "INSFORGE_ALLOWED_PROJECT_HOSTS", credentials.DefaultProjectHosts, "HTTP transports: comma-separated host patterns clients may connect to (the configured project is always allowed); loopback and private addresses only when named exactly"},
	{"files-root", "INSFORGE_FILES_ROOT", "", "HTTP transports: the one directory remote clients may read and write through tools that take local paths (uploads, downloads, code files, deployments); none by default"},
	{"auth-token", "INSFORGE_AUTH_TOKEN", "", "HTTP transports: token every request must send as Authorization: Bearer <token> (prefer the variable or --auth-token-file)"},
	{"auth-token-file", "INSFORGE_AUTH_TOKEN_FILE", "", "file holding the auth token"},
	{"max-sessions", "INSFORGE_MAX_SESSIONS", "1000", "HTTP transports: concurrent sessions at most"},
	{"max-calls-per-session", "INSFORGE_MAX_CALLS_PER_SESSION", "8", "concurrent tool calls of one session at most"},
	{"max-request-bytes", "INSFORGE_MAX_REQUEST_BYTES", "4194304", "HTTP transports: largest request body accepted"},
	{"log-level", "INSFORGE_LOG_LEVEL", "info", "debug, info, warn or error (logs go to stderr)"},
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("insforge-mcp", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	vals := map[string]*string{}
	for _, f := range flagDocs {
		def := f.def
		if strings.HasPrefix(def, "<") {
			def = ""
		}
		// The credentials' variables (and their aliases) are read by
		// credentials.Resolve, which also reports where each part came from.
		if v := getenv(f.env); v != "" && f.name != "project-url" && f.name != "api-key" {
			def = v
		}
		v := new(string)
		*v = def
		if f.def == "false" {
			// A switch: --read-only alone means true, as users expect.
			fs.Var(switchFlag{v}, f.name, f.usage)
		} else {
			fs.StringVar(v, f.name, def, f.usage)
		}
		vals[f.name] = v
	}
	version := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(stderr)
			return config{}, errHelp
		}
		return config{}, fmt.Errorf("%w (see --help)", err)
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	c := config{
		transport:       strings.ToLower(*vals["transport"]),
		listen:          *vals["listen"],
		baseURL:         *vals["base-url"],
		projectURL:      *vals["project-url"],
		apiKey:          *vals["api-key"],
		credentialsFile: *vals["credentials-file"],
		toolsets:        splitList(*vals["toolsets"]),
		allowedOrigins:  splitList(*vals["allowed-origins"]),
		projectHosts:    splitList(*vals["allowed-project-hosts"]),
		authToken:       strings.TrimSpace(*vals["auth-token"]),
		filesRoot:       *vals["files-root"],
		version:         *version,
	}
	if c.filesRoot != "" {
		abs, err := filepath.Abs(c.filesRoot)
		if st, statErr := os.Stat(abs); err != nil || statErr != nil || !st.IsDir() {
			return c, fmt.Errorf("--files-root %q must be an existing directory", c.filesRoot)
		}
		c.filesRoot = abs
	}
	if f := *vals["auth-token-file"]; f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return c, fmt.Errorf("--auth-token-file: %w", err)
		}
		c.authToken = strings.TrimSpace(string(data))
		if c.authToken == "" {
			return c, fmt.Errorf("--auth-token-file %s is empty", f)
		}
	}
	for name, dst := range map[string]*int{"max-sessions": &c.maxSessions, "max-calls-per-session": &c.maxCalls, "max-request-bytes": &c.maxRequestBytes} {
		n, err := strconv.Atoi(*vals[name])
		if err != nil || n < 1 {
			return c, fmt.Errorf("--%s must be a positive number, not %q", name, *vals[name])
		}
		*dst = n
	}
	var err error
	if c.readOnly, err = parseBool("read-only", *vals["read-only"]); err != nil {
		return c, err
	}
	if c.unrestrictedSQL, err = parseBool("allow-unrestricted-sql", *vals["allow-unrestricted-sql"]); err != nil {
		return c, err
	}
	if c.confirmDestruct, err = parseBool("confirm-destructive", *vals["confirm-destructive"]); err != nil {
		return c, err
	}
	if c.maxResultBytes, err = strconv.Atoi(*vals["max-result-bytes"]); err != nil || c.maxResultBytes < 1000 {
		return c, fmt.Errorf("--max-result-bytes must be a number of at least 1000, not %q", *vals["max-result-bytes"])
	}
	if c.timeout, err = time.ParseDuration(*vals["timeout"]); err != nil || c.timeout <= 0 {
		return c, fmt.Errorf("--timeout must be a positive duration such as 30s, not %q", *vals["timeout"])
	}
	if err := c.logLevel.UnmarshalText([]byte(*vals["log-level"])); err != nil {
		return c, fmt.Errorf("--log-level must be debug, info, warn or error, not %q", *vals["log-level"])
	}
	switch c.transport {
	case "stdio", "sse", "http":
	case "streamable-http", "streamable":
		c.transport = "http"
	default:
		return c, fmt.Errorf("--transport must be stdio, sse or http, not %q", c.transport)
	}
	return c, nil
}

// switchFlag is a boolean flag kept as text, so that its value can come
// from the environment and be checked with the others by parseBool.
type switchFlag struct{ v *string }

func (f switchFlag) String() string {
	if f.v == nil {
		return ""
	}
	return *f.v
}

func (f switchFlag) Set(s string) error { *f.v = s; return nil }

func (f switchFlag) IsBoolFlag() bool { return true }

func parseBool(name, v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("--%s must be true or false, not %q", name, v)
	}
	return b, nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func printHelp(w io.Writer) {
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
	for _, f := range flagDocs {
		def := ""
		if f.def != "" {
			def = " (default " + f.def + ")"
		}
		fmt.Fprintf(w, "  --%-24s %s\n      %s%s\n", f.name, f.env, f.usage, def)
	}
	fmt.Fprintf(w, "  --%-24s\n      %s\n  --%-24s\n      %s\n", "version", "print the version and exit", "help", "show this help")
}
