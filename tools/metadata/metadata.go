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
	Section string `json:"section,omitempty" jsonschema:"enum=auth,enum=database,enum=storage,enum=functions,enum=realtime" jsonschema_description:"Return only one section of the metadata instead of the whole project. Omit for everything."`
}

// TableSchemaInput are the arguments of get-table-schema.
type TableSchemaInput struct {
	TableName string `json:"tableName" jsonschema:"required,minLength=1" jsonschema_description:"Name of the table, as listed by list-tables or get-backend-metadata."`
	Schema    string `json:"schema,omitempty" jsonschema_description:"Postgres schema of the table (default public)."`
}

// Backend is get-backend-metadata.
func Backend() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "get-backend-metadata",
		Title: "Get the project's backend metadata",
		Hints: tools.Read,
		Description: "Read the current state of the InsForge project: auth settings and OAuth providers, database tables with row counts, storage buckets, edge functions, realtime channels and the backend version. " +
			"Call it first, before creating or changing anything, so you build on what exists. For one table's columns use get-table-schema.",
	}, backend)
}

// TableSchema is get-table-schema.
func TableSchema() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-table-schema",
		Title:       "Get a table's schema",
		Hints:       tools.Read,
		Description: "Read one table's columns (name, type, nullable, primary key, unique, default), foreign keys and row count. Use list-tables to find table names.",
	}, tableSchema)
}

// AnonKey is get-anon-key.
func AnonKey() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "get-anon-key",
		Title: "Get the anon key for app code",
		Hints: tools.Read,
		Description: "Get the project's anon key (anon_…): the public key that application code passes to @insforge/sdk createClient({ baseUrl, anonKey }). " +
			"Use it in frontends instead of the admin API key, which must never ship in app code.",
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
