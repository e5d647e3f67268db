package insforgefake

import "strings"

// apiTypeOfPG mirrors the backend's convertSqlTypeToColumnType applied to
// information_schema data_type (udt_name for USER-DEFINED types): the
// "type" of a column in GET /api/database/tables/{table}/schema.
func apiTypeOfPG(dt string) string {
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
