// Package logs declares the log tools: the backend's log sources, recent
// entries of one source, full-text search and edge function build logs
// (routes under /api/logs). Log lines are backend data and may carry text
// written by end users: they always go through tools.Found.
package logs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

const (
	defaultLimit       = 20
	maxLimit           = 500
	searchDefaultLimit = 50
)

// ContainerLogsInput are the arguments of get-container-logs (official name
// and parameters, plus beforeTimestamp for paging).
type ContainerLogsInput struct {
	Source          string `json:"source" jsonschema:"required,enum=insforge.logs,enum=postgREST.logs,enum=postgres.logs,enum=function.logs" jsonschema_description:"postgres.logs: SQL errors; function.logs: edge functions; insforge.logs: the API server."`
	Limit           int    `json:"limit,omitempty" jsonschema:"default=20,minimum=1,maximum=500" jsonschema_description:"Entries to return."`
	BeforeTimestamp string `json:"beforeTimestamp,omitempty" jsonschema_description:"ISO 8601: entries before it, to page back."`
}

// SearchInput are the arguments of search-logs.
type SearchInput struct {
	Query  string `json:"query" jsonschema:"required,minLength=1" jsonschema_description:"Case-insensitive; e.g. an error code, table or path."`
	Source string `json:"source,omitempty" jsonschema:"enum=insforge.logs,enum=postgREST.logs,enum=postgres.logs,enum=function.logs" jsonschema_description:"Omit to search all."`
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=500,default=50" jsonschema_description:"Matches per page."`
	Offset int    `json:"offset,omitempty" jsonschema:"minimum=0" jsonschema_description:"Matches to skip."`
}

// BuildLogsInput are the arguments of get-function-build-logs.
type BuildLogsInput struct {
	DeploymentID string `json:"deploymentId,omitempty" jsonschema_description:"Omit for the latest."`
}

// entry is one entry of GET /api/logs/{source} and /api/logs/search.
type entry struct {
	ID           string         `json:"id"`
	Timestamp    string         `json:"timestamp"`
	EventMessage string         `json:"eventMessage"`
	Body         map[string]any `json:"body,omitempty"`
	Source       string         `json:"source,omitempty"`
}

// ListSources is list-log-sources.
func ListSources() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-log-sources",
		Title:       "List log sources",
		Hints:       tools.Read,
		Description: "List the backend's log source names, for get-container-logs and search-logs.",
	}, listSources)
}

// ContainerLogs is get-container-logs.
func ContainerLogs() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-container-logs",
		Title:       "Read recent log entries",
		Hints:       tools.Read,
		Description: "Read a backend log's latest entries to debug a failure; empty can mean nothing was logged yet.",
	}, containerLogs)
}

// Search is search-logs.
func Search() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "search-logs",
		Title:       "Search the logs",
		Hints:       tools.Read,
		Description: "Search all log sources, or one, for text in messages and bodies. get-container-logs shows what happened around a time.",
	}, search)
}

// FunctionBuildLogs is get-function-build-logs.
func FunctionBuildLogs() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-function-build-logs",
		Title:       "Get function build logs",
		Hints:       tools.Read,
		Description: "Get the build output of an edge function deployment. Only InsForge Cloud keeps these; self-hosted, read function.logs.",
	}, functionBuildLogs)
}

func listSources(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	sources, _, err := insforge.Call[[]struct {
		Name string `json:"name"` // the token field is deliberately not decoded
	}](ctx, env.Client, insforge.Request{Path: "/api/logs/sources"})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(sources))
	for _, s := range sources {
		if s.Name != "" {
			names = append(names, s.Name)
		}
	}
	if len(names) == 0 {
		return tools.Say("The backend reports no log sources. It may not be writing logs yet; try get-container-logs with insforge.logs anyway."), nil
	}
	return tools.Found(fmt.Sprintf("%s. Read one with get-container-logs (source must be spelled exactly).", tools.Plural(len(names), "log source")),
		map[string]any{"sources": names}), nil
}

