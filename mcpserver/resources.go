package mcpserver

import (
	"context"
	"fmt"

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
			c, err := s.clientFor(ctx)
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
			c, err := s.clientFor(ctx)
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
func (s *Server) clientFor(ctx context.Context) (*insforge.Client, error) {
	creds, err := s.credentials(ctx)
	if err != nil {
		return nil, err
	}
	if creds = s.usable(ctx, creds); !creds.Complete() {
		return nil, fmt.Errorf("%sno InsForge project is connected: ask the user for the Project URL and admin API key, call connect-project, then read this resource again", s.refusedNote())
	}
	return s.cfg.Transport.Client(creds.ProjectURL, creds.APIKey), nil
}

func (s *Server) resourceError(ctx context.Context, err error) error {
	creds, _ := s.credentials(ctx)
	return fmt.Errorf("%s", credentials.RedactKeys(redact(tools.Explain(err), creds.APIKey), creds.APIKey))
}
