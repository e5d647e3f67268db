// Command floor is the bare mcp-go stdio server the benchmark driver
// measures as the startup-memory floor: one trivial tool, no catalogue, no
// gate, no resources. Whatever insforge-mcp holds above this process's RSS
// is its own; below it, nothing built on mcp-go can go.
//
// The driver builds it with the flags of our release binary
// (CGO_ENABLED=0 -trimpath -ldflags "-s -w"). The tool is named
// get-backend-metadata so that the driver's sequence (tools/list, then
// tools/call of that tool) runs unchanged; it answers a constant.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func main() {
	s := server.NewMCPServer("floor", "0.0.0", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("get-backend-metadata", mcp.WithDescription("Returns a constant.")),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(`{"ok":true}`), nil
		})
	if err := server.ServeStdio(s); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}
