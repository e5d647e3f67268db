package tools_test

import (
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/insforgetest"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

func TestSecretsListHidesValues(t *testing.T) {
	h := testmcp.New(t, testmcp.Options{})
	opsCall(t, h, "create-secret", map[string]any{"key": "STRIPE_SECRET_KEY", "value": "sk_live_abc123"})
	text, data := opsCall(t, h, "list-secrets", nil)
	wantAdminAuth(t, h.Last(t, "GET", "/api/secrets"))
	wantUntrusted(t, text)
	wantText(t, text, "4 secrets (4 active, 3 reserved by the system)", "Values are not listed", "STRIPE_SECRET_KEY", "API_KEY", "ANON_KEY")
	wantNoText(t, text, "sk_live_abc123", insforgetest.DefaultAPIKey, insforgetest.DefaultAnonKey, `"id"`, "createdAt")
	secrets, _ := data["secrets"].([]any)
	if len(secrets) != 4 {
		t.Fatalf("structured = %v", data)
	}
	for _, s := range secrets {
		m := s.(map[string]any)
		if len(m) != 5 {
			t.Errorf("secret metadata has fields %v, want key, isActive, isReserved, lastUsedAt, expiresAt", m)
		}
	}

	h.Backend.Fail("GET", "/api/secrets", &insforgetest.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "Failed to list secrets"})
	wantText(t, h.Fail(t, "list-secrets", nil), "answered 500", "Failed to list secrets")
}

func TestSecretsGetSecret(t *testing.T) {
	h := testmcp.New(t, testmcp.Options{})
	opsCall(t, h, "create-secret", map[string]any{"key": "OPENAI_KEY", "value": "sk-test-42"})
	text, data := opsCall(t, h, "get-secret", map[string]any{"key": "OPENAI_KEY"})
	wantAdminAuth(t, h.Last(t, "GET", "/api/secrets/OPENAI_KEY"))
	wantUntrusted(t, text)
	wantText(t, text, "Value of secret OPENAI_KEY, as the user asked", "Do not copy it")
	if data["key"] != "OPENAI_KEY" || data["value"] != "sk-test-42" {
		t.Errorf("structured = %v", data)
	}

	wantText(t, h.Fail(t, "get-secret", map[string]any{"key": "MISSING_KEY"}), "There is no active secret MISSING_KEY", "list-secrets", "create-secret")
	opsLocal(t, h, "get-secret", map[string]any{"key": "openai_key"}, "not a valid secret key", "uppercase")
	opsLocal(t, h, "get-secret", map[string]any{"key": "../metadata"}, "not a valid secret key")
}

func TestSecretsCreateSecret(t *testing.T) {
	h := testmcp.New(t, testmcp.Options{})
	text, data := opsCall(t, h, "create-secret", map[string]any{"key": "RESEND_API_KEY", "value": "re_secret_value", "expiresAt": "2027-06-30T12:00:00+02:00"})
	req := h.Last(t, "POST", "/api/secrets")
	wantAdminAuth(t, req)
	body := bodyObject(t, req)
	if body["key"] != "RESEND_API_KEY" || body["value"] != "re_secret_value" || body["expiresAt"] != "2027-06-30T10:00:00Z" || len(body) != 3 {
		t.Errorf("body = %v", body)
	}
	wantText(t, text, "Created secret RESEND_API_KEY", "Deno.env.get('RESEND_API_KEY')")
	wantNoText(t, text, "re_secret_value")
	if data["key"] != "RESEND_API_KEY" || data["id"] == "" {
		t.Errorf("structured = %v", data)
	}
	if v, ok := h.Backend.SecretValue("RESEND_API_KEY"); !ok || v != "re_secret_value" {
		t.Errorf("stored value = %q %v", v, ok)
	}

	text = h.Fail(t, "create-secret", map[string]any{"key": "RESEND_API_KEY", "value": "another"})
	wantText(t, text, "already exists", "update-secret")
	wantNoText(t, text, "another")

	opsLocal(t, h, "create-secret", map[string]any{"key": "resend-key", "value": "x"}, "not a valid secret key", "STRIPE_SECRET_KEY")
	opsLocal(t, h, "create-secret", map[string]any{"key": "K", "value": ""}, "value must not be empty")
	opsLocal(t, h, "create-secret", map[string]any{"key": "K", "value": "v", "expiresAt": "next week"}, "not an ISO 8601 time")
	opsLocal(t, h, "create-secret", map[string]any{"key": "K"}, `missing required argument "value"`)
}

