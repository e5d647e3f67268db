package insforgetest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file holds the in-memory database shared by the table, records, raw
// SQL, bulk-upsert and migration modules. The public schema is d.tables
// (keyed by table name); every other schema (the InsForge system schemas
// auth, storage, system, … and schemas created with CREATE SCHEMA) is in
// d.schemas. Foreign keys name their referenced table like the backend
// does: "table" for public tables, "schema.table" otherwise.
//
// Values are kept in their encoding/json decoded form: string, float64,
// bool, nil, []any and map[string]any. Timestamps are strings
// ("2006-01-02T15:04:05.999999+00:00"), dates "2006-01-02", uuids lower-case
// strings.

// Column describes a column of a seeded table.
//
// Type is a friendly type name (string, date, datetime, integer, float,
// boolean, uuid, json — json is jsonb) or a raw Postgres type (text, int8,
// numeric, timestamp, vector, …; mappable ones are converted to the
// friendly name, and the Postgres type is kept for raw SQL results: an
// int8 column reads as strings with dataTypeID 20). Default is a Postgres
// default expression: "now()", "gen_random_uuid()" and "nextval()" are
// evaluated, anything else is a literal of the column type.
type Column struct {
	Name       string
	Type       string
	Nullable   bool
	Unique     bool
	PrimaryKey bool
	Default    string

	pg  string // canonical Postgres type when it differs from Type's (int8, numeric, timestamp, json, …)
	mod string // type modifier as written, e.g. "(10,2)"
}

// AutoColumns returns the columns InsForge adds to every table created
// through the API (id uuid primary key, created_at, updated_at) around the
// given columns: id, columns…, created_at, updated_at.
func AutoColumns(columns ...Column) []Column {
	out := []Column{{Name: "id", Type: "uuid", PrimaryKey: true, Unique: true, Default: "gen_random_uuid()"}}
	out = append(out, columns...)
	return append(out,
		Column{Name: "created_at", Type: "datetime", Nullable: true, Default: "now()"},
		Column{Name: "updated_at", Type: "datetime", Nullable: true, Default: "now()"},
	)
}

type foreignKey struct {
	Name       string
	RefTable   string
	SourceCols []string
	RefCols    []string
	OnDelete   string
	OnUpdate   string
}

type table struct {
	name       string
	schema     string // "" for public
	columns    []Column
	rows       []map[string]any
	fks        []foreignKey
	rls        bool
	updTrigger bool // has the updated_at trigger (tables created through the API)
	policies   []policy
	extraIdx   []indexInfo        // indexes created with CREATE INDEX
	seq        map[string]float64 // last value of nextval() columns

	// Constraint, index and trigger names are given when they are created
	// and kept when the table or a column is renamed (as in Postgres); ""
	// means the default derived from the current names.
	pkName    string
	uniqNames map[string]string // column → unique constraint name
	trigName  string

	// system tables (InsForge internal schemas) are owned by postgres:
	// project_admin may only read them and write where granted.
	system bool
	grants map[string]bool // "insert", "update", "delete", "trigger"
}

// displayName is the table name as the backend shows it in references:
// unqualified in public, schema.table elsewhere.
func (t *table) displayName() string {
	if t.schema == "" || t.schema == "public" {
		return t.name
	}
	return t.schema + "." + t.name
}

// schemaName is the table's schema ("public" for public tables).
func (t *table) schemaName() string {
	if t.schema == "" {
		return "public"
	}
	return t.schema
}

// pkeyName is the name of the primary key constraint (and its index).
func (t *table) pkeyName() string {
	if t.pkName != "" {
		return t.pkName
	}
	return t.name + "_pkey"
}

// uniqueName is the name of the unique constraint of a column.
func (t *table) uniqueName(col string) string {
	if n := t.uniqNames[col]; n != "" {
		return n
	}
	return t.name + "_" + col + "_key"
}

// triggerName is the name of the updated_at trigger.
func (t *table) triggerName() string {
	if t.trigName != "" {
		return t.trigName
	}
	return t.name + "_update_timestamp"
}

// freezeNames fixes the derived constraint and trigger names before the
// table is renamed.
func (t *table) freezeNames() {
	t.pkName = t.pkeyName()
	t.trigName = t.triggerName()
	for _, c := range t.columns {
		if c.Unique && !c.PrimaryKey {
			t.setUniqueName(c.Name, t.uniqueName(c.Name))
		}
	}
}

