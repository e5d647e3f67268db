package insforgefake

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Auth module: auth configuration, users, OAuth provider configurations,
// SMTP configuration and email templates. The fake behaves like a
// self-hosted backend: shared OAuth keys are refused, and email
// verification can only be required once custom SMTP is enabled with a
// password. No mail is ever sent and no SMTP connection is attempted:
// enabling SMTP refuses private and loopback hosts like the backend, and
// fails the connection check only for hosts under the reserved .invalid TLD.
// Ids, emails, providers and template types are not validated: the tools
// check them first.

// authTemplateTypes are the email template types, in the backend's order
// (ORDER BY template_type).
var authTemplateTypes = []string{"email-verification-code", "email-verification-link", "request-otp", "reset-password-code", "reset-password-link"}

type authConfig struct {
	ID                       string   `json:"id"`
	RequireEmailVerification bool     `json:"requireEmailVerification"`
	PasswordMinLength        float64  `json:"passwordMinLength"`
	RequireNumber            bool     `json:"requireNumber"`
	RequireLowercase         bool     `json:"requireLowercase"`
	RequireUppercase         bool     `json:"requireUppercase"`
	RequireSpecialChar       bool     `json:"requireSpecialChar"`
	VerifyEmailMethod        string   `json:"verifyEmailMethod"`
	ResetPasswordMethod      string   `json:"resetPasswordMethod"`
	AllowedRedirectURLs      []string `json:"allowedRedirectUrls"`
	DisableSignup            bool     `json:"disableSignup"`
	CreatedAt                string   `json:"createdAt"`
	UpdatedAt                string   `json:"updatedAt"`
}

type authUser struct {
	ID, Email, Name, CreatedAt string
	EmailVerified              bool
}

type authOAuthConfig struct {
	ID              string   `json:"id"`
	Provider        string   `json:"provider"`
	ClientID        *string  `json:"clientId"`
	ClientSecret    string   `json:"clientSecret,omitempty"` // "" = no secret stored
	NativeClientIDs []string `json:"nativeClientIds"`
	Scopes          []string `json:"scopes"`
	RedirectURI     *string  `json:"redirectUri"` // deprecated: always null
	UseSharedKey    bool     `json:"useSharedKey"`
	CreatedAt       string   `json:"createdAt"`
	UpdatedAt       string   `json:"updatedAt"`
}

type authSMTP struct {
	ID                 string `json:"id"`
	Enabled            bool   `json:"enabled"`
	Host               string `json:"host"`
	Port               int    `json:"port"`
	Username           string `json:"username"`
	Password           string `json:"-"`
	HasPassword        bool   `json:"hasPassword"`
	SenderEmail        string `json:"senderEmail"`
	SenderName         string `json:"senderName"`
	MinIntervalSeconds int    `json:"minIntervalSeconds"`
	UpdatedAt          string `json:"updatedAt"`
}

type authTemplate struct {
	ID        string `json:"id"`
	Type      string `json:"templateType"`
	Subject   string `json:"subject"`
	BodyHTML  string `json:"bodyHtml"`
	UpdatedAt string `json:"updatedAt"`
}

type authState struct {
	mu        sync.Mutex
	config    authConfig
	users     []*authUser // oldest first
	oauth     map[string]*authOAuthConfig
	smtp      authSMTP
	templates map[string]*authTemplate
}

func newAuthState() *authState {
	now := isoMillis(time.Now())
	st := &authState{
		config: authConfig{
			ID: newUUID(), PasswordMinLength: 6, VerifyEmailMethod: "code", ResetPasswordMethod: "code",
			AllowedRedirectURLs: []string{}, CreatedAt: now, UpdatedAt: now,
		},
		oauth:     map[string]*authOAuthConfig{},
		smtp:      authSMTP{ID: newUUID(), Port: 465, MinIntervalSeconds: 60, UpdatedAt: now},
		templates: map[string]*authTemplate{},
	}
	// Short stand-ins for the seeded templates, with the real placeholders.
	for _, typ := range authTemplateTypes {
		st.templates[typ] = &authTemplate{ID: newUUID(), Type: typ, Subject: "{{ token }} is your code",
			BodyHTML: `<p>Hi {{ name }}, your code is {{ token }} (<a href="{{ link }}">link</a>).</p>`, UpdatedAt: now}
	}
	return st
}

func authOf(s *Server) *authState { return moduleState(s, "auth", newAuthState) }

