package insforgefake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Database module: the table API and the introspection listings on
// PostgreSQL. Requests become DDL run as project_admin in one transaction;
// answers are read back from the catalog.

func registerDatabaseRoutes(s *Server) {
	s.handle("GET /api/database/tables", accessAdmin, s.listTables)
	s.handle("POST /api/database/tables", accessAdmin, s.createTable)
	s.handle("GET /api/database/tables/{table}/schema", accessAdmin, s.getTableSchema)
	s.handle("PATCH /api/database/tables/{table}/schema", accessAdmin, s.patchTableSchema)
	s.handle("DELETE /api/database/tables/{table}", accessAdmin, s.deleteTable)
	for key, h := range s.pgListings() {
		s.handle("GET /api/database/"+key, accessAdmin, h)
	}
}

// checkIdent rejects identifiers that are empty or contain '"' or control
// characters (400 DATABASE_VALIDATION_ERROR, backend validateIdentifier).
func checkIdent(kind, name string) *APIError {
	if strings.TrimSpace(name) == "" {
		return errValidation(fmt.Sprintf("Invalid %s name: cannot be empty", kind), fmt.Sprintf("Please provide a valid %s name", kind))
	}
	for _, r := range name {
		if r == '"' || unicode.IsControl(r) {
			return errValidation(fmt.Sprintf("Invalid %s name: cannot contain quotes or control characters", kind),
				fmt.Sprintf("The %s name cannot contain double quotes or control characters (tabs, newlines, etc.)", kind))
		}
	}
	return nil
}

// schemaParam reads ?schema= (backend normalizeDatabaseSchemaName): blank
// means public; information_schema and pg_* schemas are refused.
func schemaParam(r *http.Request) (string, *APIError) {
	return normalizeSchema(r.URL.Query().Get("schema"))
}

func normalizeSchema(name string) (string, *APIError) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "public", nil
	}
	if name == "information_schema" || strings.HasPrefix(name, "pg_") {
		return "", &APIError{Status: 400, Code: "INVALID_INPUT",
			Message:     fmt.Sprintf("Schema %q is not available in the dashboard.", name),
			NextActions: "Internal PostgreSQL and platform schemas cannot be queried from the dashboard."}
	}
	return name, checkIdent("schema", name)
}

// errTableNotFound is the backend's answer for a missing table.
func errTableNotFound() *APIError {
	return &APIError{Status: 404, Code: "DATABASE_NOT_FOUND", Message: "table not found",
		NextActions: "table not found. Please check the table name, it must be a valid table name, or you can create a new table with the POST /api/database/tables endpoint"}
}

// pgExec runs SQL as user and maps a failure like the backend.
func (s *Server) pgExec(ctx context.Context, user, query string, args ...any) ([]pgResult, *APIError) {
	res, err := s.pg.pgRun(ctx, query, args, user, false)
	if err != nil {
		return nil, pgAPIError(err)
	}
	return res, nil
}

// pgStrings runs a query returning one text column (nil on error).
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

func (s *Server) listTables(w http.ResponseWriter, r *http.Request) {
	schema, aerr := schemaParam(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, 200, s.pgStrings(r.Context(), "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1", schema))
}

// ---- column / foreign key models ----

// columnInput is a column of the table API.
type columnInput struct {
	ColumnName   string  `json:"columnName"`
	Type         string  `json:"type"`
	DefaultValue *string `json:"defaultValue,omitempty"`
	IsPrimaryKey *bool   `json:"isPrimaryKey,omitempty"`
	IsNullable   bool    `json:"isNullable"`
	IsUnique     bool    `json:"isUnique"`
}

// column is the stored column: a non-nullable date, boolean or uuid
// column without a default gets one.
func (ci columnInput) column() Column {
	c := Column{Name: ci.ColumnName, Type: ci.Type, Nullable: ci.IsNullable, Unique: ci.IsUnique, Default: deref(ci.DefaultValue)}
	if ci.DefaultValue == nil && !c.Nullable {
		c.Default = map[string]string{"date": "now()", "datetime": "now()", "boolean": "false", "uuid": "gen_random_uuid()"}[c.Type]
	}
	return c
}

// fkInput is a foreign key of the table API.
type fkInput struct {
	ConstraintName   string
	ReferenceTable   string
	ReferenceColumns []struct{ SourceColumn, ReferenceColumn string }
	OnDelete         string
	OnUpdate         string
}

