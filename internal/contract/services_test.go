//go:build contract

package contract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The function of the functions scenario, in the form a self-hosted runtime
// loads (the tool descriptions say so). v1 echoes the request and one
// secret; v2 echoes the JSON body.
const (
	functionV1 = `module.exports = async function(req) {
  const u = new URL(req.url);
  return new Response(JSON.stringify({
    hello: u.searchParams.get("name"), method: req.method,
    probe: req.headers.get("x-contract"), auth: req.headers.get("authorization"),
    secret: Deno.env.get("SECRET_KEY_NAME") ?? null,
  }), { headers: { "Content-Type": "application/json" } });
}`
	functionV2 = `module.exports = async function(req) {
  const body = await req.json();
  return new Response(JSON.stringify({ echo: body }), { status: 201, headers: { "Content-Type": "application/json" } });
}`
)

// functions: create, read, invoke (query, headers, a secret), update,
// invoke again (body), draft, delete.
func functions(t *testing.T, r *run) {
	slug := "ct-fn-" + r.sfx
	secretKey, secretValue := "CT_FN_"+strings.ToUpper(r.sfx), "fn-secret-"+r.sfx
	r.cleanup(t, "delete-function", map[string]any{"slug": slug})
	purgeSecret(t, r, secretKey)
	r.ok(t, "create-secret", map[string]any{"key": secretKey, "value": secretValue})
	v1 := strings.Replace(functionV1, "SECRET_KEY_NAME", secretKey, 1)

	_, out := r.ok(t, "create-function", map[string]any{"name": "Contract " + r.sfx, "slug": slug, "code": v1, "description": "contract " + r.sfx})
	want(t, "created slug", str(out, "function", "slug"), slug)
	want(t, "created status", str(out, "function", "status"), "active")
	_, fn := r.ok(t, "get-function", map[string]any{"slug": slug})
	want(t, "stored code", str(fn, "code"), v1)
	want(t, "stored description", str(fn, "description"), "contract "+r.sfx)

	_, res := r.ok(t, "invoke-function", map[string]any{"slug": slug, "method": "GET", "query": map[string]any{"name": "Ada"}, "headers": map[string]any{"X-Contract": r.sfx}})
	want(t, "GET status", str(res, "status"), 200)
	want(t, "GET body.hello (query)", str(res, "body", "hello"), "Ada")
	want(t, "GET body.method", str(res, "body", "method"), "GET")
	want(t, "GET body.probe (header)", str(res, "body", "probe"), r.sfx)
	want(t, "GET body.auth (no credential is sent)", str(res, "body", "auth"), "")
	want(t, "GET body.secret (Deno.env)", str(res, "body", "secret"), secretValue)

	r.ok(t, "update-function", map[string]any{"slug": slug, "code": functionV2, "description": "contract v2 " + r.sfx})
	_, fn = r.ok(t, "get-function", map[string]any{"slug": slug})
	want(t, "updated code", str(fn, "code"), functionV2)
	want(t, "updated description", str(fn, "description"), "contract v2 "+r.sfx)
	_, res = r.ok(t, "invoke-function", map[string]any{"slug": slug, "body": map[string]any{"v": r.sfx, "n": 7}})
	want(t, "POST status", str(res, "status"), 201)
	want(t, "POST body.echo.v", str(res, "body", "echo", "v"), r.sfx)
	r.fail(t, "invoke-function", map[string]any{"slug": slug, "method": "GET", "body": map[string]any{"v": 1}}, "query")

	_, list := r.ok(t, "list-functions", nil)
	want(t, "listed status", str(find(objects(list, "functions"), "slug", slug), "status"), "active")
	r.ok(t, "update-function", map[string]any{"slug": slug, "status": "draft"})
	_, list = r.ok(t, "list-functions", nil)
	want(t, "listed status after draft", str(find(objects(list, "functions"), "slug", slug), "status"), "draft")
	if text, res, isError := r.either(t, "invoke-function", map[string]any{"slug": slug, "body": map[string]any{}}); !isError && str(res, "status") == "201" {
		t.Errorf("a draft function still answered 201: %s", summary(text))
	}

	text, _, _ := r.either(t, "get-function-build-logs", nil, "function")
	if text == "" {
		t.Error("get-function-build-logs answered nothing")
	}
	text, _ = r.ok(t, "delete-function", map[string]any{"slug": slug})
	wantText(t, "delete-function", text, slug)
	r.fail(t, "get-function", map[string]any{"slug": slug}, slug)
	r.ok(t, "delete-secret", map[string]any{"key": secretKey})
}