func registerAuthRoutes(s *Server) {
	st := authOf(s)
	s.setMetadataSection("auth", st.metadata)
	// get answers GET pattern with render(), under st.mu.
	get := func(pattern string, a access, render func() any) {
		s.handle("GET "+pattern, a, func(w http.ResponseWriter, _ *http.Request) {
			st.mu.Lock()
			defer st.mu.Unlock()
			writeJSON(w, 200, render())
		})
	}
	get("/api/auth/public-config", accessPublic, func() any { return st.config.public(st.oauth) })
	get("/api/auth/config", accessAdmin, func() any { return st.config })
	get("/api/auth/oauth/configs", accessAdmin, func() any {
		data := []*authOAuthConfig{}
		for _, p := range sortedKeys(st.oauth) {
			data = append(data, st.oauth[p].withoutSecret())
		}
		return map[string]any{"data": data, "count": len(data)}
	})
	get("/api/auth/smtp-config", accessAdmin, st.smtpJSON)
	get("/api/auth/email-templates", accessAdmin, func() any {
		data := []*authTemplate{}
		for _, typ := range authTemplateTypes {
			data = append(data, st.templates[typ])
		}
		return map[string]any{"data": data}
	})
	s.handle("PUT /api/auth/config", accessAdmin, st.putConfig)
	s.handle("GET /api/auth/users", accessAdmin, st.listUsers)
	s.handle("POST /api/auth/users", accessUser, st.createUser)
	s.handle("DELETE /api/auth/users", accessAdmin, st.deleteUsers)
	s.handle("GET /api/auth/users/{userId}", accessAdmin, st.getUser)
	s.handle("POST /api/auth/oauth/configs", accessAdmin, st.createOAuth)
	s.handle("GET /api/auth/oauth/{provider}/config", accessAdmin, st.getOAuth)
	s.handle("PUT /api/auth/oauth/{provider}/config", accessAdmin, st.updateOAuth)
	s.handle("DELETE /api/auth/oauth/{provider}/config", accessAdmin, st.deleteOAuth)
	s.handle("PUT /api/auth/smtp-config", accessAdmin, st.putSMTP)
	s.handle("PUT /api/auth/email-templates/{type}", accessAdmin, st.putTemplate)
}

// errEmailProviderNotConfigured refuses to require email verification
// without a working email provider.
func errEmailProviderNotConfigured() *APIError {
	return &APIError{Status: 400, Code: "EMAIL_PROVIDER_NOT_CONFIGURED",
		Message:     "An email provider must be configured before email verification can be required.",
		NextActions: "Configure and enable custom SMTP, then retry. Cloud-linked projects can use the managed email provider."}
}

// ---- configuration ----

// public is the public configuration: the settings without the ids, dates
// and redirect allow-list, and the configured providers.
func (c *authConfig) public(oauth map[string]*authOAuthConfig) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(marshalJSON(c), &m)
	for _, k := range []string{"id", "createdAt", "updatedAt", "allowedRedirectUrls"} {
		delete(m, k)
	}
	m["oAuthProviders"], m["customOAuthProviders"] = sortedKeys(oauth), []any{}
	return m
}

// smtpJSON is the SMTP config as the API shows it (no password). st.mu held.
func (st *authState) smtpJSON() any {
	c := st.smtp
	c.HasPassword = c.Password != ""
	return c
}

// metadata is the "auth" section of GET /api/metadata.
func (st *authState) metadata() any {
	st.mu.Lock()
	defer st.mu.Unlock()
	m := st.config.public(st.oauth)
	m["smtpConfig"], m["allowedRedirectUrls"] = st.smtpJSON(), st.config.AllowedRedirectURLs
	return m
}

// authRedirectRE is a loose form of the backend's allowedRedirectUrlsRegex.
var authRedirectRE = regexp.MustCompile(`(?i)^[a-z][a-z0-9+.-]*:(//)?[^\s/]+`)

func (st *authState) putConfig(w http.ResponseWriter, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	// A partial update: the body is decoded over a copy of the config.
	c := st.config
	c.AllowedRedirectURLs = slices.Clone(c.AllowedRedirectURLs)
	if !bind(w, r, &c) {
		return
	}
	for i, u := range c.AllowedRedirectURLs {
		if !authRedirectRE.MatchString(u) {
			writeError(w, errInvalidInput("allowedRedirectUrls."+strconv.Itoa(i)+": Invalid URL or wildcard URL"))
			return
		}
	}
	if c.RequireEmailVerification && !(st.smtp.Enabled && st.smtp.Password != "") {
		writeError(w, errEmailProviderNotConfigured())
		return
	}
	c.UpdatedAt = isoMillis(time.Now())
	st.config = c
	writeJSON(w, 200, c)
}

