package insforgetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
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
	if s.pg != nil {
		// The listings are catalog queries.
		for key, h := range s.pgListings() {
			s.handle("GET /api/database/"+key, accessAdmin, h)
		}
		return
	}
	s.handle("GET /api/database/functions", accessAdmin, s.listFunctions)
	s.handle("GET /api/database/indexes", accessAdmin, s.listPerTable("indexes", indexRows))
	s.handle("GET /api/database/policies", accessAdmin, s.listPerTable("policies", policyRows))
	s.handle("GET /api/database/triggers", accessAdmin, s.listPerTable("triggers", triggerRows))
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
	if s.pg != nil {
		s.pgListTables(w, r, schema)
		return
	}
	names := []string{}
	s.db.mu.Lock()
	if tables, ok := s.db.schemaTables(schema); ok {
		names = append(names, sortedKeys(tables)...)
	}
	s.db.mu.Unlock()
	writeJSON(w, 200, names)
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

// resolveFK validates a foreign key of table t (its columns already set)
// against the database and fills in defaults. d.mu held.
//
// apiSchema is the table's schema for the table API (an unqualified
// reference is a table of that schema, and errors name it schema.table);
// "" for SQL (an unqualified reference is a public table, errors name it
// as written). user is the role (references to system tables need the
// REFERENCES privilege).
func (d *database) resolveFK(t *table, fk *foreignKey, apiSchema string, user ...string) *pgError {
	for _, sc := range fk.SourceCols {
		if _, _, ok := t.col(sc); !ok {
			return &pgError{Code: "42703", Message: fmt.Sprintf("column %q referenced in foreign key constraint does not exist", sc)}
		}
	}
	autoName := fk.Name == ""
	if autoName {
		fk.Name = t.name + "_" + strings.Join(fk.SourceCols, "_") + "_fkey"
	}
	if fk.OnDelete == "" {
		fk.OnDelete = "NO ACTION"
	}
	if fk.OnUpdate == "" {
		fk.OnUpdate = "NO ACTION"
	}
	written := fk.RefTable
	refSchema, refName, qualified := strings.Cut(fk.RefTable, ".")
	if !qualified {
		refSchema, refName = "public", fk.RefTable
		if apiSchema != "" {
			refSchema = apiSchema
			written = apiSchema + "." + refName
		}
	}
	var ref *table
	if refName == t.name && refSchema == t.schemaName() {
		ref = t
	} else if r, ok := d.lookup(refSchema, refName); ok {
		ref = r
	} else {
		return errUndefinedTable(written)
	}
	if ref.system && !ref.grants["references"] && (len(user) == 0 || user[0] != "postgres") {
		return &pgError{Code: "42501", Message: "permission denied for table " + ref.name}
	}
	fk.RefTable = ref.displayName()
	if len(fk.RefCols) == 0 {
		fk.RefCols = ref.pkCols()
	}
	for _, rc := range fk.RefCols {
		if _, _, ok := ref.col(rc); !ok {
			return &pgError{Code: "42703", Message: fmt.Sprintf("column %q referenced in foreign key constraint does not exist", rc)}
		}
	}
	if len(fk.RefCols) != len(fk.SourceCols) {
		return &pgError{Code: "42830", Message: "number of referencing and referenced columns for foreign key disagree"}
	}
	unique := false
	for _, u := range ref.uniqueSets() {
		if sameSet(u.cols, fk.RefCols) {
			unique = true
		}
	}
	if !unique {
		return &pgError{Code: "42830", Message: fmt.Sprintf("there is no unique constraint matching given keys for referenced table %q", ref.name)}
	}
	for i, sc := range fk.SourceCols {
		a, _, _ := t.col(sc)
		b, _, _ := ref.col(fk.RefCols[i])
		if !fkTypesCompatible(a, b) {
			return &pgError{Code: "42804", Message: fmt.Sprintf("foreign key constraint %q cannot be implemented", fk.Name),
				Details: fmt.Sprintf("Key columns %q and %q are of incompatible types: %s and %s.", sc, fk.RefCols[i], dataTypeOfPG(a.pgType()), dataTypeOfPG(b.pgType()))}
		}
	}
	taken := func(name string) bool {
		for _, other := range t.fks {
			if other.Name == name {
				return true
			}
		}
		for _, u := range t.uniqueSets() {
			if u.name == name {
				return true
			}
		}
		return false
	}
	if taken(fk.Name) {
		if !autoName {
			return &pgError{Code: "42710", Message: fmt.Sprintf("constraint %q for relation %q already exists", fk.Name, t.name)}
		}
		base := fk.Name
		for i := 1; taken(fk.Name); i++ {
			fk.Name = fmt.Sprintf("%s%d", base, i)
		}
	}
	return nil
}

