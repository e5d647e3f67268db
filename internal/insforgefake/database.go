package insforgefake

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode"
)

// Database module: tables and introspection listings.

func registerDatabaseRoutes(s *Server) {
	s.handle("GET /api/database/tables", accessAdmin, s.listTables)
	s.handle("POST /api/database/tables", accessAdmin, s.createTable)
	s.handle("GET /api/database/tables/{table}/schema", accessAdmin, s.getTableSchema)
	s.handle("PATCH /api/database/tables/{table}/schema", accessAdmin, s.patchTableSchema)
	s.handle("DELETE /api/database/tables/{table}", accessAdmin, s.deleteTable)
	// The listings are catalog queries.
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

// schemaParam reads ?schema= (default public, blank means public).
// information_schema and pg_* schemas are refused with 400 INVALID_INPUT.
func schemaParam(r *http.Request) (string, *APIError) {
	return normalizeSchema(r.URL.Query().Get("schema"))
}

// tableParams checks a table route's schema query parameter, then the table
// name; it returns the normalized schema.
func tableParams(r *http.Request, name string) (string, *APIError) {
	schema, err := schemaParam(r)
	if err == nil {
		err = checkIdent("table", name)
	}
	return schema, err
}

// normalizeSchema mirrors the backend's normalizeDatabaseSchemaName.
func normalizeSchema(name string) (string, *APIError) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "public", nil
	}
	if err := checkIdent("schema", name); err != nil {
		return "", err
	}
	if name == "information_schema" || strings.HasPrefix(name, "pg_") {
		return "", &APIError{Status: 400, Code: "INVALID_INPUT",
			Message:     fmt.Sprintf("Schema %q is not available in the dashboard.", name),
			NextActions: "Internal PostgreSQL and platform schemas cannot be queried from the dashboard."}
	}
	return name, nil
}

// errTableNotFound is the backend's answer for a missing table.
func errTableNotFound() *APIError {
	return &APIError{Status: 404, Code: "DATABASE_NOT_FOUND", Message: "table not found",
		NextActions: "table not found. Please check the table name, it must be a valid table name, or you can create a new table with the POST /api/database/tables endpoint"}
}

// ---- GET /api/database/tables ----

func (s *Server) listTables(w http.ResponseWriter, r *http.Request) {
	schema, err := schemaParam(r)
	if err != nil {
		writeError(w, err)
		return
	}
	s.pgListTables(w, r, schema)
}

// ---- column / foreign key models ----

// columnInput is a column of the table API (zod columnSchema).
type columnInput struct {
	ColumnName   string  `json:"columnName"`
	Type         string  `json:"type"`
	DefaultValue *string `json:"defaultValue,omitempty"`
	IsPrimaryKey *bool   `json:"isPrimaryKey,omitempty"`
	IsNullable   bool    `json:"isNullable"`
	IsUnique     bool    `json:"isUnique"`
	col          Column
	hasDef       bool
}

// fill sets the derived fields after decoding.
func (ci *columnInput) fill() {
	ci.hasDef = ci.DefaultValue != nil
	ci.col = Column{Name: ci.ColumnName, Type: ci.Type, Nullable: ci.IsNullable, Unique: ci.IsUnique, Default: deref(ci.DefaultValue)}
}

// fkInput is a foreign key of the table API.
type fkInput struct {
	ConstraintName   string
	ReferenceTable   string
	ReferenceColumns []struct{ SourceColumn, ReferenceColumn string }
	OnDelete         string
	OnUpdate         string
}

func (in fkInput) fk() foreignKey {
	fk := foreignKey{Name: in.ConstraintName, RefTable: in.ReferenceTable, OnDelete: in.OnDelete, OnUpdate: in.OnUpdate}
	for _, rc := range in.ReferenceColumns {
		fk.SourceCols = append(fk.SourceCols, rc.SourceColumn)
		fk.RefCols = append(fk.RefCols, rc.ReferenceColumn)
	}
	return fk
}

// fks converts decoded foreign keys.
func fks(in []fkInput) []foreignKey {
	var out []foreignKey
	for _, f := range in {
		out = append(out, f.fk())
	}
	return out
}

