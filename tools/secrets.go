package tools

// secretsTools is filled in by its toolset's issue.
func secretsTools() []Tool { return nil }
