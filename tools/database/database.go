// Package database declares the database toolset's tools: raw SQL, tables,
// rows through the backend's PostgREST proxy, bulk loads from local files,
// introspection listings and migrations (routes under /api/database). Records
// live in records.go, bulk upsert in upsert.go.
package database

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/internal/sqlcheck"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// RawSQLInput are the arguments of run-raw-sql and run-unrestricted-sql
// (official names).
type RawSQLInput struct {
	Query  string    `json:"query" jsonschema:"required,minLength=1" jsonschema_description:"Values go in params ($1, $2, …). A multi-statement text runs but returns no rows."`
	Params SQLParams `json:"params,omitempty" jsonschema_description:"Values of $1, $2, … in order, as text (numbers, booleans and null work too)."`
}

// SQLParams are positional SQL parameter values: any JSON value is
// accepted, as before.
type SQLParams []any

// JSONSchemaExtend declares the items as strings. A schema with no type
// ("any JSON value") or a type list is refused or dropped by single-type
// dialects (Gemini's), and text loses nothing: the backend's driver sends
// every parameter to PostgreSQL as text, a number or boolean included, and
// PostgreSQL casts it to the type the query needs.
func (SQLParams) JSONSchemaExtend(s *jsonschema.Schema) {
	s.Items = &jsonschema.Schema{Type: "string"}
}

// SchemaInput is the argument of the listing tools.
type SchemaInput struct {
	Schema string `json:"schema,omitempty" jsonschema_description:"Postgres schema."`
}

// ColumnDef is a column of create-table and alter-table addColumns.
type ColumnDef struct {
	ColumnName   string  `json:"columnName" jsonschema:"required,minLength=1,maxLength=64" jsonschema_description:"Not id, created_at or updated_at."`
	Type         string  `json:"type" jsonschema:"required,enum=string,enum=date,enum=datetime,enum=integer,enum=float,enum=boolean,enum=uuid,enum=json" jsonschema_description:"datetime=TIMESTAMPTZ, json=JSONB; others via run-raw-sql."`
	IsNullable   *bool   `json:"isNullable" jsonschema:"required"`
	IsUnique     *bool   `json:"isUnique" jsonschema:"required"`
	DefaultValue *string `json:"defaultValue,omitempty" jsonschema_description:"now(), gen_random_uuid() or a literal."`
}

// ColumnRef pairs a source column with the column it references.
type ColumnRef struct {
	SourceColumn    string `json:"sourceColumn" jsonschema:"required,minLength=1"`
	ReferenceColumn string `json:"referenceColumn" jsonschema:"required,minLength=1" jsonschema_description:"Primary key or unique."`
}

// ForeignKeyDef is one foreign key constraint.
type ForeignKeyDef struct {
	// ConstraintName is accepted for old callers but not advertised: the
	// backend names foreign keys itself (fk_<columns>_<table>_<columns>),
	// whatever is sent.
	ConstraintName   string      `json:"constraintName,omitempty" jsonschema:"-"`
	ReferenceTable   string      `json:"referenceTable" jsonschema:"required,minLength=1" jsonschema_description:"Table, or schema.table (auth.users)."`
	ReferenceColumns []ColumnRef `json:"referenceColumns" jsonschema:"required,minItems=1"`
	OnDelete         string      `json:"onDelete" jsonschema:"required,enum=CASCADE,enum=SET NULL,enum=SET DEFAULT,enum=RESTRICT,enum=NO ACTION"`
	OnUpdate         string      `json:"onUpdate" jsonschema:"required,enum=CASCADE,enum=SET NULL,enum=SET DEFAULT,enum=RESTRICT,enum=NO ACTION"`
}

// CreateTableInput are the arguments of create-table.
type CreateTableInput struct {
	TableName   string          `json:"tableName" jsonschema:"required,minLength=1,maxLength=64" jsonschema_description:"No double quotes."`
	Columns     []ColumnDef     `json:"columns" jsonschema:"required,minItems=1" jsonschema_description:"The table's own columns."`
	ForeignKeys []ForeignKeyDef `json:"foreignKeys,omitempty" jsonschema_description:"Foreign keys to create."`
	RLSEnabled  *bool           `json:"rlsEnabled,omitempty" jsonschema:"default=true" jsonschema_description:"Off: anyone with the anon key reads and writes."`
	Schema      string          `json:"schema,omitempty" jsonschema_description:"Postgres schema."`
}

