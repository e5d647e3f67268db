package insforgetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"sort"
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
	s.handle("GET /api/database/schemas", accessAdmin, s.listSchemas)
	// The listings are catalog queries.
	for key, h := range s.pgListings() {
		s.handle("GET /api/database/"+key, accessAdmin, h)
	}
}

// protectedSchemas are the InsForge system schemas (project_admin lacks
// CREATE on them; see sqlcatalog.go for the tables the fake models).
var protectedSchemas = []string{"auth", "compute", "deployments", "email", "functions", "payments", "realtime", "schedules", "storage", "system"}

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

var fkActions = []string{"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"}

// columnInput is a validated column model (zod columnSchema).
type columnInput struct {
	raw    map[string]any // validated fields, echoed back
	col    Column
	hasDef bool
}

func (is *issues) column(v any, path string) (columnInput, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		is.add(path, "Expected object, received "+jsonType(v))
		return columnInput{}, false
	}
	before := len(*is)
	name, _ := is.strMsg(m, "columnName", path, true, 1, "Column name cannot be empty", 64, "Column name must be less than 64 characters")
	typ, _ := is.str(m, "type", path, true, 0, 0)
	nullable, _ := is.boolean(m, "isNullable", path, true)
	unique, _ := is.boolean(m, "isUnique", path, true)
	pk, hasPK := is.boolean(m, "isPrimaryKey", path, false)
	def, hasDef := is.str(m, "defaultValue", path, false, 0, 0)
	if len(*is) > before {
		return columnInput{}, false
	}
	raw := map[string]any{"columnName": name, "type": typ, "isNullable": nullable, "isUnique": unique}
	if hasPK {
		raw["isPrimaryKey"] = pk
	}
	if hasDef {
		raw["defaultValue"] = def
	}
	return columnInput{raw: raw, hasDef: hasDef, col: Column{Name: name, Type: typ, Nullable: nullable, Unique: unique, Default: def}}, true
}

func (is *issues) foreignKey(v any, path string) (foreignKey, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		is.add(path, "Expected object, received "+jsonType(v))
		return foreignKey{}, false
	}
	before := len(*is)
	var fk foreignKey
	fk.Name, _ = is.str(m, "constraintName", path, false, 0, 0)
	fk.RefTable, _ = is.strMsg(m, "referenceTable", path, true, 1, "Target table cannot be empty", 0, "")
	if refs, ok := is.arrayMsg(m, "referenceColumns", path, true, 1, "At least one column mapping is required"); ok {
		for i, rv := range refs {
			p := joinPath(joinPath(path, "referenceColumns"), i)
			rm, ok := rv.(map[string]any)
			if !ok {
				is.add(p, "Expected object, received "+jsonType(rv))
				continue
			}
			sc, _ := is.strMsg(rm, "sourceColumn", p, true, 1, "Source column cannot be empty", 0, "")
			rc, _ := is.strMsg(rm, "referenceColumn", p, true, 1, "Reference column cannot be empty", 0, "")
			fk.SourceCols = append(fk.SourceCols, sc)
			fk.RefCols = append(fk.RefCols, rc)
		}
	}
	fk.OnDelete, _ = is.enum(m, "onDelete", path, true, fkActions...)
	fk.OnUpdate, _ = is.enum(m, "onUpdate", path, true, fkActions...)
	return fk, len(*is) == before
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

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	as, bs := append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(as)
	sort.Strings(bs)
	for i := range as {
		if as[i] != bs[i] {
			return false
		}
	}
	return true
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
	body, aerr := decodeObject(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var is issues
	name, _ := is.strMsg(body, "tableName", "", true, 1, "Table name cannot be empty", 64, "Table name must be less than 64 characters")
	var cols []columnInput
	if arr, ok := is.arrayMsg(body, "columns", "", true, 1, "At least one column is required"); ok {
		cols = decodeEach(arr, "columns", is.column)
	}
	var fks []foreignKey
	if arr, ok := is.array(body, "foreignKeys", "", false, 0); ok {
		fks = decodeEach(arr, "foreignKeys", is.foreignKey)
	}
	rls, hasRLS := is.boolean(body, "rlsEnabled", "", false)
	if err := is.errNext("Please check the request body, it must conform with the CreateTableRequest schema."); err != nil {
		writeError(w, err)
		return
	}
	if !hasRLS {
		rls = true
	}
	schema, aerr := tableParams(r, name)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	userCols, aerr := userColumns(cols)
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
	s.pgCreateTable(w, r, schema, name, userCols, fks, rls)
}

