package mcpserver

import (
	"encoding/json"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// withPages answers, in front of a transport, what is not MCP: a short
// page for browsers at / (and on a GET of the MCP endpoint that accepts
// HTML but not an event stream, which would otherwise hang), and /healthz
// for load balancers. Neither needs the auth token or credentials, and
// neither shows a secret. endpoint is the MCP path (/mcp or /sse).
func (s *Server) withPages(o HTTPOptions, endpoint string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		get := r.Method == http.MethodGet || r.Method == http.MethodHead
		switch {
		case r.URL.Path == "/healthz" && get:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write([]byte("ok\n"))
		case get && (r.URL.Path == "/" || r.URL.Path == endpoint && wantsHTML(r)):
			s.servePage(w, r, o, endpoint)
		case r.URL.Path == "/":
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "this is an MCP server: its endpoint is "+endpoint, http.StatusMethodNotAllowed)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// wantsHTML reports a browser's request: HTML accepted, an event stream not.
func wantsHTML(r *http.Request) bool {
	accept := strings.ToLower(strings.Join(r.Header.Values("Accept"), ","))
	return strings.Contains(accept, "text/html") && !strings.Contains(accept, "text/event-stream")
}

// pageData fills the page. Every value comes from the configuration or the
// address the connection arrived on, never from the request's headers
// (Host is the client's to choose), and the template escapes it.
type pageData struct {
	Version, Kind, URL   string
	Token, AllInterfaces bool
	ClaudeCode           string
	MCPRemote, VSCode    string
	Cursor               string
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request, o HTTPOptions, endpoint string) {
	base, all := publicBase(o.BaseURL, r)
	d := pageData{Version: s.cfg.Version, Kind: "streamable HTTP", URL: base + endpoint, Token: o.AuthToken != "", AllInterfaces: all}
	transport := "http"
	if endpoint == "/sse" {
		d.Kind, transport = "SSE", "sse"
	}
	d.ClaudeCode = "claude mcp add --transport " + transport + " insforge " + d.URL
	remote := []string{"-y", "mcp-remote", d.URL}
	if u, err := url.Parse(d.URL); err == nil && u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		remote = append(remote, "--allow-http") // mcp-remote takes plain HTTP only to loopback otherwise
	}
	vscode := map[string]any{"type": transport, "url": d.URL}
	cursor := map[string]any{"url": d.URL}
	desktop := map[string]any{"command": "npx", "args": remote}
	vscodeFile := map[string]any{"servers": map[string]any{"insforge": vscode}}
	if d.Token {
		d.ClaudeCode += ` --header "Authorization: Bearer <token>"`
		desktop["args"] = append(remote, "--header", "Authorization:${AUTH_HEADER}")
		desktop["env"] = map[string]string{"AUTH_HEADER": "Bearer <token>"}
		vscode["headers"] = map[string]string{"Authorization": "Bearer ${input:insforge-mcp-token}"}
		vscodeFile["inputs"] = []map[string]any{{"id": "insforge-mcp-token", "type": "promptString", "description": "insforge-mcp auth token", "password": true}}
		cursor["headers"] = map[string]string{"Authorization": "Bearer <token>"}
	}
	d.MCPRemote = indentJSON(map[string]any{"mcpServers": map[string]any{"insforge": desktop}})
	d.VSCode = indentJSON(vscodeFile)
	d.Cursor = indentJSON(map[string]any{"mcpServers": map[string]any{"insforge": cursor}})
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if err := pageTemplate().Execute(w, d); err != nil {
		s.log.Debug("page not written", "error", err)
	}
}

// publicBase is the URL clients reach the server at: --base-url, or else
// the address this connection arrived on (all reports a server listening
// on every interface, which only --base-url can name for others).
func publicBase(configured string, r *http.Request) (base string, all bool) {
	if configured != "" {
		return strings.TrimRight(configured, "/"), false
	}
	addr, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if addr == nil {
		return "http://localhost", false
	}
	host := addr.String()
	if ta, ok := addr.(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
		all = true
	}
	return "http://" + host, all
}

func indentJSON(v any) string {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(data)
}

// pageTemplate is parsed on the first page served, not at every start.
var pageTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>insforge-mcp</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}pre{background:#f3f3f3;padding:.6rem;overflow-x:auto}</style>
</head><body>
<h1>insforge-mcp</h1>
<p>An MCP server that lets AI agents run an <a href="https://insforge.dev">InsForge</a> backend. It is not a web app: add it to an MCP client.</p>
<p>MCP endpoint ({{.Kind}}): <code>{{.URL}}</code><br>Version: <code>{{.Version}}</code></p>
{{if .AllInterfaces}}<p>This is the address the server saw; behind a proxy or a port mapping, start it with <code>--base-url</code> set to the address clients use.</p>
{{end}}{{if .Token}}<p>Every request needs <code>Authorization: Bearer &lt;token&gt;</code>, the server's auth token; send the InsForge key as <code>X-InsForge-API-Key</code>.</p>
{{end}}<p>Once it is added, the agent calls <code>connect-project</code> with the project URL and admin API key, or the client sends them on every request as the headers <code>X-InsForge-Project-URL</code> and <code>X-InsForge-API-Key</code>.</p>
<h2>Claude Code</h2>
<pre>{{.ClaudeCode}}</pre>
<h2>Claude Desktop</h2>
<p>Through mcp-remote (Node.js), in <code>claude_desktop_config.json</code>:</p>
<pre>{{.MCPRemote}}</pre>
<p>Or natively: Settings, Connectors, Add custom connector, with the endpoint above. Claude then connects from Anthropic's servers, so the endpoint must be public and HTTPS.</p>
<h2>VS Code</h2>
<p><code>.vscode/mcp.json</code>:</p>
<pre>{{.VSCode}}</pre>
<h2>Cursor</h2>
<p><code>~/.cursor/mcp.json</code>, or <code>.cursor/mcp.json</code> in a project:</p>
<pre>{{.Cursor}}</pre>
</body></html>
`))
})
