package insforgefake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Secrets module: encrypted key/value secrets for edge functions and
// the rotation of the admin and anon keys. The store starts with the
// reserved entries API_KEY (the first accepted admin key), ANON_KEY and
// JWT_SECRET. Values never appear in GET /api/secrets.
//
// Rotation returns a new key and renames the old entry to
// API_KEY_OLD_<ms> / ANON_KEY_OLD_<ms> with the grace-period expiry, as the
// backend does, and authentication follows it: the new key works at once,
// the old one until its grace period ends (at once with 0 hours), and
// GET /api/metadata/api-key and /anon-key answer the new key. Extra keys
// given with WithAPIKey (after the first) are not secrets and always work.
// Keys, values and grace periods are not validated: the tools check them.

type secretRecord struct {
	id, key, value       string
	active, reserved     bool
	lastUsedAt           *time.Time
	expiresAt            *time.Time
	createdAt, updatedAt time.Time
}

type secretsState struct {
	mu      sync.Mutex
	records []*secretRecord // creation order
}

func secretsOf(s *Server) *secretsState {
	return moduleState(s, "secrets", func() *secretsState {
		st := &secretsState{}
		seeded := time.Now().Add(-time.Hour)
		for i, kv := range [][2]string{{"JWT_SECRET", randomHex(32)}, {"API_KEY", s.apiKeys[0]}, {"ANON_KEY", s.anonKey}} {
			at := seeded.Add(time.Duration(i) * time.Millisecond)
			st.records = append(st.records, &secretRecord{id: newUUID(), key: kv[0], value: kv[1], active: true, reserved: true, createdAt: at, updatedAt: at})
		}
		return st
	})
}

func registerSecretsRoutes(s *Server) {
	st := secretsOf(s)
	s.handle("GET /api/secrets", accessAdmin, st.list)
	s.handle("GET /api/secrets/{key}", accessAdmin, st.get)
	s.handle("POST /api/secrets", accessAdmin, st.create)
	s.handle("PUT /api/secrets/{key}", accessAdmin, st.update)
	s.handle("DELETE /api/secrets/{key}", accessAdmin, st.remove)
	s.handle("POST /api/secrets/api-key/rotate", accessAdmin, st.rotate("API_KEY", "ik_", "apiKey", "API key"))
	s.handle("POST /api/secrets/anon-key/rotate", accessAdmin, st.rotate("ANON_KEY", "anon_", "anonKey", "Anon key"))
}

// SecretValue returns the value of an active, unexpired secret, the way a
// function would see it.
func (s *Server) SecretValue(key string) (string, bool) {
	v := secretsOf(s).currentKey(key)
	return v, v != ""
}

// find returns the newest record with key, active or not. st.mu held.
func (st *secretsState) find(key string) *secretRecord {
	for _, r := range slices.Backward(st.records) {
		if r.key == key {
			return r
		}
	}
	return nil
}

// usable returns the active, unexpired record with key. st.mu held.
func (st *secretsState) usable(key string, now time.Time) *secretRecord {
	for _, r := range slices.Backward(st.records) {
		if r.key == key && r.active && (r.expiresAt == nil || r.expiresAt.After(now)) {
			return r
		}
	}
	return nil
}

// keyValid is the backend's verifyApiKey / verifyAnonKey: value is the
// active secret name (API_KEY or ANON_KEY), or a name_OLD_<ms> entry still
// in its grace period.
func (st *secretsState) keyValid(name, value string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := time.Now()
	return value != "" && slices.ContainsFunc(st.records, func(r *secretRecord) bool {
		return r.active && r.value == value &&
			(r.key == name || strings.HasPrefix(r.key, name+"_OLD_") && r.expiresAt != nil && r.expiresAt.After(now))
	})
}

// currentKey is the value of the active secret name ("" when none).
func (st *secretsState) currentKey(name string) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if r := st.usable(name, time.Now()); r != nil {
		return r.value
	}
	return ""
}

func timeOrNull(t *time.Time) any {
	if t == nil {
		return nil
	}
	return isoMillis(*t)
}

func errSecretNotFound(key string) *APIError {
	return &APIError{Status: 404, Code: "SECRET_NOT_FOUND", Message: "Secret not found: " + key}
}

