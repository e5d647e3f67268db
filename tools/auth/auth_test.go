package auth_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

var authWriteTools = []string{
	"update-auth-config", "create-user", "delete-users", "create-oauth-provider", "update-oauth-provider",
	"delete-oauth-provider", "update-smtp-config", "update-email-template",
}

var authReadTools = []string{
	"get-auth-config", "get-public-auth-config", "list-users", "get-user", "list-oauth-providers",
	"get-oauth-provider", "get-smtp-config", "list-email-templates",
}

func authNew(t *testing.T) *testmcp.Harness {
	t.Helper()
	return testmcp.New(t, testmcp.Options{Selection: tools.Selection{Toolsets: []string{"auth"}}})
}

// authLast returns the last request to path and checks it carried the
// admin key as a Bearer token.
func authLast(t *testing.T, h *testmcp.Harness, method, path string) insforgefake.Request {
	t.Helper()
	req := h.Last(t, method, path)
	if got := req.Header.Get("Authorization"); got != "Bearer "+insforgefake.DefaultAPIKey {
		t.Errorf("%s %s: Authorization = %q, want the admin key as Bearer", method, path, got)
	}
	return req
}

// authBody checks that the request body is exactly the JSON want.
func authBody(t *testing.T, req insforgefake.Request, want string) {
	t.Helper()
	var got, w any
	if err := json.Unmarshal(req.Body, &got); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v (%s)", req.Method, req.Path, err, req.Body)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(got, w) {
		t.Errorf("%s %s body = %s, want %s", req.Method, req.Path, req.Body, want)
	}
}

// authNoRequest fails when the backend received any request since Reset.
func authNoRequest(t *testing.T, h *testmcp.Harness) {
	t.Helper()
	if reqs := h.Backend.Requests(); len(reqs) > 0 {
		t.Errorf("expected no backend request, got %s %s", reqs[0].Method, reqs[0].Path)
	}
}

// authEnableSMTP turns on custom SMTP so verification can be required.
func authEnableSMTP(t *testing.T, h *testmcp.Harness) {
	t.Helper()
	h.OK(t, "update-smtp-config", map[string]any{"enabled": true, "port": 587, "host": "smtp.example.com", "username": "mailer",
		"password": "smtp-pass-123", "senderEmail": "no-reply@example.com", "senderName": "Example"})
}

func TestAuthToolsetAndReadOnly(t *testing.T) {
	t.Parallel()
	names := authNew(t).ToolNames(t)
	for _, n := range append(slices.Clone(authReadTools), authWriteTools...) {
		if !slices.Contains(names, n) {
			t.Errorf("tool %s is not served", n)
		}
	}
	if slices.Contains(names, "get-anon-key") {
		t.Errorf("get-anon-key belongs to the metadata toolset")
	}
	ro := testmcp.New(t, testmcp.Options{Selection: tools.Selection{ReadOnly: true}}).ToolNames(t)
	for _, n := range authWriteTools {
		if slices.Contains(ro, n) {
			t.Errorf("write tool %s is served in read-only mode", n)
		}
	}
	for _, n := range authReadTools {
		if !slices.Contains(ro, n) {
			t.Errorf("read tool %s is missing in read-only mode", n)
		}
	}
	for _, tool := range catalogue.All() {
		if tool.Toolset != tools.Auth {
			continue
		}
		readOnly := slices.Contains(authReadTools, tool.Name)
		if tool.Hints.ReadOnly.Bool() != readOnly {
			t.Errorf("%s: readOnly hint = %v", tool.Name, tool.Hints.ReadOnly.Bool())
		}
		destructive := strings.HasPrefix(tool.Name, "update-") || strings.HasPrefix(tool.Name, "delete-")
		if !readOnly && tool.Hints.Destructive.Bool() != destructive {
			t.Errorf("%s: destructive hint = %v", tool.Name, tool.Hints.Destructive.Bool())
		}
	}
}

