package insforgefake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Auth module: auth configuration, users, the deprecated
// anon-token route, built-in OAuth provider configurations, SMTP
// configuration and email templates. The fake behaves like a self-hosted
// backend: shared OAuth keys are refused, and email verification can only
// be required once custom SMTP is enabled with a password. No mail is ever
// sent and no SMTP connection is attempted: enabling SMTP refuses private
// and loopback hosts like the backend, and fails the connection check only
// for hosts under the reserved .invalid TLD.

// authProviders are the built-in OAuth providers (oAuthProvidersSchema).
var authProviders = []string{"google", "github", "discord", "linkedin", "facebook", "instagram", "tiktok", "apple", "x", "spotify", "microsoft"}

// authDefaultScopes are the scopes the backend stores when none are given.
var authDefaultScopes = map[string][]string{
	"google":    {"openid", "email", "profile"},
	"github":    {"user:email"},
	"discord":   {"identify", "email"},
	"linkedin":  {"openid", "profile", "email"},
	"facebook":  {"email", "public_profile"},
	"instagram": {"user_profile", "user_media"},
	"tiktok":    {"user.info.basic"},
	"apple":     {"name", "email"},
	"x":         {"tweet.read", "users.read"},
	"spotify":   {"user-read-email", "user-read-private"},
	"microsoft": {"User.Read"},
}

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
	AllowedRedirectURLs      []string `json:"allowedRedirectUrls"` // nil = SQL NULL
	DisableSignup            bool     `json:"disableSignup"`
	CreatedAt                string   `json:"createdAt"`
	UpdatedAt                string   `json:"updatedAt"`
}

type authUser struct {
	ID            string
	Email         string
	Password      string
	EmailVerified bool
	Profile       map[string]any
	CreatedAt     string
	UpdatedAt     string
}

type authOAuthConfig struct {
	ID              string   `json:"id"`
	Provider        string   `json:"provider"`
	ClientID        *string  `json:"clientId"`
	ClientSecret    string   `json:"-"` // "" = no secret stored
	NativeClientIDs []string `json:"nativeClientIds"`
	Scopes          []string `json:"scopes"`
	RedirectURI     *string  `json:"redirectUri"`
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
	CreatedAt          string `json:"createdAt"`
	UpdatedAt          string `json:"updatedAt"`
}

type authTemplate struct {
	ID        string `json:"id"`
	Type      string `json:"templateType"`
	Subject   string `json:"subject"`
	BodyHTML  string `json:"bodyHtml"`
	CreatedAt string `json:"createdAt"`
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
		smtp:      authSMTP{ID: newUUID(), Port: 465, MinIntervalSeconds: 60, CreatedAt: now, UpdatedAt: now},
		templates: map[string]*authTemplate{},
	}
	for _, typ := range authTemplateTypes {
		subject, body := authDefaultTemplate(typ)
		st.templates[typ] = &authTemplate{ID: newUUID(), Type: typ, Subject: subject, BodyHTML: body, CreatedAt: now, UpdatedAt: now}
	}
	return st
}

// authDefaultTemplate returns a short stand-in for the seeded template of
// a type, with the placeholders the real one uses.
func authDefaultTemplate(typ string) (subject, body string) {
	switch typ {
	case "email-verification-code":
		return "Verify your email", "<p>Hi {{ name }}, your verification code is <strong>{{ token }}</strong>.</p>"
	case "email-verification-link":
		return "Verify your email", `<p>Hi {{ name }}, <a href="{{ link }}">verify your email</a>.</p>`
	case "request-otp":
		return "{{ token }} is your verification code", "<p>Your sign-in code is <strong>{{ token }}</strong>.</p>"
	case "reset-password-code":
		return "Reset your password", "<p>Hi {{ name }}, your password reset code is <strong>{{ token }}</strong>.</p>"
	default:
		return "Reset your password", `<p>Hi {{ name }}, <a href="{{ link }}">reset your password</a>.</p>`
	}
}

func authOf(s *Server) *authState { return moduleState(s, "auth", newAuthState) }

