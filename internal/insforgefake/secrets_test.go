package insforgefake

import (
	"strings"
	"testing"
	"time"
)

func secretByKey(t *testing.T, srv *Server, key string) map[string]any {
	t.Helper()
	for _, s := range call(t, srv, "GET", "/api/secrets", nil).obj(t)["secrets"].([]any) {
		if m := s.(map[string]any); m["key"] == key {
			return m
		}
	}
	return nil
}

func TestSecretsLifecycle(t *testing.T) {
	srv := New(t)

	// reserved entries exist from the start, and no value is ever listed
	r := call(t, srv, "GET", "/api/secrets", nil)
	if r.status != 200 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	for _, key := range []string{"API_KEY", "ANON_KEY", "JWT_SECRET"} {
		m := secretByKey(t, srv, key)
		if m == nil || m["isReserved"] != true || m["isActive"] != true {
			t.Errorf("%s = %v", key, m)
		}
	}
	if strings.Contains(string(r.body), DefaultAPIKey) || strings.Contains(string(r.body), DefaultAnonKey) || strings.Contains(string(r.body), "value") {
		t.Fatalf("list leaks values: %s", r.body)
	}

	// create → 201, read, duplicate → 409
	r = call(t, srv, "POST", "/api/secrets", map[string]any{"key": "STRIPE_KEY", "value": "sk_test_1", "expiresAt": "2099-01-01T00:00:00Z"})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	created := r.obj(t)
	if created["success"] != true || created["id"] == "" || created["message"] != "Secret STRIPE_KEY has been created successfully" {
		t.Errorf("create = %v", created)
	}
	m := secretByKey(t, srv, "STRIPE_KEY")
	if m["expiresAt"] != "2099-01-01T00:00:00.000Z" || m["lastUsedAt"] != nil || m["isReserved"] != false {
		t.Errorf("meta = %v", m)
	}
	got := call(t, srv, "GET", "/api/secrets/STRIPE_KEY", nil).obj(t)
	if got["key"] != "STRIPE_KEY" || got["value"] != "sk_test_1" {
		t.Errorf("get = %v", got)
	}
	if secretByKey(t, srv, "STRIPE_KEY")["lastUsedAt"] == nil {
		t.Errorf("lastUsedAt not updated by a read")
	}
	wantError(t, call(t, srv, "POST", "/api/secrets", map[string]any{"key": "STRIPE_KEY", "value": "x"}), 409, "SECRET_ALREADY_EXISTS", "Secret already exists: STRIPE_KEY")

	// update: value, expiry cleared with null
	r = call(t, srv, "PUT", "/api/secrets/STRIPE_KEY", map[string]any{"value": "sk_test_2", "expiresAt": nil})
	if r.status != 200 || r.obj(t)["success"] != true {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	if v, _ := srv.SecretValue("STRIPE_KEY"); v != "sk_test_2" {
		t.Errorf("value after update = %q", v)
	}
	if secretByKey(t, srv, "STRIPE_KEY")["expiresAt"] != nil {
		t.Errorf("expiry not cleared")
	}
	wantError(t, call(t, srv, "PUT", "/api/secrets/STRIPE_KEY", map[string]any{}), 500, "INTERNAL_ERROR", "Failed to update secret: STRIPE_KEY")

	// delete is a soft delete; create revives it with the same id
	if r := call(t, srv, "DELETE", "/api/secrets/STRIPE_KEY", nil); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if m := secretByKey(t, srv, "STRIPE_KEY"); m["isActive"] != false {
		t.Errorf("after delete = %v", m)
	}
	wantError(t, call(t, srv, "GET", "/api/secrets/STRIPE_KEY", nil), 404, "SECRET_NOT_FOUND", "Secret not found: STRIPE_KEY")
	r = call(t, srv, "POST", "/api/secrets", map[string]any{"key": "STRIPE_KEY", "value": "sk_test_3"})
	if r.status != 201 || r.obj(t)["id"] != created["id"] {
		t.Errorf("revive: %d %s (first id %v)", r.status, r.body, created["id"])
	}

	// validation and missing keys
	wantError(t, call(t, srv, "POST", "/api/secrets", map[string]any{"key": "lower", "value": "x"}), 400, "INVALID_INPUT", "")
	wantError(t, call(t, srv, "POST", "/api/secrets", map[string]any{"key": "K"}), 400, "INVALID_INPUT", "")
	wantError(t, call(t, srv, "POST", "/api/secrets", map[string]any{"key": "K", "value": "v", "expiresAt": "soon"}), 500, "INTERNAL_ERROR", "")
	wantError(t, call(t, srv, "PUT", "/api/secrets/NOPE", map[string]any{"value": "x"}), 404, "SECRET_NOT_FOUND", "")
	wantError(t, call(t, srv, "DELETE", "/api/secrets/NOPE", nil), 404, "SECRET_NOT_FOUND", "")
}

func TestSecretsExpiredAndReserved(t *testing.T) {
	srv := New(t)
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	if r := call(t, srv, "POST", "/api/secrets", map[string]any{"key": "OLD", "value": "v", "expiresAt": past}); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "GET", "/api/secrets/OLD", nil), 404, "SECRET_NOT_FOUND", "")

	wantError(t, call(t, srv, "PUT", "/api/secrets/API_KEY", map[string]any{"value": "x"}), 403, "FORBIDDEN", "Cannot update reserved secret: API_KEY")
	wantError(t, call(t, srv, "DELETE", "/api/secrets/ANON_KEY", nil), 403, "FORBIDDEN", "Cannot delete reserved secret: ANON_KEY")
	if got := call(t, srv, "GET", "/api/secrets/API_KEY", nil).obj(t); got["value"] != DefaultAPIKey {
		t.Errorf("reserved API_KEY = %v", got)
	}
}

