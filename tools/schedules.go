package tools

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/insforge"
)

// Schedules toolset: cron jobs (pg_cron) that call an HTTP endpoint, usually
// an edge function, and their execution logs (reference §11).

var (
	scheduleUUIDRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	cronIntervalRE   = regexp.MustCompile(`(?i)^\s*(\d+)\s+seconds?\s*$`)
	secretRefRE      = regexp.MustCompile(`\$\{\{secrets\.([^}]+)\}\}`)
	sensitiveHeaders = []string{"authorization", "proxy-authorization", "cookie", "apikey", "api-key", "x-api-key"}
	sensitiveWords   = []string{"token", "secret", "password", "passwd", "key", "auth", "signature", "credential"}
)

// ScheduleIDInput names one schedule.
type ScheduleIDInput struct {
	ID string `json:"id" jsonschema:"required,minLength=1" jsonschema_description:"The schedule's id (a UUID), as listed by list-schedules."`
}

// CreateScheduleInput are the arguments of create-schedule.
type CreateScheduleInput struct {
	Name         string            `json:"name" jsonschema:"required,minLength=1" jsonschema_description:"A name for the schedule, at least 3 characters (for example nightly-cleanup)."`
	CronSchedule string            `json:"cronSchedule" jsonschema:"required,minLength=1" jsonschema_description:"When to run, in UTC: a 5-field cron expression (minute hour day-of-month month day-of-week, e.g. '*/5 * * * *' or '0 9 * * 1-5'), or 'N seconds' with N from 1 to 59 for sub-minute intervals."`
	FunctionURL  string            `json:"functionUrl" jsonschema:"required,minLength=1" jsonschema_description:"Absolute URL to call, usually an edge function: {project URL}/functions/{slug}."`
	HTTPMethod   string            `json:"httpMethod" jsonschema:"required,enum=GET,enum=POST,enum=PUT,enum=PATCH,enum=DELETE" jsonschema_description:"HTTP method of the call."`
	Headers      map[string]string `json:"headers,omitempty" jsonschema_description:"HTTP headers to send. Put credentials in secrets and reference them as ${{secrets.KEY}} (e.g. Authorization: Bearer ${{secrets.CRON_TOKEN}}); references are resolved when the schedule is saved, so after changing that secret call update-schedule again."`
	Body         map[string]any    `json:"body,omitempty" jsonschema_description:"JSON object sent as the request body (for POST, PUT, PATCH)."`
}

// UpdateScheduleInput are the arguments of update-schedule.
type UpdateScheduleInput struct {
	ID           string            `json:"id" jsonschema:"required,minLength=1" jsonschema_description:"The schedule's id (a UUID), as listed by list-schedules."`
	Name         string            `json:"name,omitempty" jsonschema_description:"New name, at least 3 characters."`
	CronSchedule string            `json:"cronSchedule,omitempty" jsonschema_description:"New timing in UTC: a 5-field cron expression or 'N seconds' (N from 1 to 59)."`
	FunctionURL  string            `json:"functionUrl,omitempty" jsonschema_description:"New absolute URL to call."`
	HTTPMethod   string            `json:"httpMethod,omitempty" jsonschema:"enum=GET,enum=POST,enum=PUT,enum=PATCH,enum=DELETE" jsonschema_description:"New HTTP method."`
	Headers      map[string]string `json:"headers,omitempty" jsonschema_description:"Replaces all headers (not merged). Reference secrets as ${{secrets.KEY}}; giving the headers again also re-reads the secrets they reference."`
	Body         map[string]any    `json:"body,omitempty" jsonschema_description:"Replaces the JSON body."`
	IsActive     *bool             `json:"isActive,omitempty" jsonschema_description:"false pauses the schedule, true resumes it."`
}

