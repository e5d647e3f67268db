package insforgefake

import (
	"context"
	"net/http"
)

// Migrations on PostgreSQL: the history is system.custom_migrations, the
// SQL runs as project_admin, and a dry run is rolled back.

func (s *Server) pgMigrations(ctx context.Context) []migration {
	res, err := s.pg.pgRun(ctx, "SELECT version, name, statements, created_at FROM system.custom_migrations", nil, "postgres", false)
	if err != nil || len(res) == 0 {
		return nil
	}
	var out []migration
	for _, r := range res[0].rows {
		m := migration{Version: string(r[0]), Name: string(r[1]), Statements: []string{}}
		if items, ok := pgArrayItems(string(r[2])); ok {
			for _, it := range items {
				if it != nil {
					m.Statements = append(m.Statements, *it)
				}
			}
		}
		m.CreatedAt, _ = pgWire(1184, r[3]).(string)
		out = append(out, m)
	}
	// oldest first, by version
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && compareVersions(out[j-1].Version, out[j].Version) > 0; j-- {
			out[j-1], out[j] = out[j], out[j-1]
		}
	}
	return out
}

// pgApplyMigration runs a checked migration and records it.
func (s *Server) pgApplyMigration(w http.ResponseWriter, r *http.Request, version, name, sql string, texts []string, h func(string, []any) (SQLResult, error)) {
	ctx := r.Context()
	s.db.migMu.Lock()
	defer s.db.migMu.Unlock()
	if ms := s.pgMigrations(ctx); len(ms) > 0 && compareVersions(version, ms[len(ms)-1].Version) <= 0 {
		writeError(w, &APIError{Status: 409, Code: "DATABASE_MIGRATION_ALREADY_EXISTS",
			Message: "Migration version must be newer than the latest applied migration."})
		return
	}
	if h != nil {
		if _, err := h(sql, nil); err != nil {
			writeError(w, handlerError(err))
			return
		}
	} else if _, aerr := s.pgExec(ctx, "project_admin", sql); aerr != nil {
		writeError(w, aerr)
		return
	}
	stmts := make([]any, len(texts))
	for i, t := range texts {
		stmts[i] = t
	}
	res, aerr := s.pgExec(ctx, "postgres", "INSERT INTO system.custom_migrations (version, name, statements) VALUES ($1, $2, $3) RETURNING created_at", version, name, stmts)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	created, _ := pgWire(1184, res[0].rows[0][0]).(string)
	writeJSON(w, http.StatusCreated, orderedRow{
		keys: []string{"version", "name", "statements", "createdAt", "message"},
		vals: []any{version, name, texts, created, "Migration executed successfully"},
	})
}

// tokenRisks are the risk factors of one statement from its tokens
// (the backend reads them from libpg-query's tree).
func tokenRisks(st rawStatement) []riskFactor {
	ts := st.toks
	at := func(i int) token {
		if i < len(ts) {
			return ts[i]
		}
		return token{}
	}
	dropObject := func(kind string) riskFactor {
		return riskFactor{code: "DESTRUCTIVE_DATA_LOSS", level: "DANGER",
			description: "Statement drops database object (" + kind + ") permanently resulting in potential data loss."}
	}
	switch {
	case at(0).is("drop") && at(1).is("table"):
		return []riskFactor{dropObject("OBJECT_TABLE")}
	case at(0).is("drop") && at(1).is("schema"):
		return []riskFactor{dropObject("OBJECT_SCHEMA")}
	case at(0).is("truncate"):
		return []riskFactor{{code: "DESTRUCTIVE_DATA_LOSS", level: "DANGER", description: "TRUNCATE statement clears all records from targeted table(s)."}}
	case at(0).is("alter") && at(1).is("table"):
		var out []riskFactor
		add := func(sub string) {
			out = append(out, riskFactor{code: "SCHEMA_BREAKING_CHANGE", level: "WARNING",
				description: "ALTER TABLE statement contains destructive command: " + sub + "."})
		}
		depth := 0
		for i, t := range ts {
			switch {
			case t.isOp("("):
				depth++
			case t.isOp(")"):
				depth--
			case depth > 0:
			case t.is("drop") && at(i+1).is("constraint"):
				add("AT_DropConstraint")
			case t.is("drop") && !at(i+1).is("default") && !at(i+1).is("not") && !at(i+1).is("identity") && !at(i+1).is("expression"):
				add("AT_DropColumn")
			case t.is("type") && i > 0 && (at(i-1).is("data") || at(i-2).is("column") || at(i-2).is("alter")):
				add("AT_AlterColumnType")
			}
		}
		return out
	}
	return nil
}

// pgDryRun runs the migration in a transaction that is rolled back and
// returns the error message, "" when it ran.
// A syntax error is the backend's parse failure, a guard violation.
func (s *Server) pgDryRun(ctx context.Context, sql string) (msg string, parse bool) {
	if _, err := s.pg.pgRun(ctx, sql, nil, "project_admin", true); err != nil {
		ae := pgAPIError(err)
		return ae.Message, ae.Message == unparseableMsg
	}
	return "", false
}
