package insforgefake

import (
	"net/http"
	"net/url"
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

// queryInt reads an integer query parameter (def when absent or not an
// integer; the tools only send integers).
func queryInt(q url.Values, key string, def int) int {
	if n, err := strconv.Atoi(q.Get(key)); err == nil {
		return n
	}
	return def
}
