package insforgefake

import (
	"testing"
	"time"
)

func newSchedule(t *testing.T, srv *Server, body map[string]any) string {
	t.Helper()
	r := call(t, srv, "POST", "/api/schedules", body)
	if r.status != 201 {
		t.Fatalf("create schedule: %d %s", r.status, r.body)
	}
	m := r.obj(t)
	if m["message"] != "Schedule created successfully" || m["cronJobId"] == "" {
		t.Errorf("create = %v", m)
	}
	return m["id"].(string)
}

func TestSchedulesCRUD(t *testing.T) {
	t.Parallel()
	srv := New(t)
	if got := call(t, srv, "GET", "/api/schedules", nil).arr(t); len(got) != 0 {
		t.Fatalf("initial list = %v", got)
	}
	call(t, srv, "POST", "/api/secrets", map[string]any{"key": "CRON_TOKEN", "value": "tok_123"})
	id := newSchedule(t, srv, map[string]any{
		"name": "nightly", "cronSchedule": "0 3 * * *", "functionUrl": srv.URL + "/functions/cleanup", "httpMethod": "POST",
		"headers": map[string]any{"Authorization": "Bearer ${{secrets.CRON_TOKEN}}"}, "body": map[string]any{"dryRun": false},
	})

	s := call(t, srv, "GET", "/api/schedules/"+id, nil).obj(t)
	if s["name"] != "nightly" || s["isActive"] != true || s["cronJobId"] == nil || s["lastExecutedAt"] != nil {
		t.Errorf("get = %v", s)
	}
	if h := s["headers"].(map[string]any); h["Authorization"] != "Bearer ${{secrets.CRON_TOKEN}}" {
		t.Errorf("stored headers = %v (the template is kept)", h)
	}
	if h, _ := srv.ScheduleHeaders(id); h["Authorization"] != "Bearer tok_123" {
		t.Errorf("resolved headers = %v", h)
	}
	for _, k := range []string{"id", "name", "cronSchedule", "functionUrl", "httpMethod", "headers", "body", "cronJobId", "lastExecutedAt", "isActive", "nextRun", "createdAt", "updatedAt"} {
		if _, ok := s[k]; !ok {
			t.Errorf("schedule lacks %s", k)
		}
	}

	// PATCH: pause, then change timing
	r := call(t, srv, "PATCH", "/api/schedules/"+id, map[string]any{"isActive": false})
	if r.status != 200 || r.obj(t)["message"] != "Schedule updated successfully" {
		t.Fatalf("pause: %d %s", r.status, r.body)
	}
	r = call(t, srv, "PATCH", "/api/schedules/"+id, map[string]any{"cronSchedule": "30 seconds"})
	if r.status != 200 {
		t.Fatalf("retime: %d %s", r.status, r.body)
	}
	list := call(t, srv, "GET", "/api/schedules", nil).arr(t)
	if len(list) != 1 || list[0].(map[string]any)["isActive"] != false || list[0].(map[string]any)["cronSchedule"] != "30 seconds" {
		t.Errorf("list after patch = %v", list)
	}

	// logs, newest first, paged
	for i := 0; i < 3; i++ {
		srv.AddScheduleRun(id, ScheduleRun{At: time.Now().Add(time.Duration(i-3) * time.Minute), StatusCode: 200 + i, Success: i != 1, Duration: 120 * time.Millisecond})
	}
	logs := call(t, srv, "GET", "/api/schedules/"+id+"/logs?limit=2", nil).obj(t)
	entries := logs["logs"].([]any)
	if logs["totalCount"] != float64(3) || logs["limit"] != float64(2) || logs["offset"] != float64(0) || len(entries) != 2 ||
		entries[0].(map[string]any)["statusCode"] != float64(202) || entries[0].(map[string]any)["durationMs"] != float64(120) {
		t.Errorf("logs = %v", logs)
	}
	if s := call(t, srv, "GET", "/api/schedules/"+id, nil).obj(t); s["lastExecutedAt"] == nil {
		t.Errorf("lastExecutedAt not set by runs")
	}

	// delete, then 404 everywhere
	if r := call(t, srv, "DELETE", "/api/schedules/"+id, nil); r.status != 200 || r.obj(t)["message"] != "Schedule deleted successfully." {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	wantError(t, call(t, srv, "GET", "/api/schedules/"+id, nil), 404, "SCHEDULE_NOT_FOUND", "Schedule not found.")
	wantError(t, call(t, srv, "DELETE", "/api/schedules/"+id, nil), 404, "SCHEDULE_NOT_FOUND", "")
	wantError(t, call(t, srv, "PATCH", "/api/schedules/"+id, map[string]any{"name": "again"}), 404, "SCHEDULE_NOT_FOUND", "")
	if l := call(t, srv, "GET", "/api/schedules/"+id+"/logs", nil).obj(t); l["totalCount"] != float64(0) {
		t.Errorf("logs of a deleted schedule = %v", l)
	}
}

func TestSchedulesMissingSecret(t *testing.T) {
	t.Parallel()
	srv := New(t)
	body := map[string]any{"name": "job", "cronSchedule": "*/5 * * * *", "functionUrl": "https://x.example/functions/f", "httpMethod": "GET"}
	id := newSchedule(t, srv, body)
	body["headers"] = map[string]any{"Authorization": "Bearer ${{secrets.MISSING}}"}
	wantError(t, call(t, srv, "POST", "/api/schedules", body), 404, "SECRET_NOT_FOUND",
		`Secret with key "MISSING" not found for schedule header "Authorization".`)
	wantError(t, call(t, srv, "PATCH", "/api/schedules/"+id, body), 404, "SECRET_NOT_FOUND", "")
	if n := len(call(t, srv, "GET", "/api/schedules", nil).arr(t)); n != 1 {
		t.Errorf("failed creates stored schedules: %d", n)
	}
}
