package insforgefake

import (
	"strings"
)

// Postgres type catalog of the fake: canonical type names (pg_type.typname
// style: int4, int8, numeric, timestamptz, jsonb, text[] …), their OIDs
// (node-pg dataTypeID), information_schema data_type names and the mapping
// to the friendly column types of the InsForge table API.
//
// A Column keeps its friendly Type (used for coercion and the table API)
// and, when it was declared with a raw Postgres type, the canonical name of
// that type (Column.pg), so that raw SQL results carry the right OIDs
// (int8 20, numeric 1700, timestamp 1114, json 114, …).

// pgDataTypes maps canonical type names to information_schema data_type.
var pgDataTypes = map[string]string{
	"bool": "boolean", "bytea": "bytea", "char": `"char"`, "name": "name", "int8": "bigint", "int2": "smallint",
	"int4": "integer", "text": "text", "oid": "oid", "json": "json", "xml": "xml", "float4": "real",
	"float8": "double precision", "money": "money", "inet": "inet", "cidr": "cidr", "macaddr": "macaddr",
	"bpchar": "character", "varchar": "character varying", "date": "date",
	"time": "time without time zone", "timestamp": "timestamp without time zone",
	"timestamptz": "timestamp with time zone", "interval": "interval", "timetz": "time with time zone",
	"bit": "bit", "varbit": "bit varying", "numeric": "numeric", "uuid": "uuid", "jsonb": "jsonb",
	"tsvector": "tsvector",
}

// friendlyPG maps the friendly column types to their Postgres types.
var friendlyPG = map[string]string{
	"string": "text", "date": "date", "datetime": "timestamptz", "integer": "int4",
	"float": "float8", "boolean": "bool", "uuid": "uuid", "json": "jsonb",
}

// pgTypeOf canonicalises a type name of the table API or AddTable: a
// friendly type name ("json" is jsonb there) or a raw Postgres type.
func pgTypeOf(raw string) string {
	l := strings.ToLower(strings.Join(strings.Fields(raw), " "))
	if pg, ok := friendlyPG[l]; ok {
		return pg
	}
	return pgTypeOfSQL(raw)
}

// pgTypeOfSQL canonicalises a type name as written in SQL ("double
// precision", "varchar(20)", "timestamp with time zone", "INT[]",
// "public.vector(3)").
func pgTypeOfSQL(raw string) string {
	l := strings.ToLower(strings.Join(strings.Fields(raw), " "))
	arr := ""
	for strings.HasSuffix(l, "]") {
		i := strings.LastIndexByte(l, '[')
		if i < 0 {
			break
		}
		l = strings.TrimSpace(l[:i])
		arr = "[]"
	}
	if strings.HasSuffix(l, " array") {
		l, arr = strings.TrimSuffix(l, " array"), "[]"
	}
	// drop type modifiers: varchar(20), numeric(10,2), timestamp(3) with time zone
	for {
		i := strings.IndexByte(l, '(')
		if i < 0 {
			break
		}
		j := strings.IndexByte(l[i:], ')')
		if j < 0 {
			l = strings.TrimSpace(l[:i])
			break
		}
		l = strings.TrimSpace(l[:i] + " " + strings.TrimSpace(l[i+j+1:]))
		l = strings.Join(strings.Fields(l), " ")
	}
	l = strings.TrimPrefix(l, "pg_catalog.")
	l = strings.TrimPrefix(l, "public.")
	var base string
	switch l {
	case "int", "integer", "int4", "serial", "serial4":
		base = "int4"
	case "smallint", "int2", "smallserial", "serial2":
		base = "int2"
	case "bigint", "int8", "bigserial", "serial8":
		base = "int8"
	case "real", "float4":
		base = "float4"
	case "double precision", "float8", "float", "double":
		base = "float8"
	case "numeric", "decimal":
		base = "numeric"
	case "text":
		base = "text"
	case "varchar", "character varying":
		base = "varchar"
	case "char", "character", "bpchar":
		base = "bpchar"
	case "bool", "boolean":
		base = "bool"
	case "timestamp", "timestamp without time zone":
		base = "timestamp"
	case "timestamptz", "timestamp with time zone":
		base = "timestamptz"
	case "time", "time without time zone":
		base = "time"
	case "timetz", "time with time zone":
		base = "timetz"
	case "bit varying", "varbit":
		base = "varbit"
	case "":
		base = "text"
	default:
		base = l
	}
	return base + arr
}

