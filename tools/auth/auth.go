// Package auth declares the auth tools: auth settings, users, built-in
// OAuth providers, SMTP and email templates (routes under /api/auth). The
// anon key is served by the metadata toolset (get-anon-key).
package auth

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

const (
	defaultUserLimit = 20
	maxUserLimit     = 200
	maxNativeIDs     = 20
)

// UpdateConfigInput are the arguments of update-auth-config. Pointer
// fields tell "not given" from false or 0.
type UpdateConfigInput struct {
	RequireEmailVerification *bool     `json:"requireEmailVerification,omitempty" jsonschema_description:"Self-hosted: enable SMTP first (update-smtp-config)."`
	PasswordMinLength        *int      `json:"passwordMinLength,omitempty" jsonschema:"minimum=4,maximum=128" jsonschema_description:"In characters."`
	RequireNumber            *bool     `json:"requireNumber,omitempty" jsonschema_description:"Password rule."`
	RequireLowercase         *bool     `json:"requireLowercase,omitempty" jsonschema_description:"Password rule."`
	RequireUppercase         *bool     `json:"requireUppercase,omitempty" jsonschema_description:"Password rule."`
	RequireSpecialChar       *bool     `json:"requireSpecialChar,omitempty" jsonschema_description:"Password rule."`
	VerifyEmailMethod        string    `json:"verifyEmailMethod,omitempty" jsonschema:"enum=code,enum=link" jsonschema_description:"link: the app must pass an allow-listed redirectTo."`
	ResetPasswordMethod      string    `json:"resetPasswordMethod,omitempty" jsonschema:"enum=code,enum=link" jsonschema_description:"As verifyEmailMethod."`
	AllowedRedirectURLs      *[]string `json:"allowedRedirectUrls,omitempty" jsonschema_description:"Replaces the whole list. Exact URLs or globs (https://*.example.com, http://localhost:5173/**)."`
	DisableSignup            *bool     `json:"disableSignup,omitempty" jsonschema_description:"Refuse public sign-up; create-user still works."`
}

// ListUsersInput are the arguments of list-users.
type ListUsersInput struct {
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=200,default=20" jsonschema_description:"Users per page."`
	Offset int    `json:"offset,omitempty" jsonschema:"minimum=0" jsonschema_description:"Users to skip."`
	Search string `json:"search,omitempty" jsonschema_description:"Case-sensitive substring of email or name; % and _ are wildcards."`
}

// UserIDInput names one user.
type UserIDInput struct {
	UserID string `json:"userId" jsonschema:"required,minLength=1,format=uuid" jsonschema_description:"From list-users."`
}

// CreateUserInput are the arguments of create-user.
type CreateUserInput struct {
	Email       string `json:"email" jsonschema:"required,minLength=1" jsonschema_description:"Stored in lower case."`
	Password    string `json:"password" jsonschema:"required,minLength=1" jsonschema_description:"Must meet get-auth-config's rules."`
	Name        string `json:"name,omitempty" jsonschema:"maxLength=100" jsonschema_description:"Saved as profile.name."`
	AutoConfirm *bool  `json:"autoConfirm,omitempty" jsonschema_description:"Mark the email verified."`
}

// DeleteUsersInput are the arguments of delete-users.
type DeleteUsersInput struct {
	UserIDs []string `json:"userIds" jsonschema:"required,minItems=1" jsonschema_description:"UUIDs from list-users."`
}

// OAuthProviderInput names one built-in OAuth provider.
type OAuthProviderInput struct {
	Provider string `json:"provider" jsonschema:"required,enum=google,enum=github,enum=discord,enum=linkedin,enum=facebook,enum=instagram,enum=tiktok,enum=apple,enum=x,enum=spotify,enum=microsoft" jsonschema_description:"Built-in provider."`
}

// GetOAuthProviderInput are the arguments of get-oauth-provider.
type GetOAuthProviderInput struct {
	Provider      string `json:"provider" jsonschema:"required,enum=google,enum=github,enum=discord,enum=linkedin,enum=facebook,enum=instagram,enum=tiktok,enum=apple,enum=x,enum=spotify,enum=microsoft" jsonschema_description:"Built-in provider."`
	IncludeSecret bool   `json:"includeSecret,omitempty" jsonschema_description:"Only if the user asks to see it."`
}

// CreateOAuthProviderInput are the arguments of create-oauth-provider.
type CreateOAuthProviderInput struct {
	Provider        string   `json:"provider" jsonschema:"required,enum=google,enum=github,enum=discord,enum=linkedin,enum=facebook,enum=instagram,enum=tiktok,enum=apple,enum=x,enum=spotify,enum=microsoft" jsonschema_description:"Built-in provider."`
	UseSharedKey    *bool    `json:"useSharedKey" jsonschema:"required" jsonschema_description:"true: InsForge's shared app (Cloud only). false: your own, with clientId and clientSecret."`
	ClientID        string   `json:"clientId,omitempty" jsonschema_description:"Your OAuth app's client ID."`
	ClientSecret    string   `json:"clientSecret,omitempty" jsonschema_description:"Stored encrypted, never shown."`
	NativeClientIDs []string `json:"nativeClientIds,omitempty" jsonschema:"maxItems=20" jsonschema_description:"For native mobile sign-in."`
	Scopes          []string `json:"scopes,omitempty" jsonschema_description:"Default: email and profile."`
	RedirectURI     string   `json:"redirectUri,omitempty" jsonschema:"-"` // deprecated, ignored by the backend
}

