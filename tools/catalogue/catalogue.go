// Package catalogue lists every toolset and every tool of insforge-mcp,
// each exactly once. A tool is a constructor in the package of its toolset
// (tools/storage, tools/deployments, …); its place in this list gives it
// its toolset, its row in the README table and its snapshot file.
package catalogue

import (
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/advisor"
	"github.com/insforge-mcp/insforge-mcp/tools/deployments"
)

// toolset is one toolset's declaration and its tools, in README order.
type toolset struct {
	tools.ToolsetInfo
	tools []func() tools.Tool
}

func catalogue() []toolset {
	return []toolset{
		{info(tools.Project, "Connect a session to an InsForge project (the credential gate).", true), legacy(tools.Project)},
		{info(tools.Metadata, "Read the live project: metadata, one table's schema, the anon key.", true), legacy(tools.Metadata)},
		{info(tools.Docs, "Read the embedded InsForge docs and SDK guides.", true), legacy(tools.Docs)},
		{info(tools.Database, "SQL, tables, records, indexes, policies, triggers, functions and migrations.", true), legacy(tools.Database)},
		{info(tools.Auth, "Auth settings, users, OAuth providers, SMTP and email templates.", true), legacy(tools.Auth)},
		{info(tools.Storage, "Buckets and objects: create, list, upload, download, delete.", true), legacy(tools.Storage)},
		{info(tools.Functions, "Deno edge functions: create, update, deploy, invoke, delete.", true), legacy(tools.Functions)},
		{info(tools.Realtime, "Realtime channels, messages and their settings.", true), legacy(tools.Realtime)},
		{info(tools.AI, "The AI gateway: models and their configuration.", true), legacy(tools.AI)},
		{info(tools.Logs, "Container logs, audit logs and their statistics.", true), legacy(tools.Logs)},
		{info(tools.Secrets, "Project secrets and API key rotation.", true), legacy(tools.Secrets)},
		{info(tools.Schedules, "Cron schedules that call functions or URLs, and their runs.", true), legacy(tools.Schedules)},
		{info(tools.Advisor, "Security and performance advisor scans and their issues.", true), []func() tools.Tool{advisor.StartScan, advisor.LatestScan, advisor.ListIssues}},
		{info(tools.Template, "Starter app templates wired to the project.", true), legacy(tools.Template)},
		{info(tools.Deployments, "Frontend hosting: deploy a folder, follow builds, domains.", true), []func() tools.Tool{
			deployments.Create, deployments.Start, deployments.List, deployments.Get, deployments.Sync,
			deployments.Cancel, deployments.GetMetadata, deployments.ListEnvVars, deployments.GetEnvVar,
			deployments.SetEnvVars, deployments.DeleteEnvVar, deployments.ListCustomDomains, deployments.AddCustomDomain,
			deployments.VerifyCustomDomain, deployments.RemoveCustomDomain, deployments.SetProjectSlug,
		}},
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