func (t *table) setUniqueName(col, name string) {
	if t.uniqNames == nil {
		t.uniqNames = map[string]string{}
	}
	t.uniqNames[col] = name
}

// renameColumnNames keeps a column's unique constraint name across a
// column rename.
func (t *table) renameColumnNames(from, to string) {
	if c, _, ok := t.col(from); ok && c.Unique && !c.PrimaryKey {
		name := t.uniqueName(from)
		delete(t.uniqNames, from)
		t.setUniqueName(to, name)
	}
}

// schemaInfo is a schema other than public.
type schemaInfo struct {
	name   string
	system bool // InsForge internal schema: no CREATE for project_admin
	tables map[string]*table
}

func (si *schemaInfo) clone() *schemaInfo {
	c := &schemaInfo{name: si.name, system: si.system, tables: make(map[string]*table, len(si.tables))}
	for k, t := range si.tables {
		c.tables[k] = t.clone()
	}
	return c
}

type policy struct {
	name, cmd, qual, withCheck string
	roles                      []string
}

type dbFunction struct {
	schema, name, def string
	kind              string // f, p
}

type migration struct {
	Version    string   `json:"version"`
	Name       string   `json:"name"`
	Statements []string `json:"statements"`
	CreatedAt  string   `json:"createdAt"`
}

type database struct {
	migMu      sync.Mutex // serialises migrations
	mu         sync.Mutex
	tables     map[string]*table      // public schema
	schemas    map[string]*schemaInfo // every other schema
	functions  []dbFunction           // functions (system ones and those created with CREATE FUNCTION)
	migrations []migration            // oldest first
}

func newDatabase() *database {
	d := &database{tables: map[string]*table{}, schemas: map[string]*schemaInfo{}}
	d.seedSystemSchemas()
	return d
}

// schemaTables returns the tables of a schema (ok false if the schema does
// not exist).
func (d *database) schemaTables(schema string) (map[string]*table, bool) {
	if schema == "" || schema == "public" {
		return d.tables, true
	}
	si, ok := d.schemas[schema]
	if !ok {
		return nil, false
	}
	return si.tables, true
}

// schemaExists reports whether a schema exists.
func (d *database) schemaExists(schema string) bool {
	_, ok := d.schemaTables(schema)
	return ok
}

// lookup returns a table of a schema.
func (d *database) lookup(schema, name string) (*table, bool) {
	tables, ok := d.schemaTables(schema)
	if !ok {
		return nil, false
	}
	t, ok := tables[name]
	return t, ok
}

// refTable resolves a table by its display name ("t" or "schema.t").
func (d *database) refTable(ref string) *table {
	schema, name, qualified := strings.Cut(ref, ".")
	if !qualified {
		schema, name = "public", ref
	}
	t, _ := d.lookup(schema, name)
	return t
}

// putTable stores t in its schema under its name.
func (d *database) putTable(t *table) {
	if tables, ok := d.schemaTables(t.schema); ok {
		tables[t.name] = t
	}
}

// removeTable removes a table from its schema.
func (d *database) removeTable(schema, name string) {
	if tables, ok := d.schemaTables(schema); ok {
		delete(tables, name)
	}
}

// allTables returns every table of every schema (public first, then by
// schema and table name).
func (d *database) allTables() []*table {
	var out []*table
	for _, n := range d.tableNames() {
		out = append(out, d.tables[n])
	}
	for _, sn := range sortedKeys(d.schemas) {
		si := d.schemas[sn]
		for _, n := range sortedKeys(si.tables) {
			out = append(out, si.tables[n])
		}
	}
	return out
}

// dbState is a copy of the database for rollback.
type dbState struct {
	tables    map[string]*table
	schemas   map[string]*schemaInfo
	functions []dbFunction
}

// saveState returns a deep copy of all schemas (for transaction rollback).
func (d *database) saveState() dbState {
	st := dbState{tables: d.snapshot(), schemas: make(map[string]*schemaInfo, len(d.schemas)),
		functions: append([]dbFunction(nil), d.functions...)}
	for k, si := range d.schemas {
		st.schemas[k] = si.clone()
	}
	return st
}

