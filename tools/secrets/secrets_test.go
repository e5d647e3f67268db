package secrets_test

import (
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

func TestSecretsListHidesValues(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	h.Data(t, "create-secret", map[string]any{"key": "STRIPE_SECRET_KEY", "value": "sk_live_abc123"})
	text, data := h.Data(t, "list-secrets", nil)
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/secrets"))
	testmcp.WantUntrusted(t, text)
	testmcp.WantText(t, text, "4 secrets (4 active, 3 reserved by the system)", "Values are not listed", "STRIPE_SECRET_KEY", "API_KEY", "ANON_KEY")
	testmcp.WantNoText(t, text, "sk_live_abc123", insforgefake.DefaultAPIKey, insforgefake.DefaultAnonKey, `"id"`, "createdAt")
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

	h.Backend.Fail("GET", "/api/secrets", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "Failed to list secrets"})
	testmcp.WantText(t, h.Fail(t, "list-secrets", nil), "answered 500", "Failed to list secrets")
}

func TestSecretsGetSecret(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	h.Data(t, "create-secret", map[string]any{"key": "OPENAI_KEY", "value": "sk-test-42"})
	text, data := h.Data(t, "get-secret", map[string]any{"key": "OPENAI_KEY"})
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/secrets/OPENAI_KEY"))
	testmcp.WantUntrusted(t, text)
	testmcp.WantText(t, text, "Value of secret OPENAI_KEY, as the user asked", "Do not copy it")
	if data["key"] != "OPENAI_KEY" || data["value"] != "sk-test-42" {
		t.Errorf("structured = %v", data)
	}

	testmcp.WantText(t, h.Fail(t, "get-secret", map[string]any{"key": "MISSING_KEY"}), "There is no active secret MISSING_KEY", "list-secrets", "create-secret")
	h.Refused(t, "get-secret", map[string]any{"key": "openai_key"}, "not a valid secret key", "uppercase")
	h.Refused(t, "get-secret", map[string]any{"key": "../metadata"}, "not a valid secret key")
}

func TestSecretsCreateSecret(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	text, data := h.Data(t, "create-secret", map[string]any{"key": "RESEND_API_KEY", "value": "re_secret_value", "expiresAt": "2027-06-30T12:00:00+02:00"})
	req := h.Last(t, "POST", "/api/secrets")
	testmcp.WantAdminAuth(t, req)
	body := testmcp.BodyObject(t, req)
	if body["key"] != "RESEND_API_KEY" || body["value"] != "re_secret_value" || body["expiresAt"] != "2027-06-30T10:00:00Z" || len(body) != 3 {
		t.Errorf("body = %v", body)
	}
	testmcp.WantText(t, text, "Created secret RESEND_API_KEY", "Deno.env.get('RESEND_API_KEY')")
	testmcp.WantNoText(t, text, "re_secret_value")
	if data["key"] != "RESEND_API_KEY" || data["id"] == "" {
		t.Errorf("structured = %v", data)
	}
	if v, ok := h.Backend.SecretValue("RESEND_API_KEY"); !ok || v != "re_secret_value" {
		t.Errorf("stored value = %q %v", v, ok)
	}

	text = h.Fail(t, "create-secret", map[string]any{"key": "RESEND_API_KEY", "value": "another"})
	testmcp.WantText(t, text, "already exists", "update-secret")
	testmcp.WantNoText(t, text, "another")

	h.Refused(t, "create-secret", map[string]any{"key": "resend-key", "value": "x"}, "not a valid secret key", "STRIPE_SECRET_KEY")
	h.Refused(t, "create-secret", map[string]any{"key": "K", "value": ""}, "value must not be empty")
	h.Refused(t, "create-secret", map[string]any{"key": "K", "value": "v", "expiresAt": "next week"}, "not an ISO 8601 time")
	h.Refused(t, "create-secret", map[string]any{"key": "K"}, `missing required argument "value"`)
}

