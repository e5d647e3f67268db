//go:build contract

package contract

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// project: the credential gate against the real backend: a wrong key is
// refused with an explanation, the right one connects, disconnecting falls
// back to the configured project.
func project(t *testing.T, r *run) {
	r.fail(t, "connect-project", map[string]any{"projectUrl": r.url, "apiKey": "ik_" + strings.Repeat("0", 64)}, "refused the key", "connect-project")
	text, _ := r.ok(t, "connect-project", map[string]any{"projectUrl": r.url, "apiKey": r.key})
	wantText(t, "connect-project", text, "Connected to "+r.url)
	r.ok(t, "disconnect-project", nil)
	_, list := r.ok(t, "list-tables", nil)
	want(t, "list-tables schema after disconnect (configured project)", str(list, "schema"), "public")
}

// metadataDocsTemplate: the read-only overview tools.
func metadataDocsTemplate(t *testing.T, r *run) {
	_, meta := r.ok(t, "get-backend-metadata", nil)
	for _, section := range []string{"auth", "database", "storage", "functions", "realtime"} {
		if field(meta, section) == nil {
			t.Errorf("get-backend-metadata lacks %s", section)
		}
	}
	_, auth := r.ok(t, "get-backend-metadata", map[string]any{"section": "auth"})
	if toJSON(auth) == toJSON(meta) || !strings.Contains(toJSON(auth), "passwordMinLength") {
		t.Errorf("get-backend-metadata section=auth = %s, want the auth section alone", summary(toJSON(auth)))
	}
	_, anon := r.ok(t, "get-anon-key", nil)
	key := str(anon, "anonKey")
	if !strings.HasPrefix(key, "anon_") {
		t.Errorf("get-anon-key anonKey = %q, want anon_…", key)
	}
	text, _ := r.ok(t, "fetch-docs", map[string]any{"docType": "instructions"})
	wantText(t, "fetch-docs instructions", text, "InsForge", "createClient")
	text, _ = r.ok(t, "fetch-sdk-docs", map[string]any{"sdkFeature": "storage", "sdkLanguage": "typescript"})
	wantText(t, "fetch-sdk-docs storage/typescript", text, "upload")
	app := "ct-app-" + r.sfx
	text, tpl := r.ok(t, "download-template", map[string]any{"frame": "nextjs", "projectName": app})
	wantText(t, "download-template command", str(tpl, "command"), app, "--frame nextjs", "--base-url "+r.url, "--anon-key "+key)
	wantText(t, "download-template", text, "never put the admin API key")
}

// auth: settings written back unchanged, and a user's life.
func auth(t *testing.T, r *run) {
	_, cfg := r.ok(t, "get-auth-config", nil)
	same := map[string]any{}
	for _, k := range []string{"requireEmailVerification", "passwordMinLength", "requireNumber", "requireLowercase", "requireUppercase", "requireSpecialChar", "verifyEmailMethod", "resetPasswordMethod", "allowedRedirectUrls", "disableSignup"} {
		if v, ok := cfg[k]; ok {
			same[k] = v
		}
	}
	_, after := r.ok(t, "update-auth-config", same)
	for k, v := range same {
		want(t, "update-auth-config "+k, toJSON(after[k]), toJSON(v))
	}
	_, pub := r.ok(t, "get-public-auth-config", nil)
	want(t, "public passwordMinLength", str(pub, "passwordMinLength"), str(cfg, "passwordMinLength"))
	want(t, "public disableSignup", str(pub, "disableSignup"), str(cfg, "disableSignup"))
	if _, ok := pub["allowedRedirectUrls"]; ok {
		t.Error("get-public-auth-config shows allowedRedirectUrls, an admin setting")
	}

	email, password := "ct-"+r.sfx+"@example.com", "Pw-"+r.sfx+"-long-enough"
	text, out := r.ok(t, "create-user", map[string]any{"email": strings.ToUpper("ct-"+r.sfx) + "@Example.com", "password": password, "name": "Contract " + r.sfx, "autoConfirm": true})
	id := str(out, "user", "id")
	if id == "" {
		t.Fatalf("create-user returned no id: %v", out)
	}
	r.cleanup(t, "delete-users", map[string]any{"userIds": []any{id}})
	if strings.Contains(text, password) {
		t.Error("create-user echoed the password")
	}
	want(t, "created email (lower case)", str(out, "user", "email"), email)
	want(t, "created emailVerified", str(out, "user", "emailVerified"), true)
	r.fail(t, "create-user", map[string]any{"email": email, "password": password}, "409")

	_, u := r.ok(t, "get-user", map[string]any{"userId": id})
	want(t, "get-user email", str(u, "email"), email)
	want(t, "get-user profile.name", str(u, "profile", "name"), "Contract "+r.sfx)
	_, list := r.ok(t, "list-users", map[string]any{"search": "ct-" + r.sfx})
	want(t, "list-users total", str(list, "pagination", "total"), 1)
	want(t, "list-users id", str(find(objects(list, "users"), "email", email), "id"), id)
	_, del := r.ok(t, "delete-users", map[string]any{"userIds": []any{id}})
	want(t, "deletedCount", str(del, "deletedCount"), 1)
	r.fail(t, "get-user", map[string]any{"userId": id}, id)
}