// UpdateColumnDef changes one column in alter-table.
type UpdateColumnDef struct {
	ColumnName    string  `json:"columnName" jsonschema:"required,minLength=1,maxLength=64"`
	DefaultValue  *string `json:"defaultValue,omitempty" jsonschema_description:"As in addColumns."`
	NewColumnName string  `json:"newColumnName,omitempty"`
}

// RenameTableDef renames the table in alter-table.
type RenameTableDef struct {
	NewTableName string `json:"newTableName" jsonschema:"required,minLength=1,maxLength=64"`
}

// AlterTableInput are the arguments of alter-table.
type AlterTableInput struct {
	TableName       string            `json:"tableName" jsonschema:"required,minLength=1" jsonschema_description:"Current name."`
	AddColumns      []ColumnDef       `json:"addColumns,omitempty" jsonschema_description:"A NOT NULL column without a default fails if the table has rows."`
	DropColumns     []string          `json:"dropColumns,omitempty" jsonschema_description:"Dropped with their data; not id, created_at, updated_at."`
	UpdateColumns   []UpdateColumnDef `json:"updateColumns,omitempty" jsonschema_description:"Renames and new defaults."`
	AddForeignKeys  []ForeignKeyDef   `json:"addForeignKeys,omitempty" jsonschema_description:"Foreign keys to add."`
	DropForeignKeys []string          `json:"dropForeignKeys,omitempty" jsonschema_description:"Constraint names, from get-table-schema."`
	RenameTable     *RenameTableDef   `json:"renameTable,omitempty" jsonschema_description:"Renames the table."`
	Schema          string            `json:"schema,omitempty" jsonschema_description:"Postgres schema."`
}

// TableInput names one table (delete-table).
type TableInput struct {
	TableName string `json:"tableName" jsonschema:"required,minLength=1" jsonschema_description:"From list-tables."`
	Schema    string `json:"schema,omitempty" jsonschema_description:"Postgres schema."`
}

// ApplyMigrationInput are the arguments of apply-migration.
type ApplyMigrationInput struct {
	Version string `json:"version" jsonschema:"required,minLength=1,maxLength=64,pattern=^[0-9]+$" jsonschema_description:"Above the latest in list-migrations, e.g. 20260115093000."`
	Name    string `json:"name" jsonschema:"required,minLength=1,pattern=^[a-z0-9-]+$" jsonschema_description:"e.g. add-orders-table."`
	SQL     string `json:"sql" jsonschema:"required,minLength=1" jsonschema_description:"No BEGIN/COMMIT, SET ROLE or set_config."`
}

// DryRunMigrationInput are the arguments of dry-run-migration.
type DryRunMigrationInput struct {
	SQL string `json:"sql" jsonschema:"required,minLength=1" jsonschema_description:"As for apply-migration."`
}

var (
	migrationVersionRE = regexp.MustCompile(`^[0-9]{1,64}$`)
	migrationNameRE    = regexp.MustCompile(`^[a-z0-9-]+$`)
)

// ---- raw SQL ----

// RunRawSQL is run-raw-sql.
func RunRawSQL() tools.Tool {
	return tools.Define(tools.Spec{
		Name:             "run-raw-sql",
		Title:            "Run SQL",
		Hints:            tools.Overwrite,
		EnforcesReadOnly: true,
		Description: "Run PostgreSQL as project_admin (bypasses RLS; system schemas read-only): indexes, policies, functions, whatever the table tools can't do. " +
			"BEGIN/COMMIT, SET ROLE and set_config are refused.",
		ReadOnlyNote: "Read-only mode: one SELECT, WITH, EXPLAIN, SHOW, VALUES or TABLE statement per call, " +
			"calling only built-in functions known not to write (no user-defined functions).",
	}, runRawSQL)
}

// RunUnrestrictedSQL is run-unrestricted-sql.
func RunUnrestrictedSQL() tools.Tool {
	return tools.Define(tools.Spec{
		Name:    "run-unrestricted-sql",
		Title:   "Run SQL as database owner",
		Hints:   tools.Overwrite,
		Feature: tools.UnrestrictedSQL,
		Description: "Run PostgreSQL as the database owner, able to break InsForge system schemas. " +
			"Only when run-raw-sql gets 403 on a system schema and the user wants the change.",
	}, func(ctx context.Context, env *tools.Env, in RawSQLInput) (*tools.Result, error) {
		return runSQL(ctx, env, "/api/database/advance/rawsql/unrestricted", in, true)
	})
}

