package insforgefake

import (
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

// This file holds the database module's shared types and value helpers:
// seeded columns, catalog descriptions of tables, Postgres-style errors
// and their mapping to the backend's answers, and value conversions.

// Column describes a column of a seeded table.
//
// Type is a friendly type name (string, date, datetime, integer, float,
// boolean, uuid, json — json is jsonb) or a raw Postgres type (text, int8,
// numeric, timestamp, vector, …), which PostgreSQL takes as written. Default is a Postgres
// default expression: "now()", "gen_random_uuid()" and "nextval()" are
// evaluated, anything else is a literal of the column type.
type Column struct {
	Name       string
	Type       string
	Nullable   bool
	Unique     bool
	PrimaryKey bool
	Default    string
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

// table is a table's description from the catalog: its name and
// columns.
type table struct {
	name    string
	columns []Column
}

type migration struct {
	Version    string   `json:"version"`
	Name       string   `json:"name"`
	Statements []string `json:"statements"`
	CreatedAt  string   `json:"createdAt"`
}

// database holds what the database module keeps outside PostgreSQL.
type database struct {
	migMu sync.Mutex // serialises migrations
}

// cloneValue deep-copies a JSON-decoded value.
func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}

func (t *table) col(name string) (Column, int, bool) {
	for i, c := range t.columns {
		if c.Name == name {
			return c, i, true
		}
	}
	return Column{}, -1, false
}

// AddTable seeds (or replaces) a public table with the given columns and
// rows. Rows get column defaults for missing values. It panics if a row
// does not fit the columns (unknown column, bad value, constraint).
func (s *Server) AddTable(name string, columns []Column, rows ...map[string]any) {
	s.pgAddTable(name, columns, rows)
}

// Rows returns a copy of the rows of a public table (nil if it does not
// exist), in insertion order. Values are in encoding/json decoded form.
func (s *Server) Rows(table string) []map[string]any { return s.pgRows(table) }

// Tables returns the names of the public tables, sorted.
func (s *Server) Tables() []string { return s.pgTables() }

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

func sqlTypeName(t string) string {
	if ft, ok := friendlyTypes[t]; ok {
		return ft.sqlType
	}
	return t
}

// isTextType reports a text column (friendly or as format_type names it).
func isTextType(t string) bool {
	return t == "string" || t == "text" || t == "citext" || t == "name" || strings.HasPrefix(t, "character")
}

// ---- Postgres-style errors ----

// pgError is a database error with a Postgres SQLSTATE (or PGRST code).
type pgError struct {
	Code    string
	Message string
	Details string
	Hint    string
}

var (
	detailKeyRE  = regexp.MustCompile(`Key \(([\w_]+)\)=`)
	quotedNameRE = regexp.MustCompile(`column "([^"]+)"`)
)

// toAPIError maps a database error like the backend's error middleware
// (the validation error form), with the backend's nextActions texts, for
// the SQLSTATEs the tests meet; any other is a 500.
func (e *pgError) toAPIError() *APIError {
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
	case "23503": // a bad reference in raw SQL: common, and a 400 on the backend
		return api(400, "DATABASE_CONSTRAINT_VIOLATION", "The referenced record does not exist. Please check the reference with get metadata tool and try again.")
	case "23502":
		quoted := ""
		if m := quotedNameRE.FindStringSubmatch(e.Message); m != nil {
			quoted = m[1]
		}
		return api(400, "MISSING_FIELD", "The "+quoted+" field is required and cannot be empty. Please fill in a value and try again.")
	case "42P01":
		return api(400, "DATABASE_VALIDATION_ERROR", "The resource you are trying to access does not exist. Please check the table with get metadata tool and try again.")
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

// parseTime reads the times the tools send: RFC 3339 or a bare date.
func parseTime(s string) (time.Time, bool) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// sortKey is one key of an order: NULLs sort last ascending and first
// descending unless nullsFirst says otherwise (Postgres semantics).
type sortKey struct {
	col        string
	desc       bool
	nullsFirst *bool
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
