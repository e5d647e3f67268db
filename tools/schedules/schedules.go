// Package schedules declares the tools for scheduled jobs: cron jobs
// (pg_cron) that call an HTTP endpoint, usually an edge function, and their
// execution logs (routes under /api/schedules).
package schedules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

var (
	uuidRE           = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	cronIntervalRE   = regexp.MustCompile(`(?i)^\s*(\d+)\s+seconds?\s*$`)
	secretRefRE      = regexp.MustCompile(`\$\{\{secrets\.([^}]+)\}\}`)
	sensitiveHeaders = []string{"authorization", "proxy-authorization", "cookie", "apikey", "api-key", "x-api-key"}
	sensitiveWords   = []string{"token", "secret", "password", "passwd", "key", "auth", "signature", "credential"}
)

// IDInput names one schedule.
type IDInput struct {
	ID string `json:"id" jsonschema:"required,minLength=1" jsonschema_description:"From list-schedules."`
}

// CreateInput are the arguments of create-schedule.
type CreateInput struct {
	Name         string            `json:"name" jsonschema:"required,minLength=3" jsonschema_description:"E.g. nightly-cleanup."`
	CronSchedule string            `json:"cronSchedule" jsonschema:"required,minLength=1" jsonschema_description:"UTC: 5-field cron ('0 9 * * 1-5') or 'N seconds', N 1-59."`
	FunctionURL  string            `json:"functionUrl" jsonschema:"required,minLength=1" jsonschema_description:"Usually {project URL}/functions/{slug}."`
	HTTPMethod   string            `json:"httpMethod" jsonschema:"required,enum=GET,enum=POST,enum=PUT,enum=PATCH,enum=DELETE" jsonschema_description:"Request method."`
	Headers      map[string]string `json:"headers,omitempty" jsonschema_description:"Credentials as ${{secrets.KEY}} (create-secret), resolved on save."`
	Body         map[string]any    `json:"body,omitempty" jsonschema_description:"JSON request body."`
}

// UpdateInput are the arguments of update-schedule.
type UpdateInput struct {
	ID           string            `json:"id" jsonschema:"required,minLength=1" jsonschema_description:"From list-schedules."`
	Name         string            `json:"name,omitempty" jsonschema_description:"At least 3 characters."`
	CronSchedule string            `json:"cronSchedule,omitempty" jsonschema_description:"As in create-schedule."`
	FunctionURL  string            `json:"functionUrl,omitempty" jsonschema_description:"Absolute URL."`
	HTTPMethod   string            `json:"httpMethod,omitempty" jsonschema:"enum=GET,enum=POST,enum=PUT,enum=PATCH,enum=DELETE" jsonschema_description:"Request method."`
	Headers      map[string]string `json:"headers,omitempty" jsonschema_description:"Replaces all; resending re-reads the secrets referenced."`
	Body         map[string]any    `json:"body,omitempty" jsonschema_description:"Replaces the JSON body."`
	IsActive     *bool             `json:"isActive,omitempty" jsonschema_description:"false pauses, true resumes."`
}

// LogsInput are the arguments of get-schedule-logs.
type LogsInput struct {
	ID     string `json:"id" jsonschema:"required,minLength=1" jsonschema_description:"From list-schedules."`
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100,default=50" jsonschema_description:"Runs per page."`
	Offset int    `json:"offset,omitempty" jsonschema:"minimum=0" jsonschema_description:"Runs to skip."`
}

// List is list-schedules.
func List() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-schedules",
		Title:       "List schedules",
		Hints:       tools.Read,
		Description: "List the cron jobs that call URLs; credential header values are hidden.",
	}, list)
}

// Get is get-schedule.
func Get() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-schedule",
		Title:       "Get a schedule",
		Hints:       tools.Read,
		Description: "Read one schedule; credential header values are hidden.",
	}, get)
}

// Create is create-schedule.
func Create() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "create-schedule",
		Title:       "Create a schedule",
		Hints:       tools.Create,
		Description: "Create a cron job that calls a URL, usually an edge function.",
	}, create)
}

// Update is update-schedule.
func Update() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "update-schedule",
		Title:       "Update a schedule",
		Hints:       tools.Change,
		Description: "Change, pause or resume a schedule; omitted fields are kept.",
	}, update)
}

// Delete is delete-schedule.
func Delete() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "delete-schedule",
		Title:       "Delete a schedule",
		Hints:       tools.Remove,
		Description: "Delete a schedule and its cron job. To pause instead, use update-schedule with isActive false.",
	}, remove)
}

// Logs is get-schedule-logs.
func Logs() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-schedule-logs",
		Title:       "Get schedule runs",
		Hints:       tools.Read,
		Description: "List a schedule's runs, newest first. A failing function's own errors are in get-container-logs.",
	}, logs)
}

