// Package catalogue lists every toolset and every tool of insforge-mcp,
// each exactly once. A tool is a constructor in the package of its toolset
// (tools/storage, tools/deployments, …); its place in this list gives it
// its toolset, its row in the README table and its snapshot file
// (testdata/tools/<name>.json).
package catalogue

import (
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/advisor"
	"github.com/insforge-mcp/insforge-mcp/tools/ai"
	"github.com/insforge-mcp/insforge-mcp/tools/auth"
	"github.com/insforge-mcp/insforge-mcp/tools/database"
	"github.com/insforge-mcp/insforge-mcp/tools/deployments"
	"github.com/insforge-mcp/insforge-mcp/tools/discovery"
	"github.com/insforge-mcp/insforge-mcp/tools/docs"
	"github.com/insforge-mcp/insforge-mcp/tools/functions"
	"github.com/insforge-mcp/insforge-mcp/tools/logs"
	"github.com/insforge-mcp/insforge-mcp/tools/metadata"
	"github.com/insforge-mcp/insforge-mcp/tools/project"
	"github.com/insforge-mcp/insforge-mcp/tools/realtime"
	"github.com/insforge-mcp/insforge-mcp/tools/schedules"
	"github.com/insforge-mcp/insforge-mcp/tools/secrets"
	"github.com/insforge-mcp/insforge-mcp/tools/storage"
	"github.com/insforge-mcp/insforge-mcp/tools/template"
)

// toolset is one toolset's declaration and its tools, in README order.
type toolset struct {
	tools.ToolsetInfo
	tools []func() tools.Tool
}

func catalogue() []toolset {
	return []toolset{{
		ToolsetInfo: info(tools.Project, "Connect to a project; find and run any tool by name.", true),
		tools:       list(project.Connect, project.Disconnect, discovery.FindTools, discovery.CallTool),
	}, {
		ToolsetInfo: info(tools.Metadata, "Read the live project: metadata, one table's schema, the anon key.", true),
		tools:       list(metadata.Backend, metadata.TableSchema, metadata.AnonKey),
	}, {
		ToolsetInfo: info(tools.Docs, "InsForge documentation and SDK guides.", true),
		tools:       list(docs.Fetch, docs.FetchSDK),
	}, {
		ToolsetInfo: info(tools.Database, "SQL, tables, records, indexes, policies, triggers, functions and migrations.", true),
		tools: list(
			database.RunRawSQL, database.RunUnrestrictedSQL,
			database.ListTables, database.CreateTable, database.AlterTable, database.DeleteTable,
			database.QueryRecords, database.InsertRecords, database.UpdateRecords, database.DeleteRecords, database.BulkUpsert,
			database.ListFunctions, database.ListIndexes, database.ListPolicies, database.ListTriggers,
			database.ListMigrations, database.ApplyMigration, database.DryRunMigration,
		),
	}, {
		ToolsetInfo: info(tools.Auth, "Auth settings, users, OAuth providers, SMTP and email templates.", true),
		tools: list(
			auth.Config, auth.PublicConfig, auth.UpdateConfig,
			auth.ListUsers, auth.User, auth.CreateUser, auth.DeleteUsers,
			auth.ListOAuthProviders, auth.OAuthProvider, auth.CreateOAuthProvider, auth.UpdateOAuthProvider, auth.DeleteOAuthProvider,
			auth.SMTPConfig, auth.UpdateSMTPConfig, auth.ListEmailTemplates, auth.UpdateEmailTemplate,
		),
	}, {
		ToolsetInfo: info(tools.Storage, "Buckets and objects: create, list, upload, download, delete.", true),
		tools: list(
			storage.ListBuckets, storage.CreateBucket, storage.UpdateBucket, storage.DeleteBucket,
			storage.ListObjects, storage.UploadObject, storage.DownloadObject, storage.DeleteObjects, storage.ObjectURL,
		),
	}, {
		ToolsetInfo: info(tools.Functions, "Deno edge functions: code, create, update, invoke, delete.", true),
		tools:       list(functions.List, functions.Get, functions.Create, functions.Update, functions.Delete, functions.Invoke),
	}, {
		ToolsetInfo: info(tools.Realtime, "Realtime channel patterns, events, the message log and its retention.", true),
		tools: list(
			realtime.ListChannels, realtime.Channel, realtime.CreateChannel, realtime.UpdateChannel, realtime.DeleteChannel,
			realtime.PublishEvent, realtime.ListMessages, realtime.DeleteMessages, realtime.MessageStats,
			realtime.Permissions, realtime.Config, realtime.UpdateConfig,
		),
	}, {
		ToolsetInfo: info(tools.AI, "The AI gateway: models, usage and spend, key status.", true),
		tools:       list(ai.ListModels, ai.Overview, ai.Config),
	}, {
		ToolsetInfo: info(tools.Logs, "Log sources, recent entries, search, function build logs.", true),
		tools:       list(logs.ListSources, logs.ContainerLogs, logs.Search, logs.FunctionBuildLogs),
	}, {
		ToolsetInfo: info(tools.Secrets, "Project secrets, and rotation of the admin and anon keys.", true),
		tools: list(
			secrets.List, secrets.Get, secrets.Create, secrets.Update, secrets.Delete,
			secrets.RotateAPIKey, secrets.RotateAnonKey,
		),
	}, {
		ToolsetInfo: info(tools.Schedules, "Cron schedules that call a URL, and their runs.", true),
		tools:       list(schedules.List, schedules.Get, schedules.Create, schedules.Update, schedules.Delete, schedules.Logs),
	}, {
		ToolsetInfo: info(tools.Advisor, "Database advisor scans: security, performance and health issues.", true),
		tools:       list(advisor.StartScan, advisor.LatestScan, advisor.ListIssues),
	}, {
		ToolsetInfo: info(tools.Template, "The command that creates a starter app wired to the project.", true),
		tools:       list(template.Download),
	}, {
		ToolsetInfo: info(tools.Deployments, "Frontend hosting: deploy a folder, builds, site env vars, custom domains.", true),
		tools: list(
			deployments.Create, deployments.Start, deployments.List, deployments.Get, deployments.Sync, deployments.Cancel,
			deployments.GetMetadata, deployments.ListEnvVars, deployments.GetEnvVar, deployments.SetEnvVars, deployments.DeleteEnvVar,
			deployments.ListCustomDomains, deployments.AddCustomDomain, deployments.VerifyCustomDomain, deployments.RemoveCustomDomain,
			deployments.SetProjectSlug,
		),
	}}
}

