package insforge

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// hugeRows serves {"rows":[…]} of size bytes from one reused chunk, so
// the handler itself allocates next to nothing.
func hugeRows(size int) *httptest.Server {
	chunk := []byte(strings.Repeat(`{"id":1,"email":"someone@example.com","note":"a row of about 80 bytes"},`, 1000))
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		n, _ := w.Write([]byte(`{"rows":[`))
		for n+len(chunk)+4 <= size {
			m, err := w.Write(chunk)
			if err != nil {
				return
			}
			n += m
		}
		w.Write([]byte(strings.Repeat(" ", size-n-4) + "{}]}"))
	}))
}

// BenchmarkBudgetedCallOf30MB: one call, through a client with the
// budget a 100,000-byte result gets, of an answer of 30 MB.
func BenchmarkBudgetedCallOf30MB(b *testing.B) {
	ts := hugeRows(30_000_000)
	defer ts.Close()
	c := NewTransport(Options{}).Client(ts.URL, "ik_benchmark-key").Budgeted(2*100000 + 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := Call[map[string]any](b.Context(), c, Request{Path: "/rows"})
		if err != nil || len(out["rows"].([]any)) == 0 {
			b.Fatalf("%v %v", err, out)
		}
	}
}

// A budgeted call of a 30 MB answer allocates about its budget's worth
// (the kept bytes and their decoded rows), not the answer's size: the
// bound is checked on the benchmark's bytes per call, not on time.
func TestBudgetedCallOf30MBAllocatesAboutItsBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 30 MB per call")
	}
	r := testing.Benchmark(BenchmarkBudgetedCallOf30MB)
	t.Logf("%d calls, %d bytes and %d allocations per call", r.N, r.AllocedBytesPerOp(), r.AllocsPerOp())
	if r.N == 0 {
		t.Fatal("the benchmark failed")
	}
	if got := r.AllocedBytesPerOp(); got > 8<<20 {
		t.Errorf("a budgeted call of a 30 MB answer allocated %d bytes; about 264 kB are kept, so a few MB at most are expected", got)
	}
}
