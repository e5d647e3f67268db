package insforgefake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
)

// APIError is an error answer in the backend's standard error body:
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
	return fmt.Sprintf("%d %s: %s", e.status(), e.Code, e.Message)
}

func (e *APIError) status() int {
	if e.Status == 0 {
		return http.StatusInternalServerError
	}
	return e.Status
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
	writeJSON(w, e.status(), errorBody{Error: e.Code, Message: e.Message, StatusCode: e.status(), NextActions: e.NextActions})
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

// decodeBody decodes a JSON request body (express.json()): an empty body
// or another media type reads as {}, malformed JSON is a 400 INVALID_INPUT.
// r.Body stays readable.
func decodeBody(r *http.Request) (any, *APIError) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var v any = map[string]any{}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" && len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, &APIError{Status: 400, Code: "INVALID_INPUT", Message: "Invalid JSON: " + err.Error(),
				NextActions: "Please ensure your request body contains valid JSON"}
		}
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

// sortedKeys returns the keys of m in sorted order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
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