func registerAuthRoutes(s *Server) {
	st := authOf(s)
	s.setMetadataSection("auth", st.metadata)
	h := func(pattern string, a access, fn func(*Server, http.ResponseWriter, *http.Request)) {
		s.handle(pattern, a, func(w http.ResponseWriter, r *http.Request) { fn(s, w, r) })
	}
	h("GET /api/auth/public-config", accessPublic, st.getPublicConfig)
	h("GET /api/auth/config", accessAdmin, func(_ *Server, w http.ResponseWriter, _ *http.Request) {
		st.mu.Lock()
		defer st.mu.Unlock()
		writeJSON(w, 200, st.config)
	})
	h("PUT /api/auth/config", accessAdmin, st.putConfig)
	h("GET /api/auth/users", accessAdmin, st.listUsers)
	h("POST /api/auth/users", accessUser, st.createUser)
	h("DELETE /api/auth/users", accessAdmin, st.deleteUsers)
	h("GET /api/auth/users/{userId}", accessAdmin, func(_ *Server, w http.ResponseWriter, r *http.Request) {
		st.answerUser(w, r, "User does not exist", func(u *authUser) any { return u.json() })
	})
	h("GET /api/auth/profiles/{userId}", accessPublic, func(_ *Server, w http.ResponseWriter, r *http.Request) {
		st.answerUser(w, r, "User not found", func(u *authUser) any { return map[string]any{"id": u.ID, "profile": maps.Clone(u.Profile)} })
	})
	h("POST /api/auth/tokens/anon", accessAdmin, func(s *Server, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"accessToken": secretsOf(s).currentKey("ANON_KEY"),
			"message": "Anon key retrieved successfully (deprecated route, use GET /api/metadata/anon-key)"})
	})
	h("GET /api/auth/oauth/configs", accessAdmin, func(_ *Server, w http.ResponseWriter, _ *http.Request) {
		st.mu.Lock()
		defer st.mu.Unlock()
		data := []*authOAuthConfig{}
		for _, p := range sortedKeys(st.oauth) {
			data = append(data, st.oauth[p])
		}
		writeJSON(w, 200, map[string]any{"data": data, "count": len(data)})
	})
	h("POST /api/auth/oauth/configs", accessAdmin, st.createOAuth)
	h("GET /api/auth/oauth/{provider}/config", accessAdmin, st.getOAuth)
	h("PUT /api/auth/oauth/{provider}/config", accessAdmin, st.updateOAuth)
	h("DELETE /api/auth/oauth/{provider}/config", accessAdmin, st.deleteOAuth)
	h("GET /api/auth/smtp-config", accessAdmin, func(_ *Server, w http.ResponseWriter, _ *http.Request) {
		st.mu.Lock()
		defer st.mu.Unlock()
		writeJSON(w, 200, st.smtpJSON())
	})
	h("PUT /api/auth/smtp-config", accessAdmin, st.putSMTP)
	h("GET /api/auth/email-templates", accessAdmin, func(_ *Server, w http.ResponseWriter, _ *http.Request) {
		st.mu.Lock()
		defer st.mu.Unlock()
		data := []*authTemplate{}
		for _, typ := range sortedKeys(st.templates) {
			data = append(data, st.templates[typ])
		}
		writeJSON(w, 200, map[string]any{"data": data})
	})
	h("PUT /api/auth/email-templates/{type}", accessAdmin, st.putTemplate)
}

// authBadInput is a 400 INVALID_INPUT as thrown by the auth routes.
func authBadInput(msg string) *APIError {
	return &APIError{Status: 400, Code: "INVALID_INPUT", Message: msg}
}

// errEmailProviderNotConfigured refuses to require email verification
// without a working email provider.
func errEmailProviderNotConfigured() *APIError {
	return &APIError{Status: 400, Code: "EMAIL_PROVIDER_NOT_CONFIGURED",
		Message:     "An email provider must be configured before email verification can be required.",
		NextActions: "Configure and enable custom SMTP, then retry. Cloud-linked projects can use the managed email provider."}
}

