package insforgetest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
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

var authSMTPPorts = []int{25, 465, 587, 2525}

type authConfig struct {
	ID                       string
	RequireEmailVerification bool
	PasswordMinLength        float64
	RequireNumber            bool
	RequireLowercase         bool
	RequireUppercase         bool
	RequireSpecialChar       bool
	VerifyEmailMethod        string
	ResetPasswordMethod      string
	AllowedRedirectURLs      []string // nil = SQL NULL
	DisableSignup            bool
	CreatedAt, UpdatedAt     string
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
	ID              string
	Provider        string
	ClientID        *string
	ClientSecret    string // "" = no secret stored
	NativeClientIDs []string
	Scopes          []string
	RedirectURI     *string
	UseSharedKey    bool
	CreatedAt       string
	UpdatedAt       string
}

type authSMTP struct {
	ID                 string
	Enabled            bool
	Host               string
	Port               int
	Username           string
	Password           string
	SenderEmail        string
	SenderName         string
	MinIntervalSeconds int
	CreatedAt          string
	UpdatedAt          string
}

type authTemplate struct {
	ID, Type, Subject, BodyHTML, CreatedAt, UpdatedAt string
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
	now := authNow()
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

// authNow formats the current time like node-pg serialises a Date.
func authNow() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

func authOf(s *Server) *authState { return moduleState(s, "auth", newAuthState) }

func registerAuthRoutes(s *Server) {
	st := authOf(s)
	s.setMetadataSection("auth", st.metadata)
	h := func(pattern string, a access, fn func(*Server, http.ResponseWriter, *http.Request)) {
		s.handle(pattern, a, func(w http.ResponseWriter, r *http.Request) { fn(s, w, r) })
	}
	h("GET /api/auth/public-config", accessPublic, st.getPublicConfig)
	h("GET /api/auth/config", accessAdmin, st.getConfig)
	h("PUT /api/auth/config", accessAdmin, st.putConfig)
	h("GET /api/auth/users", accessAdmin, st.listUsers)
	h("POST /api/auth/users", accessUser, st.createUser)
	h("DELETE /api/auth/users", accessAdmin, st.deleteUsers)
	h("GET /api/auth/users/{userId}", accessAdmin, st.getUser)
	h("GET /api/auth/profiles/{userId}", accessPublic, st.getProfile)
	h("POST /api/auth/tokens/anon", accessAdmin, func(s *Server, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"accessToken": secretsOf(s).currentKey("ANON_KEY"),
			"message": "Anon key retrieved successfully (deprecated route, use GET /api/metadata/anon-key)"})
	})
	h("GET /api/auth/oauth/configs", accessAdmin, st.listOAuth)
	h("POST /api/auth/oauth/configs", accessAdmin, st.createOAuth)
	h("GET /api/auth/oauth/{provider}/config", accessAdmin, st.getOAuth)
	h("PUT /api/auth/oauth/{provider}/config", accessAdmin, st.updateOAuth)
	h("DELETE /api/auth/oauth/{provider}/config", accessAdmin, st.deleteOAuth)
	h("GET /api/auth/smtp-config", accessAdmin, st.getSMTP)
	h("PUT /api/auth/smtp-config", accessAdmin, st.putSMTP)
	h("GET /api/auth/email-templates", accessAdmin, st.listTemplates)
	h("PUT /api/auth/email-templates/{type}", accessAdmin, st.putTemplate)
}

// authBadInput is a 400 INVALID_INPUT as thrown by the auth routes (zod
// failures and AppErrors carry no nextActions).
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

// authDecode reads a JSON object body; on failure it answers and returns
// false. Malformed JSON keeps the shared answer (with its nextActions); a
// body that is not an object is a plain zod issue.
func authDecode(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	body, err := decodeObject(r)
	if err != nil {
		if strings.HasPrefix(err.Message, ": Expected object") {
			err = authBadInput(err.Message)
		}
		writeError(w, err)
		return nil, false
	}
	return body, true
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
}