func (d *database) restoreState(st dbState) {
	d.tables, d.schemas, d.functions = st.tables, st.schemas, st.functions
}

// snapshot returns a deep copy of the tables (for transaction rollback).
func (d *database) snapshot() map[string]*table {
	out := make(map[string]*table, len(d.tables))
	for k, t := range d.tables {
		out[k] = t.clone()
	}
	return out
}

func (t *table) clone() *table {
	c := *t
	c.columns = append([]Column(nil), t.columns...)
	c.fks = make([]foreignKey, len(t.fks))
	for i, fk := range t.fks {
		fk.SourceCols = append([]string(nil), fk.SourceCols...)
		fk.RefCols = append([]string(nil), fk.RefCols...)
		c.fks[i] = fk
	}
	c.seq = make(map[string]float64, len(t.seq))
	for k, v := range t.seq {
		c.seq[k] = v
	}
	c.policies = append([]policy(nil), t.policies...)
	c.extraIdx = append([]indexInfo(nil), t.extraIdx...)
	if t.uniqNames != nil {
		c.uniqNames = make(map[string]string, len(t.uniqNames))
		for k, v := range t.uniqNames {
			c.uniqNames[k] = v
		}
	}
	c.rows = make([]map[string]any, len(t.rows))
	for i, r := range t.rows {
		c.rows[i] = cloneRow(r)
	}
	return &c
}

