package database

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// Records tools: rows through the backend's PostgREST proxy
// (/api/database/records/{table}). The admin key is exchanged for a
// project_admin token, so RLS is bypassed.

const (
	defaultRecordLimit = 100
	maxRecordLimit     = 1000
	// recordRetries and recordRetryWait: right after DDL, PostgREST answers
	// 404 until it has reloaded its schema cache (about a second).
	recordRetries   = 3
	recordRetryWait = 400 * time.Millisecond
)

// QueryRecordsInput are the arguments of query-records.
type QueryRecordsInput struct {
	Table   string            `json:"table" jsonschema:"required,minLength=1" jsonschema_description:"From list-tables."`
	Select  string            `json:"select,omitempty" jsonschema_description:"PostgREST select; embed via a foreign key: \"id,author:users(name)\"."`
	Filters map[string]string `json:"filters,omitempty" jsonschema_description:"Column to PostgREST op.value: {\"age\":\"gte.18\",\"id\":\"in.(1,2)\",\"x\":\"is.null\",\"s\":\"not.eq.b\"}. Keys or/and take (a.eq.1,b.gt.2), also for two conditions on one column."`
	Order   string            `json:"order,omitempty" jsonschema_description:"\"col.asc,col2.desc\"; give one when paging."`
	Limit   int               `json:"limit,omitempty" jsonschema:"minimum=1,maximum=1000,default=100" jsonschema_description:"Rows per page."`
	Offset  int               `json:"offset,omitempty" jsonschema:"minimum=0" jsonschema_description:"Rows to skip, for paging."`
	Schema  string            `json:"schema,omitempty" jsonschema_description:"Postgres schema."`
}

// InsertRecordsInput are the arguments of insert-records.
type InsertRecordsInput struct {
	Table   string           `json:"table" jsonschema:"required,minLength=1" jsonschema_description:"From list-tables."`
	Records []map[string]any `json:"records" jsonschema:"required,minItems=1" jsonschema_description:"Column-to-value objects, all with the same keys; omit id, created_at, updated_at."`
	Schema  string           `json:"schema,omitempty" jsonschema_description:"Postgres schema."`
}

// UpdateRecordsInput are the arguments of update-records.
type UpdateRecordsInput struct {
	Table   string            `json:"table" jsonschema:"required,minLength=1" jsonschema_description:"From list-tables."`
	Filters map[string]string `json:"filters" jsonschema:"required" jsonschema_description:"As in query-records, e.g. {\"id\":\"eq.<id>\"}; {} needs allRows."`
	Values  map[string]any    `json:"values" jsonschema:"required" jsonschema_description:"Column to new value."`
	AllRows bool              `json:"allRows,omitempty" jsonschema_description:"Allow empty filters: every row."`
	Schema  string            `json:"schema,omitempty" jsonschema_description:"Postgres schema."`
}

// DeleteRecordsInput are the arguments of delete-records.
type DeleteRecordsInput struct {
	Table   string            `json:"table" jsonschema:"required,minLength=1" jsonschema_description:"From list-tables."`
	Filters map[string]string `json:"filters" jsonschema:"required" jsonschema_description:"As in query-records, e.g. {\"id\":\"eq.<id>\"}; {} needs allRows."`
	AllRows bool              `json:"allRows,omitempty" jsonschema_description:"Allow empty filters: every row."`
	Schema  string            `json:"schema,omitempty" jsonschema_description:"Postgres schema."`
}

// QueryRecords is query-records.
func QueryRecords() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "query-records",
		Title:       "Query rows",
		Hints:       tools.Read,
		Description: "Read rows with PostgREST filters, select, order and paging. Runs as admin: RLS hides nothing.",
	}, queryRecords)
}

// InsertRecords is insert-records.
func InsertRecords() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "insert-records",
		Title:       "Insert rows",
		Hints:       tools.Create,
		Description: "Insert rows and get them back as stored. A unique violation (409) fails the whole call. For files use bulk-upsert.",
	}, insertRecords)
}

// UpdateRecords is update-records.
func UpdateRecords() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "update-records",
		Title:       "Update rows",
		Hints:       tools.Change,
		Description: "Set values on the rows matching PostgREST filters and get the updated rows back.",
	}, updateRecords)
}

// DeleteRecords is delete-records.
func DeleteRecords() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "delete-records",
		Title:       "Delete rows",
		Hints:       tools.Remove,
		Description: "Delete the rows matching PostgREST filters, irreversibly, and get them back.",
	}, deleteRecords)
}

