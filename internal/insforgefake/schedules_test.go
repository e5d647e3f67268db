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
	next, err := time.Parse(time.RFC3339, s["nextRun"].(string))
	if err != nil || next.UTC().Hour() != 3 || next.Minute() != 0 || next.Before(time.Now()) {
		t.Errorf("nextRun = %v", s["nextRun"])
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
	if l := call(t, srv, "GET", "/api/schedules/"+id+"/logs?limit=500&offset=-3", nil).obj(t); l["limit"] != float64(100) || l["offset"] != float64(0) {
		t.Errorf("clamped paging = %v", l)
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
	wantError(t, call(t, srv, "GET", "/api/schedules/not-a-uuid", nil), 500, "INTERNAL_ERROR", `invalid input syntax for type uuid: "not-a-uuid"`)
}

func TestSchedulesValidation(t *testing.T) {
	srv := New(t)
	valid := func() map[string]any {
		return map[string]any{"name": "job", "cronSchedule": "*/5 * * * *", "functionUrl": "https://x.example/functions/f", "httpMethod": "GET"}
	}
	with := func(k string, v any) map[string]any {
		b := valid()
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	wantError(t, call(t, srv, "POST", "/api/schedules", with("cronSchedule", "* * * *")), 400, "SCHEDULE_INVALID_CRON", "")
	wantError(t, call(t, srv, "POST", "/api/schedules", with("cronSchedule", "90 seconds")), 400, "SCHEDULE_INVALID_CRON", "")
	wantError(t, call(t, srv, "POST", "/api/schedules", with("cronSchedule", "61 * * * *")), 400, "SCHEDULE_INVALID_CRON", "")
	wantError(t, call(t, srv, "POST", "/api/schedules", with("headers", map[string]any{"Authorization": "Bearer ${{secrets.MISSING}}"})), 404, "SECRET_NOT_FOUND",
		`Secret with key "MISSING" not found for schedule header "Authorization".`)

	id := newSchedule(t, srv, with("cronSchedule", "0 9 * * MON-FRI"))
	wantError(t, call(t, srv, "PATCH", "/api/schedules/"+id, map[string]any{"cronSchedule": "0 25 * * *"}), 400, "SCHEDULE_INVALID_CRON", "")
	if n := len(call(t, srv, "GET", "/api/schedules", nil).arr(t)); n != 1 {
		t.Errorf("failed creates stored schedules: %d", n)
	}
}

func TestSchedulesNextRun(t *testing.T) {
	after := time.Date(2026, 3, 6, 10, 7, 30, 0, time.UTC) // a Friday
	for expr, want := range map[string]string{
		"*/15 * * * *":    "2026-03-06T10:15:00Z",
		"0 9 * * MON-FRI": "2026-03-09T09:00:00Z",
		"0 0 1 1 *":       "2027-01-01T00:00:00Z",
		"0 12 13 * 5":     "2026-03-06T12:00:00Z", // day-of-month OR day-of-week
		"45 seconds":      "2026-03-06T10:08:15Z",
	} {
		got, ok := nextCronRun(expr, after)
		if !ok || got.Format(time.RFC3339) != want {
			t.Errorf("next(%q) = %v %v, want %s", expr, got, ok, want)
		}
	}
	if _, ok := nextCronRun("0 0 L * *", after); ok {
		t.Errorf("L is accepted but not computed")
	}
}