func info(id tools.Toolset, description string, byDefault bool) tools.ToolsetInfo {
	return tools.ToolsetInfo{ID: id, Description: description, Default: byDefault}
}

func list(constructors ...func() tools.Tool) []func() tools.Tool { return constructors }

// Toolsets declares every toolset, in README order.
func Toolsets() []tools.ToolsetInfo {
	sets := catalogue()
	out := make([]tools.ToolsetInfo, len(sets))
	for i, s := range sets {
		out[i] = s.ToolsetInfo
	}
	return out
}

// All returns every tool, opt-in ones included, toolset by toolset.
func All() []tools.Tool {
	var all []tools.Tool
	for _, set := range catalogue() {
		for _, newTool := range set.tools {
			t := newTool()
			t.Toolset = set.ID
			all = append(all, t)
		}
	}
	return all
}

// Default lists the tools of the default surface: the tools the official
// server (@insforge/mcp 1.2.11) lists over stdio. The project toolset
// (connect, disconnect, find-tools, call-tool) is listed with them; every
// other tool is one find-tools away.
func Default() []string {
	return []string{
		"fetch-docs", "fetch-sdk-docs", "get-anon-key", "get-table-schema", "get-backend-metadata",
		"run-raw-sql", "download-template", "bulk-upsert", "create-bucket", "list-buckets",
		"delete-bucket", "create-function", "get-function", "update-function", "delete-function",
		"get-container-logs", "create-deployment",
	}
}

// New returns the whole catalogue.
func New() tools.Catalogue {
	return tools.Catalogue{Toolsets: Toolsets(), Tools: All(), Default: Default()}
}

// Select returns the surface a server with this selection serves.
func Select(sel tools.Selection) (*tools.Surface, error) {
	return New().Select(sel)
}

// Full is the surface that lists every tool, opt-in ones included: for
// tests and benchmarks that exercise the whole catalogue.
func Full() *tools.Surface {
	s, err := Select(tools.Selection{Toolsets: []string{"all"}, Features: []tools.Feature{tools.UnrestrictedSQL}})
	if err != nil {
		panic(err) // the catalogue's own names: a programming error
	}
	return s
}
