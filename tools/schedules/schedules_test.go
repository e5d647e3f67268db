package schedules_test

import (
	"testing"
	"time"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
)

func schedArgs(h *testmcp.Harness) map[string]any {
	return map[string]any{
		"name": "nightly-cleanup", "cronSchedule": "0 3 * * *", "functionUrl": h.Backend.URL + "/functions/cleanup", "httpMethod": "POST",
	}
}

func schedCreate(t *testing.T, h *testmcp.Harness, args map[string]any) string {
	t.Helper()
	_, data := h.Data(t, "create-schedule", args)
	id, _ := data["id"].(string)
	if id == "" {
		t.Fatalf("create-schedule returned no id: %v", data)
	}
	return id
}

func TestSchedulesCreateSchedule(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	h.Data(t, "create-secret", map[string]any{"key": "CRON_TOKEN", "value": "tok_live_1"})
	args := schedArgs(h)
	args["headers"] = map[string]any{"Authorization": "Bearer ${{secrets.CRON_TOKEN}}", "X-Source": "cron"}
	args["body"] = map[string]any{"olderThanDays": 30}
	text, data := h.Data(t, "create-schedule", args)
	req := h.Last(t, "POST", "/api/schedules")
	testmcp.WantAdminAuth(t, req)
	body := testmcp.BodyObject(t, req)
	if body["name"] != "nightly-cleanup" || body["cronSchedule"] != "0 3 * * *" || body["httpMethod"] != "POST" ||
		body["functionUrl"] != h.Backend.URL+"/functions/cleanup" || body["body"].(map[string]any)["olderThanDays"] != float64(30) ||
		body["headers"].(map[string]any)["Authorization"] != "Bearer ${{secrets.CRON_TOKEN}}" || len(body) != 6 {
		t.Errorf("body = %v", body)
	}
	id, _ := data["id"].(string)
	testmcp.WantText(t, text, `Created schedule "nightly-cleanup" (id `+id+")", "get-schedule-logs")
	testmcp.WantNoText(t, text, "literal credential", "tok_live_1")
	if hdr, _ := h.Backend.ScheduleHeaders(id); hdr["Authorization"] != "Bearer tok_live_1" {
		t.Errorf("the backend did not resolve the secret: %v", hdr)
	}

	// a literal credential works but is flagged
	args = schedArgs(h)
	args["name"] = "with-literal"
	args["headers"] = map[string]any{"x-api-key": "plain-text-key"}
	text, _ = h.Data(t, "create-schedule", args)
	testmcp.WantText(t, text, "Header x-api-key holds a literal credential", "create-secret")

	// backend errors
	args = schedArgs(h)
	args["headers"] = map[string]any{"Authorization": "Bearer ${{secrets.NOT_THERE}}"}
	testmcp.WantText(t, h.Fail(t, "create-schedule", args), `Secret with key "NOT_THERE" not found for schedule header "Authorization"`, "create-secret")
	h.Backend.FailTimes("POST", "/api/schedules", 1, &insforgefake.APIError{Status: 400, Code: "SCHEDULE_INVALID_CRON", Message: "Invalid cron expression: bad"})
	testmcp.WantText(t, h.Fail(t, "create-schedule", schedArgs(h)), "The backend rejected the cron expression", "5 fields")
	// real 2.3.1 over pg_cron 1.4: the backend accepts 'N seconds', pg_cron refuses it
	h.Backend.FailTimes("POST", "/api/schedules", 1, &insforgefake.APIError{Status: 500, Code: "DATABASE_INTERNAL_ERROR", Message: "invalid schedule: 30 seconds"})
	args = schedArgs(h)
	args["cronSchedule"] = "30 seconds"
	testmcp.WantText(t, h.Fail(t, "create-schedule", args), "pg_cron refused the timing", "invalid schedule: 30 seconds", "nothing was saved", "older than 1.5", "5-field cron expression")
}

