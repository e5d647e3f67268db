package tools

// Legacy returns the tools of a toolset that has not yet moved into a
// package of its own under tools/. It goes once every toolset has.
func Legacy(set Toolset) []Tool {
	switch set {
	case Deployments:
		return deploymentsTools()
	}
	return nil
}
