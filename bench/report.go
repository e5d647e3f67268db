package main

import (
	"fmt"
	"html"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// figure is one measured quantity.
type figure struct {
	Label string
	Unit  string // "ms", "MB" or "KB"
	// Lower is better for every figure but the answer size, whose ratio is
	// only reported.
	Compare bool
	get     func(sample) float64
}

var figures = []figure{
	{"spawn → initialize response", "ms", true, func(s sample) float64 { return ms(s.Init) }},
	{"first tools/list", "ms", true, func(s sample) float64 { return ms(s.ListFirst) }},
	{"warm tools/list", "ms", true, func(s sample) float64 { return ms(s.ListWarm) }},
	{"first tools/call " + tool, "ms", true, func(s sample) float64 { return ms(s.CallFirst) }},
	{"warm tools/call " + tool, "ms", true, func(s sample) float64 { return ms(s.CallWarm) }},
	{"startup RSS (VmHWM after initialize + tools/list)", "MB", true, func(s sample) float64 { return float64(s.StartRSSKB) / 1024 }},
	{"startup private memory (RssAnon) at that point", "MB", true, func(s sample) float64 { return float64(s.StartAnonKB) / 1024 }},
	{"peak RSS after tools/list and the calls", "MB", true, func(s sample) float64 { return float64(s.RSSKB) / 1024 }},
	{"private memory (RssAnon) at that point", "MB", true, func(s sample) float64 { return float64(s.AnonKB) / 1024 }},
	{"tools/list tools array", "KB", false, func(s sample) float64 { return float64(len(s.ToolsJSON)) / 1024 }},
}

// Indexes of the startup figures, for the floor table.
const (
	figInit      = 0
	figStartRSS  = 5
	figStartAnon = 6
)

// floorTarget is the most startup RSS ours (default flags) may hold, as a
// multiple of the bare mcp-go floor's.
const floorTarget = 1.5

// listed are the servers whose tools arrays are compared, in table order.
var listed = []string{"ours", "ours-all", "official"}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// recorded is what one untimed run through the recording proxy saw.
type recorded struct {
	Calls  []backendCall
	Stderr string
}

// backendCall counts the calls of one endpoint with one answer status.
type backendCall struct {
	Method string
	Path   string
	Status int
	Count  int
}

// results are the medians of a driver run.
type results struct {
	Runs   int
	Warmup int
	Info   map[string]string
	// Median[server][figure index]
	Median map[string][]float64
	Tools  map[string]int
	Why    string // why the official server is missing, if it is
	Seen   map[string]recorded
	// Lists are the tools arrays of the servers in listed that ran.
	Lists map[string]listSize
	// Tokenizer names the tokenizer that filled in Lists' Tokens, or
	// TokenizerWhy says why none did.
	Tokenizer, TokenizerWhy string
}

func summarize(samples map[string][]sample, o options, info map[string]string, why string, seen map[string]recorded) results {
	r := results{Runs: o.runs, Warmup: o.warmup, Info: info, Median: map[string][]float64{}, Tools: map[string]int{}, Why: why, Seen: seen, Lists: map[string]listSize{}}
	for name, ss := range samples {
		med := make([]float64, len(figures))
		for i, f := range figures {
			vals := make([]float64, len(ss))
			for j, s := range ss {
				vals[j] = f.get(s)
			}
			med[i] = medianFloat(vals)
		}
		r.Median[name] = med
		if len(ss) > 0 {
			last := ss[len(ss)-1]
			r.Tools[name] = last.Tools
			if slices.Contains(listed, name) {
				r.Lists[name] = listSize{Tools: last.Tools, JSON: last.ToolsJSON}
			}
		}
	}
	return r
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianFloat(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// format prints a value with its unit and about three significant digits.
func format(v float64, unit string) string {
	if math.IsNaN(v) {
		return "–"
	}
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	case v >= 10:
		return fmt.Sprintf("%.1f %s", v, unit)
	default:
		return fmt.Sprintf("%.2f %s", v, unit)
	}
}

// ratio prints ours/official and, for compared figures, how many times
// better or worse ours is.
func ratio(ours, theirs float64, f figure) string {
	if math.IsNaN(ours) || math.IsNaN(theirs) || theirs == 0 {
		return "–"
	}
	r := ours / theirs
	s := fmt.Sprintf("%.3g", r)
	if !f.Compare {
		return s
	}
	word := "less"
	if f.Unit == "ms" {
		word = "faster"
	}
	switch {
	case r < 1:
		return fmt.Sprintf("%s (%.3g× %s)", s, 1/r, word)
	case r > 1:
		return fmt.Sprintf("%s (%.3g× worse)", s, r)
	}
	return s
}

// Markdown renders the results table.
func (r results) Markdown() string {
	var b strings.Builder
	ours, official := r.Median["ours"], r.Median["official"]
	fmt.Fprintf(&b, "### insforge-mcp vs the official server (@insforge/mcp %s)\n\n", officialVersion)
	fmt.Fprintf(&b, "Medians of %d runs per server after %d warm-up rounds, the servers alternating, all over stdio against the same fake InsForge backend on loopback (`go run ./bench`); insforge-mcp with default flags (no --toolsets) in this table. ", r.Runs, r.Warmup)
	fmt.Fprintf(&b, "Machine: %s, %s cores, %s; %s", orDash(r.Info["cpu"]), r.Info["cores"], r.Info["os"], r.Info["go"])
	if v := r.Info["node"]; v != "" {
		fmt.Fprintf(&b, ", Node %s", v)
	}
	if v := r.Info["load"]; v != "" {
		fmt.Fprintf(&b, "; one-minute load average %s", v)
	}
	fmt.Fprintf(&b, "; %s", r.Info["date"])
	if v := r.Info["commit"]; v != "" {
		fmt.Fprintf(&b, ", commit %s", v)
	}
	b.WriteString(".\n\n")
	if official == nil {
		fmt.Fprintf(&b, "The official server was %s.\n\n", r.Why)
	}
	b.WriteString("| Figure | insforge-mcp | official | ours / official |\n|---|---:|---:|---:|\n")
	for i, f := range figures {
		o, t := at(ours, i), at(official, i)
		so, st := format(o, f.Unit), format(t, f.Unit)
		if f.Unit == "KB" {
			so += fmt.Sprintf(" (%d tools)", r.Tools["ours"])
			if official != nil {
				st += fmt.Sprintf(" (%d tools)", r.Tools["official"])
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", f.Label, so, st, ratio(o, t, f))
	}
	r.listTable(&b)
	r.floorTable(&b)
	if h := r.Median["ours-http"]; h != nil {
		b.WriteString("\nOurs over streamable HTTP (`--transport http`; spawn → initialize includes polling until the port answers). ")
		b.WriteString("The official HTTP server (insforge-mcp-server) needs Redis and the InsForge cloud's OAuth, so it is not measured here.\n\n")
		b.WriteString("| Figure | insforge-mcp over HTTP |\n|---|---:|\n")
		for i, f := range figures {
			v := format(at(h, i), f.Unit)
			if f.Unit == "KB" {
				v += fmt.Sprintf(" (%d tools)", r.Tools["ours-http"])
			}
			fmt.Fprintf(&b, "| %s | %s |\n", f.Label, v)
		}
	}
	if len(r.Seen) > 0 {
		b.WriteString("\nBackend calls in one extra (untimed) run of each server through a recording proxy: method, path, the fake's status, count.\n\n")
		names := make([]string, 0, len(r.Seen))
		for n := range r.Seen {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			var parts []string
			for _, c := range r.Seen[n].Calls {
				parts = append(parts, fmt.Sprintf("`%s %s` %d ×%d", c.Method, c.Path, c.Status, c.Count))
			}
			fmt.Fprintf(&b, "- %s: %s\n", n, strings.Join(parts, ", "))
		}
	}
	return b.String()
}

// label names a server in the tables.
func (r results) label(name string) string {
	switch name {
	case "ours":
		return fmt.Sprintf("insforge-mcp, default flags (%d tools)", r.Tools[name])
	case "ours-all":
		return fmt.Sprintf("insforge-mcp, `--toolsets all` (%d tools)", r.Tools[name])
	case "official":
		return fmt.Sprintf("official, @insforge/mcp %s (%d tools)", officialVersion, r.Tools[name])
	case "floor":
		return fmt.Sprintf("floor: bare mcp-go stdio server (%d tool)", r.Tools[name])
	}
	return name
}

// listTable compares the tools arrays, in bytes and approximate tokens.
func (r results) listTable(b *strings.Builder) {
	if len(r.Lists) == 0 {
		return
	}
	b.WriteString("\n### The tools array of tools/list\n\n")
	b.WriteString("The `tools` array of the first tools/list answer of each server in this run, byte for byte as the server wrote it: what a client puts before its model. ")
	b.WriteString("Tokens are estimates (≈): bytes/4, the usual rule of thumb")
	if r.Tokenizer != "" {
		fmt.Fprintf(b, ", and a count with the %s tokenizer, which is not every model's (Claude's tokenizer is not public)", r.Tokenizer)
	} else {
		fmt.Fprintf(b, " (no tokenizer count: %s)", r.TokenizerWhy)
	}
	b.WriteString(".\n\n")
	b.WriteString("| Server | bytes | ≈ tokens (bytes/4) |")
	if r.Tokenizer != "" {
		b.WriteString(" ≈ tokens (o200k_base) |")
	}
	b.WriteString(" bytes / official |\n|---|---:|---:|")
	if r.Tokenizer != "" {
		b.WriteString("---:|")
	}
	b.WriteString("---:|\n")
	official, hasOfficial := r.Lists["official"]
	for _, name := range listed {
		l, ok := r.Lists[name]
		if !ok {
			continue
		}
		fmt.Fprintf(b, "| %s | %s | ≈ %s |", r.label(name), thousands(l.Bytes()), thousands(quarterTokens(l.Bytes())))
		if r.Tokenizer != "" {
			fmt.Fprintf(b, " ≈ %s |", thousands(l.Tokens))
		}
		rt := "–"
		if hasOfficial && official.Bytes() > 0 {
			rt = fmt.Sprintf("%.3g", float64(l.Bytes())/float64(official.Bytes()))
		}
		fmt.Fprintf(b, " %s |\n", rt)
	}
}

// floorTable compares the startup memory with the bare mcp-go floor's.
func (r results) floorTable(b *strings.Builder) {
	floor := r.Median["floor"]
	if floor == nil {
		return
	}
	b.WriteString("\n### Startup memory against the bare mcp-go floor\n\n")
	b.WriteString("VmHWM (the resident set's high-water mark) and RssAnon (its private part) right after initialize and the first tools/list, medians of the same runs. ")
	b.WriteString("The floor is a bare mcp-go stdio server with one trivial tool (`bench/internal/floor`), built with the same flags as ours and driven through the same sequence: no server built on mcp-go starts below it.\n\n")
	b.WriteString("| Server | startup RSS | startup RssAnon | file-backed (RSS − RssAnon) | RSS / floor | spawn → initialize |\n|---|---:|---:|---:|---:|---:|\n")
	base := floor[figStartRSS]
	for _, name := range []string{"floor", "ours", "ours-all", "official"} {
		m := r.Median[name]
		if m == nil {
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %.2f× | %s |\n", r.label(name), format(m[figStartRSS], "MB"), format(m[figStartAnon], "MB"), format(m[figStartRSS]-m[figStartAnon], "MB"), m[figStartRSS]/base, format(m[figInit], "ms"))
	}
	if ours := r.Median["ours"]; ours != nil {
		x := ours[figStartRSS] / base
		verdict := "met"
		if x > floorTarget {
			verdict = "not met"
		}
		fmt.Fprintf(b, "\nTarget: ours with default flags at most %.1f× the floor's startup RSS: **%s** (%.2f×, %s above the floor).\n", floorTarget, verdict, x, format(ours[figStartRSS]-base, "MB"))
	}
}

// thousands prints n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func at(v []float64, i int) float64 {
	if v == nil {
		return math.NaN()
	}
	return v[i]
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// SVG draws one pair of bars per figure (ours, official), each figure on
// its own scale, with the values and the ratio written out. Hand-written
// SVG: no dependencies, readable on GitHub.
func (r results) SVG() string {
	const (
		width   = 860
		labelW  = 300
		barMax  = 380
		barH    = 16
		gap     = 4
		groupH  = 2*barH + gap + 22
		top     = 70
		ourCol  = "#00ADD8"
		offCol  = "#E8590C"
		textCol = "#24292f"
	)
	ours, official := r.Median["ours"], r.Median["official"]
	height := top + len(figures)*groupH + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="13">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="16" y="26" font-size="16" font-weight="600" fill="%s">insforge-mcp vs @insforge/mcp %s: medians of %d runs (lower is better)</text>`+"\n", textCol, officialVersion, r.Runs)
	fmt.Fprintf(&b, `<rect x="16" y="40" width="12" height="12" fill="%s"/><text x="34" y="51" fill="%s">insforge-mcp (Go)</text>`+"\n", ourCol, textCol)
	fmt.Fprintf(&b, `<rect x="170" y="40" width="12" height="12" fill="%s"/><text x="188" y="51" fill="%s">official (TypeScript, Node)</text>`+"\n", offCol, textCol)
	if official == nil {
		fmt.Fprintf(&b, `<text x="400" y="51" fill="%s">official: %s</text>`+"\n", textCol, html.EscapeString(r.Why))
	}
	for i, f := range figures {
		y := top + i*groupH
		o, t := at(ours, i), at(official, i)
		maxV := o
		if !math.IsNaN(t) && t > maxV {
			maxV = t
		}
		fmt.Fprintf(&b, `<text x="16" y="%d" fill="%s">%s</text>`+"\n", y+barH-3, textCol, html.EscapeString(f.Label))
		if !math.IsNaN(t) {
			fmt.Fprintf(&b, `<text x="16" y="%d" fill="#57606a" font-size="12">ours/official %s</text>`+"\n", y+2*barH+gap-3, html.EscapeString(ratio(o, t, f)))
		}
		for j, v := range []float64{o, t} {
			if math.IsNaN(v) {
				continue
			}
			col := ourCol
			if j == 1 {
				col = offCol
			}
			w := 0.0
			if maxV > 0 {
				w = v / maxV * barMax
			}
			w = math.Max(w, 1.5)
			by := y + j*(barH+gap)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s" rx="2"/>`+"\n", labelW, by, w, barH, col)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="%s">%s</text>`+"\n", float64(labelW)+w+6, by+barH-3, textCol, html.EscapeString(format(v, f.Unit)))
		}
	}
	fmt.Fprintf(&b, `<text x="16" y="%d" fill="#57606a" font-size="11">%s; each figure on its own scale. Reproduce: go run ./bench</text>`+"\n", height-10, html.EscapeString(strings.TrimSpace(r.Info["cpu"]+", "+r.Info["cores"]+" cores, "+r.Info["date"])))
	b.WriteString("</svg>\n")
	return b.String()
}

// recorder is a reverse proxy to the fake backend that counts the calls.
type recorder struct {
	ts    *httptest.Server
	mu    sync.Mutex
	calls map[backendCall]int
	order []backendCall
}

func newRecorder(target string) *recorder {
	u, _ := url.Parse(target)
	rec := &recorder{calls: map[backendCall]int{}}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.Transport = &http.Transport{Proxy: nil}
	rec.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		proxy.ServeHTTP(sw, r)
		k := backendCall{Method: r.Method, Path: r.URL.RequestURI(), Status: sw.status}
		rec.mu.Lock()
		if rec.calls[k] == 0 {
			rec.order = append(rec.order, k)
		}
		rec.calls[k]++
		rec.mu.Unlock()
	}))
	return rec
}

func (r *recorder) URL() string { return r.ts.URL }

func (r *recorder) Close() {
	r.ts.CloseClientConnections()
	r.ts.Close()
}

// Calls lists the calls in order of first appearance, with counts.
func (r *recorder) Calls() []backendCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]backendCall, len(r.order))
	for i, k := range r.order {
		k.Count = r.calls[k]
		out[i] = k
	}
	return out
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
