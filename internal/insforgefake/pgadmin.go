package insforgefake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Admin records and the bulk upsert on PostgreSQL.

func errAdminTable() *APIError {
	return &APIError{Status: 404, Code: "DATABASE_NOT_FOUND", Message: "Table not found.",
		NextActions: "Check the table name and schema, then try again."}
}

// pgAdminTable resolves an admin record route's table.
func (s *Server) pgAdminTable(r *http.Request) (*table, *APIError) {
	name := r.PathValue("table")
	schema, err := tableParams(r, name)
	if err != nil {
		return nil, err
	}
	t := s.pgTable(r.Context(), name)
	if t == nil || schema != "public" {
		return nil, errAdminTable()
	}
	return t, nil
}

// keysSQL renders "col = $n AND …" for keys, checking the columns.
func keysSQL(t *table, keys map[string]any, args *[]any) (string, *APIError) {
	var parts []string
	for _, k := range sortedKeys(keys) {
		if _, _, ok := t.col(k); !ok {
			return "", errUnknownColumn(k)
		}
		if keys[k] == nil {
			parts = append(parts, "t."+quoteIdent(k)+" IS NULL")
			continue
		}
		*args = append(*args, keys[k])
		parts = append(parts, fmt.Sprintf("t.%s = $%d", quoteIdent(k), len(*args)))
	}
	if len(parts) == 0 {
		return "true", nil
	}
	return strings.Join(parts, " AND "), nil
}

func (s *Server) pgAdminRows(r *http.Request, query string, args []any) ([]orderedRow, *APIError) {
	rows, perr := s.pgJSONRows(r.Context(), query, args)
	if perr != nil {
		return nil, perr.toAPIError()
	}
	return rows, nil
}

