// Package docs declares the documentation tools: the connected backend's
// own docs (/api/docs/{docType}, /api/docs/{feature}/{language}), with this
// server's embedded guides as the fallback when no project is connected or
// the backend has none.
package docs

import (
	"context"
	"fmt"
	"net/url"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/resources"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// FetchInput are the arguments of fetch-docs (official names and values).
type FetchInput struct {
	DocType string `json:"docType" jsonschema:"required,enum=instructions,enum=auth-sdk,enum=db-sdk,enum=storage-sdk,enum=functions-sdk,enum=ai-integration-sdk,enum=real-time,enum=deployment" jsonschema_description:"Start with instructions."`
}

// FetchSDKInput are the arguments of fetch-sdk-docs (official names and values).
type FetchSDKInput struct {
	SDKFeature  string `json:"sdkFeature" jsonschema:"required,enum=db,enum=storage,enum=functions,enum=auth,enum=ai,enum=realtime" jsonschema_description:"Which module."`
	SDKLanguage string `json:"sdkLanguage" jsonschema:"required,enum=typescript,enum=swift,enum=kotlin,enum=rest-api" jsonschema_description:"rest-api: plain HTTP."`
}

// topics maps the official docType and sdkFeature values to our embedded topics.
var topics = map[string]string{
	"instructions": "overview", "db-sdk": "database", "auth-sdk": "auth", "storage-sdk": "storage",
	"functions-sdk": "functions", "ai-integration-sdk": "ai", "real-time": "realtime", "deployment": "deployments",
	"db": "database", "storage": "storage", "functions": "functions", "auth": "auth", "ai": "ai", "realtime": "realtime",
}

// Fetch is fetch-docs.
func Fetch() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "fetch-docs",
		Title:       "InsForge docs",
		Access:      tools.Open,
		Hints:       tools.Read,
		Description: "How to code against InsForge and set it up.",
	}, func(ctx context.Context, env *tools.Env, in FetchInput) (*tools.Result, error) {
		return fetchDoc(ctx, env, "/api/docs/"+url.PathEscape(in.DocType), topics[in.DocType], in.DocType)
	})
}

// FetchSDK is fetch-sdk-docs.
func FetchSDK() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "fetch-sdk-docs",
		Title:       "SDK docs",
		Access:      tools.Open,
		Hints:       tools.Read,
		Description: "SDK docs for one module in one language.",
	}, func(ctx context.Context, env *tools.Env, in FetchSDKInput) (*tools.Result, error) {
		path := "/api/docs/" + url.PathEscape(in.SDKFeature) + "/" + url.PathEscape(in.SDKLanguage)
		return fetchDoc(ctx, env, path, topics[in.SDKFeature], in.SDKFeature+"/"+in.SDKLanguage)
	})
}

// fetchDoc asks the connected backend for a doc, falling back to the
// embedded guide when there is no backend or it has no such doc.
func fetchDoc(ctx context.Context, env *tools.Env, path, topic, name string) (*tools.Result, error) {
	var reason string
	if env.Client != nil {
		doc, _, err := insforge.Call[struct {
			Type    string `json:"type"`
			Content string `json:"content"`
		}](ctx, env.Client, insforge.Request{Path: path})
		if err == nil && doc.Content != "" {
			return tools.Found(fmt.Sprintf("InsForge documentation %q from %s.", name, env.Client.BaseURL()), doc.Content), nil
		}
		if err != nil {
			reason = "the backend did not provide it (" + tools.Explain(err) + ")"
		} else {
			reason = "the backend returned an empty document"
		}
	} else {
		reason = "no project is connected"
	}
	doc, ok := resources.DocFor(topic)
	if !ok {
		return nil, tools.Errorf("no documentation for %q: %s, and there is no built-in guide for it", name, reason)
	}
	return &tools.Result{
		Summary: fmt.Sprintf("Built-in guide for %q (%s; %s). Also available as the resource %s.", name, topic, reason, doc.URI()),
		Text:    doc.Body,
	}, nil
}