func TestSecretsUpdateAndDelete(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	h.Data(t, "create-secret", map[string]any{"key": "WEBHOOK_SECRET", "value": "whsec_1", "expiresAt": "2030-01-01"})

	text, _ := h.Data(t, "update-secret", map[string]any{"key": "WEBHOOK_SECRET", "value": "whsec_2", "expiresAt": nil})
	req := h.Last(t, "PUT", "/api/secrets/WEBHOOK_SECRET")
	testmcp.WantAdminAuth(t, req)
	body := testmcp.BodyObject(t, req)
	if body["value"] != "whsec_2" || len(body) != 2 {
		t.Errorf("body = %v", body)
	}
	if v, ok := body["expiresAt"]; !ok || v != nil {
		t.Errorf("expiresAt null must be sent as null to clear: %v", body)
	}
	testmcp.WantText(t, text, "Updated secret WEBHOOK_SECRET: new value, no expiry")
	testmcp.WantNoText(t, text, "whsec_2")
	if v, _ := h.Backend.SecretValue("WEBHOOK_SECRET"); v != "whsec_2" {
		t.Errorf("value = %q", v)
	}

	h.Data(t, "update-secret", map[string]any{"key": "WEBHOOK_SECRET", "isActive": false, "expiresAt": "2031-01-01T00:00:00Z"})
	if body := testmcp.BodyObject(t, h.Last(t, "PUT", "/api/secrets/WEBHOOK_SECRET")); body["isActive"] != false || body["expiresAt"] != "2031-01-01T00:00:00Z" || len(body) != 2 {
		t.Errorf("body = %v", body)
	}
	if _, ok := h.Backend.SecretValue("WEBHOOK_SECRET"); ok {
		t.Errorf("a disabled secret is still served")
	}
	h.Data(t, "update-secret", map[string]any{"key": "WEBHOOK_SECRET", "isActive": true, "expiresAt": ""})
	if body := testmcp.BodyObject(t, h.Last(t, "PUT", "/api/secrets/WEBHOOK_SECRET")); body["isActive"] != true || body["expiresAt"] != nil {
		t.Errorf("body = %v", body)
	}

	h.Refused(t, "update-secret", map[string]any{"key": "WEBHOOK_SECRET"}, "Nothing to change")
	h.Refused(t, "update-secret", map[string]any{"key": "WEBHOOK_SECRET", "value": ""}, "value must not be empty")
	testmcp.WantText(t, h.Fail(t, "update-secret", map[string]any{"key": "API_KEY", "value": "x"}), "reserved system secret", "rotate-api-key")
	testmcp.WantText(t, h.Fail(t, "update-secret", map[string]any{"key": "NOPE", "value": "x"}), "There is no active secret NOPE")

	text, _ = h.Data(t, "delete-secret", map[string]any{"key": "WEBHOOK_SECRET"})
	testmcp.WantAdminAuth(t, h.Last(t, "DELETE", "/api/secrets/WEBHOOK_SECRET"))
	testmcp.WantText(t, text, "Deleted secret WEBHOOK_SECRET", "create-secret")
	if _, ok := h.Backend.SecretValue("WEBHOOK_SECRET"); ok {
		t.Errorf("deleted secret still served")
	}
	testmcp.WantText(t, h.Fail(t, "delete-secret", map[string]any{"key": "ANON_KEY"}), "reserved system secret", "rotate-anon-key")
	testmcp.WantText(t, h.Fail(t, "delete-secret", map[string]any{"key": "NOPE"}), "There is no active secret NOPE")
	h.Refused(t, "delete-secret", map[string]any{"key": "a/b"}, "not a valid secret key")
}

