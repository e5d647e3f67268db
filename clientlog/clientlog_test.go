package clientlog_test

import (
	"context"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/clientlog"
)

type recorder struct {
	min  clientlog.Level
	got  []string
	asks int
}

func (r *recorder) Enabled(l clientlog.Level) bool { r.asks++; return l >= r.min }
func (r *recorder) Log(l clientlog.Level, msg string) {
	r.got = append(r.got, l.String()+": "+msg)
}

func TestLogfHonoursTheLevel(t *testing.T) {
	clientlog.Logf(context.Background(), clientlog.Error, "no sink: %d", 1) // must not panic
	r := &recorder{min: clientlog.Notice}
	ctx := clientlog.With(context.Background(), r)
	clientlog.Logf(ctx, clientlog.Info, "dropped %s", "info")
	clientlog.Logf(ctx, clientlog.Notice, "kept %s", "notice")
	clientlog.Logf(ctx, clientlog.Error, "kept %s", "error")
	want := []string{"notice: kept notice", "error: kept error"}
	if len(r.got) != 2 || r.got[0] != want[0] || r.got[1] != want[1] || r.asks != 3 {
		t.Errorf("got %q after %d checks, want %q after 3", r.got, r.asks, want)
	}
	for l, name := range []string{"debug", "info", "notice", "warning", "error"} {
		if got := clientlog.Level(l).String(); got != name {
			t.Errorf("Level(%d) = %s, want %s", l, got, name)
		}
	}
}
