package insforgefake

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Logs module: log sources, the entries of each source, full-text
// search and edge-function build logs. Entries live
// in memory; every source starts with three entries from the last minutes
// and tests add more with AddLogs.

// LogSources are the sources the fake reports, in the backend's order.
var LogSources = []string{"insforge.logs", "postgres.logs", "postgREST.logs", "function.logs"}

// LogSourceTokens are the ingestion tokens GET /api/logs/sources returns
// with each source. They are internal to the backend: a client must never
// show them.
var LogSourceTokens = map[string]string{
	"insforge.logs":  "logtok_insforge_9c1e77d2a4",
	"postgres.logs":  "logtok_postgres_3b8f0e6c51",
	"postgREST.logs": "logtok_postgrest_d52a91c0e8",
	"function.logs":  "logtok_function_6e0b2f4a93",
}

// LogEntry is one log line to add with AddLogs; its body is
// {"level":"info","message":Message}.
type LogEntry struct {
	Timestamp time.Time // zero: now
	Message   string    // the eventMessage
}

// BuildLog is one edge-function deployment's build output, served by
// GET /api/logs/functions/build-logs (see AddFunctionBuildLog).
type BuildLog struct {
	DeploymentID string
	Status       string // pending, success or failed
	Lines        []BuildLogLine
	createdAt    time.Time
}

// BuildLogLine is one line of a build log.
type BuildLogLine struct {
	Level   string `json:"level"`
	Message string `json:"message"`
}

type storedLog struct {
	ID           string         `json:"id"`
	Timestamp    string         `json:"timestamp"`
	EventMessage string         `json:"eventMessage"`
	Body         map[string]any `json:"body"`
	at           time.Time
}

type logsState struct {
	mu      sync.Mutex
	entries map[string][]storedLog // per source, oldest first
	builds  []BuildLog             // oldest first
}

func logsOf(s *Server) *logsState { return moduleState(s, "logs", newLogsState) }

// newLogsState seeds every source with three entries from the last minutes.
func newLogsState() *logsState {
	st := &logsState{entries: map[string][]storedLog{}}
	now := time.Now()
	seed := map[string][]string{
		"insforge.logs":  {"info - Server is running on port 7130", "GET /api/health 200 54 2.1 - 127.0.0.1 - curl/8.5.0", "info - Database advisor scheduler started"},
		"postgres.logs":  {"LOG:  database system is ready to accept connections", "LOG:  checkpoint starting: time", "LOG:  checkpoint complete: wrote 12 buffers"},
		"postgREST.logs": {"Listening on port 3000", "Schema cache loaded", "Config reloaded"},
		"function.logs":  {"Deno runtime started", "Loaded 0 functions", "Runtime idle"},
	}
	for _, src := range LogSources {
		for i, msg := range seed[src] {
			st.add(src, LogEntry{Timestamp: now.Add(time.Duration(i-3) * time.Minute), Message: msg})
		}
	}
	return st
}

func registerLogsRoutes(s *Server) {
	st := logsOf(s)
	s.handle("GET /api/logs/sources", accessAdmin, func(w http.ResponseWriter, r *http.Request) {
		out := []map[string]any{}
		for i, name := range LogSources {
			out = append(out, map[string]any{"id": strconv.Itoa(i + 1), "name": name, "token": LogSourceTokens[name]})
		}
		writeJSON(w, 200, out)
	})
	s.handle("GET /api/logs/search", accessAdmin, st.search)
	s.handle("GET /api/logs/functions/build-logs", accessAdmin, st.buildLogs)
	s.handle("GET /api/logs/{source}", accessAdmin, st.bySource)
}

// AddLogs appends entries to a source (any name; the four standard ones are
// in LogSources). Entries may be given in any order.
func (s *Server) AddLogs(source string, entries ...LogEntry) {
	st := logsOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, e := range entries {
		st.add(source, e)
	}
}

// AddFunctionBuildLog records a function deployment's build output; the
// last one added is the "latest" deployment.
func (s *Server) AddFunctionBuildLog(b BuildLog) {
	st := logsOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	b.createdAt = time.Now()
	b.Lines = append([]BuildLogLine{}, b.Lines...)
	st.builds = append(st.builds, b)
}

// add stores an entry keeping the source sorted by time. st.mu held (or
// not yet shared).
func (st *logsState) add(source string, e LogEntry) {
	if e.Timestamp.IsZero() {
		e.Timestamp = time.Now()
	}
	list := append(st.entries[source], storedLog{
		ID:           strconv.FormatInt(e.Timestamp.UnixMilli(), 10) + "-" + randomHex(4),
		Timestamp:    isoMillis(e.Timestamp),
		EventMessage: e.Message,
		Body:         map[string]any{"level": "info", "message": e.Message},
		at:           e.Timestamp,
	})
	sort.SliceStable(list, func(i, j int) bool { return list[i].at.Before(list[j].at) })
	st.entries[source] = list
}

// before returns the entries of source older than t, oldest first.
func (st *logsState) before(source string, t time.Time) []storedLog {
	out := []storedLog{}
	for _, e := range st.entries[source] {
		if e.at.Before(t) {
			out = append(out, e)
		}
	}
	return out
}

// bySource answers GET /api/logs/{source}: the last `limit` entries before
// before_timestamp (default now), oldest first; total is the number
// returned. An unknown source answers an empty list (as a real backend does).
func (st *logsState) bySource(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cutoff, ok := parseTime(q.Get("before_timestamp"))
	if !ok {
		cutoff = time.Now()
	}
	st.mu.Lock()
	logs := st.before(r.PathValue("source"), cutoff)
	st.mu.Unlock()
	logs = logs[max(0, len(logs)-queryInt(q, "limit", 100)):]
	writeJSON(w, 200, map[string]any{"logs": logs, "total": len(logs)})
}

// search answers GET /api/logs/search: case-insensitive match on the
// message or the JSON body, across all sources or one, Content-Range paged.
func (st *logsState) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sources := LogSources
	if src := q.Get("source"); src != "" {
		sources = []string{src}
	}
	limit, offset := queryInt(q, "limit", 100), queryInt(q, "offset", 0)
	needle := strings.ToLower(q.Get("q"))
	type match struct {
		storedLog
		Source string `json:"source"`
	}
	var all []match
	st.mu.Lock()
	for _, src := range sources {
		for _, e := range st.before(src, time.Now()) {
			if strings.Contains(strings.ToLower(e.EventMessage+"\n"+string(marshalJSON(e.Body))), needle) {
				all = append(all, match{e, src})
			}
		}
	}
	st.mu.Unlock()
	page := pageSlice(all, limit, offset)
	writePaged(w, page, len(page), offset, len(all))
}

// buildLogs answers GET /api/logs/functions/build-logs.
func (st *logsState) buildLogs(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("deployment_id")
	st.mu.Lock()
	var found *BuildLog
	for i := len(st.builds) - 1; i >= 0; i-- {
		if id == "" || st.builds[i].DeploymentID == id {
			b := st.builds[i]
			found = &b
			break
		}
	}
	st.mu.Unlock()
	if found == nil {
		writeError(w, &APIError{Status: 404, Code: "LOG_NOT_FOUND",
			Message: "Build logs not available. Deno Deploy may not be configured or no deployments found."})
		return
	}
	writeJSON(w, 200, map[string]any{"deploymentId": found.DeploymentID, "status": found.Status, "logs": found.Lines, "createdAt": isoMillis(found.createdAt)})
}

// ---- helpers shared by the logs, secrets, schedules and advisor fakes ----

// isoMillis formats like JavaScript's Date.prototype.toISOString.
func isoMillis(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
