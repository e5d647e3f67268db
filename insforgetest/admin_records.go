package insforgetest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Admin record CRUD module: dashboard-style record access that runs
// as project_admin without PostgREST. Errors use the standard body.

func registerAdminRecordRoutes(s *Server) {
	const base = "/api/database/admin/tables/{table}/records"
	s.handle("GET "+base, accessAdmin, s.adminListRecords)
	s.handle("GET "+base+"/lookup", accessAdmin, s.adminLookupRecord)
	s.handle("POST "+base, accessAdmin, s.adminInsertRecords)
	s.handle("PATCH "+base, accessAdmin, s.adminUpdateRecord)
	s.handle("DELETE "+base, accessAdmin, s.adminDeleteRecords)
}

// adminTable resolves the table of an admin record route. s.db.mu held.
func (s *Server) adminTable(r *http.Request) (*table, *APIError) {
	name := r.PathValue("table")
	schema, err := tableParams(r, name)
	if err != nil {
		return nil, err
	}
	t, ok := s.db.tables[name]
	if !ok || schema != "public" {
		return nil, &APIError{Status: 404, Code: "DATABASE_NOT_FOUND", Message: "Table not found.",
			NextActions: "Check the table name and schema, then try again."}
	}
	return t, nil
}

// adminRow resolves the table of an admin record route and the index of its
// row matching keys (-1 for none). s.db.mu held.
func (s *Server) adminRow(r *http.Request, keys map[string]any) (*table, int, *APIError) {
	t, err := s.adminTable(r)
	if err != nil {
		return nil, 0, err
	}
	i, err := matchKeys(t, keys)
	if err != nil {
		return nil, 0, err
	}
	return t, i, nil
}

func rowJSON(t *table, row map[string]any) orderedRow { return project(row, t.colNames()) }

func errUnknownColumn(col string) *APIError {
	return &APIError{Status: 400, Code: "INVALID_INPUT", Message: fmt.Sprintf("Unknown column %q.", col),
		NextActions: "Check the table schema and try again."}
}