func queryRecords(ctx context.Context, env *tools.Env, in QueryRecordsInput) (*tools.Result, error) {
	limit, err := tools.CheckPage(in.Limit, defaultRecordLimit, maxRecordLimit, in.Offset, "; page through bigger results with offset")
	if err != nil {
		return nil, err
	}
	q, err := filterQuery(in.Filters)
	if err != nil {
		return nil, err
	}
	if in.Select != "" {
		q.Set("select", in.Select)
	}
	if in.Order != "" {
		q.Set("order", in.Order)
	}
	q.Set("limit", strconv.Itoa(limit))
	if in.Offset > 0 {
		q.Set("offset", strconv.Itoa(in.Offset))
	}
	if in.Schema != "" {
		q.Set("schema", in.Schema)
	}
	rows, resp, err := recordRows(ctx, env, in.Table, in.Schema, insforge.Request{
		Method: http.MethodGet, Query: q, Header: http.Header{"Prefer": {"count=exact"}},
	})
	if err != nil {
		return nil, err
	}
	total, ok := resp.Total()
	if !ok {
		total = -1
	}
	name := tools.OrPublic(in.Schema) + "." + in.Table
	n := len(rows)
	var summary string
	switch {
	case n == 0 && total >= 0 && in.Offset > 0 && in.Offset >= total:
		summary = fmt.Sprintf("No rows at offset %d: %s match in %s.", in.Offset, tools.Plural(total, "row"), name)
	case n == 0:
		summary = fmt.Sprintf("No rows match in %s.", name)
	case total >= 0:
		summary = fmt.Sprintf("Rows %d-%d of %d from %s.", in.Offset+1, in.Offset+n, total, name)
	default:
		summary = fmt.Sprintf("%s from %s (the total count was not reported).", tools.Plural(n, "row"), name)
	}
	data := map[string]any{"rows": rows, "offset": in.Offset, "limit": limit}
	if total >= 0 {
		data["total"] = total
	}
	r := tools.Found(summary, data)
	if n > 0 {
		next := -1
		if (total >= 0 && in.Offset+n < total) || (total < 0 && n == limit) {
			next = in.Offset + n
		}
		r.Page = &tools.Page{Field: "rows", Offset: in.Offset, Next: next, More: func(next int) string {
			switch {
			case next >= 0:
				return fmt.Sprintf("Next page: call query-records again with offset %d (same filters and order).", next)
			case total >= 0:
				return "This is the last page."
			}
			return ""
		}}
	}
	return r, nil
}

func insertRecords(ctx context.Context, env *tools.Env, in InsertRecordsInput) (*tools.Result, error) {
	if len(in.Records) == 0 {
		return nil, tools.Errorf("records must contain at least one object")
	}
	keys := slices.Sorted(maps.Keys(in.Records[0]))
	for i, r := range in.Records[1:] {
		if other := slices.Sorted(maps.Keys(r)); !slices.Equal(keys, other) {
			return nil, tools.Errorf("records 1 and %d have different keys (%s vs %s): every record in one call must have the same keys (PostgREST takes the columns from the first one). "+
				"Add the missing keys with null or split the records into separate calls. Nothing was inserted.", i+2, keyList(keys), keyList(other))
		}
	}
	q := url.Values{}
	if in.Schema != "" {
		q.Set("schema", in.Schema)
	}
	rows, _, err := recordRows(ctx, env, in.Table, in.Schema, insforge.Request{
		Method: http.MethodPost, Query: q, Body: in.Records,
		Header: http.Header{"Prefer": {"return=representation"}},
	})
	if err != nil {
		return nil, err
	}
	return tools.Found(fmt.Sprintf("Inserted %s into %s.%s.", tools.Plural(len(rows), "row"), tools.OrPublic(in.Schema), in.Table),
		map[string]any{"rows": rows}), nil
}

func updateRecords(ctx context.Context, env *tools.Env, in UpdateRecordsInput) (*tools.Result, error) {
	if len(in.Filters) == 0 && !in.AllRows {
		return nil, tools.Errorf("filters is empty, which would update every row of %s. Give filters such as {\"id\":\"eq.<id>\"}, or set allRows to true if the user really wants every row changed. Nothing was updated.", in.Table)
	}
	if len(in.Values) == 0 {
		return nil, tools.Errorf("values is empty: give the columns to set, such as {\"status\":\"done\"}. Nothing was updated.")
	}
	return changeRows(ctx, env, in.Table, in.Schema, in.Filters, http.MethodPatch, in.Values, "Updated %s in %s.", "updated")
}

func deleteRecords(ctx context.Context, env *tools.Env, in DeleteRecordsInput) (*tools.Result, error) {
	if len(in.Filters) == 0 && !in.AllRows {
		return nil, tools.Errorf("filters is empty, which would delete every row of %s. Give filters such as {\"id\":\"eq.<id>\"}, or set allRows to true if the user really wants the table emptied. Nothing was deleted.", in.Table)
	}
	return changeRows(ctx, env, in.Table, in.Schema, in.Filters, http.MethodDelete, nil, "Deleted %s from %s.", "deleted")
}

