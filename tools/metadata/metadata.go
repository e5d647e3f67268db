// Package metadata declares the tools that read the live project: its
// backend metadata (/api/metadata), one table's schema
// (/api/database/tables/{table}/schema) and the anon key app code uses
// (/api/metadata/anon-key).
package metadata

import (
	"context"
	"fmt"
	"net/url"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/database"
)

// BackendInput are the arguments of get-backend-metadata.
type BackendInput struct {
	Section string `json:"section,omitempty" jsonschema:"enum=auth,enum=database,enum=storage,enum=functions,enum=realtime" jsonschema_description:"Omit for all."`
}

// TableSchemaInput are the arguments of get-table-schema.
type TableSchemaInput struct {
	TableName string `json:"tableName" jsonschema:"required,minLength=1" jsonschema_description:"From list-tables."`
	Schema    string `json:"schema,omitempty" jsonschema_description:"Postgres schema."`
}

// Backend is get-backend-metadata.
func Backend() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-backend-metadata",
		Title:       "Get backend metadata",
		Hints:       tools.Read,
		Description: "Call first: the project's auth, tables, buckets, functions, realtime and version.",
	}, backend)
}

// TableSchema is get-table-schema.
func TableSchema() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-table-schema",
		Title:       "Get table schema",
		Hints:       tools.Read,
		Description: "Read a table's columns, constraints, foreign keys and row count.",
	}, tableSchema)
}

// AnonKey is get-anon-key.
func AnonKey() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-anon-key",
		Title:       "Get anon key",
		Hints:       tools.Read,
		Description: "Public anon key (anon_…) for app code's createClient({ baseUrl, anonKey }); never ship the admin key.",
	}, anonKey)
}

func backend(ctx context.Context, env *tools.Env, in BackendInput) (*tools.Result, error) {
	path := "/api/metadata"
	if in.Section != "" {
		path += "/" + url.PathEscape(in.Section)
	}
	meta, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Path: path})
	if err != nil {
		return nil, err
	}
	return tools.Found("Backend metadata of "+env.Client.BaseURL()+".", meta), nil
}

func tableSchema(ctx context.Context, env *tools.Env, in TableSchemaInput) (*tools.Result, error) {
	out, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{
		Path: "/api/database/tables/" + url.PathEscape(in.TableName) + "/schema", Query: tools.SchemaQuery(in.Schema),
	})
	if err != nil {
		return nil, database.TableNotFound(err, "Table %q does not exist in schema %s. Call list-tables to see the tables.", in.TableName, tools.OrPublic(in.Schema))
	}
	return tools.Found(fmt.Sprintf("Schema of table %s.%s.", tools.OrPublic(in.Schema), in.TableName), out), nil
}

func anonKey(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	out, _, err := insforge.Call[struct {
		AnonKey string `json:"anonKey"`
	}](ctx, env.Client, insforge.Request{Path: "/api/metadata/anon-key"})
	if err != nil {
		return nil, err
	}
	return tools.Found("The anon key is public and safe for app code: createClient({ baseUrl: \""+env.Client.BaseURL()+"\", anonKey }).",
		map[string]any{"anonKey": out.AnonKey, "baseUrl": env.Client.BaseURL()}), nil
}
