package insforgefake

import (
	"context"
	"strconv"
)

// The metadata module's database parts on PostgreSQL.

func (s *Server) pgDatabaseMetadata() any {
	ctx := context.Background()
	tables := []map[string]any{}
	for _, n := range s.pgTables() {
		count := 0
		if c := s.pgStrings(ctx, "SELECT count(*)::text FROM public."+quoteIdent(n)); len(c) == 1 {
			count, _ = strconv.Atoi(c[0])
		}
		tables = append(tables, map[string]any{"tableName": n, "recordCount": count})
	}
	size := 0.0
	if v := s.pgStrings(ctx, "SELECT pg_database_size(current_database())::text"); len(v) == 1 {
		b, _ := strconv.ParseFloat(v[0], 64)
		size = b / (1 << 30)
	}
	return map[string]any{"tables": tables, "totalSizeInGB": size,
		"hint": "To retrieve detailed schema information for a specific table, call the get-table-schema tool with the table name."}
}

// pgRowsOf runs a catalog query and returns its rows as orderedRows with
// keys; the bools columns are "t"/"f", NULLs null.
func (s *Server) pgRowsOf(ctx context.Context, query string, args []any, keys []string, bools ...int) []orderedRow {
	out := []orderedRow{}
	res, err := s.pg.pgRun(ctx, query, args, "postgres", false)
	if err != nil || len(res) == 0 {
		return out
	}
	for _, row := range res[0].rows {
		o := orderedRow{keys: keys, vals: make([]any, len(keys))}
		for i, v := range row {
			switch {
			case v == nil:
			case isIn(bools, i):
				o.vals[i] = string(v) == "t"
			default:
				o.vals[i] = string(v)
			}
		}
		out = append(out, o)
	}
	return out
}

func isIn(list []int, i int) bool {
	for _, x := range list {
		if x == i {
			return true
		}
	}
	return false
}

// pgExportTable is the export-style description of a public table.
func (s *Server) pgExportTable(name string) orderedRow {
	ctx := context.Background()
	args := []any{name}
	schema := s.pgRowsOf(ctx, `SELECT column_name::text, data_type::text, character_maximum_length, is_nullable::text, column_default::text
		FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`, args,
		[]string{"columnName", "dataType", "characterMaximumLength", "isNullable", "columnDefault"})
	for _, o := range schema {
		if v, ok := o.vals[2].(string); ok {
			o.vals[2], _ = strconv.ParseFloat(v, 64)
		}
	}
	indexes := s.pgRowsOf(ctx, `SELECT i.indexname::text, i.indexdef, x.indisunique, x.indisprimary FROM pg_indexes i
		JOIN pg_class c ON c.relname = i.indexname JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = i.schemaname
		JOIN pg_index x ON x.indexrelid = c.oid WHERE i.schemaname = 'public' AND i.tablename = $1 ORDER BY 1`, args,
		[]string{"indexname", "indexdef", "isUnique", "isPrimary"}, 2, 3)
	fks := []orderedRow{}
	for _, fk := range s.pgForeignKeys(ctx, "public", name) {
		fks = append(fks, fkJSON(fk))
	}
	policies := s.pgRowsOf(ctx, `SELECT policyname::text, cmd, roles::text, qual, with_check FROM pg_policies
		WHERE schemaname = 'public' AND tablename = $1 ORDER BY 1`, args, []string{"policyname", "cmd", "roles", "qual", "withCheck"})
	triggers := s.pgRowsOf(ctx, `SELECT trigger_name::text, action_timing, event_manipulation, action_orientation, action_condition, action_statement,
		action_reference_new_table::text, action_reference_old_table::text
		FROM information_schema.triggers WHERE trigger_schema = 'public' AND event_object_table = $1 ORDER BY 1, 3`, args,
		[]string{"triggerName", "actionTiming", "eventManipulation", "actionOrientation", "actionCondition", "actionStatement", "newTable", "oldTable"})
	rls := len(s.pgStrings(ctx, "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = $1 AND c.relrowsecurity", name)) > 0
	return orderedRow{
		keys: []string{"schema", "indexes", "foreignKeys", "rlsEnabled", "policies", "triggers", "rows"},
		vals: []any{schema, indexes, fks, rls, policies, triggers, []any{}},
	}
}