// ---- users ----

// json is the user object (userSchema).
func (u *authUser) json() map[string]any {
	return map[string]any{
		"id": u.ID, "email": u.Email, "emailVerified": u.EmailVerified, "createdAt": u.CreatedAt, "updatedAt": u.CreatedAt,
		"providers": []string{"email"}, "profile": map[string]any{"name": u.Name}, "metadata": map[string]any{},
	}
}

func (st *authState) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit = cmp.Or(limit, 10)
	st.mu.Lock()
	defer st.mu.Unlock()
	var all []*authUser
	for _, u := range slices.Backward(st.users) { // newest first
		if strings.Contains(u.Email, q.Get("search")) {
			all = append(all, u)
		}
	}
	data := []map[string]any{}
	for _, u := range pageSlice(all, limit, offset) {
		data = append(data, u.json())
	}
	writeJSON(w, 200, map[string]any{"data": data, "pagination": map[string]any{"offset": offset, "limit": limit, "total": len(all)}})
}

func (st *authState) getUser(w http.ResponseWriter, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if i := slices.IndexFunc(st.users, func(u *authUser) bool { return u.ID == r.PathValue("userId") }); i >= 0 {
		writeJSON(w, 200, st.users[i].json())
		return
	}
	writeError(w, &APIError{Status: 404, Code: "AUTH_USER_NOT_FOUND", Message: "User does not exist"})
}

func (st *authState) createUser(w http.ResponseWriter, r *http.Request) {
	admin := requestRole(r) == roleAdmin
	var in struct {
		Email, Password, Name string
		AutoConfirm           bool
	}
	if !bind(w, r, &in) {
		return
	}
	email := strings.TrimSpace(strings.ToLower(in.Email))
	st.mu.Lock()
	defer st.mu.Unlock()
	// validatePassword: only the minimum length is checked here.
	if c := st.config; float64(len([]rune(in.Password))) < c.PasswordMinLength {
		writeError(w, errInvalidInput(fmt.Sprintf("Password must contain at least %v characters long", c.PasswordMinLength)))
		return
	}
	if slices.ContainsFunc(st.users, func(u *authUser) bool { return u.Email == email }) {
		writeError(w, &APIError{Status: 409, Code: "AUTH_EMAIL_EXISTS", Message: "User already exists"})
		return
	}
	u := &authUser{ID: newUUID(), Email: email, Name: strings.TrimSpace(in.Name), EmailVerified: admin && in.AutoConfirm, CreatedAt: isoMillis(time.Now())}
	st.users = append(st.users, u)
	if st.config.RequireEmailVerification {
		// Admin creation sends no mail; public sign-up would send one here.
		writeJSON(w, 200, map[string]any{"accessToken": nil, "requireEmailVerification": !u.EmailVerified})
		return
	}
	// The access token is shaped like a JWT (not verifiable).
	enc := base64.RawURLEncoding.EncodeToString
	token := enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc(marshalJSON(map[string]any{"sub": u.ID, "email": u.Email})) + "." + randomHex(32)
	writeJSON(w, 200, map[string]any{"user": u.json(), "accessToken": token, "requireEmailVerification": false})
}

func (st *authState) deleteUsers(w http.ResponseWriter, r *http.Request) {
	var in struct{ UserIDs []string }
	if !bind(w, r, &in) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	before := len(st.users)
	st.users = slices.DeleteFunc(st.users, func(u *authUser) bool { return slices.Contains(in.UserIDs, u.ID) })
	writeJSON(w, 200, map[string]any{"message": "Users deleted successfully", "deletedCount": before - len(st.users)})
}

// ---- OAuth provider configurations ----

// authOAuthInput is the body of the OAuth create and update routes.
type authOAuthInput struct {
	Provider                string
	ClientID, ClientSecret  *string
	NativeClientIDs, Scopes *[]string
	UseSharedKey            *bool
}

// bindOAuth reads an OAuth body, refusing shared keys.
func bindOAuth(w http.ResponseWriter, r *http.Request) (authOAuthInput, bool) {
	var in authOAuthInput
	if !bind(w, r, &in) {
		return in, false
	}
	if in.UseSharedKey != nil && *in.UseSharedKey {
		writeError(w, &APIError{Status: 400, Code: "AUTH_OAUTH_CONFIG_ERROR", Message: "Shared OAuth keys are not enabled in this environment"})
		return in, false
	}
	return in, true
}