func fks(in []fkInput) []foreignKey {
	var out []foreignKey
	for _, f := range in {
		fk := foreignKey{Name: f.ConstraintName, RefTable: f.ReferenceTable, OnDelete: f.OnDelete, OnUpdate: f.OnUpdate}
		for _, rc := range f.ReferenceColumns {
			fk.SourceCols = append(fk.SourceCols, rc.SourceColumn)
			fk.RefCols = append(fk.RefCols, rc.ReferenceColumn)
		}
		out = append(out, fk)
	}
	return out
}

func fkJSON(fk foreignKey) orderedRow {
	refs := make([]orderedRow, len(fk.SourceCols))
	for i := range fk.SourceCols {
		refs[i] = orderedRow{keys: []string{"sourceColumn", "referenceColumn"}, vals: []any{fk.SourceCols[i], fk.RefCols[i]}}
	}
	return orderedRow{
		keys: []string{"constraintName", "referenceTable", "referenceColumns", "onDelete", "onUpdate"},
		vals: []any{fk.Name, fk.RefTable, refs, fk.OnDelete, fk.OnUpdate},
	}
}

// apiFKName is the constraint name the table API gives a foreign key
// (the backend ignores constraintName): fk_<source columns>_<reference
// table, dots as underscores>_<reference columns>, shortened to 54
// characters plus "_" and 8 hex digits of its sha256 when longer than 63.
func apiFKName(fk foreignKey) string {
	base := "fk_" + strings.Join(fk.SourceCols, "_") + "_" + strings.ReplaceAll(fk.RefTable, ".", "_") + "_" + strings.Join(fk.RefCols, "_")
	if r := []rune(base); len(r) > 63 {
		sum := sha256.Sum256([]byte(base))
		return string(r[:54]) + "_" + hex.EncodeToString(sum[:])[:8]
	}
	return base
}

func isSystemColumn(name string) bool {
	return name == "id" || name == "created_at" || name == "updated_at"
}

// userColumns drops reserved columns given with their own type and refuses
// reserved names with another type (backend validateReservedFields).
func userColumns(cols []columnInput) ([]columnInput, *APIError) {
	reserved := map[string]string{"id": "uuid", "created_at": "datetime", "updated_at": "datetime"}
	var out []columnInput
	for _, ci := range cols {
		want, ok := reserved[ci.ColumnName]
		if !ok {
			out = append(out, ci)
			continue
		}
		if ci.Type != want {
			return nil, errValidation(
				fmt.Sprintf("Column '%s' is a reserved field that requires type '%s', but got '%s'", ci.ColumnName, want, ci.Type),
				"Please check the column name and type, id/created_at/updated_at are reserved fields and cannot be used as column names")
		}
	}
	return out, nil
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
	sch, ref, ok := strings.Cut(fk.RefTable, ".")
	if !ok {
		sch, ref = schema, fk.RefTable
	}
	return fmt.Sprintf("CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s) ON DELETE %s ON UPDATE %s",
		quoteIdent(apiFKName(fk)), quoteIdents(fk.SourceCols), qualified(sch, ref), quoteIdents(fk.RefCols), fk.OnDelete, fk.OnUpdate)
}

// ---- POST /api/database/tables ----

