package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/resources"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// addResources registers the embedded docs, the live metadata and the
// table schema template.
func (s *Server) addResources() {
	for _, d := range resources.Docs() {
		doc := d
		s.mcp.AddResource(
			mcp.NewResource(doc.URI(), "InsForge docs: "+doc.Topic,
				mcp.WithResourceDescription(doc.Title),
				mcp.WithMIMEType("text/markdown")),
			func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
				return []mcp.ResourceContents{mcp.TextResourceContents{URI: doc.URI(), MIMEType: "text/markdown", Text: doc.Body}}, nil
			})
	}
	s.mcp.AddResource(
		mcp.NewResource(resources.MetadataURI, "InsForge project metadata",
			mcp.WithResourceDescription("Live state of the connected project (tables, buckets, functions, auth, realtime), read from the backend on every request. Needs a connected project."),
			mcp.WithMIMEType("application/json")),
		func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			c, err := s.clientFor(ctx, resources.MetadataURI)
			if err != nil {
				return nil, err
			}
			text, err := resources.Metadata(ctx, c)
			if err != nil {
				return nil, s.resourceError(ctx, err)
			}
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: resources.MetadataURI, MIMEType: "application/json", Text: text}}, nil
		})
	s.mcp.AddResourceTemplate(
		mcp.NewResourceTemplate(resources.TableTemplate, "InsForge table schema",
			mcp.WithTemplateDescription("Columns, foreign keys and row count of one table of the connected project."),
			mcp.WithTemplateMIMEType("application/json")),
		func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			table, err := resources.TableFromURI(req.Params.URI)
			if err != nil {
				return nil, err
			}
			c, err := s.clientFor(ctx, req.Params.URI)
			if err != nil {
				return nil, err
			}
			text, err := resources.Table(ctx, c, table)
			if err != nil {
				return nil, s.resourceError(ctx, err)
			}
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: text}}, nil
		})
}

// clientFor returns the InsForge client of this request or an error that
// says how to connect.
func (s *Server) clientFor(ctx context.Context, uri string) (*insforge.Client, error) {
	creds, err := s.credentials(ctx)
	if err != nil {
		return nil, err
	}
	if creds = s.usable(ctx, creds); !creds.Complete() {
		return nil, fmt.Errorf("%s%s", s.refusedNote(), lockedMessage(uri, isHTTP(ctx)))
	}
	return s.cfg.Transport.Client(creds.ProjectURL, creds.APIKey), nil
}

func (s *Server) resourceError(ctx context.Context, err error) error {
	creds, _ := s.credentials(ctx)
	return fmt.Errorf("%s", credentials.RedactKeys(redact(tools.Explain(err), creds.APIKey), creds.APIKey))
}

// lockedRead refuses a resources/read of a resource that needs a project
// (the metadata, a table's schema) when the request has none, before any
// handler runs, with what to do: connect-project with the Project URL and
// API key. (A handler's error would reach the client as -32603.)
//
// The code is -32600, Invalid Request, which is what mcp-go answers for a
// request this hook refuses. It is also the right one: the request is well
// formed but not acceptable in the session's current state, which is how
// MCP implementations report such requests (a request before initialize,
// for one); the resource exists (resources/list shows it), so -32002,
// resource not found, would tell a client to stop asking for it, and
// -32603, internal error, blames the server. MCP has no code for a
// resource behind credentials, and HTTP 401 belongs to the transport's own
// authorization (--auth-token), not to the InsForge project. Over the
// 2026-07-28 streamable HTTP transport it maps to status 400.
func (s *Server) lockedRead(ctx context.Context, _ any, message any) error {
	raw, ok := message.(json.RawMessage)
	if !ok || !bytes.Contains(raw, []byte(`"resources/read"`)) {
		return nil
	}
	var req struct {
		Method string `json:"method"`
		Params struct {
			URI string `json:"uri"`
		} `json:"params"`
	}
	if json.Unmarshal(raw, &req) != nil || req.Method != "resources/read" {
		return nil
	}
	uri := req.Params.URI
	if uri != resources.MetadataURI && !strings.HasPrefix(uri, strings.TrimSuffix(resources.TableTemplate, "{table}")) {
		return nil
	}
	_, err := s.clientFor(ctx, uri)
	return err
}
