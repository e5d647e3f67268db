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
	RequireEmailVerification *bool     `json:"requireEmailVerification,omitempty" jsonschema_description:"Users must verify their email before they can sign in. On a self-hosted backend, enable custom SMTP (update-smtp-config) first, or the backend refuses with EMAIL_PROVIDER_NOT_CONFIGURED."`
	PasswordMinLength        *int      `json:"passwordMinLength,omitempty" jsonschema:"minimum=4,maximum=128" jsonschema_description:"Minimum password length, 4 to 128."`
	RequireNumber            *bool     `json:"requireNumber,omitempty" jsonschema_description:"Passwords must contain a digit."`
	RequireLowercase         *bool     `json:"requireLowercase,omitempty" jsonschema_description:"Passwords must contain a lowercase letter."`
	RequireUppercase         *bool     `json:"requireUppercase,omitempty" jsonschema_description:"Passwords must contain an uppercase letter."`
	RequireSpecialChar       *bool     `json:"requireSpecialChar,omitempty" jsonschema_description:"Passwords must contain a special character such as !@#$%."`
	VerifyEmailMethod        string    `json:"verifyEmailMethod,omitempty" jsonschema:"enum=code,enum=link" jsonschema_description:"How users verify their email: code (a 6-digit code typed into the app) or link (a link in the email; the app must pass an allow-listed redirectTo)."`
	ResetPasswordMethod      string    `json:"resetPasswordMethod,omitempty" jsonschema:"enum=code,enum=link" jsonschema_description:"How users reset their password: code or link, as for verification."`
	AllowedRedirectURLs      *[]string `json:"allowedRedirectUrls,omitempty" jsonschema_description:"The complete redirect allow-list; it replaces the current list, so include the entries to keep (get-auth-config shows them). Exact URLs or globs such as https://*.example.com or http://localhost:5173/**; custom schemes like myapp://callback work; javascript:, data: and file: are refused. An empty list clears it."`
	DisableSignup            *bool     `json:"disableSignup,omitempty" jsonschema_description:"When true, public sign-up is refused (403 AUTH_SIGNUP_DISABLED); create-user still works."`
}

// ListUsersInput are the arguments of list-users.
type ListUsersInput struct {
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=200,default=20" jsonschema_description:"Users per page (default 20, at most 200)."`
	Offset int    `json:"offset,omitempty" jsonschema:"minimum=0" jsonschema_description:"Users to skip, for the next page (the result says which offset to use)."`
	Search string `json:"search,omitempty" jsonschema_description:"Only users whose email or profile name contains this text (case-sensitive; % and _ act as SQL LIKE wildcards)."`
}

// UserIDInput names one user.
type UserIDInput struct {
	UserID string `json:"userId" jsonschema:"required,minLength=1,format=uuid" jsonschema_description:"The user's id (a UUID), as shown by list-users."`
}

// CreateUserInput are the arguments of create-user.
type CreateUserInput struct {
	Email       string `json:"email" jsonschema:"required,minLength=1" jsonschema_description:"The new user's email address (stored in lower case)."`
	Password    string `json:"password" jsonschema:"required,minLength=1" jsonschema_description:"The initial password; it must meet the project's password rules (get-auth-config). It is never shown back."`
	Name        string `json:"name,omitempty" jsonschema:"maxLength=100" jsonschema_description:"Display name, saved as profile.name (1 to 100 characters)."`
	AutoConfirm *bool  `json:"autoConfirm,omitempty" jsonschema_description:"Mark the email as already verified, so the user can sign in even when the project requires email verification. Handy for test accounts."`
}

// DeleteUsersInput are the arguments of delete-users.
type DeleteUsersInput struct {
	UserIDs []string `json:"userIds" jsonschema:"required,minItems=1" jsonschema_description:"Ids (UUIDs) of the users to delete, at least one."`
}

// OAuthProviderInput names one built-in OAuth provider.
type OAuthProviderInput struct {
	Provider string `json:"provider" jsonschema:"required,enum=google,enum=github,enum=discord,enum=linkedin,enum=facebook,enum=instagram,enum=tiktok,enum=apple,enum=x,enum=spotify,enum=microsoft" jsonschema_description:"The OAuth provider."`
}

