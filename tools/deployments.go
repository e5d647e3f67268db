package tools

// deploymentsTools is filled in by its toolset's issue.
func deploymentsTools() []Tool { return nil }