// purgeSecret removes a secret's row for good when t ends (delete-secret
// only deactivates it).
func purgeSecret(t *testing.T, r *run, key string) {
	t.Cleanup(func() { r.sql(t, "delete from system.secrets where key = $1", key) })
}

// realtime: a channel pattern, an event through it into the log, stats,
// retention, emptying the log.
func realtime(t *testing.T, r *run) {
	pattern, channel, event := "ct-"+r.sfx+":%", "ct-"+r.sfx+":42", "ct_ev_"+r.sfx
	_, cfg := r.ok(t, "get-realtime-config", nil)
	restore := map[string]any{"keepForever": true}
	if days := field(cfg, "retentionDays"); days != nil {
		restore = map[string]any{"retentionDays": days}
	}
	r.cleanup(t, "update-realtime-config", restore)

	_, ch := r.ok(t, "create-channel", map[string]any{"pattern": pattern, "description": "contract " + r.sfx, "enabled": true})
	id := str(ch, "id")
	if id == "" {
		t.Fatalf("create-channel returned no id: %v", ch)
	}
	r.cleanup(t, "delete-channel", map[string]any{"id": id})
	_, got := r.ok(t, "get-channel", map[string]any{"id": id})
	want(t, "channel pattern", str(got, "pattern"), pattern)
	_, list := r.ok(t, "list-channels", nil)
	want(t, "listed description", str(find(objects(list, "channels"), "id", id), "description"), "contract "+r.sfx)
	_, got = r.ok(t, "update-channel", map[string]any{"id": id, "description": "contract v2 " + r.sfx, "webhookUrls": []any{}})
	want(t, "updated description", str(got, "description"), "contract v2 "+r.sfx)
	want(t, "enabled kept", str(got, "enabled"), true)

	_, pub := r.ok(t, "publish-realtime-event", map[string]any{"channel": channel, "event": event, "payload": map[string]any{"sfx": r.sfx, "n": 1}})
	_, msgs := r.ok(t, "list-realtime-messages", map[string]any{"channelId": id, "eventName": event})
	m := objects(msgs, "messages")
	if len(m) != 1 || str(m[0], "id") != str(pub, "messageId") || str(m[0], "channelName") != channel || str(m[0], "payload", "sfx") != r.sfx {
		t.Errorf("list-realtime-messages = %s, want the one event published as %s", toJSON(m), str(pub, "messageId"))
	}
	_, stats := r.ok(t, "get-realtime-message-stats", map[string]any{"channelId": id})
	want(t, "stats totalMessages", str(stats, "totalMessages"), 1)
	_, perms := r.ok(t, "get-realtime-permissions", nil)
	if field(perms, "subscribe") == nil || field(perms, "publish") == nil {
		t.Errorf("get-realtime-permissions lacks subscribe or publish: %v", perms)
	}

	r.ok(t, "update-realtime-config", map[string]any{"retentionDays": 30})
	_, cfg = r.ok(t, "get-realtime-config", nil)
	want(t, "retentionDays", str(cfg, "retentionDays"), 30)
	r.ok(t, "update-realtime-config", restore)
	_, cfg = r.ok(t, "get-realtime-config", nil)
	want(t, "retentionDays restored", toJSON(field(cfg, "retentionDays")), toJSON(restore["retentionDays"]))

	text, _ := r.ok(t, "delete-realtime-messages", nil)
	wantText(t, "delete-realtime-messages", text, "Deleted")
	_, msgs = r.ok(t, "list-realtime-messages", map[string]any{"channelId": id})
	if m := objects(msgs, "messages"); len(m) != 0 {
		t.Errorf("list-realtime-messages after delete-realtime-messages = %v", m)
	}
	r.ok(t, "delete-channel", map[string]any{"id": id})
	r.fail(t, "get-channel", map[string]any{"id": id}, id)
}

