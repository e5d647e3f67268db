package tools

import (
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Index ranks served tools against the words of a task with BM25 over
// their names, titles, descriptions, parameter names and toolsets. A query
// that names a tool ranks that tool first.
type Index struct {
	docs  []indexDoc
	df    map[string]int
	avgLn float64
}

type indexDoc struct {
	tool Tool
	tf   map[string]float64
	len  float64
}

// Field weights: a word in the name says more than one in the description.
const (
	weightName  = 4
	weightTitle = 2
	weightOther = 1
	bm25K1      = 1.2
	bm25B       = 0.75
)

// NewIndex indexes the served tools of a surface.
func NewIndex(s *Surface) *Index {
	ix := &Index{df: map[string]int{}}
	total := 0.0
	for _, t := range s.Served {
		d := indexDoc{tool: t, tf: map[string]float64{}}
		add := func(text string, w float64) {
			for _, term := range terms(text) {
				d.tf[term] += w
				d.len += w
			}
		}
		add(t.Name, weightName)
		add(t.Title, weightTitle)
		add(t.Description, weightOther)
		add(strings.Join(t.Params(), " "), weightOther)
		add(string(t.Toolset), weightOther)
		for term := range d.tf {
			ix.df[term]++
		}
		total += d.len
		ix.docs = append(ix.docs, d)
	}
	if len(ix.docs) > 0 {
		ix.avgLn = total / float64(len(ix.docs))
	}
	return ix
}

// Hit is one ranked tool.
type Hit struct {
	Tool  Tool
	Score float64
}

// Search ranks the tools for query, best first, keeping those of toolset
// when it is set, at most limit of them. Tools the query names come first.
func (ix *Index) Search(query string, toolset Toolset, limit int) []Hit {
	q := terms(expand(query))
	named := namedTools(query, ix.docs)
	var hits []Hit
	n := float64(len(ix.docs))
	for _, d := range ix.docs {
		if toolset != "" && d.tool.Toolset != toolset {
			continue
		}
		score := 0.0
		for _, term := range q {
			f := d.tf[term]
			if f == 0 {
				continue
			}
			df := float64(ix.df[term])
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			score += idf * f * (bm25K1 + 1) / (f + bm25K1*(1-bm25B+bm25B*d.len/ix.avgLn))
		}
		if slices.Contains(named, d.tool.Name) {
			score += 1000
		}
		if score > 0 {
			hits = append(hits, Hit{Tool: d.tool, Score: score})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// Named lists the served tools whose exact names appear in query.
func (ix *Index) Named(query string) []string { return namedTools(query, ix.docs) }

func namedTools(query string, docs []indexDoc) []string {
	q := " " + strings.Join(strings.FieldsFunc(strings.ToLower(query), func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-')
	}), " ") + " "
	var out []string
	for _, d := range docs {
		if strings.Contains(q, " "+d.tool.Name+" ") {
			out = append(out, d.tool.Name)
		}
	}
	return out
}

// synonyms add the catalogue's word for a word agents use.
var synonyms = map[string]string{
	"cron": "schedule", "job": "schedule", "jobs": "schedule", "recurring": "schedule", "periodic": "schedule",
	"file": "object", "files": "object", "blob": "object", "image": "object", "images": "object",
	"row": "record", "rows": "record", "entries": "record",
	"login": "auth", "signin": "auth", "signup": "auth", "sso": "oauth", "google": "oauth", "github": "oauth",
	"site": "deployment", "website": "deployment", "frontend": "deployment", "hosting": "deployment", "host": "deployment", "deploy": "deployment",
	"lambda": "function", "serverless": "function", "endpoint": "function",
	"env": "variable", "environment": "variable",
	"errors": "log", "error": "log", "debug": "log",
	"websocket": "realtime", "pubsub": "realtime", "broadcast": "publish",
	"llm": "ai", "model": "ai", "models": "ai", "chat": "ai",
	"column": "table", "columns": "table", "schema": "table",
	"mail": "email", "smtp": "email",
	"token": "key", "credential": "key", "credentials": "key",
	"rls": "policy", "permission": "policy", "permissions": "policy",
	"lint": "advisor", "security": "advisor", "audit": "advisor",
}

func expand(query string) string {
	var extra []string
	for _, w := range strings.FieldsFunc(strings.ToLower(query), notWord) {
		if s, ok := synonyms[w]; ok {
			extra = append(extra, s)
		}
	}
	return query + " " + strings.Join(extra, " ")
}

// stopwords carry no meaning for ranking.
var stopwords = map[string]bool{
	"a": true, "an": true, "the": true, "of": true, "to": true, "for": true, "and": true, "or": true, "in": true,
	"on": true, "with": true, "by": true, "is": true, "it": true, "its": true, "from": true, "as": true, "at": true,
	"be": true, "this": true, "that": true, "my": true, "me": true, "i": true, "you": true, "your": true, "how": true,
	"do": true, "what": true, "can": true, "please": true, "want": true, "need": true, "use": true, "using": true,
	"when": true, "then": true, "not": true, "no": true, "are": true, "will": true, "so": true, "if": true, "into": true,
}

// terms splits text into lower-case stems: on anything but letters and
// digits, and between the words of camelCase names.
func terms(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(splitCamel(text), notWord) {
		w = strings.ToLower(w)
		if stopwords[w] || len(w) < 2 {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

func notWord(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

func splitCamel(s string) string {
	var b strings.Builder
	prev := ' '
	for _, r := range s {
		if unicode.IsUpper(r) && unicode.IsLower(prev) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// stem strips the commonest English endings, so that "schedules",
// "scheduled" and "scheduling" meet "schedule".
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 5 && strings.HasSuffix(w, "ing"):
		w = w[:len(w)-3]
	case len(w) > 4 && strings.HasSuffix(w, "ed"):
		w = w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		w = w[:len(w)-1]
	}
	return strings.TrimSuffix(w, "e")
}

// Closest returns up to n names of tools in all that look like name: by
// spelling, then by the words they share.
func Closest(name string, all []Tool, n int) []string {
	type cand struct {
		name string
		dist int
	}
	var cands []cand
	for _, t := range all {
		d := levenshtein(name, t.Name)
		if d <= max(2, len(name)/3) || (len(name) >= 4 && strings.Contains(t.Name, name)) {
			cands = append(cands, cand{t.Name, d})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].dist < cands[j].dist })
	var out []string
	for _, c := range cands {
		if len(out) == n {
			break
		}
		out = append(out, c.name)
	}
	if len(out) < n {
		s := &Surface{Served: all}
		for _, h := range NewIndex(s).Search(strings.ReplaceAll(name, "-", " "), "", n) {
			if !slices.Contains(out, h.Tool.Name) && len(out) < n {
				out = append(out, h.Tool.Name)
			}
		}
	}
	return out
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