// columnEcho is a column of the create-table answer: the request fields in
// the backend's order plus sqlType.
func columnEcho(ci columnInput, c Column) orderedRow {
	var o orderedRow
	add := func(k string) {
		if v, ok := ci.raw[k]; ok {
			o.keys = append(o.keys, k)
			o.vals = append(o.vals, v)
		}
	}
	for _, k := range []string{"columnName", "type", "defaultValue", "isPrimaryKey", "isNullable", "isUnique"} {
		add(k)
	}
	o.keys = append(o.keys, "sqlType")
	o.vals = append(o.vals, sqlTypeName(c.Type))
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
	body, aerr := decodeObject(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var is issues
	var addCols []columnInput
	if arr, ok := is.array(body, "addColumns", "", false, 0); ok {
		addCols = decodeEach(arr, "addColumns", is.column)
	}
	dropCols := is.stringArray(body, "dropColumns")
	type colUpdate struct {
		name, def, newName string
		hasDef, hasNew     bool
	}
	var updCols []colUpdate
	if arr, ok := is.array(body, "updateColumns", "", false, 0); ok {
		for i, v := range arr {
			p := joinPath("updateColumns", i)
			m, ok := v.(map[string]any)
			if !ok {
				is.add(p, "Expected object, received "+jsonType(v))
				continue
			}
			var u colUpdate
			u.name, _ = is.str(m, "columnName", p, true, 0, 0)
			u.def, u.hasDef = is.str(m, "defaultValue", p, false, 0, 0)
			u.newName, u.hasNew = is.strMsg(m, "newColumnName", p, false, 1, "New column name cannot be empty", 64, "New column name must be less than 64 characters")
			updCols = append(updCols, u)
		}
	}
	var addFKs []foreignKey
	if arr, ok := is.array(body, "addForeignKeys", "", false, 0); ok {
		addFKs = decodeEach(arr, "addForeignKeys", is.foreignKey)
	}
	dropFKs := is.stringArray(body, "dropForeignKeys")
	var newName string
	if m, ok := is.object(body, "renameTable", "", false); ok {
		newName, _ = is.strMsg(m, "newTableName", "renameTable", true, 1, "New table name cannot be empty", 64, "New table name must be less than 64 characters")
	}
	if err := is.errNext("Please check the request body, it must conform with the UpdateTableRequest schema."); err != nil {
		writeError(w, err)
		return
	}

	var pu []pgColUpdate
	for _, u := range updCols {
		pu = append(pu, pgColUpdate{name: u.name, def: u.def, newName: u.newName, hasDef: u.hasDef})
	}
	s.pgPatchTable(w, r, schema, name, addCols, dropCols, pu, addFKs, dropFKs, newName)
}

// stringArray validates an optional array of strings.
func (is *issues) stringArray(obj map[string]any, key string) []string {
	arr, ok := is.array(obj, key, "", false, 0)
	if !ok {
		return nil
	}
	var out []string
	for i, v := range arr {
		s, ok := v.(string)
		if !ok {
			is.add(joinPath(key, i), "Expected string, received "+jsonType(v))
			continue
		}
		out = append(out, s)
	}
	return out
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

// listSchemas lists public first, then the schemas project_admin may
// create objects in (created with CREATE SCHEMA), then the protected
// system schemas, each group by name.
func (s *Server) listSchemas(w http.ResponseWriter, r *http.Request) {
	s.pgListSchemas(w, r)
}

// decodeEach decodes the elements of the array at key with decode, which
// records its own issues; elements that fail are left out.
func decodeEach[T any](arr []any, key string, decode func(v any, path string) (T, bool)) []T {
	var out []T
	for i, v := range arr {
		if x, ok := decode(v, joinPath(key, i)); ok {
			out = append(out, x)
		}
	}
	return out
}