// GetOAuthProviderInput are the arguments of get-oauth-provider.
type GetOAuthProviderInput struct {
	Provider      string `json:"provider" jsonschema:"required,enum=google,enum=github,enum=discord,enum=linkedin,enum=facebook,enum=instagram,enum=tiktok,enum=apple,enum=x,enum=spotify,enum=microsoft" jsonschema_description:"The OAuth provider."`
	IncludeSecret bool   `json:"includeSecret,omitempty" jsonschema_description:"Also return the client secret in plain text. Leave it false unless the user explicitly asks to see the secret."`
}

// CreateOAuthProviderInput are the arguments of create-oauth-provider.
type CreateOAuthProviderInput struct {
	Provider        string   `json:"provider" jsonschema:"required,enum=google,enum=github,enum=discord,enum=linkedin,enum=facebook,enum=instagram,enum=tiktok,enum=apple,enum=x,enum=spotify,enum=microsoft" jsonschema_description:"The OAuth provider to enable."`
	UseSharedKey    *bool    `json:"useSharedKey" jsonschema:"required" jsonschema_description:"true uses InsForge's shared OAuth app (InsForge Cloud only; a self-hosted backend refuses it). false uses your own OAuth app: give clientId and clientSecret."`
	ClientID        string   `json:"clientId,omitempty" jsonschema_description:"Client ID of your OAuth app at the provider."`
	ClientSecret    string   `json:"clientSecret,omitempty" jsonschema_description:"Client secret of your OAuth app. It is stored encrypted and never shown back."`
	NativeClientIDs []string `json:"nativeClientIds,omitempty" jsonschema:"maxItems=20" jsonschema_description:"Extra client IDs accepted for native mobile sign-in (ID tokens), at most 20."`
	Scopes          []string `json:"scopes,omitempty" jsonschema_description:"OAuth scopes to request (default: the provider's usual email and profile scopes)."`
	RedirectURI     string   `json:"redirectUri,omitempty" jsonschema_description:"Deprecated and ignored on create: the provider's callback is always {project URL}/api/auth/oauth/{provider}/callback."`
}

// UpdateOAuthProviderInput are the arguments of update-oauth-provider.
type UpdateOAuthProviderInput struct {
	Provider        string    `json:"provider" jsonschema:"required,enum=google,enum=github,enum=discord,enum=linkedin,enum=facebook,enum=instagram,enum=tiktok,enum=apple,enum=x,enum=spotify,enum=microsoft" jsonschema_description:"The configured OAuth provider to change."`
	UseSharedKey    *bool     `json:"useSharedKey,omitempty" jsonschema_description:"Switch between InsForge's shared OAuth app (true, InsForge Cloud only) and your own (false)."`
	ClientID        *string   `json:"clientId,omitempty" jsonschema_description:"New client ID of your OAuth app."`
	ClientSecret    *string   `json:"clientSecret,omitempty" jsonschema_description:"New client secret; it replaces the stored one and is never shown back."`
	NativeClientIDs *[]string `json:"nativeClientIds,omitempty" jsonschema:"maxItems=20" jsonschema_description:"The complete list of native client IDs (replaces the current one), at most 20."`
	Scopes          *[]string `json:"scopes,omitempty" jsonschema_description:"The complete list of scopes to request (replaces the current one)."`
	RedirectURI     *string   `json:"redirectUri,omitempty" jsonschema_description:"Deprecated: the callback is always {project URL}/api/auth/oauth/{provider}/callback."`
}

// UpdateSMTPConfigInput are the arguments of update-smtp-config.
type UpdateSMTPConfigInput struct {
	Enabled            *bool  `json:"enabled" jsonschema:"required" jsonschema_description:"Use this SMTP server for auth emails (true) or turn custom SMTP off (false)."`
	Port               int    `json:"port" jsonschema:"required,enum=25,enum=465,enum=587,enum=2525" jsonschema_description:"SMTP port: 465 (TLS), 587 or 2525 (STARTTLS), or 25."`
	Host               string `json:"host,omitempty" jsonschema_description:"SMTP server host name, such as smtp.example.com (required when enabled; private and loopback addresses are refused)."`
	Username           string `json:"username,omitempty" jsonschema_description:"SMTP user name (required when enabled)."`
	Password           string `json:"password,omitempty" jsonschema_description:"SMTP password. Omit it to keep the stored one; it is required when enabling SMTP for the first time. Never shown back."`
	SenderEmail        string `json:"senderEmail,omitempty" jsonschema_description:"From address of auth emails (required when enabled)."`
	SenderName         string `json:"senderName,omitempty" jsonschema_description:"From name of auth emails (required when enabled)."`
	MinIntervalSeconds *int   `json:"minIntervalSeconds,omitempty" jsonschema:"minimum=0" jsonschema_description:"Minimum seconds between two emails to the same address (default 60)."`
}