func TestAuthConfigTools(t *testing.T) {
	t.Parallel()
	h := authNew(t)

	text := h.OK(t, "get-auth-config", nil)
	authLast(t, h, "GET", "/api/auth/config")
	testmcp.WantText(t, text, "email verification is off", "passwords need at least 6 characters", "public sign-up is open", "no redirect URLs", "<untrusted-data-")
	var cfg map[string]any
	h.Structured(t, "get-auth-config", nil, &cfg)
	if cfg["passwordMinLength"] != float64(6) || cfg["verifyEmailMethod"] != "code" {
		t.Errorf("structured config = %v", cfg)
	}

	// partial update: false and the bounds are sent, nothing else
	text = h.OK(t, "update-auth-config", map[string]any{"requireNumber": false, "disableSignup": true, "passwordMinLength": 4,
		"allowedRedirectUrls": []string{"http://localhost:5173/**", "myapp://callback"}})
	authBody(t, authLast(t, h, "PUT", "/api/auth/config"),
		`{"requireNumber":false,"disableSignup":true,"passwordMinLength":4,"allowedRedirectUrls":["http://localhost:5173/**","myapp://callback"]}`)
	testmcp.WantText(t, text, "Updated allowedRedirectUrls, disableSignup, passwordMinLength, requireNumber.", "public sign-up is disabled", "2 redirect URLs allow-listed")

	// an empty list clears the allow-list
	h.OK(t, "update-auth-config", map[string]any{"allowedRedirectUrls": []string{}})
	authBody(t, authLast(t, h, "PUT", "/api/auth/config"), `{"allowedRedirectUrls":[]}`)

	// refused locally
	h.Backend.Reset()
	testmcp.WantText(t, h.Fail(t, "update-auth-config", map[string]any{}), "needs at least one setting", "Nothing was sent")
	testmcp.WantText(t, h.Fail(t, "update-auth-config", map[string]any{"passwordMinLength": 200}), "between 4 and 128")
	testmcp.WantText(t, h.Fail(t, "update-auth-config", map[string]any{"allowedRedirectUrls": []string{"javascript:alert(1)"}}), "javascript: scheme")
	testmcp.WantText(t, h.Fail(t, "update-auth-config", map[string]any{"allowedRedirectUrls": []string{"example.com"}}), "needs a scheme")
	testmcp.WantText(t, h.Fail(t, "update-auth-config", map[string]any{"verifyEmailMethod": "sms"}), "use one of: code, link")
	authNoRequest(t, h)

	// backend refusals: verification without SMTP, validation
	text = h.Fail(t, "update-auth-config", map[string]any{"requireEmailVerification": true})
	testmcp.WantText(t, text, "400 EMAIL_PROVIDER_NOT_CONFIGURED", "update-smtp-config")
	text = h.Fail(t, "update-auth-config", map[string]any{"allowedRedirectUrls": []string{"https://"}})
	testmcp.WantText(t, text, "400 INVALID_INPUT", "Invalid URL or wildcard URL")

	// with SMTP on, verification can be required
	authEnableSMTP(t, h)
	text = h.OK(t, "update-auth-config", map[string]any{"requireEmailVerification": true, "verifyEmailMethod": "link"})
	testmcp.WantText(t, text, "email verification is required (by link)")

	// public config: fetched without the admin key
	h.OK(t, "create-oauth-provider", map[string]any{"provider": "github", "useSharedKey": false, "clientId": "cid", "clientSecret": "gh-secret-xyz"})
	text = h.OK(t, "get-public-auth-config", nil)
	req := h.Last(t, "GET", "/api/auth/public-config")
	if req.Header.Get("Authorization") != "" || req.APIKey != "" {
		t.Errorf("public config was fetched with credentials: %v", req.Header)
	}
	testmcp.WantText(t, text, "OAuth providers: github.", "email verification is required (by link)", "passwords need at least 4 characters")
	testmcp.WantNoText(t, text, "allowedRedirectUrls", "gh-secret-xyz")
	h.Backend.Fail("GET", "/api/auth/public-config", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "Failed to get OAuth providers"})
	testmcp.WantText(t, h.Fail(t, "get-public-auth-config", nil), "500 INTERNAL_ERROR", "Failed to get OAuth providers")
	h.Backend.Fail("GET", "/api/auth/config", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "Failed to get authentication configuration"})
	testmcp.WantText(t, h.Fail(t, "get-auth-config", nil), "500 INTERNAL_ERROR")
}