// changeRows updates (PATCH with values) or deletes the rows matching
// filters and reports the rows the backend returns; doneFormat takes the
// row count and the table.
func changeRows(ctx context.Context, env *tools.Env, table, schema string, filters map[string]string, method string, values any, doneFormat, verb string) (*tools.Result, error) {
	q, err := filterQuery(filters)
	if err != nil {
		return nil, err
	}
	if schema != "" {
		q.Set("schema", schema)
	}
	req := insforge.Request{Method: method, Query: q, Header: http.Header{"Prefer": {"return=representation"}}}
	if values != nil {
		req.Body = values
	}
	rows, _, err := recordRows(ctx, env, table, schema, req)
	if err != nil {
		return nil, err
	}
	name := tools.OrPublic(schema) + "." + table
	summary := fmt.Sprintf(doneFormat, tools.Plural(len(rows), "row"), name)
	if len(rows) == 0 {
		summary = fmt.Sprintf("No row of %s matched the filters; nothing was %s.", name, verb)
	}
	return tools.Found(summary, map[string]any{"rows": rows}), nil
}

// recordRows sends req to table's records route and decodes the rows the
// backend answers, [] when it answers none. A "no such table" 404 is
// retried recordRetries times, for any method: right after DDL PostgREST
// answers it until its schema cache has reloaded. If the table is still
// missing after that, the error says so and what to do.
func recordRows(ctx context.Context, env *tools.Env, table, schema string, req insforge.Request) ([]any, *insforge.Response, error) {
	req.Path = "/api/database/records/" + url.PathEscape(table)
	req.Retries = recordRetries
	req.RetryWait = recordRetryWait
	req.RetryIf = tableMissing
	rows, resp, err := insforge.Call[[]any](ctx, env.Client, req)
	if err != nil {
		var ae *insforge.Error
		if !errors.As(err, &ae) || !tableMissing(ae) {
			return nil, nil, err
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		msg := fmt.Sprintf("Table %q not found in schema %s (if it was just created, PostgREST may still be reloading its schema cache: retry in a second; list-tables shows the tables).", table, tools.OrPublic(schema))
		if strings.TrimSpace(ae.Hint) != "" {
			msg += " PostgREST's hint is below."
		}
		return nil, nil, tools.QuotedErrorf(ae.Hint, "%s", msg)
	}
	return tools.OrEmpty(rows), resp, nil
}

// tableMissing reports whether e is the records proxy's "no such table"
// 404: an empty {} body, PGRST205 or 42P01.
func tableMissing(e *insforge.Error) bool {
	if e.Status != http.StatusNotFound || e.NotJSON {
		return false
	}
	switch e.Code {
	case "", "PGRST205", "42P01":
		return true
	}
	return false
}

// filterOperators are PostgREST's filter operators.
var filterOperators = map[string]bool{
	"eq": true, "neq": true, "gt": true, "gte": true, "lt": true, "lte": true,
	"like": true, "ilike": true, "match": true, "imatch": true, "is": true, "isdistinct": true,
	"in": true, "cs": true, "cd": true, "ov": true, "sl": true, "sr": true, "nxr": true, "nxl": true,
	"adj": true, "fts": true, "plfts": true, "phfts": true, "wfts": true,
}

// reservedParams are query parameters PostgREST (or the proxy) does not
// treat as column filters.
var reservedParams = map[string]bool{
	"select": true, "order": true, "limit": true, "offset": true, "on_conflict": true, "columns": true, "schema": true,
}

// filterQuery checks filters and turns them into query parameters.
func filterQuery(filters map[string]string) (url.Values, error) {
	q := url.Values{}
	for _, key := range slices.Sorted(maps.Keys(filters)) {
		val := filters[key]
		lk := strings.ToLower(strings.TrimSpace(key))
		switch {
		case lk == "":
			return nil, tools.Errorf("a filter has an empty column name")
		case reservedParams[lk]:
			return nil, tools.Errorf("filter key %q is a PostgREST parameter, not a column: use the select, order, limit or offset arguments instead (a column with that name can only be filtered with run-raw-sql)", key)
		case lk == "or" || lk == "and" || lk == "not.or" || lk == "not.and":
			v := strings.TrimSpace(val)
			if !strings.HasPrefix(v, "(") || !strings.HasSuffix(v, ")") {
				return nil, tools.Errorf("filter %q takes a parenthesised list of column.operator.value conditions, such as \"(status.eq.active,age.gte.18)\"; got %q", key, val)
			}
		default:
			if !validFilterValue(val) {
				return nil, tools.Errorf("filter %q: %q is not PostgREST filter syntax. Write operator.value, for example \"eq.active\", \"gte.18\", \"in.(a,b)\", \"is.null\", \"ilike.*text*\" or \"not.eq.x\"", key, val)
			}
		}
		q.Set(key, val)
	}
	return q, nil
}

func validFilterValue(v string) bool {
	op, rest, ok := strings.Cut(v, ".")
	if !ok {
		return false
	}
	if op == "not" {
		if op, _, ok = strings.Cut(rest, "."); !ok {
			return false
		}
	}
	if i := strings.IndexByte(op, '('); i > 0 && strings.HasSuffix(op, ")") {
		op = op[:i] // eq(any), fts(english)
	}
	return filterOperators[op]
}

func keyList(keys []string) string {
	if len(keys) == 0 {
		return "no keys"
	}
	return strings.Join(keys, ", ")
}
