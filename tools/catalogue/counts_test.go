package catalogue_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// countMark is a figure in the README's prose, kept by this test:
// <!-- n:NAME -->VALUE<!-- /n -->. No tool count is typed by hand.
var countMark = regexp.MustCompile(`<!-- n:([a-z-]+) -->([^<]*)<!-- /n -->`)

// readmeCounts are the figures the prose may name.
func readmeCounts(t *testing.T) map[string]string {
	t.Helper()
	surface := func(sel tools.Selection) *tools.Surface {
		s, err := catalogue.Select(sel)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	def := surface(tools.Selection{})
	all := surface(tools.Selection{Toolsets: []string{"all"}})
	full := catalogue.Full()
	n := strconv.Itoa
	return map[string]string{
		"official":       n(len(catalogue.Default())),
		"default-listed": n(len(def.Listed)),
		"default-served": n(len(def.Served)),
		"all-listed":     n(len(all.Listed)),
		"all-next":       ordinal(len(all.Listed) + 1),
		"full-listed":    n(len(full.Listed)),
	}
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

func TestReadmeCountsAreCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	counts := readmeCounts(t)
	marks := 0
	out := countMark.ReplaceAllStringFunc(string(data), func(m string) string {
		marks++
		sub := countMark.FindStringSubmatch(m)
		want, ok := counts[sub[1]]
		if !ok {
			t.Errorf("README.md names an unknown figure %q", sub[1])
			return m
		}
		if sub[2] != want && !*update {
			t.Errorf("README.md says %s is %s, the catalogue %s; run `go test ./tools/catalogue -update`", sub[1], sub[2], want)
		}
		return "<!-- n:" + sub[1] + " -->" + want + "<!-- /n -->"
	})
	if marks == 0 {
		t.Fatal("README.md has no generated figures")
	}
	if *update && out != string(data) {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
