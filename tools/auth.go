package tools

// authTools is filled in by its toolset's issue.
func authTools() []Tool { return nil }