func runRawSQL(ctx context.Context, env *tools.Env, in RawSQLInput) (*tools.Result, error) {
	if env.Config.ReadOnly {
		if err := sqlcheck.ReadOnly(in.Query); err != nil {
			return nil, tools.Errorf("Refused without contacting the backend: %s. This server runs in read-only mode, which allows only one SELECT, WITH … SELECT, EXPLAIN (without ANALYZE of a write), SHOW, VALUES or TABLE statement per call, calling only built-in functions known not to write. "+
				"To change data or schema, ask the user to restart the server without --read-only.", tools.UpperFirst(err.Error()))
		}
	}
	return runSQL(ctx, env, "/api/database/advance/rawsql", in, false)
}

// sqlAnswer is the backend's answer to a SQL statement.
type sqlAnswer struct {
	Rows     []any    `json:"rows"`
	RowCount rowCount `json:"rowCount"`
	Fields   []any    `json:"fields"`
}

// rowCount tells a missing rowCount (a multi-statement query) from a null
// one (a statement that reports no count).
type rowCount struct {
	present bool
	n       *float64
}

func (r *rowCount) UnmarshalJSON(b []byte) error {
	r.present = true
	return json.Unmarshal(b, &r.n)
}

func runSQL(ctx context.Context, env *tools.Env, path string, in RawSQLInput, unrestricted bool) (*tools.Result, error) {
	body := map[string]any{"query": in.Query}
	if in.Params != nil {
		body["params"] = in.Params
	}
	out, _, err := insforge.Call[sqlAnswer](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: path, Body: body})
	if err != nil {
		if e := unparsed(err); e != nil {
			return nil, tools.QuotedErrorf(e.Message, "This looks like a SQL syntax error: the backend's parser could not read the query (a misspelled keyword, an unbalanced quote or parenthesis, a missing comma), so nothing ran. Fix the statement and retry. (%s %s answered %d.)", e.Method, e.Path, e.Status)
		}
		if insforge.StatusOf(err) == http.StatusForbidden && !unrestricted {
			return nil, tools.Errorf("%s If it is a permission error on an InsForge system schema (auth, storage, system, …) and the user wants that change, run-unrestricted-sql runs as the database owner (only offered when the server runs with --allow-unrestricted-sql); the backend's guards (transactions, SET ROLE, search_path, set_config) apply to both.", tools.Explain(err))
		}
		return nil, err
	}
	out.Rows = tools.OrEmpty(out.Rows)
	count := out.RowCount.n
	data := map[string]any{"rows": out.Rows, "rowCount": count}
	if out.Fields != nil {
		data["fields"] = out.Fields
	}
	var summary string
	switch {
	case len(out.Rows) == 0 && !out.RowCount.present:
		summary = "All statements ran, but for a multi-statement query the backend does not return per-statement results (rows is empty, no rowCount). Run each SELECT in its own call to see its rows."
	case len(out.Rows) > 0 && len(env.Client.Cuts()) > 0:
		summary = fmt.Sprintf("The query returned more rows than one result holds; these are its first %s.", tools.Plural(len(out.Rows), "row"))
	case len(out.Rows) > 0:
		summary = fmt.Sprintf("The query returned %s.", tools.Plural(len(out.Rows), "row"))
	case count == nil:
		summary = "The statement ran; it reports no row count (DDL or a utility statement)."
	case *count == 0:
		summary = "The statement ran and returned no rows (0 rows matched or affected)."
	default:
		summary = fmt.Sprintf("The statement ran and affected %s; it returned none (add RETURNING * to see them).", tools.Plural(int(*count), "row"))
	}
	if looksLikeDDL(in.Query) {
		summary += " After schema changes the records tools may answer 404 for about a second while PostgREST reloads."
	}
	return tools.Found(summary, data), nil
}