func (c *authConfig) redirectURLs() any {
	if c.AllowedRedirectURLs == nil {
		return nil
	}
	return slices.Clone(c.AllowedRedirectURLs)
}

// json is GET /api/auth/config. st.mu held.
func (c *authConfig) json() map[string]any {
	m := map[string]any{"id": c.ID}
	c.publicFields(m)
	m["allowedRedirectUrls"] = c.redirectURLs()
	m["disableSignup"] = c.DisableSignup
	m["createdAt"] = c.CreatedAt
	m["updatedAt"] = c.UpdatedAt
	return m
}

// providers lists the configured providers, sorted. st.mu held.
func (st *authState) providers() []string { return sortedKeys(st.oauth) }

// smtpJSON is the SMTP config as the API shows it (no password). st.mu held.
func (st *authState) smtpJSON() map[string]any {
	c := st.smtp
	return map[string]any{
		"id": c.ID, "enabled": c.Enabled, "host": c.Host, "port": c.Port, "username": c.Username,
		"hasPassword": c.Password != "", "senderEmail": c.SenderEmail, "senderName": c.SenderName,
		"minIntervalSeconds": c.MinIntervalSeconds, "createdAt": c.CreatedAt, "updatedAt": c.UpdatedAt,
	}
}

// metadata is the "auth" section of GET /api/metadata.
func (st *authState) metadata() any {
	st.mu.Lock()
	defer st.mu.Unlock()
	smtp := st.smtpJSON()
	delete(smtp, "id")
	delete(smtp, "createdAt")
	delete(smtp, "updatedAt")
	m := map[string]any{"oAuthProviders": st.providers(), "customOAuthProviders": []any{}, "smtpConfig": smtp}
	st.config.publicFields(m)
	m["allowedRedirectUrls"] = st.config.redirectURLs()
	m["disableSignup"] = st.config.DisableSignup
	return m
}

func (st *authState) getPublicConfig(_ *Server, w http.ResponseWriter, _ *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	m := map[string]any{"oAuthProviders": st.providers(), "customOAuthProviders": []any{}}
	st.config.publicFields(m)
	m["disableSignup"] = st.config.DisableSignup
	writeJSON(w, 200, m)
}

func (st *authState) getConfig(_ *Server, w http.ResponseWriter, _ *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	writeJSON(w, 200, st.config.json())
}

var (
	// authRedirectHTTPRE and authRedirectCustomRE follow the backend's
	// allowedRedirectUrlsRegex (http(s) URLs with glob hosts/paths, or a
	// custom scheme other than javascript/data/file/vbscript).
	authRedirectHTTPRE   = regexp.MustCompile(`(?i)^https?://(?:[^\s/:?#]*[a-z0-9][^\s/:?#]*|\[[0-9a-f:.]+\])(?::\d+)?(?:/\S*)?$`)
	authRedirectCustomRE = regexp.MustCompile(`(?i)^[a-z][a-z0-9+.-]*:(?://[^\s/]+(?:/\S*)?|/\S*)$`)
	authRedirectBannedRE = regexp.MustCompile(`(?i)^(?:https?|javascript|data|file|vbscript):`)
)

func authValidRedirect(s string) bool {
	if authRedirectHTTPRE.MatchString(s) {
		return true
	}
	return authRedirectCustomRE.MatchString(s) && !authRedirectBannedRE.MatchString(s)
}

