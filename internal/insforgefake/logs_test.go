package insforgefake

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestLogsSourcesAndAuth(t *testing.T) {
	srv := New(t)
	r := call(t, srv, "GET", "/api/logs/sources", nil)
	if r.status != 200 {
		t.Fatalf("sources: %d %s", r.status, r.body)
	}
	got := r.arr(t)
	if len(got) != 4 {
		t.Fatalf("sources = %s", r.body)
	}
	for i, s := range got {
		m := s.(map[string]any)
		if m["name"] != LogSources[i] || m["token"] != LogSourceTokens[LogSources[i]] || m["id"] == "" {
			t.Errorf("source %d = %v", i, m)
		}
	}
	wantError(t, call(t, srv, "GET", "/api/logs/sources", nil, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "No admin token provided")
	wantError(t, call(t, srv, "GET", "/api/logs/postgres.logs", nil, "Authorization", "Bearer "+DefaultAnonKey), 401, "AUTH_UNAUTHORIZED", "")
}

func TestLogsBySourceLimitAndBefore(t *testing.T) {
	srv := New(t)
	base := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	var entries []LogEntry
	for i := 9; i >= 0; i-- { // added out of order on purpose
		entries = append(entries, LogEntry{Timestamp: base.Add(time.Duration(i) * time.Minute), Message: "line " + string(rune('0'+i))})
	}
	srv.AddLogs("postgres.logs", entries...)

	// default limit 100: the 3 seeded entries plus the 10 added, oldest first
	m := call(t, srv, "GET", "/api/logs/postgres.logs", nil).obj(t)
	logs := m["logs"].([]any)
	if len(logs) != 13 || m["total"] != float64(13) {
		t.Fatalf("all logs = %d, total %v", len(logs), m["total"])
	}
	first := logs[0].(map[string]any)
	if first["eventMessage"] != "line 0" || first["timestamp"] != isoMillis(base) {
		t.Errorf("first = %v", first)
	}
	if b, _ := first["body"].(map[string]any); b["message"] != "line 0" || b["level"] != "info" {
		t.Errorf("body = %v", first["body"])
	}
	for _, k := range []string{"id", "timestamp", "eventMessage", "body"} {
		if _, ok := first[k]; !ok {
			t.Errorf("entry lacks %s", k)
		}
	}

	// limit keeps the most recent; before_timestamp pages back
	before := isoMillis(base.Add(5 * time.Minute))
	m = call(t, srv, "GET", "/api/logs/postgres.logs?limit=3&before_timestamp="+url.QueryEscape(before), nil).obj(t)
	logs = m["logs"].([]any)
	var msgs []string
	for _, l := range logs {
		msgs = append(msgs, l.(map[string]any)["eventMessage"].(string))
	}
	if strings.Join(msgs, ",") != "line 2,line 3,line 4" || m["total"] != float64(3) {
		t.Errorf("page = %v total %v", msgs, m["total"])
	}

	// invalid before_timestamp: nothing compares before NaN
	m = call(t, srv, "GET", "/api/logs/postgres.logs?before_timestamp=yesterday", nil).obj(t)
	if len(m["logs"].([]any)) != 0 {
		t.Errorf("invalid before_timestamp returned %v", m["logs"])
	}
	// unknown source: 200 with an empty list (as a real backend does)
	m = call(t, srv, "GET", "/api/logs/nope.logs", nil).obj(t)
	if len(m["logs"].([]any)) != 0 || m["total"] != float64(0) {
		t.Errorf("unknown source = %v", m)
	}
}

func TestLogsSearchPaging(t *testing.T) {
	srv := New(t)
	at := time.Now().Add(-time.Hour)
	for i := 0; i < 5; i++ {
		srv.AddLogs("insforge.logs", LogEntry{Timestamp: at.Add(time.Duration(i) * time.Second), Message: "error - boom", Body: map[string]any{"code": "E42"}})
	}
	srv.AddLogs("postgres.logs", LogEntry{Timestamp: at, Message: "ERROR: relation does not exist", Body: map[string]any{"code": "e42"}})

	r := call(t, srv, "GET", "/api/logs/search?q=e42&limit=4", nil)
	if r.status != 206 || r.header.Get("Content-Range") != "0-3/6" {
		t.Fatalf("search: %d %q %s", r.status, r.header.Get("Content-Range"), r.body)
	}
	if got := r.arr(t); len(got) != 4 || got[0].(map[string]any)["source"] != "insforge.logs" {
		t.Errorf("page = %s", r.body)
	}
	r = call(t, srv, "GET", "/api/logs/search?q=E42&offset=4", nil)
	if r.status != 206 || r.header.Get("Content-Range") != "4-5/6" || r.arr(t)[1].(map[string]any)["source"] != "postgres.logs" {
		t.Errorf("second page: %d %q %s", r.status, r.header.Get("Content-Range"), r.body)
	}
	r = call(t, srv, "GET", "/api/logs/search?q=relation&source=postgres.logs", nil)
	if len(r.arr(t)) != 1 {
		t.Errorf("source filter: %s", r.body)
	}
	wantError(t, call(t, srv, "GET", "/api/logs/search", nil), 400, "INVALID_INPUT", "Search query parameter (q) is required")
}

func TestLogsStatsAndBuildLogs(t *testing.T) {
	srv := New(t)
	wantError(t, call(t, srv, "GET", "/api/logs/functions/build-logs", nil), 404, "LOG_NOT_FOUND", "")
	srv.AddFunctionBuildLog(BuildLog{DeploymentID: "dep_1", Status: "success"})
	srv.AddFunctionBuildLog(BuildLog{DeploymentID: "dep_2", Status: "failed", Lines: []BuildLogLine{{Level: "error", Message: "SyntaxError"}}})
	m := call(t, srv, "GET", "/api/logs/functions/build-logs", nil).obj(t)
	if m["deploymentId"] != "dep_2" || m["status"] != "failed" || len(m["logs"].([]any)) != 1 || m["createdAt"] == "" {
		t.Errorf("latest build = %v", m)
	}
	m = call(t, srv, "GET", "/api/logs/functions/build-logs?deployment_id=dep_1", nil).obj(t)
	if m["deploymentId"] != "dep_1" || len(m["logs"].([]any)) != 0 {
		t.Errorf("dep_1 = %v", m)
	}
	wantError(t, call(t, srv, "GET", "/api/logs/functions/build-logs?deployment_id=dep_9", nil), 404, "LOG_NOT_FOUND", "")
}
