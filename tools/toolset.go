package tools

// Toolset names a group of tools, by backend module; --toolsets selects
// among them.
type Toolset string

// The toolsets. Project (the credential gate) is always served.
const (
	Project     Toolset = "project"
	Metadata    Toolset = "metadata"
	Docs        Toolset = "docs"
	Database    Toolset = "database"
	Auth        Toolset = "auth"
	Storage     Toolset = "storage"
	Functions   Toolset = "functions"
	Realtime    Toolset = "realtime"
	AI          Toolset = "ai"
	Logs        Toolset = "logs"
	Secrets     Toolset = "secrets"
	Schedules   Toolset = "schedules"
	Advisor     Toolset = "advisor"
	Template    Toolset = "template"
	Deployments Toolset = "deployments"
)

// ToolsetInfo declares a toolset. --help, the README and tool search read
// these; the catalogue (package tools/catalogue) holds one per toolset.
type ToolsetInfo struct {
	ID Toolset
	// Description says in one line what the toolset's tools do.
	Description string
	// Default toolsets are served by the default preset (--toolsets
	// default): their tools are reachable through find-tools and call-tool
	// even when tools/list does not show them.
	Default bool
}