func TestSchedulesCronAndInputChecks(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	for _, expr := range []string{"*/5 * * * *", "0 9 * * 1-5", "0 9 * * MON-FRI", "15,45 8-18/2 1 JAN,JUL *", "0 0 L * *", "0 0 * * 5L", "30 seconds", "1 second", "0 0 ? * 0", "0 0 * * 7"} {
		args := schedArgs(h)
		args["cronSchedule"] = expr
		if res := h.Call(t, "create-schedule", args); res.IsError {
			t.Errorf("valid cron %q refused: %s", expr, testmcp.Text(res))
		}
	}
	for expr, want := range map[string]string{
		"* * * *":           "has 4 fields, not 5",
		"0 0 * * * *":       "6-field cron with seconds is not supported",
		"60 * * * *":        `minute field "60"`,
		"0 24 * * *":        "hour field",
		"0 0 32 * *":        "day-of-month field",
		"0 0 * 13 *":        "month field",
		"0 0 * * 8":         "day-of-week field",
		"*/0 * * * *":       "invalid step /0",
		"0 9-5 * * *":       "backwards range 9-5",
		"90 seconds":        "1 to 59 seconds",
		"every day at nine": "has 4 fields",
	} {
		args := schedArgs(h)
		args["cronSchedule"] = expr
		h.Refused(t, "create-schedule", args, "cronSchedule", want)
	}
	args := schedArgs(h)
	args["name"] = "ab" // refused by the schema's minLength=3 before the handler
	h.Refused(t, "create-schedule", args, "name must be at least 3 characters")
	args = schedArgs(h)
	args["name"] = " ab " // long enough for the schema, not once trimmed
	h.Refused(t, "create-schedule", args, "name must be at least 3 characters")
	args = schedArgs(h)
	args["functionUrl"] = "cleanup"
	h.Refused(t, "create-schedule", args, "absolute http(s) URL", h.Backend.URL+"/functions/cleanup")
	args = schedArgs(h)
	args["httpMethod"] = "HEAD"
	h.Refused(t, "create-schedule", args, "not a valid httpMethod")
}

func TestSchedulesListGetUpdateDelete(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	text, _ := h.Data(t, "list-schedules", nil)
	testmcp.WantText(t, text, "No schedules yet")

	h.Data(t, "create-secret", map[string]any{"key": "CRON_TOKEN", "value": "tok_live_1"})
	args := schedArgs(h)
	args["headers"] = map[string]any{"Authorization": "Bearer ${{secrets.CRON_TOKEN}}", "X-Api-Key": "literal-key-123", "X-Trace": "on"}
	id := schedCreate(t, h, args)

	text, data := h.Data(t, "list-schedules", nil)
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/schedules"))
	testmcp.WantUntrusted(t, text)
	testmcp.WantText(t, text, "1 schedule (1 active). Times are UTC.")
	testmcp.WantNoText(t, text, "literal-key-123")
	list, _ := data["schedules"].([]any)
	if len(list) != 1 {
		t.Fatalf("structured = %v", data)
	}
	hdr := list[0].(map[string]any)["headers"].(map[string]any)
	if hdr["Authorization"] != "Bearer ${{secrets.CRON_TOKEN}}" || hdr["X-Trace"] != "on" || hdr["X-Api-Key"] == "literal-key-123" {
		t.Errorf("listed headers = %v", hdr)
	}

	text, data = h.Data(t, "get-schedule", map[string]any{"id": id})
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/schedules/"+id))
	testmcp.WantText(t, text, "Schedule nightly-cleanup (active), 0 3 * * * → POST", "Next run")
	testmcp.WantNoText(t, text, "literal-key-123")
	if data["id"] != id {
		t.Errorf("structured = %v", data)
	}

	text, _ = h.Data(t, "update-schedule", map[string]any{"id": id, "isActive": false, "cronSchedule": "*/10 * * * *", "headers": map[string]any{"X-Trace": "off"}})
	req := h.Last(t, "PATCH", "/api/schedules/"+id)
	testmcp.WantAdminAuth(t, req)
	body := testmcp.BodyObject(t, req)
	if body["isActive"] != false || body["cronSchedule"] != "*/10 * * * *" || body["headers"].(map[string]any)["X-Trace"] != "off" || len(body) != 3 {
		t.Errorf("patch body = %v", body)
	}
	testmcp.WantText(t, text, "Updated schedule "+id+" (cronSchedule, headers, isActive)", "paused")
	_, data = h.Data(t, "get-schedule", map[string]any{"id": id})
	if data["isActive"] != false || data["cronSchedule"] != "*/10 * * * *" {
		t.Errorf("after update = %v", data)
	}
	h.Refused(t, "update-schedule", map[string]any{"id": id}, "Nothing to change")
	h.Refused(t, "update-schedule", map[string]any{"id": id, "cronSchedule": "0 0 0 * *"}, "day-of-month field")

	text, _ = h.Data(t, "delete-schedule", map[string]any{"id": id})
	testmcp.WantAdminAuth(t, h.Last(t, "DELETE", "/api/schedules/"+id))
	testmcp.WantText(t, text, "Deleted schedule "+id)
	for _, tool := range []string{"get-schedule", "delete-schedule"} {
		testmcp.WantText(t, h.Fail(t, tool, map[string]any{"id": id}), "There is no schedule with id "+id, "list-schedules")
	}
	testmcp.WantText(t, h.Fail(t, "update-schedule", map[string]any{"id": id, "name": "renamed"}), "There is no schedule with id")
	h.Refused(t, "get-schedule", map[string]any{"id": "nightly-cleanup"}, "not a schedule id", "list-schedules")
	h.Refused(t, "delete-schedule", map[string]any{"id": "1"}, "not a schedule id")
}