func TestAuthUserTools(t *testing.T) {
	t.Parallel()
	h := authNew(t)
	const pw = "Pa55word-Xyz"

	// create: body as given, no tokens and no password in what the agent sees
	res := h.Call(t, "create-user", map[string]any{"email": "Alice@Example.com", "password": pw, "name": "Alice", "autoConfirm": true})
	text := testmcp.Text(res)
	if res.IsError {
		t.Fatalf("create-user: %s", text)
	}
	authBody(t, authLast(t, h, "POST", "/api/auth/users"), `{"email":"Alice@Example.com","password":"`+pw+`","name":"Alice","autoConfirm":true}`)
	testmcp.WantText(t, text, "Created user alice@example.com with id ", "marked as verified")
	testmcp.WantNoText(t, text, pw, "accessToken", "eyJ", "refreshToken", "csrfToken")
	sc, _ := json.Marshal(res.StructuredContent)
	var created struct {
		User                     map[string]any `json:"user"`
		RequireEmailVerification *bool          `json:"requireEmailVerification"`
	}
	_ = json.Unmarshal(sc, &created)
	if created.User["email"] != "alice@example.com" || created.User["emailVerified"] != true || created.RequireEmailVerification == nil || *created.RequireEmailVerification {
		t.Errorf("structured create = %s", sc)
	}
	aliceID, _ := created.User["id"].(string)

	// duplicate: 409 with what to do
	text = h.Fail(t, "create-user", map[string]any{"email": "alice@example.com", "password": pw})
	testmcp.WantText(t, text, "409 AUTH_EMAIL_EXISTS", "already exists", "list-users")
	testmcp.WantNoText(t, text, pw)
	// password policy: 400 from the backend
	text = h.Fail(t, "create-user", map[string]any{"email": "bob@example.com", "password": "abc"})
	testmcp.WantText(t, text, "400 INVALID_INPUT", "Password must contain at least 6 characters long", "get-auth-config")
	// refused locally
	h.Backend.Reset()
	testmcp.WantText(t, h.Fail(t, "create-user", map[string]any{"email": "not-an-email", "password": pw}), "not an email address")
	testmcp.WantText(t, h.Fail(t, "create-user", map[string]any{"email": "b@example.com", "password": ""}), "password must not be empty")
	testmcp.WantText(t, h.Fail(t, "create-user", map[string]any{"email": "b@example.com"}), `missing required argument "password"`)
	authNoRequest(t, h)

	for _, e := range []string{"u1@example.com", "u2@example.com", "u3@example.com"} {
		h.OK(t, "create-user", map[string]any{"email": e, "password": pw})
	}

	// list: default page size 20, paging advice
	text = h.OK(t, "list-users", nil)
	q := testmcp.QueryOf(t, authLast(t, h, "GET", "/api/auth/users"))
	if q.Get("limit") != "20" || q.Get("offset") != "0" || q.Has("search") {
		t.Errorf("list query = %v", q)
	}
	testmcp.WantText(t, text, "Users 1-4 of 4, newest first.")
	text = h.OK(t, "list-users", map[string]any{"limit": 1, "offset": 1, "search": "u"})
	q = testmcp.QueryOf(t, authLast(t, h, "GET", "/api/auth/users"))
	if q.Get("limit") != "1" || q.Get("offset") != "1" || q.Get("search") != "u" {
		t.Errorf("list query = %v", q)
	}
	testmcp.WantText(t, text, `User 2 of 3 matching "u"`, "offset 2 for the next page")
	testmcp.WantNoText(t, h.OK(t, "list-users", map[string]any{"limit": 2, "offset": 1, "search": "u"}), "next page")
	var page struct {
		Users      []map[string]any `json:"users"`
		Pagination map[string]any   `json:"pagination"`
	}
	h.Structured(t, "list-users", map[string]any{"limit": 1}, &page)
	if len(page.Users) != 1 || page.Users[0]["email"] != "u3@example.com" || page.Pagination["total"] != float64(4) {
		t.Errorf("structured page = %+v", page)
	}
	testmcp.WantText(t, h.OK(t, "list-users", map[string]any{"search": "nobody"}), `No users matching "nobody".`)
	h.Backend.Reset()
	testmcp.WantText(t, h.Fail(t, "list-users", map[string]any{"limit": 500}), "between 1 and 200")
	authNoRequest(t, h)
	h.Backend.Fail("GET", "/api/auth/users", &insforgefake.APIError{Status: 403, Code: "AUTH_UNAUTHORIZED", Message: "Admin access required"})
	testmcp.WantText(t, h.Fail(t, "list-users", nil), "403 AUTH_UNAUTHORIZED", "Admin access required")
	h.Backend.Fail("GET", "/api/auth/users", nil)

	// get
	text = h.OK(t, "get-user", map[string]any{"userId": aliceID})
	authLast(t, h, "GET", "/api/auth/users/"+aliceID)
	testmcp.WantText(t, text, "User alice@example.com (email verified).", `"name":"Alice"`)
	missing := "00000000-0000-4000-8000-000000000000"
	testmcp.WantText(t, h.Fail(t, "get-user", map[string]any{"userId": missing}), "No user has id "+missing, "list-users")
	h.Backend.Reset()
	testmcp.WantText(t, h.Fail(t, "get-user", map[string]any{"userId": "alice@example.com"}), "is not a user id")
	authNoRequest(t, h)

	// delete: ids in the body, partial matches explained
	text = h.OK(t, "delete-users", map[string]any{"userIds": []string{aliceID, missing, aliceID}})
	authBody(t, authLast(t, h, "DELETE", "/api/auth/users"), `{"userIds":["`+aliceID+`","`+missing+`"]}`)
	testmcp.WantText(t, text, "Deleted 1 of 2 requested users", "matched no user")
	testmcp.WantText(t, h.Fail(t, "get-user", map[string]any{"userId": aliceID}), "No user has id")
	h.Backend.Reset()
	testmcp.WantText(t, h.Fail(t, "delete-users", map[string]any{"userIds": []string{"x"}}), `"x" is not a user id`)
	testmcp.WantText(t, h.Fail(t, "delete-users", map[string]any{"userIds": []string{}}), "at least one")
	authNoRequest(t, h)
	h.Backend.Fail("DELETE", "/api/auth/users", &insforgefake.APIError{Status: 400, Code: "INVALID_INPUT", Message: "userIds.0: Invalid user ID format"})
	testmcp.WantText(t, h.Fail(t, "delete-users", map[string]any{"userIds": []string{missing}}), "400 INVALID_INPUT")
}

