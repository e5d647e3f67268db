package catalogue_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/resources"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

var update = flag.Bool("update", false, "rewrite the snapshots in testdata/tools and the README tool table")

// everyTool is the whole catalogue, opt-in features included.
func everyTool(t *testing.T) []tools.Tool {
	t.Helper()
	all, err := catalogue.Select(tools.Selection{Toolsets: []string{"all"}, Features: []tools.Feature{tools.UnrestrictedSQL}})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestCatalogueDeclarations(t *testing.T) {
	seen := map[string]bool{}
	for _, tool := range everyTool(t) {
		if seen[tool.Name] {
			t.Errorf("duplicate tool %s", tool.Name)
		}
		seen[tool.Name] = true
		if tool.Name != strings.ToLower(tool.Name) || strings.ContainsAny(tool.Name, " _") {
			t.Errorf("%s: names are kebab-case", tool.Name)
		}
		if len(tool.Description) < 40 {
			t.Errorf("%s: description too short to act on", tool.Name)
		}
		var schema map[string]any
		if err := json.Unmarshal(tool.Schema(), &schema); err != nil {
			t.Fatalf("%s: schema is not JSON: %v", tool.Name, err)
		}
		if schema["type"] != "object" {
			t.Errorf("%s: schema type %v", tool.Name, schema["type"])
		}
		for _, k := range []string{"anyOf", "oneOf", "allOf", "$ref", "$defs"} {
			if _, ok := schema[k]; ok {
				t.Errorf("%s: top-level %s (model providers reject it)", tool.Name, k)
			}
		}
		checkDescribed(t, tool.Name, "", schema)
		if slices.Contains(tool.Params(), "apiKey") && tool.Name != "connect-project" {
			t.Errorf("%s advertises apiKey", tool.Name)
		}
	}
}

// checkDescribed fails for any property without a description, recursively.
func checkDescribed(t *testing.T, tool, path string, schema map[string]any) {
	props, _ := schema["properties"].(map[string]any)
	for name, p := range props {
		prop, _ := p.(map[string]any)
		if path == "" {
			if d, _ := prop["description"].(string); len(d) < 10 {
				t.Errorf("%s: argument %s has no useful description", tool, name)
			}
		}
		checkDescribed(t, tool, path+"."+name, prop)
		if items, ok := prop["items"].(map[string]any); ok {
			checkDescribed(t, tool, path+"."+name+"[]", items)
		}
	}
}

// snapshot is what a client sees of one tool.
type snapshot struct {
	Name        string          `json:"name"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Annotations map[string]bool `json:"annotations"`
	InputSchema json.RawMessage `json:"inputSchema"`
}

// TestSnapshots keeps every tool's declaration under review, one file per
// tool in testdata/tools: a change shows up as a diff of that tool's file
// (go test ./tools/catalogue -update rewrites them).
func TestSnapshots(t *testing.T) {
	dir := filepath.Join("testdata", "tools")
	want := map[string]bool{}
	for _, tool := range everyTool(t) {
		file := tool.Name + ".json"
		want[file] = true
		var schema bytes.Buffer
		if err := json.Indent(&schema, tool.Schema(), "", "  "); err != nil {
			t.Fatal(err)
		}
		got, err := json.MarshalIndent(snapshot{
			Name: tool.Name, Title: tool.Title, Description: tool.Description,
			Annotations: map[string]bool{
				"readOnlyHint": tool.Hints.ReadOnly.Bool(), "destructiveHint": tool.Hints.Destructive.Bool(),
				"idempotentHint": tool.Hints.Idempotent.Bool(), "openWorldHint": tool.Hints.OpenWorld.Bool(),
			},
			InputSchema: schema.Bytes(),
		}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join(dir, file)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		old, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v (run go test ./tools/catalogue -update)", err)
			continue
		}
		if string(old) != string(got) {
			t.Errorf("%s changed; review and run `go test ./tools/catalogue -update`:\n%s", tool.Name, firstDiff(string(old), string(got)))
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if want[e.Name()] {
			continue
		}
		if *update {
			os.Remove(filepath.Join(dir, e.Name()))
			continue
		}
		t.Errorf("testdata/tools/%s belongs to no tool; run go test ./tools/catalogue -update", e.Name())
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return ""
}

// generated is a part of the README between two markers that a test
// keeps equal to what the catalogue says.
type generated struct {
	start, end string
	body       func(t *testing.T) string
}

var readmeParts = []generated{{
	start: "<!-- toolsets:start (generated by `go test ./tools/catalogue -update`) -->",
	end:   "<!-- toolsets:end -->",
	body:  func(*testing.T) string { return toolsetTable() },
}, {
	start: "<!-- tools:start (generated by `go test ./tools/catalogue -update`) -->",
	end:   "<!-- tools:end -->",
	body:  func(t *testing.T) string { return tools.MarkdownTable(everyTool(t)) },
}}

// toolsetTable lists the toolsets that --toolsets accepts.
func toolsetTable() string {
	var b strings.Builder
	b.WriteString("| Toolset | Default | Tools | What its tools do |\n|---|---|---|---|\n")
	counts := map[tools.Toolset]int{}
	for _, t := range catalogue.All() {
		counts[t.Toolset]++
	}
	for _, s := range catalogue.Toolsets() {
		def := "no"
		if s.Default {
			def = "yes"
		}
		if s.ID == tools.Project {
			def = "always"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %d | %s |\n", s.ID, def, counts[s.ID], s.Description)
	}
	return b.String()
}

func TestReadmeIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, part := range readmeParts {
		start, end := strings.Index(readme, part.start), strings.Index(readme, part.end)
		if start < 0 || end < start {
			t.Fatalf("README.md lacks the markers %q … %q", part.start, part.end)
		}
		want := part.start + "\n" + part.body(t) + part.end
		current := readme[start : end+len(part.end)]
		if current == want {
			continue
		}
		if !*update {
			t.Errorf("a generated part of the README is stale; run `go test ./tools/catalogue -update`:\n%s", firstDiff(current, want))
			continue
		}
		readme = readme[:start] + want + readme[end+len(part.end):]
	}
	if *update && readme != string(data) {
		if err := os.WriteFile(path, []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// pendingOfficial are official tools that later issues bring (storage,
// functions, logs, deployments, template). The list only shrinks.
var pendingOfficial = []string{}

// TestOfficialCompatibility reads the official server's tool list
// (@insforge/mcp 1.2.11) and fails if a tool name is missing, if one of its
// parameters is missing or has another type, or if we require something it
// does not (apiKey excepted): every call valid there must be valid here.
// Making an official required parameter optional is allowed (a superset):
// create-function accepts inline code as well as codeFile.
func TestOfficialCompatibility(t *testing.T) {
	path := sharedFile(t, "compat", "insforge-mcp-1.2.11-tools.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var official struct {
		Tools []struct {
			Name        string `json:"name"`
			InputSchema struct {
				Properties map[string]struct {
					Type any      `json:"type"`
					Enum []string `json:"enum"`
				} `json:"properties"`
				Required []string `json:"required"`
			} `json:"inputSchema"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(data, &official); err != nil {
		t.Fatal(err)
	}
	ours := map[string]tools.Tool{}
	for _, tool := range everyTool(t) {
		ours[tool.Name] = tool
	}
	for _, ot := range official.Tools {
		tool, ok := ours[ot.Name]
		if !ok {
			if !slices.Contains(pendingOfficial, ot.Name) {
				t.Errorf("official tool %s is missing", ot.Name)
			}
			continue
		}
		if slices.Contains(pendingOfficial, ot.Name) {
			t.Errorf("%s exists now: remove it from pendingOfficial", ot.Name)
		}
		var schema struct {
			Properties map[string]struct {
				Type any      `json:"type"`
				Enum []string `json:"enum"`
			} `json:"properties"`
			Required []string `json:"required"`
		}
		json.Unmarshal(tool.Schema(), &schema)
		for name, op := range ot.InputSchema.Properties {
			if name == "apiKey" {
				continue
			}
			p, ok := schema.Properties[name]
			if !ok {
				t.Errorf("%s: official parameter %s is missing", ot.Name, name)
				continue
			}
			if fmt.Sprint(p.Type) != fmt.Sprint(op.Type) && !(op.Type == "number" && p.Type == "integer") {
				t.Errorf("%s.%s: type %v, official %v", ot.Name, name, p.Type, op.Type)
			}
			for _, v := range op.Enum {
				if !slices.Contains(p.Enum, v) {
					t.Errorf("%s.%s: official value %q not accepted", ot.Name, name, v)
				}
			}
		}
		for _, r := range schema.Required {
			if !slices.Contains(ot.InputSchema.Required, r) {
				t.Errorf("%s: %s is required here but optional in the official server", ot.Name, r)
			}
		}
	}
}

// sharedFile finds ../shared (beside the repository) as CI lays it out.
func sharedFile(t *testing.T, parts ...string) string {
	t.Helper()
	dir := os.Getenv("INSFORGE_SHARED_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared")
	}
	path := filepath.Join(append([]string{dir}, parts...)...)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: CI lays ../shared beside the clone", path)
		}
		t.Skipf("%s not found (set INSFORGE_SHARED_DIR)", path)
	}
	return path
}

// TestDocsNameEveryTool keeps the embedded docs honest: every tool is
// explained somewhere, and the docs name no tool that does not exist.
func TestDocsNameEveryTool(t *testing.T) {
	var all strings.Builder
	for _, d := range resources.Docs() {
		all.WriteString(d.Body)
	}
	docs := all.String()
	names := map[string]bool{}
	for _, tool := range everyTool(t) {
		names[tool.Name] = true
		if !strings.Contains(docs, "`"+tool.Name+"`") {
			t.Errorf("no doc in resources/docs mentions `%s`", tool.Name)
		}
	}
	verbs := regexp.MustCompile("`((?:list|get|create|update|delete|run|query|insert|fetch|connect|disconnect|upload|download|invoke|publish|rotate|start|sync|cancel|set|add|verify|remove|apply|dry|search|bulk)-[a-z0-9-]+)`")
	for _, m := range verbs.FindAllStringSubmatch(docs, -1) {
		if !names[m[1]] {
			t.Errorf("the docs mention `%s`, which is not a tool", m[1])
		}
	}
}
