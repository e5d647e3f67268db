package insforgetest

import (
	"net/http"
	"strconv"
)

// writePaged answers a page of a list with "Content-Range paging" (reference
// conventions, backend paginatedResponse): Content-Range: start-end/total
// with end = min(offset+n-1, total-1) — so an empty page reads "0--1/0" —,
// Preference-Applied: count=exact, status 206 when the page holds fewer
// rows than total and 200 otherwise. page must be a JSON-encodable slice of
// n items starting at offset.
func writePaged(w http.ResponseWriter, page any, n, offset, total int) {
	end := min(offset+n-1, total-1)
	w.Header().Set("Content-Range", strconv.Itoa(offset)+"-"+strconv.Itoa(end)+"/"+strconv.Itoa(total))
	w.Header().Set("Preference-Applied", "count=exact")
	status := http.StatusOK
	if n < total {
		status = http.StatusPartialContent
	}
	writeJSON(w, status, page)
}

// contentRange formats a PostgREST Content-Range value ("0-9/25", "*/0",
// "0-9/*").
func contentRange(n, offset int, total string) string {
	if n == 0 {
		return "*/" + total
	}
	return strconv.Itoa(offset) + "-" + strconv.Itoa(offset+n-1) + "/" + total
}

// pageParams reads limit/offset query parameters with a default and maximum
// limit. Invalid values are reported as 400 INVALID_INPUT.
func pageParams(r *http.Request, defLimit, maxLimit int) (limit, offset int, err *APIError) {
	limit, offset = defLimit, 0
	q := r.URL.Query()
	var is issues
	if v := q.Get("limit"); v != "" {
		n, e := strconv.Atoi(v)
		switch {
		case e != nil:
			is.add("limit", "Expected number, received string")
		case n < 1:
			is.add("limit", "Number must be greater than or equal to 1")
		case maxLimit > 0 && n > maxLimit:
			is.add("limit", "Number must be less than or equal to "+strconv.Itoa(maxLimit))
		default:
			limit = n
		}
	}
	if v := q.Get("offset"); v != "" {
		n, e := strconv.Atoi(v)
		switch {
		case e != nil:
			is.add("offset", "Expected number, received string")
		case n < 0:
			is.add("offset", "Number must be greater than or equal to 0")
		default:
			offset = n
		}
	}
	return limit, offset, is.err()
}

// pageSlice cuts items[offset:offset+limit] safely.
func pageSlice[T any](items []T, limit, offset int) []T {
	if offset >= len(items) {
		return []T{}
	}
	end := len(items)
	if limit >= 0 && offset+limit < end {
		end = offset + limit
	}
	return items[offset:end]
}