func TestAuthCreateUserWithVerificationRequired(t *testing.T) {
	t.Parallel()
	h := authNew(t)
	authEnableSMTP(t, h)
	h.OK(t, "update-auth-config", map[string]any{"requireEmailVerification": true})
	h.Backend.Reset()
	res := h.Call(t, "create-user", map[string]any{"email": "v@example.com", "password": "secret12"})
	text := testmcp.Text(res)
	if res.IsError {
		t.Fatalf("create-user: %s", text)
	}
	// the backend returns no user in this mode: the tool looks it up
	q := testmcp.QueryOf(t, authLast(t, h, "GET", "/api/auth/users"))
	if q.Get("search") != "v@example.com" {
		t.Errorf("lookup query = %v", q)
	}
	testmcp.WantText(t, text, "Created user v@example.com with id ", "cannot sign in until they verify", "autoConfirm: true")
	sc, _ := json.Marshal(res.StructuredContent)
	if !bytes.Contains(sc, []byte(`"requireEmailVerification":true`)) || !bytes.Contains(sc, []byte(`"emailVerified":false`)) {
		t.Errorf("structured = %s", sc)
	}
}

func TestAuthOAuthTools(t *testing.T) {
	t.Parallel()
	h := authNew(t)
	const secret = "gh-client-secret-123"

	testmcp.WantText(t, h.OK(t, "list-oauth-providers", nil), "No OAuth provider is configured")

	text := h.OK(t, "create-oauth-provider", map[string]any{"provider": "github", "useSharedKey": false, "clientId": "cid", "clientSecret": secret, "scopes": []string{"user:email", "read:user"}})
	authBody(t, authLast(t, h, "POST", "/api/auth/oauth/configs"),
		`{"provider":"github","useSharedKey":false,"clientId":"cid","clientSecret":"`+secret+`","scopes":["user:email","read:user"]}`)
	testmcp.WantText(t, text, "Enabled github sign-in with your own OAuth app", h.Backend.URL+"/api/auth/oauth/github/callback", "allowedRedirectUrls")
	testmcp.WantNoText(t, text, secret)

	// already configured, shared keys on self-hosted
	testmcp.WantText(t, h.Fail(t, "create-oauth-provider", map[string]any{"provider": "github", "useSharedKey": false}), "409 AUTH_OAUTH_CONFIG_ALREADY_EXISTS", "update-oauth-provider")
	text = h.Fail(t, "create-oauth-provider", map[string]any{"provider": "google", "useSharedKey": true})
	testmcp.WantText(t, text, "400 AUTH_OAUTH_CONFIG_ERROR", "only on InsForge Cloud", "useSharedKey: false")
	authBody(t, authLast(t, h, "POST", "/api/auth/oauth/configs"), `{"provider":"google","useSharedKey":true}`)
	// without credentials: created, with a warning
	testmcp.WantText(t, h.OK(t, "create-oauth-provider", map[string]any{"provider": "discord", "useSharedKey": false}), "without a client ID and secret")
	h.Backend.Reset()
	testmcp.WantText(t, h.Fail(t, "create-oauth-provider", map[string]any{"provider": "myspace", "useSharedKey": false}), "use one of: google, github")
	testmcp.WantText(t, h.Fail(t, "create-oauth-provider", map[string]any{"provider": "github"}), `missing required argument "useSharedKey"`)
	authNoRequest(t, h)

	// list: no secrets
	text = h.OK(t, "list-oauth-providers", nil)
	authLast(t, h, "GET", "/api/auth/oauth/configs")
	testmcp.WantText(t, text, "2 OAuth providers configured: discord, github.")
	testmcp.WantNoText(t, text, secret)

	// get: secret withheld unless asked for
	text = h.OK(t, "get-oauth-provider", map[string]any{"provider": "github"})
	authLast(t, h, "GET", "/api/auth/oauth/github/config")
	testmcp.WantText(t, text, "withheld", "includeSecret", `"clientId":"cid"`)
	testmcp.WantNoText(t, text, secret, "clientSecret\"")
	text = h.OK(t, "get-oauth-provider", map[string]any{"provider": "github", "includeSecret": true})
	testmcp.WantText(t, text, `"clientSecret":"`+secret+`"`, "do not repeat it")
	testmcp.WantText(t, h.OK(t, "get-oauth-provider", map[string]any{"provider": "discord"}), "No client secret is stored")
	testmcp.WantText(t, h.Fail(t, "get-oauth-provider", map[string]any{"provider": "apple"}), "apple is not configured", "create-oauth-provider")

	// update: partial body, the new secret not echoed
	text = h.OK(t, "update-oauth-provider", map[string]any{"provider": "github", "clientSecret": "new-secret-456", "nativeClientIds": []string{}})
	authBody(t, authLast(t, h, "PUT", "/api/auth/oauth/github/config"), `{"clientSecret":"new-secret-456","nativeClientIds":[]}`)
	testmcp.WantText(t, text, "Updated clientSecret, nativeClientIds of the github OAuth provider.", "not shown", `"clientId":"cid"`)
	testmcp.WantNoText(t, text, "new-secret-456")
	testmcp.WantText(t, h.OK(t, "get-oauth-provider", map[string]any{"provider": "github", "includeSecret": true}), "new-secret-456")
	testmcp.WantText(t, h.Fail(t, "update-oauth-provider", map[string]any{"provider": "apple", "clientId": "x"}), "apple is not configured")
	testmcp.WantText(t, h.Fail(t, "update-oauth-provider", map[string]any{"provider": "github", "useSharedKey": true}), "400 AUTH_OAUTH_CONFIG_ERROR")
	h.Backend.Reset()
	testmcp.WantText(t, h.Fail(t, "update-oauth-provider", map[string]any{"provider": "github"}), "at least one field")
	authNoRequest(t, h)

	// delete, then again: nothing to delete is not an error
	text = h.OK(t, "delete-oauth-provider", map[string]any{"provider": "github"})
	authLast(t, h, "DELETE", "/api/auth/oauth/github/config")
	testmcp.WantText(t, text, "Removed the github OAuth configuration")
	testmcp.WantText(t, h.OK(t, "delete-oauth-provider", map[string]any{"provider": "github"}), "github was not configured")
	h.Backend.Fail("DELETE", "/api/auth/oauth/discord/config", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "Failed to delete OAuth configuration"})
	testmcp.WantText(t, h.Fail(t, "delete-oauth-provider", map[string]any{"provider": "discord"}), "500 INTERNAL_ERROR", "Failed to delete OAuth configuration")
	h.Backend.Fail("GET", "/api/auth/oauth/configs", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "Failed to get OAuth configurations"})
	testmcp.WantText(t, h.Fail(t, "list-oauth-providers", nil), "500 INTERNAL_ERROR")
}

