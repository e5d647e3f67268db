package insforge

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// A whole read takes room in the buffered bytes as its answer arrives: an
// answer that announces 30 MB and then stalls holds a step of room (1 MiB),
// not 30 MB, so another call's answer is still read; and an answer larger
// than the whole room is an error, not a wait that never ends.
func TestWholeReadsTakeRoomAsBytesArrive(t *testing.T) {
	stall := make(chan struct{})
	small := `"` + strings.Repeat("x", 1<<20) + `"`
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stall":
			w.Header().Set("Content-Length", "30000000")
			w.Write([]byte(`"abc`))
			w.(http.Flusher).Flush()
			<-stall
		case "/small":
			w.Header().Set("Content-Length", strconv.Itoa(len(small)))
			w.Write([]byte(small))
		case "/huge":
			w.Write([]byte(`"` + strings.Repeat("y", 3<<20) + `"`)) // chunked
		}
	}))
	defer ts.Close()
	defer close(stall) // first, so that Close does not wait for the stalled handler
	c := NewTransport(Options{MaxBufferedBytes: 3 << 20, MaxRetries: -1}).Client(ts.URL, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stalled := make(chan error, 1)
	go func() {
		_, _, err := Call[string](ctx, c, Request{Path: "/stall", Whole: true, Timeout: 10 * time.Second})
		stalled <- err
	}()
	time.Sleep(100 * time.Millisecond) // the stalled call holds what it took
	if got, _, err := Call[string](ctx, c, Request{Path: "/small"}); err != nil || len(got) != 1<<20 {
		t.Fatalf("a 1 MiB answer next to a stalled one: %d bytes, %v", len(got), err)
	}
	alone := NewTransport(Options{MaxBufferedBytes: 2 << 20, MaxRetries: -1}).Client(ts.URL, "")
	if _, _, err := Call[string](ctx, alone, Request{Path: "/huge"}); err == nil || !strings.Contains(err.Error(), "--max-buffered-bytes") {
		t.Fatalf("an answer over the whole room: %v", err)
	}
	select {
	case err := <-stalled:
		t.Fatalf("the stalled call ended early: %v", err)
	default:
	}
}

// Backend requests in flight are bounded across the transport: with 2,
// four concurrent calls reach the backend at most two at a time, and all
// succeed (they wait rather than fail).
func TestRequestsInFlightAreBounded(t *testing.T) {
	var mu sync.Mutex
	now, peak := 0, 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		now++
		peak = max(peak, now)
		mu.Unlock()
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		now--
		mu.Unlock()
		w.Write([]byte(`{}`))
	}))
	defer ts.Close()
	c := NewTransport(Options{MaxConcurrentRequests: 2}).Client(ts.URL, "")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			_, _, err := Call[map[string]any](context.Background(), c, Request{Path: "/x"})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if peak > 2 {
		t.Errorf("%d requests reached the backend at once; the bound is 2", peak)
	}
}
