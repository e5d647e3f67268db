package insforgefake

import (
	"reflect"
	"strings"
	"testing"
)

func TestAIFakeModels(t *testing.T) {
	srv := New(t)
	r := call(t, srv, "GET", "/api/ai/models", nil)
	if r.status != 200 {
		t.Fatalf("models: %d %s", r.status, r.body)
	}
	models := r.arr(t)
	if len(models) != 4 {
		t.Fatalf("models = %d", len(models))
	}
	first := models[0].(map[string]any)
	if first["id"] != "openai/gpt-4o-mini" || first["provider"] != "openrouter" || first["modelId"] != "openai/gpt-4o-mini" ||
		first["inputPrice"] != 0.15 || first["outputPriceLabel"] != "$0.60 / M tokens" ||
		!reflect.DeepEqual(first["inputModality"], []any{"text", "image", "file"}) {
		t.Errorf("first model = %v", first)
	}
	emb := models[1].(map[string]any)
	if _, has := emb["outputPrice"]; has || !reflect.DeepEqual(emb["outputModality"], []any{"embeddings"}) {
		t.Errorf("embedding model = %v", emb)
	}

	srv.SetAIKeys("", "")
	wantError(t, call(t, srv, "GET", "/api/ai/models", nil), 503, "AI_UPSTREAM_UNAVAILABLE", "")
	wantError(t, call(t, srv, "GET", "/api/ai/models", nil, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "")
}

func TestAIFakeConfig(t *testing.T) {
	srv := New(t)
	r := call(t, srv, "GET", "/api/ai/config", nil)
	if r.status != 200 {
		t.Fatalf("config: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), DefaultAIAPIKey) {
		t.Fatalf("config shows the full key: %s", r.body)
	}
	want := `{"apiKey":{"configured":true,"maskedKey":"` + MaskAIKey(DefaultAIAPIKey) + `"},"managementKey":{"configured":false,"maskedKey":null}}`
	if string(r.body) != want {
		t.Errorf("config = %s, want %s", r.body, want)
	}
	if m := MaskAIKey(DefaultAIAPIKey); m != "sk-or-v1••••••••1c2d" {
		t.Errorf("mask = %q", m)
	}
	if m := MaskAIKey("short"); m != "••••••••" {
		t.Errorf("short mask = %q", m)
	}

	cloud := New(t, WithAICloud())
	wantError(t, call(t, cloud, "GET", "/api/ai/config", nil), 400, "INVALID_INPUT", "Model Gateway credentials are managed by InsForge Cloud.")
	if r := call(t, cloud, "GET", "/api/ai/models", nil); r.status != 200 {
		t.Errorf("cloud models: %d", r.status)
	}
}

func TestAIFakeOverview(t *testing.T) {
	srv := New(t)
	ov := call(t, srv, "GET", "/api/ai/overview", nil).obj(t)
	if !reflect.DeepEqual(keysOf(ov), []string{"charts", "key", "modelUsage"}) {
		t.Errorf("overview keys = %v", keysOf(ov))
	}
	key := ov["key"].(map[string]any)
	if key["observabilityAvailable"] != false || key["observabilityError"] == nil || key["limitRemaining"] != 21.75 {
		t.Errorf("key without management key = %v", key)
	}

	srv.SetAIKeys(DefaultAIAPIKey, "sk-or-v1-management-key-0000")
	ov = call(t, srv, "GET", "/api/ai/overview", nil).obj(t)
	key = ov["key"].(map[string]any)
	if key["observabilityAvailable"] != true {
		t.Errorf("key = %v", key)
	}
	if _, has := key["observabilityError"]; has {
		t.Errorf("observabilityError with a management key: %v", key)
	}
	usage := ov["modelUsage"].([]any)
	if len(usage) != 2 || !reflect.DeepEqual(keysOf(usage[0].(map[string]any)), []string{"byokSpend", "completionTokens", "model", "promptTokens", "providers", "reasoningTokens", "requests", "spend", "totalTokens"}) {
		t.Errorf("modelUsage = %v", usage)
	}
	if spend := ov["charts"].(map[string]any)["spend"].([]any); len(spend) != 3 {
		t.Errorf("charts = %v", ov["charts"])
	}

	srv.SetAIKeys("", "")
	ov = call(t, srv, "GET", "/api/ai/overview", nil).obj(t)
	key = ov["key"].(map[string]any)
	if key["observabilityAvailable"] != false || key["limit"] != nil || key["usage"] != float64(0) {
		t.Errorf("key without api key = %v", key)
	}
}