// schedulesCreate creates a schedule that schedulesRuns checks near the end
// of the run (pg_cron before 1.5 runs at most once a minute).
func schedulesCreate(t *testing.T, r *run) {
	name := "ct-sched-" + r.sfx
	_, out := r.ok(t, "create-schedule", map[string]any{
		"name": name, "cronSchedule": "*/5 * * * *", "functionUrl": r.url + "/api/health", "httpMethod": "GET",
		"headers": map[string]any{"X-Contract": r.sfx},
	})
	id := str(out, "id")
	if id == "" {
		t.Fatalf("create-schedule returned no id: %v", out)
	}
	r.scheduleID = id
	_, list := r.ok(t, "list-schedules", nil)
	s := find(objects(list, "schedules"), "id", id)
	want(t, "listed name", str(s, "name"), name)
	want(t, "listed isActive", str(s, "isActive"), true)
	_, got := r.ok(t, "get-schedule", map[string]any{"id": id})
	want(t, "cronSchedule", str(got, "cronSchedule"), "*/5 * * * *")
	want(t, "functionUrl", str(got, "functionUrl"), r.url+"/api/health")
	want(t, "header X-Contract", str(got, "headers", "X-Contract"), r.sfx)

	r.ok(t, "update-schedule", map[string]any{"id": id, "name": name + "-m", "cronSchedule": "* * * * *", "headers": map[string]any{"X-Contract": r.sfx + "-2"}})
	_, got = r.ok(t, "get-schedule", map[string]any{"id": id})
	want(t, "updated name", str(got, "name"), name+"-m")
	want(t, "updated cronSchedule", str(got, "cronSchedule"), "* * * * *")
	want(t, "updated header", str(got, "headers", "X-Contract"), r.sfx+"-2")
	r.fail(t, "create-schedule", map[string]any{"name": name + "-bad", "cronSchedule": "every day", "functionUrl": r.url + "/api/health", "httpMethod": "GET"}, "cron")
}

// schedulesRuns waits for the schedule's first run, then pauses and deletes it.
func schedulesRuns(t *testing.T, r *run) {
	id := r.scheduleID
	if id == "" {
		t.Skip("schedules-create made no schedule")
	}
	r.cleanup(t, "delete-schedule", map[string]any{"id": id})
	deadline := time.Now().Add(90 * time.Second)
	var logs []map[string]any
	for {
		_, out := r.ok(t, "get-schedule-logs", map[string]any{"id": id, "limit": 5})
		if logs = objects(out, "logs"); len(logs) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Second)
	}
	if len(logs) == 0 {
		t.Fatalf("schedule %s did not run within 90 s", id)
	}
	want(t, "run statusCode", str(logs[0], "statusCode"), 200)
	want(t, "run success", str(logs[0], "success"), true)
	want(t, "run scheduleId", str(logs[0], "scheduleId"), id)

	r.ok(t, "update-schedule", map[string]any{"id": id, "isActive": false})
	_, got := r.ok(t, "get-schedule", map[string]any{"id": id})
	want(t, "isActive after pause", str(got, "isActive"), false)
	r.ok(t, "delete-schedule", map[string]any{"id": id})
	r.fail(t, "get-schedule", map[string]any{"id": id}, "list-schedules")
}