func TestAuthSMTPTools(t *testing.T) {
	t.Parallel()
	h := authNew(t)
	const pw = "smtp-pass-123"

	text := h.OK(t, "get-smtp-config", nil)
	authLast(t, h, "GET", "/api/auth/smtp-config")
	testmcp.WantText(t, text, "Custom SMTP is off; no password is stored", `"port":465`)

	// refused locally
	h.Backend.Reset()
	testmcp.WantText(t, h.Fail(t, "update-smtp-config", map[string]any{"enabled": true, "port": 587, "host": "smtp.example.com"}), "enabling SMTP needs username, senderEmail, senderName")
	testmcp.WantText(t, h.Fail(t, "update-smtp-config", map[string]any{"enabled": false, "port": 26}), "port must be 25, 465, 587 or 2525")
	testmcp.WantText(t, h.Fail(t, "update-smtp-config", map[string]any{"enabled": true, "port": 587, "host": "h", "username": "u", "senderEmail": "nope", "senderName": "n"}), "not an email address")
	testmcp.WantText(t, h.Fail(t, "update-smtp-config", map[string]any{"port": 587}), `missing required argument "enabled"`)
	authNoRequest(t, h)

	// enabling without any stored password: the backend refuses
	testmcp.WantText(t, h.Fail(t, "update-smtp-config", map[string]any{"enabled": true, "port": 587, "host": "smtp.example.com", "username": "mailer",
		"senderEmail": "no-reply@example.com", "senderName": "Example"}), "400 INVALID_INPUT", "SMTP password is required")

	text = h.OK(t, "update-smtp-config", map[string]any{"enabled": true, "port": 587, "host": "smtp.example.com", "username": "mailer",
		"password": pw, "senderEmail": "no-reply@example.com", "senderName": "Example", "minIntervalSeconds": 0})
	authBody(t, authLast(t, h, "PUT", "/api/auth/smtp-config"),
		`{"enabled":true,"port":587,"host":"smtp.example.com","username":"mailer","password":"`+pw+`","senderEmail":"no-reply@example.com","senderName":"Example","minIntervalSeconds":0}`)
	testmcp.WantText(t, text, "Saved. Custom SMTP is on: smtp.example.com:587 as mailer", "a password is stored (not shown)", "per 0 s")
	testmcp.WantNoText(t, text, pw)
	testmcp.WantNoText(t, h.OK(t, "get-smtp-config", nil), pw)

	// connection failure reported with what to check
	h.Backend.Fail("PUT", "/api/auth/smtp-config", &insforgefake.APIError{Status: 400, Code: "EMAIL_SMTP_CONNECTION_FAILED", Message: "SMTP connection failed: Invalid login"})
	testmcp.WantText(t, h.Fail(t, "update-smtp-config", map[string]any{"enabled": true, "port": 465, "host": "smtp.example.com", "username": "mailer",
		"senderEmail": "no-reply@example.com", "senderName": "Example"}), "EMAIL_SMTP_CONNECTION_FAILED", "Nothing was changed", "Check host, port")
	h.Backend.Fail("PUT", "/api/auth/smtp-config", nil)
	// the same, unscripted (real 2.3.1: DNS failure, private host refused)
	testmcp.WantText(t, h.Fail(t, "update-smtp-config", map[string]any{"enabled": true, "port": 587, "host": "smtp.nowhere.invalid", "username": "mailer",
		"senderEmail": "no-reply@example.com", "senderName": "Example"}), "400 EMAIL_SMTP_CONNECTION_FAILED", "ENOTFOUND smtp.nowhere.invalid", "Nothing was changed")
	testmcp.WantText(t, h.Fail(t, "update-smtp-config", map[string]any{"enabled": true, "port": 587, "host": "127.0.0.1", "username": "mailer",
		"senderEmail": "no-reply@example.com", "senderName": "Example"}), "400 INVALID_INPUT", "private or loopback address")

	// disabling while verification is required
	h.OK(t, "update-auth-config", map[string]any{"requireEmailVerification": true})
	text = h.Fail(t, "update-smtp-config", map[string]any{"enabled": false, "port": 587})
	authBody(t, authLast(t, h, "PUT", "/api/auth/smtp-config"), `{"enabled":false,"port":587}`)
	testmcp.WantText(t, text, "EMAIL_PROVIDER_NOT_CONFIGURED", "requireEmailVerification off")

	h.Backend.Fail("GET", "/api/auth/smtp-config", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "Failed to get SMTP configuration"})
	testmcp.WantText(t, h.Fail(t, "get-smtp-config", nil), "500 INTERNAL_ERROR", "Failed to get SMTP configuration")
}