func containerLogs(ctx context.Context, env *tools.Env, in ContainerLogsInput) (*tools.Result, error) {
	limit := in.Limit
	if limit == 0 {
		limit = defaultLimit
	}
	if limit < 1 || limit > maxLimit {
		return nil, tools.Errorf("limit must be between 1 and %d (got %d); page back with beforeTimestamp to see more.", maxLimit, in.Limit)
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if in.BeforeTimestamp != "" {
		if _, ok := tools.ParseISOTime(in.BeforeTimestamp); !ok {
			return nil, tools.Errorf("beforeTimestamp %q is not an ISO 8601 time; use a value like 2026-03-01T10:15:00Z, for example the timestamp of the oldest entry you already have.", in.BeforeTimestamp)
		}
		q.Set("before_timestamp", in.BeforeTimestamp)
	}
	out, _, err := insforge.Call[struct {
		Logs  []entry `json:"logs"`
		Total int     `json:"total"`
	}](ctx, env.Client, insforge.Request{Path: "/api/logs/" + url.PathEscape(in.Source), Query: q})
	if err != nil {
		return nil, err
	}
	out.Logs = tools.OrEmpty(out.Logs)
	before := ""
	if in.BeforeTimestamp != "" {
		before = " before " + in.BeforeTimestamp
	}
	if len(out.Logs) == 0 {
		return tools.Found(fmt.Sprintf("No entries in %s%s. Nothing has been logged there in that period; try another source (list-log-sources) or search-logs.", in.Source, before),
			map[string]any{"source": in.Source, "logs": out.Logs, "total": out.Total}), nil
	}
	oldest, newest := span(out.Logs)
	summary := fmt.Sprintf("%s from %s%s", tools.PluralNoun(len(out.Logs), "entry", "entries"), in.Source, before)
	if oldest != "" {
		summary += fmt.Sprintf(", from %s to %s", oldest, newest)
	}
	summary += "."
	if len(out.Logs) >= limit && oldest != "" {
		summary += fmt.Sprintf(" Older entries may exist: call get-container-logs again with beforeTimestamp %q.", oldest)
	} else {
		summary += " There are no older entries" + before + "."
	}
	return tools.Found(summary, map[string]any{"source": in.Source, "logs": out.Logs, "total": out.Total}), nil
}

// span returns the oldest and newest timestamps of entries, as the backend
// wrote them ("" when none parses). Entries are not assumed sorted.
func span(entries []entry) (oldest, newest string) {
	var lo, hi time.Time
	for _, e := range entries {
		t, ok := tools.ParseISOTime(e.Timestamp)
		if !ok {
			continue
		}
		if oldest == "" || t.Before(lo) {
			lo, oldest = t, e.Timestamp
		}
		if newest == "" || t.After(hi) {
			hi, newest = t, e.Timestamp
		}
	}
	return oldest, newest
}

func search(ctx context.Context, env *tools.Env, in SearchInput) (*tools.Result, error) {
	if strings.TrimSpace(in.Query) == "" {
		return nil, tools.Errorf("query must not be blank: give the text to look for, such as an error code or a table name.")
	}
	limit, err := tools.CheckPage(in.Limit, searchDefaultLimit, maxLimit, in.Offset, "; use offset to page through more matches.")
	if err != nil {
		return nil, err
	}
	q := url.Values{"q": {in.Query}, "limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(in.Offset)}}
	if in.Source != "" {
		q.Set("source", in.Source)
	}
	logs, resp, err := insforge.Call[[]entry](ctx, env.Client, insforge.Request{Path: "/api/logs/search", Query: q})
	if err != nil {
		return nil, err
	}
	logs = tools.OrEmpty(logs)
	total, ok := resp.Total()
	if !ok {
		total = in.Offset + len(logs)
	}
	where := "all sources"
	if in.Source != "" {
		where = in.Source
	}
	data := map[string]any{"query": in.Query, "total": total, "offset": in.Offset, "logs": logs}
	if in.Source != "" {
		data["source"] = in.Source
	}
	if len(logs) == 0 {
		msg := fmt.Sprintf("No log entries in %s match %q", where, in.Query)
		if in.Offset > 0 && total > 0 {
			msg = fmt.Sprintf("No matches past offset %d: %q has %d matches in %s", in.Offset, in.Query, total, where)
		}
		return tools.Found(msg+".", data), nil
	}
	summary := fmt.Sprintf("Matches %d–%d of %d for %q in %s.", in.Offset+1, in.Offset+len(logs), total, in.Query, where)
	r := tools.Found(summary, data)
	r.Page = tools.OffsetPage("logs", in.Offset, len(logs), total, 0, "For the next page call search-logs again with offset %d.", "")
	return r, nil
}

func functionBuildLogs(ctx context.Context, env *tools.Env, in BuildLogsInput) (*tools.Result, error) {
	var q url.Values
	if in.DeploymentID != "" {
		q = url.Values{"deployment_id": {in.DeploymentID}}
	}
	// The whole answer is the result; the summary reads a few of its fields.
	data, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: "/api/logs/functions/build-logs", Query: q})
	if err != nil {
		var ae *insforge.Error
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound && ae.Code == "LOG_NOT_FOUND" {
			which := "the latest function deployment"
			if in.DeploymentID != "" {
				which = "deployment " + in.DeploymentID
			}
			return tools.Say("No build logs for %s: this backend keeps them only when edge functions deploy to Deno Deploy (InsForge Cloud), and only after a deployment exists. "+
				"On a self-hosted backend the build result is in the answer of create-function/update-function; runtime errors are in get-container-logs with source function.logs.", which), nil
		}
		return nil, err
	}
	deploymentID, _ := data["deploymentId"].(string)
	status, _ := data["status"].(string)
	lines, _ := data["logs"].([]any)
	summary := fmt.Sprintf("Build of function deployment %s: %s, %s.", deploymentID, status, tools.Plural(len(lines), "log line"))
	if status == "failed" {
		summary += " Fix the code shown in the error lines and redeploy with update-function."
	}
	return tools.Found(summary, data), nil
}