func (st *authState) putConfig(_ *Server, w http.ResponseWriter, r *http.Request) {
	body, ok := authDecode(w, r)
	if !ok {
		return
	}
	var is issues
	bools := map[string]*bool{}
	for _, k := range []string{"requireEmailVerification", "requireNumber", "requireLowercase", "requireUppercase", "requireSpecialChar", "disableSignup"} {
		if v, ok := is.boolean(body, k, "", false); ok {
			bools[k] = &v
		}
	}
	var minLen *float64
	if v, present := body["passwordMinLength"]; present {
		n, ok := v.(float64)
		switch {
		case !ok:
			is.add("passwordMinLength", "Expected number, received "+jsonType(v))
		case n < 4:
			is.add("passwordMinLength", "Number must be greater than or equal to 4")
		case n > 128:
			is.add("passwordMinLength", "Number must be less than or equal to 128")
		default:
			minLen = &n
		}
	}
	verify, hasVerify := is.enum(body, "verifyEmailMethod", "", false, "code", "link")
	reset, hasReset := is.enum(body, "resetPasswordMethod", "", false, "code", "link")
	var urls []string
	hasURLs := false
	if v, present := body["allowedRedirectUrls"]; present {
		switch a := v.(type) {
		case nil:
			hasURLs = true
		case []any:
			hasURLs = true
			urls = []string{}
			for i, e := range a {
				p := "allowedRedirectUrls." + strconv.Itoa(i)
				s, ok := e.(string)
				if !ok {
					is.add(p, "Expected string, received "+jsonType(e))
					continue
				}
				if !authValidRedirect(s) {
					is.add(p, "Invalid URL or wildcard URL")
					continue
				}
				urls = append(urls, s)
			}
		default:
			is.add("allowedRedirectUrls", "Expected array, received "+jsonType(v))
		}
	}
	if err := is.err(); err != nil {
		writeError(w, authBadInput(err.Message))
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if v := bools["requireEmailVerification"]; v != nil && *v && !(st.smtp.Enabled && st.smtp.Password != "") {
		writeError(w, errEmailProviderNotConfigured())
		return
	}
	c := &st.config
	changed := len(bools) > 0 || minLen != nil || hasVerify || hasReset || hasURLs
	set := func(k string, dst *bool) {
		if v := bools[k]; v != nil {
			*dst = *v
		}
	}
	set("requireEmailVerification", &c.RequireEmailVerification)
	set("requireNumber", &c.RequireNumber)
	set("requireLowercase", &c.RequireLowercase)
	set("requireUppercase", &c.RequireUppercase)
	set("requireSpecialChar", &c.RequireSpecialChar)
	set("disableSignup", &c.DisableSignup)
	if minLen != nil {
		c.PasswordMinLength = *minLen
	}
	if hasVerify {
		c.VerifyEmailMethod = verify
	}
	if hasReset {
		c.ResetPasswordMethod = reset
	}
	if hasURLs {
		c.AllowedRedirectURLs = urls
	}
	if changed {
		c.UpdatedAt = authNow()
	}
	writeJSON(w, 200, c.json())
}

// ---- users ----

var (
	authUUIDRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// authEmailRE is zod's email pattern without its two lookaheads (no
	// leading dot, no "..": checked separately).
	authEmailRE = regexp.MustCompile(`(?i)^[A-Z0-9_'+\-.]*[A-Z0-9_+-]@(?:[A-Z0-9][A-Z0-9\-]*\.)+[A-Z]{2,}$`)
)

func authValidEmail(s string) bool {
	return authEmailRE.MatchString(s) && !strings.HasPrefix(s, ".") && !strings.Contains(s, "..")
}

// json is the user object (userSchema).
func (u *authUser) json() map[string]any {
	var providers []string
	if u.Password != "" {
		providers = append(providers, "email")
	}
	var profile any
	if u.Profile != nil {
		p := make(map[string]any, len(u.Profile))
		for k, v := range u.Profile {
			p[k] = v
		}
		profile = p
	}
	return map[string]any{
		"id": u.ID, "email": u.Email, "emailVerified": u.EmailVerified, "createdAt": u.CreatedAt,
		"updatedAt": u.UpdatedAt, "providers": append([]string{}, providers...), "profile": profile, "metadata": map[string]any{},
	}
}

func (st *authState) findUser(id string) *authUser {
	for _, u := range st.users {
		if strings.EqualFold(u.ID, id) {
			return u
		}
	}
	return nil
}

// authJSParseInt mimics JavaScript parseInt(s, 10): leading whitespace, an
// optional sign and digits; ok is false when there are no digits (NaN).
func authJSParseInt(s string) (int, bool) {
	s = strings.TrimLeft(s, " \t\n\r")
	sign, i := 1, 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		if s[i] == '-' {
			sign = -1
		}
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0, false
	}
	n, err := strconv.Atoi(s[i:min(j, i+15)])
	if err != nil {
		return 0, false
	}
	return sign * n, true
}

