package tools

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
)

// Logs toolset: log sources, recent entries of one source, full-text search
// and function build logs (reference §9). Log lines are backend data and may
// carry text written by end users: they always go through Found.

const (
	logsDefaultLimit   = 20
	logsMaxLimit       = 500
	searchDefaultLimit = 50
)

// ContainerLogsInput are the arguments of get-container-logs (official name
// and parameters, plus beforeTimestamp for paging).
type ContainerLogsInput struct {
	Source          string `json:"source" jsonschema:"required,enum=insforge.logs,enum=postgREST.logs,enum=postgres.logs,enum=function.logs" jsonschema_description:"Which log: insforge.logs (API server: auth, storage, AI, admin calls), postgREST.logs (record and RPC API), postgres.logs (SQL errors, constraint and permission failures) or function.logs (edge functions at runtime). Mind the capitals in postgREST.logs."`
	Limit           int    `json:"limit,omitempty" jsonschema:"default=20,minimum=1,maximum=500" jsonschema_description:"How many of the most recent entries to return (default 20, at most 500)."`
	BeforeTimestamp string `json:"beforeTimestamp,omitempty" jsonschema_description:"Only entries older than this ISO 8601 time, e.g. 2026-03-01T10:15:00Z. To page back, pass the timestamp of the oldest entry of the previous call."`
}

// SearchLogsInput are the arguments of search-logs.
type SearchLogsInput struct {
	Query  string `json:"query" jsonschema:"required,minLength=1" jsonschema_description:"Text to look for, case-insensitive, in the log messages and their structured bodies (for example an error code, a table name or a request path)."`
	Source string `json:"source,omitempty" jsonschema:"enum=insforge.logs,enum=postgREST.logs,enum=postgres.logs,enum=function.logs" jsonschema_description:"Search only this source; omit to search all of them."`
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=500" jsonschema_description:"How many matches to return (default 50, at most 500)."`
	Offset int    `json:"offset,omitempty" jsonschema:"minimum=0" jsonschema_description:"How many matches to skip, for the next page (default 0)."`
}

// BuildLogsInput are the arguments of get-function-build-logs.
type BuildLogsInput struct {
	DeploymentID string `json:"deploymentId,omitempty" jsonschema_description:"The function deployment to read; omit for the latest one."`
}

// logEntry is one entry of GET /api/logs/{source} and /api/logs/search.
type logEntry struct {
	ID           string         `json:"id"`
	Timestamp    string         `json:"timestamp"`
	EventMessage string         `json:"eventMessage"`
	Body         map[string]any `json:"body,omitempty"`
	Source       string         `json:"source,omitempty"`
}

func logsTools() []Tool {
	return []Tool{
		Define(Spec{
			Name:        "list-log-sources",
			Title:       "List log sources",
			Toolset:     Logs,
			Hints:       Read,
			Description: "List the names of the log sources this backend keeps (usually insforge.logs, postgREST.logs, postgres.logs and function.logs). Read one of them with get-container-logs.",
		}, listLogSources),
		Define(Spec{
			Name:      "get-container-logs",
			Untrusted: true,
			Title:     "Read recent log entries of one source",
			Toolset:   Logs,
			Hints:     Read,
			Description: "Read the most recent entries of one backend log (API server, PostgREST, PostgreSQL or edge functions) to debug a failure: each has a timestamp, eventMessage and structured body. " +
				"Pick the source that matches the symptom, compare timestamps with the time of the failure, and page back with beforeTimestamp. An empty answer can simply mean nothing was logged yet.",
		}, getContainerLogs),
		Define(Spec{
			Name:      "search-logs",
			Untrusted: true,
			Title:     "Search the logs",
			Toolset:   Logs,
			Hints:     Read,
			Description: "Search all log sources (or one) for a piece of text, such as an error code, a table name or a request path, and get the matching entries with their source. " +
				"Results are paged: use offset for the next page. Use get-container-logs instead to see what happened around a given time.",
		}, searchLogs),
		Define(Spec{
			Name:      "get-function-build-logs",
			Untrusted: true,
			Title:     "Get an edge function deployment's build logs",
			Toolset:   Logs,
			Hints:     Read,
			Description: "Get the build output (status and log lines) of the latest edge function deployment, or of one deployment by id. " +
				"Only backends that deploy functions to Deno Deploy (InsForge Cloud) keep these; on a self-hosted backend read the result of create-function/update-function and function.logs instead.",
		}, getFunctionBuildLogs),
	}
}

func listLogSources(ctx context.Context, env *Env, _ NoInput) (*Result, error) {
	var sources []struct {
		Name string `json:"name"` // the token field is deliberately not decoded
	}
	if err := env.Client.Get(ctx, "/api/logs/sources", nil, &sources); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(sources))
	for _, s := range sources {
		if s.Name != "" {
			names = append(names, s.Name)
		}
	}
	if len(names) == 0 {
		return Say("The backend reports no log sources. It may not be writing logs yet; try get-container-logs with insforge.logs anyway."), nil
	}
	return Found(fmt.Sprintf("%s. Read one with get-container-logs (source must be spelled exactly).", Plural(len(names), "log source")),
		map[string]any{"sources": names}), nil
}

