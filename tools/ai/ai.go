// Package ai declares the AI toolset's tools: the Model Gateway (OpenRouter)
// catalogue (/api/ai/models), the usage overview (/api/ai/overview) and the
// self-hosted key status (/api/ai/config). The AI calls themselves are made
// by application code through @insforge/sdk. The tools never call
// /api/ai/{provider}/api-key, which answers the full key.
package ai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

const (
	defaultModelLimit = 50
	maxModelLimit     = 500
)

// ModelsInput are the arguments of list-ai-models.
type ModelsInput struct {
	InputModality  string `json:"inputModality,omitempty" jsonschema_description:"E.g. text, image, audio, file."`
	OutputModality string `json:"outputModality,omitempty" jsonschema_description:"E.g. text, image, audio, embeddings."`
	Provider       string `json:"provider,omitempty" jsonschema_description:"The id's maker prefix, e.g. openai, anthropic."`
	Search         string `json:"search,omitempty" jsonschema_description:"Case-insensitive substring of the id."`
	Limit          *int   `json:"limit,omitempty" jsonschema:"minimum=1,maximum=500,default=50" jsonschema_description:"Max models returned."`
}

// model is the part of a catalogue entry the tool returns.
type model struct {
	ID               string       `json:"id"`
	Provider         string       `json:"provider,omitempty"`
	InputModality    []string     `json:"inputModality"`
	OutputModality   []string     `json:"outputModality"`
	InputPrice       *json.Number `json:"inputPrice,omitempty"`
	OutputPrice      *json.Number `json:"outputPrice,omitempty"`
	InputPriceLabel  string       `json:"inputPriceLabel,omitempty"`
	OutputPriceLabel string       `json:"outputPriceLabel,omitempty"`
}

// credential is one masked credential of GET /api/ai/config.
type credential struct {
	Configured bool    `json:"configured"`
	MaskedKey  *string `json:"maskedKey"`
}

// ListModels is list-ai-models.
func ListModels() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-ai-models",
		Title:       "List AI models",
		Hints:       tools.Read,
		Description: "Search the OpenRouter models the AI gateway serves, with modalities and prices per million tokens. Use ids as listed; none needs enabling.",
	}, listModels)
}

// Overview is get-ai-overview.
func Overview() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-ai-overview",
		Title:       "Get AI usage and spend",
		Hints:       tools.Read,
		Description: "Read the AI gateway's credit limit, what remains and spend by period and model; for cost questions or failing AI calls.",
	}, overview)
}

// Config is get-ai-config.
func Config() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-ai-config",
		Title:       "Get AI key status",
		Hints:       tools.Read,
		Description: "Self-hosted: whether the OpenRouter API and management keys are set (shown masked). On Cloud, InsForge manages them.",
	}, config)
}

func listModels(ctx context.Context, env *tools.Env, in ModelsInput) (*tools.Result, error) {
	limit := defaultModelLimit
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > maxModelLimit {
			return nil, tools.Errorf("limit must be between 1 and %d (got %d).", maxModelLimit, *in.Limit)
		}
		limit = *in.Limit
	}
	catalogue, _, err := insforge.Call[[]model](ctx, env.Client, insforge.Request{Path: "/api/ai/models"})
	if err != nil {
		return nil, explainModels(err)
	}
	inMod := strings.ToLower(strings.TrimSpace(in.InputModality))
	outMod := strings.ToLower(strings.TrimSpace(in.OutputModality))
	provider := strings.ToLower(strings.TrimSpace(in.Provider))
	search := strings.ToLower(strings.TrimSpace(in.Search))
	matched := []model{}
	for _, m := range catalogue {
		if inMod != "" && !has(m.InputModality, inMod) {
			continue
		}
		if outMod != "" && !has(m.OutputModality, outMod) {
			continue
		}
		if provider != "" && maker(m.ID) != provider && strings.ToLower(m.Provider) != provider {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(m.ID), search) {
			continue
		}
		m.InputModality = tools.OrEmpty(m.InputModality)
		m.OutputModality = tools.OrEmpty(m.OutputModality)
		matched = append(matched, m)
	}
	shown := matched
	if len(shown) > limit {
		shown = shown[:limit]
	}
	filtered := inMod != "" || outMod != "" || provider != "" || search != ""
	var summary string
	switch {
	case len(catalogue) == 0:
		summary = "The model catalogue is empty."
	case len(matched) == 0:
		summary = fmt.Sprintf("No model of the %d in the catalogue matches these filters. Loosen them (modalities are words such as text, image, audio, file, embeddings; provider is the part of the id before '/').", len(catalogue))
	case filtered:
		summary = fmt.Sprintf("%s of %d match", tools.PluralNoun(len(matched), "model", "models"), len(catalogue))
	default:
		summary = fmt.Sprintf("The catalogue has %s", tools.PluralNoun(len(matched), "model", "models"))
	}
	if len(matched) > 0 {
		if len(shown) < len(matched) {
			summary += fmt.Sprintf("; showing the first %d. Narrow with search, provider or modality filters, or raise limit.", len(shown))
		} else {
			summary += "."
		}
		summary += " Prices are USD per million tokens; pass the id unchanged as the model in app code."
	}
	return tools.Found(summary, map[string]any{
		"total":    len(catalogue),
		"matched":  len(matched),
		"returned": len(shown),
		"models":   shown,
	}), nil
}