// UpdateEmailTemplateInput are the arguments of update-email-template.
type UpdateEmailTemplateInput struct {
	Type     string `json:"type" jsonschema:"required,enum=email-verification-code,enum=email-verification-link,enum=request-otp,enum=reset-password-code,enum=reset-password-link" jsonschema_description:"Which email: the verification or reset email for the configured method (code or link), or request-otp (sign-in code)."`
	Subject  string `json:"subject" jsonschema:"required,minLength=1" jsonschema_description:"Email subject; placeholders such as {{ token }} work here too."`
	BodyHTML string `json:"bodyHtml" jsonschema:"required,minLength=1" jsonschema_description:"Email body as HTML. Placeholders: {{ token }} (the 6-digit code) in code and request-otp templates, {{ link }} in link templates, and {{ name }} and {{ email }} everywhere."`
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
		Name:  "get-auth-config",
		Title: "Get the auth settings",
		Hints: tools.Read,
		Description: "Read the project's auth settings: email verification and its method (code or link), password rules, reset method, the redirect allow-list and whether public sign-up is disabled. " +
			"Read them before building sign-up or sign-in screens, which must match them.",
	}, config)
}

// PublicConfig is get-public-auth-config.
func PublicConfig() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "get-public-auth-config",
		Title: "Get the auth settings app code sees",
		Hints: tools.Read,
		Description: "Read the public auth configuration exactly as app code gets it without credentials: enabled OAuth providers, password rules, verification and reset methods, and whether sign-up is disabled. " +
			"Show sign-in buttons only for the providers it lists.",
	}, publicConfig)
}

// UpdateConfig is update-auth-config.
func UpdateConfig() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "update-auth-config",
		Title: "Change the auth settings",
		Hints: tools.Change,
		Description: "Change auth settings: give only the fields to change, the others keep their values; the full new settings come back. " +
			"allowedRedirectUrls replaces the whole list. Requiring email verification on a self-hosted backend needs custom SMTP enabled first (update-smtp-config).",
	}, updateConfig)
}

// ListUsers is list-users.
func ListUsers() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "list-users",
		Title: "List users",
		Hints: tools.Read,
		Description: "List the project's end users, newest first, a page at a time (default 20, at most 200), optionally filtered by a case-sensitive substring of email or name. " +
			"The result gives the total and the offset of the next page.",
	}, listUsers)
}

// User is get-user.
func User() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-user",
		Title:       "Get a user",
		Hints:       tools.Read,
		Description: "Read one user by id: email, whether it is verified, sign-in providers, profile and metadata. To find a user by email use list-users with search.",
	}, getUser)
}

// CreateUser is create-user.
func CreateUser() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "create-user",
		Title: "Create a user",
		Hints: tools.Create,
		Description: "Create an end user as admin with email and password: it works even when sign-up is disabled and sends no verification email. " +
			"With email verification required, pass autoConfirm: true or the user cannot sign in until verified. A taken email fails with 409.",
	}, createUser)
}

// DeleteUsers is delete-users.
func DeleteUsers() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "delete-users",
		Title: "Delete users",
		Hints: tools.Remove,
		Description: "Delete users by id; this cannot be undone, so confirm with the user first. Rows of app tables that reference auth.users follow their foreign key's ON DELETE rule. " +
			"The result says how many were deleted; ids that match no user are skipped.",
	}, deleteUsers)
}

// ListOAuthProviders is list-oauth-providers.
func ListOAuthProviders() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "list-oauth-providers",
		Title: "List OAuth providers",
		Hints: tools.Read,
		Description: "List the configured built-in OAuth providers (Google, GitHub, …) with client ID, scopes and whether they use InsForge's shared keys. " +
			"Client secrets are not included; a provider missing here is not enabled.",
	}, listOAuthProviders)
}

