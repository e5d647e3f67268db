package insforgefake

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Database advisor module: scans and their findings. There is no
// scan until POST /api/advisor/scan starts one. A started scan is
// "running" until GET /api/advisor/latest has reported it once as running;
// it is completed from then on (or at once with CompleteAdvisorScans), with
// the findings set by SetAdvisorFindings (DefaultAdvisorFindings unless
// changed). Suppressions are not implemented.

// AdvisorFinding is one issue a completed scan reports.
type AdvisorFinding struct {
	ID             string `json:"id"`
	RuleID         string `json:"ruleId"`
	Severity       string `json:"severity"` // critical, warning or info
	Category       string `json:"category"` // security, performance or health
	Title          string `json:"title"`
	Description    string `json:"description"`
	AffectedObject string `json:"affectedObject"` // "" is answered as null
	Recommendation string `json:"recommendation"` // "" is answered as null
}

// MarshalJSON answers an empty affectedObject or recommendation as null,
// as the backend's nullable columns do.
func (f AdvisorFinding) MarshalJSON() ([]byte, error) {
	type plain AdvisorFinding
	m := map[string]any{}
	b, err := json.Marshal(plain(f))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if f.AffectedObject == "" {
		m["affectedObject"] = nil
	}
	if f.Recommendation == "" {
		m["recommendation"] = nil
	}
	return json.Marshal(m)
}

// DefaultAdvisorFindings are what a scan finds unless SetAdvisorFindings
// says otherwise.
var DefaultAdvisorFindings = []AdvisorFinding{
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
	scanType  string
	scannedAt time.Time
	findings  []AdvisorFinding
}

type advisorState struct {
	mu       sync.Mutex
	scans    []*advisorScan // oldest first
	findings []AdvisorFinding
	instant  bool
}

func advisorOf(s *Server) *advisorState {
	return moduleState(s, "advisor", func() *advisorState {
		return &advisorState{findings: append([]AdvisorFinding(nil), DefaultAdvisorFindings...)}
	})
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

// complete finishes a running scan with the current findings. st.mu held.
func (st *advisorState) complete(sc *advisorScan) {
	sc.status = "completed"
	sc.findings = make([]AdvisorFinding, len(st.findings))
	for i, f := range st.findings {
		if f.ID == "" {
			f.ID = newUUID()
		}
		sc.findings[i] = f
	}
}

func (st *advisorState) lastCompleted() *advisorScan {
	for i := len(st.scans) - 1; i >= 0; i-- {
		if st.scans[i].status == "completed" {
			return st.scans[i]
		}
	}
	return nil
}

func (st *advisorState) scan(w http.ResponseWriter, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if n := len(st.scans); n > 0 && st.scans[n-1].status == "running" {
		writeError(w, &APIError{Status: 409, Code: "DATABASE_CONSTRAINT_VIOLATION", Message: "A database advisor scan is already in progress."})
		return
	}
	sc := &advisorScan{id: newUUID(), status: "running", scanType: "manual", scannedAt: time.Now()}
	st.scans = append(st.scans, sc)
	if st.instant {
		st.complete(sc)
	}
	writeJSON(w, 201, map[string]any{"scanId": sc.id, "message": "Scan started"})
}

func severityCounts(findings []AdvisorFinding) map[string]any {
	c := map[string]int{}
	for _, f := range findings {
		c[f.Severity]++
	}
	return map[string]any{"total": len(findings), "critical": c["critical"], "warning": c["warning"], "info": c["info"]}
}

func (st *advisorState) latest(w http.ResponseWriter, r *http.Request) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.scans) == 0 {
		writeJSON(w, 200, nil)
		return
	}
	sc := st.scans[len(st.scans)-1]
	var counted []AdvisorFinding
	if done := st.lastCompleted(); done != nil {
		counted = done.findings
	}
	writeJSON(w, 200, map[string]any{
		"scanId": sc.id, "status": sc.status, "scanType": sc.scanType, "scannedAt": isoMillis(sc.scannedAt),
		"errorMessage": nil, "summary": severityCounts(counted),
	})
	if sc.status == "running" {
		st.complete(sc) // reported as running once: the next call sees it completed
	}
}

var severityRank = map[string]int{"critical": 0, "warning": 1, "info": 2}

func (st *advisorState) issues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	severity, hasSev := q["severity"]
	if _, known := severityRank[q.Get("severity")]; hasSev && !known {
		writeError(w, errInvalidInput("Invalid severity parameter: must be one of critical, warning, info"))
		return
	}
	category, hasCat := q["category"]
	if hasCat && !contains([]string{"security", "performance", "health"}, category[0]) {
		writeError(w, errInvalidInput("Invalid category parameter: must be one of security, performance, health"))
		return
	}
	limit, offset := 50, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			writeError(w, errInvalidInput("Invalid limit parameter: must be a positive integer"))
			return
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, errInvalidInput("Invalid offset parameter: must be a non-negative integer"))
			return
		}
		offset = n
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	done := st.lastCompleted()
	if done == nil {
		writeJSON(w, 200, map[string]any{"issues": []any{}, "total": 0})
		return
	}
	matched := []AdvisorFinding{}
	for _, f := range done.findings {
		if (hasSev && f.Severity != severity[0]) || (hasCat && f.Category != category[0]) {
			continue
		}
		matched = append(matched, f)
	}
	sort.SliceStable(matched, func(i, j int) bool {
		if a, b := severityRank[matched[i].Severity], severityRank[matched[j].Severity]; a != b {
			return a < b
		}
		return matched[i].ID < matched[j].ID
	})
	writeJSON(w, 200, map[string]any{"issues": pageSlice(matched, limit, offset), "total": len(matched)})
}

// SetAdvisorFindings sets what the next scans find (ids are assigned
// when empty).
func (s *Server) SetAdvisorFindings(findings ...AdvisorFinding) {
	st := advisorOf(s)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.findings = append([]AdvisorFinding{}, findings...)
}
