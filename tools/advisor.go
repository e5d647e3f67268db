package tools

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/insforge"
)

// Advisor toolset: the database advisor's scans and findings (reference
// §2.11): security, performance and health checks of the project database.

// AdvisorIssuesInput are the arguments of list-advisor-issues.
type AdvisorIssuesInput struct {
	Severity string `json:"severity,omitempty" jsonschema:"enum=critical,enum=warning,enum=info" jsonschema_description:"Only issues of this severity: critical, warning or info."`
	Category string `json:"category,omitempty" jsonschema:"enum=security,enum=performance,enum=health" jsonschema_description:"Only issues of this category: security (RLS, exposed objects, …), performance (indexes, …) or health (connections, bloat, …)."`
	Limit    int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=200" jsonschema_description:"How many issues to return, most severe first (default 50, at most 200)."`
	Offset   int    `json:"offset,omitempty" jsonschema:"minimum=0" jsonschema_description:"How many issues to skip, for the next page (default 0)."`
}

func advisorTools() []Tool {
	return []Tool{
		Define(Spec{
			Name:    "start-advisor-scan",
			Title:   "Start a database advisor scan",
			Toolset: Advisor,
			Hints:   Create,
			Description: "Start a database advisor scan, which checks the project database for security problems (such as tables without RLS), missing indexes and health issues. " +
				"It runs in the background for a few seconds: poll get-advisor-latest-scan until its status is completed, then read the findings with list-advisor-issues.",
		}, startAdvisorScan),
		Define(Spec{
			Name:    "get-advisor-latest-scan",
			Title:   "Get the latest advisor scan",
			Toolset: Advisor,
			Hints:   Read,
			Description: "Get the status of the most recent database advisor scan (running, completed or failed) and the number of open issues by severity from the latest completed scan. " +
				"Use it to poll after start-advisor-scan; list-advisor-issues shows the issues themselves.",
		}, getAdvisorLatestScan),
		Define(Spec{
			Name:    "list-advisor-issues",
			Title:   "List database advisor issues",
			Toolset: Advisor,
			Hints:   Read,
			Description: "List the issues found by the latest completed database advisor scan, most severe first, each with a title, description, affected object and recommendation; filter by severity or category. " +
				"Fix them with the database tools (for example run-raw-sql to enable RLS or add an index), then start a new scan to confirm.",
		}, listAdvisorIssues),
	}
}

func startAdvisorScan(ctx context.Context, env *Env, _ NoInput) (*Result, error) {
	var out struct {
		ScanID string `json:"scanId"`
	}
	if err := env.Client.Send(ctx, http.MethodPost, "/api/advisor/scan", nil, &out); err != nil {
		var ae *insforge.Error
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			return nil, Errorf("A database advisor scan is already running. Do not start another: wait a few seconds and call get-advisor-latest-scan until its status is completed, then list-advisor-issues.")
		}
		return nil, err
	}
	return Found("Advisor scan started. It runs in the background: call get-advisor-latest-scan in a few seconds and, once it is completed, list-advisor-issues.",
		map[string]any{"scanId": out.ScanID}), nil
}

func getAdvisorLatestScan(ctx context.Context, env *Env, _ NoInput) (*Result, error) {
	resp, err := env.Client.Do(ctx, insforge.Request{Method: http.MethodGet, Path: "/api/advisor/latest"})
	if err != nil {
		return nil, err
	}
	var scan map[string]any
	if err := resp.Decode(&scan); err != nil {
		return nil, err
	}
	if scan == nil {
		return Say("No advisor scan has run on this project yet. Start one with start-advisor-scan."), nil
	}
	var counts struct {
		Summary struct {
			Total, Critical, Warning, Info int
		} `json:"summary"`
	}
	_ = resp.Decode(&counts)
	c := counts.Summary
	tally := fmt.Sprintf("%s (%d critical, %d warning, %d info)", Plural(c.Total, "open issue"), c.Critical, c.Warning, c.Info)
	var summary string
	switch scan["status"] {
	case "running":
		summary = "The latest advisor scan is still running; call get-advisor-latest-scan again in a few seconds. Its summary counts are those of the last completed scan, if there is one (" + tally + ")."
	case "failed":
		summary = "The latest advisor scan failed (see errorMessage); you can start another with start-advisor-scan. Its summary counts are those of the last completed scan, if there is one (" + tally + ")."
	default:
		summary = fmt.Sprintf("The latest advisor scan (%v) is %v and found %s.", scan["scannedAt"], scan["status"], tally)
		if c.Total > 0 {
			summary += " list-advisor-issues shows them, most severe first."
		}
	}
	return Found(summary, scan), nil
}

func listAdvisorIssues(ctx context.Context, env *Env, in AdvisorIssuesInput) (*Result, error) {
	limit, err := CheckPage(in.Limit, 50, 200, in.Offset, "; use offset to page.")
	if err != nil {
		return nil, err
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(in.Offset)}}
	var filters []string
	if in.Severity != "" {
		q.Set("severity", in.Severity)
		filters = append(filters, in.Severity)
	}
	if in.Category != "" {
		q.Set("category", in.Category)
		filters = append(filters, in.Category)
	}
	var out struct {
		Issues []map[string]any `json:"issues"`
		Total  int              `json:"total"`
	}
	if err := env.Client.Get(ctx, "/api/advisor/issues", q, &out); err != nil {
		return nil, err
	}
	out.Issues = OrEmpty(out.Issues)
	what := "issues"
	if len(filters) > 0 {
		what = strings.Join(filters, " ") + " issues"
	}
	data := map[string]any{"issues": out.Issues, "total": out.Total, "offset": in.Offset}
	if len(out.Issues) == 0 {
		msg := fmt.Sprintf("No %s in the latest completed advisor scan. If no scan has completed yet, run start-advisor-scan first.", what)
		if in.Offset > 0 && out.Total > 0 {
			msg = fmt.Sprintf("No %s past offset %d (%d in total).", what, in.Offset, out.Total)
		}
		return Found(msg, data), nil
	}
	summary := fmt.Sprintf("%s %d–%d of %d from the latest completed advisor scan, most severe first.", UpperFirst(what), in.Offset+1, in.Offset+len(out.Issues), out.Total)
	if next := in.Offset + len(out.Issues); next < out.Total {
		summary += fmt.Sprintf(" Next page: offset %d.", next)
	}
	return Found(summary, data), nil
}