func getContainerLogs(ctx context.Context, env *Env, in ContainerLogsInput) (*Result, error) {
	limit := in.Limit
	if limit == 0 {
		limit = logsDefaultLimit
	}
	if limit < 1 || limit > logsMaxLimit {
		return nil, Errorf("limit must be between 1 and %d (got %d); page back with beforeTimestamp to see more.", logsMaxLimit, in.Limit)
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if in.BeforeTimestamp != "" {
		if _, ok := ParseISOTime(in.BeforeTimestamp); !ok {
			return nil, Errorf("beforeTimestamp %q is not an ISO 8601 time; use a value like 2026-03-01T10:15:00Z, for example the timestamp of the oldest entry you already have.", in.BeforeTimestamp)
		}
		q.Set("before_timestamp", in.BeforeTimestamp)
	}
	var out struct {
		Logs  []logEntry `json:"logs"`
		Total int        `json:"total"`
	}
	if err := env.Client.Get(ctx, "/api/logs/"+url.PathEscape(in.Source), q, &out); err != nil {
		return nil, err
	}
	out.Logs = OrEmpty(out.Logs)
	before := ""
	if in.BeforeTimestamp != "" {
		before = " before " + in.BeforeTimestamp
	}
	if len(out.Logs) == 0 {
		return Found(fmt.Sprintf("No entries in %s%s. Nothing has been logged there in that period; try another source (list-log-sources) or search-logs.", in.Source, before),
			map[string]any{"source": in.Source, "logs": out.Logs, "total": out.Total}), nil
	}
	oldest, newest := logSpan(out.Logs)
	summary := fmt.Sprintf("%s from %s%s", PluralNoun(len(out.Logs), "entry", "entries"), in.Source, before)
	if oldest != "" {
		summary += fmt.Sprintf(", from %s to %s", oldest, newest)
	}
	summary += "."
	if len(out.Logs) >= limit && oldest != "" {
		summary += fmt.Sprintf(" Older entries may exist: call get-container-logs again with beforeTimestamp %q.", oldest)
	} else {
		summary += " There are no older entries" + before + "."
	}
	return Found(summary, map[string]any{"source": in.Source, "logs": out.Logs, "total": out.Total}), nil
}

// logSpan returns the oldest and newest timestamps of entries, as the
// backend wrote them ("" when none parses). Entries are not assumed sorted.
func logSpan(entries []logEntry) (oldest, newest string) {
	var lo, hi time.Time
	for _, e := range entries {
		t, ok := ParseISOTime(e.Timestamp)
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

func searchLogs(ctx context.Context, env *Env, in SearchLogsInput) (*Result, error) {
	if strings.TrimSpace(in.Query) == "" {
		return nil, Errorf("query must not be blank: give the text to look for, such as an error code or a table name.")
	}
	limit, err := CheckPage(in.Limit, searchDefaultLimit, logsMaxLimit, in.Offset, "; use offset to page through more matches.")
	if err != nil {
		return nil, err
	}
	q := url.Values{"q": {in.Query}, "limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(in.Offset)}}
	if in.Source != "" {
		q.Set("source", in.Source)
	}
	resp, err := env.Client.Do(ctx, insforge.Request{Method: http.MethodGet, Path: "/api/logs/search", Query: q})
	if err != nil {
		return nil, err
	}
	var logs []logEntry
	if err := resp.Decode(&logs); err != nil {
		return nil, err
	}
	logs = OrEmpty(logs)
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
		return Found(msg+".", data), nil
	}
	summary := fmt.Sprintf("Matches %d–%d of %d for %q in %s.", in.Offset+1, in.Offset+len(logs), total, in.Query, where)
	if next := in.Offset + len(logs); next < total {
		summary += fmt.Sprintf(" For the next page call search-logs again with offset %d.", next)
	}
	return Found(summary, data), nil
}

func getFunctionBuildLogs(ctx context.Context, env *Env, in BuildLogsInput) (*Result, error) {
	var q url.Values
	if in.DeploymentID != "" {
		q = url.Values{"deployment_id": {in.DeploymentID}}
	}
	var out struct {
		DeploymentID string           `json:"deploymentId"`
		Status       string           `json:"status"`
		Logs         []map[string]any `json:"logs"`
		CreatedAt    string           `json:"createdAt"`
	}
	resp, err := env.Client.Do(ctx, insforge.Request{Method: http.MethodGet, Path: "/api/logs/functions/build-logs", Query: q})
	if err != nil {
		var ae *insforge.Error
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound && ae.Code == "LOG_NOT_FOUND" {
			which := "the latest function deployment"
			if in.DeploymentID != "" {
				which = "deployment " + in.DeploymentID
			}
			return Say("No build logs for %s: this backend keeps them only when edge functions deploy to Deno Deploy (InsForge Cloud), and only after a deployment exists. "+
				"On a self-hosted backend the build result is in the answer of create-function/update-function; runtime errors are in get-container-logs with source function.logs.", which), nil
		}
		return nil, err
	}
	var data map[string]any
	if err := resp.Decode(&data); err != nil {
		return nil, err
	}
	if err := resp.Decode(&out); err != nil {
		return nil, err
	}
	summary := fmt.Sprintf("Build of function deployment %s: %s, %s.", out.DeploymentID, out.Status, Plural(len(out.Logs), "log line"))
	if out.Status == "failed" {
		summary += " Fix the code shown in the error lines and redeploy with update-function."
	}
	return Found(summary, data), nil
}