func TestSchedulesGetScheduleLogs(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	id := schedCreate(t, h, schedArgs(h))
	text, _ := h.Data(t, "get-schedule-logs", map[string]any{"id": id})
	testmcp.WantText(t, text, "No runs recorded for schedule "+id, "not run yet")

	now := time.Now()
	for i := 0; i < 4; i++ {
		h.Backend.AddScheduleRun(id, insforgefake.ScheduleRun{At: now.Add(time.Duration(i-4) * time.Minute), StatusCode: 200, Success: true, Duration: 80 * time.Millisecond, Message: "ok"})
	}
	h.Backend.AddScheduleRun(id, insforgefake.ScheduleRun{At: now, StatusCode: 500, Success: false, Message: "function threw"})

	text, data := h.Data(t, "get-schedule-logs", map[string]any{"id": id, "limit": 3})
	req := h.Last(t, "GET", "/api/schedules/"+id+"/logs")
	testmcp.WantAdminAuth(t, req)
	if q := testmcp.QueryOf(t, req); q.Get("limit") != "3" || q.Get("offset") != "0" {
		t.Errorf("query = %v", q)
	}
	testmcp.WantUntrusted(t, text)
	testmcp.WantText(t, text, "Runs 1–3 of 5 of schedule "+id+", newest first; 1 of these failed.", "offset 3", "function.logs")
	logs, _ := data["logs"].([]any)
	if len(logs) != 3 || data["totalCount"] != float64(5) || logs[0].(map[string]any)["statusCode"] != float64(500) {
		t.Errorf("structured = %v", data)
	}
	text, _ = h.Data(t, "get-schedule-logs", map[string]any{"id": id, "offset": 3})
	testmcp.WantText(t, text, "Runs 4–5 of 5", "0 of these failed")

	h.Refused(t, "get-schedule-logs", map[string]any{"id": id, "limit": 101}, "between 1 and 100")
	h.Refused(t, "get-schedule-logs", map[string]any{"id": "x"}, "not a schedule id")
	h.Backend.Fail("GET", "/api/schedules/"+id+"/logs", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "pool exhausted"})
	testmcp.WantText(t, h.Fail(t, "get-schedule-logs", map[string]any{"id": id}), "answered 500", "pool exhausted")
}

func TestSchedulesReadOnly(t *testing.T) {
	t.Parallel()
	testmcp.WantReadOnly(t, []string{"list-schedules", "get-schedule", "get-schedule-logs"},
		[]string{"create-schedule", "update-schedule", "delete-schedule"})
}