func checkID(id string) error {
	if !uuidRE.MatchString(id) {
		return tools.Errorf("%q is not a schedule id: ids are UUIDs such as 3f1c…-…; call list-schedules to find it.", id)
	}
	return nil
}

// apiError turns 404 SCHEDULE_NOT_FOUND into what to do next, and a
// missing secret in the headers into a hint to create it.
func apiError(err error, id string) error {
	var ae *insforge.Error
	if !errors.As(err, &ae) || ae.NotJSON {
		return err
	}
	switch {
	case ae.Status == http.StatusNotFound && ae.Code == "SCHEDULE_NOT_FOUND":
		return tools.Errorf("There is no schedule with id %s. Call list-schedules to see the schedules and their ids.", id)
	case ae.Status == http.StatusNotFound && ae.Code == "SECRET_NOT_FOUND":
		return tools.QuotedErrorf(ae.Message, "The schedule refers to a secret that does not exist (404 SECRET_NOT_FOUND; the backend's message, below, names it). Create that secret with create-secret (or fix the ${{secrets.KEY}} reference), then try again.")
	case ae.Status == http.StatusBadRequest && ae.Code == "SCHEDULE_INVALID_CRON":
		return tools.QuotedErrorf(ae.Message, "The backend rejected the cron expression (its message is below). Use 5 fields (minute hour day-of-month month day-of-week), e.g. '0 3 * * *' for 03:00 UTC daily, or 'N seconds' with N 1-59.")
	case ae.Status >= 500 && strings.HasPrefix(ae.Message, "invalid schedule: "):
		// pg_cron itself refused the timing after the backend's own check
		// passed: seen on a self-hosted backend whose pg_cron predates 1.5,
		// which has no 'N seconds' schedules.
		return tools.QuotedErrorf(ae.Message, "The backend's pg_cron refused the timing (%s %s; its message is below); nothing was saved. On a self-hosted backend with pg_cron older than 1.5, 'N seconds' schedules are not supported: use a 5-field cron expression such as '* * * * *' (every minute) instead.", ae.Method, ae.Path)
	}
	return err
}

func list(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	all, _, err := insforge.Call[[]map[string]any](ctx, env.Client, insforge.Request{Path: "/api/schedules"})
	if err != nil {
		return nil, err
	}
	all = tools.OrEmpty(all)
	active := 0
	for _, s := range all {
		hideCredentialHeaders(s)
		if s["isActive"] == true {
			active++
		}
	}
	summary := fmt.Sprintf("%s (%d active). Times are UTC.", tools.Plural(len(all), "schedule"), active)
	if len(all) == 0 {
		summary = "No schedules yet. create-schedule adds one."
	}
	return tools.Found(summary, map[string]any{"schedules": all}), nil
}

func get(ctx context.Context, env *tools.Env, in IDInput) (*tools.Result, error) {
	if err := checkID(in.ID); err != nil {
		return nil, err
	}
	s, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: "/api/schedules/" + url.PathEscape(in.ID)})
	if err != nil {
		return nil, apiError(err, in.ID)
	}
	hideCredentialHeaders(s)
	state := "paused"
	if s["isActive"] == true {
		state = "active"
	}
	summary := fmt.Sprintf("Schedule %v (%s), %v → %v %v.", s["name"], state, s["cronSchedule"], s["httpMethod"], s["functionUrl"])
	if next, ok := s["nextRun"].(string); ok && next != "" {
		summary += " Next run " + next + "."
	}
	return tools.Found(summary, s), nil
}

