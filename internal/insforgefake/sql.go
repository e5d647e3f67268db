package insforgefake

import (
	"errors"
	"net/http"
	"regexp"
	"slices"

	"github.com/insforge-mcp/insforge-mcp/internal/sqlcheck"
)

// Raw SQL module: POST /api/database/advance/rawsql and
// /rawsql/unrestricted, the statement guards shared with migrations, and
// the bridge to PostgreSQL or a test's SQL handler.

func registerSQLRoutes(s *Server) {
	s.handle("POST /api/database/advance/rawsql", accessAdmin, s.rawSQLHandler("project_admin"))
	s.handle("POST /api/database/advance/rawsql/unrestricted", accessAdmin, s.rawSQLHandler("postgres"))
}

// Field describes a result column: name and Postgres type OID (node-pg
// dataTypeID), e.g. 23 int4, 20 int8, 25 text, 16 bool, 1184 timestamptz.
type Field struct {
	Name       string `json:"name"`
	DataTypeID int    `json:"dataTypeID"`
}

// SQLResult is the result of a raw SQL query: the response is
// {rows, rowCount, fields}. A nil RowCount is sent as null, nil Fields as [].
type SQLResult struct {
	Rows     []map[string]any
	RowCount *int
	Fields   []Field
}

// SetSQLHandler overrides the raw SQL endpoints. It is the way to test
// answers PostgreSQL cannot give (a backend failure, a canned result). The
// handler receives the query text and params once the request and the
// statement guards (403 FORBIDDEN for set_config, transaction control, …)
// have passed. Return an *APIError to answer that error; any other error
// is answered as 500 INTERNAL_ERROR with its text. Values are sent as
// given (use strings for int8/numeric values, as node-pg does). Pass nil
// to run SQL on PostgreSQL again.
func (s *Server) SetSQLHandler(fn func(query string, params []any) (SQLResult, error)) {
	s.mu.Lock()
	s.sqlHandler = fn
	s.mu.Unlock()
}

const unparseableMsg = "Query could not be parsed and was rejected for security reasons."

// errUnparseableSQL is the answer to SQL the parser cannot handle.
func errUnparseableSQL() *APIError { return errForbidden(unparseableMsg) }

var setConfigRE = regexp.MustCompile(`(?i)\bset_config\b`)

// checkGuards applies the statement guards (backend
// checkSqlExecutionGuards). Only lexical validity is checked here: SQL
// PostgreSQL cannot parse gets its syntax error, answered as unparseable
// (pgAPIError).
func checkGuards(query string) ([]sqlcheck.Statement, *APIError) {
	if setConfigRE.MatchString(query) {
		return nil, errForbidden("Changing SQL session configuration is not allowed.")
	}
	stmts, err := sqlcheck.Statements(query)
	if err != nil {
		return nil, errUnparseableSQL()
	}
	for _, st := range stmts {
		if msg := guardStatement(st.Words); msg != "" {
			return nil, errForbidden(msg)
		}
	}
	return stmts, nil
}

const msgRole = "Changing SQL execution role or session authorization is not allowed."

// guardStatement returns the refusal message for a forbidden statement.
func guardStatement(ws []string) string {
	at := func(i int) string {
		if i < len(ws) {
			return ws[i]
		}
		return ""
	}
	switch at(0) {
	case "begin", "commit", "end", "rollback", "abort", "savepoint", "release":
		return "Transaction control statements are not allowed."
	case "start", "prepare":
		if at(1) == "transaction" {
			return "Transaction control statements are not allowed."
		}
	case "set", "reset":
		i, session := 1, at(0) == "set" && at(1) == "session"
		if session || at(0) == "set" && at(1) == "local" {
			i = 2
		}
		switch at(i) {
		case "role", "session_authorization":
			return msgRole
		case "authorization":
			if session {
				return msgRole
			}
		case "search_path":
			return "Changing SQL search_path is not allowed."
		case "statement_timeout":
			return "Changing SQL statement_timeout is not allowed."
		case "all":
			if at(0) == "reset" {
				return "RESET ALL is not allowed."
			}
		}
	case "create", "alter", "drop":
		switch at(1) {
		case "database":
			return "Query contains restricted operations"
		case "role", "user", "group":
			return "Managing database roles is not allowed."
		}
	case "grant", "revoke":
		if !slices.Contains(ws, "on") {
			return "Managing database roles is not allowed."
		}
	}
	return ""
}

// rawSQLHandler serves both raw SQL endpoints (user is the database role).
func (s *Server) rawSQLHandler(user string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Query  string
			Params []any
		}
		if !bind(w, r, &in) {
			return
		}
		query, params := in.Query, in.Params
		if query == "" {
			writeError(w, errInvalidInput("query: Query is required"))
			return
		}
		s.mu.Lock()
		h := s.sqlHandler
		s.mu.Unlock()
		if _, aerr := checkGuards(query); aerr != nil {
			writeError(w, aerr)
			return
		}
		if h != nil {
			res, err := h(query, params)
			if err != nil {
				writeError(w, handlerError(err))
				return
			}
			writeJSON(w, 200, sqlResultJSON(res))
			return
		}
		s.pgRawSQL(w, r, query, params, user)
	}
}

// handlerError converts an SQL handler's error into an answer.
func handlerError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return errInternal(err.Error())
}

// sqlResponse is the answer {rows, rowCount, fields}.
type sqlResponse struct {
	Rows     any     `json:"rows"`
	RowCount *int    `json:"rowCount"`
	Fields   []Field `json:"fields"`
}

// sqlResultJSON converts a handler's SQLResult.
func sqlResultJSON(res SQLResult) sqlResponse {
	out := sqlResponse{Rows: res.Rows, RowCount: res.RowCount, Fields: res.Fields}
	if res.Rows == nil {
		out.Rows = []any{}
	}
	if res.Fields == nil {
		out.Fields = []Field{}
	}
	return out
}
