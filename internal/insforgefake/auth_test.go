package insforgefake

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func authCreate(t *testing.T, srv *Server, email, password, name string) map[string]any {
	t.Helper()
	body := map[string]any{"email": email, "password": password}
	if name != "" {
		body["name"] = name
	}
	r := call(t, srv, "POST", "/api/auth/users", body)
	if r.status != 200 {
		t.Fatalf("create %s: %d %s", email, r.status, r.body)
	}
	u, _ := r.obj(t)["user"].(map[string]any)
	if u == nil {
		t.Fatalf("create %s returned no user: %s", email, r.body)
	}
	return u
}

// authEnableSMTP enables custom SMTP so that verification can be required.
func authEnableSMTP(t *testing.T, srv *Server) {
	t.Helper()
	r := call(t, srv, "PUT", "/api/auth/smtp-config", map[string]any{
		"enabled": true, "port": 587, "host": "smtp.example.com", "username": "mailer",
		"password": "s3cret", "senderEmail": "no-reply@example.com", "senderName": "Example",
	})
	if r.status != 200 {
		t.Fatalf("enable SMTP: %d %s", r.status, r.body)
	}
}

func TestAuthConfigDefaultsAndPartialUpdate(t *testing.T) {
	srv := New(t)
	r := call(t, srv, "GET", "/api/auth/config", nil)
	m := r.obj(t)
	if r.status != 200 || m["passwordMinLength"] != float64(6) || m["verifyEmailMethod"] != "code" || m["resetPasswordMethod"] != "code" ||
		m["requireEmailVerification"] != false || m["disableSignup"] != false || !reflect.DeepEqual(m["allowedRedirectUrls"], []any{}) {
		t.Fatalf("defaults = %d %s", r.status, r.body)
	}
	want := []string{"allowedRedirectUrls", "createdAt", "disableSignup", "id", "passwordMinLength", "requireEmailVerification", "requireLowercase",
		"requireNumber", "requireSpecialChar", "requireUppercase", "resetPasswordMethod", "updatedAt", "verifyEmailMethod"}
	if got := keysOf(m); !reflect.DeepEqual(got, want) {
		t.Errorf("config keys = %v", got)
	}

	r = call(t, srv, "PUT", "/api/auth/config", map[string]any{"passwordMinLength": 10, "requireNumber": true,
		"allowedRedirectUrls": []string{"http://localhost:5173/**", "https://*.example.com", "myapp://callback"}})
	m = r.obj(t)
	if r.status != 200 || m["passwordMinLength"] != float64(10) || m["requireNumber"] != true || m["verifyEmailMethod"] != "code" ||
		len(m["allowedRedirectUrls"].([]any)) != 3 {
		t.Fatalf("update = %d %s", r.status, r.body)
	}
	// partial: an unrelated update keeps the earlier change
	r = call(t, srv, "PUT", "/api/auth/config", map[string]any{"disableSignup": true})
	if m = r.obj(t); m["passwordMinLength"] != float64(10) || m["disableSignup"] != true {
		t.Errorf("second update = %s", r.body)
	}

	wantError(t, call(t, srv, "PUT", "/api/auth/config", map[string]any{"allowedRedirectUrls": []string{"https://ok.example.com", "javascript:alert(1)"}}),
		400, "INVALID_INPUT", "allowedRedirectUrls.1: Invalid URL or wildcard URL")

	// verification needs an email provider on a self-hosted backend
	e := wantError(t, call(t, srv, "PUT", "/api/auth/config", map[string]any{"requireEmailVerification": true}), 400, "EMAIL_PROVIDER_NOT_CONFIGURED", "")
	if e["nextActions"] == nil {
		t.Errorf("no nextActions: %v", e)
	}
	authEnableSMTP(t, srv)
	if r = call(t, srv, "PUT", "/api/auth/config", map[string]any{"requireEmailVerification": true}); r.obj(t)["requireEmailVerification"] != true {
		t.Errorf("verification after SMTP = %s", r.body)
	}
	// and SMTP cannot be turned off while verification is required
	wantError(t, call(t, srv, "PUT", "/api/auth/smtp-config", map[string]any{"enabled": false, "port": 465}), 400, "EMAIL_PROVIDER_NOT_CONFIGURED", "")

	// public config: no credentials, no admin-only fields
	r = call(t, srv, "GET", "/api/auth/public-config", nil, "Authorization", "")
	m = r.obj(t)
	if r.status != 200 || m["allowedRedirectUrls"] != nil || m["smtpConfig"] != nil || m["passwordMinLength"] != float64(10) || m["disableSignup"] != true {
		t.Errorf("public config = %d %s", r.status, r.body)
	}
	// admin routes refuse the anon key
	wantError(t, call(t, srv, "GET", "/api/auth/config", nil, "Authorization", "Bearer "+DefaultAnonKey), 401, "AUTH_UNAUTHORIZED", "Invalid token")
}