func cloneRow(r map[string]any) map[string]any {
	out := make(map[string]any, len(r))
	for k, v := range r {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneRow(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}

// tableNames returns the table names sorted.
func (d *database) tableNames() []string { return sortedKeys(d.tables) }

func (t *table) col(name string) (Column, int, bool) {
	for i, c := range t.columns {
		if c.Name == name {
			return c, i, true
		}
	}
	return Column{}, -1, false
}

// touchUpdatedAt plays the updated_at trigger on an updated row: unless the
// update set updated_at itself (explicit), it becomes now.
func (t *table) touchUpdatedAt(row map[string]any, explicit bool, now time.Time) {
	if t.updTrigger && !explicit {
		if _, _, ok := t.col("updated_at"); ok {
			row["updated_at"] = formatTimestamp(now)
		}
	}
}

func (t *table) colNames() []string {
	out := make([]string, len(t.columns))
	for i, c := range t.columns {
		out[i] = c.Name
	}
	return out
}

func (t *table) pkCols() []string {
	var out []string
	for _, c := range t.columns {
		if c.PrimaryKey {
			out = append(out, c.Name)
		}
	}
	return out
}

// AddTable seeds (or replaces) a public table with the given columns and
// rows. Rows get column defaults for missing values. It panics if a row
// does not fit the columns (unknown column, bad value, constraint).
func (s *Server) AddTable(name string, columns []Column, rows ...map[string]any) {
	if s.pg != nil {
		s.pgAddTable(name, columns, rows)
		return
	}
	t := &table{name: name, rls: true}
	for _, c := range columns {
		c = c.withType(c.Type, false)
		if c.PrimaryKey {
			c.Unique = true
		}
		t.columns = append(t.columns, c)
	}
	now := time.Now()
	for i, in := range rows {
		in = normalizeJSON(in).(map[string]any)
		for k := range in {
			if _, _, ok := t.col(k); !ok {
				panic(fmt.Sprintf("insforgetest: AddTable(%q): row %d: unknown column %q", name, i, k))
			}
		}
		row, err := t.buildRow(in, now)
		if err == nil {
			err = t.checkUnique(row, -1)
		}
		if err != nil {
			panic(fmt.Sprintf("insforgetest: AddTable(%q): row %d: %v", name, i, err))
		}
		t.rows = append(t.rows, row)
	}
	s.db.mu.Lock()
	s.db.tables[name] = t
	s.db.mu.Unlock()
}

// Rows returns a copy of the rows of a public table (nil if it does not
// exist), in insertion order. Values are in encoding/json decoded form.
func (s *Server) Rows(table string) []map[string]any {
	if s.pg != nil {
		return s.pgRows(table)
	}
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	t, ok := s.db.tables[table]
	if !ok {
		return nil
	}
	out := make([]map[string]any, len(t.rows))
	for i, r := range t.rows {
		out[i] = cloneRow(r)
	}
	return out
}

// Tables returns the names of the public tables, sorted.
func (s *Server) Tables() []string {
	if s.pg != nil {
		return s.pgTables()
	}
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	return s.db.tableNames()
}

// normalizeJSON converts a Go value to its encoding/json decoded form.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case nil, string, float64, bool:
		return v
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeJSON(e)
		}
		return out
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case float32:
		return float64(x)
	case time.Time:
		return formatTimestamp(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("insforgetest: cannot encode %T: %v", v, err))
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// ---- types ----

// friendlyTypes are the column types of the InsForge table API.
var friendlyTypes = map[string]struct {
	sqlType  string // as emitted by CREATE TABLE
	dataType string // information_schema data_type
	oid      int    // node-pg dataTypeID
}{
	"string":   {"TEXT", "text", 25},
	"date":     {"DATE", "date", 1082},
	"datetime": {"TIMESTAMPTZ", "timestamp with time zone", 1184},
	"integer":  {"INTEGER", "integer", 23},
	"float":    {"DOUBLE PRECISION", "double precision", 701},
	"boolean":  {"BOOLEAN", "boolean", 16},
	"uuid":     {"UUID", "uuid", 2950},
	"json":     {"JSONB", "jsonb", 3802},
}

// normType maps a type name (friendly or Postgres) to the friendly name
// when there is one (the canonical Postgres name otherwise).
func normType(t string) string {
	return friendlyOfPG(pgTypeOf(t))
}

// dataTypeName is the information_schema data_type of a friendly or
// Postgres type name.
func dataTypeName(t string) string {
	if ft, ok := friendlyTypes[t]; ok {
		return ft.dataType
	}
	return dataTypeOfPG(pgTypeOf(t))
}

func sqlTypeName(t string) string {
	if ft, ok := friendlyTypes[t]; ok {
		return ft.sqlType
	}
	return strings.ToUpper(t)
}

func isTextType(t string) bool { return t == "string" }

// ---- Postgres-style errors ----

// pgError is a database error with a Postgres SQLSTATE (or PGRST code).
type pgError struct {
	Code    string
	Message string
	Details string
	Hint    string
}

func (e *pgError) Error() string { return e.Message }

func errUndefinedTable(name string) *pgError {
	return &pgError{Code: "42P01", Message: fmt.Sprintf("relation %q does not exist", name)}
}

func errUndefinedColumn(col, tbl string) *pgError {
	return &pgError{Code: "42703", Message: fmt.Sprintf("column %q of relation %q does not exist", col, tbl)}
}

func errInvalidText(typ string, v any) *pgError {
	return &pgError{Code: "22P02", Message: fmt.Sprintf("invalid input syntax for type %s: %q", dataTypeName(typ), fmt.Sprint(v))}
}

var (
	detailKeyRE  = regexp.MustCompile(`Key \(([\w_]+)\)=`)
	quotedNameRE = regexp.MustCompile(`column "([^"]+)"`)
)

// toAPIError maps a database error like the backend's error middleware
// (the validation error form), with the backend's nextActions texts.
func (e *pgError) toAPIError() *APIError {
	quoted := ""
	if m := quotedNameRE.FindStringSubmatch(e.Message); m != nil {
		quoted = m[1]
	}
	api := func(status int, code, next string) *APIError {
		return &APIError{Status: status, Code: code, Message: e.Message, NextActions: next}
	}
	switch e.Code {
	case "23505":
		field := "field"
		if m := detailKeyRE.FindStringSubmatch(e.Details); m != nil {
			field = m[1]
		}
		return api(409, "DATABASE_DUPLICATE", "A record with this field("+field+") already exists. You can query the existing record by using the query tool and then try again.")
	case "23503":
		return api(400, "DATABASE_CONSTRAINT_VIOLATION", "The referenced record does not exist. Please check the reference with get metadata tool and try again.")
	case "23502":
		return api(400, "MISSING_FIELD", "The "+quoted+" field is required and cannot be empty. Please fill in a value and try again.")
	case "42P01":
		return api(400, "DATABASE_VALIDATION_ERROR", "The resource you are trying to access does not exist. Please check the table with get metadata tool and try again.")
	case "42701":
		return api(400, "DATABASE_VALIDATION_ERROR", "Remove the duplicate \""+quoted+"\" column definition. Each column name must be unique within a table.")
	case "42703":
		return api(400, "DATABASE_VALIDATION_ERROR", "Check the column name spelling and verify it exists in the table using GET /api/database/tables/{table}/schema")
	case "42830":
		return api(400, "DATABASE_VALIDATION_ERROR", "Ensure the referenced column has a unique constraint or is a primary key")
	case "42804":
		return api(400, "DATABASE_VALIDATION_ERROR", "Ensure the foreign key column and the referenced column have the same data type.")
	case "42501":
		return api(403, "FORBIDDEN", "A row-level security policy denied this operation. Verify the calling user owns the row (uploaded_by / user_id matches the JWT sub), or that an appropriate INSERT/UPDATE/DELETE policy exists for this role.")
	}
	return errInternal(e.Message)
}

// ---- values ----

var uuidRE = regexp.MustCompile(`^(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$`)

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func formatTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999999-07:00")
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999-07",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999-07",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "now", "current_timestamp":
		return time.Now(), true
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// coerce converts v to the stored form for a column of type typ.
func coerce(typ string, v any) (any, *pgError) {
	if v == nil {
		return nil, nil
	}
	v = plainNumber(v)
	switch typ {
	case "string":
		switch x := v.(type) {
		case string:
			return x, nil
		case float64:
			return formatNumber(x), nil
		case bool:
			return strconv.FormatBool(x), nil
		default:
			return string(marshalJSON(x)), nil
		}
	case "integer", "float":
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case string:
			p, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, errInvalidText(typ, x)
			}
			f = p
		case bool:
			return nil, &pgError{Code: "42804", Message: fmt.Sprintf("column is of type %s but expression is of type boolean", dataTypeName(typ))}
		default:
			return nil, errInvalidText(typ, string(marshalJSON(x)))
		}
		if typ == "integer" && f != math.Trunc(f) {
			if _, isStr := v.(string); isStr {
				return nil, errInvalidText(typ, v)
			}
			f = math.Round(f)
		}
		return f, nil
	case "boolean":
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "t", "true", "yes", "y", "on", "1":
				return true, nil
			case "f", "false", "no", "n", "off", "0":
				return false, nil
			}
			return nil, errInvalidText(typ, x)
		case float64:
			return x != 0, nil
		}
		return nil, errInvalidText(typ, string(marshalJSON(v)))
	case "uuid":
		s, ok := v.(string)
		if !ok || !uuidRE.MatchString(strings.TrimSpace(s)) {
			return nil, errInvalidText(typ, fmt.Sprint(v))
		}
		s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "-", ""))
		return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:], nil
	case "date", "datetime":
		s, ok := v.(string)
		if !ok {
			return nil, errInvalidText(typ, fmt.Sprint(v))
		}
		t, ok := parseTime(s)
		if !ok {
			return nil, errInvalidText(typ, s)
		}
		if typ == "date" {
			return t.Format("2006-01-02"), nil
		}
		return formatTimestamp(t), nil
	case "json":
		return cloneValue(v), nil
	}
	return cloneValue(v), nil
}