func overview(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	out, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: "/api/ai/overview"})
	if err != nil {
		return nil, err
	}
	key, _ := out["key"].(map[string]any)
	var parts []string
	if v, ok := key["usageMonthly"].(json.Number); ok {
		parts = append(parts, "spend this month: $"+v.String())
	}
	if v, ok := key["usageDaily"].(json.Number); ok {
		parts = append(parts, "today: $"+v.String())
	}
	switch v := key["limitRemaining"].(type) {
	case json.Number:
		limit, _ := key["limit"].(json.Number)
		parts = append(parts, fmt.Sprintf("credit remaining: $%s of $%s", v, limit))
	case nil:
		if _, has := key["limitRemaining"]; has {
			parts = append(parts, "no credit limit reported")
		}
	}
	summary := "AI gateway usage"
	if len(parts) > 0 {
		summary += ": " + strings.Join(parts, ", ")
	}
	summary += "."
	if avail, ok := key["observabilityAvailable"].(bool); ok && !avail {
		summary += " Request, token and per-model activity is not available"
		if msg, _ := key["observabilityError"].(string); msg != "" {
			summary += " (the backend says why in key.observabilityError)"
		}
		summary += "; on a self-hosted backend it needs an OpenRouter API key and a management key (see get-ai-config)."
	}
	return tools.Found(summary, out), nil
}

func config(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	out, _, err := insforge.Call[struct {
		APIKey        credential `json:"apiKey"`
		ManagementKey credential `json:"managementKey"`
	}](ctx, env.Client, insforge.Request{Path: "/api/ai/config"})
	if err != nil {
		var ae *insforge.Error
		if errors.As(err, &ae) && ae.Status == http.StatusBadRequest && !ae.NotJSON {
			return tools.Found("This project runs on InsForge Cloud (the backend refuses the self-hosted key settings with 400): the AI gateway's OpenRouter key is managed by InsForge, so there is nothing to configure. Use list-ai-models and get-ai-overview.",
				map[string]any{"managedByInsForgeCloud": true, "backendMessage": ae.Message}), nil
		}
		return nil, err
	}
	out.APIKey.MaskedKey = mask(out.APIKey.MaskedKey)
	out.ManagementKey.MaskedKey = mask(out.ManagementKey.MaskedKey)
	var summary string
	if out.APIKey.Configured {
		summary = "An OpenRouter API key is configured, so AI calls and the model catalogue work."
	} else {
		summary = "No OpenRouter API key is configured: AI calls fail (500 AI_INVALID_API_KEY) and list-ai-models may fail with 503. Ask the user to set their key on the backend (PUT /api/ai/config with apiKey, or the OPENROUTER_API_KEY environment variable); never ask for it in chat or put it into app code."
	}
	if out.ManagementKey.Configured {
		summary += " A management key is configured, so get-ai-overview shows request, token and per-model activity."
	} else {
		summary += " No management key is configured: get-ai-overview shows key-level usage only."
	}
	return tools.Found(summary, map[string]any{"apiKey": out.APIKey, "managementKey": out.ManagementKey}), nil
}

// explainModels explains the catalogue's 503: the backend could not load
// it from OpenRouter, on a self-hosted backend because no key is set.
func explainModels(err error) error {
	var ae *insforge.Error
	if errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable && ae.Code == "AI_UPSTREAM_UNAVAILABLE" {
		return tools.Errorf("GET /api/ai/models answered 503 AI_UPSTREAM_UNAVAILABLE: the backend could not load the OpenRouter model catalogue. " +
			"On a self-hosted backend this means no OpenRouter API key is configured (or the backend cannot reach openrouter.ai). " +
			"Ask the user to set their OpenRouter key on the backend (PUT /api/ai/config with apiKey, or OPENROUTER_API_KEY), check it with get-ai-config, then retry. Never ask for the key in chat.")
	}
	return err
}

// mask keeps a credential masked even if a backend sent more of it than
// it should: anything long without mask characters is cut like the
// backend's own mask (first 8 and last 4 characters).
func mask(k *string) *string {
	if k == nil {
		return nil
	}
	s := *k
	switch {
	case strings.ContainsAny(s, "•*"):
	case len(s) <= 12:
		s = "••••••••"
	default:
		s = s[:8] + "••••••••" + s[len(s)-4:]
	}
	return &s
}

func has(list []string, want string) bool {
	for _, v := range list {
		if strings.ToLower(v) == want {
			return true
		}
	}
	return false
}

// maker is the part of a model id before '/' (openai/gpt-4o → openai).
func maker(id string) string {
	name, _, _ := strings.Cut(id, "/")
	return strings.ToLower(name)
}
