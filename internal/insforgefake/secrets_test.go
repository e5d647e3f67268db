package insforgefake

import (
	"testing"
	"time"
)

// The tools' tests cover the secret routes and the admin key's rotation;
// this covers what they do not reach: expiry, and the anon key's grace
// period on a USER route.
func TestSecretsExpiryAndAnonRotation(t *testing.T) {
	t.Parallel()
	srv := New(t)
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	if r := call(t, srv, "POST", "/api/secrets", map[string]any{"key": "OLD", "value": "v", "expiresAt": past}); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "GET", "/api/secrets/OLD", nil), 404, "SECRET_NOT_FOUND", "")

	srv.AddBucket("pub", true)
	anon := func(key string) int {
		return call(t, srv, "GET", "/api/storage/buckets/pub/objects", nil, "Authorization", "Bearer "+key).status
	}
	first := call(t, srv, "POST", "/api/secrets/anon-key/rotate", map[string]any{"gracePeriodHours": 0}).obj(t)["anonKey"].(string)
	if got := call(t, srv, "GET", "/api/metadata/anon-key", nil).obj(t)["anonKey"]; got != first || anon(DefaultAnonKey) != 401 || anon(first) != 200 {
		t.Errorf("after a rotation without grace: metadata %v, old key %d, new key %d", got, anon(DefaultAnonKey), anon(first))
	}
	call(t, srv, "POST", "/api/secrets/anon-key/rotate", map[string]any{"gracePeriodHours": 1})
	if anon(first) != 200 {
		t.Error("anon key rejected during its grace period")
	}
}
