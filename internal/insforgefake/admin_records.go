package insforgefake

import (
	"fmt"
	"net/http"
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
	_, hasFC := q["filterColumn"]
	_, hasFV := q["filterValue"]
	if hasFC != hasFV {
		writeError(w, errInvalidInput("filterColumn and filterValue must be provided together"))
		return
	}
	s.pgAdminList(w, r, limit, offset)
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
	s.pgAdminLookup(w, r, keys)
}

func (s *Server) adminInsertRecords(w http.ResponseWriter, r *http.Request) {
	body, aerr := decodeBody(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	arr, ok := body.([]any)
	if !ok || len(arr) == 0 {
		writeError(w, errInvalidInput(": Expected a non-empty array"))
		return
	}
	s.pgAdminInsert(w, r, arr)
}

func (s *Server) adminUpdateRecord(w http.ResponseWriter, r *http.Request) {
	var in struct{ PkKeys, Data map[string]any }
	if !bind(w, r, &in) {
		return
	}
	pk, data := in.PkKeys, in.Data
	s.pgAdminUpdate(w, r, pk, data)
}

func (s *Server) adminDeleteRecords(w http.ResponseWriter, r *http.Request) {
	var in struct{ PkKeys []map[string]any }
	if !bind(w, r, &in) {
		return
	}
	keys := in.PkKeys
	s.pgAdminDelete(w, r, keys)
}
