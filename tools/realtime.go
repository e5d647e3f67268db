package tools

// realtimeTools is filled in by its toolset's issue.
func realtimeTools() []Tool { return nil }
