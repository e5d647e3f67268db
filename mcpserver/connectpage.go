package mcpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// connectPageTimeout bounds how long a connect page waits for the user.
const connectPageTimeout = 10 * time.Minute

// connectInteractive asks the user for the project URL and key on a
// one-time page served on loopback, reached through a URL-mode elicitation:
// the key goes from the user's browser to this server and never through
// the model's context. Form-mode elicitation must not carry secrets, so it
// is not used here.
func (g *gate) connectInteractive(ctx context.Context) (credentials.Credentials, error) {
	s := g.s
	session := server.ClientSessionFromContext(g.ctx)
	if !s.cfg.InteractiveConnect || session == nil || server.IsModernRequest(g.ctx) || !clientCanElicitURL(g.ctx) {
		return credentials.Credentials{}, tools.ErrNoInteractiveConnect
	}
	page, err := startConnectPage(s)
	if err != nil {
		return credentials.Credentials{}, fmt.Errorf("start the connect page: %w", err)
	}
	defer page.close()

	res, err := s.mcp.RequestURLElicitation(ctx, session, page.token, page.url,
		"Open this page to connect insforge-mcp to your InsForge project. Enter the Project URL and the admin API key there: the key goes straight to the MCP server, not to the AI model.")
	if err != nil {
		return credentials.Credentials{}, fmt.Errorf("the client could not open the connect page: %w", err)
	}
	if res.Action != mcp.ElicitationResponseActionAccept {
		return credentials.Credentials{}, errors.New("the user declined to open the connect page")
	}
	wait, cancel := context.WithTimeout(ctx, connectPageTimeout)
	defer cancel()
	select {
	case c := <-page.done:
		if err := s.mcp.SendElicitationComplete(ctx, session, page.token); err != nil {
			s.log.Debug("elicitation complete not delivered", "error", err)
		}
		return c, nil
	case <-wait.Done():
		return credentials.Credentials{}, errors.New("no credentials were entered on the connect page in time")
	}
}

func clientCanElicitURL(ctx context.Context) bool {
	cs, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo)
	if !ok {
		return false
	}
	e := cs.GetClientCapabilities().Elicitation
	return e != nil && e.URL != nil
}

// connectPage is a single-use HTTP server on 127.0.0.1 with an unguessable path.
type connectPage struct {
	token string
	url   string
	host  string
	done  chan credentials.Credentials
	srv   *http.Server
	s     *Server
}

func startConnectPage(s *Server) (*connectPage, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var buf [16]byte
	if _, err := rand.Read(buf[:]); err != nil {
		ln.Close()
		return nil, err
	}
	p := &connectPage{token: hex.EncodeToString(buf[:]), host: ln.Addr().String(), done: make(chan credentials.Credentials, 1), s: s}
	p.url = "http://" + p.host + "/connect/" + p.token
	mux := http.NewServeMux()
	mux.HandleFunc("/connect/"+p.token, p.serve)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *connectPage) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p.srv.Shutdown(ctx)
}

var connectForm = template.Must(template.New("connect").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Connect insforge-mcp</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}label{display:block;margin-top:1rem}input{width:100%;padding:.4rem;font-size:1rem}button{margin-top:1.5rem;padding:.5rem 1.2rem;font-size:1rem}.err{color:#b00020}.ok{color:#05662b}</style>
</head><body>
<h1>Connect insforge-mcp</h1>
{{if .Done}}<p class="ok">Connected to {{.URL}}. You can close this tab and go back to your agent.</p>{{else}}
<p>Enter your InsForge project's URL and admin API key (dashboard → project settings). They go to the MCP server running on this machine, not to the AI model.</p>
{{if .Error}}<p class="err">{{.Error}}</p>{{end}}
<form method="post">
<label>Project URL <input name="projectUrl" value="{{.URL}}" placeholder="https://your-project.us-east.insforge.app" required></label>
<label>Admin API key <input name="apiKey" type="password" autocomplete="off" placeholder="ik_…" required></label>
<button type="submit">Connect</button>
</form>{{end}}
</body></html>`))

type formView struct {
	URL, Error string
	Done       bool
}

func (p *connectPage) serve(w http.ResponseWriter, r *http.Request) {
	// DNS rebinding and cross-site posts: only this exact origin.
	if r.Host != p.host {
		http.Error(w, "wrong host", http.StatusForbidden)
		return
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+p.host {
		http.Error(w, "wrong origin", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	switch r.Method {
	case http.MethodGet:
		connectForm.Execute(w, formView{})
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		view := formView{URL: r.PostForm.Get("projectUrl")}
		c, err := p.check(r.Context(), r.PostForm.Get("projectUrl"), r.PostForm.Get("apiKey"))
		if err != nil {
			view.Error = credentials.RedactKeys(redact(err.Error(), r.PostForm.Get("apiKey")), r.PostForm.Get("apiKey"))
			w.WriteHeader(http.StatusBadRequest)
			connectForm.Execute(w, view)
			return
		}
		select {
		case p.done <- c:
		default:
			http.Error(w, "this page was already used", http.StatusGone)
			return
		}
		view.URL, view.Done = c.ProjectURL, true
		connectForm.Execute(w, view)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (p *connectPage) check(ctx context.Context, rawURL, key string) (credentials.Credentials, error) {
	u, err := credentials.NormalizeURL(rawURL)
	if err != nil {
		return credentials.Credentials{}, err
	}
	if err := credentials.CheckKey(key); err != nil {
		return credentials.Credentials{}, err
	}
	c := credentials.Credentials{ProjectURL: u, APIKey: key}
	if err := p.s.checkHost(u); err != nil {
		return c, err
	}
	if err := credentials.Validate(ctx, p.s.cfg.Transport, c); err != nil {
		return c, err
	}
	return c, nil
}
