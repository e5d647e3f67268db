package insforgefake

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// The table API and the introspection listings on PostgreSQL: requests
// are validated as before, then become DDL run as project_admin in one
// transaction; answers are read back from the catalog.

// pgExec runs SQL as user and maps a failure like the backend.
func (s *Server) pgExec(ctx context.Context, user, query string, args ...any) ([]pgResult, *APIError) {
	res, err := s.pg.pgRun(ctx, query, args, user, false)
	if err != nil {
		return nil, pgAPIError(err)
	}
	return res, nil
}

// pgStrings runs a query returning one text column.
func (s *Server) pgStrings(ctx context.Context, query string, args ...any) []string {
	res, err := s.pg.pgRun(ctx, query, args, "postgres", false)
	if err != nil || len(res) == 0 {
		return nil
	}
	out := []string{}
	for _, r := range res[0].rows {
		out = append(out, string(r[0]))
	}
	return out
}

func qualified(schema, name string) string { return quoteIdent(schema) + "." + quoteIdent(name) }

func (s *Server) pgTableExists(ctx context.Context, schema, name string) bool {
	return len(s.pgStrings(ctx, "SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2", schema, name)) > 0
}

// pgDefault renders an API default: function calls and current_* are
// expressions, anything else a literal.
func pgDefault(d string) string {
	l := strings.ToLower(strings.TrimSpace(d))
	if strings.HasSuffix(l, ")") || strings.HasPrefix(l, "current_") || l == "true" || l == "false" {
		return d
	}
	return "'" + strings.ReplaceAll(d, "'", "''") + "'"
}

func pgAPIColumnSQL(c Column) string {
	def := quoteIdent(c.Name) + " " + sqlTypeName(c.Type)
	if c.PrimaryKey {
		def += " PRIMARY KEY"
	}
	if !c.Nullable && !c.PrimaryKey {
		def += " NOT NULL"
	}
	if c.Unique && !c.PrimaryKey {
		def += " UNIQUE"
	}
	if c.Default != "" {
		def += " DEFAULT " + pgDefault(c.Default)
	}
	return def
}

func pgFKSQL(schema string, fk foreignKey) string {
	ref := fk.RefTable
	if !strings.Contains(ref, ".") {
		ref = qualified(schema, ref)
	} else {
		sch, t, _ := strings.Cut(ref, ".")
		ref = qualified(sch, t)
	}
	return fmt.Sprintf("CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s) ON DELETE %s ON UPDATE %s",
		quoteIdent(apiFKName(fk)), quoteIdents(fk.SourceCols), ref, quoteIdents(fk.RefCols), fk.OnDelete, fk.OnUpdate)
}

func (s *Server) pgCreateTable(w http.ResponseWriter, r *http.Request, schema, name string, userCols []columnInput, fks []foreignKey, rls bool) {
	ctx := r.Context()
	if s.pgTableExists(ctx, schema, name) {
		writeError(w, &APIError{Status: 400, Code: "DATABASE_DUPLICATE",
			Message:     fmt.Sprintf("table %s already exists", name),
			NextActions: fmt.Sprintf("table %s already exists. Please check the table name, it must be a unique table name.", name)})
		return
	}
	echo := []orderedRow{}
	defs := []string{pgAPIColumnSQL(AutoColumns()[0])}
	var stored []Column
	for _, ci := range userCols {
		c, err := prepareColumn(ci)
		if err != nil {
			writeError(w, err)
			return
		}
		stored = append(stored, c)
		echo = append(echo, columnEcho(ci, c))
		defs = append(defs, pgAPIColumnSQL(c))
	}
	for _, c := range AutoColumns()[1:] {
		defs = append(defs, pgAPIColumnSQL(c))
	}
	for _, fk := range fks {
		for _, sc := range fk.SourceCols {
			if isSystemColumn(sc) {
				writeError(w, &APIError{Status: 400, Code: "DATABASE_FORBIDDEN", Message: "cannot add foreign key on system columns",
					NextActions: fmt.Sprintf("You cannot add foreign key on the system column '%s'", sc)})
				return
			}
		}
		defs = append(defs, pgFKSQL(schema, fk))
	}
	tbl := qualified(schema, name)
	q := fmt.Sprintf("CREATE TABLE %s (%s);\nCREATE TRIGGER %s BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION system.update_updated_at()",
		tbl, strings.Join(defs, ", "), quoteIdent(name+"_update_timestamp"), tbl)
	if rls {
		q += ";\nALTER TABLE " + tbl + " ENABLE ROW LEVEL SECURITY"
	}
	if _, err := s.pgExec(ctx, "project_admin", q); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, orderedRow{
		keys: []string{"schemaName", "message", "tableName", "columns", "autoFields", "nextActions"},
		vals: []any{schema, "table created successfully", name, echo, []string{"id", "created_at", "updated_at"},
			"you can now use the table with the POST /api/database/tables/{table} endpoint"},
	})
}

