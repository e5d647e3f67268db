package insforgefake

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
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

// scheduleRecord is a schedule as the backend's formatScheduleResponse
// renders it, plus what the fake keeps.
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
	updated        time.Time
	lastRun        time.Time
	runs           []map[string]any // newest first
}

type schedulesState struct {
	mu        sync.Mutex
	jobs      []*scheduleRecord // oldest first
	lastJobID int
}

func schedulesOf(s *Server) *schedulesState {
	return moduleState(s, "schedules", func() *schedulesState { return &schedulesState{} })
}

var (
	svcIntervalRE   = regexp.MustCompile(`(?i)^\s*(\d+)\s+seconds?\s*$`)
	fakeSecretRefRE = regexp.MustCompile(`\$\{\{secrets\.([^}]+)\}\}`)
)

func registerScheduleRoutes(s *Server) {
	st := schedulesOf(s)
	sec := secretsOf(s) // header references resolve against the secrets module
	s.handle("GET /api/schedules", accessAdmin, lockedRoute(&st.mu, st.list))
	s.handle("POST /api/schedules", accessAdmin, func(w http.ResponseWriter, r *http.Request) { st.create(w, r, sec) })
	s.handle("GET /api/schedules/{id}", accessAdmin, lockedRoute(&st.mu, st.get))
	s.handle("PATCH /api/schedules/{id}", accessAdmin, lockedRoute(&st.mu, func(w http.ResponseWriter, r *http.Request) { st.update(w, r, sec) }))
	s.handle("DELETE /api/schedules/{id}", accessAdmin, lockedRoute(&st.mu, st.remove))
	s.handle("GET /api/schedules/{id}/logs", accessAdmin, lockedRoute(&st.mu, st.logs))
}

// AddScheduleRun records an execution of a schedule and makes it the
// schedule's lastExecutedAt. It reports false when there is no such schedule.
func (s *Server) AddScheduleRun(scheduleID string, run ScheduleRun) bool {
	st := schedulesOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	job := st.find(scheduleID)
	if job == nil {
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
		last := isoMillis(run.At)
		job.lastRun, job.LastExecutedAt = run.At, &last
		job.plan()
	}
	return true
}

// ScheduleHeaders returns the headers a schedule sends, with secret
// references replaced by the values they had when it was saved.
func (s *Server) ScheduleHeaders(scheduleID string) (map[string]string, bool) {
	st := schedulesOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	if job := st.find(scheduleID); job != nil {
		return maps.Clone(job.resolved), true
	}
	return nil, false
}

// find returns the schedule with id, or nil. st.mu held.
func (st *schedulesState) find(id string) *scheduleRecord {
	if i := slices.IndexFunc(st.jobs, func(j *scheduleRecord) bool { return j.ID == id }); i >= 0 {
		return st.jobs[i]
	}
	return nil
}

// at finds the schedule of an {id} route or answers 404. st.mu held.
func (st *schedulesState) at(w http.ResponseWriter, r *http.Request) int {
	id := r.PathValue("id")
	return indexOr404(w, st.jobs, func(j *scheduleRecord) bool { return j.ID == id }, "SCHEDULE_NOT_FOUND", "Schedule not found.")
}

// plan estimates nextRun from the last change or run. st.mu held.
func (job *scheduleRecord) plan() {
	after := job.updated
	if job.lastRun.After(after) {
		after = job.lastRun
	}
	next := after.UTC().Truncate(time.Minute).Add(time.Minute)
	if m := svcIntervalRE.FindStringSubmatch(job.CronSchedule); m != nil {
		n, _ := strconv.Atoi(m[1])
		next = after.Add(time.Duration(n) * time.Second)
	}
	nextRun := isoMillis(next)
	job.NextRun = &nextRun
}

func (st *schedulesState) list(w http.ResponseWriter, r *http.Request) {
	out := make([]*scheduleRecord, 0, len(st.jobs))
	for _, j := range slices.Backward(st.jobs) { // newest first
		out = append(out, j)
	}
	writeJSON(w, 200, out)
}

func (st *schedulesState) get(w http.ResponseWriter, r *http.Request) {
	if i := st.at(w, r); i >= 0 {
		writeJSON(w, 200, st.jobs[i])
	}
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
	st.lastJobID++
	jobID := strconv.Itoa(st.lastJobID)
	job.CreatedAt, job.CronJobID = job.UpdatedAt, &jobID
	st.jobs = append(st.jobs, job)
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
	job.UpdatedAt = isoMillis(job.updated)
	job.plan()
	return aerr
}

// update answers PATCH /api/schedules/{id}; a refused change keeps the
// schedule as it was.
func (st *schedulesState) update(w http.ResponseWriter, r *http.Request, secrets *secretsState) {
	var in scheduleInput
	if !bind(w, r, &in) {
		return
	}
	if i := st.at(w, r); i >= 0 {
		next := *st.jobs[i]
		if aerr := next.apply(in, secrets); aerr != nil {
			writeError(w, aerr)
			return
		}
		*st.jobs[i] = next
		writeJSON(w, 200, map[string]any{"id": next.ID, "cronJobId": next.CronJobID, "message": "Schedule updated successfully"})
	}
}

func (st *schedulesState) remove(w http.ResponseWriter, r *http.Request) {
	if i := st.at(w, r); i >= 0 {
		st.jobs = slices.Delete(st.jobs, i, i+1)
		writeJSON(w, 200, map[string]any{"message": "Schedule deleted successfully."})
	}
}

// logs answers GET /api/schedules/{id}/logs; an unknown id has no logs.
func (st *schedulesState) logs(w http.ResponseWriter, r *http.Request) {
	limit, offset := queryInt(r.URL.Query(), "limit", 50), queryInt(r.URL.Query(), "offset", 0)
	var runs []map[string]any
	if job := st.find(r.PathValue("id")); job != nil {
		runs = job.runs
	}
	page := pageSlice(runs, limit, offset)
	writeJSON(w, 200, map[string]any{"logs": page, "totalCount": len(runs), "limit": limit, "offset": offset})
}
