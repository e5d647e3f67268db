package insforgefake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// The records API (PostgREST) on PostgreSQL: the query string is parsed
// as before (parseQuery), then run as one SQL statement; PostgreSQL decides
// values, constraints and conversions.

// pgTable describes a public table from the catalog (nil if none).
func (s *Server) pgTable(ctx context.Context, name string) *table {
	res, err := s.pg.pgRun(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
		  coalesce((SELECT true FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY(i.indkey)), false)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
		WHERE n.nspname = 'public' AND c.relname = $1 AND c.relkind IN ('r','v','p') AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, []any{name}, "postgres", false)
	if err != nil || len(res) == 0 || len(res[0].rows) == 0 {
		return nil
	}
	t := &table{name: name}
	for _, r := range res[0].rows {
		c := Column{Name: string(r[0]), Nullable: string(r[2]) == "t", PrimaryKey: string(r[3]) == "t"}
		c.Type = string(r[1])
		t.columns = append(t.columns, c)
	}
	return t
}

// pgErrNoTable is PostgREST's unknown-table error with its hint.
func (s *Server) pgErrNoTable(name string) *pgError {
	return errNoTable(name)
}

// condSQL renders a filter as SQL, adding its values to args.
func condSQL(c cond, args *[]any) string {
	arg := func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
	switch x := c.(type) {
	case *logic:
		parts := make([]string, len(x.kids))
		for i, k := range x.kids {
			parts[i] = condSQL(k, args)
		}
		sep := " OR "
		if x.and {
			sep = " AND "
		}
		out := "(" + strings.Join(parts, sep) + ")"
		if len(parts) == 0 {
			out = strconv.FormatBool(x.and)
		}
		if x.neg {
			out = "NOT " + out
		}
		return out
	case *leaf:
		col := "t." + quoteIdent(x.col)
		var out string
		switch x.op {
		case "eq", "neq", "gt", "gte", "lt", "lte":
			op := map[string]string{"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[x.op]
			out = col + " " + op + " " + arg(x.val) + "::text::" + x.typ
		case "like", "ilike":
			op := map[string]string{"like": "LIKE", "ilike": "ILIKE"}[x.op]
			out = col + "::text " + op + " " + arg(strings.ReplaceAll(x.pat, "*", "%"))
		case "match", "imatch":
			op := map[string]string{"match": "~", "imatch": "~*"}[x.op]
			out = col + "::text " + op + " " + arg(x.pat)
		case "is":
			out = col + " IS " + strings.ToUpper(x.isVal)
		case "in":
			items := make([]string, len(x.list))
			for i, v := range x.list {
				items[i] = arg(v)
			}
			out = col + " = ANY(ARRAY[" + strings.Join(items, ",") + "]::text[]::" + x.typ + "[])"
		}
		if x.neg {
			out = "NOT (" + out + ")"
		}
		return out
	}
	return "true"
}

// pgSelectSQL renders the projection.
func (pq *pgQuery) selectSQL(from string) string {
	parts := make([]string, len(pq.selectSrc))
	for i, src := range pq.selectSrc {
		e := from + "." + quoteIdent(src)
		if c := pq.selectCast[i]; c != "" {
			e += "::" + sqlTypeName(c)
		}
		parts[i] = e + " AS " + quoteIdent(pq.selectCols[i])
	}
	if len(parts) == 0 {
		return "NULL AS _"
	}
	return strings.Join(parts, ", ")
}

func (pq *pgQuery) whereSQL(args *[]any) string {
	if len(pq.filters) == 0 {
		return "true"
	}
	parts := make([]string, len(pq.filters))
	for i, f := range pq.filters {
		parts[i] = condSQL(f, args)
	}
	return strings.Join(parts, " AND ")
}

func (pq *pgQuery) orderSQL() string {
	if len(pq.order) == 0 {
		return ""
	}
	parts := make([]string, len(pq.order))
	for i, k := range pq.order {
		p := "t." + quoteIdent(k.col)
		if k.desc {
			p += " DESC"
		}
		if k.nullsFirst != nil {
			p += map[bool]string{true: " NULLS FIRST", false: " NULLS LAST"}[*k.nullsFirst]
		}
		parts[i] = p
	}
	return " ORDER BY " + strings.Join(parts, ", ")
}

func (pq *pgQuery) limitSQL() string {
	out := ""
	if pq.limit >= 0 {
		out += " LIMIT " + strconv.Itoa(pq.limit)
	}
	if pq.offset > 0 {
		out += " OFFSET " + strconv.Itoa(pq.offset)
	}
	return out
}

// pgJSONRows runs a query whose one column is row_to_json text and
// returns the rows with their keys in order.
func (s *Server) pgJSONRows(ctx context.Context, query string, args []any) ([]orderedRow, *pgError) {
	res, err := s.pg.pgRun(ctx, query, args, "postgres", false)
	if err != nil {
		return nil, toPGError(err)
	}
	out := []orderedRow{}
	if len(res) == 0 {
		return out, nil
	}
	for _, r := range res[0].rows {
		out = append(out, decodeOrdered(r[0]))
	}
	return out, nil
}

// decodeOrdered decodes a flat JSON object keeping its key order.
func decodeOrdered(b []byte) orderedRow {
	var o orderedRow
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return o
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return o
		}
		var v any
		if dec.Decode(&v) != nil {
			return o
		}
		o.keys = append(o.keys, k.(string))
		o.vals = append(o.vals, v)
	}
	return o
}

