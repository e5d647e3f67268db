package tools

import "testing"

func TestCheckPage(t *testing.T) {
	for _, c := range []struct {
		limit, offset int
		hint          string
		want          string // error text, or "" for limit 50
	}{
		{0, 0, "; page with offset", ""},
		{50, 3, "; page with offset", ""},
		{101, 0, "; page with offset", "limit must be between 1 and 100 (got 101); page with offset"},
		{-1, 0, "; use offset to page.", "limit must be between 1 and 100 (got -1); use offset to page."},
		{0, -2, "; page with offset", "offset must be 0 or more (got -2)"},
		{0, -2, "; use offset to page.", "offset must be 0 or more (got -2)."},
	} {
		limit, err := CheckPage(c.limit, 50, 100, c.offset, c.hint)
		switch {
		case c.want == "" && (err != nil || limit != 50):
			t.Errorf("checkPage(%d, %d) = %d, %v; want 50, nil", c.limit, c.offset, limit, err)
		case c.want != "":
			if _, ok := err.(*UserError); !ok || err.Error() != c.want {
				t.Errorf("checkPage(%d, %d) error = %v, want %q", c.limit, c.offset, err, c.want)
			}
		}
	}
}