func (s *Server) pgAdminList(w http.ResponseWriter, r *http.Request, limit, offset int) {
	t, aerr := s.pgAdminTable(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	q := r.URL.Query()
	var args []any
	var conds []string
	if _, ok := q["filterColumn"]; ok {
		c, aerr := keysSQL(t, map[string]any{q.Get("filterColumn"): q.Get("filterValue")}, &args)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		conds = append(conds, c)
	}
	if search := q.Get("search"); search != "" {
		args = append(args, strings.ToLower(search))
		var or []string
		for _, c := range t.columns {
			if isTextType(c.Type) {
				or = append(or, fmt.Sprintf("strpos(lower(t.%s), $%d) > 0", quoteIdent(c.Name), len(args)))
			}
		}
		if or == nil {
			or = []string{"false"}
		}
		conds = append(conds, "("+strings.Join(or, " OR ")+")")
	}
	where := "true"
	if conds != nil {
		where = strings.Join(conds, " AND ")
	}
	order := ""
	if sortParam := q.Get("sort"); sortParam != "" {
		var keys []string
		for _, item := range strings.Split(sortParam, ",") {
			col, dir, _ := strings.Cut(strings.TrimSpace(item), ":")
			if _, _, ok := t.col(col); !ok {
				writeError(w, errUnknownColumn(col))
				return
			}
			k := "t." + quoteIdent(col)
			if strings.EqualFold(dir, "desc") {
				k += " DESC"
			}
			keys = append(keys, k)
		}
		order = " ORDER BY " + strings.Join(keys, ", ")
	}
	tbl := "public." + quoteIdent(t.name)
	rows, aerr := s.pgAdminRows(r, fmt.Sprintf("SELECT row_to_json(t)::text FROM %s t WHERE %s%s LIMIT %d OFFSET %d", tbl, where, order, limit, offset), args)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	total := len(rows)
	if res, err := s.pg.pgRun(r.Context(), fmt.Sprintf("SELECT count(*) FROM %s t WHERE %s", tbl, where), args, "postgres", false); err == nil {
		total, _ = strconv.Atoi(string(res[0].rows[0][0]))
	}
	writePaged(w, rows, len(rows), offset, total)
}

func (s *Server) pgAdminLookup(w http.ResponseWriter, r *http.Request, keys map[string]any) {
	t, aerr := s.pgAdminTable(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var args []any
	where, aerr := keysSQL(t, keys, &args)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	rows, aerr := s.pgAdminRows(r, fmt.Sprintf("SELECT row_to_json(t)::text FROM public.%s t WHERE %s LIMIT 1", quoteIdent(t.name), where), args)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if len(rows) == 0 {
		writeJSON(w, 200, nil)
		return
	}
	writeJSON(w, 200, rows[0])
}

// pgLiteral quotes a JSON document as an SQL literal.
func pgLiteral(v any) string {
	b, _ := json.Marshal(v)
	return "'" + strings.ReplaceAll(string(b), "'", "''") + "'"
}

func (s *Server) pgAdminInsert(w http.ResponseWriter, r *http.Request, arr []any) {
	t, aerr := s.pgAdminTable(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	tbl := "public." + quoteIdent(t.name)
	var stmts []string
	for i, e := range arr {
		obj, ok := e.(map[string]any)
		if !ok {
			writeError(w, errInvalidInput(fmt.Sprintf("%d: Expected object, received %T", i, e)))
			return
		}
		var cols []string
		for _, k := range sortedKeys(obj) {
			if _, _, ok := t.col(k); !ok {
				writeError(w, errUnknownColumn(k))
				return
			}
			cols = append(cols, quoteIdent(k))
		}
		if cols == nil {
			stmts = append(stmts, fmt.Sprintf("INSERT INTO %s AS t DEFAULT VALUES RETURNING row_to_json(t)::text", tbl))
			continue
		}
		list := strings.Join(cols, ", ")
		stmts = append(stmts, fmt.Sprintf("INSERT INTO %s AS t (%s) SELECT %s FROM json_populate_record(NULL::%s, %s::json) RETURNING row_to_json(t)::text",
			tbl, list, list, tbl, pgLiteral(obj)))
	}
	res, err := s.pg.pgRun(r.Context(), strings.Join(stmts, ";\n"), nil, "postgres", false)
	if err != nil {
		writeError(w, toPGError(err).toAPIError())
		return
	}
	out := []orderedRow{}
	for _, rs := range res {
		for _, row := range rs.rows {
			out = append(out, decodeOrdered(row[0]))
		}
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) pgAdminUpdate(w http.ResponseWriter, r *http.Request, pk, data map[string]any) {
	t, aerr := s.pgAdminTable(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var args []any
	where, aerr := keysSQL(t, pk, &args)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var sets []string
	for _, k := range sortedKeys(data) {
		if _, _, ok := t.col(k); !ok {
			writeError(w, errUnknownColumn(k))
			return
		}
		sets = append(sets, quoteIdent(k)+" = v."+quoteIdent(k))
	}
	tbl := "public." + quoteIdent(t.name)
	args = append(args, data)
	if sets == nil {
		sets = []string{quoteIdent(t.columns[0].Name) + " = t." + quoteIdent(t.columns[0].Name)}
	}
	rows, aerr := s.pgAdminRows(r, fmt.Sprintf("UPDATE %s t SET %s FROM json_populate_record(NULL::%s, $%d::json) v WHERE t.ctid = (SELECT ctid FROM %s t WHERE %s LIMIT 1) RETURNING row_to_json(t)::text",
		tbl, strings.Join(sets, ", "), tbl, len(args), tbl, where), args)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if len(rows) == 0 {
		writeError(w, &APIError{Status: 404, Code: "DATABASE_NOT_FOUND", Message: "Record not found.",
			NextActions: "Check the record identifier and try again."})
		return
	}
	writeJSON(w, 200, rows[0])
}

func (s *Server) pgAdminDelete(w http.ResponseWriter, r *http.Request, keys []map[string]any) {
	t, aerr := s.pgAdminTable(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var args []any
	var or []string
	for _, k := range keys {
		c, aerr := keysSQL(t, k, &args)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		or = append(or, "("+c+")")
	}
	res, err := s.pg.pgRun(r.Context(), fmt.Sprintf("DELETE FROM public.%s t WHERE %s", quoteIdent(t.name), strings.Join(or, " OR ")), args, "postgres", false)
	if err != nil {
		writeError(w, toPGError(err).toAPIError())
		return
	}
	writeJSON(w, 200, map[string]any{"deletedCount": int(res[0].tag.RowsAffected())})
}

// pgBulkInsert inserts (or upserts on upsertKey) the records in one
// transaction as project_admin and returns the rows written.
func (s *Server) pgBulkInsert(r *http.Request, schema, tableName string, records []any, upsertKey string) (int, *pgError) {
	tbl := qualified(schema, tableName)
	var stmts []string
	keySets := map[string]bool{}
	var all []any
	for _, rv := range records {
		rec, ok := rv.(map[string]any)
		if !ok {
			return 0, &pgError{Code: "42601", Message: "each record must be an object"}
		}
		in := map[string]any{}
		var cols, sets []string
		for _, k := range sortedKeys(rec) {
			v := rec[k]
			if v == "" {
				v = nil
			}
			in[k] = v
			cols = append(cols, quoteIdent(k))
			if k != upsertKey {
				sets = append(sets, quoteIdent(k)+" = EXCLUDED."+quoteIdent(k))
			}
		}
		if upsertKey != "" {
			if _, ok := in[upsertKey]; !ok {
				return 0, &pgError{Message: fmt.Sprintf("Upsert key '%s' not found in record columns", upsertKey)}
			}
		}
		list := strings.Join(cols, ", ")
		keySets[list] = true
		all = append(all, in)
		q := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM json_populate_record(NULL::%s, %s::json)", tbl, list, list, tbl, pgLiteral(in))
		if upsertKey != "" {
			q += " ON CONFLICT (" + quoteIdent(upsertKey) + ")"
			if sets == nil {
				q += " DO NOTHING"
			} else {
				q += " DO UPDATE SET " + strings.Join(sets, ", ")
			}
		}
		stmts = append(stmts, q)
	}
	query, args := strings.Join(stmts, ";\n"), []any(nil)
	if upsertKey == "" && len(keySets) == 1 {
		// one statement for records with the same columns
		var list string
		for k := range keySets {
			list = k
		}
		query = fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM json_populate_recordset(NULL::%s, $1::json)", tbl, list, list, tbl)
		b, _ := json.Marshal(all)
		args = []any{string(b)}
	}
	res, err := s.pg.pgRun(r.Context(), query, args, "project_admin", false)
	if err != nil {
		return 0, toPGError(err)
	}
	n := 0
	for _, rs := range res {
		n += int(rs.tag.RowsAffected())
	}
	return n, nil
}