func TestSecretsUpdateAndDelete(t *testing.T) {
	h := testmcp.New(t, testmcp.Options{})
	opsCall(t, h, "create-secret", map[string]any{"key": "WEBHOOK_SECRET", "value": "whsec_1", "expiresAt": "2030-01-01"})

	text, _ := opsCall(t, h, "update-secret", map[string]any{"key": "WEBHOOK_SECRET", "value": "whsec_2", "expiresAt": nil})
	req := h.Last(t, "PUT", "/api/secrets/WEBHOOK_SECRET")
	wantAdminAuth(t, req)
	body := bodyObject(t, req)
	if body["value"] != "whsec_2" || len(body) != 2 {
		t.Errorf("body = %v", body)
	}
	if v, ok := body["expiresAt"]; !ok || v != nil {
		t.Errorf("expiresAt null must be sent as null to clear: %v", body)
	}
	wantText(t, text, "Updated secret WEBHOOK_SECRET: new value, no expiry")
	wantNoText(t, text, "whsec_2")
	if v, _ := h.Backend.SecretValue("WEBHOOK_SECRET"); v != "whsec_2" {
		t.Errorf("value = %q", v)
	}

	opsCall(t, h, "update-secret", map[string]any{"key": "WEBHOOK_SECRET", "isActive": false, "expiresAt": "2031-01-01T00:00:00Z"})
	if body := bodyObject(t, h.Last(t, "PUT", "/api/secrets/WEBHOOK_SECRET")); body["isActive"] != false || body["expiresAt"] != "2031-01-01T00:00:00Z" || len(body) != 2 {
		t.Errorf("body = %v", body)
	}
	if _, ok := h.Backend.SecretValue("WEBHOOK_SECRET"); ok {
		t.Errorf("a disabled secret is still served")
	}
	opsCall(t, h, "update-secret", map[string]any{"key": "WEBHOOK_SECRET", "isActive": true, "expiresAt": ""})
	if body := bodyObject(t, h.Last(t, "PUT", "/api/secrets/WEBHOOK_SECRET")); body["isActive"] != true || body["expiresAt"] != nil {
		t.Errorf("body = %v", body)
	}

	opsLocal(t, h, "update-secret", map[string]any{"key": "WEBHOOK_SECRET"}, "Nothing to change")
	opsLocal(t, h, "update-secret", map[string]any{"key": "WEBHOOK_SECRET", "value": ""}, "value must not be empty")
	wantText(t, h.Fail(t, "update-secret", map[string]any{"key": "API_KEY", "value": "x"}), "reserved system secret", "rotate-api-key")
	wantText(t, h.Fail(t, "update-secret", map[string]any{"key": "NOPE", "value": "x"}), "There is no active secret NOPE")

	text, _ = opsCall(t, h, "delete-secret", map[string]any{"key": "WEBHOOK_SECRET"})
	wantAdminAuth(t, h.Last(t, "DELETE", "/api/secrets/WEBHOOK_SECRET"))
	wantText(t, text, "Deleted secret WEBHOOK_SECRET", "create-secret")
	if _, ok := h.Backend.SecretValue("WEBHOOK_SECRET"); ok {
		t.Errorf("deleted secret still served")
	}
	wantText(t, h.Fail(t, "delete-secret", map[string]any{"key": "ANON_KEY"}), "reserved system secret", "rotate-anon-key")
	wantText(t, h.Fail(t, "delete-secret", map[string]any{"key": "NOPE"}), "There is no active secret NOPE")
	opsLocal(t, h, "delete-secret", map[string]any{"key": "a/b"}, "not a valid secret key")
}

