package insforgefake

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Schedules module: pg_cron jobs that call a URL, with execution
// logs and the retention setting. Nothing runs on its own: tests record
// executions with AddScheduleRun. Header values may reference secrets as
// ${{secrets.KEY}}; they are resolved against the secrets module when a
// schedule is saved (a missing secret is 404 SECRET_NOT_FOUND), and the
// stored (and listed) headers keep the references, as on the backend.

// ScheduleRun is one execution of a schedule (see AddScheduleRun).
type ScheduleRun struct {
	At         time.Time // zero: now
	StatusCode int
	Success    bool
	Duration   time.Duration
	Message    string
}

type scheduleRecord struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	CronSchedule   string            `json:"cronSchedule"`
	FunctionURL    string            `json:"functionUrl"`
	HTTPMethod     string            `json:"httpMethod"`
	Headers        map[string]any    `json:"headers"`
	Body           map[string]any    `json:"body"`
	CronJobID      *string           `json:"cronJobId"`
	LastExecutedAt *string           `json:"lastExecutedAt"`
	IsActive       bool              `json:"isActive"`
	NextRun        *string           `json:"nextRun"`
	CreatedAt      string            `json:"createdAt"`
	UpdatedAt      string            `json:"updatedAt"`
	resolved       map[string]string // headers with secret values, as sent
	created        time.Time
	updated        time.Time
	lastRun        time.Time
	runs           []map[string]any // newest first
}

type schedulesState struct {
	mu        sync.Mutex
	jobs      map[string]*scheduleRecord
	nextJobID int
}

func schedulesOf(s *Server) *schedulesState {
	return moduleState(s, "schedules", func() *schedulesState {
		return &schedulesState{jobs: map[string]*scheduleRecord{}, nextJobID: 1}
	})
}

var (
	fakeUUIDRE       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	svcIntervalRE    = regexp.MustCompile(`(?i)^\s*(\d+)\s+seconds?\s*$`)
	fakeSecretRefRE  = regexp.MustCompile(`\$\{\{secrets\.([^}]+)\}\}`)
	errInvalidCronIn = "Invalid cron schedule. Use 5-field cron (e.g., \"*/5 * * * *\") or sub-minute interval form (1–59 seconds, e.g., \"30 seconds\")."
)

func registerScheduleRoutes(s *Server) {
	st := schedulesOf(s)
	sec := secretsOf(s) // header references resolve against the secrets module
	s.handle("GET /api/schedules", accessAdmin, st.list)
	s.handle("POST /api/schedules", accessAdmin, func(w http.ResponseWriter, r *http.Request) { st.create(w, r, sec) })
	s.handle("GET /api/schedules/{id}", accessAdmin, st.get)
	s.handle("PATCH /api/schedules/{id}", accessAdmin, func(w http.ResponseWriter, r *http.Request) { st.update(w, r, sec) })
	s.handle("DELETE /api/schedules/{id}", accessAdmin, st.remove)
	s.handle("GET /api/schedules/{id}/logs", accessAdmin, st.logs)
}

// AddScheduleRun records an execution of a schedule and makes it the
// schedule's lastExecutedAt. It reports false when there is no such schedule.
func (s *Server) AddScheduleRun(scheduleID string, run ScheduleRun) bool {
	st := schedulesOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	job, ok := st.jobs[scheduleID]
	if !ok {
		return false
	}
	if run.At.IsZero() {
		run.At = time.Now()
	}
	var msg any
	if run.Message != "" {
		msg = run.Message
	}
	job.runs = append(job.runs, map[string]any{
		"id": newUUID(), "scheduleId": scheduleID, "executedAt": isoMillis(run.At), "statusCode": run.StatusCode,
		"success": run.Success, "durationMs": run.Duration.Milliseconds(), "message": msg,
	})
	sort.SliceStable(job.runs, func(i, j int) bool { return job.runs[i]["executedAt"].(string) > job.runs[j]["executedAt"].(string) })
	if run.At.After(job.lastRun) {
		job.lastRun = run.At
	}
	return true
}

// ScheduleHeaders returns the headers a schedule sends, with secret
// references replaced by the values they had when it was saved.
func (s *Server) ScheduleHeaders(scheduleID string) (map[string]string, bool) {
	st := schedulesOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	job, ok := st.jobs[scheduleID]
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	for k, v := range job.resolved {
		out[k] = v
	}
	return out, true
}

// view renders a job like the backend's formatScheduleResponse. st.mu held.
func (job *scheduleRecord) view() scheduleRecord {
	v := *job
	v.Headers = cloneValue(job.Headers).(map[string]any)
	v.Body = cloneValue(job.Body).(map[string]any)
	v.CreatedAt, v.UpdatedAt = isoMillis(job.created), isoMillis(job.updated)
	v.LastExecutedAt = nil
	after := job.created
	if !job.lastRun.IsZero() {
		last := isoMillis(job.lastRun)
		v.LastExecutedAt = &last
		after = job.lastRun
	}
	if job.updated.After(after) {
		after = job.updated
	}
	v.NextRun = nil
	if next, ok := nextCronRun(job.CronSchedule, after); ok {
		n := isoMillis(next)
		v.NextRun = &n
	}
	return v
}