// ScheduleLogsInput are the arguments of get-schedule-logs.
type ScheduleLogsInput struct {
	ID     string `json:"id" jsonschema:"required,minLength=1" jsonschema_description:"The schedule's id (a UUID), as listed by list-schedules."`
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100" jsonschema_description:"How many runs to return, newest first (1-100, default 50)."`
	Offset int    `json:"offset,omitempty" jsonschema:"minimum=0" jsonschema_description:"How many runs to skip, for the next page (default 0)."`
}

func schedulesTools() []Tool {
	return []Tool{
		Define(Spec{
			Name:    "list-schedules",
			Title:   "List schedules",
			Toolset: Schedules,
			Hints:   Read,
			Description: "List the project's scheduled jobs: name, cron expression, the URL and method they call, whether they are active, last and next run. " +
				"Credential header values are hidden; use get-schedule-logs to see whether runs succeed.",
		}, listSchedules),
		Define(Spec{
			Name:        "get-schedule",
			Title:       "Get a schedule",
			Toolset:     Schedules,
			Hints:       Read,
			Description: "Read one schedule by id: cron expression, target URL and method, headers (credential values hidden), body, active flag, last and next run.",
		}, getSchedule),
		Define(Spec{
			Name:    "create-schedule",
			Title:   "Create a schedule",
			Toolset: Schedules,
			Hints:   Create,
			Description: "Create a cron job that calls a URL, usually an edge function ({project URL}/functions/{slug}), on a 5-field cron expression in UTC or every N seconds (1-59). " +
				"Keep credentials out of headers: store them with create-secret and reference them as ${{secrets.KEY}}. Check the first runs with get-schedule-logs.",
		}, createSchedule),
		Define(Spec{
			Name:    "update-schedule",
			Title:   "Change, pause or resume a schedule",
			Toolset: Schedules,
			Hints:   Change,
			Description: "Change a schedule's name, timing, target, method, headers or body, or pause/resume it with isActive; only the fields given change, but headers and body are replaced as a whole. " +
				"Give the headers again after changing a secret they reference, so the new value is used.",
		}, updateSchedule),
		Define(Spec{
			Name:        "delete-schedule",
			Title:       "Delete a schedule",
			Toolset:     Schedules,
			Hints:       Remove,
			Description: "Delete a schedule and its cron job; it stops running at once. To stop it only for a while, use update-schedule with isActive false instead.",
		}, deleteSchedule),
		Define(Spec{
			Name:      "get-schedule-logs",
			Untrusted: true,
			Title:     "Get a schedule's runs",
			Toolset:   Schedules,
			Hints:     Read,
			Description: "List a schedule's executions, newest first: when it ran, the HTTP status, success, duration and message. " +
				"Use it after create-schedule or when a job seems not to work; a failing function's own errors are in get-container-logs (function.logs).",
		}, getScheduleLogs),
	}
}

func checkScheduleID(id string) error {
	if !scheduleUUIDRE.MatchString(id) {
		return Errorf("%q is not a schedule id: ids are UUIDs such as 3f1c…-…; call list-schedules to find it.", id)
	}
	return nil
}

// scheduleNotFound turns 404 SCHEDULE_NOT_FOUND into what to do next, and a
// missing secret in the headers into a hint to create it.
func scheduleAPIError(err error, id string) error {
	var ae *insforge.Error
	if !errors.As(err, &ae) || ae.NotJSON {
		return err
	}
	switch {
	case ae.Status == http.StatusNotFound && ae.Code == "SCHEDULE_NOT_FOUND":
		return Errorf("There is no schedule with id %s. Call list-schedules to see the schedules and their ids.", id)
	case ae.Status == http.StatusNotFound && ae.Code == "SECRET_NOT_FOUND":
		return Errorf("%s. Create that secret with create-secret (or fix the ${{secrets.KEY}} reference), then try again.", strings.TrimSuffix(ae.Message, "."))
	case ae.Status == http.StatusBadRequest && ae.Code == "SCHEDULE_INVALID_CRON":
		return Errorf("The backend rejected the cron expression: %s. Use 5 fields (minute hour day-of-month month day-of-week), e.g. '0 3 * * *' for 03:00 UTC daily, or 'N seconds' with N 1-59.", strings.TrimSuffix(ae.Message, "."))
	case ae.Status >= 500 && strings.HasPrefix(ae.Message, "invalid schedule: "):
		// pg_cron itself refused the timing after the backend's own check
		// passed: seen on a self-hosted backend whose pg_cron predates 1.5,
		// which has no 'N seconds' schedules.
		return Errorf("The backend's pg_cron refused the timing (%s %s: %s); nothing was saved. On a self-hosted backend with pg_cron older than 1.5, 'N seconds' schedules are not supported: use a 5-field cron expression such as '* * * * *' (every minute) instead.", ae.Method, ae.Path, strings.TrimSuffix(ae.Message, "."))
	}
	return err
}