func TestSecretsRotateAPIKey(t *testing.T) {
	h := testmcp.New(t, testmcp.Options{})
	text, data := opsCall(t, h, "rotate-api-key", nil)
	req := h.Last(t, "POST", "/api/secrets/api-key/rotate")
	wantAdminAuth(t, req)
	if body := bodyObject(t, req); body["gracePeriodHours"] != float64(24) || len(body) != 1 {
		t.Errorf("body = %v", body)
	}
	newKey, ok := h.Backend.SecretValue("API_KEY")
	if !ok || newKey == insforgetest.DefaultAPIKey || !strings.HasPrefix(newKey, "ik_") {
		t.Fatalf("backend API_KEY after rotation = %q", newKey)
	}
	wantNoText(t, text, newKey)
	if _, has := data["apiKey"]; has {
		t.Errorf("structured content carries the new key without reveal: %v", data)
	}
	wantText(t, text, "The admin API key was rotated", "until "+data["oldKeyExpiresAt"].(string)+" (24 hours)", "dashboard", "connect-project with the new key")

	text, data = opsCall(t, h, "rotate-api-key", map[string]any{"gracePeriodHours": 0, "reveal": true})
	if body := bodyObject(t, h.Last(t, "POST", "/api/secrets/api-key/rotate")); body["gracePeriodHours"] != float64(0) {
		t.Errorf("body = %v", body)
	}
	revealed, _ := h.Backend.SecretValue("API_KEY")
	if data["apiKey"] != revealed {
		t.Errorf("revealed key = %v, want %s", data["apiKey"], revealed)
	}
	wantText(t, text, revealed, "reveal was requested", "no grace period", "stopped working at once", "connect-project with the new key now")
	wantNoText(t, text, "(0 hours)")

	opsLocal(t, h, "rotate-api-key", map[string]any{"gracePeriodHours": 169}, "between 0 and 168")
	h.Backend.Fail("POST", "/api/secrets/api-key/rotate", &insforgetest.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "Failed to rotate API key"})
	wantText(t, h.Fail(t, "rotate-api-key", nil), "answered 500", "Failed to rotate API key")

	if got := opsHints(t, "rotate-api-key"); got != (tools.Hints{ReadOnly: tools.No, Destructive: tools.Yes, Idempotent: tools.No, OpenWorld: tools.Yes}) {
		t.Errorf("rotate-api-key hints = %+v", got)
	}
}

// With no grace period the key this server uses stops at once (real
// backend: API_KEY_OLD_* expires now); the next call reports the 401.
func TestSecretsRotateAPIKeyNoGrace(t *testing.T) {
	h := testmcp.New(t, testmcp.Options{})
	opsCall(t, h, "rotate-api-key", map[string]any{"gracePeriodHours": 0})
	wantText(t, h.Fail(t, "list-secrets", nil), "401")
}

func TestSecretsRotateAnonKey(t *testing.T) {
	h := testmcp.New(t, testmcp.Options{})
	text, data := opsCall(t, h, "rotate-anon-key", nil)
	req := h.Last(t, "POST", "/api/secrets/anon-key/rotate")
	wantAdminAuth(t, req)
	if body := bodyObject(t, req); body["gracePeriodHours"] != float64(168) {
		t.Errorf("body = %v", body)
	}
	newKey, _ := h.Backend.SecretValue("ANON_KEY")
	if data["anonKey"] != newKey || !strings.HasPrefix(newKey, "anon_") || newKey == insforgetest.DefaultAnonKey {
		t.Errorf("structured = %v, backend ANON_KEY %s", data, newKey)
	}
	wantUntrusted(t, text)
	wantText(t, text, "The anon key was rotated", "(168 hours)", "redeploy", newKey)
	// get-anon-key and download-template hand out the new key from now on
	wantText(t, h.OK(t, "get-anon-key", nil), newKey)
	wantText(t, h.OK(t, "download-template", map[string]any{"frame": "react"}), "--anon-key "+newKey)

	opsCall(t, h, "rotate-anon-key", map[string]any{"gracePeriodHours": 720})
	opsLocal(t, h, "rotate-anon-key", map[string]any{"gracePeriodHours": 721}, "between 0 and 720")
	opsLocal(t, h, "rotate-anon-key", map[string]any{"gracePeriodHours": -1}, "between 0 and 720")
	h.Backend.Fail("POST", "/api/secrets/anon-key/rotate", &insforgetest.APIError{Status: 400, Code: "INVALID_INPUT", Message: "Invalid request: Expected integer, received float"})
	wantText(t, h.Fail(t, "rotate-anon-key", nil), "answered 400 INVALID_INPUT")
	if got := opsHints(t, "rotate-anon-key"); got.Destructive != tools.Yes || got.ReadOnly != tools.No || got.Idempotent != tools.No {
		t.Errorf("rotate-anon-key hints = %+v", got)
	}
}

func TestSecretsReadOnly(t *testing.T) {
	opsReadOnly(t, []string{"list-secrets", "get-secret"},
		[]string{"create-secret", "update-secret", "delete-secret", "rotate-api-key", "rotate-anon-key"})
}
