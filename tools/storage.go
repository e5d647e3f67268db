package tools

// storageTools is filled in by its toolset's issue.
func storageTools() []Tool { return nil }