// oauthSMTPTemplates: an OAuth provider's life, SMTP refusal and rewrite,
// an email template changed and restored.
func oauthSMTPTemplates(t *testing.T, r *run) {
	_, list := r.ok(t, "list-oauth-providers", nil)
	provider := ""
	for _, p := range []string{"discord", "spotify", "linkedin", "tiktok", "x"} {
		if find(objects(list, "providers"), "provider", p) == nil {
			provider = p
			break
		}
	}
	if provider == "" {
		t.Fatal("every candidate OAuth provider is configured already")
	}
	if _, _, isError := r.either(t, "create-oauth-provider", map[string]any{"provider": provider, "useSharedKey": true}, "useSharedKey: false"); !isError {
		r.ok(t, "delete-oauth-provider", map[string]any{"provider": provider})
	}
	secret := "cs-" + r.sfx + "-secret"
	r.cleanup(t, "delete-oauth-provider", map[string]any{"provider": provider})
	text, out := r.ok(t, "create-oauth-provider", map[string]any{"provider": provider, "useSharedKey": false, "clientId": "cid-" + r.sfx, "clientSecret": secret, "scopes": []any{"identify", "email"}})
	want(t, "created clientId", str(out, "clientId"), "cid-"+r.sfx)
	wantText(t, "create-oauth-provider", text, "/api/auth/oauth/"+provider+"/callback")
	text, _ = r.ok(t, "get-oauth-provider", map[string]any{"provider": provider})
	if strings.Contains(text, secret) {
		t.Error("get-oauth-provider showed the client secret without includeSecret")
	}
	text, _ = r.ok(t, "get-oauth-provider", map[string]any{"provider": provider, "includeSecret": true})
	wantText(t, "get-oauth-provider includeSecret", text, secret)
	_, out = r.ok(t, "update-oauth-provider", map[string]any{"provider": provider, "scopes": []any{"identify", "email", "guilds"}})
	want(t, "updated scopes", strings.Join(stringList(out, "scopes"), ","), "identify,email,guilds")
	_, list = r.ok(t, "list-oauth-providers", nil)
	if find(objects(list, "providers"), "provider", provider) == nil {
		t.Errorf("list-oauth-providers does not list %s", provider)
	}
	_, pub := r.ok(t, "get-public-auth-config", nil)
	if !slices.Contains(stringList(pub, "oAuthProviders"), provider) && !strings.Contains(toJSON(field(pub, "oAuthProviders")), provider) {
		t.Errorf("get-public-auth-config oAuthProviders = %v, want %s", field(pub, "oAuthProviders"), provider)
	}
	r.ok(t, "delete-oauth-provider", map[string]any{"provider": provider})
	_, list = r.ok(t, "list-oauth-providers", nil)
	if find(objects(list, "providers"), "provider", provider) != nil {
		t.Errorf("list-oauth-providers still lists %s", provider)
	}

	smtp(t, r)
	templates(t, r)
}

func smtp(t *testing.T, r *run) {
	_, cfg := r.ok(t, "get-smtp-config", nil)
	r.fail(t, "update-smtp-config", map[string]any{"enabled": true, "port": 587, "host": "127.0.0.1", "username": "u", "password": "p-" + r.sfx, "senderEmail": "ct@example.com", "senderName": "CT"}, "private or loopback")
	if str(cfg, "enabled") == "true" {
		t.Log("custom SMTP is enabled on this backend: it is not written back (that would test the connection and may need the password)")
		return
	}
	same := map[string]any{"enabled": false, "port": field(cfg, "port"), "minIntervalSeconds": field(cfg, "minIntervalSeconds")}
	for _, k := range []string{"host", "username", "senderEmail", "senderName"} {
		if s := str(cfg, k); s != "" {
			same[k] = s
		}
	}
	r.ok(t, "update-smtp-config", same)
	_, after := r.ok(t, "get-smtp-config", nil)
	for _, k := range []string{"enabled", "port", "host", "username", "senderEmail", "senderName", "minIntervalSeconds", "hasPassword"} {
		want(t, "SMTP "+k+" after writing it back", str(after, k), str(cfg, k))
	}
}