// oauthFor returns the configuration of the path's provider, or answers
// 404. st.mu held.
func (st *authState) oauthFor(w http.ResponseWriter, r *http.Request) *authOAuthConfig {
	o := st.oauth[r.PathValue("provider")]
	if o == nil {
		writeError(w, &APIError{Status: 404, Code: "AUTH_OAUTH_CONFIG_NOT_FOUND", Message: "OAuth configuration for " + r.PathValue("provider") + " not found"})
	}
	return o
}

// withoutSecret is a copy of o as shown everywhere but the single GET.
func (o *authOAuthConfig) withoutSecret() *authOAuthConfig {
	c := *o
	c.ClientSecret = ""
	return &c
}

func (st *authState) createOAuth(w http.ResponseWriter, r *http.Request) {
	in, ok := bindOAuth(w, r)
	if !ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.oauth[in.Provider] != nil {
		writeError(w, &APIError{Status: 409, Code: "AUTH_OAUTH_CONFIG_ALREADY_EXISTS", Message: "OAuth configuration for " + in.Provider + " already exists"})
		return
	}
	now := isoMillis(time.Now())
	o := &authOAuthConfig{ID: newUUID(), Provider: in.Provider, NativeClientIDs: []string{}, Scopes: []string{"email", "profile"}, CreatedAt: now}
	st.oauth[in.Provider] = o
	o.update(in)
	writeJSON(w, 200, o.withoutSecret())
}

func (o *authOAuthConfig) update(in authOAuthInput) {
	set(&o.ClientSecret, in.ClientSecret)
	if in.ClientID != nil {
		o.ClientID = in.ClientID
	}
	set(&o.NativeClientIDs, in.NativeClientIDs)
	set(&o.Scopes, in.Scopes)
	o.UpdatedAt = isoMillis(time.Now())
}

func (st *authState) getOAuth(w http.ResponseWriter, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if o := st.oauthFor(w, r); o != nil {
		writeJSON(w, 200, o)
	}
}

func (st *authState) updateOAuth(w http.ResponseWriter, r *http.Request) {
	in, ok := bindOAuth(w, r)
	if !ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if o := st.oauthFor(w, r); o != nil {
		o.update(in)
		writeJSON(w, 200, o.withoutSecret())
	}
}

func (st *authState) deleteOAuth(w http.ResponseWriter, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if o := st.oauthFor(w, r); o != nil {
		delete(st.oauth, o.Provider)
		writeJSON(w, 200, map[string]any{"success": true, "message": "OAuth configuration for " + o.Provider + " deleted successfully"})
	}
}

// ---- SMTP ----

func (st *authState) putSMTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Enabled                                 bool
		Port                                    int
		Host, Username, SenderEmail, SenderName string
		Password                                *string
		MinIntervalSeconds                      *int
	}
	if !bind(w, r, &in) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !in.Enabled && st.config.RequireEmailVerification {
		writeError(w, errEmailProviderNotConfigured())
		return
	}
	stored := st.smtp.Password
	set(&stored, in.Password)
	if in.Enabled {
		switch ip := net.ParseIP(in.Host); {
		case ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified()):
			writeError(w, errInvalidInput("SMTP host is a private or loopback address, which is not allowed"))
			return
		case stored == "":
			writeError(w, errInvalidInput("SMTP password is required when enabling SMTP"))
			return
		case strings.HasSuffix(strings.ToLower(in.Host), ".invalid"):
			writeError(w, &APIError{Status: 400, Code: "EMAIL_SMTP_CONNECTION_FAILED", Message: "SMTP connection failed: getaddrinfo ENOTFOUND " + in.Host})
			return
		}
	}
	c := &st.smtp
	c.Enabled, c.Host, c.Port, c.Username, c.Password = in.Enabled, in.Host, in.Port, in.Username, stored
	c.SenderEmail, c.SenderName, c.MinIntervalSeconds = in.SenderEmail, in.SenderName, 60
	set(&c.MinIntervalSeconds, in.MinIntervalSeconds)
	c.UpdatedAt = isoMillis(time.Now())
	writeJSON(w, 200, st.smtpJSON())
}

// ---- email templates ----

func (st *authState) putTemplate(w http.ResponseWriter, r *http.Request) {
	var in struct{ Subject, BodyHTML string }
	if !bind(w, r, &in) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	t := st.templates[r.PathValue("type")]
	if t == nil {
		writeError(w, errInvalidInput("Invalid template type. Must be one of: "+strings.Join(authTemplateTypes, ", ")))
		return
	}
	t.Subject, t.BodyHTML, t.UpdatedAt = in.Subject, in.BodyHTML, isoMillis(time.Now())
	writeJSON(w, 200, t)
}
