package tools

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/insforge"
)

// BackendMetadataInput are the arguments of get-backend-metadata.
type BackendMetadataInput struct {
	Section string `json:"section,omitempty" jsonschema:"enum=auth,enum=database,enum=storage,enum=functions,enum=realtime" jsonschema_description:"Return only one section of the metadata instead of the whole project. Omit for everything."`
}

// TableSchemaInput are the arguments of get-table-schema.
type TableSchemaInput struct {
	TableName string `json:"tableName" jsonschema:"required,minLength=1" jsonschema_description:"Name of the table, as listed by list-tables or get-backend-metadata."`
	Schema    string `json:"schema,omitempty" jsonschema_description:"Postgres schema of the table (default public)."`
}

func metadataTools() []Tool {
	return []Tool{
		Define(Spec{
			Name:    "get-backend-metadata",
			Title:   "Get the project's backend metadata",
			Toolset: Metadata,
			Hints:   Read,
			Description: "Read the current state of the InsForge project: auth settings and OAuth providers, database tables with row counts, storage buckets, edge functions, realtime channels and the backend version. " +
				"Call it first, before creating or changing anything, so you build on what exists. For one table's columns use get-table-schema.",
		}, func(ctx context.Context, env *Env, in BackendMetadataInput) (*Result, error) {
			path := "/api/metadata"
			if in.Section != "" {
				path += "/" + url.PathEscape(in.Section)
			}
			var meta any
			if err := env.Client.Get(ctx, path, nil, &meta); err != nil {
				return nil, err
			}
			return Found("Backend metadata of "+env.Client.BaseURL()+".", meta), nil
		}),
		Define(Spec{
			Name:        "get-table-schema",
			Title:       "Get a table's schema",
			Toolset:     Metadata,
			Hints:       Read,
			Description: "Read one table's columns (name, type, nullable, primary key, unique, default), foreign keys and row count. Use list-tables to find table names.",
		}, func(ctx context.Context, env *Env, in TableSchemaInput) (*Result, error) {
			var out any
			err := env.Client.Get(ctx, "/api/database/tables/"+url.PathEscape(in.TableName)+"/schema", SchemaQuery(in.Schema), &out)
			if err != nil {
				return nil, notFound(err, "Table %q does not exist in schema %s. Call list-tables to see the tables.", in.TableName, OrPublic(in.Schema))
			}
			return Found(fmt.Sprintf("Schema of table %s.%s.", OrPublic(in.Schema), in.TableName), out), nil
		}),
		Define(Spec{
			Name:    "get-anon-key",
			Title:   "Get the anon key for app code",
			Toolset: Metadata,
			Hints:   Read,
			Description: "Get the project's anon key (anon_…): the public key that application code passes to @insforge/sdk createClient({ baseUrl, anonKey }). " +
				"Use it in frontends instead of the admin API key, which must never ship in app code.",
		}, func(ctx context.Context, env *Env, in NoInput) (*Result, error) {
			var out struct {
				AnonKey string `json:"anonKey"`
			}
			if err := env.Client.Get(ctx, "/api/metadata/anon-key", nil, &out); err != nil {
				return nil, err
			}
			return Found("The anon key is public and safe for app code: createClient({ baseUrl: \""+env.Client.BaseURL()+"\", anonKey }).",
				map[string]any{"anonKey": out.AnonKey, "baseUrl": env.Client.BaseURL()}), nil
		}),
	}
}

// notFound replaces the backend's "table not found" answer (404
// DATABASE_NOT_FOUND) with a message that says what to do. Other 404s on
// table routes (an unknown foreign key, a protected system column) pass
// through: they are not about the table's existence.
func notFound(err error, format string, args ...any) error {
	var ae *insforge.Error
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound && !ae.NotJSON &&
		ae.Code == "DATABASE_NOT_FOUND" && strings.HasPrefix(strings.ToLower(ae.Message), "table not found") {
		return Errorf(format, args...)
	}
	return err
}
