package insforgefake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Records module: the PostgREST proxy. Errors on this route are
// PostgREST's own JSON {code, details, hint, message}, not the standard body.

func registerRecordRoutes(s *Server) {
	// No method: the backend forwards every method (router.all).
	s.handle("/api/database/records/{table}", accessUser, s.records)
}

// writePGRST writes a PostgREST error body.
func writePGRST(w http.ResponseWriter, status int, e *pgError) {
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(marshalJSON(orderedRow{
		keys: []string{"code", "details", "hint", "message"},
		vals: []any{e.Code, nullable(e.Details), nullable(e.Hint), e.Message},
	}))
}

// pgrstStatus maps an error code to PostgREST's HTTP status.
func pgrstStatus(code string) int {
	switch code {
	case "23505", "23503":
		return 409
	case "42P01", "PGRST205":
		return 404
	case "42501":
		return 403
	case "PGRST116", "PGRST106":
		return 406
	case "PGRST105", "PGRST117":
		return 405
	}
	return 400
}

func writePGErr(w http.ResponseWriter, e *pgError) { writePGRST(w, pgrstStatus(e.Code), e) }

// prefs parses the Prefer header(s).
func prefs(r *http.Request) map[string]string {
	out := map[string]string{}
	for _, h := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(h, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if k != "" {
				out[strings.ToLower(k)] = strings.TrimSpace(v)
			}
		}
	}
	return out
}

// errNoTable is PostgREST's unknown-table error.
func errNoTable(name string) *pgError {
	return &pgError{Code: "PGRST205", Message: fmt.Sprintf("Could not find the table 'public.%s' in the schema cache", name)}
}

// ---- filters ----

type cond any

type leaf struct {
	col   string
	op    string
	neg   bool
	typ   string   // the column's SQL type: values are cast to it by PostgreSQL
	val   string   // eq, neq, gt, …
	list  []string // in
	pat   string   // like/match pattern as given
	isVal string   // is: null, true, false, unknown
}

type logic struct {
	and  bool
	neg  bool
	kids []cond
}

func errParseFilter(raw string) *pgError {
	return &pgError{Code: "PGRST100", Message: fmt.Sprintf("\"failed to parse filter (%s)\" (line 1, column 1)", raw),
		Details: "unexpected end of input expecting operator"}
}

func errColumn(t *table, col string) *pgError {
	return &pgError{Code: "42703", Message: fmt.Sprintf("column %s.%s does not exist", t.name, col)}
}

// parseLeaf parses "op.value" or "not.op.value" for column col.
func parseLeaf(t *table, col, raw string) (cond, *pgError) {
	c, _, ok := t.col(col)
	if !ok {
		return nil, errColumn(t, col)
	}
	l := &leaf{col: col, typ: c.sqlType()}
	rest := raw
	if r, ok := strings.CutPrefix(rest, "not."); ok {
		l.neg, rest = true, r
	}
	op, val, ok := strings.Cut(rest, ".")
	if !ok {
		return nil, errParseFilter(raw)
	}
	l.op = op
	switch op {
	case "eq", "neq", "gt", "gte", "lt", "lte":
		l.val = unquote(val)
	case "like", "ilike":
		l.pat = unquote(val)
	case "match", "imatch":
		l.pat = unquote(val)
	case "is":
		switch strings.ToLower(val) {
		case "null", "true", "false", "unknown":
			l.isVal = strings.ToLower(val)
		default:
			return nil, errParseFilter(raw)
		}
	case "in":
		if !strings.HasPrefix(val, "(") || !strings.HasSuffix(val, ")") {
			return nil, errParseFilter(raw)
		}
		for _, item := range splitTop(val[1 : len(val)-1]) {
			item = unquote(strings.TrimSpace(item))
			if item == "" && !strings.Contains(val, "\"\"") {
				continue
			}
			l.list = append(l.list, item)
		}
	default:
		return nil, errParseFilter(raw)
	}
	return l, nil
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `\"`, `"`)
	}
	return s
}

