package insforgefake

import (
	"errors"
	"net/http"
	"regexp"
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
// {rows, rowCount, fields}. A nil RowCount is sent as null; nil Fields are
// derived from the keys of the first row.
type SQLResult struct {
	Rows     []map[string]any
	RowCount *int
	Fields   []Field
}

// SetSQLHandler overrides the raw SQL behaviour (both rawsql endpoints,
// the SQL of migrations and of migration dry runs). It is the way to test
// answers PostgreSQL cannot give (a backend failure, a canned result). The
// handler receives the query text and params after request validation and
// the statement guards (403 FORBIDDEN for set_config, transaction control,
// …) have passed; PostgreSQL, the "could not be parsed" check and the
// multi-statement quirk are bypassed. Return an *APIError to answer
// that error; any other error is answered as 500 INTERNAL_ERROR with its
// text (a dry run reports either as SYNTAX_OR_EXECUTION_ERROR). Values are
// sent as given (use strings for int8/numeric values, as node-pg does).
// Pass nil to run SQL on PostgreSQL again.
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
// checkSqlExecutionGuards). Like libpg-query, a statement that cannot be
// parsed anywhere in the query makes the whole query unparseable, which
// takes precedence over the other guards. Only lexical validity is
// checked (parse is unused); with starts (the SQL runs on PostgreSQL) a
// statement that cannot start SQL makes the query unparseable, and
// PostgreSQL's syntax errors are answered the same way (pgAPIError).
func checkGuards(query string, parse bool, starts ...bool) ([]rawStatement, []any, *APIError) {
	if setConfigRE.MatchString(query) {
		return nil, nil, errForbidden("Changing SQL session configuration is not allowed.")
	}
	toks, err := lex(query)
	if err != nil {
		return nil, nil, errUnparseableSQL()
	}
	stmts := splitStatements(query, toks)
	for _, st := range stmts {
		if f := st.toks[0]; len(starts) > 0 && starts[0] && !f.isOp("(") && !f.is("select") && !isKnownStatementStart(f) {
			return nil, nil, errUnparseableSQL()
		}
	}
	for _, st := range stmts {
		if msg := guardStatement(st.toks); msg != "" {
			return nil, nil, errForbidden(msg)
		}
	}
	return stmts, nil, nil
}

const (
	msgTransaction = "Transaction control statements are not allowed."
	msgRole        = "Changing SQL execution role or session authorization is not allowed."
	msgSearchPath  = "Changing SQL search_path is not allowed."
	msgTimeout     = "Changing SQL statement_timeout is not allowed."
	msgResetAll    = "RESET ALL is not allowed."
	msgDatabase    = "Query contains restricted operations"
	msgRoleMgmt    = "Managing database roles is not allowed."
)

// guardStatement returns the refusal message for a forbidden statement.
func guardStatement(ts []token) string {
	if len(ts) == 0 {
		return ""
	}
	at := func(i int) token {
		if i < len(ts) {
			return ts[i]
		}
		return token{}
	}
	first := ts[0]
	switch {
	case first.is("begin"), first.is("commit"), first.is("end"), first.is("rollback"), first.is("abort"),
		first.is("savepoint"), first.is("release"):
		return msgTransaction
	case first.is("start") && at(1).is("transaction"), first.is("prepare") && at(1).is("transaction"):
		return msgTransaction
	case first.is("set"):
		i := 1
		session := at(1).is("session")
		if session || at(1).is("local") {
			i = 2
		}
		switch name := at(i); {
		case name.is("role"), name.is("session_authorization"), session && name.is("authorization"):
			return msgRole
		case name.is("search_path"):
			return msgSearchPath
		case name.is("statement_timeout"):
			return msgTimeout
		}
	case first.is("reset"):
		switch name := at(1); {
		case name.is("role"), name.is("session_authorization"):
			return msgRole
		case name.is("search_path"):
			return msgSearchPath
		case name.is("statement_timeout"):
			return msgTimeout
		case name.is("all"):
			return msgResetAll
		}
	case first.is("create"), first.is("alter"), first.is("drop"):
		switch obj := at(1); {
		case obj.is("database"):
			return msgDatabase
		case obj.is("role"), obj.is("user"), obj.is("group"):
			return msgRoleMgmt
		}
	case first.is("grant"), first.is("revoke"):
		for _, t := range ts {
			if t.is("on") {
				return ""
			}
		}
		return msgRoleMgmt
	}
	return ""
}

// isKnownStatementStart reports whether a token starts a statement kind
// Postgres knows (used to tell "not a SELECT" from "not SQL").
func isKnownStatementStart(t token) bool {
	switch t.val {
	case "insert", "update", "delete", "create", "drop", "alter", "truncate", "grant", "revoke", "comment",
		"set", "reset", "begin", "commit", "rollback", "savepoint", "release", "start", "end", "abort",
		"do", "notify", "listen", "unlisten", "analyze", "vacuum", "explain", "with", "values", "table",
		"call", "copy", "lock", "prepare", "execute", "deallocate", "discard", "refresh", "reindex", "show",
		"cluster", "security", "merge", "fetch", "move", "close", "declare", "checkpoint", "load":
		return t.word
	}
	return false
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
		if _, _, aerr := checkGuards(query, false, h == nil); aerr != nil {
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

type sqlResponse struct {
	Rows     []orderedRow `json:"rows"`
	RowCount *int         `json:"rowCount"`
	Fields   []Field      `json:"fields"`
}

// sqlResultJSON converts a handler's SQLResult (rows keep the Fields order).
func sqlResultJSON(res SQLResult) sqlResponse {
	fields := res.Fields
	if fields == nil {
		fields = []Field{}
		if len(res.Rows) > 0 {
			for _, k := range sortedKeys(res.Rows[0]) {
				fields = append(fields, Field{Name: k, DataTypeID: oidOf(res.Rows[0][k])})
			}
		}
	}
	rows := make([]orderedRow, len(res.Rows))
	for i, row := range res.Rows {
		var keys []string
		seen := map[string]bool{}
		for _, f := range fields {
			if _, ok := row[f.Name]; ok && !seen[f.Name] {
				keys = append(keys, f.Name)
				seen[f.Name] = true
			}
		}
		for _, k := range sortedKeys(row) {
			if !seen[k] {
				keys = append(keys, k)
			}
		}
		o := orderedRow{keys: keys, vals: make([]any, len(keys))}
		for j, k := range keys {
			o.vals[j] = row[k]
		}
		rows[i] = o
	}
	return sqlResponse{Rows: rows, RowCount: res.RowCount, Fields: fields}
}

// oidOf guesses a type OID for a Go value.
func oidOf(v any) int {
	switch x := normalizeJSON(v).(type) {
	case float64:
		if x == float64(int64(x)) {
			return 23
		}
		return 701
	case bool:
		return 16
	case map[string]any, []any:
		return 3802
	}
	return 25
}