func TestAuthEmailTemplateTools(t *testing.T) {
	t.Parallel()
	h := authNew(t)
	text := h.OK(t, "list-email-templates", nil)
	authLast(t, h, "GET", "/api/auth/email-templates")
	testmcp.WantText(t, text, "5 email templates: email-verification-code, email-verification-link, request-otp, reset-password-code, reset-password-link.")
	var out struct {
		Templates []map[string]any `json:"templates"`
	}
	h.Structured(t, "list-email-templates", nil, &out)
	if len(out.Templates) != 5 || out.Templates[0]["subject"] == nil || out.Templates[0]["bodyHtml"] == nil {
		t.Errorf("structured templates = %v", out.Templates)
	}

	text = h.OK(t, "update-email-template", map[string]any{"type": "reset-password-link", "subject": "Reset", "bodyHtml": `<a href="{{ link }}">Reset</a>`})
	authBody(t, authLast(t, h, "PUT", "/api/auth/email-templates/reset-password-link"), `{"subject":"Reset","bodyHtml":"<a href=\"{{ link }}\">Reset</a>"}`)
	testmcp.WantText(t, text, "Updated the reset-password-link email template.", `"subject":"Reset"`)
	testmcp.WantNoText(t, text, "Warning")
	text = h.OK(t, "update-email-template", map[string]any{"type": "email-verification-code", "subject": "Welcome", "bodyHtml": "<p>Hello {{ name }}</p>"})
	testmcp.WantText(t, text, "Warning: it has no {{ token }} placeholder")

	h.Backend.Reset()
	testmcp.WantText(t, h.Fail(t, "update-email-template", map[string]any{"type": "welcome", "subject": "x", "bodyHtml": "y"}), "use one of: email-verification-code")
	testmcp.WantText(t, h.Fail(t, "update-email-template", map[string]any{"type": "request-otp", "subject": " ", "bodyHtml": "y"}), "must not be empty")
	authNoRequest(t, h)
	h.Backend.Fail("PUT", "/api/auth/email-templates/request-otp", &insforgefake.APIError{Status: 404, Code: "EMAIL_TEMPLATE_NOT_FOUND", Message: "Email template not found: request-otp"})
	testmcp.WantText(t, h.Fail(t, "update-email-template", map[string]any{"type": "request-otp", "subject": "x", "bodyHtml": "{{ token }}"}), "404 EMAIL_TEMPLATE_NOT_FOUND")
	h.Backend.Fail("GET", "/api/auth/email-templates", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "Failed to get email templates"})
	testmcp.WantText(t, h.Fail(t, "list-email-templates", nil), "500 INTERNAL_ERROR")
}
