package insforgefake

import (
	"testing"
)

func TestAdvisorScanLifecycle(t *testing.T) {
	srv := New(t)
	r := call(t, srv, "GET", "/api/advisor/latest", nil)
	if r.status != 200 || string(r.body) != "null" {
		t.Fatalf("latest before any scan: %d %s", r.status, r.body)
	}
	if m := call(t, srv, "GET", "/api/advisor/issues", nil).obj(t); m["total"] != float64(0) || len(m["issues"].([]any)) != 0 {
		t.Errorf("issues before any scan = %v", m)
	}

	r = call(t, srv, "POST", "/api/advisor/scan", nil)
	if r.status != 201 || r.obj(t)["message"] != "Scan started" {
		t.Fatalf("scan: %d %s", r.status, r.body)
	}
	scanID := r.obj(t)["scanId"]
	wantError(t, call(t, srv, "POST", "/api/advisor/scan", nil), 409, "DATABASE_CONSTRAINT_VIOLATION", "A database advisor scan is already in progress.")

	m := call(t, srv, "GET", "/api/advisor/latest", nil).obj(t)
	if m["scanId"] != scanID || m["status"] != "running" || m["scanType"] != "manual" || m["summary"].(map[string]any)["total"] != float64(0) {
		t.Errorf("first latest = %v", m)
	}
	m = call(t, srv, "GET", "/api/advisor/latest", nil).obj(t)
	sum := m["summary"].(map[string]any)
	if m["status"] != "completed" || sum["total"] != float64(4) || sum["critical"] != float64(1) || sum["warning"] != float64(2) || sum["info"] != float64(1) {
		t.Errorf("second latest = %v", m)
	}

	// issues: most severe first, filters, paging
	m = call(t, srv, "GET", "/api/advisor/issues", nil).obj(t)
	issues := m["issues"].([]any)
	if m["total"] != float64(4) || len(issues) != 4 || issues[0].(map[string]any)["severity"] != "critical" || issues[3].(map[string]any)["severity"] != "info" {
		t.Errorf("issues = %v", m)
	}
	if issues[0].(map[string]any)["ruleId"] != "rls-disabled" || issues[0].(map[string]any)["affectedObject"] != "public.todos" {
		t.Errorf("first issue = %v", issues[0])
	}
	m = call(t, srv, "GET", "/api/advisor/issues?severity=warning&category=security", nil).obj(t)
	if m["total"] != float64(1) || m["issues"].([]any)[0].(map[string]any)["ruleId"] != "rls-permissive" {
		t.Errorf("filtered = %v", m)
	}
	m = call(t, srv, "GET", "/api/advisor/issues?limit=1&offset=1", nil).obj(t)
	if m["total"] != float64(4) || len(m["issues"].([]any)) != 1 || m["issues"].([]any)[0].(map[string]any)["severity"] != "warning" {
		t.Errorf("page = %v", m)
	}
	wantError(t, call(t, srv, "GET", "/api/advisor/issues?severity=high", nil), 400, "INVALID_INPUT", "Invalid severity parameter: must be one of critical, warning, info")
	wantError(t, call(t, srv, "GET", "/api/advisor/issues?category=cost", nil), 400, "INVALID_INPUT", "")
	wantError(t, call(t, srv, "GET", "/api/advisor/issues?limit=0", nil), 400, "INVALID_INPUT", "Invalid limit parameter: must be a positive integer")
	wantError(t, call(t, srv, "GET", "/api/advisor/issues?offset=-1", nil), 400, "INVALID_INPUT", "")
}

func TestAdvisorInstantScansAndFindings(t *testing.T) {
	srv := New(t)
	srv.CompleteAdvisorScans(true)
	srv.SetAdvisorFindings(AdvisorFinding{RuleID: "r1", Severity: "info", Category: "health", Title: "t", Description: "d"})
	call(t, srv, "POST", "/api/advisor/scan", nil)
	if m := call(t, srv, "GET", "/api/advisor/latest", nil).obj(t); m["status"] != "completed" || m["summary"].(map[string]any)["total"] != float64(1) {
		t.Errorf("instant scan = %v", m)
	}
	// nullable columns: an absent affectedObject or recommendation is null
	if is := call(t, srv, "GET", "/api/advisor/issues", nil).obj(t)["issues"].([]any); len(is) != 1 {
		t.Errorf("issues = %v", is)
	} else if f := is[0].(map[string]any); len(f) != 8 || f["affectedObject"] != nil || f["recommendation"] != nil {
		t.Errorf("finding without object = %v", f)
	}
	// a second scan may start at once, and the issues follow the latest completed scan
	srv.SetAdvisorFindings()
	if r := call(t, srv, "POST", "/api/advisor/scan", nil); r.status != 201 {
		t.Fatalf("second scan: %d %s", r.status, r.body)
	}
	if m := call(t, srv, "GET", "/api/advisor/issues", nil).obj(t); m["total"] != float64(0) {
		t.Errorf("issues after a clean scan = %v", m)
	}
	wantError(t, call(t, srv, "POST", "/api/advisor/scan", nil, "Authorization", ""), 401, "AUTH_INVALID_CREDENTIALS", "")
}