func create(ctx context.Context, env *tools.Env, in CreateInput) (*tools.Result, error) {
	if len([]rune(strings.TrimSpace(in.Name))) < 3 {
		return nil, tools.Errorf("name must be at least 3 characters (got %q).", in.Name)
	}
	if err := checkCron(in.CronSchedule); err != nil {
		return nil, err
	}
	if err := checkFunctionURL(env, in.FunctionURL); err != nil {
		return nil, err
	}
	body := map[string]any{"name": in.Name, "cronSchedule": in.CronSchedule, "functionUrl": in.FunctionURL, "httpMethod": in.HTTPMethod}
	if in.Headers != nil {
		body["headers"] = in.Headers
	}
	if in.Body != nil {
		body["body"] = in.Body
	}
	out, _, err := insforge.Call[struct {
		ID        string `json:"id"`
		CronJobID any    `json:"cronJobId"`
	}](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/schedules", Body: body})
	if err != nil {
		return nil, apiError(err, "")
	}
	summary := fmt.Sprintf("Created schedule %q (id %s): %s %s on %q (UTC). Check its first runs with get-schedule-logs.", in.Name, out.ID, in.HTTPMethod, in.FunctionURL, in.CronSchedule)
	summary += literalCredentialWarning(in.Headers)
	return tools.Found(summary, map[string]any{"id": out.ID, "cronJobId": out.CronJobID}), nil
}

func update(ctx context.Context, env *tools.Env, in UpdateInput) (*tools.Result, error) {
	if err := checkID(in.ID); err != nil {
		return nil, err
	}
	body := map[string]any{}
	if in.Name != "" {
		if len([]rune(strings.TrimSpace(in.Name))) < 3 {
			return nil, tools.Errorf("name must be at least 3 characters (got %q).", in.Name)
		}
		body["name"] = in.Name
	}
	if in.CronSchedule != "" {
		if err := checkCron(in.CronSchedule); err != nil {
			return nil, err
		}
		body["cronSchedule"] = in.CronSchedule
	}
	if in.FunctionURL != "" {
		if err := checkFunctionURL(env, in.FunctionURL); err != nil {
			return nil, err
		}
		body["functionUrl"] = in.FunctionURL
	}
	if in.HTTPMethod != "" {
		body["httpMethod"] = in.HTTPMethod
	}
	if in.Headers != nil {
		body["headers"] = in.Headers
	}
	if in.Body != nil {
		body["body"] = in.Body
	}
	if in.IsActive != nil {
		body["isActive"] = *in.IsActive
	}
	if len(body) == 0 {
		return nil, tools.Errorf("Nothing to change: give at least one of name, cronSchedule, functionUrl, httpMethod, headers, body or isActive.")
	}
	req := insforge.Request{Method: http.MethodPatch, Path: "/api/schedules/" + url.PathEscape(in.ID), Body: body, Idempotent: true}
	if _, _, err := insforge.Call[struct{}](ctx, env.Client, req); err != nil {
		return nil, apiError(err, in.ID)
	}
	summary := fmt.Sprintf("Updated schedule %s (%s).", in.ID, strings.Join(slices.Sorted(maps.Keys(body)), ", "))
	if in.IsActive != nil {
		if *in.IsActive {
			summary += " It is active."
		} else {
			summary += " It is paused until update-schedule sets isActive true."
		}
	}
	summary += literalCredentialWarning(in.Headers)
	return tools.Say("%s", summary), nil
}

func remove(ctx context.Context, env *tools.Env, in IDInput) (*tools.Result, error) {
	if err := checkID(in.ID); err != nil {
		return nil, err
	}
	req := insforge.Request{Method: http.MethodDelete, Path: "/api/schedules/" + url.PathEscape(in.ID), Idempotent: true}
	if _, _, err := insforge.Call[struct{}](ctx, env.Client, req); err != nil {
		return nil, apiError(err, in.ID)
	}
	return tools.Say("Deleted schedule %s; its cron job no longer runs.", in.ID), nil
}

func logs(ctx context.Context, env *tools.Env, in LogsInput) (*tools.Result, error) {
	if err := checkID(in.ID); err != nil {
		return nil, err
	}
	limit, err := tools.CheckPage(in.Limit, 50, 100, in.Offset, "; use offset to page.")
	if err != nil {
		return nil, err
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(in.Offset)}}
	// The whole answer is the result; the summary reads the runs and their total.
	data, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: "/api/schedules/" + url.PathEscape(in.ID) + "/logs", Query: q})
	if err != nil {
		return nil, apiError(err, in.ID)
	}
	runs, _ := data["logs"].([]any)
	count, _ := data["totalCount"].(json.Number)
	n, _ := count.Int64()
	total := int(n)
	if len(runs) == 0 {
		msg := fmt.Sprintf("No runs recorded for schedule %s", in.ID)
		if in.Offset > 0 && total > 0 {
			msg = fmt.Sprintf("No runs past offset %d (%d in total)", in.Offset, total)
		} else {
			msg += ": it has not run yet, or there is no such schedule (check list-schedules)"
		}
		return tools.Found(msg+".", data), nil
	}
	failed := 0
	for _, r := range runs {
		if run, _ := r.(map[string]any); run["success"] == false {
			failed++
		}
	}
	summary := fmt.Sprintf("Runs %d–%d of %d of schedule %s, newest first; %d of these failed.", in.Offset+1, in.Offset+len(runs), total, in.ID, failed)
	if failed > 0 {
		summary += " For the errors inside the function, read get-container-logs with source function.logs."
	}
	r := tools.Found(summary, data)
	r.Page = tools.OffsetPage("logs", in.Offset, len(runs), total, 0, "Older runs: offset %d.", "")
	return r, nil
}

// checkFunctionURL requires an absolute http(s) URL and suggests the
// function URL when given a bare slug.
func checkFunctionURL(env *tools.Env, raw string) error {
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return nil
	}
	hint := "an absolute http(s) URL"
	if env.Client != nil && !strings.Contains(raw, "://") && !strings.ContainsAny(raw, " /") {
		hint += fmt.Sprintf("; for an edge function with slug %s that is %s/functions/%s", raw, env.Client.BaseURL(), raw)
	}
	return tools.Errorf("functionUrl %q must be %s.", raw, hint)
}

