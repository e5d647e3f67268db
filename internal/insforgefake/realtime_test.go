package insforgefake

import (
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRealtimeFakeChannelsCRUD(t *testing.T) {
	srv := New(t)

	r := call(t, srv, "GET", "/api/realtime/channels", nil)
	if r.status != 200 || string(r.body) != "[]" {
		t.Fatalf("empty list: %d %s", r.status, r.body)
	}

	r = call(t, srv, "POST", "/api/realtime/channels", map[string]any{"pattern": "order:%", "description": "orders", "webhookUrls": []string{"https://example.com/h"}})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	ch := r.obj(t)
	id, _ := ch["id"].(string)
	if !uuidRE.MatchString(id) || len(id) != 36 {
		t.Errorf("id = %q", id)
	}
	if !reflect.DeepEqual(keysOf(ch), []string{"createdAt", "description", "enabled", "id", "pattern", "updatedAt", "webhookUrls"}) {
		t.Errorf("channel keys = %v", keysOf(ch))
	}
	if ch["pattern"] != "order:%" || ch["description"] != "orders" || ch["enabled"] != true ||
		!reflect.DeepEqual(ch["webhookUrls"], []any{"https://example.com/h"}) {
		t.Errorf("created channel = %s", r.body)
	}
	if _, err := time.Parse(time.RFC3339, ch["createdAt"].(string)); err != nil {
		t.Errorf("createdAt: %v", err)
	}

	if _, ok := srv.PublishRealtime("order:1", "created", nil); !ok {
		t.Fatal("publish on the new pattern failed")
	}

	// defaults: description and webhookUrls null, enabled true
	r = call(t, srv, "POST", "/api/realtime/channels", map[string]any{"pattern": "lobby", "enabled": false})
	lobby := r.obj(t)
	if r.status != 201 || lobby["description"] != nil || lobby["webhookUrls"] != nil || lobby["enabled"] != false {
		t.Errorf("lobby = %d %s", r.status, r.body)
	}

	// list: newest first
	list := call(t, srv, "GET", "/api/realtime/channels", nil).arr(t)
	if len(list) != 2 || list[0].(map[string]any)["pattern"] != "lobby" || list[1].(map[string]any)["pattern"] != "order:%" {
		t.Errorf("list = %v", list)
	}

	r = call(t, srv, "GET", "/api/realtime/channels/"+id, nil)
	if r.status != 200 || r.obj(t)["pattern"] != "order:%" {
		t.Errorf("get: %d %s", r.status, r.body)
	}

	// update keeps what is not sent
	r = call(t, srv, "PUT", "/api/realtime/channels/"+id, map[string]any{"enabled": false, "webhookUrls": []string{}})
	up := r.obj(t)
	if r.status != 200 || up["enabled"] != false || up["description"] != "orders" || !reflect.DeepEqual(up["webhookUrls"], []any{}) || up["pattern"] != "order:%" {
		t.Errorf("update: %d %s", r.status, r.body)
	}
	if up["updatedAt"] == up["createdAt"] {
		t.Errorf("updatedAt not moved: %s", r.body)
	}

	// errors
	wantError(t, call(t, srv, "POST", "/api/realtime/channels", map[string]any{"pattern": "order:%"}), 409, "DATABASE_DUPLICATE", "")
	wantError(t, call(t, srv, "POST", "/api/realtime/channels", map[string]any{"pattern": "bad_name"}), 400, "REALTIME_INVALID_CHANNEL_PATTERN", "")
	wantError(t, call(t, srv, "POST", "/api/realtime/channels", map[string]any{"pattern": "%:x"}), 400, "REALTIME_INVALID_CHANNEL_PATTERN", "")
	wantError(t, call(t, srv, "PUT", "/api/realtime/channels/"+id, map[string]any{"pattern": "lobby"}), 409, "DATABASE_DUPLICATE", "")
	wantError(t, call(t, srv, "PUT", "/api/realtime/channels/"+id, map[string]any{"pattern": "a b"}), 400, "REALTIME_INVALID_CHANNEL_PATTERN", "")
	missing := "00000000-0000-4000-8000-000000000000"
	wantError(t, call(t, srv, "GET", "/api/realtime/channels/"+missing, nil), 404, "REALTIME_CHANNEL_NOT_FOUND", "Channel not found")
	wantError(t, call(t, srv, "PUT", "/api/realtime/channels/"+missing, map[string]any{"enabled": true}), 404, "REALTIME_CHANNEL_NOT_FOUND", "")
	wantError(t, call(t, srv, "DELETE", "/api/realtime/channels/"+missing, nil), 404, "REALTIME_CHANNEL_NOT_FOUND", "")
	wantError(t, call(t, srv, "GET", "/api/realtime/channels/not-a-uuid", nil), 500, "INTERNAL_ERROR", `invalid input syntax for type uuid: "not-a-uuid"`)
	wantError(t, call(t, srv, "GET", "/api/realtime/channels", nil, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "")
	wantError(t, call(t, srv, "GET", "/api/realtime/channels", nil, "Authorization", "Bearer "+DefaultAnonKey), 401, "AUTH_UNAUTHORIZED", "")

	// metadata section follows the state
	meta := call(t, srv, "GET", "/api/metadata/realtime", nil).obj(t)
	if chs, _ := meta["channels"].([]any); len(chs) != 2 {
		t.Errorf("metadata realtime = %v", meta)
	}

	// delete keeps messages, without their channel id
	r = call(t, srv, "DELETE", "/api/realtime/channels/"+id, nil)
	if r.status != 200 || r.obj(t)["message"] != "Channel deleted" {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	msgs := srv.RealtimeMessages()
	if len(msgs) != 1 || msgs[0].ChannelID != nil || msgs[0].ChannelName != "order:1" {
		t.Errorf("messages after delete = %+v", msgs)
	}
	wantError(t, call(t, srv, "DELETE", "/api/realtime/channels/"+id, nil), 404, "REALTIME_CHANNEL_NOT_FOUND", "")
}

func TestRealtimeFakePatternRule(t *testing.T) {
	for p, ok := range map[string]bool{
		"lobby": true, "order:%": true, "chat:%:messages": true, "a-b:c-d": true, "x:%%": true,
		"": false, "%": false, "order%": false, "a_b": false, ":x": false, "x:": false, "a b": false, "é": false,
	} {
		if got := rtPatternRE.MatchString(p); got != ok {
			t.Errorf("pattern %q valid = %v, want %v", p, got, ok)
		}
	}
	for _, c := range []struct {
		s, p string
		want bool
	}{
		{"order:42", "order:%", true}, {"order:", "order:%", true}, {"orders", "order:%", false},
		{"chat:1:messages", "chat:%:messages", true}, {"chat:1:other", "chat:%:messages", false},
		{"a1", "a_", true}, {"a", "a_", false}, {"a%", `a\%`, true}, {"ab", `a\%`, false},
	} {
		if got := rtLike(c.s, c.p); got != c.want {
			t.Errorf("%q LIKE %q = %v, want %v", c.s, c.p, got, c.want)
		}
	}
}

func TestRealtimeFakeMessages(t *testing.T) {
	srv := New(t)
	orders := srv.AddRealtimeChannel("order:%", "https://a.example/h", "https://b.example/h")
	exact := srv.AddRealtimeChannel("order:vip")
	srv.AddRealtimeChannel("lobby")

	if _, ok := srv.PublishRealtime("nowhere", "x", nil); ok {
		t.Error("published to a channel no pattern matches")
	}
	id1, ok := srv.PublishRealtime("order:1", "created", map[string]any{"n": 1})
	if !ok {
		t.Fatal("publish order:1 failed")
	}
	srv.PublishRealtime("order:vip", "created", nil) // exact pattern wins over order:%
	srv.PublishRealtime("order:2", "shipped", nil)
	srv.AddRealtimeMessage(RealtimeMessage{EventName: "typing", ChannelName: "lobby", SenderType: "user", WSAudienceCount: 3})

	all := call(t, srv, "GET", "/api/realtime/messages", nil).arr(t)
	if len(all) != 4 {
		t.Fatalf("messages = %d", len(all))
	}
	newest := all[0].(map[string]any)
	if newest["eventName"] != "typing" || newest["senderType"] != "user" || newest["wsAudienceCount"] != float64(3) {
		t.Errorf("newest = %v", newest)
	}
	oldest := all[3].(map[string]any)
	if oldest["id"] != id1 || oldest["channelId"] != orders || !reflect.DeepEqual(oldest["payload"], map[string]any{"n": float64(1)}) ||
		oldest["whAudienceCount"] != float64(2) || oldest["whDeliveredCount"] != float64(2) || oldest["senderId"] != nil {
		t.Errorf("oldest = %v", oldest)
	}
	if !reflect.DeepEqual(keysOf(oldest), []string{"channelId", "channelName", "createdAt", "eventName", "id", "payload", "senderId", "senderType", "whAudienceCount", "whDeliveredCount", "wsAudienceCount"}) {
		t.Errorf("message keys = %v", keysOf(oldest))
	}
	if vip := all[2].(map[string]any); vip["channelId"] != exact {
		t.Errorf("order:vip went to %v, want the exact pattern %s", vip["channelId"], exact)
	}

	got := call(t, srv, "GET", "/api/realtime/messages?channelId="+orders+"&limit=1&offset=1", nil).arr(t)
	if len(got) != 1 || got[0].(map[string]any)["id"] != id1 {
		t.Errorf("filtered page = %v", got)
	}
	if got := call(t, srv, "GET", "/api/realtime/messages?eventName=created", nil).arr(t); len(got) != 2 {
		t.Errorf("eventName filter = %v", got)
	}

	// stats
	st := call(t, srv, "GET", "/api/realtime/messages/stats", nil).obj(t)
	if st["totalMessages"] != float64(4) || st["whDeliveryRate"] != float64(1) || st["retentionDays"] != nil {
		t.Errorf("stats = %v", st)
	}
	tops := st["topEvents"].([]any)
	if len(tops) != 3 || !reflect.DeepEqual(tops[0], map[string]any{"eventName": "created", "count": float64(2)}) {
		t.Errorf("topEvents = %v", tops)
	}
	st = call(t, srv, "GET", "/api/realtime/messages/stats?channelId="+orders, nil).obj(t)
	if st["totalMessages"] != float64(2) {
		t.Errorf("channel stats = %v", st)
	}
	st = call(t, srv, "GET", "/api/realtime/messages/stats?since=2999-01-01", nil).obj(t)
	if st["totalMessages"] != float64(0) || st["whDeliveryRate"] != float64(0) || len(st["topEvents"].([]any)) != 0 {
		t.Errorf("future stats = %v", st)
	}

	// clear
	r := call(t, srv, "DELETE", "/api/realtime/messages", nil)
	if r.status != 200 || string(r.body) != `{"deleted":4}` {
		t.Errorf("clear: %d %s", r.status, r.body)
	}
	if n := len(srv.RealtimeMessages()); n != 0 {
		t.Errorf("%d messages left", n)
	}
}

func TestRealtimeFakeConfigAndPermissions(t *testing.T) {
	srv := New(t)
	r := call(t, srv, "GET", "/api/realtime/config", nil)
	if r.status != 200 || string(r.body) != `{"retentionDays":null}` {
		t.Errorf("config: %d %s", r.status, r.body)
	}
	r = call(t, srv, "PATCH", "/api/realtime/config", map[string]any{"retentionDays": 7})
	if r.status != 200 || r.obj(t)["message"] == "" {
		t.Errorf("patch: %d %s", r.status, r.body)
	}
	if r := call(t, srv, "GET", "/api/realtime/config", nil); string(r.body) != `{"retentionDays":7}` {
		t.Errorf("config after patch: %s", r.body)
	}
	if st := call(t, srv, "GET", "/api/realtime/messages/stats", nil).obj(t); st["retentionDays"] != float64(7) {
		t.Errorf("stats retention = %v", st["retentionDays"])
	}
	call(t, srv, "PATCH", "/api/realtime/config", `{"retentionDays":null}`)
	if r := call(t, srv, "GET", "/api/realtime/config", nil); string(r.body) != `{"retentionDays":null}` {
		t.Errorf("config after null: %s", r.body)
	}
	wantError(t, call(t, srv, "PATCH", "/api/realtime/config", map[string]any{}), 400, "INVALID_INPUT", "")
	wantError(t, call(t, srv, "PATCH", "/api/realtime/config", map[string]any{"retentionDays": 0}), 400, "INVALID_INPUT", "")
	wantError(t, call(t, srv, "PATCH", "/api/realtime/config", map[string]any{"retentionDays": 1.5}), 400, "INVALID_INPUT", "")
	wantError(t, call(t, srv, "PATCH", "/api/realtime/config", map[string]any{"retentionDays": "7"}), 400, "INVALID_INPUT", "")

	r = call(t, srv, "GET", "/api/realtime/permissions", nil)
	if string(r.body) != `{"publish":{"policies":[]},"subscribe":{"policies":[]}}` {
		t.Errorf("permissions = %s", r.body)
	}
	using := "pattern = 'order:%'"
	srv.AddRealtimePolicy(RealtimePolicy{PolicyName: "sub_orders", TableName: "channels", Command: "SELECT", Roles: []string{"authenticated"}, Using: &using})
	srv.AddRealtimePolicy(RealtimePolicy{PolicyName: "pub_any", TableName: "messages", Command: "INSERT"})
	p := call(t, srv, "GET", "/api/realtime/permissions", nil).obj(t)
	sub := p["subscribe"].(map[string]any)["policies"].([]any)
	pub := p["publish"].(map[string]any)["policies"].([]any)
	if len(sub) != 1 || len(pub) != 1 {
		t.Fatalf("permissions = %v", p)
	}
	want := map[string]any{"policyName": "sub_orders", "tableName": "channels", "command": "SELECT", "roles": []any{"authenticated"}, "using": using, "withCheck": nil}
	if !reflect.DeepEqual(sub[0], want) {
		t.Errorf("subscribe policy = %v", sub[0])
	}
	if pub[0].(map[string]any)["roles"].([]any)[0] != "public" {
		t.Errorf("publish policy = %v", pub[0])
	}
}

func TestRealtimeFakeConcurrentAndIsolated(t *testing.T) {
	a, b := New(t), New(t)
	a.AddRealtimeChannel("room:%")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.PublishRealtime("room:1", "e", map[string]any{"i": i})
			call(t, a, "GET", "/api/realtime/messages", nil)
			call(t, a, "GET", "/api/realtime/messages/stats", nil)
		}()
	}
	wg.Wait()
	if n := len(a.RealtimeMessages()); n != 8 {
		t.Errorf("a has %d messages", n)
	}
	if n := len(b.RealtimeMessages()); n != 0 {
		t.Errorf("b shares state with a: %d messages", n)
	}
	// the createdAt order is strict, so newest-first is stable
	seen := map[string]bool{}
	for _, m := range a.RealtimeMessages() {
		ts := isoMillis(m.CreatedAt)
		if seen[ts] {
			t.Errorf("duplicate createdAt %s", ts)
		}
		seen[ts] = true
	}
}

func TestRealtimeFakeHasNoRoutesOutsideItsPrefix(t *testing.T) {
	srv := New(t)
	r := call(t, srv, "POST", "/api/realtime/publish", map[string]any{})
	if r.status != 404 || !strings.Contains(string(r.body), "NOT_FOUND") {
		t.Errorf("publish endpoint should not exist: %d %s", r.status, r.body)
	}
}

// Raw SQL runs realtime.publish() like the backend's database function
// (observed on a real 2.3.1 backend): the message id (uuid, dataTypeID
// 2950), or NULL when no enabled pattern matches.
func TestRealtimeFakePublishThroughSQL(t *testing.T) {
	srv := New(t)
	chID := srv.AddRealtimeChannel("order:%")
	const q = "SELECT realtime.publish($1, $2, $3::jsonb) AS message_id"
	r := call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": q, "params": []any{"order:42", "status_changed", `{"id":42}`}})
	m := r.obj(t)
	rows, _ := m["rows"].([]any)
	fields, _ := m["fields"].([]any)
	if r.status != 200 || len(rows) != 1 || len(fields) != 1 || fields[0].(map[string]any)["dataTypeID"] != float64(2950) {
		t.Fatalf("publish = %d %s", r.status, r.body)
	}
	msgs := srv.RealtimeMessages()
	if len(msgs) != 1 || rows[0].(map[string]any)["message_id"] != msgs[0].ID || msgs[0].ChannelID == nil || *msgs[0].ChannelID != chID ||
		msgs[0].EventName != "status_changed" || msgs[0].Payload["id"] != float64(42) || msgs[0].SenderType != "system" {
		t.Errorf("log = %+v, answer %s", msgs, r.body)
	}
	r = call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": q, "params": []any{"invoice:7", "paid", `{}`}})
	if m := r.obj(t); r.status != 200 || m["rows"].([]any)[0].(map[string]any)["message_id"] != nil {
		t.Errorf("unmatched publish = %d %s", r.status, r.body)
	}
	if n := len(srv.RealtimeMessages()); n != 1 {
		t.Errorf("log has %d messages after an unmatched publish", n)
	}
	wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": "SELECT realtime.publish('a', 'b')"}), 500, "INTERNAL_ERROR", "function realtime.publish(unknown, unknown) does not exist")
}