func (st *secretsState) list(w http.ResponseWriter, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := []map[string]any{}
	for _, r := range slices.Backward(st.records) { // created_at DESC
		out = append(out, map[string]any{
			"id": r.id, "key": r.key, "isActive": r.active, "isReserved": r.reserved,
			"lastUsedAt": timeOrNull(r.lastUsedAt), "expiresAt": timeOrNull(r.expiresAt),
			"createdAt": isoMillis(r.createdAt), "updatedAt": isoMillis(r.updatedAt),
		})
	}
	writeJSON(w, 200, map[string]any{"secrets": out})
}

func (st *secretsState) get(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	st.mu.Lock()
	defer st.mu.Unlock()
	now := time.Now()
	rec := st.usable(key, now)
	if rec == nil {
		writeError(w, errSecretNotFound(key))
		return
	}
	rec.lastUsedAt = &now
	writeJSON(w, 200, map[string]any{"key": key, "value": rec.value})
}

// secretInput is the create or update body (nil: absent; ExpiresAt is
// "null" when sent as null).
type secretInput struct {
	Key, Value           string
	IsActive, IsReserved *bool
	ExpiresAt            json.RawMessage
}

// expires is the expiresAt sent: nil for none ("", null).
func (in *secretInput) expires() *time.Time {
	var s string
	if json.Unmarshal(in.ExpiresAt, &s) != nil || s == "" {
		return nil
	}
	t, _ := parseTime(s)
	return &t
}

func (st *secretsState) create(w http.ResponseWriter, r *http.Request) {
	var in secretInput
	if !bind(w, r, &in) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	now := time.Now()
	rec := st.find(in.Key)
	switch {
	case rec != nil && rec.active:
		writeError(w, &APIError{Status: 409, Code: "SECRET_ALREADY_EXISTS", Message: "Secret already exists: " + in.Key})
		return
	case rec == nil:
		rec = &secretRecord{id: newUUID(), key: in.Key, createdAt: now}
		st.records = append(st.records, rec)
	}
	// A deleted secret is revived.
	rec.value, rec.active, rec.reserved, rec.expiresAt, rec.updatedAt = in.Value, true, in.IsReserved != nil && *in.IsReserved, in.expires(), now
	writeJSON(w, 201, map[string]any{"success": true, "message": "Secret " + in.Key + " has been created successfully", "id": rec.id})
}

// changeable finds the path's secret for an update or a delete (verb),
// answering the request when it does not exist or is reserved. st.mu held.
func (st *secretsState) changeable(w http.ResponseWriter, r *http.Request, verb string) *secretRecord {
	key := r.PathValue("key")
	rec := st.find(key)
	switch {
	case rec == nil:
		writeError(w, errSecretNotFound(key))
	case rec.reserved:
		writeError(w, errForbidden("Cannot "+verb+" reserved secret: "+key))
	default:
		rec.updatedAt = time.Now()
		return rec
	}
	return nil
}

func (st *secretsState) update(w http.ResponseWriter, r *http.Request) {
	var in secretInput
	if !bind(w, r, &in) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	rec := st.changeable(w, r, "update")
	if rec == nil {
		return
	}
	if in.Value != "" {
		rec.value = in.Value
	}
	set(&rec.active, in.IsActive)
	set(&rec.reserved, in.IsReserved)
	if in.ExpiresAt != nil {
		rec.expiresAt = in.expires()
	}
	writeJSON(w, 200, map[string]any{"success": true, "message": "Secret " + rec.key + " has been updated successfully"})
}

func (st *secretsState) remove(w http.ResponseWriter, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if rec := st.changeable(w, r, "delete"); rec != nil {
		rec.active = false
		writeJSON(w, 200, map[string]any{"success": true, "message": "Secret " + rec.key + " has been deleted successfully"})
	}
}

// rotate answers POST /api/secrets/{api-key|anon-key}/rotate.
func (st *secretsState) rotate(key, prefix, field, what string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct{ GracePeriodHours int }
		if !bind(w, r, &in) {
			return
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		now := time.Now()
		expires := now.Add(time.Duration(in.GracePeriodHours) * time.Hour)
		if old := st.usable(key, now); old != nil {
			old.key = key + "_OLD_" + strconv.FormatInt(now.UnixMilli(), 10)
			old.expiresAt, old.updatedAt = &expires, now
		}
		newKey := prefix + randomHex(32)
		st.records = append(st.records, &secretRecord{id: newUUID(), key: key, value: newKey, active: true, reserved: true, createdAt: now, updatedAt: now})
		writeJSON(w, 200, map[string]any{
			"success":         true,
			"message":         what + " rotated successfully. Old key will remain valid during grace period.",
			field:             newKey,
			"oldKeyExpiresAt": isoMillis(expires),
		})
	}
}