// unparsed returns the backend's answer to SQL its parser cannot read: 403
// "Query could not be parsed and was rejected for security reasons."
func unparsed(err error) *insforge.Error {
	var e *insforge.Error
	if errors.As(err, &e) && e.Status == http.StatusForbidden && strings.Contains(e.Message, "could not be parsed") {
		return e
	}
	return nil
}

var ddlRE = regexp.MustCompile(`(?i)\b(create|alter|drop)\b`)

func looksLikeDDL(q string) bool { return ddlRE.MatchString(q) }

// ---- tables ----

// ListTables is list-tables.
func ListTables() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-tables",
		Title:       "List database tables",
		Hints:       tools.Read,
		Description: "List a schema's table names; get-table-schema gives a table's columns.",
	}, listTables)
}

// CreateTable is create-table.
func CreateTable() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "create-table",
		Title: "Create a table",
		Hints: tools.Create,
		Description: "Create a table; id (uuid primary key), created_at and updated_at (with trigger) are automatic. " +
			"RLS is on: app users see no rows until you add policies (run-raw-sql); the admin key bypasses it.",
	}, createTable)
}

// AlterTable is alter-table.
func AlterTable() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "alter-table",
		Title: "Alter a table",
		Hints: tools.Overwrite,
		Description: "Add, drop or rename columns, set defaults, add or drop foreign keys, or rename the table. " +
			"Other changes (types, indexes, constraints) need run-raw-sql.",
	}, alterTable)
}

// DeleteTable is delete-table.
func DeleteTable() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "delete-table",
		Title:       "Delete a table",
		Hints:       tools.Remove,
		Description: "Drop a table, its rows and the foreign keys referencing it; irreversible, so confirm with the user. Succeeds if it did not exist.",
	}, deleteTable)
}

func listTables(ctx context.Context, env *tools.Env, in SchemaInput) (*tools.Result, error) {
	names, _, err := insforge.Call[[]any](ctx, env.Client, insforge.Request{Path: "/api/database/tables", Query: tools.SchemaQuery(in.Schema)})
	if err != nil {
		return nil, err
	}
	names = tools.OrEmpty(names)
	return tools.Found(fmt.Sprintf("%s in schema %s.", tools.Plural(len(names), "table"), tools.OrPublic(in.Schema)),
		map[string]any{"schema": tools.OrPublic(in.Schema), "tables": names}), nil
}

func deleteTable(ctx context.Context, env *tools.Env, in TableInput) (*tools.Result, error) {
	out, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Method: http.MethodDelete, Path: tablePath(in.TableName), Query: tools.SchemaQuery(in.Schema)})
	if err != nil {
		return nil, err
	}
	return tools.Found(fmt.Sprintf("Table %s.%s is gone (deleted, or it did not exist). Tables that referenced it lost those foreign keys.", tools.OrPublic(in.Schema), in.TableName), out), nil
}

func tablePath(name string) string { return "/api/database/tables/" + url.PathEscape(name) }

// TableNotFound replaces the backend's "table not found" answer on a table
// route (404 DATABASE_NOT_FOUND) with a message that says what to do. Other
// 404s on table routes (an unknown foreign key, a protected system column)
// pass through: they are not about the table's existence.
func TableNotFound(err error, format string, args ...any) error {
	var ae *insforge.Error
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound && !ae.NotJSON &&
		ae.Code == "DATABASE_NOT_FOUND" && strings.HasPrefix(strings.ToLower(ae.Message), "table not found") {
		return tools.Errorf(format, args...)
	}
	return err
}

func createTable(ctx context.Context, env *tools.Env, in CreateTableInput) (*tools.Result, error) {
	if len(in.Columns) == 0 {
		return nil, tools.Errorf("columns must list at least one column besides id, created_at and updated_at, which every table gets automatically")
	}
	if err := checkColumns("columns", in.Columns); err != nil {
		return nil, err
	}
	if err := checkForeignKeys("foreignKeys", in.ForeignKeys); err != nil {
		return nil, err
	}
	body := map[string]any{"tableName": in.TableName, "columns": in.Columns}
	if len(in.ForeignKeys) > 0 {
		body["foreignKeys"] = in.ForeignKeys
	}
	if in.RLSEnabled != nil {
		body["rlsEnabled"] = *in.RLSEnabled
	}
	out, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/database/tables", Query: tools.SchemaQuery(in.Schema), Body: body})
	if err != nil {
		var ae *insforge.Error
		if errors.As(err, &ae) && ae.Code == "DATABASE_DUPLICATE" {
			return nil, tools.Errorf("%s Use alter-table to change the existing table, or pick another name.", tools.Explain(err))
		}
		return nil, err
	}
	rls := in.RLSEnabled == nil || *in.RLSEnabled
	summary := fmt.Sprintf("Created table %s.%s with id, created_at and updated_at added automatically.", tools.OrPublic(in.Schema), in.TableName)
	if rls {
		summary += " Row-level security is on: app users (anon key or user tokens) see no rows until you add policies; the admin key bypasses RLS."
	} else {
		summary += " Row-level security is off: anyone with the anon key can read and write it through the API."
	}
	summary += " PostgREST may need about a second before the records tools see the table."
	return tools.Found(summary, out), nil
}

