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