// authLikeRE turns a search term into the regexp of SQL LIKE '%term%'
// (case-sensitive; % and _ are wildcards, backslash escapes).
func authLikeRE(term string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)")
	rs := []rune(term)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; {
		case c == '\\' && i+1 < len(rs):
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case c == '%':
			b.WriteString(".*")
		case c == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return regexp.MustCompile(b.String())
}

func (st *authState) listUsers(_ *Server, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 10
	if n, ok := authJSParseInt(q.Get("limit")); ok && n != 0 {
		limit = max(1, n)
	}
	offset := 0
	if n, ok := authJSParseInt(q.Get("offset")); ok {
		offset = max(0, n)
	}
	var match func(*authUser) bool
	if search := q.Get("search"); search != "" {
		re := authLikeRE(search)
		match = func(u *authUser) bool {
			name, _ := u.Profile["name"].(string)
			return re.MatchString(u.Email) || (name != "" && re.MatchString(name))
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	var all []*authUser
	for i := len(st.users) - 1; i >= 0; i-- { // newest first
		if match == nil || match(st.users[i]) {
			all = append(all, st.users[i])
		}
	}
	data := []map[string]any{}
	for _, u := range pageSlice(all, limit, offset) {
		data = append(data, u.json())
	}
	writeJSON(w, 200, map[string]any{"data": data, "pagination": map[string]any{"offset": offset, "limit": limit, "total": len(all)}})
}

func (st *authState) getUser(_ *Server, w http.ResponseWriter, r *http.Request) {
	st.answerUser(w, r, "User does not exist", func(u *authUser) any { return u.json() })
}

func (st *authState) getProfile(_ *Server, w http.ResponseWriter, r *http.Request) {
	st.answerUser(w, r, "User not found", func(u *authUser) any {
		return map[string]any{"id": u.ID, "profile": u.json()["profile"]}
	})
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
	u := st.findUser(id)
	if u == nil {
		writeError(w, &APIError{Status: 404, Code: "AUTH_USER_NOT_FOUND", Message: notFound})
		return
	}
	writeJSON(w, 200, render(u))
}

// authPasswordOK applies the password policy (validatePassword).
func authPasswordOK(pw string, c *authConfig) bool {
	if float64(len([]rune(pw))) < c.PasswordMinLength {
		return false
	}
	if c.RequireNumber && !strings.ContainsAny(pw, "0123456789") {
		return false
	}
	if c.RequireLowercase && !strings.ContainsAny(pw, "abcdefghijklmnopqrstuvwxyz") {
		return false
	}
	if c.RequireUppercase && !strings.ContainsAny(pw, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		return false
	}
	if c.RequireSpecialChar && !strings.ContainsAny(pw, `!@#$%^&*()_+-=[]{};\|,.<>/?`) {
		return false
	}
	return true
}

// authPasswordRules is the backend's password requirements message.
func authPasswordRules(c *authConfig) string {
	reqs := []string{fmt.Sprintf("at least %v characters long", c.PasswordMinLength)}
	if c.RequireNumber {
		reqs = append(reqs, "at least one number")
	}
	if c.RequireLowercase {
		reqs = append(reqs, "at least one lowercase letter")
	}
	if c.RequireUppercase {
		reqs = append(reqs, "at least one uppercase letter")
	}
	if c.RequireSpecialChar {
		reqs = append(reqs, "at least one special character")
	}
	return "Password must contain " + strings.Join(reqs, ", ")
}

// authFakeJWT returns a token shaped like a JWT (not verifiable).
func authFakeJWT(sub, email string) string {
	enc := base64.RawURLEncoding
	var sig [32]byte
	_, _ = rand.Read(sig[:])
	now := time.Now().Unix()
	payload := fmt.Sprintf(`{"sub":%q,"email":%q,"role":"authenticated","iat":%d,"exp":%d}`, sub, email, now, now+900)
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(sig[:])
}

func authRandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (st *authState) createUser(_ *Server, w http.ResponseWriter, r *http.Request) {
	admin := requestRole(r) == roleAdmin
	body, ok := authDecode(w, r)
	if !ok {
		return
	}
	var is issues
	email, hasEmail := is.str(body, "email", "", true, 0, 0)
	if hasEmail && !authValidEmail(email) {
		is.add("email", "Invalid email format")
		hasEmail = false
	}
	password, _ := is.str(body, "password", "", true, 0, 0)
	name, hasName := is.str(body, "name", "", false, 0, 0)
	if hasName {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			is.add("name", "Name is required")
		case len([]rune(name)) > 100:
			is.add("name", "Name must be less than 100 characters")
		}
	}
	redirectTo, hasRedirect := is.str(body, "redirectTo", "", false, 0, 0)
	if hasRedirect {
		if u, err := url.Parse(redirectTo); err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "") {
			is.add("redirectTo", "Invalid url")
		}
	}
	autoConfirm, _ := is.boolean(body, "autoConfirm", "", false)
	if err := is.err(); err != nil {
		writeError(w, authBadInput(err.Message))
		return
	}
	email = strings.TrimSpace(strings.ToLower(email))

	st.mu.Lock()
	defer st.mu.Unlock()
	c := &st.config
	if !admin && c.DisableSignup {
		writeError(w, &APIError{Status: 403, Code: "AUTH_SIGNUP_DISABLED", Message: "User signups are disabled for this project."})
		return
	}
	if !authPasswordOK(password, c) {
		writeError(w, authBadInput(authPasswordRules(c)))
		return
	}
	if !admin && c.RequireEmailVerification && c.VerifyEmailMethod == "link" && !hasRedirect {
		writeError(w, authBadInput("redirectTo is required when link-based email verification is enabled"))
		return
	}
	for _, u := range st.users {
		if u.Email == email {
			writeError(w, &APIError{Status: 409, Code: "AUTH_EMAIL_EXISTS", Message: "User already exists"})
			return
		}
	}
	now := authNow()
	u := &authUser{ID: newUUID(), Email: email, Password: password, EmailVerified: admin && autoConfirm,
		Profile: map[string]any{}, CreatedAt: now, UpdatedAt: now}
	if hasName {
		u.Profile["name"] = name
	}
	st.users = append(st.users, u)

	if c.RequireEmailVerification {
		// Admin creation sends no mail; public sign-up would send one here.
		writeJSON(w, 200, map[string]any{"accessToken": nil, "requireEmailVerification": !(admin && autoConfirm)})
		return
	}
	out := map[string]any{"user": u.json(), "accessToken": authFakeJWT(u.ID, u.Email), "requireEmailVerification": false}
	if !admin {
		switch r.URL.Query().Get("client_type") {
		case "mobile", "desktop", "server":
			out["refreshToken"] = authRandomHex(32)
		default:
			out["csrfToken"] = authRandomHex(32)
		}
	}
	writeJSON(w, 200, out)
}

