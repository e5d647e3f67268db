package insforgefake

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/internal/sqlcheck"
)

// Migrations module: the history is system.custom_migrations, the SQL runs
// as project_admin, and a dry run is rolled back.

func registerMigrationRoutes(s *Server) {
	s.handle("GET /api/database/migrations", accessAdmin, s.listMigrations)
	s.handle("POST /api/database/migrations", accessAdmin, s.applyMigration)
	s.handle("POST /api/database/migrations/dry-run", accessAdmin, s.dryRunMigration)
}

var (
	versionRE       = regexp.MustCompile(`^[0-9]{1,64}$`)
	migrationNameRE = regexp.MustCompile(`^[a-z0-9-]+$`)
)

// pgMigrations returns the applied migrations, oldest first.
func (s *Server) pgMigrations(ctx context.Context) []migration {
	out := []migration{}
	if js := s.pgStrings(ctx, `SELECT coalesce(json_agg(json_build_object('version', version, 'name', name, 'statements', statements,
		'createdAt', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY version::numeric), '[]')::text
		FROM system.custom_migrations`); len(js) == 1 {
		_ = json.Unmarshal([]byte(js[0]), &out)
	}
	return out
}

func (s *Server) listMigrations(w http.ResponseWriter, r *http.Request) {
	ms := s.pgMigrations(r.Context())
	slices.Reverse(ms)
	writeJSON(w, 200, map[string]any{"migrations": ms})
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
	if _, aerr := checkGuards(sql); aerr != nil {
		writeError(w, aerr)
		return
	}
	ctx := r.Context()
	s.db.migMu.Lock()
	defer s.db.migMu.Unlock()
	if len(s.pgStrings(ctx, "SELECT 1 FROM system.custom_migrations WHERE version::numeric >= $1::numeric", in.Version)) > 0 {
		writeError(w, &APIError{Status: 409, Code: "DATABASE_MIGRATION_ALREADY_EXISTS",
			Message: "Migration version must be newer than the latest applied migration."})
		return
	}
	if _, aerr := s.pgExec(ctx, "project_admin", sql); aerr != nil {
		writeError(w, aerr)
		return
	}
	texts := splitMigrationSQL(sql)
	res, aerr := s.pgExec(ctx, "postgres", `INSERT INTO system.custom_migrations (version, name, statements) VALUES ($1, $2, $3)
		RETURNING to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`, in.Version, name, texts)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusCreated, orderedRow{
		keys: []string{"version", "name", "statements", "createdAt", "message"},
		vals: []any{in.Version, name, texts, string(res[0].rows[0][0]), "Migration executed successfully"},
	})
}

// splitMigrationSQL splits a migration into its statements like the
// backend: a query with no ";" before its end is one statement, kept as
// written; otherwise each top-level statement, trimmed.
func splitMigrationSQL(sql string) []any {
	stmts, err := sqlcheck.Statements(sql)
	if i := strings.IndexByte(sql, ';'); err != nil || i < 0 || i == len(sql)-1 {
		return []any{sql}
	}
	out := make([]any, len(stmts))
	for i, st := range stmts {
		out[i] = st.Text
	}
	return out
}

// dryRunMigration runs a migration in a transaction that is always rolled
// back (backend dryRunMigration); a statement that fails makes the risk
// level DANGER.
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
	o := orderedRow{keys: []string{"valid", "statementCount", "statements", "riskLevel", "riskFactors"},
		vals: []any{true, len(statements), statements, "SAFE", []any{}}}
	_, aerr := checkGuards(sql)
	if aerr == nil {
		if _, err := s.pg.pgRun(r.Context(), sql, nil, "project_admin", true); err != nil {
			aerr = pgAPIError(err)
		}
	}
	if aerr != nil {
		o.vals = []any{false, len(statements), statements, "DANGER",
			[]map[string]string{{"code": "SYNTAX_OR_EXECUTION_ERROR", "description": aerr.Message, "level": "DANGER"}}}
		o.keys = append(o.keys, "error")
		o.vals = append(o.vals, aerr.Message)
	}
	writeJSON(w, 200, o)
}

// Migrations returns the applied migrations, oldest first.
func (s *Server) Migrations() []string {
	out := []string{}
	for _, m := range s.pgMigrations(context.Background()) {
		out = append(out, m.Version+"_"+m.Name)
	}
	return out
}
