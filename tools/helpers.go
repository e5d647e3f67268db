package tools

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Small helpers shared by the toolsets.

// Plural counts a regular noun: "1 row", "2 rows".
func Plural(n int, noun string) string { return PluralNoun(n, noun, noun+"s") }

// PluralNoun counts a noun with the given singular and plural forms.
func PluralNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// UpperFirst capitalises the first byte of an ASCII sentence.
func UpperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// CheckPage applies def to a zero limit, then checks that limit is 1 to
// maxLimit and offset 0 or more. hint follows the limit error's "(got N)";
// the offset error ends with a period when hint does.
func CheckPage(limit, def, maxLimit, offset int, hint string) (int, error) {
	if limit == 0 {
		limit = def
	}
	if limit < 1 || limit > maxLimit {
		return 0, Errorf("limit must be between 1 and %d (got %d)%s", maxLimit, limit, hint)
	}
	if offset < 0 {
		end := ""
		if strings.HasSuffix(hint, ".") {
			end = "."
		}
		return 0, Errorf("offset must be 0 or more (got %d)%s", offset, end)
	}
	return limit, nil
}

// OrEmpty returns s, or an empty slice for nil, so that a list shows in the
// structured result as [] rather than null.
func OrEmpty[S ~[]E, E any](s S) S {
	if s == nil {
		return S{}
	}
	return s
}

// ParseISOTime accepts the ISO 8601 forms agents and the backend use:
// RFC 3339 with or without fractional seconds, and a bare date.
func ParseISOTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// SchemaQuery builds ?schema= when a non-default schema is asked for.
func SchemaQuery(schema string) url.Values {
	if schema == "" {
		return nil
	}
	return url.Values{"schema": {schema}}
}

// OrPublic names the default schema when schema is empty.
func OrPublic(schema string) string {
	if schema == "" {
		return "public"
	}
	return schema
}