func TestSecretsRotateAPIKey(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	text, data := h.Data(t, "rotate-api-key", nil)
	req := h.Last(t, "POST", "/api/secrets/api-key/rotate")
	testmcp.WantAdminAuth(t, req)
	if body := testmcp.BodyObject(t, req); body["gracePeriodHours"] != float64(24) || len(body) != 1 {
		t.Errorf("body = %v", body)
	}
	newKey, ok := h.Backend.SecretValue("API_KEY")
	if !ok || newKey == insforgefake.DefaultAPIKey || !strings.HasPrefix(newKey, "ik_") {
		t.Fatalf("backend API_KEY after rotation = %q", newKey)
	}
	testmcp.WantNoText(t, text, newKey)
	if _, has := data["apiKey"]; has {
		t.Errorf("structured content carries the new key without reveal: %v", data)
	}
	testmcp.WantText(t, text, "The admin API key was rotated", "until "+data["oldKeyExpiresAt"].(string)+" (24 hours)", "dashboard", "connect-project with the new key")

	text, data = h.Data(t, "rotate-api-key", map[string]any{"gracePeriodHours": 0, "reveal": true})
	if body := testmcp.BodyObject(t, h.Last(t, "POST", "/api/secrets/api-key/rotate")); body["gracePeriodHours"] != float64(0) {
		t.Errorf("body = %v", body)
	}
	revealed, _ := h.Backend.SecretValue("API_KEY")
	if data["apiKey"] != revealed {
		t.Errorf("revealed key = %v, want %s", data["apiKey"], revealed)
	}
	testmcp.WantText(t, text, revealed, "reveal was requested", "no grace period", "stopped working at once", "connect-project with the new key now")
	testmcp.WantNoText(t, text, "(0 hours)")

	h.Refused(t, "rotate-api-key", map[string]any{"gracePeriodHours": 169}, "between 0 and 168")
	h.Backend.Fail("POST", "/api/secrets/api-key/rotate", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "Failed to rotate API key"})
	testmcp.WantText(t, h.Fail(t, "rotate-api-key", nil), "answered 500", "Failed to rotate API key")

	if got := testmcp.HintsOf(t, "rotate-api-key"); got != (tools.Hints{ReadOnly: tools.No, Destructive: tools.Yes, Idempotent: tools.No, OpenWorld: tools.Yes}) {
		t.Errorf("rotate-api-key hints = %+v", got)
	}
}

// With no grace period the key this server uses stops at once (real
// backend: API_KEY_OLD_* expires now); the next call reports the 401.
func TestSecretsRotateAPIKeyNoGrace(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	h.Data(t, "rotate-api-key", map[string]any{"gracePeriodHours": 0})
	testmcp.WantText(t, h.Fail(t, "list-secrets", nil), "401")
}

func TestSecretsRotateAnonKey(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	text, data := h.Data(t, "rotate-anon-key", nil)
	req := h.Last(t, "POST", "/api/secrets/anon-key/rotate")
	testmcp.WantAdminAuth(t, req)
	if body := testmcp.BodyObject(t, req); body["gracePeriodHours"] != float64(168) {
		t.Errorf("body = %v", body)
	}
	newKey, _ := h.Backend.SecretValue("ANON_KEY")
	if data["anonKey"] != newKey || !strings.HasPrefix(newKey, "anon_") || newKey == insforgefake.DefaultAnonKey {
		t.Errorf("structured = %v, backend ANON_KEY %s", data, newKey)
	}
	testmcp.WantUntrusted(t, text)
	testmcp.WantText(t, text, "The anon key was rotated", "(168 hours)", "redeploy", newKey)
	// get-anon-key and download-template hand out the new key from now on
	testmcp.WantText(t, h.OK(t, "get-anon-key", nil), newKey)
	testmcp.WantText(t, h.OK(t, "download-template", map[string]any{"frame": "react"}), "--anon-key "+newKey)

	h.Data(t, "rotate-anon-key", map[string]any{"gracePeriodHours": 720})
	h.Refused(t, "rotate-anon-key", map[string]any{"gracePeriodHours": 721}, "between 0 and 720")
	h.Refused(t, "rotate-anon-key", map[string]any{"gracePeriodHours": -1}, "between 0 and 720")
	h.Backend.Fail("POST", "/api/secrets/anon-key/rotate", &insforgefake.APIError{Status: 400, Code: "INVALID_INPUT", Message: "Invalid request: Expected integer, received float"})
	testmcp.WantText(t, h.Fail(t, "rotate-anon-key", nil), "answered 400 INVALID_INPUT")
	if got := testmcp.HintsOf(t, "rotate-anon-key"); got.Destructive != tools.Yes || got.ReadOnly != tools.No || got.Idempotent != tools.No {
		t.Errorf("rotate-anon-key hints = %+v", got)
	}
}

func TestSecretsReadOnly(t *testing.T) {
	t.Parallel()
	testmcp.WantReadOnly(t, []string{"list-secrets", "get-secret"},
		[]string{"create-secret", "update-secret", "delete-secret", "rotate-api-key", "rotate-anon-key"})
}