// ---- configuration ----

func (c *authConfig) publicFields(m map[string]any) {
	m["requireEmailVerification"] = c.RequireEmailVerification
	m["passwordMinLength"] = c.PasswordMinLength
	m["requireNumber"] = c.RequireNumber
	m["requireLowercase"] = c.RequireLowercase
	m["requireUppercase"] = c.RequireUppercase
	m["requireSpecialChar"] = c.RequireSpecialChar
	m["verifyEmailMethod"] = c.VerifyEmailMethod
	m["resetPasswordMethod"] = c.ResetPasswordMethod
	m["disableSignup"] = c.DisableSignup
}

// smtpJSON is the SMTP config as the API shows it (no password). st.mu held.
func (st *authState) smtpJSON() authSMTP {
	c := st.smtp
	c.HasPassword = c.Password != ""
	return c
}

// metadata is the "auth" section of GET /api/metadata.
func (st *authState) metadata() any {
	st.mu.Lock()
	defer st.mu.Unlock()
	c := st.smtp
	smtp := map[string]any{"enabled": c.Enabled, "host": c.Host, "port": c.Port, "username": c.Username,
		"hasPassword": c.Password != "", "senderEmail": c.SenderEmail, "senderName": c.SenderName, "minIntervalSeconds": c.MinIntervalSeconds}
	m := map[string]any{"oAuthProviders": sortedKeys(st.oauth), "customOAuthProviders": []any{}, "smtpConfig": smtp,
		"allowedRedirectUrls": st.config.AllowedRedirectURLs}
	st.config.publicFields(m)
	return m
}

func (st *authState) getPublicConfig(_ *Server, w http.ResponseWriter, _ *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	m := map[string]any{"oAuthProviders": sortedKeys(st.oauth), "customOAuthProviders": []any{}}
	st.config.publicFields(m)
	writeJSON(w, 200, m)
}

// authRedirectRE is a loose form of the backend's allowedRedirectUrlsRegex.
var (
	authRedirectRE = regexp.MustCompile(`(?i)^[a-z][a-z0-9+.-]*:(//)?[^\s/]+`)
	authBannedRE   = regexp.MustCompile(`(?i)^(javascript|data|file|vbscript):`)
)