func TestSecretsRotation(t *testing.T) {
	srv := New(t)
	start := time.Now()
	r := call(t, srv, "POST", "/api/secrets/api-key/rotate", map[string]any{"gracePeriodHours": 2})
	if r.status != 200 {
		t.Fatalf("rotate: %d %s", r.status, r.body)
	}
	m := r.obj(t)
	newKey, _ := m["apiKey"].(string)
	if !strings.HasPrefix(newKey, "ik_") || len(newKey) != 67 || newKey == DefaultAPIKey || m["success"] != true {
		t.Errorf("rotate = %v", m)
	}
	exp, err := time.Parse(time.RFC3339, m["oldKeyExpiresAt"].(string))
	if err != nil || exp.Before(start.Add(2*time.Hour-time.Second)) || exp.After(time.Now().Add(2*time.Hour+time.Second)) {
		t.Errorf("oldKeyExpiresAt = %v (%v)", m["oldKeyExpiresAt"], err)
	}
	if v, _ := srv.SecretValue("API_KEY"); v != newKey {
		t.Errorf("API_KEY after rotation = %q", v)
	}
	var old map[string]any
	for _, s := range call(t, srv, "GET", "/api/secrets", nil).obj(t)["secrets"].([]any) {
		if k := s.(map[string]any)["key"].(string); strings.HasPrefix(k, "API_KEY_OLD_") {
			old = s.(map[string]any)
		}
	}
	if old == nil || old["expiresAt"] != m["oldKeyExpiresAt"] || old["isReserved"] != true {
		t.Errorf("old key entry = %v", old)
	}
	// like the real backend: the old key works during its grace period,
	// the new one at once, and metadata hands out the new one
	if r := call(t, srv, "GET", "/api/secrets", nil); r.status != 200 {
		t.Errorf("old key rejected during its grace period: %d", r.status)
	}
	if r := call(t, srv, "GET", "/api/metadata/api-key", nil, "Authorization", "Bearer "+newKey); r.status != 200 || r.obj(t)["apiKey"] != newKey {
		t.Errorf("new key: %d %s", r.status, r.body)
	}
	// a rotation with no grace period retires the old key at once
	r = call(t, srv, "POST", "/api/secrets/api-key/rotate", map[string]any{"gracePeriodHours": 0}, "Authorization", "Bearer "+newKey)
	newest, _ := r.obj(t)["apiKey"].(string)
	wantError(t, call(t, srv, "GET", "/api/secrets", nil, "Authorization", "Bearer "+newKey), 401, "AUTH_INVALID_API_KEY", "Invalid API key")
	if r := call(t, srv, "GET", "/api/secrets", nil); r.status != 200 {
		t.Errorf("first key (2 h grace) rejected: %d", r.status)
	}
	if r := call(t, srv, "GET", "/api/secrets", nil, "X-Api-Key", newest); r.status != 200 {
		t.Errorf("newest key rejected: %d", r.status)
	}

	r = call(t, srv, "POST", "/api/secrets/anon-key/rotate", map[string]any{"gracePeriodHours": 0})
	m = r.obj(t)
	newAnon, _ := m["anonKey"].(string)
	if r.status != 200 || !strings.HasPrefix(newAnon, "anon_") {
		t.Errorf("anon rotate: %d %s", r.status, r.body)
	}
	if got := call(t, srv, "GET", "/api/metadata/anon-key", nil).obj(t)["anonKey"]; got != newAnon {
		t.Errorf("anon key after rotation = %v, want %v", got, newAnon)
	}
	srv.AddBucket("pub", true)
	wantError(t, call(t, srv, "GET", "/api/storage/buckets/pub/objects", nil, "Authorization", "Bearer "+DefaultAnonKey), 401, "AUTH_INVALID_CREDENTIALS", "Invalid anon key")
	if r := call(t, srv, "GET", "/api/storage/buckets/pub/objects", nil, "Authorization", "Bearer "+newAnon); r.status != 200 {
		t.Errorf("new anon key rejected: %d %s", r.status, r.body)
	}
	r = call(t, srv, "POST", "/api/secrets/anon-key/rotate", nil)
	m = r.obj(t)
	if r.status != 200 || !strings.HasPrefix(m["anonKey"].(string), "anon_") {
		t.Errorf("anon rotate: %d %s", r.status, r.body)
	}
	if r := call(t, srv, "GET", "/api/storage/buckets/pub/objects", nil, "Authorization", "Bearer "+newAnon); r.status != 200 {
		t.Errorf("anon key rejected during its grace period: %d %s", r.status, r.body)
	}
	if exp, _ := time.Parse(time.RFC3339, m["oldKeyExpiresAt"].(string)); exp.Sub(start) < 167*time.Hour {
		t.Errorf("anon default grace: %v", m["oldKeyExpiresAt"])
	}

	wantError(t, call(t, srv, "POST", "/api/secrets/api-key/rotate", map[string]any{"gracePeriodHours": 169}), 400, "INVALID_INPUT", "")
}
