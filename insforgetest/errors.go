package insforgetest

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
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
		panic(fmt.Sprintf("insforgetest: cannot encode %T: %v", v, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// writeJSON writes v as an application/json answer with the given status
// (with Express's weak ETag).
func writeJSON(w http.ResponseWriter, status int, v any) {
	body := marshalJSON(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("ETag", weakETag(body))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// weakETag is Express's default ETag of a body (the etag module, weak).
func weakETag(body []byte) string {
	sum := sha1.Sum(body)
	return `W/"` + strconv.FormatInt(int64(len(body)), 16) + "-" + base64.StdEncoding.EncodeToString(sum[:])[:27] + `"`
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
		return nil, errInvalidInput(": Expected object, received " + jsonType(v))
	}
	return m, nil
}

// jsonType names a decoded JSON value like zod does.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64, int, int64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// issues collects zod-style validation issues; the message is
// "path: message, path: message" (the validation error form).
type issues []string

func (is *issues) add(path, msg string) { *is = append(*is, path+": "+msg) }

func (is issues) err() *APIError { return is.errNext("") }

// errNext is err with a nextActions hint.
func (is issues) errNext(nextActions string) *APIError {
	if len(is) == 0 {
		return nil
	}
	e := errInvalidInput(strings.Join(is, ", "))
	e.NextActions = nextActions
	return e
}

func joinPath(base string, elem any) string {
	s := fmt.Sprint(elem)
	if base == "" {
		return s
	}
	return base + "." + s
}

// typedField reads obj[key] as a T, adding zod's issue at path p when it is
// absent but required ("Required") or of another JSON type ("Expected
// typeName, received …").
func typedField[T any](is *issues, obj map[string]any, key, p string, required bool, typeName string) (T, bool) {
	var zero T
	v, present := obj[key]
	if !present {
		if required {
			is.add(p, "Required")
		}
		return zero, false
	}
	t, ok := v.(T)
	if !ok {
		is.add(p, "Expected "+typeName+", received "+jsonType(v))
		return zero, false
	}
	return t, true
}

// str validates a string field. ok is false if it is absent or invalid (an
// issue is added when required or invalid).
func (is *issues) str(obj map[string]any, key, path string, required bool, minLen, maxLen int) (string, bool) {
	return is.strMsg(obj, key, path, required, minLen, "", maxLen, "")
}

// strMsg is str with the custom min/max messages of a zod schema ("" for
// zod's defaults).
func (is *issues) strMsg(obj map[string]any, key, path string, required bool, minLen int, minMsg string, maxLen int, maxMsg string) (string, bool) {
	p := joinPath(path, key)
	s, ok := typedField[string](is, obj, key, p, required, "string")
	if !ok {
		return "", false
	}
	if minLen > 0 && len([]rune(s)) < minLen {
		if minMsg == "" {
			minMsg = "String must contain at least " + strconv.Itoa(minLen) + " character(s)"
		}
		is.add(p, minMsg)
		return "", false
	}
	if maxLen > 0 && len([]rune(s)) > maxLen {
		if maxMsg == "" {
			maxMsg = "String must contain at most " + strconv.Itoa(maxLen) + " character(s)"
		}
		is.add(p, maxMsg)
		return "", false
	}
	return s, true
}

// boolean validates a boolean field.
func (is *issues) boolean(obj map[string]any, key, path string, required bool) (bool, bool) {
	return typedField[bool](is, obj, key, joinPath(path, key), required, "boolean")
}

// array validates an array field.
func (is *issues) array(obj map[string]any, key, path string, required bool, minLen int) ([]any, bool) {
	return is.arrayMsg(obj, key, path, required, minLen, "")
}

// arrayMsg is array with a custom min message.
func (is *issues) arrayMsg(obj map[string]any, key, path string, required bool, minLen int, minMsg string) ([]any, bool) {
	p := joinPath(path, key)
	a, ok := typedField[[]any](is, obj, key, p, required, "array")
	if !ok {
		return nil, false
	}
	if len(a) < minLen {
		if minMsg == "" {
			minMsg = "Array must contain at least " + strconv.Itoa(minLen) + " element(s)"
		}
		is.add(p, minMsg)
		return nil, false
	}
	return a, true
}

// object validates an object field.
func (is *issues) object(obj map[string]any, key, path string, required bool) (map[string]any, bool) {
	return typedField[map[string]any](is, obj, key, joinPath(path, key), required, "object")
}

// enum validates a string enum field.
func (is *issues) enum(obj map[string]any, key, path string, required bool, values ...string) (string, bool) {
	s, ok := is.str(obj, key, path, required, 0, 0)
	if !ok {
		return "", false
	}
	for _, v := range values {
		if s == v {
			return s, true
		}
	}
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + v + "'"
	}
	is.add(joinPath(path, key), "Invalid enum value. Expected "+strings.Join(quoted, " | ")+", received '"+s+"'")
	return "", false
}

// decodeRetentionDays reads the {"retentionDays": n} body of the realtime
// and schedules PATCH config routes: a positive integer, or null for no
// limit (nil).
func decodeRetentionDays(r *http.Request) (*int, *APIError) {
	body, err := decodeObject(r)
	if err != nil {
		return nil, err
	}
	v, present := body["retentionDays"]
	switch n := v.(type) {
	case nil:
		if !present {
			return nil, errInvalidInput("retentionDays: Required")
		}
		return nil, nil
	case float64:
		switch {
		case n != float64(int(n)):
			return nil, errInvalidInput("retentionDays: Expected integer, received float")
		case n <= 0:
			return nil, errInvalidInput("retentionDays: Number must be greater than 0")
		}
		d := int(n)
		return &d, nil
	default:
		return nil, errInvalidInput("retentionDays: Expected number, received " + jsonType(v))
	}
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
