package mcpserver

import (
	"testing"
	"time"
)

func TestKeyRatesCountPerKeyAndWindow(t *testing.T) {
	t.Parallel()
	var k keyRates
	now := time.Now()
	for i := int64(1); i <= 3; i++ {
		if n, _ := k.tally("ik_a", now); n != i {
			t.Fatalf("call %d counted %d", i, n)
		}
	}
	if n, _ := k.tally("ik_b", now); n != 1 {
		t.Fatalf("another key shares the count: %d", n)
	}
	if n, left := k.tally("ik_a", now.Add(rateWindow)); n != 1 || left != rateWindow {
		t.Fatalf("a new window: %d, %s left", n, left)
	}
}