func listSchedules(ctx context.Context, env *Env, _ NoInput) (*Result, error) {
	var list []map[string]any
	if err := env.Client.Get(ctx, "/api/schedules", nil, &list); err != nil {
		return nil, err
	}
	list = OrEmpty(list)
	active := 0
	for _, s := range list {
		hideCredentialHeaders(s)
		if s["isActive"] == true {
			active++
		}
	}
	summary := fmt.Sprintf("%s (%d active). Times are UTC.", Plural(len(list), "schedule"), active)
	if len(list) == 0 {
		summary = "No schedules yet. create-schedule adds one."
	}
	return Found(summary, map[string]any{"schedules": list}), nil
}

func getSchedule(ctx context.Context, env *Env, in ScheduleIDInput) (*Result, error) {
	if err := checkScheduleID(in.ID); err != nil {
		return nil, err
	}
	var s map[string]any
	if err := env.Client.Get(ctx, "/api/schedules/"+url.PathEscape(in.ID), nil, &s); err != nil {
		return nil, scheduleAPIError(err, in.ID)
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
	return Found(summary, s), nil
}

func createSchedule(ctx context.Context, env *Env, in CreateScheduleInput) (*Result, error) {
	if len([]rune(strings.TrimSpace(in.Name))) < 3 {
		return nil, Errorf("name must be at least 3 characters (got %q).", in.Name)
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
	var out struct {
		ID        string `json:"id"`
		CronJobID any    `json:"cronJobId"`
	}
	if err := env.Client.Send(ctx, http.MethodPost, "/api/schedules", body, &out); err != nil {
		return nil, scheduleAPIError(err, "")
	}
	summary := fmt.Sprintf("Created schedule %q (id %s): %s %s on %q (UTC). Check its first runs with get-schedule-logs.", in.Name, out.ID, in.HTTPMethod, in.FunctionURL, in.CronSchedule)
	summary += literalCredentialWarning(in.Headers)
	return Found(summary, map[string]any{"id": out.ID, "cronJobId": out.CronJobID}), nil
}

func updateSchedule(ctx context.Context, env *Env, in UpdateScheduleInput) (*Result, error) {
	if err := checkScheduleID(in.ID); err != nil {
		return nil, err
	}
	body := map[string]any{}
	if in.Name != "" {
		if len([]rune(strings.TrimSpace(in.Name))) < 3 {
			return nil, Errorf("name must be at least 3 characters (got %q).", in.Name)
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
		return nil, Errorf("Nothing to change: give at least one of name, cronSchedule, functionUrl, httpMethod, headers, body or isActive.")
	}
	req := insforge.Request{Method: http.MethodPatch, Path: "/api/schedules/" + url.PathEscape(in.ID), Body: body, Idempotent: true}
	if _, err := env.Client.Do(ctx, req); err != nil {
		return nil, scheduleAPIError(err, in.ID)
	}
	fields := make([]string, 0, len(body))
	for k := range body {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	summary := fmt.Sprintf("Updated schedule %s (%s).", in.ID, strings.Join(fields, ", "))
	if in.IsActive != nil {
		if *in.IsActive {
			summary += " It is active."
		} else {
			summary += " It is paused until update-schedule sets isActive true."
		}
	}
	summary += literalCredentialWarning(in.Headers)
	return Say("%s", summary), nil
}

func deleteSchedule(ctx context.Context, env *Env, in ScheduleIDInput) (*Result, error) {
	if err := checkScheduleID(in.ID); err != nil {
		return nil, err
	}
	req := insforge.Request{Method: http.MethodDelete, Path: "/api/schedules/" + url.PathEscape(in.ID), Idempotent: true}
	if _, err := env.Client.Do(ctx, req); err != nil {
		return nil, scheduleAPIError(err, in.ID)
	}
	return Say("Deleted schedule %s; its cron job no longer runs.", in.ID), nil
}

func getScheduleLogs(ctx context.Context, env *Env, in ScheduleLogsInput) (*Result, error) {
	if err := checkScheduleID(in.ID); err != nil {
		return nil, err
	}
	limit, err := CheckPage(in.Limit, 50, 100, in.Offset, "; use offset to page.")
	if err != nil {
		return nil, err
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(in.Offset)}}
	var out struct {
		Logs       []map[string]any `json:"logs"`
		TotalCount int              `json:"totalCount"`
	}
	resp, err := env.Client.Do(ctx, insforge.Request{Method: http.MethodGet, Path: "/api/schedules/" + url.PathEscape(in.ID) + "/logs", Query: q})
	if err != nil {
		return nil, scheduleAPIError(err, in.ID)
	}
	var data map[string]any
	if err := resp.Decode(&data); err != nil {
		return nil, err
	}
	if err := resp.Decode(&out); err != nil {
		return nil, err
	}
	if len(out.Logs) == 0 {
		msg := fmt.Sprintf("No runs recorded for schedule %s", in.ID)
		if in.Offset > 0 && out.TotalCount > 0 {
			msg = fmt.Sprintf("No runs past offset %d (%d in total)", in.Offset, out.TotalCount)
		} else {
			msg += ": it has not run yet, or there is no such schedule (check list-schedules)"
		}
		return Found(msg+".", data), nil
	}
	failed := 0
	for _, l := range out.Logs {
		if l["success"] == false {
			failed++
		}
	}
	summary := fmt.Sprintf("Runs %d–%d of %d of schedule %s, newest first; %d of these failed.", in.Offset+1, in.Offset+len(out.Logs), out.TotalCount, in.ID, failed)
	if next := in.Offset + len(out.Logs); next < out.TotalCount {
		summary += fmt.Sprintf(" Older runs: offset %d.", next)
	}
	if failed > 0 {
		summary += " For the errors inside the function, read get-container-logs with source function.logs."
	}
	return Found(summary, data), nil
}

// checkFunctionURL requires an absolute http(s) URL and suggests the
// function URL when given a bare slug.
func checkFunctionURL(env *Env, raw string) error {
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return nil
	}
	hint := "an absolute http(s) URL"
	if env.Client != nil && !strings.Contains(raw, "://") && !strings.ContainsAny(raw, " /") {
		hint += fmt.Sprintf("; for an edge function with slug %s that is %s/functions/%s", raw, env.Client.BaseURL(), raw)
	}
	return Errorf("functionUrl %q must be %s.", raw, hint)
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
			return Errorf("cronSchedule %q: the seconds form only allows 1 to 59 seconds; for a minute or more use a cron expression. %s", expr, help)
		}
		return nil
	}
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return Errorf("cronSchedule %q has %d fields, not 5 (6-field cron with seconds is not supported). %s", expr, len(fields), help)
	}
	for i, f := range fields {
		if err := checkCronField(f, cronFields[i]); err != "" {
			return Errorf("cronSchedule %q: %s field %q %s. %s", expr, cronFields[i].name, f, err, help)
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