// pgForeignKeys lists a table's foreign keys by constraint name.
func (s *Server) pgForeignKeys(ctx context.Context, schema, name string) []foreignKey {
	res, err := s.pg.pgRun(ctx, `SELECT con.conname,
		  CASE WHEN rn.nspname = 'public' THEN rc.relname::text ELSE rn.nspname || '.' || rc.relname END,
		  (SELECT string_agg(a.attname, ',' ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n),
		  (SELECT string_agg(a.attname, ',' ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n),
		  con.confdeltype, con.confupdtype
		FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
		WHERE con.contype = 'f' AND n.nspname = $1 AND c.relname = $2 ORDER BY con.conname`, []any{schema, name}, "postgres", false)
	if err != nil {
		return nil
	}
	action := map[string]string{"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
	var out []foreignKey
	for _, r := range res[0].rows {
		out = append(out, foreignKey{Name: string(r[0]), RefTable: string(r[1]), SourceCols: strings.Split(string(r[2]), ","),
			RefCols: strings.Split(string(r[3]), ","), OnDelete: action[string(r[4])], OnUpdate: action[string(r[5])]})
	}
	return out
}

func (s *Server) pgGetTableSchema(w http.ResponseWriter, r *http.Request, schema, name string) {
	ctx := r.Context()
	res, err := s.pg.pgRun(ctx, `SELECT c.column_name::text, c.data_type::text, c.udt_name::text, c.is_nullable = 'YES',
		  EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		    WHERE i.indrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2)) AND i.indisprimary AND a.attname = c.column_name),
		  EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		    WHERE i.indrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2)) AND i.indisunique AND i.indnatts = 1 AND a.attname = c.column_name),
		  c.column_default::text
		FROM information_schema.columns c WHERE c.table_schema = $1 AND c.table_name = $2 ORDER BY c.ordinal_position`,
		[]any{schema, name}, "postgres", false)
	if err != nil || len(res) == 0 || len(res[0].rows) == 0 {
		writeError(w, errTableNotFound())
		return
	}
	cols := []orderedRow{}
	for _, row := range res[0].rows {
		dt := string(row[1])
		if dt == "USER-DEFINED" {
			dt = string(row[2])
		}
		pk := string(row[4]) == "t"
		o := orderedRow{
			keys: []string{"columnName", "type", "isNullable", "isPrimaryKey", "isUnique"},
			vals: []any{string(row[0]), apiTypeOfPG(dt), string(row[3]) == "t" && !pk, pk, pk || string(row[5]) == "t"},
		}
		if row[6] != nil {
			if d := parseDefaultValue(string(row[6])); d != nil {
				o.keys = append(o.keys, "defaultValue")
				o.vals = append(o.vals, d)
			}
		}
		cols = append(cols, o)
	}
	fks := []orderedRow{}
	for _, fk := range s.pgForeignKeys(ctx, schema, name) {
		fks = append(fks, fkJSON(fk))
	}
	count := 0
	if n := s.pgStrings(ctx, "SELECT count(*)::text FROM "+qualified(schema, name)); len(n) == 1 {
		fmt.Sscan(n[0], &count) //nolint:errcheck // 0 on error
	}
	writeJSON(w, 200, orderedRow{
		keys: []string{"schemaName", "tableName", "columns", "foreignKeys", "recordCount"},
		vals: []any{schema, name, cols, fks, count},
	})
}

// pgColumnNames lists a table's columns.
func (s *Server) pgColumnNames(ctx context.Context, schema, name string) []string {
	return s.pgStrings(ctx, "SELECT column_name::text FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position", schema, name)
}

type pgColUpdate struct {
	name, def, newName string
	hasDef             bool
}

func (s *Server) pgPatchTable(w http.ResponseWriter, r *http.Request, schema, name string, addCols []columnInput, dropCols []string,
	updCols []pgColUpdate, addFKs []foreignKey, dropFKs []string, newName string) {
	ctx := r.Context()
	if !s.pgTableExists(ctx, schema, name) {
		e := errTableNotFound()
		e.NextActions = "Please check the table name, it must be a valid table name, or you can create a new table with the POST /api/database/tables endpoint"
		writeError(w, e)
		return
	}
	added, aerr := userColumns(addCols)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	tbl := qualified(schema, name)
	var stmts, ops []string
	for _, c := range dropFKs {
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", tbl, quoteIdent(c)))
		ops = append(ops, "Dropped foreign key constraint: "+c)
	}
	for _, c := range dropCols {
		if isSystemColumn(c) {
			writeError(w, &APIError{Status: 404, Code: "DATABASE_FORBIDDEN", Message: "cannot drop system columns",
				NextActions: fmt.Sprintf("You cannot drop the system column '%s'", c)})
			return
		}
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", tbl, quoteIdent(c)))
		ops = append(ops, "Dropped column: "+c)
	}
	for _, u := range updCols {
		if u.hasDef {
			if u.def == "" {
				stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", tbl, quoteIdent(u.name)))
			} else {
				stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", tbl, quoteIdent(u.name), pgDefault(u.def)))
			}
		}
		if u.newName != "" {
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", tbl, quoteIdent(u.name), quoteIdent(u.newName)))
		}
		ops = append(ops, "Updated column: "+u.name)
	}
	for _, ci := range added {
		if err := checkIdent("column", ci.col.Name); err != nil {
			writeError(w, err)
			return
		}
		c, err := prepareColumn(ci)
		if err != nil {
			writeError(w, err)
			return
		}
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", tbl, pgAPIColumnSQL(c)))
		ops = append(ops, "Added column: "+c.Name)
	}
	for _, fk := range addFKs {
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD %s", tbl, pgFKSQL(schema, fk)))
		ops = append(ops, "Added foreign key constraint on column(s): "+strings.Join(fk.SourceCols, ", "))
	}
	if newName != "" {
		if err := checkIdent("table", newName); err != nil {
			writeError(w, err)
			return
		}
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s RENAME TO %s", tbl, quoteIdent(newName)))
		ops = append(ops, fmt.Sprintf("Renamed table from %s to %s", name, newName))
	}
	if len(stmts) > 0 {
		if _, err := s.pgExec(ctx, "project_admin", strings.Join(stmts, ";\n")); err != nil {
			writeError(w, err)
			return
		}
	}
	if ops == nil {
		ops = []string{}
	}
	writeJSON(w, 200, orderedRow{
		keys: []string{"schemaName", "message", "tableName", "operations"},
		vals: []any{schema, "table schema updated successfully", name, ops},
	})
}

func (s *Server) pgDeleteTable(w http.ResponseWriter, r *http.Request, schema, name string) {
	if _, err := s.pgExec(r.Context(), "project_admin", "DROP TABLE IF EXISTS "+qualified(schema, name)+" CASCADE"); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, 200, orderedRow{
		keys: []string{"schemaName", "message", "tableName", "nextActions"},
		vals: []any{schema, "table deleted successfully", name, "table deleted successfully, you can create a new table with the POST /api/database/tables endpoint"},
	})
}