func errScheduleNotFound(msg string) *APIError {
	return &APIError{Status: 404, Code: "SCHEDULE_NOT_FOUND", Message: msg}
}

// checkUUIDParam mirrors a uuid column compared with a malformed value:
// Postgres fails with 22P02 and the backend answers 500.
func checkUUIDParam(w http.ResponseWriter, id string) bool {
	if fakeUUIDRE.MatchString(id) {
		return true
	}
	writeError(w, errInternal(fmt.Sprintf("invalid input syntax for type uuid: %q", id)))
	return false
}

func (st *schedulesState) list(w http.ResponseWriter, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	jobs := make([]*scheduleRecord, 0, len(st.jobs))
	for _, j := range st.jobs {
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].created.After(jobs[b].created) })
	out := make([]scheduleRecord, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, j.view())
	}
	writeJSON(w, 200, out)
}

func (st *schedulesState) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !checkUUIDParam(w, id) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	job, ok := st.jobs[id]
	if !ok {
		writeError(w, errScheduleNotFound("Schedule not found."))
		return
	}
	writeJSON(w, 200, job.view())
}

// scheduleInput is a create or update body (nil: absent).
type scheduleInput struct {
	Name, CronSchedule, FunctionURL, HTTPMethod *string
	Headers                                     *map[string]string
	Body                                        *map[string]any
	IsActive                                    *bool
}

// resolveHeaders replaces ${{secrets.KEY}} with the secrets' values.
func resolveHeaders(headers map[string]string, secrets *secretsState) (map[string]string, *APIError) {
	out := map[string]string{}
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	now := time.Now()
	for _, k := range sortedKeys(headers) {
		v := headers[k]
		for _, m := range fakeSecretRefRE.FindAllStringSubmatch(v, -1) {
			rec := secrets.usable(m[1], now)
			if rec == nil {
				return nil, &APIError{Status: 404, Code: "SECRET_NOT_FOUND",
					Message: fmt.Sprintf("Secret with key %q not found for schedule header %q.", m[1], k)}
			}
			v = strings.ReplaceAll(v, m[0], rec.value)
		}
		out[k] = v
	}
	return out, nil
}

func errInvalidCron(msg string) *APIError {
	return &APIError{Status: 400, Code: "SCHEDULE_INVALID_CRON", Message: msg}
}

// validateCron accepts a 5-field cron expression or "N seconds" (1–59).
func validateCron(expr string) *APIError {
	if m := svcIntervalRE.FindStringSubmatch(expr); m != nil {
		if n, _ := strconv.Atoi(m[1]); n >= 1 && n <= 59 {
			return nil
		}
	} else if fields := strings.Fields(expr); len(fields) == 5 {
		if _, msg := parseCron(fields); msg == "" {
			return nil
		}
	}
	return errInvalidCron(errInvalidCronIn)
}

func (st *schedulesState) create(w http.ResponseWriter, r *http.Request, secrets *secretsState) {
	var in scheduleInput
	if !bind(w, r, &in) {
		return
	}
	job := &scheduleRecord{ID: newUUID(), IsActive: true, Headers: map[string]any{}, Body: map[string]any{}}
	if aerr := job.apply(in, secrets); aerr != nil {
		writeError(w, aerr)
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	job.created = job.updated
	jobID := strconv.Itoa(st.nextJobID)
	st.nextJobID++
	job.CronJobID = &jobID
	st.jobs[job.ID] = job
	writeJSON(w, 201, map[string]any{"id": job.ID, "cronJobId": jobID, "message": "Schedule created successfully"})
}

// apply sets the given fields of a schedule, checking its timing and
// resolving its headers' secrets again.
func (job *scheduleRecord) apply(in scheduleInput, secrets *secretsState) *APIError {
	set(&job.Name, in.Name)
	set(&job.CronSchedule, in.CronSchedule)
	set(&job.FunctionURL, in.FunctionURL)
	set(&job.HTTPMethod, in.HTTPMethod)
	set(&job.Body, in.Body)
	set(&job.IsActive, in.IsActive)
	if in.Headers != nil {
		job.Headers = map[string]any{}
		for k, v := range *in.Headers {
			job.Headers[k] = v
		}
	}
	if aerr := validateCron(job.CronSchedule); aerr != nil {
		return aerr
	}
	headers := map[string]string{}
	for k, v := range job.Headers {
		headers[k], _ = v.(string)
	}
	resolved, aerr := resolveHeaders(headers, secrets)
	job.resolved, job.updated = resolved, time.Now()
	return aerr
}

func (st *schedulesState) update(w http.ResponseWriter, r *http.Request, secrets *secretsState) {
	id := r.PathValue("id")
	var in scheduleInput
	if !bind(w, r, &in) || !checkUUIDParam(w, id) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	job, ok := st.jobs[id]
	if !ok {
		writeError(w, errScheduleNotFound("Schedule not found"))
		return
	}
	next := *job
	if aerr := next.apply(in, secrets); aerr != nil {
		writeError(w, aerr)
		return
	}
	*job = next
	writeJSON(w, 200, map[string]any{"id": id, "cronJobId": job.CronJobID, "message": "Schedule updated successfully"})
}

func (st *schedulesState) remove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !checkUUIDParam(w, id) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.jobs[id]; !ok {
		writeError(w, errScheduleNotFound("Schedule not found"))
		return
	}
	delete(st.jobs, id)
	writeJSON(w, 200, map[string]any{"message": "Schedule deleted successfully."})
}