// ---- cron ----

type cronField struct {
	name     string
	min, max int
	names    map[string]int
}

var cronFields = []cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}},
	{name: "day-of-week", min: 0, max: 7, names: map[string]int{"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}},
}

// checkCron accepts what the backend accepts: "N seconds" with N 1-59, or 5
// cron fields made of *, ?, numbers or names, ranges, steps and lists
// (plus L and # in the day fields, which the backend's parser knows).
func checkCron(expr string) error {
	const help = "Use 5 fields in UTC: minute hour day-of-month month day-of-week (e.g. '*/15 * * * *' every 15 minutes, '0 3 * * *' daily at 03:00, '0 9 * * 1-5' weekdays at 09:00), or 'N seconds' with N from 1 to 59."
	if m := cronIntervalRE.FindStringSubmatch(expr); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 || n > 59 {
			return tools.Errorf("cronSchedule %q: the seconds form only allows 1 to 59 seconds; for a minute or more use a cron expression. %s", expr, help)
		}
		return nil
	}
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return tools.Errorf("cronSchedule %q has %d fields, not 5 (6-field cron with seconds is not supported). %s", expr, len(fields), help)
	}
	for i, f := range fields {
		if err := checkCronField(f, cronFields[i]); err != "" {
			return tools.Errorf("cronSchedule %q: %s field %q %s. %s", expr, cronFields[i].name, f, err, help)
		}
	}
	return nil
}

func checkCronField(f string, spec cronField) string {
	for _, item := range strings.Split(f, ",") {
		if item == "" {
			return "has an empty list item"
		}
		base, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			n, err := strconv.Atoi(step)
			if err != nil || n < 1 {
				return "has an invalid step /" + step
			}
		}
		if base == "*" || (base == "?" && (spec.name == "day-of-month" || spec.name == "day-of-week")) {
			continue
		}
		if spec.name == "day-of-month" && (base == "L" || strings.HasSuffix(base, "W")) {
			continue
		}
		if spec.name == "day-of-week" && (strings.HasSuffix(base, "L") || strings.Contains(base, "#")) {
			continue
		}
		lo, hi, isRange := strings.Cut(base, "-")
		a, ok := cronValue(lo, spec)
		if !ok {
			return fmt.Sprintf("has %q, which is not a value from %d to %d", lo, spec.min, spec.max)
		}
		if isRange {
			b, ok := cronValue(hi, spec)
			if !ok {
				return fmt.Sprintf("has %q, which is not a value from %d to %d", hi, spec.min, spec.max)
			}
			if b < a {
				return fmt.Sprintf("has the backwards range %s", base)
			}
		}
	}
	return ""
}

func cronValue(s string, spec cronField) (int, bool) {
	if v, ok := spec.names[strings.ToUpper(s)]; ok {
		return v, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < spec.min || n > spec.max {
		return 0, false
	}
	return n, true
}

// ---- headers ----

// isCredentialHeader reports whether a header name suggests a credential.
func isCredentialHeader(name string) bool {
	n := strings.ToLower(name)
	for _, h := range sensitiveHeaders {
		if n == h {
			return true
		}
	}
	for _, w := range sensitiveWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// onlySecretRefs reports whether a header value takes its credential from
// secret references (e.g. "Bearer ${{secrets.TOKEN}}"), with no literal
// credential text besides an auth scheme word.
func onlySecretRefs(v string) bool {
	if !secretRefRE.MatchString(v) {
		return false
	}
	rest := strings.TrimSpace(secretRefRE.ReplaceAllString(v, ""))
	switch strings.ToLower(rest) {
	case "", "bearer", "basic", "token":
		return true
	}
	return false
}

// hideCredentialHeaders masks literal credentials in a schedule's headers;
// references to secrets are kept, as they show no value.
func hideCredentialHeaders(s map[string]any) {
	h, ok := s["headers"].(map[string]any)
	if !ok {
		return
	}
	for k, v := range h {
		str, ok := v.(string)
		if ok && isCredentialHeader(k) && !onlySecretRefs(str) && str != "" {
			h[k] = "(hidden: a literal credential; store it with create-secret and reference it as ${{secrets.KEY}})"
		}
	}
}

// literalCredentialWarning advises moving literal credentials into secrets.
func literalCredentialWarning(headers map[string]string) string {
	var names []string
	for k, v := range headers {
		if isCredentialHeader(k) && v != "" && !onlySecretRefs(v) {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	return fmt.Sprintf(" Header %s holds a literal credential: better store it with create-secret and use ${{secrets.KEY}} in the header, then update-schedule.", strings.Join(names, ", "))
}