func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// defaultValue evaluates a column default for a new row of t.
func (t *table) defaultValue(c Column, now time.Time) (any, *pgError) {
	d := strings.TrimSpace(c.Default)
	if d == "" {
		return nil, nil
	}
	l := strings.ToLower(d)
	switch {
	case l == "now()" || l == "current_timestamp" || l == "current_timestamp()" || l == "current_date" || strings.HasPrefix(l, "timezone("):
		if c.Type == "date" {
			return now.UTC().Format("2006-01-02"), nil
		}
		return formatTimestamp(now), nil
	case l == "gen_random_uuid()" || l == "uuid_generate_v4()":
		return newUUID(), nil
	case strings.HasPrefix(l, "nextval("):
		last, ok := t.seq[c.Name]
		if !ok {
			for _, r := range t.rows {
				if f, isNum := r[c.Name].(float64); isNum && f > last {
					last = f
				}
			}
		}
		if t.seq == nil {
			t.seq = map[string]float64{}
		}
		t.seq[c.Name] = last + 1
		return last + 1, nil
	case l == "null":
		return nil, nil
	}
	// literal, possibly 'quoted' and/or with a ::cast
	if i := strings.Index(d, "::"); i > 0 && !strings.HasSuffix(d, "'") {
		d = d[:i]
	}
	if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
		d = strings.ReplaceAll(d[1:len(d)-1], "''", "'")
	}
	var v any = d
	if c.Type == "json" {
		var j any
		if err := json.Unmarshal([]byte(d), &j); err == nil {
			v = j
		}
	}
	return coerce(c.Type, v)
}

