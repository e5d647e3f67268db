package insforgefake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Records module: the PostgREST proxy on PostgreSQL. The query string and
// body become one SQL statement; PostgreSQL decides values, constraints
// and conversions. Errors on this route are PostgREST's own JSON {code,
// details, hint, message}, not the standard body.

func registerRecordRoutes(s *Server) {
	// No method: the backend forwards every method (router.all).
	s.handle("/api/database/records/{table}", accessUser, s.records)
}

// writePGErr writes a PostgREST error body with PostgREST's status.
func writePGErr(w http.ResponseWriter, e *pgError) {
	status := http.StatusBadRequest
	switch e.Code {
	case "23505", "23503":
		status = http.StatusConflict
	case "42P01", "PGRST205":
		status = http.StatusNotFound
	case "42501":
		status = http.StatusForbidden
	case "PGRST106":
		status = http.StatusNotAcceptable
	case "PGRST117":
		status = http.StatusMethodNotAllowed
	}
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	writeJSON(w, status, orderedRow{keys: []string{"code", "details", "hint", "message"},
		vals: []any{e.Code, nullable(e.Details), nullable(e.Hint), e.Message}})
}

// prefs parses the Prefer header(s).
func prefs(r *http.Request) map[string]string {
	out := map[string]string{}
	for _, h := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(h, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			out[strings.ToLower(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func errParse(what, raw string) *pgError {
	return &pgError{Code: "PGRST100", Message: fmt.Sprintf("\"failed to parse %s (%s)\" (line 1, column 1)", what, raw)}
}

func errColumn(t *table, col string) *pgError {
	return &pgError{Code: "42703", Message: fmt.Sprintf("column %s.%s does not exist", t.name, col)}
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// splitTop splits on commas outside double quotes.
func splitTop(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			quoted = !quoted
		case s[i] == ',' && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// pgQuery is a PostgREST query string as SQL over the table aliased t.
type pgQuery struct {
	where  []string
	args   []any
	cols   []string // selected columns
	order  string
	limit  int // -1: none
	offset int
}

// arg adds a parameter and returns its placeholder.
func (q *pgQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

var comparisons = map[string]string{"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "like": "LIKE", "ilike": "ILIKE"}

// filterSQL renders the filter "op.value" on column col; values are cast
// to the column's type by PostgreSQL.
func (q *pgQuery) filterSQL(t *table, col, raw string) (string, *pgError) {
	c, _, ok := t.col(col)
	if !ok {
		return "", errColumn(t, col)
	}
	ref := "t." + quoteIdent(col)
	op, val, _ := strings.Cut(raw, ".")
	switch op {
	case "eq", "neq", "gt", "gte", "lt", "lte":
		return ref + " " + comparisons[op] + " " + q.arg(unquote(val)) + "::text::" + c.Type, nil
	case "like", "ilike":
		return ref + "::text " + comparisons[op] + " " + q.arg(strings.ReplaceAll(unquote(val), "*", "%")), nil
	case "is":
		if v := strings.ToUpper(val); v == "NULL" || v == "TRUE" || v == "FALSE" || v == "UNKNOWN" {
			return ref + " IS " + v, nil
		}
	case "in":
		if strings.HasPrefix(val, "(") && strings.HasSuffix(val, ")") {
			var items []string
			for _, item := range splitTop(val[1 : len(val)-1]) {
				if item = strings.TrimSpace(item); item != "" {
					items = append(items, q.arg(unquote(item)))
				}
			}
			return ref + " = ANY(ARRAY[" + strings.Join(items, ",") + "]::text[]::" + c.Type + "[])", nil
		}
	}
	return "", errParse("filter", raw)
}

func parseQuery(t *table, r *http.Request) (*pgQuery, *pgError) {
	params := r.URL.Query()
	q := &pgQuery{limit: -1}
	for _, key := range sortedKeys(params) {
		for _, val := range params[key] {
			switch key {
			case "select", "order", "limit", "offset", "schema":
			case "or", "and": // (a.eq.1,b.gt.2)
				if !strings.HasPrefix(val, "(") || !strings.HasSuffix(val, ")") {
					return nil, errParse("filter", val)
				}
				var parts []string
				for _, item := range splitTop(val[1 : len(val)-1]) {
					col, rest, _ := strings.Cut(strings.TrimSpace(item), ".")
					f, err := q.filterSQL(t, col, rest)
					if err != nil {
						return nil, err
					}
					parts = append(parts, f)
				}
				q.where = append(q.where, "("+strings.Join(parts, " "+strings.ToUpper(key)+" ")+")")
			default:
				f, err := q.filterSQL(t, key, val)
				if err != nil {
					return nil, err
				}
				q.where = append(q.where, f)
			}
		}
	}
	for _, item := range splitTop(params.Get("select")) {
		switch item = unquote(strings.TrimSpace(item)); {
		case item == "" || item == "*":
			for _, c := range t.columns {
				q.cols = append(q.cols, c.Name)
			}
		case !contains(q.cols, item):
			if _, _, ok := t.col(item); !ok {
				return nil, errColumn(t, item)
			}
			q.cols = append(q.cols, item)
		}
	}
	if o := params.Get("order"); o != "" {
		var keys []string
		for _, item := range splitTop(o) {
			parts := strings.Split(strings.TrimSpace(item), ".")
			col := unquote(parts[0])
			if _, _, ok := t.col(col); !ok {
				return nil, errColumn(t, col)
			}
			k := "t." + quoteIdent(col)
			for _, p := range parts[1:] {
				dir, ok := map[string]string{"asc": "", "desc": " DESC", "nullsfirst": " NULLS FIRST", "nullslast": " NULLS LAST"}[p]
				if !ok {
					return nil, errParse("order", o)
				}
				k += dir
			}
			keys = append(keys, k)
		}
		q.order = " ORDER BY " + strings.Join(keys, ", ")
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &q.limit}, {"offset", &q.offset}} {
		if v := params.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, errParse(p.name+" parameter", v)
			}
			*p.dst = n
		}
	}
	return q, nil
}

func (q *pgQuery) whereSQL() string {
	if len(q.where) == 0 {
		return "true"
	}
	return strings.Join(q.where, " AND ")
}

// selectSQL is the projection of the selected columns of from.
func (q *pgQuery) selectSQL(from string) string {
	parts := make([]string, len(q.cols))
	for i, c := range q.cols {
		parts[i] = from + "." + quoteIdent(c)
	}
	return strings.Join(parts, ", ")
}

// cleanInput applies the backend's pre-processing (drop "" for non-text
// columns) and checks the keys against the table (PGRST204).
func cleanInput(t *table, obj any) (map[string]any, *pgError) {
	m, ok := obj.(map[string]any)
	if !ok {
		return nil, &pgError{Code: "PGRST102", Message: "Empty or invalid json"}
	}
	out := map[string]any{}
	for k, v := range m {
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

// pgTable describes a public table from the catalog (nil if none).
func (s *Server) pgTable(ctx context.Context, name string) *table {
	res, err := s.pg.pgRun(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod)
		FROM pg_attribute a WHERE a.attrelid = to_regclass('public.' || quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, []any{name}, "postgres", false)
	if err != nil || len(res[0].rows) == 0 {
		return nil
	}
	t := &table{name: name}
	for _, r := range res[0].rows {
		t.columns = append(t.columns, Column{Name: string(r[0]), Type: string(r[1])})
	}
	return t
}

// pgJSONRows runs query (after with, a WITH clause or "") and returns its
// rows as JSON objects, keys in order.
func (s *Server) pgJSONRows(ctx context.Context, with, query string, args []any) ([]orderedRow, *pgError) {
	res, err := s.pg.pgRun(ctx, with+"SELECT row_to_json(x)::text FROM ("+query+") x", args, "postgres", false)
	if err != nil {
		return nil, toPGError(err)
	}
	out := []orderedRow{}
	for _, r := range res[0].rows {
		var o orderedRow
		dec := json.NewDecoder(strings.NewReader(string(r[0])))
		dec.Token() //nolint:errcheck // the {
		for dec.More() {
			k, _ := dec.Token()
			var v any
			_ = dec.Decode(&v)
			o.keys, o.vals = append(o.keys, k.(string)), append(o.vals, v)
		}
		out = append(out, o)
	}
	return out, nil
}

// records serves the records API.
func (s *Server) records(w http.ResponseWriter, r *http.Request) {
	ctx, name := r.Context(), r.PathValue("table")
	if schema, aerr := normalizeSchema(r.URL.Query().Get("schema")); aerr != nil {
		writeError(w, aerr)
		return
	} else if schema != "public" {
		writePGErr(w, &pgError{Code: "PGRST106", Message: "The schema must be one of the following: public"})
		return
	}
	t := s.pgTable(ctx, name)
	if t == nil {
		writePGErr(w, &pgError{Code: "PGRST205", Message: fmt.Sprintf("Could not find the table 'public.%s' in the schema cache", name)})
		return
	}
	q, perr := parseQuery(t, r)
	if perr != nil {
		writePGErr(w, perr)
		return
	}
	var body any
	_ = json.NewDecoder(r.Body).Decode(&body)
	pf, tbl := prefs(r), "public."+quoteIdent(name)
	var stmt string
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		limit := ""
		if q.limit >= 0 {
			limit = " LIMIT " + strconv.Itoa(q.limit)
		}
		rows, err := s.pgJSONRows(ctx, "", fmt.Sprintf("SELECT %s FROM %s t WHERE %s%s%s OFFSET %d", q.selectSQL("t"), tbl, q.whereSQL(), q.order, limit, q.offset), q.args)
		if err != nil {
			writePGErr(w, err)
			return
		}
		status, total := http.StatusOK, "*"
		if pf["count"] == "exact" {
			res, err := s.pg.pgRun(ctx, fmt.Sprintf("SELECT count(*) FROM %s t WHERE %s", tbl, q.whereSQL()), q.args, "postgres", false)
			if err != nil {
				writePGErr(w, toPGError(err))
				return
			}
			total = string(res[0].rows[0][0])
			if n, _ := strconv.Atoi(total); len(rows) < n {
				status = http.StatusPartialContent
			}
		}
		w.Header().Set("Content-Range", contentRange(len(rows), q.offset, total))
		writeJSON(w, status, rows)
		return
	case http.MethodPost:
		objs, ok := body.([]any)
		if !ok {
			objs = []any{body}
		}
		var cols []string
		for i, o := range objs {
			in, err := cleanInput(t, o)
			if err != nil {
				writePGErr(w, err)
				return
			}
			objs[i] = in
			for _, k := range sortedKeys(in) {
				if !contains(cols, k) {
					cols = append(cols, k)
				}
			}
		}
		b, _ := json.Marshal(objs)
		stmt = fmt.Sprintf("INSERT INTO %[1]s AS t (%[2]s) SELECT %[2]s FROM json_populate_recordset(NULL::%[1]s, %[3]s::json)", tbl, quoteIdents(cols), q.arg(string(b)))
	case http.MethodPatch:
		in, err := cleanInput(t, body)
		if err != nil {
			writePGErr(w, err)
			return
		}
		var sets []string
		for _, k := range sortedKeys(in) {
			sets = append(sets, quoteIdent(k)+" = v."+quoteIdent(k))
		}
		b, _ := json.Marshal(in)
		stmt = fmt.Sprintf("UPDATE %[1]s t SET %[2]s FROM json_populate_record(NULL::%[1]s, %[3]s::json) v WHERE %[4]s", tbl, strings.Join(sets, ", "), q.arg(string(b)), q.whereSQL())
	case http.MethodDelete:
		stmt = fmt.Sprintf("DELETE FROM %s t WHERE %s", tbl, q.whereSQL())
	default:
		writePGErr(w, &pgError{Code: "PGRST117", Message: "Unsupported HTTP method: " + r.Method})
		return
	}
	out, err := s.pgJSONRows(ctx, "WITH m AS ("+stmt+" RETURNING t.*) ", "SELECT "+q.selectSQL("m")+" FROM m", q.args)
	if err != nil {
		writePGErr(w, err)
		return
	}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		status = http.StatusCreated
	}
	switch {
	case pf["return"] == "representation":
		w.Header().Set("Preference-Applied", "return=representation")
		w.Header().Set("Content-Range", contentRange(len(out), 0, "*"))
		writeJSON(w, status, out)
	case r.Method == http.MethodPost: // the backend answers PostgREST's empty body with []
		w.Header().Set("Content-Range", "*/*")
		writeJSON(w, status, []any{})
	default:
		w.Header().Set("Content-Range", contentRange(len(out), 0, "*"))
		w.WriteHeader(http.StatusNoContent)
	}
}