func templates(t *testing.T, r *run) {
	const kind = "reset-password-code"
	_, list := r.ok(t, "list-email-templates", nil)
	tpl := find(objects(list, "templates"), "templateType", kind)
	if len(objects(list, "templates")) < 5 || tpl == nil {
		t.Fatalf("list-email-templates = %d templates without %s", len(objects(list, "templates")), kind)
	}
	subject, body := str(tpl, "subject"), str(tpl, "bodyHtml")
	r.cleanup(t, "update-email-template", map[string]any{"type": kind, "subject": subject, "bodyHtml": body})
	r.ok(t, "update-email-template", map[string]any{"type": kind, "subject": subject + " " + r.sfx, "bodyHtml": body})
	_, list = r.ok(t, "list-email-templates", nil)
	want(t, "changed subject", str(find(objects(list, "templates"), "templateType", kind), "subject"), subject+" "+r.sfx)
	r.ok(t, "update-email-template", map[string]any{"type": kind, "subject": subject, "bodyHtml": body})
	_, list = r.ok(t, "list-email-templates", nil)
	got := find(objects(list, "templates"), "templateType", kind)
	want(t, "restored subject", str(got, "subject"), subject)
	want(t, "restored body", str(got, "bodyHtml") == body, true)
}

var adminKeyPattern = regexp.MustCompile(`ik_[0-9a-f]{16,}`)

// keyRotation comes last: rotate-anon-key and rotate-api-key, each with a
// grace period, then the original keys are put back as the database owner
// so that the key this run was given stays the admin key.
func keyRotation(t *testing.T, r *run) {
	_, anon := r.ok(t, "get-anon-key", nil)
	oldAnon := str(anon, "anonKey")
	anonID := str(r.sql(t, "select id::text as id from system.secrets where key = 'ANON_KEY' and is_active")[0], "id")
	t.Cleanup(func() { restoreKey(t, r, "ANON_KEY", anonID) })
	text, out := r.ok(t, "rotate-anon-key", map[string]any{"gracePeriodHours": 2})
	newAnon := str(out, "anonKey")
	if !strings.HasPrefix(newAnon, "anon_") || newAnon == oldAnon {
		t.Errorf("rotate-anon-key anonKey = %q, want a new anon_ key", newAnon)
	}
	wantText(t, "rotate-anon-key", text, "(2 hours)", newAnon)
	_, anon = r.ok(t, "get-anon-key", nil)
	want(t, "anon key after rotation", str(anon, "anonKey"), newAnon)
	restoreKey(t, r, "ANON_KEY", anonID)
	_, anon = r.ok(t, "get-anon-key", nil)
	want(t, "anon key after restoring", str(anon, "anonKey"), oldAnon)

	apiID := str(r.sql(t, "select id::text as id from system.secrets where key = 'API_KEY' and is_active")[0], "id")
	t.Cleanup(func() { restoreKey(t, r, "API_KEY", apiID) })
	text, out = r.ok(t, "rotate-api-key", map[string]any{"gracePeriodHours": 168})
	if adminKeyPattern.MatchString(text) || adminKeyPattern.MatchString(toJSON(out)) {
		t.Error("rotate-api-key without reveal showed an admin key")
	}
	wantText(t, "rotate-api-key", text, "keeps working until", "(168 hours)", "connect-project")
	if str(out, "oldKeyExpiresAt") == "" {
		t.Errorf("rotate-api-key lacks oldKeyExpiresAt: %v", out)
	}
	r.ok(t, "get-backend-metadata", map[string]any{"section": "storage"}) // the old key works in its grace period
	restoreKey(t, r, "API_KEY", apiID)
	rows := r.sql(t, "select key, expires_at from system.secrets where key = 'API_KEY' and is_active")
	if len(rows) != 1 || field(rows[0], "expires_at") != nil {
		t.Errorf("after restoring, the active API_KEY rows are %v, want one without expiry", rows)
	}
	r.ok(t, "get-backend-metadata", map[string]any{"section": "storage"})
}

// restoreKey makes the secret row id the active key again (without expiry)
// and drops the key a rotation made in its place. It is idempotent.
func restoreKey(t *testing.T, r *run, key, id string) {
	t.Helper()
	r.sql(t, "delete from system.secrets where key = $1 and id <> $2::uuid", key, id)
	r.sql(t, "update system.secrets set key = $1, expires_at = null where id = $2::uuid", key, id)
}
