package insforgefake

import (
	"net/http"
	"sync"
)

// AI module: the Model Gateway catalogue, usage overview and the
// self-hosted credential settings. Chat, image and embedding calls are not
// implemented (they answer as unknown routes).
//
// The fake starts as a self-hosted backend with an OpenRouter API key and
// no management key. Without an API key (SetAIKeys("", "")) GET
// /api/ai/models is 503 AI_UPSTREAM_UNAVAILABLE, as observed on a real
// backend. On Cloud (WithAICloud) the config route answers 400.

func registerAIRoutes(s *Server) {
	ai := aiOf(s)
	s.handle("GET /api/ai/config", accessAdmin, ai.getConfig)
	s.handle("GET /api/ai/models", accessAdmin, ai.listModels)
	s.handle("GET /api/ai/overview", accessAdmin, ai.overview)
}

// DefaultAIAPIKey is the OpenRouter API key the fake starts with. The
// config endpoint only ever shows it masked (see MaskAIKey).
const DefaultAIAPIKey = "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"

// aiModel is one entry of GET /api/ai/models (prices are USD per million
// tokens).
type aiModel struct {
	ID               string   `json:"id"`
	InputModality    []string `json:"inputModality"`
	OutputModality   []string `json:"outputModality"`
	Provider         string   `json:"provider"`
	InputPrice       *float64 `json:"inputPrice,omitempty"`
	OutputPrice      *float64 `json:"outputPrice,omitempty"`
	InputPriceLabel  string   `json:"inputPriceLabel,omitempty"`
	OutputPriceLabel string   `json:"outputPriceLabel,omitempty"`
}

func aiPrice(f float64) *float64 { return &f }

// aiModels is the fake's catalogue: a chat model, a reasoning chat model
// reading files, an image generator and an embedding model, in the
// backend's order (openai, anthropic, google, then the rest).
var aiModels = []aiModel{
	{ID: "openai/gpt-4o-mini", InputModality: []string{"text", "image", "file"}, OutputModality: []string{"text"},
		Provider: "openrouter", InputPrice: aiPrice(0.15), OutputPrice: aiPrice(0.6),
		InputPriceLabel: "$0.15 / M tokens", OutputPriceLabel: "$0.60 / M tokens"},
	{ID: "openai/text-embedding-3-small", InputModality: []string{"text"}, OutputModality: []string{"embeddings"},
		Provider: "openrouter", InputPrice: aiPrice(0.02), InputPriceLabel: "$0.02 / M tokens"},
	{ID: "anthropic/claude-sonnet-4.5", InputModality: []string{"text", "image", "file"}, OutputModality: []string{"text"},
		Provider: "openrouter", InputPrice: aiPrice(3), OutputPrice: aiPrice(15),
		InputPriceLabel: "$3.0 / M tokens", OutputPriceLabel: "$15.0 / M tokens"},
	{ID: "google/gemini-2.5-flash-image", InputModality: []string{"text", "image"}, OutputModality: []string{"text", "image"},
		Provider: "openrouter", InputPrice: aiPrice(0.3), OutputPrice: aiPrice(2.5),
		InputPriceLabel: "$0.30 / M tokens", OutputPriceLabel: "$2.5 / M tokens"},
}

func aiOf(s *Server) *aiState {
	return moduleState(s, "ai", func() *aiState { return &aiState{apiKey: DefaultAIAPIKey} })
}

type aiState struct {
	mu      sync.Mutex
	apiKey  string
	mgmtKey string
	cloud   bool
}

// WithAICloud makes the fake answer the AI routes like InsForge Cloud: the
// credential settings (GET/PUT /api/ai/config) are refused with 400.
func WithAICloud() Option {
	return func(s *Server) { aiOf(s).cloud = true }
}

// SetAIKeys sets the stored OpenRouter API key and management key ("" =
// not configured).
func (s *Server) SetAIKeys(apiKey, managementKey string) {
	ai := aiOf(s)
	ai.mu.Lock()
	ai.apiKey, ai.mgmtKey = apiKey, managementKey
	ai.mu.Unlock()
}

// MaskAIKey masks a credential like the backend: the first 8 and last 4
// characters around eight bullets, or only bullets for short values.
func MaskAIKey(k string) string {
	if len(k) <= 12 {
		return "••••••••"
	}
	return k[:8] + "••••••••" + k[len(k)-4:]
}

func aiCredentialStatus(k string) map[string]any {
	if k == "" {
		return map[string]any{"configured": false, "maskedKey": nil}
	}
	return map[string]any{"configured": true, "maskedKey": MaskAIKey(k)}
}

func (ai *aiState) getConfig(w http.ResponseWriter, r *http.Request) {
	ai.mu.Lock()
	defer ai.mu.Unlock()
	if ai.cloud {
		writeError(w, errInvalidInput("Model Gateway credentials are managed by InsForge Cloud."))
		return
	}
	writeJSON(w, 200, map[string]any{"apiKey": aiCredentialStatus(ai.apiKey), "managementKey": aiCredentialStatus(ai.mgmtKey)})
}

func (ai *aiState) listModels(w http.ResponseWriter, r *http.Request) {
	ai.mu.Lock()
	down := !ai.cloud && ai.apiKey == ""
	ai.mu.Unlock()
	if down {
		writeError(w, &APIError{Status: 503, Code: "AI_UPSTREAM_UNAVAILABLE", Message: "Upstream AI models catalog is temporarily unavailable."})
		return
	}
	writeJSON(w, 200, aiModels)
}

func (ai *aiState) overview(w http.ResponseWriter, r *http.Request) {
	ai.mu.Lock()
	apiKey, mgmt := ai.apiKey, ai.mgmtKey
	ai.mu.Unlock()
	// The tools are only tested with an API key (and with or without a management key).
	key := map[string]any{
		"label": MaskAIKey(apiKey), "limit": 25, "limitRemaining": 21.75, "limitReset": "monthly",
		"usage": 3.25, "usageDaily": 0.4, "usageWeekly": 1.9, "usageMonthly": 3.25, "isFreeTier": false,
		"observabilityAvailable": mgmt != "",
	}
	out := map[string]any{"key": key, "charts": map[string]any{"spend": []any{}, "requests": []any{}, "tokens": []any{}}, "modelUsage": []any{}}
	if mgmt == "" {
		key["observabilityError"] = "Configure an OpenRouter management key to load request, token, model, and historical activity."
	} else {
		out["charts"] = map[string]any{
			"spend":    []map[string]any{{"label": "Mon", "value": 0.9}, {"label": "Tue", "value": 0.6}, {"label": "Wed", "value": 0.4}},
			"requests": []map[string]any{{"label": "Mon", "value": 120}, {"label": "Tue", "value": 85}, {"label": "Wed", "value": 42}},
			"tokens":   []map[string]any{{"label": "Mon", "value": 210000}, {"label": "Tue", "value": 150000}, {"label": "Wed", "value": 90000}},
		}
		out["modelUsage"] = []map[string]any{
			{"model": "openai/gpt-4o-mini", "providers": []string{"OpenAI"}, "requests": 230, "promptTokens": 380000,
				"completionTokens": 62000, "reasoningTokens": 0, "totalTokens": 442000, "spend": 0.09, "byokSpend": 0},
			{"model": "anthropic/claude-sonnet-4.5", "providers": []string{"Anthropic", "Amazon Bedrock"}, "requests": 17, "promptTokens": 6000,
				"completionTokens": 2000, "reasoningTokens": 500, "totalTokens": 8000, "spend": 1.81, "byokSpend": 0},
		}
	}
	writeJSON(w, 200, out)
}
