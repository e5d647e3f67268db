// Package advisor declares the database advisor's tools: scans of the
// project database for security, performance and health problems, and the
// issues they find (routes under /api/advisor).
package advisor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// IssuesInput are the arguments of list-advisor-issues.
type IssuesInput struct {
	Severity string `json:"severity,omitempty" jsonschema:"enum=critical,enum=warning,enum=info" jsonschema_description:"Only this severity."`
	Category string `json:"category,omitempty" jsonschema:"enum=security,enum=performance,enum=health" jsonschema_description:"Only this category."`
	Limit    int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=200,default=50" jsonschema_description:"Issues per page."`
	Offset   int    `json:"offset,omitempty" jsonschema:"minimum=0" jsonschema_description:"Issues to skip."`
}

// StartScan is start-advisor-scan.
func StartScan() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "start-advisor-scan",
		Title:       "Start an advisor scan",
		Hints:       tools.Create,
		Description: "Scan the database for security (e.g. tables without RLS), performance and health issues. It runs in the background: poll get-advisor-latest-scan until completed, then list-advisor-issues.",
	}, startScan)
}

// LatestScan is get-advisor-latest-scan.
func LatestScan() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-advisor-latest-scan",
		Title:       "Get the latest advisor scan",
		Hints:       tools.Read,
		Description: "Status of the latest advisor scan (running, completed, failed) and open issue counts by severity; poll it after start-advisor-scan.",
	}, latestScan)
}

// ListIssues is list-advisor-issues.
func ListIssues() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-advisor-issues",
		Title:       "List advisor issues",
		Hints:       tools.Read,
		Description: "List the latest completed advisor scan's issues, most severe first, with recommendations. After fixing, rescan to confirm.",
	}, listIssues)
}

func startScan(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	out, _, err := insforge.Call[struct {
		ScanID string `json:"scanId"`
	}](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/advisor/scan"})
	if err != nil {
		var ae *insforge.Error
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			return nil, tools.Errorf("A database advisor scan is already running. Do not start another: wait a few seconds and call get-advisor-latest-scan until its status is completed, then list-advisor-issues.")
		}
		return nil, err
	}
	return tools.Found("Advisor scan started. It runs in the background: call get-advisor-latest-scan in a few seconds and, once it is completed, list-advisor-issues.",
		map[string]any{"scanId": out.ScanID}), nil
}

func latestScan(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	scan, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: "/api/advisor/latest"})
	if err != nil {
		return nil, err
	}
	if scan == nil {
		return tools.Say("No advisor scan has run on this project yet. Start one with start-advisor-scan."), nil
	}
	summary, _ := scan["summary"].(map[string]any)
	count := func(k string) int {
		n, _ := summary[k].(json.Number).Int64()
		return int(n)
	}
	total := count("total")
	tally := fmt.Sprintf("%s (%d critical, %d warning, %d info)", tools.Plural(total, "open issue"), count("critical"), count("warning"), count("info"))
	var text string
	switch scan["status"] {
	case "running":
		text = "The latest advisor scan is still running; call get-advisor-latest-scan again in a few seconds. Its summary counts are those of the last completed scan, if there is one (" + tally + ")."
	case "failed":
		text = "The latest advisor scan failed (see errorMessage); you can start another with start-advisor-scan. Its summary counts are those of the last completed scan, if there is one (" + tally + ")."
	default:
		text = fmt.Sprintf("The latest advisor scan (%v) is %v and found %s.", scan["scannedAt"], scan["status"], tally)
		if total > 0 {
			text += " list-advisor-issues shows them, most severe first."
		}
	}
	return tools.Found(text, scan), nil
}

func listIssues(ctx context.Context, env *tools.Env, in IssuesInput) (*tools.Result, error) {
	limit, err := tools.CheckPage(in.Limit, 50, 200, in.Offset, "; use offset to page.")
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
	out, _, err := insforge.Call[struct {
		Issues []map[string]any `json:"issues"`
		Total  int              `json:"total"`
	}](ctx, env.Client, insforge.Request{Path: "/api/advisor/issues", Query: q})
	if err != nil {
		return nil, err
	}
	out.Issues = tools.OrEmpty(out.Issues)
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
		return tools.Found(msg, data), nil
	}
	text := fmt.Sprintf("%s %d–%d of %d from the latest completed advisor scan, most severe first.", tools.UpperFirst(what), in.Offset+1, in.Offset+len(out.Issues), out.Total)
	r := tools.Found(text, data)
	r.Page = tools.OffsetPage("issues", in.Offset, len(out.Issues), out.Total, limit, "Next page: offset %d.", "")
	return r, nil
}
