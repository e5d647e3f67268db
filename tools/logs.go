package tools

// logsTools is filled in by its toolset's issue.
func logsTools() []Tool { return nil }
