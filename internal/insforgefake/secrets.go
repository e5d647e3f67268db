package insforgefake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
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

var fakeSecretKeyRE = regexp.MustCompile(`^[A-Z0-9_]+$`)

type secretRecord struct {
	id, key, value string
	active         bool
	reserved       bool
	lastUsedAt     *time.Time
	expiresAt      *time.Time
	createdAt      time.Time
	updatedAt      time.Time
}

type secretsState struct {
	mu      sync.Mutex
	records []*secretRecord // creation order
}

func secretsOf(s *Server) *secretsState {
	return moduleState(s, "secrets", func() *secretsState { return newSecretsState(s.apiKeys[0], s.anonKey) })
}

// newSecretsState seeds the reserved entries JWT_SECRET, API_KEY and
// ANON_KEY.
func newSecretsState(apiKey, anonKey string) *secretsState {
	st := &secretsState{}
	seeded := time.Now().Add(-time.Hour)
	for i, kv := range [][2]string{{"JWT_SECRET", randomHex(32)}, {"API_KEY", apiKey}, {"ANON_KEY", anonKey}} {
		at := seeded.Add(time.Duration(i) * time.Millisecond)
		st.records = append(st.records, &secretRecord{id: newUUID(), key: kv[0], value: kv[1], active: true, reserved: true, createdAt: at, updatedAt: at})
	}
	return st
}

func registerSecretsRoutes(s *Server) {
	st := secretsOf(s)
	s.handle("GET /api/secrets", accessAdmin, st.list)
	s.handle("GET /api/secrets/{key}", accessAdmin, st.get)
	s.handle("POST /api/secrets", accessAdmin, st.create)
	s.handle("PUT /api/secrets/{key}", accessAdmin, st.update)
	s.handle("DELETE /api/secrets/{key}", accessAdmin, st.remove)
	s.handle("POST /api/secrets/api-key/rotate", accessAdmin, st.rotate("API_KEY", "ik_", 24, 168, "apiKey", "API key"))
	s.handle("POST /api/secrets/anon-key/rotate", accessAdmin, st.rotate("ANON_KEY", "anon_", 168, 720, "anonKey", "Anon key"))
}

// SecretValue returns the value of an active, unexpired secret, the way a
// function would see it.
func (s *Server) SecretValue(key string) (string, bool) {
	st := secretsOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	rec := st.usable(key, time.Now())
	if rec == nil {
		return "", false
	}
	return rec.value, true
}

// find returns the newest record with key, active or not. st.mu held.
func (st *secretsState) find(key string) *secretRecord {
	for i := len(st.records) - 1; i >= 0; i-- {
		if st.records[i].key == key {
			return st.records[i]
		}
	}
	return nil
}

