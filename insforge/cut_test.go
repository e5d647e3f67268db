package insforge

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCutJSON(t *testing.T) {
	cases := []struct {
		doc    string
		budget int64
		want   string // "" when the document is not cuttable
		field  string
		kept   int
	}{
		{`[1,2,3]`, 100, `[1,2,3]`, "", -2},
		{`[1, 2, 3, 4]`, 6, `[1, 2]`, "", 2},
		{`[{"a":"],\"["},{"b":2}]`, 16, `[{"a":"],\"["}]`, "", 1},
		{`{"total":9,"rows":[{"x":"}"},{"x":2},{"x":3}]}`, 32, `{"total":9,"rows":[{"x":"}"}]}`, "rows", 1},
		{`{"data":[[1,2],[3,4]],"next":"x"}`, 17, `{"data":[[1,2]]}`, "data", 1},
		{`{"rows":[1,2],"big":"xxxxxxxxxxxxxxxxxxxx"}`, 20, `{"rows":[1,2]}`, "rows", 2},
		{`[` + strings.Repeat(`"long item",`, 3) + `0]`, 5, `[]`, "", 0},
		{`{"a":{"rows":[1,2,3,4,5,6]}}`, 10, "", "", 0},
		{`"` + strings.Repeat("x", 50) + `"`, 10, "", "", 0},
		{`{"k\"ey":[1,2,3,4,5,6,7,8]}`, 14, `{"k\"ey":[1,2]}`, `k"ey`, 2},
	}
	for _, c := range cases {
		got, cut, err := cutJSON(strings.NewReader(c.doc), c.budget)
		if c.want == "" {
			if !errors.Is(err, errNotCuttable) {
				t.Errorf("%s: got %q, %v; want errNotCuttable", c.doc, got, err)
			}
			continue
		}
		if err != nil || string(got) != c.want {
			t.Errorf("%s (budget %d): got %q, %v; want %q", c.doc, c.budget, got, err, c.want)
			continue
		}
		if !json.Valid(got) {
			t.Errorf("%s: cut to invalid JSON %q", c.doc, got)
		}
		if c.kept == -2 {
			if cut != nil {
				t.Errorf("%s: fitted but reported a cut %+v", c.doc, cut)
			}
			continue
		}
		if cut == nil || cut.Field != c.field || cut.Kept != c.kept {
			t.Errorf("%s: cut %+v; want field %q kept %d", c.doc, cut, c.field, c.kept)
		}
	}
}

// FuzzCutJSON: whatever the document and budget, a cut is valid JSON no
// larger than the budget plus its closing brackets, and a document that
// fits comes back as it was.
func FuzzCutJSON(f *testing.F) {
	f.Add(`{"rows":[{"a":"x\"]"},2,[3]],"n":1}`, 12)
	f.Add(`[1,[2,{"b":[]}],"\\"]`, 7)
	f.Fuzz(func(t *testing.T, doc string, budget int) {
		if budget <= 0 || !json.Valid([]byte(doc)) {
			return
		}
		got, cut, err := cutJSON(strings.NewReader(doc), int64(budget))
		switch {
		case errors.Is(err, errNotCuttable):
		case err != nil:
			t.Fatalf("%q: %v", doc, err)
		case cut == nil && string(got) != doc:
			t.Fatalf("%q fitted in %d but came back as %q", doc, budget, got)
		case cut != nil && (!json.Valid(got) || len(got) > budget+2):
			t.Fatalf("%q cut to %q (budget %d)", doc, got, budget)
		}
	})
}