// splitTop splits on commas outside parentheses and double quotes.
func splitTop(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			quoted = !quoted
		case '(':
			if !quoted {
				depth++
			}
		case ')':
			if !quoted {
				depth--
			}
		case ',':
			if !quoted && depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// parseLogic parses "(a.eq.1,b.gt.2,and(c.is.null,d.lt.3))".
func parseLogic(t *table, and, neg bool, raw string) (cond, *pgError) {
	if !strings.HasPrefix(raw, "(") || !strings.HasSuffix(raw, ")") {
		return nil, errParseFilter(raw)
	}
	g := &logic{and: and, neg: neg}
	for _, item := range splitTop(raw[1 : len(raw)-1]) {
		item = strings.TrimSpace(item)
		n := false
		body := item
		if b, ok := strings.CutPrefix(body, "not."); ok {
			n, body = true, b
		}
		switch {
		case strings.HasPrefix(body, "and("), strings.HasPrefix(body, "or("):
			isAnd := strings.HasPrefix(body, "and(")
			k, err := parseLogic(t, isAnd, n, body[strings.IndexByte(body, '('):])
			if err != nil {
				return nil, err
			}
			g.kids = append(g.kids, k)
		default:
			col, rest, ok := strings.Cut(item, ".")
			if !ok {
				return nil, errParseFilter(item)
			}
			k, err := parseLeaf(t, col, rest)
			if err != nil {
				return nil, err
			}
			g.kids = append(g.kids, k)
		}
	}
	return g, nil
}

// pgQuery is a parsed PostgREST query string.
type pgQuery struct {
	filters    []cond
	selectCols []string // output keys
	selectSrc  []string // source columns
	selectCast []string // ::type casts ("" for none)
	order      []sortKey
	limit      int // -1: none
	offset     int
	onConflict []string
	columns    []string
}

var reservedParams = map[string]bool{"select": true, "order": true, "limit": true, "offset": true, "on_conflict": true, "columns": true, "schema": true}

func parseQuery(t *table, r *http.Request) (*pgQuery, *pgError) {
	q := r.URL.Query()
	pq := &pgQuery{limit: -1}
	for _, key := range sortedKeys(q) {
		for _, val := range q[key] {
			switch key {
			case "or", "and", "not.or", "not.and":
				c, err := parseLogic(t, strings.HasSuffix(key, "and"), strings.HasPrefix(key, "not."), val)
				if err != nil {
					return nil, err
				}
				pq.filters = append(pq.filters, c)
			default:
				if reservedParams[key] {
					continue
				}
				c, err := parseLeaf(t, key, val)
				if err != nil {
					return nil, err
				}
				pq.filters = append(pq.filters, c)
			}
		}
	}
	// select
	sel := q.Get("select")
	if sel == "" {
		sel = "*"
	}
	for _, item := range splitTop(sel) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "(") {
			rel := item[:strings.IndexByte(item, '(')]
			if _, a, ok := strings.Cut(rel, ":"); ok {
				rel = a
			}
			return nil, &pgError{Code: "PGRST200",
				Message: fmt.Sprintf("Could not find a relationship between '%s' and '%s' in the schema cache", t.name, rel),
				Hint:    "Verify that the relationship exists and that the foreign key is defined."}
		}
		if item == "*" {
			for _, c := range t.columns {
				pq.selectCols = append(pq.selectCols, c.Name)
				pq.selectSrc = append(pq.selectSrc, c.Name)
				pq.selectCast = append(pq.selectCast, "")
			}
			continue
		}
		alias, src := "", item
		if a, b, ok := strings.Cut(item, ":"); ok && !strings.HasPrefix(b, ":") {
			alias, src = a, b
		}
		cast := ""
		if i := strings.Index(src, "::"); i >= 0 {
			src, cast = src[:i], src[i+2:]
			if !castRE.MatchString(cast) {
				return nil, errParseFilter(item)
			}
		}
		src = unquote(src)
		if _, _, ok := t.col(src); !ok {
			return nil, errColumn(t, src)
		}
		if alias == "" {
			alias = src
		}
		pq.selectCols = append(pq.selectCols, alias)
		pq.selectSrc = append(pq.selectSrc, src)
		pq.selectCast = append(pq.selectCast, cast)
	}
	// order
	if o := q.Get("order"); o != "" {
		for _, item := range splitTop(o) {
			parts := strings.Split(strings.TrimSpace(item), ".")
			k := sortKey{col: unquote(parts[0])}
			for _, p := range parts[1:] {
				switch p {
				case "asc":
					k.desc = false
				case "desc":
					k.desc = true
				case "nullsfirst", "nullslast":
					b := p == "nullsfirst"
					k.nullsFirst = &b
				default:
					return nil, &pgError{Code: "PGRST100", Message: fmt.Sprintf("\"failed to parse order (%s)\" (line 1, column 1)", o)}
				}
			}
			if _, _, ok := t.col(k.col); !ok {
				return nil, errColumn(t, k.col)
			}
			pq.order = append(pq.order, k)
		}
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &pq.limit}, {"offset", &pq.offset}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, &pgError{Code: "PGRST100", Message: fmt.Sprintf("\"failed to parse %s parameter (%s)\" (line 1, column 1)", p.name, v), Details: "unexpected input expecting digit"}
			}
			*p.dst = n
		}
	}
	if pq.limit < 0 && pq.offset == 0 {
		if from, to, ok := parseRange(r.Header.Get("Range")); ok {
			pq.offset = from
			if to >= from {
				pq.limit = to - from + 1
			}
		}
	}
	for _, key := range []string{"on_conflict", "columns"} {
		if v := q.Get(key); v != "" {
			var cols []string
			for _, c := range strings.Split(v, ",") {
				c = unquote(strings.TrimSpace(c))
				if _, _, ok := t.col(c); !ok {
					return nil, errColumn(t, c)
				}
				cols = append(cols, c)
			}
			if key == "on_conflict" {
				pq.onConflict = cols
			} else {
				pq.columns = cols
			}
		}
	}
	return pq, nil
}