// UpdateOAuthProviderInput are the arguments of update-oauth-provider.
type UpdateOAuthProviderInput struct {
	Provider        string    `json:"provider" jsonschema:"required,enum=google,enum=github,enum=discord,enum=linkedin,enum=facebook,enum=instagram,enum=tiktok,enum=apple,enum=x,enum=spotify,enum=microsoft" jsonschema_description:"Built-in provider."`
	UseSharedKey    *bool     `json:"useSharedKey,omitempty" jsonschema_description:"true: InsForge's shared app (Cloud only); false: your own."`
	ClientID        *string   `json:"clientId,omitempty" jsonschema_description:"Your OAuth app's client ID."`
	ClientSecret    *string   `json:"clientSecret,omitempty" jsonschema_description:"Replaces the stored one."`
	NativeClientIDs *[]string `json:"nativeClientIds,omitempty" jsonschema:"maxItems=20" jsonschema_description:"For native mobile sign-in."`
	Scopes          *[]string `json:"scopes,omitempty" jsonschema_description:"Scopes to request."`
	RedirectURI     *string   `json:"redirectUri,omitempty" jsonschema:"-"` // deprecated: the callback is fixed
}

// UpdateSMTPConfigInput are the arguments of update-smtp-config.
type UpdateSMTPConfigInput struct {
	Enabled            *bool  `json:"enabled" jsonschema:"required" jsonschema_description:"false turns custom SMTP off."`
	Port               int    `json:"port" jsonschema:"required,minimum=25,maximum=2525" jsonschema_description:"25, 465 (TLS), 587 or 2525 (STARTTLS)."`
	Host               string `json:"host,omitempty" jsonschema_description:"Public host; required if enabled."`
	Username           string `json:"username,omitempty" jsonschema_description:"Required if enabled."`
	Password           string `json:"password,omitempty" jsonschema_description:"Omit to keep the stored one; required the first time."`
	SenderEmail        string `json:"senderEmail,omitempty" jsonschema_description:"From address; required if enabled."`
	SenderName         string `json:"senderName,omitempty" jsonschema_description:"From name; required if enabled."`
	MinIntervalSeconds *int   `json:"minIntervalSeconds,omitempty" jsonschema:"minimum=0,default=60" jsonschema_description:"Between two emails to one address."`
}

// UpdateEmailTemplateInput are the arguments of update-email-template.
type UpdateEmailTemplateInput struct {
	Type     string `json:"type" jsonschema:"required,enum=email-verification-code,enum=email-verification-link,enum=request-otp,enum=reset-password-code,enum=reset-password-link" jsonschema_description:"Match the method (code or link) in get-auth-config."`
	Subject  string `json:"subject" jsonschema:"required,minLength=1" jsonschema_description:"Placeholders work here too."`
	BodyHTML string `json:"bodyHtml" jsonschema:"required,minLength=1" jsonschema_description:"Keep {{ token }} (code, request-otp) or {{ link }}; {{ name }} and {{ email }} also work."`
}