// buildRow makes a full row from input (keys already known to be columns):
// values are coerced, missing ones get defaults, NOT NULL is checked.
func (t *table) buildRow(input map[string]any, now time.Time) (map[string]any, *pgError) {
	row := make(map[string]any, len(t.columns))
	for _, c := range t.columns {
		var v any
		var err *pgError
		if in, ok := input[c.Name]; ok {
			v, err = coerce(c.Type, in)
			if f, isNum := v.(float64); isNum {
				if last, started := t.seq[c.Name]; started && f > last {
					t.seq[c.Name] = f // keep the sequence ahead of explicit values
				}
			}
		} else {
			v, err = t.defaultValue(c, now)
		}
		if err != nil {
			return nil, err
		}
		row[c.Name] = v
	}
	return row, t.checkNotNull(row)
}

func (t *table) checkNotNull(row map[string]any) *pgError {
	for _, c := range t.columns {
		if row[c.Name] == nil && (!c.Nullable || c.PrimaryKey) {
			return &pgError{Code: "23502",
				Message: fmt.Sprintf("null value in column %q of relation %q violates not-null constraint", c.Name, t.name),
				Details: "Failing row contains " + describeRow(t, row) + "."}
		}
	}
	return nil
}

func describeRow(t *table, row map[string]any) string {
	parts := make([]string, len(t.columns))
	for i, c := range t.columns {
		if row[c.Name] == nil {
			parts[i] = "null"
		} else {
			parts[i] = displayValue(row[c.Name])
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func displayValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case float64:
		return formatNumber(x)
	case bool:
		if x {
			return "t"
		}
		return "f"
	}
	return string(marshalJSON(v))
}

// uniqueSet is a unique constraint (or unique index): its name and
// columns.
type uniqueSet struct {
	name  string
	cols  []string
	index bool // a unique index created with CREATE UNIQUE INDEX
}

// uniqueSets lists the unique constraints of t: the primary key (as one
// set) and every unique non-PK column.
func (t *table) uniqueSets() []uniqueSet {
	var out []uniqueSet
	if pk := t.pkCols(); len(pk) > 0 {
		out = append(out, uniqueSet{name: t.pkeyName(), cols: pk})
	}
	for _, c := range t.columns {
		if c.Unique && !c.PrimaryKey {
			out = append(out, uniqueSet{name: t.uniqueName(c.Name), cols: []string{c.Name}})
		}
	}
	for _, ix := range t.extraIdx {
		if cols, ok := ix.plainCols(); ok && ix.unique {
			out = append(out, uniqueSet{name: ix.name, cols: cols, index: true})
		}
	}
	return out
}

// checkUnique reports a unique violation of row against the other rows
// (skip is the index of the row being updated, -1 for an insert).
func (t *table) checkUnique(row map[string]any, skip int) *pgError {
	for _, u := range t.uniqueSets() {
		if i := t.findRow(u.cols, row, skip); i >= 0 {
			vals := make([]string, len(u.cols))
			for j, c := range u.cols {
				vals[j] = displayValue(row[c])
			}
			return &pgError{Code: "23505",
				Message: fmt.Sprintf("duplicate key value violates unique constraint %q", u.name),
				Details: fmt.Sprintf("Key (%s)=(%s) already exists.", strings.Join(u.cols, ", "), strings.Join(vals, ", "))}
		}
	}
	return nil
}

// findRow returns the index of a row (other than skip) whose cols equal
// those of row (NULLs never match), or -1.
func (t *table) findRow(cols []string, row map[string]any, skip int) int {
	for _, c := range cols {
		if row[c] == nil {
			return -1
		}
	}
	for i, r := range t.rows {
		if i == skip {
			continue
		}
		match := true
		for _, c := range cols {
			if !valuesEqual(r[c], row[c]) {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

// checkWrite verifies NOT NULL, unique and foreign key constraints of row
// (skip is the index of the row being replaced, -1 for an insert).
func (d *database) checkWrite(t *table, row map[string]any, skip int) *pgError {
	if err := t.checkNotNull(row); err != nil {
		return err
	}
	if err := t.checkUnique(row, skip); err != nil {
		return err
	}
	return d.checkForeignKeys(t, row)
}

// checkForeignKeys verifies that row's foreign keys reference existing rows.
func (d *database) checkForeignKeys(t *table, row map[string]any) *pgError {
	for _, fk := range t.fks {
		ref := d.refTable(fk.RefTable)
		if ref == nil {
			continue
		}
		probe := map[string]any{}
		null := false
		for i, sc := range fk.SourceCols {
			if row[sc] == nil {
				null = true
			}
			probe[fk.RefCols[i]] = row[sc]
		}
		if null {
			continue
		}
		if ref.findRow(fk.RefCols, probe, -1) < 0 {
			vals := make([]string, len(fk.SourceCols))
			for i, sc := range fk.SourceCols {
				vals[i] = displayValue(row[sc])
			}
			return &pgError{Code: "23503",
				Message: fmt.Sprintf("insert or update on table %q violates foreign key constraint %q", t.name, fk.Name),
				Details: fmt.Sprintf("Key (%s)=(%s) is not present in table %q.", strings.Join(fk.SourceCols, ", "), strings.Join(vals, ", "), ref.name)}
		}
	}
	return nil
}

// plainNumber turns an exact big integer (json.Number, from SQL literals
// beyond float64 precision) into a float64 (the stored form).
func plainNumber(v any) any {
	if n, ok := v.(json.Number); ok {
		if f, err := n.Float64(); err == nil {
			return f
		}
	}
	return v
}

// valuesEqual compares two stored values.
func valuesEqual(a, b any) bool {
	if c, ok := compareValues(a, b); ok {
		return c == 0
	}
	return string(marshalJSON(a)) == string(marshalJSON(b))
}

// compareValues orders two non-nil scalar values; ok is false if they are
// not comparable.
func compareValues(a, b any) (int, bool) {
	a, b = plainNumber(a), plainNumber(b)
	switch x := a.(type) {
	case float64:
		switch y := b.(type) {
		case float64:
			return cmpOrdered(x, y), true
		case string:
			if f, err := strconv.ParseFloat(y, 64); err == nil {
				return cmpOrdered(x, f), true
			}
		}
	case string:
		switch y := b.(type) {
		case string:
			return strings.Compare(x, y), true
		case float64:
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				return cmpOrdered(f, y), true
			}
		case bool:
			if bv, err := strconv.ParseBool(x); err == nil {
				return cmpBool(bv, y), true
			}
		}
	case bool:
		switch y := b.(type) {
		case bool:
			return cmpBool(x, y), true
		case string:
			if bv, err := strconv.ParseBool(y); err == nil {
				return cmpBool(x, bv), true
			}
		}
	}
	return 0, false
}

func cmpOrdered[T float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// sortRows sorts rows by keys (stable); NULLs sort last ascending and first
// descending unless nullsFirst says otherwise (Postgres semantics).
type sortKey struct {
	col        string
	desc       bool
	nullsFirst *bool
}

func sortRows(rows []map[string]any, keys []sortKey) {
	if len(keys) == 0 {
		return
	}
	sort.SliceStable(rows, func(i, j int) bool { return rowLess(rows[i], rows[j], keys) })
}

// rowLess orders two rows by keys.
func rowLess(ra, rb map[string]any, keys []sortKey) bool {
	for _, k := range keys {
		a, b := ra[k.col], rb[k.col]
		nf := k.desc
		if k.nullsFirst != nil {
			nf = *k.nullsFirst
		}
		switch {
		case a == nil && b == nil:
			continue
		case a == nil:
			return nf
		case b == nil:
			return !nf
		}
		c, ok := compareValues(a, b)
		if !ok {
			c = strings.Compare(string(marshalJSON(a)), string(marshalJSON(b)))
		}
		if c == 0 {
			continue
		}
		if k.desc {
			return c > 0
		}
		return c < 0
	}
	return false
}

// orderedRow is a JSON object whose keys keep their order (column order).
type orderedRow struct {
	keys []string
	vals []any
}

func (o orderedRow) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(marshalJSON(k))
		b.WriteByte(':')
		b.Write(marshalJSON(o.vals[i]))
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// project returns row restricted to cols, in that order.
func project(row map[string]any, cols []string) orderedRow {
	o := orderedRow{keys: cols, vals: make([]any, len(cols))}
	for i, c := range cols {
		o.vals[i] = cloneValue(row[c])
	}
	return o
}

// uniqueIndex speeds up the unique-constraint checks of batch writes
// (bulk upsert, multi-row inserts): lookups are by key instead of a scan.
type uniqueIndex struct {
	t    *table
	sets []uniqueSet
	keys []map[string]int // per unique set: key → row index
}

func newUniqueIndex(t *table) *uniqueIndex {
	u := &uniqueIndex{t: t, sets: t.uniqueSets()}
	u.keys = make([]map[string]int, len(u.sets))
	for i := range u.sets {
		u.keys[i] = make(map[string]int, len(t.rows))
	}
	for idx, row := range t.rows {
		u.add(row, idx)
	}
	return u
}

// indexKey is the canonical key of row's cols (false if any is NULL).
func indexKey(cols []string, row map[string]any) (string, bool) {
	var b strings.Builder
	for _, c := range cols {
		v := row[c]
		if v == nil {
			return "", false
		}
		switch x := v.(type) {
		case string:
			b.WriteByte('s')
			b.WriteString(x)
		case float64:
			b.WriteByte('n')
			b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		case bool:
			b.WriteByte('b')
			b.WriteString(strconv.FormatBool(x))
		default:
			b.WriteByte('j')
			b.Write(marshalJSON(v))
		}
		b.WriteByte(0)
	}
	return b.String(), true
}

func (u *uniqueIndex) add(row map[string]any, idx int) {
	for i, s := range u.sets {
		if k, ok := indexKey(s.cols, row); ok {
			u.keys[i][k] = idx
		}
	}
}

func (u *uniqueIndex) remove(row map[string]any) {
	for i, s := range u.sets {
		if k, ok := indexKey(s.cols, row); ok {
			delete(u.keys[i], k)
		}
	}
}

// find returns the index of the row equal to row on cols, or -1.
func (u *uniqueIndex) find(cols []string, row map[string]any) int {
	for i, s := range u.sets {
		if sameSet(s.cols, cols) {
			k, ok := indexKey(s.cols, row)
			if !ok {
				return -1
			}
			if idx, found := u.keys[i][k]; found {
				return idx
			}
			return -1
		}
	}
	return u.t.findRow(cols, row, -1)
}

// check reports a unique violation of row (skip: index of the row being
// replaced, -1 for an insert).
func (u *uniqueIndex) check(row map[string]any, skip int) *pgError {
	for i, s := range u.sets {
		k, ok := indexKey(s.cols, row)
		if !ok {
			continue
		}
		if idx, found := u.keys[i][k]; found && idx != skip {
			vals := make([]string, len(s.cols))
			for j, c := range s.cols {
				vals[j] = displayValue(row[c])
			}
			return &pgError{Code: "23505",
				Message: fmt.Sprintf("duplicate key value violates unique constraint %q", s.name),
				Details: fmt.Sprintf("Key (%s)=(%s) already exists.", strings.Join(s.cols, ", "), strings.Join(vals, ", "))}
		}
	}
	return nil
}

// checkWriteIdx is checkWrite using a unique index of t.
func (d *database) checkWriteIdx(t *table, u *uniqueIndex, row map[string]any, skip int) *pgError {
	if err := t.checkNotNull(row); err != nil {
		return err
	}
	if err := u.check(row, skip); err != nil {
		return err
	}
	return d.checkForeignKeys(t, row)
}

// replaceRow replaces row i of t, keeping the index current.
func (u *uniqueIndex) replaceRow(i int, row map[string]any) {
	u.remove(u.t.rows[i])
	u.t.rows[i] = row
	u.add(row, i)
}

// appendRow appends a row to t, keeping the index current.
func (u *uniqueIndex) appendRow(row map[string]any) {
	u.t.rows = append(u.t.rows, row)
	u.add(row, len(u.t.rows)-1)
}
