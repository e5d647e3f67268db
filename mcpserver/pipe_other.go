//go:build !linux

package mcpserver

import "io"

// pipeBacklog is unknown here.
func pipeBacklog(io.Writer) func() int { return nil }