// dataTypeOfPG returns the information_schema data_type of a canonical type.
func dataTypeOfPG(pg string) string {
	if strings.HasSuffix(pg, "[]") {
		return "ARRAY"
	}
	if d, ok := pgDataTypes[pg]; ok {
		return d
	}
	return "USER-DEFINED"
}

// udtNameOfPG returns information_schema udt_name (_int4 for int4[]).
func udtNameOfPG(pg string) string {
	if e, ok := strings.CutSuffix(pg, "[]"); ok {
		return "_" + e
	}
	return pg
}

// apiTypeOfPG mirrors the backend's convertSqlTypeToColumnType applied to
// information_schema data_type (udt_name for USER-DEFINED types): the
// "type" of a column in GET /api/database/tables/{table}/schema.
func apiTypeOfPG(pg string) string {
	dt := dataTypeOfPG(pg)
	if dt == "USER-DEFINED" {
		dt = udtNameOfPG(pg)
	}
	switch strings.ToLower(dt) {
	case "uuid":
		return "uuid"
	case "timestamptz", "timestamp with time zone":
		return "datetime"
	case "date":
		return "date"
	case "integer", "bigint", "smallint", "int", "int2", "int4", "serial", "serial2", "serial4", "serial8", "smallserial", "bigserial":
		return "integer"
	case "double precision", "real", "numeric", "float", "float4", "float8", "decimal":
		return "float"
	case "boolean", "bool":
		return "boolean"
	case "json", "jsonb", "array":
		return "json"
	case "text", "varchar", "char", "character varying", "character":
		return "string"
	}
	if len(dt) > 8 {
		return dt[:8]
	}
	return dt
}

// friendlyOfPG maps a canonical Postgres type to the friendly type used for
// value coercion (the type itself when there is none).
func friendlyOfPG(pg string) string {
	switch pg {
	case "text", "varchar", "bpchar", "citext", "name":
		return "string"
	case "int2", "int4", "int8":
		return "integer"
	case "float4", "float8", "numeric":
		return "float"
	case "bool":
		return "boolean"
	case "uuid":
		return "uuid"
	case "json", "jsonb":
		return "json"
	case "date":
		return "date"
	case "timestamp", "timestamptz":
		return "datetime"
	}
	return pg
}

// withType sets the column's type from a type name: a friendly or raw
// Postgres type name (sql false: table API, AddTable) or a type as written
// in SQL (sql true: "json" is json, not jsonb).
func (c Column) withType(raw string, sql bool) Column {
	if !sql {
		if _, ok := friendlyPG[strings.ToLower(strings.TrimSpace(raw))]; ok {
			c.Type, c.pg, c.mod = strings.ToLower(strings.TrimSpace(raw)), "", ""
			return c
		}
	}
	c.pg = pgTypeOfSQL(raw)
	c.mod = ""
	if i := strings.IndexByte(raw, '('); i >= 0 {
		if j := strings.IndexByte(raw[i:], ')'); j > 0 {
			c.mod = strings.ReplaceAll(raw[i:i+j+1], " ", "")
		}
	}
	c.Type = friendlyOfPG(c.pg)
	if pg, ok := friendlyPG[c.Type]; ok && pg == c.pg {
		c.pg = ""
	}
	return c
}

// sqlType is the column's type as SQL can name it in a cast.
func (c Column) sqlType() string {
	if c.pg != "" {
		return c.pg + c.mod
	}
	return sqlTypeName(c.Type)
}
