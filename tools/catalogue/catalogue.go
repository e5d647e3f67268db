// Package catalogue lists every toolset and every tool of insforge-mcp,
// each exactly once. A tool is a constructor in the package of its toolset
// (tools/storage, tools/deployments, …); its place in this list gives it
// its toolset, its row in the README table and its snapshot file.
package catalogue

import (
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/advisor"
	"github.com/insforge-mcp/insforge-mcp/tools/ai"
	"github.com/insforge-mcp/insforge-mcp/tools/auth"
	"github.com/insforge-mcp/insforge-mcp/tools/database"
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
	return []toolset{
		{info(tools.Project, "Connect a session to an InsForge project (the credential gate).", true), []func() tools.Tool{project.Connect, project.Disconnect}},
		{info(tools.Metadata, "Read the live project: metadata, one table's schema, the anon key.", true), []func() tools.Tool{metadata.Backend, metadata.TableSchema, metadata.AnonKey}},
		{info(tools.Docs, "Read the embedded InsForge docs and SDK guides.", true), []func() tools.Tool{docs.Fetch, docs.FetchSDK}},
		{info(tools.Database, "SQL, tables, records, indexes, policies, triggers, functions and migrations.", true), []func() tools.Tool{
			database.RunRawSQL, database.RunUnrestrictedSQL, database.ListTables, database.CreateTable, database.AlterTable, database.DeleteTable,
			database.QueryRecords, database.InsertRecords, database.UpdateRecords, database.DeleteRecords, database.BulkUpsert,
			database.ListFunctions, database.ListIndexes, database.ListPolicies, database.ListTriggers,
			database.ListMigrations, database.ApplyMigration, database.DryRunMigration,
		}},
		{info(tools.Auth, "Auth settings, users, OAuth providers, SMTP and email templates.", true), []func() tools.Tool{auth.Config, auth.PublicConfig, auth.UpdateConfig, auth.ListUsers, auth.User, auth.CreateUser, auth.DeleteUsers, auth.ListOAuthProviders, auth.OAuthProvider, auth.CreateOAuthProvider, auth.UpdateOAuthProvider, auth.DeleteOAuthProvider, auth.SMTPConfig, auth.UpdateSMTPConfig, auth.ListEmailTemplates, auth.UpdateEmailTemplate}},
		{info(tools.Storage, "Buckets and objects: create, list, upload, download, delete.", true), []func() tools.Tool{storage.ListBuckets, storage.CreateBucket, storage.UpdateBucket, storage.DeleteBucket, storage.ListObjects, storage.UploadObject, storage.DownloadObject, storage.DeleteObjects, storage.ObjectURL}},
		{info(tools.Functions, "Deno edge functions: create, update, deploy, invoke, delete.", true), []func() tools.Tool{functions.List, functions.Get, functions.Create, functions.Update, functions.Delete, functions.Invoke}},
		{info(tools.Realtime, "Realtime channels, messages and their settings.", true), []func() tools.Tool{realtime.ListChannels, realtime.Channel, realtime.CreateChannel, realtime.UpdateChannel, realtime.DeleteChannel, realtime.PublishEvent, realtime.ListMessages, realtime.DeleteMessages, realtime.MessageStats, realtime.Permissions, realtime.Config, realtime.UpdateConfig}},
		{info(tools.AI, "The AI gateway: models and their configuration.", true), []func() tools.Tool{ai.ListModels, ai.Overview, ai.Config}},
		{info(tools.Logs, "Container logs, audit logs and their statistics.", true), []func() tools.Tool{logs.ListSources, logs.ContainerLogs, logs.Search, logs.FunctionBuildLogs}},
		{info(tools.Secrets, "Project secrets and API key rotation.", true), []func() tools.Tool{secrets.List, secrets.Get, secrets.Create, secrets.Update, secrets.Delete, secrets.RotateAPIKey, secrets.RotateAnonKey}},
		{info(tools.Schedules, "Cron schedules that call functions or URLs, and their runs.", true), []func() tools.Tool{schedules.List, schedules.Get, schedules.Create, schedules.Update, schedules.Delete, schedules.Logs}},
		{info(tools.Advisor, "Security and performance advisor scans and their issues.", true), []func() tools.Tool{advisor.StartScan, advisor.LatestScan, advisor.ListIssues}},
		{info(tools.Template, "Starter app templates wired to the project.", true), []func() tools.Tool{template.Download}},
		{info(tools.Deployments, "Frontend hosting: deploy a folder, follow builds, domains.", true), legacy(tools.Deployments)},
	}
}

func info(id tools.Toolset, description string, byDefault bool) tools.ToolsetInfo {
	return tools.ToolsetInfo{ID: id, Description: description, Default: byDefault}
}

// legacy lists the tools of a toolset not yet in its own package.
func legacy(set tools.Toolset) []func() tools.Tool {
	var out []func() tools.Tool
	for _, t := range tools.Legacy(set) {
		out = append(out, func() tools.Tool { return t })
	}
	return out
}

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

// Select returns the tools a server with this selection serves.
func Select(sel tools.Selection) ([]tools.Tool, error) {
	return tools.Select(All(), Toolsets(), sel)
}
