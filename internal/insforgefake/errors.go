package insforgefake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
)

// APIError is an error answer in the backend's standard error body (the standard error body):
//
//	{"error": Code, "message": Message, "statusCode": Status, "nextActions": NextActions}
//
// nextActions is omitted when empty. It implements error, so an SQL handler
// (see SetSQLHandler) can return one to make the raw SQL endpoint fail.
type APIError struct {
	Status      int
	Code        string
	Message     string
	NextActions string

	// RawBody, when non-nil, is written verbatim as the body (Content-Type
	// application/json) instead of the standard error body. Use it to inject
	// non-standard bodies, e.g. a PostgREST error or "{}" on a records route.
	RawBody []byte
}

// Error implements error.
func (e *APIError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.status(), e.code(), e.Message)
}

func (e *APIError) status() int {
	if e.Status == 0 {
		return http.StatusInternalServerError
	}
	return e.Status
}

func (e *APIError) code() string {
	if e.Code == "" {
		return "INTERNAL_ERROR"
	}
	return e.Code
}

// errorBody is the JSON form of the standard error body.
type errorBody struct {
	Error       string `json:"error"`
	Message     string `json:"message"`
	StatusCode  int    `json:"statusCode"`
	NextActions string `json:"nextActions,omitempty"`
}

// writeError writes e as the standard error body.
func writeError(w http.ResponseWriter, e *APIError) {
	if e.RawBody != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(e.status())
		_, _ = w.Write(e.RawBody)
		return
	}
	writeJSON(w, e.status(), errorBody{Error: e.code(), Message: e.Message, StatusCode: e.status(), NextActions: e.NextActions})
}

// marshalJSON encodes like JSON.stringify: no HTML escaping, no newline.
func marshalJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("insforgefake: cannot encode %T: %v", v, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// writeJSON writes v as an application/json answer with the given status
// (with Express's weak ETag).
func writeJSON(w http.ResponseWriter, status int, v any) {
	body := marshalJSON(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Common error constructors.

func errInvalidInput(msg string) *APIError {
	return &APIError{Status: 400, Code: "INVALID_INPUT", Message: msg}
}

func errValidation(msg, nextActions string) *APIError {
	return &APIError{Status: 400, Code: "DATABASE_VALIDATION_ERROR", Message: msg, NextActions: nextActions}
}

func errForbidden(msg string) *APIError {
	return &APIError{Status: 403, Code: "FORBIDDEN", Message: msg}
}

func errInternal(msg string) *APIError {
	return &APIError{Status: 500, Code: "INTERNAL_ERROR", Message: msg}
}

func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// decodeBody decodes a JSON request body (express.json()): an empty body
// reads as {}, malformed JSON is a 400 INVALID_INPUT; any other media type
// reads as an empty object.
func decodeBody(r *http.Request) (any, *APIError) {
	if mediaType(r) != "application/json" {
		return map[string]any{}, nil
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return nil, errInternal(err.Error())
	}
	r.Body = io.NopCloser(bytes.NewReader(buf.Bytes()))
	if len(bytes.TrimSpace(buf.Bytes())) == 0 {
		return map[string]any{}, nil
	}
	var v any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		return nil, &APIError{Status: 400, Code: "INVALID_INPUT", Message: "Invalid JSON: " + err.Error(),
			NextActions: "Please ensure your request body contains valid JSON"}
	}
	return v, nil
}

// decodeObject decodes a JSON body that must be an object (zod object schema).
func decodeObject(r *http.Request) (map[string]any, *APIError) {
	v, err := decodeBody(r)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errInvalidInput(": Expected an object")
	}
	return m, nil
}

// decodeRetentionDays reads the {"retentionDays": n} body of the realtime
// and schedules PATCH config routes: a positive integer, or null for no
// limit (nil).
func decodeRetentionDays(r *http.Request) (*int, *APIError) {
	var in struct{ RetentionDays *int }
	v, err := decodeObject(r)
	if _, ok := v["retentionDays"]; err == nil && (!ok || json.Unmarshal(marshalJSON(v), &in) != nil || in.RetentionDays != nil && *in.RetentionDays <= 0) {
		err = errInvalidInput("retentionDays: a positive integer, or null")
	}
	return in.RetentionDays, err
}

// sortedKeys returns the keys of m in sorted order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// bind decodes a JSON object body into dst (a pointer to a struct whose
// optional fields are pointers). A body that does not fit is answered
// with 400 INVALID_INPUT and bind returns false.
func bind(w http.ResponseWriter, r *http.Request, dst any) bool {
	v, aerr := decodeObject(r)
	if aerr == nil {
		if err := json.Unmarshal(marshalJSON(v), dst); err != nil {
			aerr = errInvalidInput(err.Error())
		}
	}
	if aerr != nil {
		writeError(w, aerr)
		return false
	}
	return true
}

// set stores *v in dst when v is not nil (a partial update's field).
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