// secrets: a secret's life, and the reserved ones refused.
func secrets(t *testing.T, r *run) {
	key, v1, v2 := "CT_"+strings.ToUpper(r.sfx), "v1-"+r.sfx+"-value", "v2-"+r.sfx+"-value"
	purgeSecret(t, r, key)
	_, list := r.ok(t, "list-secrets", nil)
	want(t, "API_KEY isReserved", str(find(objects(list, "secrets"), "key", "API_KEY"), "isReserved"), true)

	text, _ := r.ok(t, "create-secret", map[string]any{"key": key, "value": v1})
	if strings.Contains(text, v1) {
		t.Errorf("create-secret echoed the value: %s", text)
	}
	r.fail(t, "create-secret", map[string]any{"key": key, "value": v1}, "update-secret")
	_, list = r.ok(t, "list-secrets", nil)
	s := find(objects(list, "secrets"), "key", key)
	want(t, "new secret isActive", str(s, "isActive"), true)
	want(t, "new secret isReserved", str(s, "isReserved"), false)
	_, got := r.ok(t, "get-secret", map[string]any{"key": key})
	want(t, "value", str(got, "value"), v1)

	r.ok(t, "update-secret", map[string]any{"key": key, "value": v2, "expiresAt": "2099-01-01T00:00:00Z"})
	_, got = r.ok(t, "get-secret", map[string]any{"key": key})
	want(t, "updated value", str(got, "value"), v2)
	_, list = r.ok(t, "list-secrets", nil)
	if exp := str(find(objects(list, "secrets"), "key", key), "expiresAt"); !strings.HasPrefix(exp, "2099-01-01") {
		t.Errorf("expiresAt = %q, want 2099-01-01…", exp)
	}
	r.ok(t, "update-secret", map[string]any{"key": key, "isActive": false})
	r.fail(t, "get-secret", map[string]any{"key": key}, key)
	r.ok(t, "update-secret", map[string]any{"key": key, "isActive": true, "expiresAt": ""})
	_, got = r.ok(t, "get-secret", map[string]any{"key": key})
	want(t, "value after re-enabling", str(got, "value"), v2)

	r.fail(t, "update-secret", map[string]any{"key": "API_KEY", "value": "x"}, "reserved system secret", "rotate-api-key")
	r.fail(t, "delete-secret", map[string]any{"key": "ANON_KEY"}, "reserved system secret", "rotate-anon-key")
	r.ok(t, "delete-secret", map[string]any{"key": key})
	r.fail(t, "get-secret", map[string]any{"key": key}, key, "list-secrets")
	_, list = r.ok(t, "list-secrets", nil)
	if s := find(objects(list, "secrets"), "key", key); s != nil && str(s, "isActive") != "false" {
		t.Errorf("list-secrets shows the deleted %s as %v", key, s)
	}
}

// logs: sources, recent entries with paging, search for this run's requests.
func logs(t *testing.T, r *run) {
	_, src := r.ok(t, "list-log-sources", nil)
	if got := stringList(src, "sources"); !strings.Contains(strings.Join(got, ","), "insforge.logs") {
		t.Errorf("list-log-sources = %v, want insforge.logs among them", got)
	}
	_, recent := r.ok(t, "get-container-logs", map[string]any{"source": "insforge.logs", "limit": 5})
	entries := objects(recent, "logs")
	if len(entries) == 0 || len(entries) > 5 {
		t.Fatalf("get-container-logs limit 5 returned %d entries", len(entries))
	}
	oldest := str(entries[0], "timestamp")
	for _, e := range entries {
		if ts := str(e, "timestamp"); ts < oldest {
			oldest = ts
		}
	}
	_, older := r.ok(t, "get-container-logs", map[string]any{"source": "insforge.logs", "limit": 5, "beforeTimestamp": oldest})
	for _, e := range objects(older, "logs") {
		if ts := str(e, "timestamp"); ts >= oldest {
			t.Errorf("get-container-logs beforeTimestamp %s returned an entry of %s", oldest, ts)
		}
	}
	r.either(t, "get-container-logs", map[string]any{"source": "function.logs", "limit": 5})

	_, found := r.ok(t, "search-logs", map[string]any{"query": r.sfx, "limit": 5})
	if hits := objects(found, "logs"); len(hits) == 0 {
		t.Errorf("search-logs %q found none of this run's requests", r.sfx)
	} else if str(hits[0], "source") == "" {
		t.Errorf("search-logs hit without a source: %v", hits[0])
	}
	_, found = r.ok(t, "search-logs", map[string]any{"query": r.sfx, "source": "insforge.logs", "limit": 2})
	for _, h := range objects(found, "logs") {
		if s := str(h, "source"); s != "" && s != "insforge.logs" {
			t.Errorf("search-logs source=insforge.logs returned an entry of %s", s)
		}
	}
}

