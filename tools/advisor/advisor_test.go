package advisor_test

import (
	"testing"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

func TestAdvisorScanFlow(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	text, _ := h.Data(t, "get-advisor-latest-scan", nil)
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/advisor/latest"))
	testmcp.WantText(t, text, "No advisor scan has run on this project yet", "start-advisor-scan")

	text, data := h.Data(t, "start-advisor-scan", nil)
	req := h.Last(t, "POST", "/api/advisor/scan")
	testmcp.WantAdminAuth(t, req)
	testmcp.WantText(t, text, "Advisor scan started", "get-advisor-latest-scan")
	if data["scanId"] == "" || data["scanId"] == nil {
		t.Errorf("structured = %v", data)
	}

	// a second start while the first runs: 409 explained
	testmcp.WantText(t, h.Fail(t, "start-advisor-scan", nil), "already running", "wait", "get-advisor-latest-scan")

	text, data = h.Data(t, "get-advisor-latest-scan", nil)
	testmcp.WantText(t, text, "still running", "again in a few seconds")
	if data["status"] != "running" {
		t.Errorf("structured = %v", data)
	}
	text, data = h.Data(t, "get-advisor-latest-scan", nil)
	testmcp.WantUntrusted(t, text)
	testmcp.WantText(t, text, "is completed and found 4 open issues (1 critical, 2 warning, 1 info)", "list-advisor-issues")
	if data["status"] != "completed" {
		t.Errorf("structured = %v", data)
	}

	h.Backend.Fail("GET", "/api/advisor/latest", &insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "relation system.advisor_scans does not exist"})
	testmcp.WantText(t, h.Fail(t, "get-advisor-latest-scan", nil), "answered 500", "advisor_scans")
}

func TestAdvisorListIssues(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	text, _ := h.Data(t, "list-advisor-issues", nil)
	testmcp.WantText(t, text, "No issues in the latest completed advisor scan", "start-advisor-scan")

	h.Backend.CompleteAdvisorScans(true)
	h.Data(t, "start-advisor-scan", nil)

	text, data := h.Data(t, "list-advisor-issues", map[string]any{"limit": 2})
	req := h.Last(t, "GET", "/api/advisor/issues")
	testmcp.WantAdminAuth(t, req)
	if q := testmcp.QueryOf(t, req); q.Get("limit") != "2" || q.Get("offset") != "0" || q.Has("severity") || q.Has("category") {
		t.Errorf("query = %v", q)
	}
	testmcp.WantUntrusted(t, text)
	testmcp.WantText(t, text, "Issues 1–2 of 4 from the latest completed advisor scan, most severe first.", "Next page: offset 2.")
	issues, _ := data["issues"].([]any)
	if len(issues) != 2 || data["total"] != float64(4) || issues[0].(map[string]any)["severity"] != "critical" {
		t.Errorf("structured = %v", data)
	}

	text, data = h.Data(t, "list-advisor-issues", map[string]any{"severity": "warning", "category": "security"})
	if q := testmcp.QueryOf(t, h.Last(t, "GET", "/api/advisor/issues")); q.Get("severity") != "warning" || q.Get("category") != "security" || q.Get("limit") != "50" {
		t.Errorf("filtered query = %v", q)
	}
	testmcp.WantText(t, text, "Warning security issues 1–1 of 1")
	if data["issues"].([]any)[0].(map[string]any)["ruleId"] != "rls-permissive" {
		t.Errorf("filtered = %v", data)
	}
	text, _ = h.Data(t, "list-advisor-issues", map[string]any{"category": "health", "severity": "critical"})
	testmcp.WantText(t, text, "No critical health issues")

	h.Refused(t, "list-advisor-issues", map[string]any{"severity": "high"}, "not a valid severity", "critical, warning, info")
	h.Refused(t, "list-advisor-issues", map[string]any{"limit": 201}, "between 1 and 200")
	h.Backend.Fail("GET", "/api/advisor/issues", &insforgefake.APIError{Status: 400, Code: "INVALID_INPUT", Message: "Invalid limit parameter: must be a positive integer"})
	testmcp.WantText(t, h.Fail(t, "list-advisor-issues", nil), "answered 400 INVALID_INPUT", "Invalid limit parameter")
}

func TestAdvisorReadOnlyAndHints(t *testing.T) {
	t.Parallel()
	testmcp.WantReadOnly(t, []string{"get-advisor-latest-scan", "list-advisor-issues"}, []string{"start-advisor-scan"})
	if got := testmcp.HintsOf(t, "start-advisor-scan"); got != tools.Create {
		t.Errorf("start-advisor-scan hints = %+v", got)
	}
}
