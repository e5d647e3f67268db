package tools

// schedulesTools is filled in by its toolset's issue.
func schedulesTools() []Tool { return nil }
