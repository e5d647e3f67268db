package tools

// Legacy returns the tools of a toolset that has not yet moved into a
// package of its own under tools/. It goes once every toolset has.
func Legacy(set Toolset) []Tool {
	switch set {
	case Project:
		return projectTools()
	case Metadata:
		return metadataTools()
	case Docs:
		return docsTools()
	case Database:
		return databaseTools()
	case Auth:
		return authTools()
	case Storage:
		return storageTools()
	case Functions:
		return functionsTools()
	case Realtime:
		return realtimeTools()
	case AI:
		return aiTools()
	case Logs:
		return logsTools()
	case Secrets:
		return secretsTools()
	case Schedules:
		return schedulesTools()
	case Template:
		return templateTools()
	}
	return nil
}
