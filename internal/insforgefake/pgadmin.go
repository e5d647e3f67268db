package insforgefake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// The bulk upsert on PostgreSQL.

// pgLiteral quotes a JSON document as an SQL literal.
func pgLiteral(v any) string {
	b, _ := json.Marshal(v)
	return "'" + strings.ReplaceAll(string(b), "'", "''") + "'"
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
		args = []any{jsonArray(all)}
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

// jsonArray is json.Marshal(records) as a string, marshalled record by
// record into one buffer of the final size: marshalling megabytes at once
// grows and copies its buffer step by step, which is slow under the race
// detector.
func jsonArray(records []any) string {
	parts := make([][]byte, len(records))
	size := 2
	for i, r := range records {
		parts[i], _ = json.Marshal(r)
		size += len(parts[i]) + 1
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteByte('[')
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(p)
	}
	b.WriteByte(']')
	return b.String()
}
