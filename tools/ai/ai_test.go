package ai_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

var aiAllTools = []string{"list-ai-models", "get-ai-overview", "get-ai-config"}

// aiModelIDs returns the ids of the models of a list-ai-models result.
func aiModelIDs(t *testing.T, out map[string]any) []string {
	t.Helper()
	models, _ := out["models"].([]any)
	ids := make([]string, len(models))
	for i, m := range models {
		ids[i], _ = m.(map[string]any)["id"].(string)
	}
	return ids
}

// aiNoKeyRoute asserts that nothing asked for the full provider key.
func aiNoKeyRoute(t *testing.T, h *testmcp.Harness) {
	t.Helper()
	for _, r := range h.Backend.Requests() {
		if strings.HasSuffix(r.Path, "/api-key") || strings.Contains(r.Path, "/api-key/") {
			t.Errorf("a tool called %s %s, which answers the full key", r.Method, r.Path)
		}
	}
}

func TestAICatalogue(t *testing.T) {
	t.Parallel()
	var names []string
	for _, tool := range catalogue.All() {
		if tool.Toolset == tools.AI {
			names = append(names, tool.Name)
			if tool.Hints != tools.Read {
				t.Errorf("%s: hints %+v, want Read", tool.Name, tool.Hints)
			}
		}
	}
	if !slices.Equal(names, aiAllTools) {
		t.Errorf("ai tools = %v, want %v", names, aiAllTools)
	}
	h := testmcp.New(t, testmcp.Options{Selection: tools.Selection{ReadOnly: true}})
	served := h.ToolNames(t)
	for _, n := range aiAllTools {
		if !slices.Contains(served, n) {
			t.Errorf("%s is missing in read-only mode", n)
		}
	}
}

func TestAIListModels(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})

	text, out := h.UntrustedData(t, "list-ai-models", nil)
	req := h.Last(t, "GET", "/api/ai/models")
	testmcp.WantAdminAuth(t, req)
	if req.RawQuery != "" {
		t.Errorf("query = %q (the catalogue is filtered locally)", req.RawQuery)
	}
	testmcp.WantText(t, text, "The catalogue has 4 models.", "USD per million tokens")
	if out["total"] != json.Number("4") || out["matched"] != json.Number("4") || out["returned"] != json.Number("4") {
		t.Errorf("counts = %v", out)
	}
	first := out["models"].([]any)[0].(map[string]any)
	keys := make([]string, 0, len(first))
	for k := range first {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"id", "inputModality", "inputPrice", "inputPriceLabel", "outputModality", "outputPrice", "outputPriceLabel", "provider"}) {
		t.Errorf("model fields = %v", keys)
	}
	if first["id"] != "openai/gpt-4o-mini" || first["inputPrice"] != json.Number("0.15") || first["provider"] != "openrouter" {
		t.Errorf("first model = %v", first)
	}

	for _, c := range []struct {
		args map[string]any
		want []string
	}{
		{map[string]any{"inputModality": "file"}, []string{"openai/gpt-4o-mini", "anthropic/claude-sonnet-4.5"}},
		{map[string]any{"outputModality": "IMAGE"}, []string{"google/gemini-2.5-flash-image"}},
		{map[string]any{"outputModality": "embeddings"}, []string{"openai/text-embedding-3-small"}},
		{map[string]any{"provider": "openai"}, []string{"openai/gpt-4o-mini", "openai/text-embedding-3-small"}},
		{map[string]any{"provider": "openrouter", "search": "Claude"}, []string{"anthropic/claude-sonnet-4.5"}},
		{map[string]any{"inputModality": "image", "outputModality": "text", "provider": "google"}, []string{"google/gemini-2.5-flash-image"}},
	} {
		text, out := h.UntrustedData(t, "list-ai-models", c.args)
		if got := aiModelIDs(t, out); !slices.Equal(got, c.want) {
			t.Errorf("%v: ids = %v, want %v", c.args, got, c.want)
		}
		testmcp.WantText(t, text, "of 4 match.")
	}

	text, out = h.UntrustedData(t, "list-ai-models", map[string]any{"outputModality": "text", "limit": 2})
	testmcp.WantText(t, text, "3 models of 4 match; showing the first 2.", "Narrow with")
	if out["matched"] != json.Number("3") || out["returned"] != json.Number("2") || len(aiModelIDs(t, out)) != 2 {
		t.Errorf("capped = %v", out)
	}

	text, out = h.UntrustedData(t, "list-ai-models", map[string]any{"search": "no-such-model"})
	testmcp.WantText(t, text, "No model of the 4 in the catalogue matches")
	if ms, _ := out["models"].([]any); ms == nil || len(ms) != 0 {
		t.Errorf("no match = %v", out)
	}

	h.Refused(t, "list-ai-models", map[string]any{"limit": 0}, "limit must be between 1 and 500")
	h.Refused(t, "list-ai-models", map[string]any{"modality": "text"}, "unknown argument")
	aiNoKeyRoute(t, h)
}