// fkTypesCompatible reports whether a foreign key may link two columns.
func fkTypesCompatible(a, b Column) bool {
	fa, fb := a.Type, b.Type
	if fa == fb {
		return true
	}
	num := func(t string) bool { return t == "integer" || t == "float" }
	return num(fa) && num(fb)
}

// resolveAPIFK is resolveFK for the table API, which names the constraint
// itself and refuses foreign keys on the system columns (status: 400 on
// create, 404 on PATCH, as the backend answers).
func (d *database) resolveAPIFK(t *table, fk *foreignKey, status int) *APIError {
	for _, sc := range fk.SourceCols {
		if isSystemColumn(sc) {
			return &APIError{Status: status, Code: "DATABASE_FORBIDDEN", Message: "cannot add foreign key on system columns",
				NextActions: fmt.Sprintf("You cannot add foreign key on the system column '%s'", sc)}
		}
	}
	fk.Name = apiFKName(*fk)
	if fk.OnDelete == "" {
		fk.OnDelete = "RESTRICT"
	}
	if fk.OnUpdate == "" {
		fk.OnUpdate = "RESTRICT"
	}
	if err := d.resolveFK(t, fk, t.schemaName(), "project_admin"); err != nil {
		return err.toAPIError()
	}
	return nil
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
	if s.pg != nil {
		s.pgCreateTable(w, r, schema, name, userCols, fks, rls)
		return
	}

	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	if _, exists := s.db.lookup(schema, name); exists {
		writeError(w, &APIError{Status: 400, Code: "DATABASE_DUPLICATE",
			Message:     fmt.Sprintf("table %s already exists", name),
			NextActions: fmt.Sprintf("table %s already exists. Please check the table name, it must be a unique table name.", name)})
		return
	}
	var stored []Column
	echo := []orderedRow{}
	for _, ci := range userCols {
		c, err := prepareColumn(ci)
		if err != nil {
			writeError(w, err)
			return
		}
		stored = append(stored, c)
		echo = append(echo, columnEcho(ci, c))
	}
	for _, fk := range fks {
		for _, sc := range fk.SourceCols {
			if isSystemColumn(sc) {
				writeError(w, &APIError{Status: 400, Code: "DATABASE_FORBIDDEN", Message: "cannot add foreign key on system columns",
					NextActions: fmt.Sprintf("You cannot add foreign key on the system column '%s'", sc)})
				return
			}
		}
	}
	x := &execCtx{d: s.db, user: "project_admin"}
	if err := x.canCreateIn(schema); err != nil {
		writeError(w, err.toAPIError())
		return
	}
	seen := map[string]bool{"id": true, "created_at": true, "updated_at": true}
	for _, c := range stored {
		if seen[c.Name] {
			writeError(w, (&pgError{Code: "42701", Message: fmt.Sprintf("column %q specified more than once", c.Name)}).toAPIError())
			return
		}
		seen[c.Name] = true
	}
	t := &table{name: name, columns: AutoColumns(stored...), rls: rls, updTrigger: true}
	if schema != "public" {
		t.schema = schema
	}
	for i := range fks {
		if err := s.db.resolveAPIFK(t, &fks[i], 400); err != nil {
			writeError(w, err)
			return
		}
		for _, prev := range fks[:i] {
			if prev.Name == fks[i].Name {
				writeError(w, errInternal(fmt.Sprintf("constraint %q for relation %q already exists", prev.Name, name)))
				return
			}
		}
	}
	t.fks = fks
	s.db.putTable(t)
	writeJSON(w, http.StatusCreated, orderedRow{
		keys: []string{"schemaName", "message", "tableName", "columns", "autoFields", "nextActions"},
		vals: []any{schema, "table created successfully", name, echo, []string{"id", "created_at", "updated_at"},
			"you can now use the table with the POST /api/database/tables/{table} endpoint"},
	})
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

// renderDefault renders a column default like information_schema
// column_default does.
func renderDefault(t *table, c Column) any {
	d := strings.TrimSpace(c.Default)
	if d == "" {
		return nil
	}
	l := strings.ToLower(d)
	if l == "nextval()" {
		return fmt.Sprintf("nextval('%s_%s_seq'::regclass)", t.name, c.Name)
	}
	if strings.HasSuffix(d, ")") || strings.HasPrefix(l, "current_") {
		return d
	}
	pg := c.pgType()
	quoted := "'" + strings.ReplaceAll(d, "'", "''") + "'::" + dataTypeOfPG(pg)
	switch pg {
	case "int2", "int4":
		if strings.HasPrefix(d, "-") {
			return quoted
		}
		return d
	case "numeric":
		return d
	case "bool":
		return l
	}
	if dataTypeOfPG(pg) == "USER-DEFINED" || strings.HasSuffix(pg, "[]") {
		return "'" + strings.ReplaceAll(d, "'", "''") + "'::" + pg
	}
	return quoted
}

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

func columnJSON(t *table, c Column) orderedRow {
	o := orderedRow{
		keys: []string{"columnName", "type", "isNullable", "isPrimaryKey", "isUnique"},
		vals: []any{c.Name, apiTypeOfPG(c.pgType()), c.Nullable && !c.PrimaryKey, c.PrimaryKey, c.Unique || c.PrimaryKey},
	}
	if d := parseDefaultValue(renderDefault(t, c)); d != nil {
		o.keys = append(o.keys, "defaultValue")
		o.vals = append(o.vals, d)
	}
	return o
}

// fksJSON lists a table's foreign keys ordered by constraint name.
func fksJSON(t *table) []orderedRow {
	fks := append([]foreignKey(nil), t.fks...)
	sort.SliceStable(fks, func(i, j int) bool { return fks[i].Name < fks[j].Name })
	out := make([]orderedRow, len(fks))
	for i, fk := range fks {
		out[i] = fkJSON(fk)
	}
	return out
}

func (s *Server) getTableSchema(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("table")
	schema, aerr := tableParams(r, name)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if s.pg != nil {
		s.pgGetTableSchema(w, r, schema, name)
		return
	}
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	t, ok := s.db.lookup(schema, name)
	if !ok || len(t.columns) == 0 {
		writeError(w, errTableNotFound())
		return
	}
	cols := make([]orderedRow, len(t.columns))
	for i, c := range t.columns {
		cols[i] = columnJSON(t, c)
	}
	writeJSON(w, 200, orderedRow{
		keys: []string{"schemaName", "tableName", "columns", "foreignKeys", "recordCount"},
		vals: []any{schema, name, cols, fksJSON(t), len(t.rows)},
	})
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

	if s.pg != nil {
		var pu []pgColUpdate
		for _, u := range updCols {
			pu = append(pu, pgColUpdate{name: u.name, def: u.def, newName: u.newName, hasDef: u.hasDef})
		}
		s.pgPatchTable(w, r, schema, name, addCols, dropCols, pu, addFKs, dropFKs, newName)
		return
	}
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	orig, ok := s.db.lookup(schema, name)
	if !ok {
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
	userCount := 0
	for _, c := range orig.columns {
		if !isSystemColumn(c.Name) {
			userCount++
		}
	}
	for _, c := range dropCols {
		if !isSystemColumn(c) {
			userCount--
		}
	}
	if userCount+len(added) <= 0 {
		writeError(w, errValidation("Table must have at least one user-defined column after update",
			"The update would leave the table with no custom columns. Please add columns or avoid dropping all user-defined columns."))
		return
	}

	// Every operation runs as project_admin on a working copy; the whole
	// update is one transaction.
	saved := s.db.saveState()
	x := &execCtx{d: s.db, user: "project_admin"}
	t := orig.clone()
	s.db.putTable(t)
	ops := []string{}
	fail := func(e *APIError) {
		s.db.restoreState(saved)
		writeError(w, e)
	}
	owner := func() bool {
		if err := x.isOwner(t); err != nil {
			fail(err.toAPIError())
			return false
		}
		return true
	}
	for _, c := range dropFKs {
		idx := -1
		for i, fk := range t.fks {
			if fk.Name == c {
				idx = i
			}
		}
		if idx < 0 {
			fail(&APIError{Status: 404, Code: "DATABASE_NOT_FOUND",
				Message:     fmt.Sprintf("Foreign key constraint '%s' does not exist on this table.", c),
				NextActions: "Refresh the table schema and retry; the constraint may have already been removed."})
			return
		}
		if !owner() {
			return
		}
		t.fks = append(t.fks[:idx:idx], t.fks[idx+1:]...)
		ops = append(ops, "Dropped foreign key constraint: "+c)
	}
	for _, c := range dropCols {
		if isSystemColumn(c) {
			fail(&APIError{Status: 404, Code: "DATABASE_FORBIDDEN", Message: "cannot drop system columns",
				NextActions: fmt.Sprintf("You cannot drop the system column '%s'", c)})
			return
		}
		if !owner() {
			return
		}
		if err := s.db.dropColumn(t, c, false); err != nil {
			fail(err.toAPIError())
			return
		}
		ops = append(ops, "Dropped column: "+c)
	}
	for _, u := range updCols {
		if isSystemColumn(u.name) {
			fail(&APIError{Status: 404, Code: "DATABASE_FORBIDDEN", Message: "cannot update system columns",
				NextActions: fmt.Sprintf("You cannot update the system column '%s'", u.name)})
			return
		}
		if (u.hasDef || u.newName != "") && !owner() {
			return
		}
		if u.hasDef || u.newName != "" {
			_, idx, ok := t.col(u.name)
			if !ok {
				fail(errUndefinedColumn(u.name, t.name).toAPIError())
				return
			}
			if u.hasDef {
				t.columns[idx].Default = u.def // "" drops the default
			}
		}
		if u.newName != "" {
			if err := s.db.renameColumn(t, u.name, u.newName); err != nil {
				fail(err.toAPIError())
				return
			}
		}
		ops = append(ops, "Updated column: "+u.name)
	}
	now := time.Now()
	for _, ci := range added {
		if err := checkIdent("column", ci.col.Name); err != nil {
			fail(err)
			return
		}
		c, err := prepareColumn(ci)
		if err != nil {
			fail(err)
			return
		}
		if !owner() {
			return
		}
		if _, _, exists := t.col(c.Name); exists {
			fail((&pgError{Code: "42701", Message: fmt.Sprintf("column %q of relation %q already exists", c.Name, t.name)}).toAPIError())
			return
		}
		t.columns = append(t.columns, c)
		for _, row := range t.rows {
			v, perr := t.defaultValue(c, now)
			if perr == nil && v == nil && !c.Nullable {
				perr = &pgError{Code: "23502", Message: fmt.Sprintf("column %q of relation %q contains null values", c.Name, t.name)}
			}
			if perr != nil {
				fail(perr.toAPIError())
				return
			}
			row[c.Name] = v
		}
		if c.Unique {
			for j, row := range t.rows {
				if t.findRow([]string{c.Name}, row, j) >= 0 {
					fail(errInternal(fmt.Sprintf("could not create unique index %q", t.uniqueName(c.Name))))
					return
				}
			}
		}
		ops = append(ops, "Added column: "+c.Name)
	}
	for i := range addFKs {
		if err := s.db.resolveAPIFK(t, &addFKs[i], 404); err != nil {
			fail(err)
			return
		}
		if !owner() {
			return
		}
		for _, row := range t.rows {
			if perr := s.db.checkForeignKeys(&table{name: t.name, fks: addFKs[i : i+1]}, row); perr != nil {
				fail(perr.toAPIError())
				return
			}
		}
		t.fks = append(t.fks, addFKs[i])
		ops = append(ops, "Added foreign key constraint on column(s): "+strings.Join(addFKs[i].SourceCols, ", "))
	}
	if newName != "" {
		if err := checkIdent("table", newName); err != nil {
			fail(err)
			return
		}
		if !owner() {
			return
		}
		if _, exists := s.db.lookup(schema, newName); exists {
			fail(errInternal(fmt.Sprintf("relation %q already exists", newName)))
			return
		}
		s.db.renameTable(t, newName)
		ops = append(ops, fmt.Sprintf("Renamed table from %s to %s", name, newName))
	}
	writeJSON(w, 200, orderedRow{
		keys: []string{"schemaName", "message", "tableName", "operations"},
		vals: []any{schema, "table schema updated successfully", name, ops},
	})
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

// renameReferences updates foreign keys after a table rename (display
// names). d.mu held.
func (d *database) renameReferences(from, to string) {
	for _, t := range d.allTables() {
		for i := range t.fks {
			if t.fks[i].RefTable == from {
				t.fks[i].RefTable = to
			}
		}
	}
}

// dropTable removes a table and the foreign keys referencing it (DROP …
// CASCADE). d.mu held.
func (d *database) dropTable(t *table) {
	d.removeTable(t.schema, t.name)
	ref := t.displayName()
	for _, other := range d.allTables() {
		kept := other.fks[:0]
		for _, fk := range other.fks {
			if fk.RefTable != ref {
				kept = append(kept, fk)
			}
		}
		other.fks = kept
	}
}

// ---- DELETE /api/database/tables/{table} ----

func (s *Server) deleteTable(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("table")
	schema, aerr := tableParams(r, name)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if s.pg != nil {
		s.pgDeleteTable(w, r, schema, name)
		return
	}
	s.db.mu.Lock()
	if t, ok := s.db.lookup(schema, name); ok {
		if err := (&execCtx{d: s.db, user: "project_admin"}).isOwner(t); err != nil {
			s.db.mu.Unlock()
			writeError(w, err.toAPIError())
			return
		}
		s.db.dropTable(t)
	}
	s.db.mu.Unlock()
	writeJSON(w, 200, orderedRow{
		keys: []string{"schemaName", "message", "tableName", "nextActions"},
		vals: []any{schema, "table deleted successfully", name, "table deleted successfully, you can create a new table with the POST /api/database/tables endpoint"},
	})
}

// ---- introspection listings ----

// listSchemas lists public first, then the schemas project_admin may
// create objects in (created with CREATE SCHEMA), then the protected
// system schemas, each group by name.
func (s *Server) listSchemas(w http.ResponseWriter, r *http.Request) {
	if s.pg != nil {
		s.pgListSchemas(w, r)
		return
	}
	out := []orderedRow{{keys: []string{"name", "isProtected"}, vals: []any{"public", false}}}
	s.db.mu.Lock()
	names := sortedKeys(s.db.schemas)
	for _, pass := range []bool{false, true} {
		for _, n := range names {
			if s.db.schemas[n].system == pass {
				out = append(out, orderedRow{keys: []string{"name", "isProtected"}, vals: []any{n, pass}})
			}
		}
	}
	s.db.mu.Unlock()
	writeJSON(w, 200, map[string]any{"schemas": out})
}

func (s *Server) listFunctions(w http.ResponseWriter, r *http.Request) {
	schema, err := schemaParam(r)
	if err != nil {
		writeError(w, err)
		return
	}
	out := []orderedRow{}
	s.db.mu.Lock()
	fns := append([]dbFunction(nil), s.db.functions...)
	s.db.mu.Unlock()
	sort.SliceStable(fns, func(i, j int) bool { return fns[i].name < fns[j].name })
	for _, f := range fns {
		if f.schema != schema {
			continue
		}
		kind := f.kind
		if kind == "" {
			kind = "f"
		}
		out = append(out, orderedRow{keys: []string{"functionName", "functionDef", "kind"}, vals: []any{f.name, f.def, kind}})
	}
	writeJSON(w, 200, map[string]any{"functions": out})
}

type indexInfo struct {
	table, name, def string
	unique, primary  bool
	cols             []string // index elements as written (CREATE INDEX)
}

// plainCols returns the index columns when every element is a plain
// column name.
func (ix indexInfo) plainCols() ([]string, bool) {
	if len(ix.cols) == 0 {
		return nil, false
	}
	var out []string
	for _, c := range ix.cols {
		f := strings.Fields(c)
		if len(f) == 0 || strings.ContainsAny(f[0], "()") {
			return nil, false
		}
		out = append(out, strings.Trim(f[0], `"`))
	}
	return out, true
}

// indexes lists the indexes of t backing its primary key and unique
// constraints.
func (t *table) indexes() []indexInfo {
	var out []indexInfo
	for _, u := range t.uniqueSets() {
		if u.index {
			continue
		}
		primary := u.name == t.pkeyName() && len(t.pkCols()) > 0 && sameSet(u.cols, t.pkCols())
		out = append(out, indexInfo{
			table: t.name, name: u.name, unique: true, primary: primary,
			def: fmt.Sprintf("CREATE UNIQUE INDEX %s ON %s.%s USING btree (%s)", u.name, t.schemaName(), t.name, strings.Join(u.cols, ", ")),
		})
	}
	return out
}

// allIndexes adds the indexes created with CREATE INDEX, ordered by name.
func (t *table) allIndexes() []indexInfo {
	out := append(t.indexes(), t.extraIdx...)
	for i := range out {
		out[i].table = t.name
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// schemaTablesSorted returns a schema's tables ordered by name, without
// the tables whose name starts with "_" (hidden by the listings).
func (d *database) schemaTablesSorted(schema string) []*table {
	tables, _ := d.schemaTables(schema)
	var out []*table
	for _, n := range sortedKeys(tables) {
		if !strings.HasPrefix(n, "_") {
			out = append(out, tables[n])
		}
	}
	return out
}

// listPerTable answers GET /api/database/{indexes,policies,triggers}: the
// rows rowsOf gives for each table of the schema, in table-name order,
// under key.
func (s *Server) listPerTable(key string, rowsOf func(t *table) []orderedRow) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		schema, err := schemaParam(r)
		if err != nil {
			writeError(w, err)
			return
		}
		out := []orderedRow{}
		s.db.mu.Lock()
		for _, t := range s.db.schemaTablesSorted(schema) {
			out = append(out, rowsOf(t)...)
		}
		s.db.mu.Unlock()
		writeJSON(w, 200, map[string]any{key: out})
	}
}

func indexRows(t *table) []orderedRow {
	var out []orderedRow
	for _, ix := range t.allIndexes() {
		out = append(out, orderedRow{keys: []string{"tableName", "indexName", "indexDef", "isUnique", "isPrimary"},
			vals: []any{ix.table, ix.name, ix.def, ix.unique, ix.primary}})
	}
	return out
}

// rolesText is a name[] value as node-pg returns it (no parser for name[]):
// its text form, e.g. "{anon,authenticated}".
func rolesText(roles []string) string { return "{" + strings.Join(roles, ",") + "}" }

func policyRows(t *table) []orderedRow {
	pols := append([]policy(nil), t.policies...)
	sort.SliceStable(pols, func(i, j int) bool { return pols[i].name < pols[j].name })
	var out []orderedRow
	for _, p := range pols {
		out = append(out, orderedRow{keys: []string{"tableName", "policyName", "cmd", "roles", "qual", "withCheck"},
			vals: []any{t.name, p.name, p.cmd, rolesText(p.roles), nullIfEmpty(p.qual), nullIfEmpty(p.withCheck)}})
	}
	return out
}

func updatedAtTrigger(t *table) orderedRow {
	return orderedRow{
		keys: []string{"tableName", "triggerName", "actionTiming", "eventManipulation", "actionOrientation", "actionCondition", "actionStatement"},
		vals: []any{t.name, t.triggerName(), "BEFORE", "UPDATE", "ROW", nil, "EXECUTE FUNCTION system.update_updated_at()"},
	}
}

func triggerRows(t *table) []orderedRow {
	if !t.updTrigger {
		return nil
	}
	return []orderedRow{updatedAtTrigger(t)}
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