// parseRange parses a "Range: 0-9" (or "items=0-9") header; to is -1 when open.
func parseRange(h string) (from, to int, ok bool) {
	h = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(h), "items="))
	a, b, found := strings.Cut(h, "-")
	if !found {
		return 0, 0, false
	}
	from, err := strconv.Atoi(a)
	if err != nil {
		return 0, 0, false
	}
	if b == "" {
		return from, -1, true
	}
	to, err = strconv.Atoi(b)
	if err != nil {
		return 0, 0, false
	}
	return from, to, true
}

func wantsObject(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/vnd.pgrst.object")
}

// writeRows writes a PostgREST result (array, or single object when asked).
func writeRows(w http.ResponseWriter, r *http.Request, status int, rows []orderedRow) {
	if wantsObject(r) {
		if len(rows) != 1 {
			writePGErr(w, &pgError{Code: "PGRST116", Message: "JSON object requested, multiple (or no) rows returned",
				Details: fmt.Sprintf("The result contains %d rows", len(rows))})
			return
		}
		writeJSON(w, status, rows[0])
		return
	}
	if rows == nil {
		rows = []orderedRow{}
	}
	writeJSON(w, status, rows)
}

// ---- handler ----

func (s *Server) records(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("table")
	if err := checkIdent("table", name); err != nil {
		writeError(w, err)
		return
	}
	q := r.URL.Query()
	schema := "public"
	if vals, ok := q["schema"]; ok {
		if len(vals) != 1 || strings.TrimSpace(vals[0]) == "" {
			writeError(w, errInvalidInput(`The "schema" query parameter must be a single non-empty schema name.`))
			return
		}
		schema = vals[0]
	} else {
		profile := "Content-Profile"
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			profile = "Accept-Profile"
		}
		if vals := r.Header.Values(profile); len(vals) > 1 {
			writeError(w, errInvalidInput(fmt.Sprintf("The %q header must be a single schema name.", strings.ToLower(profile))))
			return
		} else if len(vals) == 1 && strings.TrimSpace(vals[0]) != "" {
			schema = vals[0]
		}
	}
	schema, aerr := normalizeSchema(schema)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if schema != "public" {
		writePGErr(w, &pgError{Code: "PGRST106", Message: "The schema must be one of the following: public"})
		return
	}
	var body any
	if r.Method == http.MethodPost || r.Method == http.MethodPatch || r.Method == http.MethodPut {
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			writePGErr(w, &pgError{Code: "PGRST102", Message: "Empty or invalid json"})
			return
		}
	}
	s.pgRecords(w, r, name, body)
}

// cleanInput applies the backend's pre-processing (drop "" for non-text
// columns) and checks the keys against the table (PGRST204).
func cleanInput(t *table, obj map[string]any, only []string) (map[string]any, *pgError) {
	out := map[string]any{}
	for k, v := range obj {
		if only != nil && !contains(only, k) {
			continue
		}
		c, _, ok := t.col(k)
		if v == "" && (!ok || !isTextType(c.Type)) {
			continue // dropped by the backend before PostgREST sees it
		}
		if !ok {
			return nil, &pgError{Code: "PGRST204", Message: fmt.Sprintf("Could not find the '%s' column of '%s' in the schema cache", k, t.name)}
		}
		out[k] = v
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func setPreferenceApplied(w http.ResponseWriter, pf map[string]string, keys ...string) {
	var parts []string
	for _, k := range keys {
		if v, ok := pf[k]; ok && v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	if len(parts) > 0 {
		w.Header().Set("Preference-Applied", strings.Join(parts, ", "))
	}
}

// finishMutation answers PATCH/PUT/DELETE: the rows with
// return=representation, otherwise PostgREST's 204 No Content (the backend's
// "empty body → []" cannot apply: a 204 answer carries no body).
func (s *Server) finishMutation(w http.ResponseWriter, r *http.Request, pf map[string]string, out []orderedRow, status int) {
	setPreferenceApplied(w, pf, "return")
	total := "*"
	if pf["count"] == "exact" {
		total = strconv.Itoa(len(out))
	}
	w.Header().Set("Content-Range", contentRange(len(out), 0, total))
	if pf["return"] == "representation" {
		writeRows(w, r, status, out)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