func TestAuthUsers(t *testing.T) {
	srv := New(t)
	alice := authCreate(t, srv, "Alice@Example.com", "secret1", "Alice Liddell")
	if alice["email"] != "alice@example.com" || alice["emailVerified"] != false || !reflect.DeepEqual(alice["providers"], []any{"email"}) ||
		!reflect.DeepEqual(alice["profile"], map[string]any{"name": "Alice Liddell"}) {
		t.Errorf("alice = %v", alice)
	}
	for i := range 4 {
		authCreate(t, srv, fmt.Sprintf("user%d@example.com", i), "secret1", "")
	}

	r := call(t, srv, "POST", "/api/auth/users", map[string]any{"email": "alice@example.com", "password": "secret1"})
	wantError(t, r, 409, "AUTH_EMAIL_EXISTS", "User already exists")
	wantError(t, call(t, srv, "POST", "/api/auth/users", map[string]any{"email": "nope", "password": "secret1"}), 400, "INVALID_INPUT", "email: Invalid email format")
	wantError(t, call(t, srv, "POST", "/api/auth/users", map[string]any{"email": "b@example.com", "password": "123"}), 400, "INVALID_INPUT",
		"Password must contain at least 6 characters long")

	// admin creation returns the user and an access token, no refresh/csrf token
	r = call(t, srv, "POST", "/api/auth/users", map[string]any{"email": "c@example.com", "password": "secret1", "autoConfirm": true})
	m := r.obj(t)
	if m["csrfToken"] != nil || m["refreshToken"] != nil || !strings.HasPrefix(fmt.Sprint(m["accessToken"]), "eyJ") || m["requireEmailVerification"] != false {
		t.Errorf("admin create = %s", r.body)
	}
	if u := m["user"].(map[string]any); u["emailVerified"] != true {
		t.Errorf("autoConfirm ignored: %v", u)
	}

	// list: newest first, pagination, search (substring of email or name)
	r = call(t, srv, "GET", "/api/auth/users?limit=2&offset=1", nil)
	m = r.obj(t)
	data := m["data"].([]any)
	if len(data) != 2 || data[0].(map[string]any)["email"] != "user3@example.com" ||
		!reflect.DeepEqual(m["pagination"], map[string]any{"offset": float64(1), "limit": float64(2), "total": float64(6)}) {
		t.Errorf("page = %s", r.body)
	}
	r = call(t, srv, "GET", "/api/auth/users", nil)
	if p := r.obj(t)["pagination"].(map[string]any); p["limit"] != float64(10) || p["offset"] != float64(0) {
		t.Errorf("default paging = %v", p)
	}
	r = call(t, srv, "GET", "/api/auth/users?limit=abc&offset=-3", nil)
	if p := r.obj(t)["pagination"].(map[string]any); p["limit"] != float64(10) || p["offset"] != float64(0) {
		t.Errorf("lenient paging = %v", p)
	}
	for search, n := range map[string]int{"Liddell": 1, "liddell": 0, "user": 4, "@example.com": 6} {
		r = call(t, srv, "GET", "/api/auth/users?search="+strings.ReplaceAll(search, "@", "%40"), nil)
		if got := r.obj(t)["pagination"].(map[string]any)["total"]; got != float64(n) {
			t.Errorf("search %q total = %v, want %d", search, got, n)
		}
	}

	// get, 404, bad id
	id := alice["id"].(string)
	if r = call(t, srv, "GET", "/api/auth/users/"+id, nil); r.status != 200 || r.obj(t)["email"] != "alice@example.com" {
		t.Errorf("get = %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "GET", "/api/auth/users/00000000-0000-4000-8000-000000000000", nil), 404, "AUTH_USER_NOT_FOUND", "User does not exist")
	wantError(t, call(t, srv, "GET", "/api/auth/users/abc", nil), 400, "INVALID_INPUT", "Invalid user ID format")
	if r = call(t, srv, "GET", "/api/auth/profiles/"+id, nil, "Authorization", ""); r.obj(t)["profile"].(map[string]any)["name"] != "Alice Liddell" {
		t.Errorf("profile = %s", r.body)
	}

	// delete
	r = call(t, srv, "DELETE", "/api/auth/users", map[string]any{"userIds": []string{id, "00000000-0000-4000-8000-000000000000"}})
	if m = r.obj(t); r.status != 200 || m["deletedCount"] != float64(1) || m["message"] != "Users deleted successfully" {
		t.Errorf("delete = %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "GET", "/api/auth/users/"+id, nil), 404, "AUTH_USER_NOT_FOUND", "")
	wantError(t, call(t, srv, "DELETE", "/api/auth/users", map[string]any{"userIds": []string{"x"}}), 400, "INVALID_INPUT", "userIds.0: Invalid user ID format")
}

func TestAuthSignUpWithAnonKey(t *testing.T) {
	srv := New(t)
	anon := []string{"Authorization", "Bearer " + DefaultAnonKey}
	r := call(t, srv, "POST", "/api/auth/users?client_type=mobile", map[string]any{"email": "a@example.com", "password": "secret1", "autoConfirm": true}, anon...)
	m := r.obj(t)
	if r.status != 200 || m["refreshToken"] == nil || m["user"].(map[string]any)["emailVerified"] != false {
		t.Errorf("sign-up = %d %s", r.status, r.body)
	}
	if r = call(t, srv, "POST", "/api/auth/users", map[string]any{"email": "b@example.com", "password": "secret1"}, anon...); r.obj(t)["csrfToken"] == nil {
		t.Errorf("web sign-up has no csrfToken: %s", r.body)
	}
	call(t, srv, "PUT", "/api/auth/config", map[string]any{"disableSignup": true})
	wantError(t, call(t, srv, "POST", "/api/auth/users", map[string]any{"email": "c@example.com", "password": "secret1"}, anon...), 403, "AUTH_SIGNUP_DISABLED", "")
	// the admin key still creates users
	authCreate(t, srv, "c@example.com", "secret1", "")
	wantError(t, call(t, srv, "POST", "/api/auth/users", map[string]any{"email": "d@example.com", "password": "secret1"}, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "")
}

func TestAuthCreateUserWithVerification(t *testing.T) {
	srv := New(t)
	authEnableSMTP(t, srv)
	call(t, srv, "PUT", "/api/auth/config", map[string]any{"requireEmailVerification": true})
	r := call(t, srv, "POST", "/api/auth/users", map[string]any{"email": "v@example.com", "password": "secret1"})
	if !reflect.DeepEqual(r.obj(t), map[string]any{"accessToken": nil, "requireEmailVerification": true}) {
		t.Errorf("create with verification = %s", r.body)
	}
	r = call(t, srv, "POST", "/api/auth/users", map[string]any{"email": "w@example.com", "password": "secret1", "autoConfirm": true})
	if !reflect.DeepEqual(r.obj(t), map[string]any{"accessToken": nil, "requireEmailVerification": false}) {
		t.Errorf("autoConfirm create = %s", r.body)
	}
	r = call(t, srv, "GET", "/api/auth/users?search=example", nil)
	if r.obj(t)["pagination"].(map[string]any)["total"] != float64(2) {
		t.Errorf("users = %s", r.body)
	}
}

func TestAuthOAuthConfigs(t *testing.T) {
	srv := New(t)
	r := call(t, srv, "GET", "/api/auth/oauth/configs", nil)
	if string(r.body) != `{"data":[],"count":0}` && !reflect.DeepEqual(r.obj(t), map[string]any{"data": []any{}, "count": float64(0)}) {
		t.Errorf("empty list = %s", r.body)
	}
	r = call(t, srv, "POST", "/api/auth/oauth/configs", map[string]any{"provider": "github", "useSharedKey": false, "clientId": "cid", "clientSecret": "csecret", "redirectUri": "https://x"})
	m := r.obj(t)
	if r.status != 200 || m["provider"] != "github" || m["clientId"] != "cid" || m["clientSecret"] != nil || m["redirectUri"] != nil ||
		!reflect.DeepEqual(m["scopes"], []any{"user:email"}) || !reflect.DeepEqual(m["nativeClientIds"], []any{}) {
		t.Errorf("create = %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "POST", "/api/auth/oauth/configs", map[string]any{"provider": "github", "useSharedKey": false}), 409, "AUTH_OAUTH_CONFIG_ALREADY_EXISTS", "")
	wantError(t, call(t, srv, "POST", "/api/auth/oauth/configs", map[string]any{"provider": "google", "useSharedKey": true}), 400, "AUTH_OAUTH_CONFIG_ERROR",
		"Shared OAuth keys are not enabled in this environment")
	wantError(t, call(t, srv, "POST", "/api/auth/oauth/configs", map[string]any{"provider": "myspace", "useSharedKey": false}), 400, "INVALID_INPUT", "")

	// GET single includes the secret
	if r = call(t, srv, "GET", "/api/auth/oauth/github/config", nil); r.obj(t)["clientSecret"] != "csecret" {
		t.Errorf("get = %s", r.body)
	}
	if r = call(t, srv, "GET", "/api/auth/oauth/configs", nil); strings.Contains(string(r.body), "csecret") || r.obj(t)["count"] != float64(1) {
		t.Errorf("list = %s", r.body)
	}
	wantError(t, call(t, srv, "GET", "/api/auth/oauth/google/config", nil), 404, "AUTH_OAUTH_CONFIG_NOT_FOUND", "OAuth configuration for google not found")

	// partial update
	r = call(t, srv, "PUT", "/api/auth/oauth/github/config", map[string]any{"scopes": []string{"read:user"}, "clientSecret": "new"})
	if m = r.obj(t); m["clientId"] != "cid" || !reflect.DeepEqual(m["scopes"], []any{"read:user"}) || m["clientSecret"] != nil {
		t.Errorf("update = %s", r.body)
	}
	if r = call(t, srv, "GET", "/api/auth/oauth/github/config", nil); r.obj(t)["clientSecret"] != "new" {
		t.Errorf("secret after update = %s", r.body)
	}
	wantError(t, call(t, srv, "PUT", "/api/auth/oauth/google/config", map[string]any{"clientId": "x"}), 404, "AUTH_OAUTH_CONFIG_NOT_FOUND", "")
	wantError(t, call(t, srv, "PUT", "/api/auth/oauth/github/config", map[string]any{"useSharedKey": true}), 400, "AUTH_OAUTH_CONFIG_ERROR", "")

	// public config and metadata list the provider
	if r = call(t, srv, "GET", "/api/auth/public-config", nil, "Authorization", ""); !reflect.DeepEqual(r.obj(t)["oAuthProviders"], []any{"github"}) {
		t.Errorf("public config = %s", r.body)
	}
	if r = call(t, srv, "GET", "/api/metadata/auth", nil); !reflect.DeepEqual(r.obj(t)["oAuthProviders"], []any{"github"}) {
		t.Errorf("metadata/auth = %s", r.body)
	}

	// delete
	if r = call(t, srv, "DELETE", "/api/auth/oauth/github/config", nil); r.status != 200 || r.obj(t)["success"] != true {
		t.Errorf("delete = %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "DELETE", "/api/auth/oauth/github/config", nil), 404, "AUTH_OAUTH_CONFIG_NOT_FOUND", "")
}

func TestAuthSMTPAndTemplates(t *testing.T) {
	srv := New(t)
	r := call(t, srv, "GET", "/api/auth/smtp-config", nil)
	m := r.obj(t)
	if m["enabled"] != false || m["port"] != float64(465) || m["hasPassword"] != false || m["minIntervalSeconds"] != float64(60) || m["password"] != nil {
		t.Errorf("default SMTP = %s", r.body)
	}
	wantError(t, call(t, srv, "PUT", "/api/auth/smtp-config", map[string]any{"enabled": true, "port": 587, "host": "smtp.example.com",
		"username": "u", "senderEmail": "a@example.com", "senderName": "A"}), 400, "INVALID_INPUT", "SMTP password is required when enabling SMTP")
	// as observed on a real 2.3.1 backend: private and loopback IP literals
	// are refused before the password check, unresolvable hosts fail the
	// connection check, and nothing is stored
	for _, host := range []string{"127.0.0.1", "10.1.2.3", "192.168.0.9", "::1", "169.254.169.254"} {
		wantError(t, call(t, srv, "PUT", "/api/auth/smtp-config", map[string]any{"enabled": true, "port": 587, "host": host,
			"username": "u", "senderEmail": "a@example.com", "senderName": "A"}), 400, "INVALID_INPUT", "SMTP host is a private or loopback address, which is not allowed")
	}
	wantError(t, call(t, srv, "PUT", "/api/auth/smtp-config", map[string]any{"enabled": true, "port": 587, "host": "smtp.nowhere.invalid",
		"username": "u", "password": "p", "senderEmail": "a@example.com", "senderName": "A"}), 400, "EMAIL_SMTP_CONNECTION_FAILED", "SMTP connection failed: getaddrinfo ENOTFOUND smtp.nowhere.invalid")
	if m = call(t, srv, "GET", "/api/auth/smtp-config", nil).obj(t); m["enabled"] != false || m["hasPassword"] != false {
		t.Errorf("a refused update changed the config: %v", m)
	}
	authEnableSMTP(t, srv)
	r = call(t, srv, "GET", "/api/auth/smtp-config", nil)
	if m = r.obj(t); m["enabled"] != true || m["hasPassword"] != true || strings.Contains(string(r.body), "s3cret") {
		t.Errorf("SMTP after update = %s", r.body)
	}
	// a full replace: omitted fields become empty, the password is kept
	r = call(t, srv, "PUT", "/api/auth/smtp-config", map[string]any{"enabled": false, "port": 25})
	if m = r.obj(t); m["host"] != "" || m["hasPassword"] != true || m["port"] != float64(25) {
		t.Errorf("SMTP disable = %s", r.body)
	}

	r = call(t, srv, "GET", "/api/auth/email-templates", nil)
	data := r.obj(t)["data"].([]any)
	var types []string
	for _, d := range data {
		types = append(types, d.(map[string]any)["templateType"].(string))
	}
	if !reflect.DeepEqual(types, authTemplateTypes) {
		t.Errorf("template types = %v", types)
	}
	r = call(t, srv, "PUT", "/api/auth/email-templates/request-otp", map[string]any{"subject": "Code", "bodyHtml": "<p>{{ token }}</p>"})
	if m = r.obj(t); r.status != 200 || m["subject"] != "Code" || m["templateType"] != "request-otp" {
		t.Errorf("template update = %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "PUT", "/api/auth/email-templates/welcome", map[string]any{"subject": "x", "bodyHtml": "y"}), 400, "INVALID_INPUT", "")
}

func TestAuthConcurrentUsers(t *testing.T) {
	srv := New(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			call(t, srv, "POST", "/api/auth/users", map[string]any{"email": fmt.Sprintf("u%d@example.com", i), "password": "secret1"})
			call(t, srv, "GET", "/api/auth/users?limit=5", nil)
			call(t, srv, "GET", "/api/metadata", nil)
		})
	}
	wg.Wait()
	if r := call(t, srv, "GET", "/api/auth/users", nil); r.obj(t)["pagination"].(map[string]any)["total"] != float64(20) {
		t.Errorf("after concurrent creates: %s", r.body)
	}
}