// pgListing answers a listing from a catalog query whose columns are the
// given keys; booleans come as "t"/"f" and the NULL columns as null.
func (s *Server) pgListing(key, query string, keys []string, bools ...int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		schema, aerr := schemaParam(r)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		out := []orderedRow{}
		res, err := s.pg.pgRun(r.Context(), query, []any{schema}, "postgres", false)
		if err != nil {
			writeError(w, pgAPIError(err))
			return
		}
		for _, row := range res[0].rows {
			o := orderedRow{keys: keys, vals: make([]any, len(keys))}
			for i, v := range row {
				switch {
				case v == nil:
				case slices.Contains(bools, i):
					o.vals[i] = string(v) == "t"
				default:
					o.vals[i] = string(v)
				}
			}
			out = append(out, o)
		}
		writeJSON(w, 200, map[string]any{key: out})
	}
}

// pgListings are the introspection listings' catalog queries.
func (s *Server) pgListings() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"functions": s.pgListing("functions", `SELECT p.proname::text, pg_get_functiondef(p.oid), p.prokind::text
			FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.prokind IN ('f','p') ORDER BY 1`,
			[]string{"functionName", "functionDef", "kind"}),
		"indexes": s.pgListing("indexes", `SELECT i.tablename::text, i.indexname::text, i.indexdef, x.indisunique, x.indisprimary
			FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = i.schemaname
			JOIN pg_index x ON x.indexrelid = c.oid WHERE i.schemaname = $1 AND i.tablename NOT LIKE '\_%' ORDER BY 1, 2`,
			[]string{"tableName", "indexName", "indexDef", "isUnique", "isPrimary"}, 3, 4),
		"policies": s.pgListing("policies", `SELECT tablename::text, policyname::text, cmd, roles::text, qual, with_check
			FROM pg_policies WHERE schemaname = $1 AND tablename NOT LIKE '\_%' ORDER BY 1, 2`,
			[]string{"tableName", "policyName", "cmd", "roles", "qual", "withCheck"}),
		"triggers": s.pgListing("triggers", `SELECT event_object_table::text, trigger_name::text, action_timing, event_manipulation,
			action_orientation, action_condition, action_statement
			FROM information_schema.triggers WHERE trigger_schema = $1 AND event_object_table NOT LIKE '\_%' ORDER BY 1, 2, 4`,
			[]string{"tableName", "triggerName", "actionTiming", "eventManipulation", "actionOrientation", "actionCondition", "actionStatement"}),
	}
}

// pgListTables lists a schema's tables.
func (s *Server) pgListTables(w http.ResponseWriter, r *http.Request, schema string) {
	names := s.pgStrings(r.Context(), "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1", schema)
	sort.Strings(names)
	if names == nil {
		names = []string{}
	}
	writeJSON(w, 200, names)
}