func (st *authState) deleteUsers(_ *Server, w http.ResponseWriter, r *http.Request) {
	body, ok := authDecode(w, r)
	if !ok {
		return
	}
	var is issues
	var ids []string
	if arr, present := body["userIds"]; !present {
		is.add("userIds", "Required")
	} else if a, ok := arr.([]any); !ok {
		is.add("userIds", "Expected array, received "+jsonType(arr))
	} else {
		if len(a) == 0 {
			is.add("userIds", "At least one user ID is required")
		}
		for i, v := range a {
			p := "userIds." + strconv.Itoa(i)
			s, ok := v.(string)
			switch {
			case !ok:
				is.add(p, "Expected string, received "+jsonType(v))
			case !authUUIDRE.MatchString(s):
				is.add(p, "Invalid user ID format")
			default:
				ids = append(ids, s)
			}
		}
	}
	if err := is.err(); err != nil {
		writeError(w, authBadInput(err.Message))
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	kept := st.users[:0:0]
	deleted := 0
	for _, u := range st.users {
		if slices.ContainsFunc(ids, func(id string) bool { return strings.EqualFold(id, u.ID) }) {
			deleted++
			continue
		}
		kept = append(kept, u)
	}
	st.users = kept
	writeJSON(w, 200, map[string]any{"message": "Users deleted successfully", "deletedCount": deleted})
}

// ---- OAuth provider configurations ----

func (o *authOAuthConfig) json() map[string]any {
	var clientID, redirect any
	if o.ClientID != nil {
		clientID = *o.ClientID
	}
	if o.RedirectURI != nil {
		redirect = *o.RedirectURI
	}
	return map[string]any{
		"id": o.ID, "provider": o.Provider, "clientId": clientID, "nativeClientIds": slices.Clone(o.NativeClientIDs),
		"redirectUri": redirect, "scopes": slices.Clone(o.Scopes), "useSharedKey": o.UseSharedKey,
		"createdAt": o.CreatedAt, "updatedAt": o.UpdatedAt,
	}
}

// oauthFields validates the create/update fields shared by both schemas.
func (is *issues) oauthFields(body map[string]any) (clientID, secret, redirect *string, native, scopes *[]string, shared *bool) {
	for key, dst := range map[string]**string{"clientId": &clientID, "clientSecret": &secret, "redirectUri": &redirect} {
		if v, ok := is.str(body, key, "", false, 0, 0); ok {
			*dst = &v
		}
	}
	if a, ok := is.array(body, "nativeClientIds", "", false, 0); ok {
		ids := []string{}
		for i, v := range a {
			p := "nativeClientIds." + strconv.Itoa(i)
			s, ok := v.(string)
			if !ok {
				is.add(p, "Expected string, received "+jsonType(v))
				continue
			}
			s = strings.TrimSpace(s)
			switch {
			case s == "":
				is.add(p, "String must contain at least 1 character(s)")
			case len([]rune(s)) > 255:
				is.add(p, "String must contain at most 255 character(s)")
			case !slices.Contains(ids, s):
				ids = append(ids, s)
			}
		}
		if len(a) > 20 {
			is.add("nativeClientIds", "At most 20 native client IDs are allowed")
		}
		native = &ids
	}
	if a, ok := is.array(body, "scopes", "", false, 0); ok {
		sc := []string{}
		for i, v := range a {
			s, ok := v.(string)
			if !ok {
				is.add("scopes."+strconv.Itoa(i), "Expected string, received "+jsonType(v))
				continue
			}
			sc = append(sc, s)
		}
		scopes = &sc
	}
	if b, ok := is.boolean(body, "useSharedKey", "", false); ok {
		shared = &b
	}
	return
}

func authSharedKeyRefused() *APIError {
	return &APIError{Status: 400, Code: "AUTH_OAUTH_CONFIG_ERROR", Message: "Shared OAuth keys are not enabled in this environment"}
}

func authOAuthNotFound(provider string) *APIError {
	return &APIError{Status: 404, Code: "AUTH_OAUTH_CONFIG_NOT_FOUND", Message: "OAuth configuration for " + provider + " not found"}
}

func (st *authState) listOAuth(_ *Server, w http.ResponseWriter, _ *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	data := []map[string]any{}
	for _, p := range sortedKeys(st.oauth) {
		data = append(data, st.oauth[p].json())
	}
	writeJSON(w, 200, map[string]any{"data": data, "count": len(data)})
}

func (st *authState) createOAuth(_ *Server, w http.ResponseWriter, r *http.Request) {
	body, ok := authDecode(w, r)
	if !ok {
		return
	}
	var is issues
	provider, _ := is.enum(body, "provider", "", true, authProviders...)
	clientID, secret, _, native, scopes, _ := is.oauthFields(body)
	shared, _ := is.boolean(body, "useSharedKey", "", true)
	if err := is.err(); err != nil {
		writeError(w, authBadInput(err.Message))
		return
	}
	if shared {
		writeError(w, authSharedKeyRefused())
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.oauth[provider]; ok {
		writeError(w, &APIError{Status: 409, Code: "AUTH_OAUTH_CONFIG_ALREADY_EXISTS", Message: "OAuth configuration for " + provider + " already exists"})
		return
	}
	now := authNow()
	o := &authOAuthConfig{ID: newUUID(), Provider: provider, NativeClientIDs: []string{}, CreatedAt: now, UpdatedAt: now}
	if clientID != nil && *clientID != "" {
		o.ClientID = clientID
	}
	if secret != nil {
		o.ClientSecret = *secret
	}
	if native != nil {
		o.NativeClientIDs = *native
	}
	o.Scopes = slices.Clone(authDefaultScopes[provider])
	if scopes != nil {
		o.Scopes = *scopes
	}
	// redirectUri is deprecated: the backend stores NULL on create.
	st.oauth[provider] = o
	writeJSON(w, 200, o.json())
}

func (st *authState) getOAuth(_ *Server, w http.ResponseWriter, r *http.Request) {
	provider := strings.ToLower(r.PathValue("provider"))
	st.mu.Lock()
	defer st.mu.Unlock()
	o, ok := st.oauth[provider]
	if !ok {
		writeError(w, authOAuthNotFound(r.PathValue("provider")))
		return
	}
	m := o.json()
	if o.ClientSecret != "" {
		m["clientSecret"] = o.ClientSecret
	}
	writeJSON(w, 200, m)
}

func (st *authState) updateOAuth(_ *Server, w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	if len(provider) > 50 {
		writeError(w, authBadInput("Invalid provider name"))
		return
	}
	body, ok := authDecode(w, r)
	if !ok {
		return
	}
	var is issues
	clientID, secret, redirect, native, scopes, shared := is.oauthFields(body)
	if err := is.err(); err != nil {
		writeError(w, authBadInput(err.Message))
		return
	}
	if shared != nil && *shared {
		writeError(w, authSharedKeyRefused())
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	o, ok := st.oauth[strings.ToLower(provider)]
	if !ok {
		writeError(w, &APIError{Status: 404, Code: "AUTH_OAUTH_CONFIG_NOT_FOUND", Message: "OAuth configuration not found"})
		return
	}
	if secret != nil {
		o.ClientSecret = *secret
	}
	changed := false
	if clientID != nil {
		o.ClientID, changed = clientID, true
	}
	if native != nil {
		o.NativeClientIDs, changed = *native, true
	}
	if redirect != nil {
		o.RedirectURI, changed = redirect, true
	}
	if scopes != nil {
		o.Scopes, changed = *scopes, true
	}
	if shared != nil {
		o.UseSharedKey, changed = *shared, true
	}
	if changed {
		o.UpdatedAt = authNow()
	}
	writeJSON(w, 200, o.json())
}

func (st *authState) deleteOAuth(_ *Server, w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	if len(provider) > 50 {
		writeError(w, authBadInput("Invalid provider name"))
		return
	}
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

func (st *authState) getSMTP(_ *Server, w http.ResponseWriter, _ *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	writeJSON(w, 200, st.smtpJSON())
}

func (st *authState) putSMTP(_ *Server, w http.ResponseWriter, r *http.Request) {
	body, ok := authDecode(w, r)
	if !ok {
		return
	}
	var is issues
	enabled, _ := is.boolean(body, "enabled", "", true)
	port := 0
	if v, present := body["port"]; !present {
		is.add("port", "Port must be one of: 25, 465, 587, 2525")
	} else if n, ok := v.(float64); !ok || !slices.Contains(authSMTPPorts, int(n)) || n != float64(int(n)) {
		is.add("port", "Port must be one of: 25, 465, 587, 2525")
	} else {
		port = int(n)
	}
	host, _ := is.str(body, "host", "", false, 0, 0)
	username, _ := is.str(body, "username", "", false, 0, 0)
	password, hasPassword := is.str(body, "password", "", false, 0, 0)
	if hasPassword && password == "" {
		is.add("password", "SMTP password is required")
		hasPassword = false
	}
	senderEmail, _ := is.str(body, "senderEmail", "", false, 0, 0)
	senderName, _ := is.str(body, "senderName", "", false, 0, 0)
	interval := 60
	if v, present := body["minIntervalSeconds"]; present {
		n, ok := v.(float64)
		switch {
		case !ok:
			is.add("minIntervalSeconds", "Expected number, received "+jsonType(v))
		case n != float64(int(n)):
			is.add("minIntervalSeconds", "Expected integer, received float")
		case n < 0:
			is.add("minIntervalSeconds", "Number must be greater than or equal to 0")
		default:
			interval = int(n)
		}
	}
	if enabled && len(is) == 0 {
		if host == "" {
			is.add("host", "SMTP host is required")
		}
		if username == "" {
			is.add("username", "SMTP username is required")
		}
		if !authValidEmail(senderEmail) {
			is.add("senderEmail", "Invalid sender email")
		}
		if senderName == "" {
			is.add("senderName", "Sender name is required")
		}
	}
	if err := is.err(); err != nil {
		writeError(w, authBadInput(err.Message))
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !enabled && st.config.RequireEmailVerification {
		writeError(w, errEmailProviderNotConfigured())
		return
	}
	stored := st.smtp.Password
	if hasPassword {
		stored = password
	}
	if enabled {
		if aerr := smtpHostError(host); aerr != nil {
			writeError(w, aerr)
			return
		}
		if stored == "" {
			writeError(w, authBadInput("SMTP password is required when enabling SMTP"))
			return
		}
		if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "invalid" || strings.HasSuffix(h, ".invalid") {
			writeError(w, &APIError{Status: 400, Code: "EMAIL_SMTP_CONNECTION_FAILED", Message: "SMTP connection failed: getaddrinfo ENOTFOUND " + host})
			return
		}
	}
	c := &st.smtp
	c.Enabled, c.Host, c.Port, c.Username, c.Password = enabled, host, port, username, stored
	c.SenderEmail, c.SenderName, c.MinIntervalSeconds = senderEmail, senderName, interval
	c.UpdatedAt = authNow()
	writeJSON(w, 200, st.smtpJSON())
}

// smtpHostError mirrors validateSmtpHost for IP literals: a private,
// loopback or link-local address is refused. Names are not resolved.
func smtpHostError(host string) *APIError {
	if ip := net.ParseIP(host); ip != nil && smtpPrivateIP(ip) {
		return authBadInput("SMTP host is a private or loopback address, which is not allowed")
	}
	return nil
}

func smtpPrivateIP(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || (ip.To4() != nil && ip.To4()[0] == 100 && ip.To4()[1]&0xc0 == 64)
}

// ---- email templates ----

func (t *authTemplate) json() map[string]any {
	return map[string]any{"id": t.ID, "templateType": t.Type, "subject": t.Subject, "bodyHtml": t.BodyHTML, "createdAt": t.CreatedAt, "updatedAt": t.UpdatedAt}
}

func (st *authState) listTemplates(_ *Server, w http.ResponseWriter, _ *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	data := []map[string]any{}
	for _, typ := range sortedKeys(st.templates) {
		data = append(data, st.templates[typ].json())
	}
	writeJSON(w, 200, map[string]any{"data": data})
}

func (st *authState) putTemplate(_ *Server, w http.ResponseWriter, r *http.Request) {
	typ := r.PathValue("type")
	if !slices.Contains(authTemplateTypes, typ) {
		writeError(w, authBadInput("Invalid template type. Must be one of: "+strings.Join(authTemplateTypes, ", ")))
		return
	}
	body, ok := authDecode(w, r)
	if !ok {
		return
	}
	var is issues
	subject, _ := is.strMsg(body, "subject", "", true, 1, "Subject is required", 0, "")
	html, _ := is.strMsg(body, "bodyHtml", "", true, 1, "Template body is required", 0, "")
	if err := is.err(); err != nil {
		writeError(w, authBadInput(err.Message))
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	t := st.templates[typ]
	t.Subject, t.BodyHTML, t.UpdatedAt = subject, html, authNow()
	writeJSON(w, 200, t.json())
}