func toPGError(err error) *pgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return &pgError{Code: pe.Code, Message: pe.Message, Details: pe.Detail, Hint: pe.Hint}
	}
	return &pgError{Code: "XX000", Message: err.Error()}
}

// pgRecords serves the records API once the request is checked and the
// body decoded.
func (s *Server) pgRecords(w http.ResponseWriter, r *http.Request, name string, body any) {
	ctx := r.Context()
	t := s.pgTable(ctx, name)
	if t == nil {
		writePGErr(w, s.pgErrNoTable(name))
		return
	}
	pq, perr := parseQuery(t, r)
	if perr != nil {
		writePGErr(w, perr)
		return
	}
	pf := prefs(r)
	tbl := "public." + quoteIdent(name)
	var args []any
	where := pq.whereSQL(&args)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		rows, err := s.pgJSONRows(ctx, fmt.Sprintf("SELECT row_to_json(x)::text FROM (SELECT %s FROM %s t WHERE %s%s%s) x",
			pq.selectSQL("t"), tbl, where, pq.orderSQL(), pq.limitSQL()), args)
		if err != nil {
			writePGErr(w, err)
			return
		}
		status, totalStr := http.StatusOK, "*"
		if c := pf["count"]; c == "exact" || c == "planned" || c == "estimated" {
			res, err := s.pg.pgRun(ctx, fmt.Sprintf("SELECT count(*) FROM %s t WHERE %s", tbl, where), args, "postgres", false)
			if err != nil {
				writePGErr(w, toPGError(err))
				return
			}
			totalStr = string(res[0].rows[0][0])
			w.Header().Set("Preference-Applied", "count="+c)
			if total, _ := strconv.Atoi(totalStr); len(rows) < total {
				status = http.StatusPartialContent
			}
		}
		w.Header().Set("Content-Range", contentRange(len(rows), pq.offset, totalStr))
		writeRows(w, r, status, rows)
	case http.MethodPost:
		s.pgInsert(w, r, t, pq, pf, body)
	case http.MethodPatch:
		obj, ok := body.(map[string]any)
		if !ok {
			writePGErr(w, &pgError{Code: "PGRST102", Message: "Empty or invalid json"})
			return
		}
		in, err := cleanInput(t, obj, pq.columns)
		if err != nil {
			writePGErr(w, err)
			return
		}
		out := []orderedRow{}
		if len(in) > 0 {
			var sets []string
			for _, k := range sortedKeys(in) {
				sets = append(sets, quoteIdent(k)+" = v."+quoteIdent(k))
			}
			b, _ := json.Marshal(in)
			args = append(args, string(b))
			target := where
			if pq.limit >= 0 || pq.offset > 0 {
				target = fmt.Sprintf("t.ctid IN (SELECT ctid FROM %s t WHERE %s%s%s)", tbl, where, pq.orderSQL(), pq.limitSQL())
			}
			out, err = s.pgJSONRows(ctx, fmt.Sprintf("WITH m AS (UPDATE %s t SET %s FROM json_populate_record(NULL::%s, $%d::json) v WHERE %s RETURNING t.*) SELECT row_to_json(x)::text FROM (SELECT %s FROM m) x",
				tbl, strings.Join(sets, ", "), tbl, len(args), target, pq.selectSQL("m")), args)
			if err != nil {
				writePGErr(w, err)
				return
			}
		}
		s.finishMutation(w, r, pf, out, http.StatusOK)
	case http.MethodPut:
		obj, ok := body.(map[string]any)
		if !ok {
			if arr, isArr := body.([]any); isArr && len(arr) == 1 {
				obj, ok = arr[0].(map[string]any)
			}
		}
		pk := t.pkCols()
		eq := map[string]any{}
		for _, f := range pq.filters {
			if l, isLeaf := f.(*leaf); isLeaf && l.op == "eq" && !l.neg {
				eq[l.col] = l.val
			}
		}
		if len(pk) == 0 || len(eq) != len(pq.filters) || !sameSet(sortedKeys(eq), pk) {
			writePGErr(w, &pgError{Code: "PGRST105", Message: "Filters must include all and only primary key columns with 'eq' operators"})
			return
		}
		if !ok {
			writePGErr(w, &pgError{Code: "PGRST102", Message: "Empty or invalid json"})
			return
		}
		for _, c := range pk {
			if fmt.Sprint(obj[c]) != fmt.Sprint(eq[c]) {
				writePGErr(w, &pgError{Code: "PGRST115", Message: "Payload values do not match URL in primary key column(s)"})
				return
			}
		}
		s.pgInsert(w, r, t, pq, map[string]string{"resolution": "merge-duplicates", "return": pf["return"], "put": "1"}, obj)
	case http.MethodDelete:
		target := where
		if pq.limit >= 0 || pq.offset > 0 {
			target = fmt.Sprintf("t.ctid IN (SELECT ctid FROM %s t WHERE %s%s%s)", tbl, where, pq.orderSQL(), pq.limitSQL())
		}
		out, err := s.pgJSONRows(ctx, fmt.Sprintf("WITH m AS (DELETE FROM %s t WHERE %s RETURNING t.*) SELECT row_to_json(x)::text FROM (SELECT %s FROM m) x",
			tbl, target, pq.selectSQL("m")), args)
		if err != nil {
			writePGErr(w, err)
			return
		}
		s.finishMutation(w, r, pf, out, http.StatusOK)
	default:
		writePGErr(w, &pgError{Code: "PGRST117", Message: "Unsupported HTTP method: " + r.Method})
	}
}