func (s *Server) adminListRecords(w http.ResponseWriter, r *http.Request) {
	limit, offset, aerr := pageParams(r, 50, 500)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	q := r.URL.Query()
	fc, fv := q.Get("filterColumn"), q.Get("filterValue")
	_, hasFC := q["filterColumn"]
	_, hasFV := q["filterValue"]
	if hasFC != hasFV {
		writeError(w, errInvalidInput("filterColumn and filterValue must be provided together"))
		return
	}
	if s.pg != nil {
		s.pgAdminList(w, r, limit, offset)
		return
	}
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	t, aerr := s.adminTable(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var filter any
	if hasFC {
		v, aerr := adminValue(t, fc, fv)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		filter = v
	}
	var keys []sortKey
	if sortParam := q.Get("sort"); sortParam != "" {
		for _, item := range strings.Split(sortParam, ",") {
			col, dir, _ := strings.Cut(strings.TrimSpace(item), ":")
			if _, _, ok := t.col(col); !ok {
				writeError(w, errUnknownColumn(col))
				return
			}
			keys = append(keys, sortKey{col: col, desc: strings.EqualFold(dir, "desc")})
		}
	}
	search := strings.ToLower(q.Get("search"))
	var rows []map[string]any
	for _, row := range t.rows {
		if hasFC && !valuesEqual(row[fc], filter) {
			continue
		}
		if search != "" {
			found := false
			for _, c := range t.columns {
				if sv, ok := row[c.Name].(string); ok && isTextType(c.Type) && strings.Contains(strings.ToLower(sv), search) {
					found = true
					break
				}
			}
			if !found {
				continue
			}
		}
		rows = append(rows, row)
	}
	sortRows(rows, keys)
	page := pageSlice(rows, limit, offset)
	out := make([]orderedRow, len(page))
	for i, row := range page {
		out[i] = rowJSON(t, row)
	}
	writePaged(w, out, len(out), offset, len(rows))
}

// adminValue converts v to the type of t's column col.
func adminValue(t *table, col string, v any) (any, *APIError) {
	c, _, ok := t.col(col)
	if !ok {
		return nil, errUnknownColumn(col)
	}
	tv, perr := coerce(c.Type, v)
	if perr != nil {
		return nil, perr.toAPIError()
	}
	return tv, nil
}

// matchKeys finds the index of the row whose columns equal keys.
func matchKeys(t *table, keys map[string]any) (int, *APIError) {
	probe := map[string]any{}
	var cols []string
	for k, v := range keys {
		tv, err := adminValue(t, k, v)
		if err != nil {
			return -1, err
		}
		probe[k] = tv
		cols = append(cols, k)
	}
	for i, row := range t.rows {
		match := true
		for _, c := range cols {
			if (row[c] == nil) != (probe[c] == nil) || (probe[c] != nil && !valuesEqual(row[c], probe[c])) {
				match = false
				break
			}
		}
		if match {
			return i, nil
		}
	}
	return -1, nil
}

func (s *Server) adminLookupRecord(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cols, vals := q["column"], q["value"]
	if len(cols) == 0 || len(cols) != len(vals) {
		writeError(w, errInvalidInput("Columns and values must have the same non-zero length"))
		return
	}
	keys := map[string]any{}
	for i, c := range cols {
		keys[c] = vals[i]
	}
	if s.pg != nil {
		s.pgAdminLookup(w, r, keys)
		return
	}
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	t, i, aerr := s.adminRow(r, keys)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if i < 0 {
		writeJSON(w, 200, nil)
		return
	}
	writeJSON(w, 200, rowJSON(t, t.rows[i]))
}

func (s *Server) adminInsertRecords(w http.ResponseWriter, r *http.Request) {
	body, aerr := decodeBody(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	arr, ok := body.([]any)
	if !ok || len(arr) == 0 {
		msg := ": Array must contain at least 1 element(s)"
		if !ok {
			msg = ": Expected array, received " + jsonType(body)
		}
		writeError(w, errInvalidInput(msg))
		return
	}
	if s.pg != nil {
		s.pgAdminInsert(w, r, arr)
		return
	}
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	orig, aerr := s.adminTable(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	t := orig.clone()
	now := time.Now()
	var out []orderedRow
	for i, e := range arr {
		obj, ok := e.(map[string]any)
		if !ok {
			writeError(w, errInvalidInput(fmt.Sprintf("%d: Expected object, received %s", i, jsonType(e))))
			return
		}
		for k := range obj {
			if _, _, ok := t.col(k); !ok {
				writeError(w, errUnknownColumn(k))
				return
			}
		}
		row, perr := t.buildRow(obj, now)
		if perr == nil {
			perr = s.db.checkWrite(t, row, -1)
		}
		if perr != nil {
			writeError(w, perr.toAPIError())
			return
		}
		t.rows = append(t.rows, row)
		out = append(out, rowJSON(t, row))
	}
	s.db.tables[t.name] = t
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) adminUpdateRecord(w http.ResponseWriter, r *http.Request) {
	body, aerr := decodeObject(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var is issues
	pk, _ := is.object(body, "pkKeys", "", true)
	data, _ := is.object(body, "data", "", true)
	if err := is.err(); err != nil {
		writeError(w, err)
		return
	}
	if s.pg != nil {
		s.pgAdminUpdate(w, r, pk, data)
		return
	}
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	t, i, aerr := s.adminRow(r, pk)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if i < 0 {
		writeError(w, &APIError{Status: 404, Code: "DATABASE_NOT_FOUND", Message: "Record not found.",
			NextActions: "Check the record identifier and try again."})
		return
	}
	row := cloneRow(t.rows[i])
	for k, v := range data {
		tv, aerr := adminValue(t, k, v)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		row[k] = tv
	}
	_, explicit := data["updated_at"]
	t.touchUpdatedAt(row, explicit, time.Now())
	if perr := s.db.checkWrite(t, row, i); perr != nil {
		writeError(w, perr.toAPIError())
		return
	}
	t.rows[i] = row
	writeJSON(w, 200, rowJSON(t, row))
}

func (s *Server) adminDeleteRecords(w http.ResponseWriter, r *http.Request) {
	body, aerr := decodeObject(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var is issues
	list, _ := is.array(body, "pkKeys", "", true, 1)
	var keys []map[string]any
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			is.add(joinPath("pkKeys", i), "Expected object, received "+jsonType(e))
			continue
		}
		keys = append(keys, m)
	}
	if err := is.err(); err != nil {
		writeError(w, err)
		return
	}
	if s.pg != nil {
		s.pgAdminDelete(w, r, keys)
		return
	}
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	t, aerr := s.adminTable(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	del := map[int]bool{}
	for _, k := range keys {
		i, aerr := matchKeys(t, k)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		if i >= 0 {
			del[i] = true
		}
	}
	idx := make([]int, 0, len(del))
	for i := range t.rows {
		if del[i] {
			idx = append(idx, i)
		}
	}
	snap := s.db.snapshot()
	if perr := s.db.deleteRows(t.name, idx); perr != nil {
		s.db.tables = snap
		writeError(w, perr.toAPIError())
		return
	}
	writeJSON(w, 200, map[string]any{"deletedCount": len(idx)})
}