// logs answers GET /api/schedules/{id}/logs; an unknown id has no logs.
func (st *schedulesState) logs(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	q := r.URL.Query()
	limit := min(max(1, jsParseInt(q.Get("limit"), 50)), 100)
	offset := max(0, jsParseInt(q.Get("offset"), 0))
	if !checkUUIDParam(w, id) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	var runs []map[string]any
	if job, ok := st.jobs[id]; ok {
		runs = job.runs
	}
	page := pageSlice(runs, limit, offset)
	writeJSON(w, 200, map[string]any{"logs": page, "totalCount": len(runs), "limit": limit, "offset": offset})
}

// jsParseInt mirrors `parseInt(v) || def`.
func jsParseInt(v string, def int) int {
	if n, err := strconv.Atoi(v); err == nil && n != 0 {
		return n
	}
	return def
}

// ---- cron ----

// cronSet is a parsed 5-field expression: one bit per allowed value.
type cronSet struct {
	fields           [5]uint64
	domStar, dowStar bool
	special          bool // L, W or #: accepted, next run not computed
}

var cronRanges = [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}

var cronNames = [5]map[string]int{3: {"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12},
	4: {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}}

// parseCron parses 5 cron fields; msg explains the first problem.
func parseCron(fields []string) (cronSet, string) {
	var cs cronSet
	for i, f := range fields {
		lo, hi := cronRanges[i][0], cronRanges[i][1]
		for _, item := range strings.Split(f, ",") {
			base, stepText, hasStep := strings.Cut(item, "/")
			step := 1
			if hasStep {
				n, err := strconv.Atoi(stepText)
				if err != nil || n < 1 {
					return cs, fmt.Sprintf("Invalid explicit step value: %s", stepText)
				}
				step = n
			}
			a, b := lo, hi
			switch {
			case base == "*" || base == "?":
				if i == 2 && !hasStep {
					cs.domStar = true
				}
				if i == 4 && !hasStep {
					cs.dowStar = true
				}
			case (i == 2 || i == 4) && (strings.ContainsAny(base, "LW#")):
				cs.special = true
				continue
			default:
				from, to, isRange := strings.Cut(base, "-")
				var ok bool
				if a, ok = cronNumber(from, i); !ok {
					return cs, fmt.Sprintf("Constraint error, got value %s expected range %d-%d", from, lo, hi)
				}
				b = a
				if isRange {
					if b, ok = cronNumber(to, i); !ok {
						return cs, fmt.Sprintf("Constraint error, got value %s expected range %d-%d", to, lo, hi)
					}
					if b < a {
						return cs, "Invalid range: " + base
					}
				} else if hasStep {
					b = hi
				}
			}
			for v := a; v <= b; v += step {
				cs.fields[i] |= 1 << uint(v)
			}
		}
	}
	if cs.fields[4]&(1<<7) != 0 { // 7 is Sunday too
		cs.fields[4] |= 1
	}
	return cs, ""
}

func cronNumber(s string, field int) (int, bool) {
	if v, ok := cronNames[field][strings.ToUpper(s)]; ok {
		return v, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < cronRanges[field][0] || n > cronRanges[field][1] {
		return 0, false
	}
	return n, true
}

// nextCronRun computes the first run after t (UTC), or ok=false when it
// cannot (special syntax, or nothing within a year).
func nextCronRun(expr string, after time.Time) (time.Time, bool) {
	if m := svcIntervalRE.FindStringSubmatch(expr); m != nil {
		n, _ := strconv.Atoi(m[1])
		return after.Add(time.Duration(n) * time.Second), true
	}
	cs, msg := parseCron(strings.Fields(expr))
	if msg != "" || cs.special {
		return time.Time{}, false
	}
	t := after.UTC().Truncate(time.Minute).Add(time.Minute)
	for end := t.AddDate(1, 0, 1); t.Before(end); t = t.Add(time.Minute) {
		if cs.fields[3]&(1<<uint(t.Month())) == 0 || cs.fields[1]&(1<<uint(t.Hour())) == 0 || cs.fields[0]&(1<<uint(t.Minute())) == 0 {
			continue
		}
		dom := cs.fields[2]&(1<<uint(t.Day())) != 0
		dow := cs.fields[4]&(1<<uint(t.Weekday())) != 0
		day := dom && dow
		if !cs.domStar && !cs.dowStar {
			day = dom || dow
		}
		if day {
			return t, true
		}
	}
	return time.Time{}, false
}
