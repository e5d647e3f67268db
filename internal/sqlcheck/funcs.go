package sqlcheck

import (
	"fmt"
	"strings"
)

// allowedFunctions is the read-only allow-list: built-in PostgreSQL
// functions that neither write nor run SQL given to them as text. A call of
// any other function is refused in read-only mode, user-defined ones
// included, since a function can do anything. Names are matched as
// PostgreSQL resolves them: an unquoted name is lowercased, a quoted one
// ("…", U&"…") must match exactly. Deliberately absent, among others:
// nextval, setval, currval, lastval, set_config, setseed, txid_current
// and pg_current_xact_id (they assign a transaction id), pg_sleep, every
// lo_* and dblink*, pg_read_*file, pg_ls_*, advisory locks, replication
// slots, pg_stat_*_reset, brin_*/gin_* maintenance, pg_terminate_backend,
// pg_cancel_backend, pg_reload_conf, and the functions that run a query
// given as text: query_to_xml*, cursor_to_xml*, table_to_xml*,
// schema_to_xml*, database_to_xml*, ts_stat, ts_rewrite.
var allowedFunctions = setOf(
	// Aggregates.
	"count", "sum", "avg", "min", "max", "array_agg", "string_agg", "bool_and", "bool_or", "every",
	"bit_and", "bit_or", "bit_xor", "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg",
	"json_agg_strict", "jsonb_agg_strict", "json_object_agg_strict", "jsonb_object_agg_strict",
	"json_object_agg_unique", "jsonb_object_agg_unique", "json_object_agg_unique_strict", "jsonb_object_agg_unique_strict",
	"stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "corr", "covar_pop", "covar_samp",
	"regr_avgx", "regr_avgy", "regr_count", "regr_intercept", "regr_r2", "regr_slope", "regr_sxx", "regr_sxy", "regr_syy",
	"mode", "percentile_cont", "percentile_disc", "range_agg", "range_intersect_agg", "xmlagg", "any_value",
	// Window functions.
	"row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
	"first_value", "last_value", "nth_value",
	// Comparison and conditional.
	"coalesce", "nullif", "greatest", "least", "num_nulls", "num_nonnulls",
	// Math.
	"abs", "cbrt", "ceil", "ceiling", "degrees", "div", "exp", "factorial", "floor", "gcd", "lcm", "ln", "log",
	"log10", "mod", "pi", "power", "radians", "round", "scale", "sign", "sqrt", "trunc", "width_bucket",
	"min_scale", "trim_scale", "random", "random_normal", "acos", "asin", "atan", "atan2", "cos", "cot", "sin", "tan",
	"acosd", "asind", "atand", "atan2d", "cosd", "cotd", "sind", "tand", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
	"erf", "erfc", "gamma", "lgamma",
	// Strings and bytes.
	"ascii", "btrim", "bit_length", "char_length", "character_length", "chr", "concat", "concat_ws", "format",
	"initcap", "left", "length", "lower", "lpad", "ltrim", "md5", "octet_length", "overlay", "position",
	"quote_ident", "quote_literal", "quote_nullable", "regexp_count", "regexp_instr", "regexp_like", "regexp_match",
	"regexp_matches", "regexp_replace", "regexp_split_to_array", "regexp_split_to_table", "regexp_substr", "repeat",
	"replace", "reverse", "right", "rpad", "rtrim", "split_part", "starts_with", "string_to_array", "string_to_table",
	"strpos", "substr", "substring", "to_ascii", "to_hex", "to_bin", "to_oct", "translate", "trim", "upper", "unistr",
	"normalize", "casefold", "encode", "decode", "convert", "convert_from", "convert_to", "get_byte", "get_bit",
	"set_byte", "set_bit", "bit_count", "sha224", "sha256", "sha384", "sha512", "crc32", "crc32c", "gen_random_uuid",
	"uuidv4", "uuidv7", "uuid_extract_timestamp", "uuid_extract_version", "to_char", "to_number", "to_date", "to_timestamp",
	"parse_ident", "similar_to_escape",
	// Date and time.
	"now", "current_date", "current_time", "current_timestamp", "localtime", "localtimestamp",
	"clock_timestamp", "statement_timestamp", "transaction_timestamp", "timeofday", "age", "date_part",
	"date_trunc", "date_bin", "date_add", "date_subtract", "extract", "isfinite", "justify_days", "justify_hours",
	"justify_interval", "make_date", "make_interval", "make_time", "make_timestamp", "make_timestamptz", "timezone",
	// JSON and JSONB.
	"to_json", "to_jsonb", "array_to_json", "row_to_json", "json_build_array", "jsonb_build_array",
	"json_build_object", "jsonb_build_object", "json_object", "jsonb_object", "json_array_length",
	"jsonb_array_length", "json_each", "jsonb_each", "json_each_text", "jsonb_each_text", "json_extract_path",
	"jsonb_extract_path", "json_extract_path_text", "jsonb_extract_path_text", "json_object_keys", "jsonb_object_keys",
	"json_populate_record", "jsonb_populate_record", "jsonb_populate_record_valid", "json_populate_recordset",
	"jsonb_populate_recordset", "json_to_record", "jsonb_to_record", "json_to_recordset", "jsonb_to_recordset",
	"json_array_elements", "jsonb_array_elements", "json_array_elements_text", "jsonb_array_elements_text",
	"json_typeof", "jsonb_typeof", "json_strip_nulls", "jsonb_strip_nulls", "jsonb_set", "jsonb_set_lax",
	"jsonb_insert", "jsonb_pretty", "jsonb_path_exists", "jsonb_path_match", "jsonb_path_query",
	"jsonb_path_query_array", "jsonb_path_query_first", "jsonb_path_exists_tz", "jsonb_path_match_tz",
	"jsonb_path_query_tz", "jsonb_path_query_array_tz", "jsonb_path_query_first_tz", "json", "json_scalar",
	"json_serialize", "json_array", "json_arrayagg", "json_objectagg", "json_query", "json_value", "json_exists",
	"json_table",
	// Arrays and ranges.
	"array_append", "array_cat", "array_dims", "array_fill", "array_length", "array_lower", "array_ndims",
	"array_position", "array_positions", "array_prepend", "array_remove", "array_replace", "array_reverse",
	"array_sample", "array_shuffle", "array_sort", "array_to_string", "array_upper", "cardinality", "trim_array",
	"unnest", "generate_series", "generate_subscripts", "upper_inc", "lower_inc", "upper_inf", "lower_inf",
	"isempty", "range_merge", "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange",
	"int4multirange", "int8multirange", "nummultirange", "tsmultirange", "tstzmultirange", "datemultirange", "multirange",
	// Full-text search (not ts_stat or ts_rewrite, which run a query given as text).
	"to_tsvector", "to_tsquery", "plainto_tsquery", "phraseto_tsquery", "websearch_to_tsquery", "ts_rank",
	"ts_rank_cd", "ts_headline", "setweight", "strip", "tsvector_to_array", "array_to_tsvector", "numnode",
	"querytree", "ts_delete", "ts_filter", "json_to_tsvector", "jsonb_to_tsvector", "get_current_ts_config",
	// Casts and type constructors (also as type names with modifiers).
	"int2", "int4", "int8", "float4", "float8", "numeric", "text", "varchar", "bpchar", "char", "name", "bool",
	"date", "time", "timetz", "timestamp", "timestamptz", "interval", "uuid", "jsonb", "bytea", "inet", "cidr",
	"host", "masklen", "network", "family", "macaddr", "oid", "regclass", "regtype", "regproc", "to_regclass",
	"to_regtype", "to_regproc", "to_regnamespace", "to_regrole", "xmlparse", "xmlserialize", "xmlelement",
	"xmlforest", "xmlconcat", "xmlattributes", "xmlroot", "xpath", "xpath_exists", "xml_is_well_formed",
	"xmlexists", "xmltable", "xmltext", "xmlcomment", "xmlpi", "enum_first", "enum_last", "enum_range",
	"grouping",
	// Harmless session and catalog information.
	"current_user", "session_user", "current_role", "current_catalog", "current_database", "current_schema",
	"current_schemas", "current_setting", "version", "pg_typeof", "pg_backend_pid", "pg_postmaster_start_time",
	"pg_conf_load_time", "pg_is_in_recovery", "inet_client_addr", "inet_server_addr", "format_type",
	"obj_description", "col_description", "shobj_description", "pg_get_userbyid", "pg_get_viewdef",
	"pg_get_indexdef", "pg_get_constraintdef", "pg_get_triggerdef", "pg_get_functiondef",
	"pg_get_function_arguments", "pg_get_function_result", "pg_get_function_identity_arguments", "pg_get_expr",
	"pg_get_serial_sequence", "pg_table_is_visible", "pg_type_is_visible", "pg_function_is_visible",
	"pg_column_size", "pg_relation_size", "pg_table_size", "pg_indexes_size", "pg_total_relation_size",
	"pg_database_size", "pg_size_pretty", "pg_size_bytes", "pg_encoding_to_char", "pg_char_to_encoding",
	"pg_client_encoding", "pg_input_is_valid", "pg_input_error_info", "has_table_privilege",
	"has_column_privilege", "has_schema_privilege", "has_database_privilege", "has_function_privilege",
	"has_sequence_privilege", "pg_has_role", "row_security_active", "pg_get_keywords",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// notNames are PostgreSQL's reserved keywords and column-name keywords.
// Written unquoted they are never a function name: before '(' they are
// syntax (IN (…), EXISTS (…), VALUES (…), numeric(10, 2)) or a built-in
// construct the grammar handles itself (COALESCE, EXTRACT, SUBSTRING…).
var notNames = setOf(
	// reserved_keyword
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast",
	"check", "collate", "column", "constraint", "create", "current_catalog", "current_date", "current_role",
	"current_time", "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do",
	"else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in",
	"initially", "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
	"null", "offset", "on", "only", "or", "order", "placing", "primary", "references", "returning", "select",
	"session_user", "some", "symmetric", "system_user", "table", "then", "to", "trailing", "true", "union",
	"unique", "user", "using", "variadic", "when", "where", "window", "with",
	// col_name_keyword
	"between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec", "decimal", "exists",
	"extract", "float", "greatest", "grouping", "inout", "int", "integer", "interval", "json", "json_array",
	"json_arrayagg", "json_exists", "json_object", "json_objectagg", "json_query", "json_scalar",
	"json_serialize", "json_table", "json_value", "least", "merge_action", "national", "nchar", "none",
	"normalize", "nullif", "numeric", "out", "overlay", "position", "precision", "real", "row", "setof",
	"smallint", "substring", "time", "timestamp", "treat", "trim", "values", "varchar", "xmlattributes",
	"xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot",
	"xmlserialize", "xmltable",
)

// isName reports whether t can name a function: a quoted identifier or an
// unquoted word that is not a reserved or column-name keyword.
func isName(t token) bool {
	return t.kind == kQIdent || (t.kind == kWord && !notNames[t.text])
}

// cteNames returns the indexes of the names that open a WITH query with a
// column list, "t(n) AS (…)": those parentheses are not a call.
func cteNames(toks []token) map[int]bool {
	out := map[int]bool{}
	for i, t := range toks {
		if !t.word("with") {
			continue
		}
		j := i + 1
		if j < len(toks) && toks[j].word("recursive") {
			j++
		}
		for j+1 < len(toks) && isName(toks[j]) {
			k := j + 1
			cols := toks[k].punct("(")
			if cols {
				if k = matching(toks, k); k < 0 {
					break
				}
				k++
			}
			if k >= len(toks) || !toks[k].word("as") {
				break
			}
			k++
			if k < len(toks) && toks[k].word("not") {
				k++
			}
			if k < len(toks) && toks[k].word("materialized") {
				k++
			}
			if k >= len(toks) || !toks[k].punct("(") {
				break
			}
			out[j] = cols
			// Skip the query and any SEARCH/CYCLE clause to the next ','.
			k = matching(toks, k)
			// The main statement starts with '(' or one of mainStarts.
			for k >= 0 && k < len(toks) && !toks[k].punct(",") && !toks[k].punct("(") &&
				!(toks[k].kind == kWord && mainStarts[toks[k].text]) {
				k++
			}
			if k < 0 || k >= len(toks) || !toks[k].punct(",") {
				break
			}
			j = k + 1
		}
	}
	return out
}

// mainStarts begin the statement after a WITH list.
var mainStarts = setOf("select", "values", "table", "insert", "update", "delete", "merge")

// checkFunctions refuses every function call that is not on the allow-list.
// A call is a name (unquoted, quoted or U&-quoted, possibly qualified)
// directly followed by '(' where PostgreSQL would parse a function call;
// names followed by '(' that are not calls are a WITH query's column list,
// a table alias's column list (after AS, after FROM/JOIN t, or right after
// an expression), a type's modifiers (after :: or CAST … AS) and a
// TABLESAMPLE method.
func checkFunctions(toks []token) error {
	ctes := cteNames(toks)
	for i := 0; i+1 < len(toks); i++ {
		t := toks[i]
		if !isName(t) || !toks[i+1].punct("(") || ctes[i] {
			continue
		}
		// The qualified name is toks[start..i].
		start := i
		for start >= 2 && toks[start-1].punct(".") && isName(toks[start-2]) {
			start -= 2
		}
		if start > 0 && notCall(toks, start) {
			continue
		}
		if t.word("varying") && start > 0 && (toks[start-1].word("character") || toks[start-1].word("char") || toks[start-1].word("bit")) {
			continue // character varying(10)
		}
		name := t.text
		if t.kind == kWord {
			name = lowerASCII(name)
		}
		if start < i {
			q := toks[start]
			if start+2 != i || !(q.word("pg_catalog") || q.is(kQIdent, "pg_catalog")) {
				var parts []string
				for k := start; k <= i; k += 2 {
					parts = append(parts, toks[k].text)
				}
				return fmt.Errorf("it calls %s(), a function outside pg_catalog: read-only mode allows only built-in functions known not to write (a user-defined or extension function may change data); %s", strings.Join(parts, "."), outside)
			}
		}
		if !allowedFunctions[name] || (t.kind == kQIdent && notNames[name]) {
			// A quoted keyword ("coalesce") is not the grammar's construct
			// but a lookup of a function by that name, maybe a user's.
			return fmt.Errorf("it calls %s(), which is not on the read-only allow-list of built-in functions known not to write (a user-defined, extension or built-in function with side effects may change data or run SQL given as text); %s", name, outside)
		}
	}
	return nil
}

// outside tells how to run a refused call.
const outside = "to run it, the server must be started without --read-only"

// notCall reports whether the name starting at toks[start] is in a place
// where PostgreSQL does not parse name(…) as a function call.
func notCall(toks []token, start int) bool {
	p := toks[start-1]
	switch {
	case p.punct(")"), p.punct("]"), p.kind == kString, p.kind == kNumber, p.kind == kParam:
		return true // after an expression: an alias's column list
	case p.word("as"):
		return true // AS alias(cols), CAST(x AS numeric(10, 2))
	case p.word("into"):
		return true // EXPLAIN INSERT INTO t (cols); SELECT … INTO is refused anyway
	case p.word("tablesample"):
		return true
	case p.word("not") && start >= 2 && toks[start-2].word("as") && toks[start].word("materialized"):
		return true // WITH x AS NOT MATERIALIZED (…)
	case p.punct(":") && start >= 2 && toks[start-2].punct(":"):
		return true // x::numeric(10, 2)
	case isName(p) && start >= 2 && (toks[start-2].word("from") || toks[start-2].word("join")):
		return true // FROM t alias(cols)
	}
	return false
}
