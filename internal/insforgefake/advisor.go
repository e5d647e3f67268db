package insforgefake

import (
	"net/http"
	"sort"
	"sync"
	"time"
)

// Database advisor module: scans and their findings. There is no
// scan until POST /api/advisor/scan starts one. A started scan is
// "running" until GET /api/advisor/latest has reported it once as running;
// it is completed from then on (or at once with CompleteAdvisorScans), with
// advisorFindings. Suppressions are not implemented.

// advisorFinding is one issue a completed scan reports.
type advisorFinding struct {
	ID             string `json:"id"`
	RuleID         string `json:"ruleId"`
	Severity       string `json:"severity"` // critical, warning or info
	Category       string `json:"category"` // security, performance or health
	Title          string `json:"title"`
	Description    string `json:"description"`
	AffectedObject string `json:"affectedObject"`
	Recommendation string `json:"recommendation"`
}

// advisorFindings are what every scan finds.
var advisorFindings = []advisorFinding{
	{RuleID: "rls-disabled", Severity: "critical", Category: "security", Title: "Table publicly accessible",
		Description:    "Table public.todos has RLS disabled and is exposed via PostgREST. Any client with the anon key can read and modify all rows.",
		AffectedObject: "public.todos", Recommendation: "ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;\n-- Also force RLS for table owners (owners bypass RLS by default):\nALTER TABLE public.todos FORCE ROW LEVEL SECURITY;"},
	{RuleID: "missing-fk-index", Severity: "warning", Category: "performance", Title: "Foreign key column missing index",
		Description:    "Column owner_id on table public.todos is a foreign key (todos_owner_id_fkey) but has no index. JOINs require full table scans, and deleting or updating rows in the referenced table requires scanning the entire referencing table — potentially acquiring locks that block writes.",
		AffectedObject: "public.todos.todos_owner_id_fkey", Recommendation: "CREATE INDEX CONCURRENTLY ON public.todos (owner_id);"},
	{RuleID: "rls-permissive", Severity: "warning", Category: "security", Title: "Overly permissive RLS policy",
		Description:    "Policy \"read all\" on public.notes grants unrestricted SELECT access to roles: authenticated.",
		AffectedObject: "public.notes (read all)", Recommendation: "Review and tighten the policy in place:\nALTER POLICY \"read all\" ON public.notes USING ((select auth.uid()) = user_id);"},
	{RuleID: "dead-tuples", Severity: "info", Category: "health", Title: "High dead tuple ratio",
		Description:    "Table public.events has 1200 dead tuples (24% of 5000 total). This wastes disk space and slows sequential scans. Autovacuum may be falling behind on this table.",
		AffectedObject: "public.events", Recommendation: "VACUUM ANALYZE public.events;"},
}

type advisorScan struct {
	id        string
	status    string
	scannedAt time.Time
	findings  []advisorFinding
}

type advisorState struct {
	mu      sync.Mutex
	scans   []*advisorScan // oldest first
	instant bool
}

func advisorOf(s *Server) *advisorState {
	return moduleState(s, "advisor", func() *advisorState { return &advisorState{} })
}

func registerAdvisorRoutes(s *Server) {
	st := advisorOf(s)
	s.handle("POST /api/advisor/scan", accessAdmin, st.scan)
	s.handle("GET /api/advisor/latest", accessAdmin, st.latest)
	s.handle("GET /api/advisor/issues", accessAdmin, st.issues)
}

// CompleteAdvisorScans makes started scans complete at once (true) instead
// of after GET /api/advisor/latest has seen them running (false, default).
func (s *Server) CompleteAdvisorScans(instant bool) {
	st := advisorOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.instant = instant
}

// complete finishes a running scan with fresh finding ids.
func (sc *advisorScan) complete() {
	sc.status = "completed"
	sc.findings = append([]advisorFinding{}, advisorFindings...)
	for i := range sc.findings {
		sc.findings[i].ID = newUUID()
	}
}

// lastCompleted is the latest completed scan (nil: none). st.mu held.
func (st *advisorState) lastCompleted() *advisorScan {
	for i := len(st.scans) - 1; i >= 0; i-- {
		if st.scans[i].status == "completed" {
			return st.scans[i]
		}
	}
	return &advisorScan{}
}

func (st *advisorState) scan(w http.ResponseWriter, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if n := len(st.scans); n > 0 && st.scans[n-1].status == "running" {
		writeError(w, &APIError{Status: 409, Code: "DATABASE_CONSTRAINT_VIOLATION", Message: "A database advisor scan is already in progress."})
		return
	}
	sc := &advisorScan{id: newUUID(), status: "running", scannedAt: time.Now()}
	st.scans = append(st.scans, sc)
	if st.instant {
		sc.complete()
	}
	writeJSON(w, 201, map[string]any{"scanId": sc.id, "message": "Scan started"})
}

func (st *advisorState) latest(w http.ResponseWriter, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.scans) == 0 {
		writeJSON(w, 200, nil)
		return
	}
	sc := st.scans[len(st.scans)-1]
	done := st.lastCompleted().findings
	c := map[string]int{}
	for _, f := range done {
		c[f.Severity]++
	}
	summary := map[string]any{"total": len(done), "critical": c["critical"], "warning": c["warning"], "info": c["info"]}
	writeJSON(w, 200, map[string]any{
		"scanId": sc.id, "status": sc.status, "scanType": "manual", "scannedAt": isoMillis(sc.scannedAt),
		"errorMessage": nil, "summary": summary,
	})
	if sc.status == "running" {
		sc.complete() // reported as running once: the next call sees it completed
	}
}

var severityRank = map[string]int{"critical": 0, "warning": 1, "info": 2}

// issues answers GET /api/advisor/issues; the tool checks the filters and
// paging values before sending them.
func (st *advisorState) issues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	st.mu.Lock()
	defer st.mu.Unlock()
	matched := []advisorFinding{}
	for _, f := range st.lastCompleted().findings {
		if (!q.Has("severity") || f.Severity == q.Get("severity")) && (!q.Has("category") || f.Category == q.Get("category")) {
			matched = append(matched, f)
		}
	}
	sort.SliceStable(matched, func(i, j int) bool {
		if a, b := severityRank[matched[i].Severity], severityRank[matched[j].Severity]; a != b {
			return a < b
		}
		return matched[i].ID < matched[j].ID
	})
	writeJSON(w, 200, map[string]any{"issues": pageSlice(matched, queryInt(q, "limit", 50), queryInt(q, "offset", 0)), "total": len(matched)})
}
