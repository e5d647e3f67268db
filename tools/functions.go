package tools

// functionsTools is filled in by its toolset's issue.
func functionsTools() []Tool { return nil }