// ai: without an OpenRouter key the gateway tools explain what is missing.
func ai(t *testing.T, r *run) {
	_, cfg := r.ok(t, "get-ai-config", nil)
	if field(cfg, "apiKey", "configured") == nil {
		t.Errorf("get-ai-config lacks apiKey.configured: %v", cfg)
	}
	_, models, isError := r.either(t, "list-ai-models", map[string]any{"limit": 3}, "OpenRouter", "get-ai-config")
	if !isError && len(objects(models, "models")) > 3 {
		t.Errorf("list-ai-models limit 3 returned more")
	}
	r.either(t, "get-ai-overview", nil, "OpenRouter")
}

// deployments: without Vercel the hosting tools explain that the operator
// must configure it; a deployment that does not exist is named as such.
func deployments(t *testing.T, r *run) {
	_, list := r.ok(t, "list-deployments", nil)
	if field(list, "total") == nil {
		t.Errorf("list-deployments lacks total: %v", list)
	}
	r.ok(t, "get-deployment-metadata", nil)
	missing := "00000000-0000-4000-8000-" + r.sfx + "0000"
	for _, name := range []string{"get-deployment", "sync-deployment", "cancel-deployment"} {
		r.fail(t, name, map[string]any{"deploymentId": missing}, missing, "list-deployments")
	}
	const hosting = "VERCEL_TOKEN"
	r.either(t, "start-deployment", map[string]any{"deploymentId": missing}, hosting)

	site := t.TempDir()
	writeFile(t, filepath.Join(site, "index.html"), "<h1>contract "+r.sfx+"</h1>\n")
	writeFile(t, filepath.Join(site, "package.json"), `{"name":"ct-site","version":"1.0.0"}`)
	if err := os.MkdirAll(filepath.Join(site, "node_modules", "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	r.either(t, "create-deployment", map[string]any{"sourceDirectory": site, "wait": false}, hosting)

	envKey := "VITE_CT_" + strings.ToUpper(r.sfx)
	r.either(t, "list-deployment-env-vars", nil, hosting)
	r.either(t, "set-deployment-env-vars", map[string]any{"envVars": []any{map[string]any{"key": envKey, "value": r.sfx}}}, hosting)
	r.either(t, "get-deployment-env-var", map[string]any{"key": envKey}, hosting)
	r.either(t, "delete-deployment-env-var", map[string]any{"key": envKey}, hosting)

	domain := "ct-" + r.sfx + ".example.com"
	r.either(t, "list-custom-domains", nil, hosting)
	r.either(t, "add-custom-domain", map[string]any{"domain": domain}, hosting)
	r.either(t, "verify-custom-domain", map[string]any{"domain": domain}, hosting)
	r.either(t, "remove-custom-domain", map[string]any{"domain": domain}, hosting)
	r.either(t, "set-project-slug", map[string]any{"slug": "ct-" + r.sfx}, "InsForge Cloud")
}
