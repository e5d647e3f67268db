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
// logs. Nothing runs on its own: tests record executions with
// AddScheduleRun. Header values may reference secrets as
// ${{secrets.KEY}}; they are resolved against the secrets module when a
// schedule is saved (a missing secret is 404 SECRET_NOT_FOUND), and the
// stored (and listed) headers keep the references, as on the backend.
//
// Differences from the real backend: the cron expression is not checked
// (the tools check it first), and nextRun is only an estimate: N seconds
// after the last run or change for "N seconds", else the next whole minute.

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
	svcIntervalRE   = regexp.MustCompile(`(?i)^\s*(\d+)\s+seconds?\s*$`)
	fakeSecretRefRE = regexp.MustCompile(`\$\{\{secrets\.([^}]+)\}\}`)
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
	after := job.updated
	if job.lastRun.After(after) {
		after = job.lastRun
	}
	if !job.lastRun.IsZero() {
		last := isoMillis(job.lastRun)
		v.LastExecutedAt = &last
	}
	next := after.UTC().Truncate(time.Minute).Add(time.Minute)
	if m := svcIntervalRE.FindStringSubmatch(job.CronSchedule); m != nil {
		n, _ := strconv.Atoi(m[1])
		next = after.Add(time.Duration(n) * time.Second)
	}
	nextRun := isoMillis(next)
	v.NextRun = &nextRun
	return v
}

func errScheduleNotFound() *APIError {
	return &APIError{Status: 404, Code: "SCHEDULE_NOT_FOUND", Message: "Schedule not found."}
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
	st.mu.Lock()
	defer st.mu.Unlock()
	job, ok := st.jobs[r.PathValue("id")]
	if !ok {
		writeError(w, errScheduleNotFound())
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
func resolveHeaders(headers map[string]any, secrets *secretsState) (map[string]string, *APIError) {
	out := map[string]string{}
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	now := time.Now()
	for _, k := range sortedKeys(headers) {
		v, _ := headers[k].(string)
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

// apply sets the given fields of a schedule, resolving its headers'
// secrets again.
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
	resolved, aerr := resolveHeaders(job.Headers, secrets)
	job.resolved, job.updated = resolved, time.Now()
	return aerr
}

func (st *schedulesState) update(w http.ResponseWriter, r *http.Request, secrets *secretsState) {
	id := r.PathValue("id")
	var in scheduleInput
	if !bind(w, r, &in) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	job, ok := st.jobs[id]
	if !ok {
		writeError(w, errScheduleNotFound())
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
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.jobs[id]; !ok {
		writeError(w, errScheduleNotFound())
		return
	}
	delete(st.jobs, id)
	writeJSON(w, 200, map[string]any{"message": "Schedule deleted successfully."})
}

// logs answers GET /api/schedules/{id}/logs; an unknown id has no logs.
func (st *schedulesState) logs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil {
		limit = 50
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	st.mu.Lock()
	defer st.mu.Unlock()
	var runs []map[string]any
	if job, ok := st.jobs[r.PathValue("id")]; ok {
		runs = job.runs
	}
	page := pageSlice(runs, limit, offset)
	writeJSON(w, 200, map[string]any{"logs": page, "totalCount": len(runs), "limit": limit, "offset": offset})
}
