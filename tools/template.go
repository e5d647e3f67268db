package tools

// templateTools is filled in by its toolset's issue.
func templateTools() []Tool { return nil }
