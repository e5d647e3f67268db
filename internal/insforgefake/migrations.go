package insforgefake

import (
	"context"
	"net/http"
	"regexp"
	"strings"
)

// Migrations module.

func registerMigrationRoutes(s *Server) {
	s.handle("GET /api/database/migrations", accessAdmin, s.listMigrations)
	s.handle("POST /api/database/migrations", accessAdmin, s.applyMigration)
	s.handle("POST /api/database/migrations/dry-run", accessAdmin, s.dryRunMigration)
}

var (
	versionRE       = regexp.MustCompile(`^[0-9]{1,64}$`)
	migrationNameRE = regexp.MustCompile(`^[a-z0-9-]+$`)
)

// compareVersions compares two numeric strings of any length.
func compareVersions(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func (s *Server) listMigrations(w http.ResponseWriter, r *http.Request) {
	ms := s.pgMigrations(r.Context())
	out := make([]migration, 0, len(ms))
	for i := len(ms) - 1; i >= 0; i-- {
		out = append(out, ms[i])
	}
	writeJSON(w, 200, map[string]any{"migrations": out})
}

func (s *Server) applyMigration(w http.ResponseWriter, r *http.Request) {
	var in struct{ Version, Name, SQL string }
	if !bind(w, r, &in) {
		return
	}
	name, sql := strings.TrimSpace(in.Name), strings.TrimSpace(in.SQL)
	if !versionRE.MatchString(in.Version) || !migrationNameRE.MatchString(name) || sql == "" {
		writeError(w, errInvalidInput("A migration needs a numeric version, a name of lowercase letters, digits and hyphens, and SQL."))
		return
	}
	s.mu.Lock()
	h := s.sqlHandler
	s.mu.Unlock()
	texts := splitMigrationSQL(sql)
	if len(texts) == 0 {
		writeError(w, errInvalidInput("Migration SQL must contain at least one statement."))
		return
	}
	if _, _, aerr := checkGuards(sql, false, h == nil); aerr != nil {
		writeError(w, aerr)
		return
	}
	s.pgApplyMigration(w, r, in.Version, name, sql, texts, h)
}

// splitMigrationSQL splits a migration into its statements like the
// backend: a query with no ";" before its end is one statement, kept as
// written; otherwise each top-level statement, trimmed. Statements that
// are only comments are dropped.
func splitMigrationSQL(sql string) []string {
	trimmed := strings.TrimSpace(sql)
	toks, err := lex(trimmed)
	if i := strings.IndexByte(trimmed, ';'); err != nil || i < 0 || i == len(trimmed)-1 {
		if len(toks) == 0 && err == nil {
			return nil
		}
		return []string{trimmed}
	}
	var out []string
	for _, st := range splitStatements(trimmed, toks) {
		out = append(out, st.text)
	}
	return out
}

// ---- POST /api/database/migrations/dry-run ----

type riskFactor struct {
	code, description, level, statement string
}

func (f riskFactor) MarshalJSON() ([]byte, error) {
	o := orderedRow{keys: []string{"code", "description", "level"}, vals: []any{f.code, f.description, f.level}}
	if f.statement != "" {
		o.keys = append(o.keys, "statement")
		o.vals = append(o.vals, f.statement)
	}
	return o.MarshalJSON()
}

// dryRunAnswer builds the dry-run answer (error omitted when "").
func dryRunAnswer(valid bool, statements []string, level string, factors []riskFactor, errMsg string) orderedRow {
	if statements == nil {
		statements = []string{}
	}
	if factors == nil {
		factors = []riskFactor{}
	}
	o := orderedRow{keys: []string{"valid", "statementCount", "statements", "riskLevel", "riskFactors"},
		vals: []any{valid, len(statements), statements, level, factors}}
	if errMsg != "" {
		o.keys = append(o.keys, "error")
		o.vals = append(o.vals, errMsg)
	}
	return o
}

// dryRunMigration analyses a migration and runs it in a transaction that
// is always rolled back (backend dryRunMigration).
func (s *Server) dryRunMigration(w http.ResponseWriter, r *http.Request) {
	var in struct{ SQL string }
	if !bind(w, r, &in) {
		return
	}
	sql := strings.TrimSpace(in.SQL)
	if sql == "" {
		writeError(w, errInvalidInput("Migration SQL is required"))
		return
	}
	statements := splitMigrationSQL(sql)
	if len(statements) == 0 {
		const msg = "Migration SQL must contain at least one statement."
		writeJSON(w, 200, dryRunAnswer(false, nil, "DANGER", []riskFactor{{code: "EMPTY_SQL", description: msg, level: "DANGER"}}, msg))
		return
	}
	s.mu.Lock()
	h := s.sqlHandler
	s.mu.Unlock()
	stmts, _, aerr := checkGuards(sql, false, h == nil)
	if aerr != nil {
		writeJSON(w, 200, dryRunAnswer(false, statements, "DANGER", []riskFactor{{code: "GUARD_VIOLATION", description: aerr.Message, level: "DANGER"}}, aerr.Message))
		return
	}
	level := "SAFE"
	var factors []riskFactor
	raise := func(l string) {
		if l == "DANGER" || level == "SAFE" {
			level = l
		}
	}
	for i, st := range stmts {
		text := sql
		if i < len(statements) {
			text = statements[i]
		}
		for _, f := range tokenRisks(st) {
			f.statement = text
			factors = append(factors, f)
			raise(f.level)
		}
	}
	execErr := ""
	if h != nil {
		if _, err := h(sql, nil); err != nil {
			execErr = handlerError(err).Message
		}
	} else {
		var parse bool
		if execErr, parse = s.pgDryRun(r.Context(), sql); parse {
			writeJSON(w, 200, dryRunAnswer(false, statements, "DANGER", []riskFactor{{code: "GUARD_VIOLATION", description: execErr, level: "DANGER"}}, execErr))
			return
		}
	}
	valid := execErr == ""
	if !valid {
		level = "DANGER"
		factors = append(factors, riskFactor{code: "SYNTAX_OR_EXECUTION_ERROR", description: execErr, level: "DANGER"})
	}
	writeJSON(w, 200, dryRunAnswer(valid, statements, level, factors, execErr))
}

// Migrations returns the applied migrations, oldest first.
func (s *Server) Migrations() []string {
	out := []string{}
	for _, m := range s.pgMigrations(context.Background()) {
		out = append(out, m.Version+"_"+m.Name)
	}
	return out
}