// OAuthProvider is get-oauth-provider.
func OAuthProvider() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "get-oauth-provider",
		Title: "Get an OAuth provider",
		Hints: tools.Read,
		Description: "Read one OAuth provider's configuration. The client secret is withheld (the result only says whether one is stored) unless includeSecret is true; " +
			"ask for it only when the user wants to see it, and never repeat it in your answer.",
	}, getOAuthProvider)
}

// CreateOAuthProvider is create-oauth-provider.
func CreateOAuthProvider() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "create-oauth-provider",
		Title: "Enable an OAuth provider",
		Hints: tools.Create,
		Description: "Enable sign-in with a built-in OAuth provider. On a self-hosted backend use your own OAuth app (useSharedKey false with clientId and clientSecret); shared keys work only on InsForge Cloud. " +
			"Register {project URL}/api/auth/oauth/{provider}/callback as the callback at the provider. A provider that is already configured fails with 409: use update-oauth-provider.",
	}, createOAuthProvider)
}

// UpdateOAuthProvider is update-oauth-provider.
func UpdateOAuthProvider() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "update-oauth-provider",
		Title: "Change an OAuth provider",
		Hints: tools.Change,
		Description: "Change a configured OAuth provider: give only the fields to change (client ID, secret, scopes, native client IDs, shared key). " +
			"The updated configuration comes back without the secret.",
	}, updateOAuthProvider)
}

// DeleteOAuthProvider is delete-oauth-provider.
func DeleteOAuthProvider() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "delete-oauth-provider",
		Title: "Disable an OAuth provider",
		Hints: tools.Remove,
		Description: "Remove an OAuth provider's configuration and its stored secret, so users can no longer sign in with it. " +
			"Remove its sign-in button from the app too.",
	}, deleteOAuthProvider)
}

// SMTPConfig is get-smtp-config.
func SMTPConfig() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "get-smtp-config",
		Title: "Get the SMTP settings",
		Hints: tools.Read,
		Description: "Read the custom SMTP settings used for auth emails (verification, password reset, sign-in codes): enabled, host, port, user, sender and whether a password is stored (never the password). " +
			"A self-hosted backend sends no email until SMTP is enabled.",
	}, getSMTPConfig)
}

// UpdateSMTPConfig is update-smtp-config.
func UpdateSMTPConfig() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "update-smtp-config",
		Title: "Change the SMTP settings",
		Hints: tools.Change,
		Description: "Set the SMTP server for auth emails. It replaces the whole SMTP configuration (omitted fields become empty, minIntervalSeconds goes back to 60) except the password, which is kept when omitted. " +
			"When enabling, the backend first tests the connection and refuses bad settings.",
	}, updateSMTPConfig)
}

// ListEmailTemplates is list-email-templates.
func ListEmailTemplates() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "list-email-templates",
		Title: "List auth email templates",
		Hints: tools.Read,
		Description: "List the auth email templates (verification code or link, sign-in code, password reset code or link) with their subject and HTML body. " +
			"The ones used depend on verifyEmailMethod and resetPasswordMethod in get-auth-config.",
	}, listEmailTemplates)
}

// UpdateEmailTemplate is update-email-template.
func UpdateEmailTemplate() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "update-email-template",
		Title: "Change an auth email template",
		Hints: tools.Change,
		Description: "Replace the subject and HTML body of one auth email template. Keep its placeholder: {{ token }} in code and request-otp templates, {{ link }} in link templates; {{ name }} and {{ email }} work in all. " +
			"Templates are used only when emails go through custom SMTP.",
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
		if offset+n < total {
			summary += fmt.Sprintf(" Call list-users again with offset %d for the next page.", offset+n)
		}
	}
	pagination := map[string]any{"offset": offset, "limit": limit}
	if out.Pagination.Limit != nil {
		pagination["limit"] = *out.Pagination.Limit
	}
	if out.Pagination.Total != nil {
		pagination["total"] = *out.Pagination.Total
	}
	return tools.Found(summary, map[string]any{"users": out.Data, "pagination": pagination}), nil
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
