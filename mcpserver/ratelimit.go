package mcpserver

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"
)

// rateWindow is the span over which MaxCallsPerKey counts.
const rateWindow = time.Minute

// keyRates counts each API key's tool calls in fixed one-minute windows,
// in this process (without a session store). Keys are known by a hash.
type keyRates struct {
	mu      sync.Mutex
	windows map[[32]byte]*rateCount
}

type rateCount struct {
	start time.Time
	n     int64
}

// tally counts one call of key and returns the count in its window and
// the time left in it.
func (k *keyRates) tally(key string, now time.Time) (int64, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.windows == nil {
		k.windows = map[[32]byte]*rateCount{}
	}
	if len(k.windows) > 4096 { // forget windows that are over
		for h, w := range k.windows {
			if now.Sub(w.start) >= rateWindow {
				delete(k.windows, h)
			}
		}
	}
	h := sha256.Sum256([]byte(key))
	w, ok := k.windows[h]
	if !ok || now.Sub(w.start) >= rateWindow {
		w = &rateCount{start: now}
		k.windows[h] = w
	}
	w.n++
	return w.n, rateWindow - now.Sub(w.start)
}

// allowKey counts a call made with key against MaxCallsPerKey, across
// every replica when there is a session store, and returns why it is
// refused, or "".
func (s *Server) allowKey(ctx context.Context, key string) string {
	limit := s.cfg.MaxCallsPerKey
	if limit <= 0 || key == "" {
		return ""
	}
	var n int64
	var left time.Duration
	if s.shared != nil {
		var err error
		if n, left, err = s.shared.store.Tally(ctx, key, rateWindow); err != nil {
			s.log.Warn("session store unavailable", "error", err)
			return "The " + storeUnavailable + "; nothing was done."
		}
	} else {
		n, left = s.rates.tally(key, time.Now())
	}
	if n > int64(limit) {
		return fmt.Sprintf("This project key has made %d tool calls this minute, the most this server allows (--max-calls-per-key); nothing was done. Retry in %ds.", limit, int(left.Seconds())+1)
	}
	return ""
}