func (s *Server) createTable(w http.ResponseWriter, r *http.Request) {
	var in struct {
		TableName   string
		Columns     []columnInput
		ForeignKeys []fkInput
		RlsEnabled  *bool
	}
	if !bind(w, r, &in) {
		return
	}
	schema, aerr := schemaParam(r)
	if aerr == nil {
		aerr = checkIdent("table", in.TableName)
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	userCols, aerr := userColumns(in.Columns)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if len(userCols) == 0 {
		writeError(w, errValidation("Table must have at least one user-defined column",
			"Please add at least one custom column (not id, created_at, or updated_at) to the table."))
		return
	}
	ctx, name := r.Context(), in.TableName
	if s.pgTableExists(ctx, schema, name) {
		writeError(w, &APIError{Status: 400, Code: "DATABASE_DUPLICATE",
			Message:     fmt.Sprintf("table %s already exists", name),
			NextActions: fmt.Sprintf("table %s already exists. Please check the table name, it must be a unique table name.", name)})
		return
	}
	echo := []orderedRow{}
	defs := []string{pgAPIColumnSQL(AutoColumns()[0])}
	for _, ci := range userCols {
		c := ci.column()
		defs = append(defs, pgAPIColumnSQL(c))
		// the request's fields in the backend's order, plus sqlType
		o := orderedRow{keys: []string{"columnName", "type"}, vals: []any{ci.ColumnName, ci.Type}}
		if ci.DefaultValue != nil {
			o.keys, o.vals = append(o.keys, "defaultValue"), append(o.vals, *ci.DefaultValue)
		}
		if ci.IsPrimaryKey != nil {
			o.keys, o.vals = append(o.keys, "isPrimaryKey"), append(o.vals, *ci.IsPrimaryKey)
		}
		o.keys = append(o.keys, "isNullable", "isUnique", "sqlType")
		echo = append(echo, orderedRow{keys: o.keys, vals: append(o.vals, ci.IsNullable, ci.IsUnique, sqlTypeName(c.Type))})
	}
	for _, c := range AutoColumns()[1:] {
		defs = append(defs, pgAPIColumnSQL(c))
	}
	for _, fk := range fks(in.ForeignKeys) {
		defs = append(defs, pgFKSQL(schema, fk))
	}
	tbl := qualified(schema, name)
	q := fmt.Sprintf("CREATE TABLE %s (%s);\nCREATE TRIGGER %s BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION system.update_updated_at()",
		tbl, strings.Join(defs, ", "), quoteIdent(name+"_update_timestamp"), tbl)
	if in.RlsEnabled == nil || *in.RlsEnabled {
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

// ---- GET /api/database/tables/{table}/schema ----

var (
	defaultStringRE = regexp.MustCompile(`^'([^']*)'::[\w\s]+$`)
	defaultCastRE   = regexp.MustCompile(`^(.+?)::[\w\s]+$`)
)

// parseDefaultValue mirrors the backend's parseDefaultValue: 'abc'::text
// becomes abc, 123::integer 123; anything else is kept (a literal with a
// doubled quote keeps its quotes, nextval('…'::regclass) stays).
func parseDefaultValue(s string) string {
	if m := defaultStringRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	if m := defaultCastRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return s
}

// pgForeignKeys lists a table's foreign keys by constraint name.
func (s *Server) pgForeignKeys(ctx context.Context, schema, name string) []orderedRow {
	res, err := s.pg.pgRun(ctx, `SELECT con.conname,
		  CASE WHEN rn.nspname = 'public' THEN rc.relname::text ELSE rn.nspname || '.' || rc.relname END,
		  (SELECT string_agg(a.attname, ',' ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n),
		  (SELECT string_agg(a.attname, ',' ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n),
		  con.confdeltype, con.confupdtype
		FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
		WHERE con.contype = 'f' AND n.nspname = $1 AND c.relname = $2 ORDER BY con.conname`, []any{schema, name}, "postgres", false)
	out := []orderedRow{}
	if err != nil {
		return out
	}
	action := map[string]string{"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
	for _, r := range res[0].rows {
		out = append(out, fkJSON(foreignKey{Name: string(r[0]), RefTable: string(r[1]), SourceCols: strings.Split(string(r[2]), ","),
			RefCols: strings.Split(string(r[3]), ","), OnDelete: action[string(r[4])], OnUpdate: action[string(r[5])]}))
	}
	return out
}

func (s *Server) getTableSchema(w http.ResponseWriter, r *http.Request) {
	ctx, name := r.Context(), r.PathValue("table")
	schema, aerr := schemaParam(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	res, err := s.pg.pgRun(ctx, `SELECT c.column_name::text, c.data_type::text, c.udt_name::text, c.is_nullable = 'YES',
		  EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		    WHERE i.indrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2)) AND i.indisprimary AND a.attname = c.column_name),
		  EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		    WHERE i.indrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2)) AND i.indisunique AND i.indnatts = 1 AND a.attname = c.column_name),
		  c.column_default::text
		FROM information_schema.columns c WHERE c.table_schema = $1 AND c.table_name = $2 ORDER BY c.ordinal_position`,
		[]any{schema, name}, "postgres", false)
	if err != nil || len(res[0].rows) == 0 {
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
			o.keys, o.vals = append(o.keys, "defaultValue"), append(o.vals, parseDefaultValue(string(row[6])))
		}
		cols = append(cols, o)
	}
	count := "0"
	if n := s.pgStrings(ctx, "SELECT count(*)::text FROM "+qualified(schema, name)); len(n) == 1 {
		count = n[0]
	}
	writeJSON(w, 200, orderedRow{
		keys: []string{"schemaName", "tableName", "columns", "foreignKeys", "recordCount"},
		vals: []any{schema, name, cols, s.pgForeignKeys(ctx, schema, name), json.Number(count)},
	})
}

// ---- PATCH /api/database/tables/{table}/schema ----

func (s *Server) patchTableSchema(w http.ResponseWriter, r *http.Request) {
	ctx, name := r.Context(), r.PathValue("table")
	schema, aerr := schemaParam(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var in struct {
		AddColumns    []columnInput
		DropColumns   []string
		UpdateColumns []struct {
			ColumnName                  string
			DefaultValue, NewColumnName *string
		}
		AddForeignKeys  []fkInput
		DropForeignKeys []string
		RenameTable     *struct{ NewTableName string }
	}
	if !bind(w, r, &in) {
		return
	}
	added, aerr := userColumns(in.AddColumns)
	if !s.pgTableExists(ctx, schema, name) {
		aerr = errTableNotFound()
		aerr.NextActions = "Please check the table name, it must be a valid table name, or you can create a new table with the POST /api/database/tables endpoint"
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	tbl := qualified(schema, name)
	stmts, ops := []string{}, []string{}
	alter := func(op, format string, args ...any) {
		stmts = append(stmts, "ALTER TABLE "+tbl+" "+fmt.Sprintf(format, args...))
		if op != "" {
			ops = append(ops, op)
		}
	}
	for _, c := range in.DropForeignKeys {
		alter("Dropped foreign key constraint: "+c, "DROP CONSTRAINT %s", quoteIdent(c))
	}
	for _, c := range in.DropColumns {
		if isSystemColumn(c) {
			writeError(w, &APIError{Status: 404, Code: "DATABASE_FORBIDDEN", Message: "cannot drop system columns",
				NextActions: fmt.Sprintf("You cannot drop the system column '%s'", c)})
			return
		}
		alter("Dropped column: "+c, "DROP COLUMN %s", quoteIdent(c))
	}
	for _, u := range in.UpdateColumns {
		switch {
		case u.DefaultValue == nil:
		case *u.DefaultValue == "":
			alter("", "ALTER COLUMN %s DROP DEFAULT", quoteIdent(u.ColumnName))
		default:
			alter("", "ALTER COLUMN %s SET DEFAULT %s", quoteIdent(u.ColumnName), pgDefault(*u.DefaultValue))
		}
		if u.NewColumnName != nil && *u.NewColumnName != "" {
			alter("", "RENAME COLUMN %s TO %s", quoteIdent(u.ColumnName), quoteIdent(*u.NewColumnName))
		}
		ops = append(ops, "Updated column: "+u.ColumnName)
	}
	for _, ci := range added {
		if err := checkIdent("column", ci.ColumnName); err != nil {
			writeError(w, err)
			return
		}
		alter("Added column: "+ci.ColumnName, "ADD COLUMN %s", pgAPIColumnSQL(ci.column()))
	}
	for _, fk := range fks(in.AddForeignKeys) {
		alter("Added foreign key constraint on column(s): "+strings.Join(fk.SourceCols, ", "), "ADD %s", pgFKSQL(schema, fk))
	}
	if in.RenameTable != nil && in.RenameTable.NewTableName != "" {
		newName := in.RenameTable.NewTableName
		if err := checkIdent("table", newName); err != nil {
			writeError(w, err)
			return
		}
		alter(fmt.Sprintf("Renamed table from %s to %s", name, newName), "RENAME TO %s", quoteIdent(newName))
	}
	if len(stmts) > 0 {
		if _, err := s.pgExec(ctx, "project_admin", strings.Join(stmts, ";\n")); err != nil {
			writeError(w, err)
			return
		}
	}
	writeJSON(w, 200, orderedRow{
		keys: []string{"schemaName", "message", "tableName", "operations"},
		vals: []any{schema, "table schema updated successfully", name, ops},
	})
}

// ---- DELETE /api/database/tables/{table} ----

func (s *Server) deleteTable(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("table")
	schema, aerr := schemaParam(r)
	if aerr == nil {
		_, aerr = s.pgExec(r.Context(), "project_admin", "DROP TABLE IF EXISTS "+qualified(schema, name)+" CASCADE")
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, 200, orderedRow{
		keys: []string{"schemaName", "message", "tableName", "nextActions"},
		vals: []any{schema, "table deleted successfully", name, "table deleted successfully, you can create a new table with the POST /api/database/tables endpoint"},
	})
}

// ---- introspection listings ----

// pgListing answers a listing from a catalog query whose columns are the
// given keys; the bools columns come as "t"/"f", NULL as null.
func (s *Server) pgListing(key, query string, keys []string, bools ...int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		schema, aerr := schemaParam(r)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		res, aerr := s.pgExec(r.Context(), "postgres", query, schema)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		out := []orderedRow{}
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