var (
	uuidRE  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	emailRE = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)
	// schemeRE is the start of a redirect entry: a scheme and a colon.
	schemeRE = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]*):`)
	// Email template placeholders, as the backend renders them.
	tokenPlaceholderRE = regexp.MustCompile(`\{\{\s*token\s*\}\}`)
	linkPlaceholderRE  = regexp.MustCompile(`\{\{\s*link\s*\}\}`)
)

// Config is get-auth-config.
func Config() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-auth-config",
		Title:       "Get auth settings",
		Hints:       tools.Read,
		Description: "Read the auth settings. Sign-up and sign-in screens must match them.",
	}, config)
}

// PublicConfig is get-public-auth-config.
func PublicConfig() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-public-auth-config",
		Title:       "Get public auth config",
		Hints:       tools.Read,
		Description: "Read the auth config app code sees. Show sign-in buttons only for the OAuth providers it lists.",
	}, publicConfig)
}

// UpdateConfig is update-auth-config.
func UpdateConfig() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "update-auth-config",
		Title:       "Update auth settings",
		Hints:       tools.Change,
		Description: "Change auth settings; omitted fields keep their values.",
	}, updateConfig)
}

// ListUsers is list-users.
func ListUsers() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-users",
		Title:       "List users",
		Hints:       tools.Read,
		Description: "List the project's end users, newest first, a page at a time.",
	}, listUsers)
}

// User is get-user.
func User() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-user",
		Title:       "Get a user",
		Hints:       tools.Read,
		Description: "Read one user by id. To find one by email, use list-users with search.",
	}, getUser)
}

// CreateUser is create-user.
func CreateUser() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "create-user",
		Title:       "Create a user",
		Hints:       tools.Create,
		Description: "Create an end user (works with sign-up disabled; no verification email). If verification is required, set autoConfirm or they cannot sign in.",
	}, createUser)
}

// DeleteUsers is delete-users.
func DeleteUsers() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "delete-users",
		Title:       "Delete users",
		Hints:       tools.Remove,
		Description: "Delete users irreversibly; confirm with the user first. App rows referencing auth.users follow their ON DELETE rule.",
	}, deleteUsers)
}

// ListOAuthProviders is list-oauth-providers.
func ListOAuthProviders() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-oauth-providers",
		Title:       "List OAuth providers",
		Hints:       tools.Read,
		Description: "List the configured OAuth providers (no secrets); one not listed is not enabled.",
	}, listOAuthProviders)
}

// OAuthProvider is get-oauth-provider.
func OAuthProvider() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-oauth-provider",
		Title:       "Get an OAuth provider",
		Hints:       tools.Read,
		Description: "Read one OAuth provider's config; the client secret only with includeSecret.",
	}, getOAuthProvider)
}

// CreateOAuthProvider is create-oauth-provider.
func CreateOAuthProvider() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "create-oauth-provider",
		Title:       "Enable an OAuth provider",
		Hints:       tools.Create,
		Description: "Enable a built-in OAuth provider. Register {project URL}/api/auth/oauth/{provider}/callback as its callback at the provider.",
	}, createOAuthProvider)
}

// UpdateOAuthProvider is update-oauth-provider.
func UpdateOAuthProvider() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "update-oauth-provider",
		Title:       "Update an OAuth provider",
		Hints:       tools.Change,
		Description: "Change a configured OAuth provider; omitted fields are kept, lists are replaced.",
	}, updateOAuthProvider)
}

// DeleteOAuthProvider is delete-oauth-provider.
func DeleteOAuthProvider() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "delete-oauth-provider",
		Title:       "Disable an OAuth provider",
		Hints:       tools.Remove,
		Description: "Disable an OAuth provider and delete its secret; remove its button from the app too.",
	}, deleteOAuthProvider)
}

// SMTPConfig is get-smtp-config.
func SMTPConfig() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-smtp-config",
		Title:       "Get SMTP settings",
		Hints:       tools.Read,
		Description: "Read the SMTP settings for auth emails; a self-hosted backend sends none until SMTP is enabled.",
	}, getSMTPConfig)
}

// UpdateSMTPConfig is update-smtp-config.
func UpdateSMTPConfig() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "update-smtp-config",
		Title:       "Update SMTP settings",
		Hints:       tools.Change,
		Description: "Set the SMTP server for auth emails; replaces the whole config but keeps an omitted password. Enabling tests the connection.",
	}, updateSMTPConfig)
}

// ListEmailTemplates is list-email-templates.
func ListEmailTemplates() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-email-templates",
		Title:       "List email templates",
		Hints:       tools.Read,
		Description: "List auth email templates; the verify and reset methods (get-auth-config) decide which are sent.",
	}, listEmailTemplates)
}

// UpdateEmailTemplate is update-email-template.
func UpdateEmailTemplate() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "update-email-template",
		Title:       "Update an email template",
		Hints:       tools.Change,
		Description: "Replace an auth email template's subject and HTML. Used only with custom SMTP.",
	}, updateEmailTemplate)
}

// ---- settings ----

func config(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	cfg, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: "/api/auth/config"})
	if err != nil {
		return nil, err
	}
	return tools.Found("Auth settings: "+configSummary(cfg, true), cfg), nil
}

func publicConfig(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	cfg, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: "/api/auth/public-config", NoAuth: true})
	if err != nil {
		return nil, err
	}
	return tools.Found("Public auth configuration (what the app sees, fetched without credentials): "+configSummary(cfg, false), cfg), nil
}

func updateConfig(ctx context.Context, env *tools.Env, in UpdateConfigInput) (*tools.Result, error) {
	body := map[string]any{}
	for name, v := range map[string]*bool{
		"requireEmailVerification": in.RequireEmailVerification, "requireNumber": in.RequireNumber,
		"requireLowercase": in.RequireLowercase, "requireUppercase": in.RequireUppercase,
		"requireSpecialChar": in.RequireSpecialChar, "disableSignup": in.DisableSignup,
	} {
		if v != nil {
			body[name] = *v
		}
	}
	if in.PasswordMinLength != nil {
		if n := *in.PasswordMinLength; n < 4 || n > 128 {
			return nil, tools.Errorf("passwordMinLength must be between 4 and 128 (got %d). Nothing was changed.", n)
		}
		body["passwordMinLength"] = *in.PasswordMinLength
	}
	if in.VerifyEmailMethod != "" {
		body["verifyEmailMethod"] = in.VerifyEmailMethod
	}
	if in.ResetPasswordMethod != "" {
		body["resetPasswordMethod"] = in.ResetPasswordMethod
	}
	if in.AllowedRedirectURLs != nil {
		urls := *in.AllowedRedirectURLs
		for i, u := range urls {
			if err := checkRedirectURL(u); err != nil {
				return nil, tools.Errorf("allowedRedirectUrls[%d] %q %s. Nothing was changed.", i, u, err)
			}
		}
		urls = tools.OrEmpty(urls)
		body["allowedRedirectUrls"] = urls
	}
	if len(body) == 0 {
		return nil, tools.Errorf("update-auth-config needs at least one setting to change: requireEmailVerification, passwordMinLength, requireNumber, requireLowercase, requireUppercase, requireSpecialChar, verifyEmailMethod, resetPasswordMethod, allowedRedirectUrls or disableSignup. Nothing was sent.")
	}
	cfg, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Method: http.MethodPut, Path: "/api/auth/config", Body: body})
	if err != nil {
		if errCode(err) == "EMAIL_PROVIDER_NOT_CONFIGURED" {
			return nil, tools.Errorf("%s Nothing was changed. Enable custom SMTP with update-smtp-config (host, port, username, password, sender), then require email verification again.", tools.Explain(err))
		}
		return nil, err
	}
	return tools.Found(fmt.Sprintf("Updated %s. Now: %s", strings.Join(slices.Sorted(maps.Keys(body)), ", "), configSummary(cfg, true)), cfg), nil
}

// checkRedirectURL catches allow-list entries the backend would refuse for
// an obvious reason; the backend checks the rest.
func checkRedirectURL(u string) error {
	if u == "" || strings.ContainsAny(u, " \t\r\n") {
		return errors.New("is empty or contains spaces")
	}
	m := schemeRE.FindStringSubmatch(u)
	if m == nil {
		return errors.New("needs a scheme, such as https://app.example.com or myapp://callback")
	}
	switch strings.ToLower(m[1]) {
	case "javascript", "data", "file", "vbscript":
		return fmt.Errorf("uses the %s: scheme, which is refused", strings.ToLower(m[1]))
	}
	return nil
}

// configSummary describes auth settings in one or two sentences.
func configSummary(cfg map[string]any, admin bool) string {
	var parts []string
	if b, _ := cfg["requireEmailVerification"].(bool); b {
		parts = append(parts, fmt.Sprintf("email verification is required (by %v)", cfg["verifyEmailMethod"]))
	} else {
		parts = append(parts, "email verification is off")
	}
	rules := []string{fmt.Sprintf("at least %v characters", cfg["passwordMinLength"])}
	for _, r := range []struct{ key, text string }{
		{"requireNumber", "a digit"}, {"requireLowercase", "a lowercase letter"},
		{"requireUppercase", "an uppercase letter"}, {"requireSpecialChar", "a special character"},
	} {
		if b, _ := cfg[r.key].(bool); b {
			rules = append(rules, r.text)
		}
	}
	parts = append(parts, "passwords need "+strings.Join(rules, ", "))
	if m, ok := cfg["resetPasswordMethod"].(string); ok {
		parts = append(parts, "password reset by "+m)
	}
	if b, _ := cfg["disableSignup"].(bool); b {
		parts = append(parts, "public sign-up is disabled")
	} else {
		parts = append(parts, "public sign-up is open")
	}
	if admin {
		urls, _ := cfg["allowedRedirectUrls"].([]any)
		if len(urls) == 0 {
			parts = append(parts, "no redirect URLs are allow-listed (add the app's origins before using OAuth or email links)")
		} else {
			parts = append(parts, tools.Plural(len(urls), "redirect URL")+" allow-listed")
		}
	}
	s := strings.Join(parts, "; ") + "."
	if !admin {
		names := providerNames(cfg["oAuthProviders"])
		names = append(names, providerNames(cfg["customOAuthProviders"])...)
		if len(names) == 0 {
			s += " No OAuth provider is enabled."
		} else {
			s += " OAuth providers: " + strings.Join(names, ", ") + "."
		}
	}
	return s
}

func providerNames(v any) []string {
	var out []string
	items, _ := v.([]any)
	for _, it := range items {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// ---- users ----

func listUsers(ctx context.Context, env *tools.Env, in ListUsersInput) (*tools.Result, error) {
	limit, err := tools.CheckPage(in.Limit, defaultUserLimit, maxUserLimit, in.Offset, "; page through more users with offset")
	if err != nil {
		return nil, err
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(in.Offset)}}
	if in.Search != "" {
		q.Set("search", in.Search)
	}
	out, _, err := insforge.Call[struct {
		Data       []any `json:"data"`
		Pagination struct {
			Offset *int `json:"offset"`
			Limit  *int `json:"limit"`
			Total  *int `json:"total"`
		} `json:"pagination"`
	}](ctx, env.Client, insforge.Request{Path: "/api/auth/users", Query: q})
	if err != nil {
		return nil, err
	}
	out.Data = tools.OrEmpty(out.Data)
	offset := in.Offset
	if out.Pagination.Offset != nil {
		offset = *out.Pagination.Offset
	}
	matching := ""
	if in.Search != "" {
		matching = fmt.Sprintf(" matching %q", in.Search)
	}
	n := len(out.Data)
	var summary string
	switch {
	case out.Pagination.Total == nil:
		summary = fmt.Sprintf("%s%s from offset %d.", tools.UpperFirst(tools.Plural(n, "user")), matching, offset)
	case *out.Pagination.Total == 0:
		summary = fmt.Sprintf("No users%s.", matching)
	case n == 0:
		summary = fmt.Sprintf("No users at offset %d: there are %s%s in total. Use a smaller offset.", offset, tools.Plural(*out.Pagination.Total, "user"), matching)
	default:
		total := *out.Pagination.Total
		if n == 1 {
			summary = fmt.Sprintf("User %d of %d%s, newest first.", offset+1, total, matching)
		} else {
			summary = fmt.Sprintf("Users %d-%d of %d%s, newest first.", offset+1, offset+n, total, matching)
		}
	}
	pagination := map[string]any{"offset": offset, "limit": limit}
	if out.Pagination.Limit != nil {
		pagination["limit"] = *out.Pagination.Limit
	}
	if out.Pagination.Total != nil {
		pagination["total"] = *out.Pagination.Total
	}
	r := tools.Found(summary, map[string]any{"users": out.Data, "pagination": pagination})
	if out.Pagination.Total != nil && len(out.Data) > 0 {
		r.Page = tools.OffsetPage("users", offset, len(out.Data), *out.Pagination.Total, limit, "Call list-users again with offset %d for the next page.", "")
	}
	return r, nil
}

func checkUserID(id string) error {
	if !uuidRE.MatchString(strings.TrimSpace(id)) {
		return tools.Errorf("%q is not a user id: ids are UUIDs such as 3f8e2a4c-1b2d-4c5e-8f9a-0b1c2d3e4f5a. Find users with list-users (search by email).", id)
	}
	return nil
}

func getUser(ctx context.Context, env *tools.Env, in UserIDInput) (*tools.Result, error) {
	if err := checkUserID(in.UserID); err != nil {
		return nil, err
	}
	id := strings.TrimSpace(in.UserID)
	user, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: "/api/auth/users/" + url.PathEscape(id)})
	if err != nil {
		if insforge.StatusOf(err) == http.StatusNotFound && errCode(err) == "AUTH_USER_NOT_FOUND" {
			return nil, tools.Errorf("No user has id %s (it may have been deleted). Use list-users with search to find a user by email.", id)
		}
		return nil, err
	}
	return tools.Found(fmt.Sprintf("User %v (%s).", user["email"], emailState(user)), user), nil
}

func emailState(user map[string]any) string {
	if b, _ := user["emailVerified"].(bool); b {
		return "email verified"
	}
	return "email not verified"
}

func createUser(ctx context.Context, env *tools.Env, in CreateUserInput) (*tools.Result, error) {
	email := strings.TrimSpace(in.Email)
	if !emailRE.MatchString(email) {
		return nil, tools.Errorf("%q is not an email address. Nothing was created.", in.Email)
	}
	if in.Password == "" {
		return nil, tools.Errorf("password must not be empty. Nothing was created.")
	}
	body := map[string]any{"email": email, "password": in.Password}
	if in.Name != "" {
		name := strings.TrimSpace(in.Name)
		if name == "" || len([]rune(name)) > 100 {
			return nil, tools.Errorf("name must be 1 to 100 characters (not only spaces). Nothing was created.")
		}
		body["name"] = name
	}
	if in.AutoConfirm != nil {
		body["autoConfirm"] = *in.AutoConfirm
	}
	out, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/auth/users", Body: body})
	if err != nil {
		switch {
		case errCode(err) == "AUTH_EMAIL_EXISTS":
			return nil, tools.Errorf("%s A user with email %s already exists; find it with list-users (search %q).", tools.Explain(err), strings.ToLower(email), strings.ToLower(email))
		case insforge.StatusOf(err) == http.StatusBadRequest && strings.Contains(strings.ToLower(errMessage(err)), "password"):
			return nil, tools.Errorf("%s Nothing was created. get-auth-config shows the password rules.", tools.Explain(err))
		}
		return nil, err
	}
	// The agent needs the user and the verification state, not the new
	// user's session tokens.
	data := map[string]any{}
	needsVerification, _ := out["requireEmailVerification"].(bool)
	data["requireEmailVerification"] = needsVerification
	user, _ := out["user"].(map[string]any)
	if user == nil {
		// With verification required the backend returns no user: look it up.
		user = findUserByEmail(ctx, env, strings.ToLower(email))
	}
	if user != nil {
		data["user"] = user
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Created user %s", strings.ToLower(email))
	if user != nil {
		fmt.Fprintf(&b, " with id %v", user["id"])
	}
	b.WriteString(". ")
	switch {
	case needsVerification:
		b.WriteString("The project requires email verification and this user is not verified, and admin creation sends no email: the user cannot sign in until they verify (the app can send a code or link), or recreate the user with autoConfirm: true.")
	case in.AutoConfirm != nil && *in.AutoConfirm:
		b.WriteString("The email is marked as verified; the user can sign in with this password now.")
	default:
		b.WriteString("The user can sign in with this password now.")
	}
	return tools.Found(b.String(), data), nil
}

// findUserByEmail returns the user with exactly this email, or nil.
func findUserByEmail(ctx context.Context, env *tools.Env, email string) map[string]any {
	q := url.Values{"search": {email}, "limit": {"50"}, "offset": {"0"}}
	out, _, err := insforge.Call[struct {
		Data []map[string]any `json:"data"`
	}](ctx, env.Client, insforge.Request{Path: "/api/auth/users", Query: q})
	if err != nil {
		return nil
	}
	for _, u := range out.Data {
		if e, _ := u["email"].(string); strings.EqualFold(e, email) {
			return u
		}
	}
	return nil
}

func deleteUsers(ctx context.Context, env *tools.Env, in DeleteUsersInput) (*tools.Result, error) {
	if len(in.UserIDs) == 0 {
		return nil, tools.Errorf("userIds must list at least one user id. Nothing was deleted.")
	}
	var ids []string
	for _, id := range in.UserIDs {
		id = strings.TrimSpace(id)
		if !uuidRE.MatchString(id) {
			return nil, tools.Errorf("%q is not a user id (a UUID). Nothing was deleted. Find ids with list-users.", id)
		}
		if !slices.ContainsFunc(ids, func(s string) bool { return strings.EqualFold(s, id) }) {
			ids = append(ids, id)
		}
	}
	out, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Method: http.MethodDelete, Path: "/api/auth/users", Body: map[string]any{"userIds": ids}})
	if err != nil {
		return nil, err
	}
	deleted := -1
	if n, err := strconv.Atoi(fmt.Sprint(out["deletedCount"])); err == nil {
		deleted = n
	}
	var summary string
	switch {
	case deleted < 0:
		summary = fmt.Sprintf("Asked the backend to delete %s.", tools.Plural(len(ids), "user"))
	case deleted == len(ids):
		summary = fmt.Sprintf("Deleted %s.", tools.Plural(deleted, "user"))
	default:
		summary = fmt.Sprintf("Deleted %d of %s; the other ids matched no user (already deleted or wrong id).", deleted, tools.Plural(len(ids), "requested user"))
	}
	return tools.Found(summary, out), nil
}

// ---- OAuth providers ----

func oauthPath(provider string) string {
	return "/api/auth/oauth/" + url.PathEscape(provider) + "/config"
}

// withoutSecret removes a client secret from a provider configuration and
// reports whether one was there.
func withoutSecret(cfg map[string]any) bool {
	s, ok := cfg["clientSecret"]
	delete(cfg, "clientSecret")
	return ok && s != nil && s != ""
}

func listOAuthProviders(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	out, _, err := insforge.Call[struct {
		Data []map[string]any `json:"data"`
	}](ctx, env.Client, insforge.Request{Path: "/api/auth/oauth/configs"})
	if err != nil {
		return nil, err
	}
	out.Data = tools.OrEmpty(out.Data)
	var names []string
	for _, c := range out.Data {
		withoutSecret(c)
		names = append(names, fmt.Sprint(c["provider"]))
	}
	summary := "No OAuth provider is configured; enable one with create-oauth-provider."
	if len(names) > 0 {
		summary = fmt.Sprintf("%s configured: %s. Client secrets are not shown.", tools.UpperFirst(tools.Plural(len(names), "OAuth provider")), strings.Join(names, ", "))
	}
	return tools.Found(summary, map[string]any{"providers": out.Data}), nil
}

func oauthNotFound(err error, provider string) error {
	if insforge.StatusOf(err) == http.StatusNotFound && errCode(err) == "AUTH_OAUTH_CONFIG_NOT_FOUND" {
		return tools.Errorf("%s is not configured as an OAuth provider. list-oauth-providers shows the configured ones; enable it with create-oauth-provider.", provider)
	}
	return err
}

func getOAuthProvider(ctx context.Context, env *tools.Env, in GetOAuthProviderInput) (*tools.Result, error) {
	cfg, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: oauthPath(in.Provider)})
	if err != nil {
		return nil, oauthNotFound(err, in.Provider)
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	summary := fmt.Sprintf("OAuth configuration of %s. Its callback URL is %s/api/auth/oauth/%s/callback.", in.Provider, env.Client.BaseURL(), in.Provider)
	if shared, _ := cfg["useSharedKey"].(bool); shared {
		summary += " It uses InsForge's shared OAuth app."
	}
	if in.IncludeSecret {
		if s, ok := cfg["clientSecret"].(string); ok && s != "" {
			summary += " The result includes the client secret in plain text as requested: do not repeat it in your answer or write it into app code."
		} else {
			summary += " No client secret is stored."
		}
		return tools.Found(summary, cfg), nil
	}
	if withoutSecret(cfg) {
		summary += " A client secret is stored but withheld; pass includeSecret: true only if the user asks to see it."
	} else {
		summary += " No client secret is stored."
	}
	return tools.Found(summary, cfg), nil
}

func checkNativeIDs(ids []string) error {
	if len(ids) > maxNativeIDs {
		return tools.Errorf("nativeClientIds allows at most %d ids (got %d). Nothing was sent.", maxNativeIDs, len(ids))
	}
	for i, id := range ids {
		if l := len([]rune(strings.TrimSpace(id))); l == 0 || l > 255 {
			return tools.Errorf("nativeClientIds[%d] must be 1 to 255 characters. Nothing was sent.", i)
		}
	}
	return nil
}

func sharedKeyRefused(err error, provider string) error {
	if errCode(err) == "AUTH_OAUTH_CONFIG_ERROR" {
		return tools.Errorf("%s Shared OAuth keys exist only on InsForge Cloud. Ask the user for the client ID and secret of their own %s OAuth app (callback URL: {project URL}/api/auth/oauth/%s/callback) and retry with useSharedKey: false.", tools.Explain(err), provider, provider)
	}
	return err
}

func createOAuthProvider(ctx context.Context, env *tools.Env, in CreateOAuthProviderInput) (*tools.Result, error) {
	shared := in.UseSharedKey != nil && *in.UseSharedKey
	if err := checkNativeIDs(in.NativeClientIDs); err != nil {
		return nil, err
	}
	body := map[string]any{"provider": in.Provider, "useSharedKey": shared}
	if in.ClientID != "" {
		body["clientId"] = in.ClientID
	}
	if in.ClientSecret != "" {
		body["clientSecret"] = in.ClientSecret
	}
	if in.NativeClientIDs != nil {
		body["nativeClientIds"] = in.NativeClientIDs
	}
	if in.Scopes != nil {
		body["scopes"] = in.Scopes
	}
	if in.RedirectURI != "" {
		body["redirectUri"] = in.RedirectURI
	}
	cfg, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/auth/oauth/configs", Body: body})
	if err != nil {
		if errCode(err) == "AUTH_OAUTH_CONFIG_ALREADY_EXISTS" {
			return nil, tools.Errorf("%s Change it with update-oauth-provider, or delete-oauth-provider first.", tools.Explain(err))
		}
		return nil, sharedKeyRefused(err, in.Provider)
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	withoutSecret(cfg)
	callback := fmt.Sprintf("%s/api/auth/oauth/%s/callback", env.Client.BaseURL(), in.Provider)
	var b strings.Builder
	fmt.Fprintf(&b, "Enabled %s sign-in", in.Provider)
	switch {
	case shared:
		b.WriteString(" with InsForge's shared OAuth app.")
	case in.ClientID == "" || in.ClientSecret == "":
		fmt.Fprintf(&b, ", but without a client ID and secret sign-in with %s fails: set them with update-oauth-provider.", in.Provider)
	default:
		b.WriteString(" with your own OAuth app; the client secret is stored and not shown.")
	}
	if !shared {
		fmt.Fprintf(&b, " Register %s as the callback (redirect) URL in the provider's app settings.", callback)
	}
	b.WriteString(" Add the app's URLs to allowedRedirectUrls (update-auth-config) so sign-in can return to it.")
	return tools.Found(b.String(), cfg), nil
}

func updateOAuthProvider(ctx context.Context, env *tools.Env, in UpdateOAuthProviderInput) (*tools.Result, error) {
	body := map[string]any{}
	if in.UseSharedKey != nil {
		body["useSharedKey"] = *in.UseSharedKey
	}
	if in.ClientID != nil {
		body["clientId"] = *in.ClientID
	}
	if in.ClientSecret != nil {
		if *in.ClientSecret == "" {
			return nil, tools.Errorf("clientSecret must not be empty; omit it to keep the stored secret. Nothing was sent.")
		}
		body["clientSecret"] = *in.ClientSecret
	}
	if in.NativeClientIDs != nil {
		if err := checkNativeIDs(*in.NativeClientIDs); err != nil {
			return nil, err
		}
		body["nativeClientIds"] = tools.OrEmpty(*in.NativeClientIDs)
	}
	if in.Scopes != nil {
		body["scopes"] = tools.OrEmpty(*in.Scopes)
	}
	if in.RedirectURI != nil {
		body["redirectUri"] = *in.RedirectURI
	}
	if len(body) == 0 {
		return nil, tools.Errorf("update-oauth-provider needs at least one field to change: useSharedKey, clientId, clientSecret, nativeClientIds, scopes or redirectUri. Nothing was sent.")
	}
	cfg, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Method: http.MethodPut, Path: oauthPath(in.Provider), Body: body})
	if err != nil {
		if insforge.StatusOf(err) == http.StatusNotFound && errCode(err) == "AUTH_OAUTH_CONFIG_NOT_FOUND" {
			return nil, tools.Errorf("%s is not configured as an OAuth provider, so there is nothing to update; enable it with create-oauth-provider.", in.Provider)
		}
		return nil, sharedKeyRefused(err, in.Provider)
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	withoutSecret(cfg)
	fields := slices.Sorted(maps.Keys(body))
	summary := fmt.Sprintf("Updated %s of the %s OAuth provider.", strings.Join(fields, ", "), in.Provider)
	if in.ClientSecret != nil {
		summary += " The new client secret is stored and not shown."
	}
	return tools.Found(summary, cfg), nil
}

func deleteOAuthProvider(ctx context.Context, env *tools.Env, in OAuthProviderInput) (*tools.Result, error) {
	out, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Method: http.MethodDelete, Path: oauthPath(in.Provider)})
	if err != nil {
		if insforge.StatusOf(err) == http.StatusNotFound && errCode(err) == "AUTH_OAUTH_CONFIG_NOT_FOUND" {
			return tools.Say("%s was not configured as an OAuth provider, so there was nothing to delete.", in.Provider), nil
		}
		return nil, err
	}
	return tools.Found(fmt.Sprintf("Removed the %s OAuth configuration and its stored secret; users can no longer sign in with %s. Remove the button from the app as well.", in.Provider, in.Provider), out), nil
}

// ---- SMTP ----

func smtpSummary(cfg map[string]any) string {
	pw := "no password is stored"
	if b, _ := cfg["hasPassword"].(bool); b {
		pw = "a password is stored (not shown)"
	}
	if b, _ := cfg["enabled"].(bool); !b {
		return "Custom SMTP is off; " + pw + ". A self-hosted backend sends no auth emails until it is enabled."
	}
	return fmt.Sprintf("Custom SMTP is on: %v:%v as %v, sending from %v <%v>, at most one email per %v s to an address; %s.",
		cfg["host"], cfg["port"], cfg["username"], cfg["senderName"], cfg["senderEmail"], cfg["minIntervalSeconds"], pw)
}

func getSMTPConfig(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	cfg, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: "/api/auth/smtp-config"})
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	delete(cfg, "password")
	return tools.Found(smtpSummary(cfg), cfg), nil
}

var smtpPorts = []int{25, 465, 587, 2525}

func updateSMTPConfig(ctx context.Context, env *tools.Env, in UpdateSMTPConfigInput) (*tools.Result, error) {
	if in.Enabled == nil {
		return nil, tools.Errorf("enabled is required: true to use this SMTP server, false to turn custom SMTP off")
	}
	if !slices.Contains(smtpPorts, in.Port) {
		return nil, tools.Errorf("port must be 25, 465, 587 or 2525 (got %d). Nothing was changed.", in.Port)
	}
	if in.MinIntervalSeconds != nil && *in.MinIntervalSeconds < 0 {
		return nil, tools.Errorf("minIntervalSeconds must be 0 or more. Nothing was changed.")
	}
	enabled := *in.Enabled
	if enabled {
		var missing []string
		for _, f := range []struct{ name, v string }{{"host", in.Host}, {"username", in.Username}, {"senderEmail", in.SenderEmail}, {"senderName", in.SenderName}} {
			if strings.TrimSpace(f.v) == "" {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			return nil, tools.Errorf("enabling SMTP needs %s. Nothing was changed.", strings.Join(missing, ", "))
		}
		if !emailRE.MatchString(in.SenderEmail) {
			return nil, tools.Errorf("senderEmail %q is not an email address. Nothing was changed.", in.SenderEmail)
		}
	}
	body := map[string]any{"enabled": enabled, "port": in.Port}
	for name, v := range map[string]string{"host": in.Host, "username": in.Username, "senderEmail": in.SenderEmail, "senderName": in.SenderName, "password": in.Password} {
		if v != "" {
			body[name] = v
		}
	}
	if in.MinIntervalSeconds != nil {
		body["minIntervalSeconds"] = *in.MinIntervalSeconds
	}
	cfg, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Method: http.MethodPut, Path: "/api/auth/smtp-config", Body: body})
	if err != nil {
		switch errCode(err) {
		case "EMAIL_SMTP_CONNECTION_FAILED":
			return nil, tools.Errorf("%s Nothing was changed: the backend could not log in to that SMTP server. Check host, port (465 uses TLS, 587 and 2525 STARTTLS), username and password.", tools.Explain(err))
		case "EMAIL_PROVIDER_NOT_CONFIGURED":
			return nil, tools.Errorf("%s Nothing was changed: email verification is required, which needs SMTP. Turn requireEmailVerification off with update-auth-config first if you really want to disable SMTP.", tools.Explain(err))
		}
		return nil, err
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	delete(cfg, "password")
	return tools.Found("Saved. "+smtpSummary(cfg), cfg), nil
}

// ---- email templates ----

func listEmailTemplates(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	out, _, err := insforge.Call[struct {
		Data []any `json:"data"`
	}](ctx, env.Client, insforge.Request{Path: "/api/auth/email-templates"})
	if err != nil {
		return nil, err
	}
	out.Data = tools.OrEmpty(out.Data)
	var types []string
	for _, t := range out.Data {
		if m, ok := t.(map[string]any); ok {
			types = append(types, fmt.Sprint(m["templateType"]))
		}
	}
	summary := fmt.Sprintf("%s: %s. They are used when auth emails go through custom SMTP.", tools.UpperFirst(tools.Plural(len(out.Data), "email template")), strings.Join(types, ", "))
	return tools.Found(summary, map[string]any{"templates": out.Data}), nil
}

func updateEmailTemplate(ctx context.Context, env *tools.Env, in UpdateEmailTemplateInput) (*tools.Result, error) {
	if strings.TrimSpace(in.Subject) == "" || strings.TrimSpace(in.BodyHTML) == "" {
		return nil, tools.Errorf("subject and bodyHtml must not be empty. Nothing was changed.")
	}
	tpl, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Method: http.MethodPut, Path: "/api/auth/email-templates/" + url.PathEscape(in.Type), Body: map[string]any{"subject": in.Subject, "bodyHtml": in.BodyHTML}})
	if err != nil {
		return nil, err
	}
	summary := fmt.Sprintf("Updated the %s email template.", in.Type)
	placeholder, re, what := "token", tokenPlaceholderRE, "code"
	if strings.HasSuffix(in.Type, "-link") {
		placeholder, re, what = "link", linkPlaceholderRE, "link"
	}
	if !re.MatchString(in.Subject + in.BodyHTML) {
		summary += fmt.Sprintf(" Warning: it has no {{ %s }} placeholder, so the email will not contain the %s the user needs; add it unless that is intended.", placeholder, what)
	}
	return tools.Found(summary, tpl), nil
}

// ---- helpers ----

// errCode is the backend's error code of err, or "".
func errCode(err error) string {
	var ae *insforge.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func errMessage(err error) string {
	var ae *insforge.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return ""
}
