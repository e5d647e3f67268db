package tools

// aiTools is filled in by its toolset's issue.
func aiTools() []Tool { return nil }