// usable returns the active, unexpired record with key. st.mu held.
func (st *secretsState) usable(key string, now time.Time) *secretRecord {
	for i := len(st.records) - 1; i >= 0; i-- {
		r := st.records[i]
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
	if value == "" {
		return false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	now := time.Now()
	for _, r := range st.records {
		if !r.active || r.value != value {
			continue
		}
		if r.key == name || (strings.HasPrefix(r.key, name+"_OLD_") && r.expiresAt != nil && r.expiresAt.After(now)) {
			return true
		}
	}
	return false
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

func (r *secretRecord) meta() map[string]any {
	return map[string]any{
		"id": r.id, "key": r.key, "isActive": r.active, "isReserved": r.reserved,
		"lastUsedAt": timeOrNull(r.lastUsedAt), "expiresAt": timeOrNull(r.expiresAt),
		"createdAt": isoMillis(r.createdAt), "updatedAt": isoMillis(r.updatedAt),
	}
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

// expiryArg reads an expiresAt ("", null and false: none); ok is false for
// a value Postgres would reject (the backend then answers 500).
func expiryArg(v any) (*time.Time, bool) {
	switch x := v.(type) {
	case nil, bool:
		return nil, x != true
	case string:
		if x == "" {
			return nil, true
		}
		t, ok := parseTime(x)
		return &t, ok
	case float64:
		t := time.UnixMilli(int64(x))
		return &t, true
	}
	return nil, false
}

func (st *secretsState) list(w http.ResponseWriter, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := []map[string]any{}
	for i := len(st.records) - 1; i >= 0; i-- { // created_at DESC
		out = append(out, st.records[i].meta())
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

// secretInput is the create or update body (nil: absent).
type secretInput struct {
	Key, Value           *string
	IsActive, IsReserved *bool
	ExpiresAt            any
	hasExpiry            bool
	expires              *time.Time
}

// decodeSecret reads a secret body; a bad expiresAt is a 500 like the
// database's refusal.
func decodeSecret(w http.ResponseWriter, r *http.Request) (secretInput, bool) {
	var in secretInput
	body, aerr := decodeObject(r)
	if aerr == nil && json.Unmarshal(marshalJSON(body), &in) != nil {
		aerr = errInternal("Failed to save secret")
	}
	_, in.hasExpiry = body["expiresAt"]
	if t, ok := expiryArg(in.ExpiresAt); aerr == nil && !ok {
		aerr = errInternal("invalid input syntax for type timestamp with time zone: " + string(marshalJSON(in.ExpiresAt)))
	} else {
		in.expires = t
	}
	if aerr != nil {
		writeError(w, aerr)
	}
	return in, aerr == nil
}

func (st *secretsState) create(w http.ResponseWriter, r *http.Request) {
	in, ok := decodeSecret(w, r)
	if !ok {
		return
	}
	key, value, reserved := deref(in.Key), deref(in.Value), in.IsReserved != nil && *in.IsReserved
	if key == "" || value == "" || !fakeSecretKeyRE.MatchString(key) {
		writeError(w, errInvalidInput("A key of uppercase letters, digits and underscores and a value are required"))
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	now := time.Now()
	rec := st.find(key)
	switch {
	case rec != nil && rec.active:
		writeError(w, &APIError{Status: 409, Code: "SECRET_ALREADY_EXISTS", Message: "Secret already exists: " + key})
		return
	case rec != nil: // a deleted secret is revived
		rec.value, rec.active, rec.reserved, rec.updatedAt = value, true, reserved, now
		if in.expires != nil {
			rec.expiresAt = in.expires
		}
	default:
		rec = &secretRecord{id: newUUID(), key: key, value: value, active: true, reserved: reserved, expiresAt: in.expires, createdAt: now, updatedAt: now}
		st.records = append(st.records, rec)
	}
	writeJSON(w, 201, map[string]any{"success": true, "message": "Secret " + key + " has been created successfully", "id": rec.id})
}

func (st *secretsState) update(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	in, ok := decodeSecret(w, r)
	if !ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, err := st.changeable(key, "update")
	if err != nil {
		writeError(w, err)
		return
	}
	if in.Value == nil && in.IsActive == nil && in.IsReserved == nil && !in.hasExpiry {
		writeError(w, errInternal("Failed to update secret: "+key))
		return
	}
	set(&rec.value, in.Value)
	set(&rec.active, in.IsActive)
	set(&rec.reserved, in.IsReserved)
	if in.hasExpiry {
		rec.expiresAt = in.expires
	}
	rec.updatedAt = time.Now()
	writeJSON(w, 200, map[string]any{"success": true, "message": "Secret " + key + " has been updated successfully"})
}

func (st *secretsState) remove(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, err := st.changeable(key, "delete")
	if err != nil {
		writeError(w, err)
		return
	}
	rec.active, rec.updatedAt = false, time.Now()
	writeJSON(w, 200, map[string]any{"success": true, "message": "Secret " + key + " has been deleted successfully"})
}

// changeable finds secret key for an update or a delete (verb); reserved
// secrets are refused. st.mu held.
func (st *secretsState) changeable(key, verb string) (*secretRecord, *APIError) {
	rec := st.find(key)
	if rec == nil {
		return nil, errSecretNotFound(key)
	}
	if rec.reserved {
		return nil, errForbidden("Cannot " + verb + " reserved secret: " + key)
	}
	return rec, nil
}

// rotate answers POST /api/secrets/{api-key|anon-key}/rotate.
func (st *secretsState) rotate(key, prefix string, defHours, maxHours int, field, what string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct{ GracePeriodHours *int }
		if !bind(w, r, &in) {
			return
		}
		hours := defHours
		set(&hours, in.GracePeriodHours)
		if hours < 0 || hours > maxHours {
			writeError(w, errInvalidInput(fmt.Sprintf("Invalid request: gracePeriodHours is 0 to %d", maxHours)))
			return
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		now := time.Now()
		expires := now.Add(time.Duration(hours) * time.Hour)
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