// columns fills decoded columns.
func columns(in []columnInput) []columnInput {
	for i := range in {
		in[i].fill()
	}
	return in
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

// prepareColumn turns an API column into a stored column (type checked).
func prepareColumn(ci columnInput) (Column, *APIError) {
	c := ci.col
	if _, ok := friendlyTypes[c.Type]; !ok {
		// The backend's schema accepts any string but the handler crashes.
		return c, errInternal("Cannot read properties of undefined (reading 'sqlType')")
	}
	if !ci.hasDef && !c.Nullable {
		switch c.Type {
		case "date", "datetime":
			c.Default = "now()"
		case "boolean":
			c.Default = "false"
		case "uuid":
			c.Default = "gen_random_uuid()"
		}
	}
	return c, nil
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
	schema, aerr := tableParams(r, in.TableName)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	userCols, aerr := userColumns(columns(in.Columns))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if len(userCols) == 0 {
		writeError(w, errValidation("Table must have at least one user-defined column",
			"Please add at least one custom column (not id, created_at, or updated_at) to the table."))
		return
	}
	for i, ci := range userCols {
		if err := checkIdent("column", ci.col.Name); err != nil {
			err.Message = fmt.Sprintf("Invalid column name at index %d: %s", i, err.Message)
			writeError(w, err)
			return
		}
	}
	s.pgCreateTable(w, r, schema, in.TableName, userCols, fks(in.ForeignKeys), in.RlsEnabled == nil || *in.RlsEnabled)
}

// columnEcho is a column of the create-table answer: the request fields in
// the backend's order plus sqlType.
func columnEcho(ci columnInput, c Column) orderedRow {
	o := orderedRow{keys: []string{"columnName", "type"}, vals: []any{ci.ColumnName, ci.Type}}
	if ci.DefaultValue != nil {
		o.keys, o.vals = append(o.keys, "defaultValue"), append(o.vals, *ci.DefaultValue)
	}
	if ci.IsPrimaryKey != nil {
		o.keys, o.vals = append(o.keys, "isPrimaryKey"), append(o.vals, *ci.IsPrimaryKey)
	}
	o.keys = append(o.keys, "isNullable", "isUnique", "sqlType")
	o.vals = append(o.vals, ci.IsNullable, ci.IsUnique, sqlTypeName(c.Type))
	return o
}

// userColumns drops reserved columns given with their own type and refuses
// reserved names with another type (backend validateReservedFields).
func userColumns(cols []columnInput) ([]columnInput, *APIError) {
	reserved := map[string]string{"id": "uuid", "created_at": "datetime", "updated_at": "datetime"}
	var out []columnInput
	for _, ci := range cols {
		want, ok := reserved[ci.col.Name]
		if !ok {
			out = append(out, ci)
			continue
		}
		if ci.col.Type != want {
			return nil, errValidation(
				fmt.Sprintf("Column '%s' is a reserved field that requires type '%s', but got '%s'", ci.col.Name, want, ci.col.Type),
				"Please check the column name and type, id/created_at/updated_at are reserved fields and cannot be used as column names")
		}
	}
	return out, nil
}

// ---- GET /api/database/tables/{table}/schema ----

var (
	defaultStringRE = regexp.MustCompile(`^'([^']*)'::[\w\s]+$`)
	defaultCastRE   = regexp.MustCompile(`^(.+?)::[\w\s]+$`)
)

// parseDefaultValue mirrors the backend's parseDefaultValue: 'abc'::text
// becomes abc, 123::integer 123; anything else is kept (a literal with a
// doubled quote keeps its quotes, nextval('…'::regclass) stays).
func parseDefaultValue(v any) any {
	s, ok := v.(string)
	if !ok || s == "" {
		return nil
	}
	if m := defaultStringRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	if m := defaultCastRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return s
}

func (s *Server) getTableSchema(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("table")
	schema, aerr := tableParams(r, name)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	s.pgGetTableSchema(w, r, schema, name)
}

// ---- PATCH /api/database/tables/{table}/schema ----

func (s *Server) patchTableSchema(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("table")
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
	var pu []pgColUpdate
	for _, u := range in.UpdateColumns {
		pu = append(pu, pgColUpdate{name: u.ColumnName, def: deref(u.DefaultValue), newName: deref(u.NewColumnName), hasDef: u.DefaultValue != nil})
	}
	newName := ""
	if in.RenameTable != nil {
		newName = in.RenameTable.NewTableName
	}
	s.pgPatchTable(w, r, schema, name, columns(in.AddColumns), in.DropColumns, pu, fks(in.AddForeignKeys), in.DropForeignKeys, newName)
}

// ---- DELETE /api/database/tables/{table} ----

func (s *Server) deleteTable(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("table")
	schema, aerr := tableParams(r, name)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	s.pgDeleteTable(w, r, schema, name)
}

// ---- introspection listings ----