func (st *authState) putConfig(_ *Server, w http.ResponseWriter, r *http.Request) {
	var in struct {
		RequireEmailVerification, RequireNumber, RequireLowercase, RequireUppercase, RequireSpecialChar, DisableSignup *bool
		PasswordMinLength                                                                                              *float64
		VerifyEmailMethod, ResetPasswordMethod                                                                         *string
		AllowedRedirectURLs                                                                                            *[]string `json:"allowedRedirectUrls"`
	}
	if !bind(w, r, &in) {
		return
	}
	if in.AllowedRedirectURLs != nil {
		for i, u := range *in.AllowedRedirectURLs {
			if !authRedirectRE.MatchString(u) || authBannedRE.MatchString(u) {
				writeError(w, authBadInput("allowedRedirectUrls."+strconv.Itoa(i)+": Invalid URL or wildcard URL"))
				return
			}
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if v := in.RequireEmailVerification; v != nil && *v && !(st.smtp.Enabled && st.smtp.Password != "") {
		writeError(w, errEmailProviderNotConfigured())
		return
	}
	c := &st.config
	set(&c.RequireEmailVerification, in.RequireEmailVerification)
	set(&c.RequireNumber, in.RequireNumber)
	set(&c.RequireLowercase, in.RequireLowercase)
	set(&c.RequireUppercase, in.RequireUppercase)
	set(&c.RequireSpecialChar, in.RequireSpecialChar)
	set(&c.DisableSignup, in.DisableSignup)
	set(&c.PasswordMinLength, in.PasswordMinLength)
	set(&c.VerifyEmailMethod, in.VerifyEmailMethod)
	set(&c.ResetPasswordMethod, in.ResetPasswordMethod)
	set(&c.AllowedRedirectURLs, in.AllowedRedirectURLs)
	c.UpdatedAt = isoMillis(time.Now())
	writeJSON(w, 200, c)
}

// ---- users ----

var authUUIDRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// json is the user object (userSchema).
func (u *authUser) json() map[string]any {
	providers := []string{}
	if u.Password != "" {
		providers = append(providers, "email")
	}
	return map[string]any{
		"id": u.ID, "email": u.Email, "emailVerified": u.EmailVerified, "createdAt": u.CreatedAt,
		"updatedAt": u.UpdatedAt, "providers": providers, "profile": maps.Clone(u.Profile), "metadata": map[string]any{},
	}
}

func (st *authState) listUsers(_ *Server, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset := 10, 0
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n != 0 {
		limit = max(1, n)
	}
	if n, err := strconv.Atoi(q.Get("offset")); err == nil {
		offset = max(0, n)
	}
	search := q.Get("search")
	st.mu.Lock()
	defer st.mu.Unlock()
	var all []*authUser
	for i := len(st.users) - 1; i >= 0; i-- { // newest first
		u := st.users[i]
		name, _ := u.Profile["name"].(string)
		if strings.Contains(u.Email, search) || (search != "" && strings.Contains(name, search)) {
			all = append(all, u)
		}
	}
	data := []map[string]any{}
	for _, u := range pageSlice(all, limit, offset) {
		data = append(data, u.json())
	}
	writeJSON(w, 200, map[string]any{"data": data, "pagination": map[string]any{"offset": offset, "limit": limit, "total": len(all)}})
}

// answerUser answers a /users/{userId} read with render(user), or the
// backend's 400 for a malformed id or 404 (message notFound) for an unknown
// one.
func (st *authState) answerUser(w http.ResponseWriter, r *http.Request, notFound string, render func(*authUser) any) {
	id := r.PathValue("userId")
	if !authUUIDRE.MatchString(id) {
		writeError(w, authBadInput("Invalid user ID format"))
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, u := range st.users {
		if strings.EqualFold(u.ID, id) {
			writeJSON(w, 200, render(u))
			return
		}
	}
	writeError(w, &APIError{Status: 404, Code: "AUTH_USER_NOT_FOUND", Message: notFound})
}

// authPasswordRules checks the password policy (validatePassword) and
// returns the backend's requirements message when pw breaks it.
func authPasswordRules(pw string, c *authConfig) string {
	ok := float64(len([]rune(pw))) >= c.PasswordMinLength
	reqs := []string{fmt.Sprintf("at least %v characters long", c.PasswordMinLength)}
	for _, rule := range []struct {
		on        bool
		chars, in string
	}{
		{c.RequireNumber, "0123456789", "at least one number"},
		{c.RequireLowercase, "abcdefghijklmnopqrstuvwxyz", "at least one lowercase letter"},
		{c.RequireUppercase, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "at least one uppercase letter"},
		{c.RequireSpecialChar, `!@#$%^&*()_+-=[]{};\|,.<>/?`, "at least one special character"},
	} {
		if rule.on {
			reqs = append(reqs, rule.in)
			ok = ok && strings.ContainsAny(pw, rule.chars)
		}
	}
	if ok {
		return ""
	}
	return "Password must contain " + strings.Join(reqs, ", ")
}

// authFakeJWT returns a token shaped like a JWT (not verifiable).
func authFakeJWT(sub, email string) string {
	enc := base64.RawURLEncoding
	now := time.Now().Unix()
	payload := fmt.Sprintf(`{"sub":%q,"email":%q,"role":"authenticated","iat":%d,"exp":%d}`, sub, email, now, now+900)
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload)) + "." + randomHex(32)
}

func (st *authState) createUser(_ *Server, w http.ResponseWriter, r *http.Request) {
	admin := requestRole(r) == roleAdmin
	var in struct {
		Email, Password  string
		Name, RedirectTo *string
		AutoConfirm      bool
	}
	if !bind(w, r, &in) {
		return
	}
	if !strings.Contains(in.Email, "@") {
		writeError(w, authBadInput("email: Invalid email format"))
		return
	}
	email := strings.TrimSpace(strings.ToLower(in.Email))
	st.mu.Lock()
	defer st.mu.Unlock()
	c := &st.config
	if !admin && c.DisableSignup {
		writeError(w, &APIError{Status: 403, Code: "AUTH_SIGNUP_DISABLED", Message: "User signups are disabled for this project."})
		return
	}
	if msg := authPasswordRules(in.Password, c); msg != "" {
		writeError(w, authBadInput(msg))
		return
	}
	if !admin && c.RequireEmailVerification && c.VerifyEmailMethod == "link" && in.RedirectTo == nil {
		writeError(w, authBadInput("redirectTo is required when link-based email verification is enabled"))
		return
	}
	if slices.ContainsFunc(st.users, func(u *authUser) bool { return u.Email == email }) {
		writeError(w, &APIError{Status: 409, Code: "AUTH_EMAIL_EXISTS", Message: "User already exists"})
		return
	}
	now := isoMillis(time.Now())
	u := &authUser{ID: newUUID(), Email: email, Password: in.Password, EmailVerified: admin && in.AutoConfirm,
		Profile: map[string]any{}, CreatedAt: now, UpdatedAt: now}
	if in.Name != nil {
		u.Profile["name"] = strings.TrimSpace(*in.Name)
	}
	st.users = append(st.users, u)
	if c.RequireEmailVerification {
		// Admin creation sends no mail; public sign-up would send one here.
		writeJSON(w, 200, map[string]any{"accessToken": nil, "requireEmailVerification": !(admin && in.AutoConfirm)})
		return
	}
	out := map[string]any{"user": u.json(), "accessToken": authFakeJWT(u.ID, u.Email), "requireEmailVerification": false}
	if !admin {
		switch r.URL.Query().Get("client_type") {
		case "mobile", "desktop", "server":
			out["refreshToken"] = randomHex(32)
		default:
			out["csrfToken"] = randomHex(32)
		}
	}
	writeJSON(w, 200, out)
}

func (st *authState) deleteUsers(_ *Server, w http.ResponseWriter, r *http.Request) {
	var in struct{ UserIDs []string }
	if !bind(w, r, &in) {
		return
	}
	for i, id := range in.UserIDs {
		if !authUUIDRE.MatchString(id) {
			writeError(w, authBadInput("userIds."+strconv.Itoa(i)+": Invalid user ID format"))
			return
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	before := len(st.users)
	st.users = slices.DeleteFunc(st.users, func(u *authUser) bool {
		return slices.ContainsFunc(in.UserIDs, func(id string) bool { return strings.EqualFold(id, u.ID) })
	})
	writeJSON(w, 200, map[string]any{"message": "Users deleted successfully", "deletedCount": before - len(st.users)})
}

// ---- OAuth provider configurations ----

// authOAuthInput is the body of the OAuth create and update routes.
type authOAuthInput struct {
	Provider                string
	ClientID, ClientSecret  *string
	RedirectURI             *string
	NativeClientIDs, Scopes *[]string
	UseSharedKey            *bool
}

func authSharedKeyRefused() *APIError {
	return &APIError{Status: 400, Code: "AUTH_OAUTH_CONFIG_ERROR", Message: "Shared OAuth keys are not enabled in this environment"}
}

func authOAuthNotFound(provider string) *APIError {
	return &APIError{Status: 404, Code: "AUTH_OAUTH_CONFIG_NOT_FOUND", Message: "OAuth configuration for " + provider + " not found"}
}

// oauthJSON is a configuration with its secret, when one is stored.
func oauthJSON(o *authOAuthConfig) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(marshalJSON(o), &m)
	if o.ClientSecret != "" {
		m["clientSecret"] = o.ClientSecret
	}
	return m
}

func (st *authState) createOAuth(_ *Server, w http.ResponseWriter, r *http.Request) {
	var in authOAuthInput
	if !bind(w, r, &in) {
		return
	}
	if !slices.Contains(authProviders, in.Provider) {
		writeError(w, authBadInput("provider: Invalid enum value"))
		return
	}
	if in.UseSharedKey != nil && *in.UseSharedKey {
		writeError(w, authSharedKeyRefused())
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.oauth[in.Provider]; ok {
		writeError(w, &APIError{Status: 409, Code: "AUTH_OAUTH_CONFIG_ALREADY_EXISTS", Message: "OAuth configuration for " + in.Provider + " already exists"})
		return
	}
	now := isoMillis(time.Now())
	o := &authOAuthConfig{ID: newUUID(), Provider: in.Provider, NativeClientIDs: []string{},
		Scopes: slices.Clone(authDefaultScopes[in.Provider]), CreatedAt: now, UpdatedAt: now}
	if in.ClientID != nil && *in.ClientID != "" {
		o.ClientID = in.ClientID
	}
	set(&o.ClientSecret, in.ClientSecret)
	set(&o.NativeClientIDs, in.NativeClientIDs)
	set(&o.Scopes, in.Scopes)
	// redirectUri is deprecated: the backend stores NULL on create.
	st.oauth[in.Provider] = o
	writeJSON(w, 200, o)
}

func (st *authState) getOAuth(_ *Server, w http.ResponseWriter, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	o, ok := st.oauth[strings.ToLower(r.PathValue("provider"))]
	if !ok {
		writeError(w, authOAuthNotFound(r.PathValue("provider")))
		return
	}
	writeJSON(w, 200, oauthJSON(o))
}

func (st *authState) updateOAuth(_ *Server, w http.ResponseWriter, r *http.Request) {
	var in authOAuthInput
	if !bind(w, r, &in) {
		return
	}
	if in.UseSharedKey != nil && *in.UseSharedKey {
		writeError(w, authSharedKeyRefused())
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	o, ok := st.oauth[strings.ToLower(r.PathValue("provider"))]
	if !ok {
		writeError(w, &APIError{Status: 404, Code: "AUTH_OAUTH_CONFIG_NOT_FOUND", Message: "OAuth configuration not found"})
		return
	}
	set(&o.ClientSecret, in.ClientSecret)
	if in.ClientID != nil {
		o.ClientID = in.ClientID
	}
	if in.RedirectURI != nil {
		o.RedirectURI = in.RedirectURI
	}
	set(&o.NativeClientIDs, in.NativeClientIDs)
	set(&o.Scopes, in.Scopes)
	set(&o.UseSharedKey, in.UseSharedKey)
	o.UpdatedAt = isoMillis(time.Now())
	writeJSON(w, 200, o)
}

func (st *authState) deleteOAuth(_ *Server, w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.oauth[strings.ToLower(provider)]; !ok {
		writeError(w, authOAuthNotFound(provider))
		return
	}
	delete(st.oauth, strings.ToLower(provider))
	writeJSON(w, 200, map[string]any{"success": true, "message": "OAuth configuration for " + provider + " deleted successfully"})
}

// ---- SMTP ----

func (st *authState) putSMTP(_ *Server, w http.ResponseWriter, r *http.Request) {
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
		h := strings.ToLower(strings.TrimSuffix(in.Host, "."))
		switch ip := net.ParseIP(in.Host); {
		case ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified()):
			writeError(w, authBadInput("SMTP host is a private or loopback address, which is not allowed"))
			return
		case stored == "":
			writeError(w, authBadInput("SMTP password is required when enabling SMTP"))
			return
		case h == "invalid" || strings.HasSuffix(h, ".invalid"):
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

func (st *authState) putTemplate(_ *Server, w http.ResponseWriter, r *http.Request) {
	typ := r.PathValue("type")
	if !slices.Contains(authTemplateTypes, typ) {
		writeError(w, authBadInput("Invalid template type. Must be one of: "+strings.Join(authTemplateTypes, ", ")))
		return
	}
	var in struct{ Subject, BodyHTML string }
	if !bind(w, r, &in) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	t := st.templates[typ]
	t.Subject, t.BodyHTML, t.UpdatedAt = in.Subject, in.BodyHTML, isoMillis(time.Now())
	writeJSON(w, 200, t)
}