// pgInsert inserts (or upserts, with a resolution preference) the body's
// objects in one statement.
func (s *Server) pgInsert(w http.ResponseWriter, r *http.Request, t *table, pq *pgQuery, pf map[string]string, body any) {
	var objs []map[string]any
	switch b := body.(type) {
	case map[string]any:
		objs = []map[string]any{b}
	case []any:
		for _, e := range b {
			m, ok := e.(map[string]any)
			if !ok {
				writePGErr(w, &pgError{Code: "PGRST102", Message: "All object keys must match"})
				return
			}
			objs = append(objs, m)
		}
	default:
		writePGErr(w, &pgError{Code: "PGRST102", Message: "Empty or invalid json"})
		return
	}
	if pq.columns == nil && len(objs) > 1 {
		keys := strings.Join(sortedKeys(objs[0]), ",")
		for _, o := range objs[1:] {
			if strings.Join(sortedKeys(o), ",") != keys {
				writePGErr(w, &pgError{Code: "PGRST102", Message: "All object keys must match"})
				return
			}
		}
	}
	var cols []string
	clean := make([]any, len(objs))
	seen := map[string]bool{}
	for i, o := range objs {
		in, err := cleanInput(t, o, pq.columns)
		if err != nil {
			writePGErr(w, err)
			return
		}
		clean[i] = in
		for _, k := range sortedKeys(in) {
			if !seen[k] {
				seen[k] = true
				cols = append(cols, k)
			}
		}
	}
	tbl := "public." + quoteIdent(t.name)
	b, _ := json.Marshal(clean)
	var q string
	if len(cols) == 0 {
		q = fmt.Sprintf("INSERT INTO %s AS t DEFAULT VALUES", tbl)
	} else {
		qc := make([]string, len(cols))
		for i, c := range cols {
			qc[i] = quoteIdent(c)
		}
		list := strings.Join(qc, ", ")
		q = fmt.Sprintf("INSERT INTO %s AS t (%s) SELECT %s FROM json_populate_recordset(NULL::%s, $1::json)", tbl, list, list, tbl)
	}
	if res := pf["resolution"]; res != "" {
		conflict := pq.onConflict
		if conflict == nil {
			conflict = t.pkCols()
		}
		qc := make([]string, len(conflict))
		for i, c := range conflict {
			qc[i] = quoteIdent(c)
		}
		q += " ON CONFLICT (" + strings.Join(qc, ", ") + ")"
		var sets []string
		for _, c := range cols {
			sets = append(sets, quoteIdent(c)+" = EXCLUDED."+quoteIdent(c))
		}
		if res == "ignore-duplicates" || len(sets) == 0 {
			q += " DO NOTHING"
		} else {
			q += " DO UPDATE SET " + strings.Join(sets, ", ")
		}
	}
	args := []any{string(b)}
	if len(cols) == 0 {
		args = nil
	}
	out, err := s.pgJSONRows(r.Context(), fmt.Sprintf("WITH m AS (%s RETURNING t.*) SELECT row_to_json(x)::text FROM (SELECT %s FROM m) x", q, pq.selectSQL("m")), args)
	if err != nil {
		writePGErr(w, err)
		return
	}
	if pf["put"] != "" {
		s.finishMutation(w, r, prefs(r), out, http.StatusOK)
		return
	}
	setPreferenceApplied(w, pf, "return", "resolution")
	if pf["return"] == "representation" {
		w.Header().Set("Content-Range", contentRange(len(out), 0, "*"))
		writeRows(w, r, http.StatusCreated, out)
		return
	}
	w.Header().Set("Content-Range", "*/*")
	writeJSON(w, http.StatusCreated, []any{})
}