func alterTable(ctx context.Context, env *tools.Env, in AlterTableInput) (*tools.Result, error) {
	body, err := alterBody(in)
	if err != nil {
		return nil, err
	}
	out, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Method: http.MethodPatch, Path: tablePath(in.TableName) + "/schema", Query: tools.SchemaQuery(in.Schema), Body: body})
	if err != nil {
		// Only "table not found" is about the table: a missing column or
		// constraint is a 404 with the same code, and its own message.
		return nil, TableNotFound(err, "Table %q does not exist in schema %s; nothing was changed. Call list-tables to see the tables.", in.TableName, tools.OrPublic(in.Schema))
	}
	final := in.TableName
	if in.RenameTable != nil {
		final = in.RenameTable.NewTableName
	}
	return tools.Found(fmt.Sprintf("Altered table %s.%s (the backend's list of operations is below). PostgREST may need about a second before the records tools see the change.", tools.OrPublic(in.Schema), final), out), nil
}

// alterBody checks alter-table's operations and builds the request body
// with the ones given.
func alterBody(in AlterTableInput) (map[string]any, error) {
	if err := checkColumns("addColumns", in.AddColumns); err != nil {
		return nil, err
	}
	if err := checkForeignKeys("addForeignKeys", in.AddForeignKeys); err != nil {
		return nil, err
	}
	for i, u := range in.UpdateColumns {
		if u.ColumnName == "" {
			return nil, tools.Errorf("updateColumns[%d].columnName is required: the column to change. Nothing was sent.", i)
		}
		if u.DefaultValue == nil && u.NewColumnName == "" {
			return nil, tools.Errorf("updateColumns[%d] (%s) changes nothing: give newColumnName and/or defaultValue. Nothing was sent.", i, u.ColumnName)
		}
	}
	body := map[string]any{}
	if len(in.AddColumns) > 0 {
		body["addColumns"] = in.AddColumns
	}
	if len(in.DropColumns) > 0 {
		body["dropColumns"] = in.DropColumns
	}
	if len(in.UpdateColumns) > 0 {
		body["updateColumns"] = in.UpdateColumns
	}
	if len(in.AddForeignKeys) > 0 {
		body["addForeignKeys"] = in.AddForeignKeys
	}
	if len(in.DropForeignKeys) > 0 {
		body["dropForeignKeys"] = in.DropForeignKeys
	}
	if in.RenameTable != nil {
		if in.RenameTable.NewTableName == "" {
			return nil, tools.Errorf("renameTable needs newTableName")
		}
		body["renameTable"] = in.RenameTable
	}
	if len(body) == 0 {
		return nil, tools.Errorf("alter-table needs at least one operation: addColumns, dropColumns, updateColumns, addForeignKeys, dropForeignKeys or renameTable. Nothing was sent.")
	}
	return body, nil
}

var (
	columnTypes = []string{"string", "date", "datetime", "integer", "float", "boolean", "uuid", "json"}
	fkActions   = []string{"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"}
)

// checkColumns checks what the top-level argument check cannot see inside
// column definitions (required fields, enums), so that a forgotten
// isNullable is not silently sent as false.
func checkColumns(field string, cols []ColumnDef) error {
	for i, c := range cols {
		at := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case c.ColumnName == "":
			return tools.Errorf("%s.columnName is required. Nothing was sent.", at)
		case !slices.Contains(columnTypes, c.Type):
			return tools.Errorf("%s (%s): type %q is not supported; use one of %s (for other Postgres types, use run-raw-sql). Nothing was sent.", at, c.ColumnName, c.Type, strings.Join(columnTypes, ", "))
		case c.IsNullable == nil:
			return tools.Errorf("%s (%s): isNullable is required (true or false). Nothing was sent.", at, c.ColumnName)
		case c.IsUnique == nil:
			return tools.Errorf("%s (%s): isUnique is required (true or false). Nothing was sent.", at, c.ColumnName)
		}
	}
	return nil
}