func TestAIListModelsWithoutKey(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	h.Backend.SetAIKeys("", "")
	text := h.Fail(t, "list-ai-models", nil)
	testmcp.WantText(t, text, "503 AI_UPSTREAM_UNAVAILABLE", "no OpenRouter API key is configured", "get-ai-config", "Never ask for the key in chat")
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/ai/models"))

	// other failures pass through as they are
	h.Backend.Fail("GET", "/api/ai/models", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "catalog parse failed"})
	text = h.Fail(t, "list-ai-models", nil)
	testmcp.WantText(t, text, "500 INTERNAL_ERROR", "catalog parse failed")
	if strings.Contains(text, "OpenRouter API key") {
		t.Errorf("a 500 is explained as a missing key:\n%s", text)
	}
}

func TestAIOverview(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	h.Backend.SetAIKeys(insforgefake.DefaultAIAPIKey, "sk-or-v1-management-0123456789")

	text, out := h.UntrustedData(t, "get-ai-overview", nil)
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/ai/overview"))
	testmcp.WantText(t, text, "spend this month: $3.25", "today: $0.4", "credit remaining: $21.75 of $25")
	if strings.Contains(text, "not available") {
		t.Errorf("observability reported missing although available:\n%s", text)
	}
	key, _ := out["key"].(map[string]any)
	usage, _ := out["modelUsage"].([]any)
	charts, _ := out["charts"].(map[string]any)
	if key["observabilityAvailable"] != true || len(usage) != 2 || len(charts["requests"].([]any)) != 3 {
		t.Errorf("overview = %v", out)
	}
	if m := usage[0].(map[string]any); m["model"] != "openai/gpt-4o-mini" || m["spend"] != json.Number("0.09") {
		t.Errorf("model usage = %v", m)
	}

	h.Backend.SetAIKeys(insforgefake.DefaultAIAPIKey, "")
	text, _ = h.UntrustedData(t, "get-ai-overview", nil)
	testmcp.WantText(t, text, "per-model activity is not available", "management key", "get-ai-config")

	h.Backend.Fail("GET", "/api/ai/overview", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "OpenRouter rejected the key"})
	testmcp.WantText(t, h.Fail(t, "get-ai-overview", nil), "500 INTERNAL_ERROR", "OpenRouter rejected the key")
	aiNoKeyRoute(t, h)
}

func TestAIConfig(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})

	text, out := h.UntrustedData(t, "get-ai-config", nil)
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/ai/config"))
	if strings.Contains(text, insforgefake.DefaultAIAPIKey) {
		t.Fatalf("the full key reached the agent:\n%s", text)
	}
	testmcp.WantText(t, text, "An OpenRouter API key is configured", "No management key is configured", insforgefake.MaskAIKey(insforgefake.DefaultAIAPIKey))
	api, _ := out["apiKey"].(map[string]any)
	mgmt, _ := out["managementKey"].(map[string]any)
	if api["configured"] != true || api["maskedKey"] != insforgefake.MaskAIKey(insforgefake.DefaultAIAPIKey) || mgmt["configured"] != false || mgmt["maskedKey"] != nil {
		t.Errorf("config = %v", out)
	}

	h.Backend.SetAIKeys("", "")
	text, _ = h.UntrustedData(t, "get-ai-config", nil)
	testmcp.WantText(t, text, "No OpenRouter API key is configured", "PUT /api/ai/config", "never ask for it in chat")
	aiNoKeyRoute(t, h)

	// a backend that would send an unmasked key: the tool still masks it
	full := "sk-or-v1-0123456789abcdef0123456789abcdef"
	h.Backend.Fail("GET", "/api/ai/config", &insforgefake.APIError{Status: 200,
		RawBody: []byte(`{"apiKey":{"configured":true,"maskedKey":"` + full + `"},"managementKey":{"configured":true,"maskedKey":"short"},"extra":"` + full + `"}`)})
	text, out = h.UntrustedData(t, "get-ai-config", nil)
	if strings.Contains(text, full) || strings.Contains(text, "short") {
		t.Errorf("unmasked key in the result:\n%s", text)
	}
	if out["apiKey"].(map[string]any)["maskedKey"] != "sk-or-v1••••••••cdef" || out["managementKey"].(map[string]any)["maskedKey"] != "••••••••" {
		t.Errorf("re-masked = %v", out)
	}
	h.Backend.Fail("GET", "/api/ai/config", nil)

	// other errors pass through
	h.Backend.Fail("GET", "/api/ai/config", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "secret store unavailable"})
	testmcp.WantText(t, h.Fail(t, "get-ai-config", nil), "500 INTERNAL_ERROR", "secret store unavailable")
}

func TestAIConfigOnCloud(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{Backend: []insforgefake.Option{insforgefake.WithAICloud()}})
	text, out := h.UntrustedData(t, "get-ai-config", nil)
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/ai/config"))
	testmcp.WantText(t, text, "InsForge Cloud", "managed by InsForge", "nothing to configure")
	if out["managedByInsForgeCloud"] != true {
		t.Errorf("result = %v", out)
	}
	aiNoKeyRoute(t, h)
}
