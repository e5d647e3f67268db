package insforge

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
)

// Error is a request that reached the backend and was answered with a
// non-success status. It keeps what the backend said so a tool can tell the
// agent what happened and what to do next.
type Error struct {
	Method string // HTTP method of the failed request
	Path   string // request path, without query string or host
	Status int    // HTTP status code
	// Code is the backend's error code: the standard body's "error" field
	// (for example DATABASE_NOT_FOUND) or PostgREST's "code" (PGRST205, 42P01).
	Code string
	// Message is the backend's human text, or a short description of a body
	// that was not JSON.
	Message string
	// Hint is the backend's nextActions (or PostgREST's hint), when present.
	Hint string
	// NotJSON is set when the body was not a JSON error (an HTML 404 page, a
	// proxy's 502 page, an empty body).
	NotJSON bool
	// RetryAfter is the backend's Retry-After, when it sent one (429, 503).
	RetryAfter    time.Duration
	hasRetryAfter bool // Retry-After was sent (it may be 0)
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	return b.String()
}

// StatusOf returns the HTTP status of an *Error in err's chain, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// ErrUnreachable wraps failures to get any HTTP answer: DNS, refused
// connection, TLS, timeout.
var ErrUnreachable = errors.New("backend unreachable")

// standardBody is the backend's error body {error, message, statusCode,
// nextActions}; PostgREST's {code, details, hint, message} shares message.
type standardBody struct {
	Error       any    `json:"error"`
	Message     string `json:"message"`
	StatusCode  int    `json:"statusCode"`
	NextActions string `json:"nextActions"`
	Code        any    `json:"code"`
	Hint        any    `json:"hint"`
	Details     any    `json:"details"`
}

// decodeError turns a non-success response into an *Error. It never fails:
// a body that is not a JSON error becomes a short description.
func decodeError(method, path string, status int, contentType string, body []byte) *Error {
	e := &Error{Method: method, Path: path, Status: status}
	mediaType, _, _ := mime.ParseMediaType(contentType)
	trimmed := strings.TrimSpace(string(body))
	if strings.HasSuffix(mediaType, "json") || strings.HasPrefix(trimmed, "{") {
		var sb standardBody
		if json.Unmarshal(body, &sb) == nil {
			e.Code = firstString(sb.Error, sb.Code)
			e.Message = sb.Message
			e.Hint = firstString(sb.NextActions, sb.Hint)
			if e.Message == "" {
				if s, ok := sb.Error.(string); ok && e.Code != s {
					e.Message = s
				}
			}
			if e.Code != "" || e.Message != "" {
				return e
			}
			if trimmed == "{}" {
				e.Message = "empty error body"
				return e
			}
		}
	}
	e.NotJSON = true
	switch {
	case trimmed == "":
		e.Message = http.StatusText(status) + " with an empty body"
	case strings.Contains(mediaType, "html") || strings.HasPrefix(trimmed, "<"):
		e.Message = http.StatusText(status) + " as an HTML page, not an InsForge JSON error"
	default:
		e.Message = http.StatusText(status) + ": " + clip(trimmed, 200)
	}
	return e
}

func firstString(vals ...any) string {
	for _, v := range vals {
		if s, ok := v.(string); ok && s != "" {
			return s
		}
	}
	return ""
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