func checkForeignKeys(field string, fks []ForeignKeyDef) error {
	for i, fk := range fks {
		at := fmt.Sprintf("%s[%d]", field, i)
		if fk.ReferenceTable == "" {
			return tools.Errorf("%s.referenceTable is required. Nothing was sent.", at)
		}
		if len(fk.ReferenceColumns) == 0 {
			return tools.Errorf("%s.referenceColumns needs at least one {sourceColumn, referenceColumn} pair. Nothing was sent.", at)
		}
		for j, rc := range fk.ReferenceColumns {
			if rc.SourceColumn == "" || rc.ReferenceColumn == "" {
				return tools.Errorf("%s.referenceColumns[%d] needs both sourceColumn and referenceColumn. Nothing was sent.", at, j)
			}
		}
		for _, a := range []struct{ name, v string }{{"onDelete", fk.OnDelete}, {"onUpdate", fk.OnUpdate}} {
			if !slices.Contains(fkActions, a.v) {
				return tools.Errorf("%s.%s is %q; use one of %s. Nothing was sent.", at, a.name, a.v, strings.Join(fkActions, ", "))
			}
		}
	}
	return nil
}

// ---- listings ----

// ListFunctions is list-db-functions.
func ListFunctions() tools.Tool {
	return listing("list-db-functions", "List database functions", "functions",
		"List a schema's SQL functions with definitions, e.g. before writing triggers, policies or RPC calls.")
}

// ListIndexes is list-indexes.
func ListIndexes() tools.Tool {
	return listing("list-indexes", "List indexes", "indexes",
		"List a schema's indexes with definitions; check before adding one with run-raw-sql.")
}

// ListPolicies is list-policies.
func ListPolicies() tools.Tool {
	return listing("list-policies", "List RLS policies", "policies",
		"List a schema's RLS policies. A table with RLS on and no policy hides all rows from app users.")
}

// ListTriggers is list-triggers.
func ListTriggers() tools.Tool {
	return listing("list-triggers", "List triggers", "triggers",
		"List a schema's triggers; every create-table table has an updated_at trigger.")
}

// listing declares a tool that lists one kind of schema object from
// /api/database/{what}.
func listing(name, title, what, description string) tools.Tool {
	return tools.Define(tools.Spec{
		Name:        name,
		Title:       title,
		Hints:       tools.Read,
		Description: description,
	}, func(ctx context.Context, env *tools.Env, in SchemaInput) (*tools.Result, error) {
		out, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: "/api/database/" + what, Query: tools.SchemaQuery(in.Schema)})
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string]any{}
		}
		items, _ := out[what].([]any)
		if items == nil {
			out[what] = []any{}
		}
		noun := strings.TrimSuffix(strings.TrimSuffix(what, "es"), "s")
		switch what {
		case "indexes":
			noun = "index"
		case "policies":
			noun = "policy"
		}
		return tools.Found(fmt.Sprintf("%s in schema %s.", tools.PluralNoun(len(items), noun, what), tools.OrPublic(in.Schema)), out), nil
	})
}

// ---- migrations ----

// ListMigrations is list-migrations.
func ListMigrations() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-migrations",
		Title:       "List applied migrations",
		Hints:       tools.Read,
		Description: "List applied migrations, newest first; the next version must be greater than the first one's.",
	}, listMigrations)
}

// ApplyMigration is apply-migration.
func ApplyMigration() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "apply-migration",
		Title: "Apply a migration",
		Hints: tools.Overwrite,
		Description: "Run SQL in one transaction as a recorded, versioned migration; prefer it to run-raw-sql for lasting schema changes. " +
			"Check with dry-run-migration first.",
	}, applyMigration)
}

