package tools

func databaseTools() []Tool { return nil }