// DryRunMigration is dry-run-migration.
func DryRunMigration() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "dry-run-migration",
		Title: "Dry-run a migration",
		Hints: tools.Read,
		Description: "Parse, risk-score (SAFE, WARNING, DANGER) and run migration SQL in a transaction that is rolled back. " +
			"Invalid SQL gives valid=false, not an error. About 30 runs per 15 minutes.",
	}, dryRunMigration)
}

func listMigrations(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	out, _, err := insforge.Call[struct {
		Migrations []map[string]any `json:"migrations"`
	}](ctx, env.Client, insforge.Request{Path: "/api/database/migrations"})
	if err != nil {
		return nil, err
	}
	out.Migrations = tools.OrEmpty(out.Migrations)
	summary := "No migrations have been applied yet; any numeric version works for the first one."
	if len(out.Migrations) > 0 {
		summary = fmt.Sprintf("%s applied, newest first. The next version must be greater than the latest one (the first listed).", tools.Plural(len(out.Migrations), "migration"))
		if v, ok := out.Migrations[0]["version"].(string); ok && migrationVersionRE.MatchString(v) {
			summary = fmt.Sprintf("%s applied, newest first; the latest version is %s, so the next one must be greater.", tools.Plural(len(out.Migrations), "migration"), v)
		}
	}
	return tools.Found(summary, map[string]any{"migrations": out.Migrations}), nil
}

func applyMigration(ctx context.Context, env *tools.Env, in ApplyMigrationInput) (*tools.Result, error) {
	if !migrationVersionRE.MatchString(in.Version) {
		return nil, tools.Errorf("version must be digits only (at most 64), such as 20260115093000; got %q. Nothing was applied.", in.Version)
	}
	if !migrationNameRE.MatchString(in.Name) {
		return nil, tools.Errorf("name must use only lowercase letters, digits and hyphens, such as add-orders-table; got %q. Nothing was applied.", in.Name)
	}
	if strings.TrimSpace(in.SQL) == "" {
		return nil, tools.Errorf("sql is empty; nothing was applied")
	}
	out, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{
		Method: http.MethodPost, Path: "/api/database/migrations",
		Body: map[string]any{"version": in.Version, "name": in.Name, "sql": in.SQL},
	})
	if err != nil {
		if insforge.StatusOf(err) == http.StatusConflict {
			return nil, tools.Errorf("%s Nothing was applied. Call list-migrations for the latest version and use a greater one.", tools.Explain(err))
		}
		return nil, err
	}
	return tools.Found(fmt.Sprintf("Applied migration %s (%s) in one transaction; it is now in the migration history. PostgREST reloads its schema, so the records tools may answer 404 for about a second.", in.Version, in.Name), out), nil
}

func dryRunMigration(ctx context.Context, env *tools.Env, in DryRunMigrationInput) (*tools.Result, error) {
	if strings.TrimSpace(in.SQL) == "" {
		return nil, tools.Errorf("sql is empty")
	}
	out, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{
		Method: http.MethodPost, Path: "/api/database/migrations/dry-run", Body: map[string]any{"sql": in.SQL},
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = map[string]any{}
	}
	valid, _ := out["valid"].(bool)
	risk, _ := out["riskLevel"].(string)
	switch risk {
	case "SAFE", "WARNING", "DANGER":
	default:
		risk = ""
	}
	factors, _ := out["riskFactors"].([]any)
	var b strings.Builder
	if valid {
		b.WriteString("Dry run passed: the SQL is valid and was rolled back (nothing changed).")
	} else {
		b.WriteString("Dry run failed: the SQL is not valid (see error below); nothing changed. Fix it before apply-migration.")
	}
	if risk != "" {
		fmt.Fprintf(&b, " Risk level %s", risk)
		if len(factors) > 0 {
			fmt.Fprintf(&b, " with %s (riskFactors below)", tools.Plural(len(factors), "risk factor"))
		}
		b.WriteString(".")
		if risk == "DANGER" {
			b.WriteString(" Confirm with the user before applying it.")
		}
	}
	data := map[string]any{"valid": valid, "riskLevel": out["riskLevel"], "riskFactors": out["riskFactors"]}
	if data["riskFactors"] == nil {
		data["riskFactors"] = []any{}
	}
	for _, k := range []string{"error", "statementCount", "statements"} {
		if v, ok := out[k]; ok {
			data[k] = v
		}
	}
	return tools.Found(b.String(), data), nil
}
