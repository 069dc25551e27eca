package secoda

import (
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestRateLimiterSpacesRequestsEvenly(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newRateLimiter(600, clk.now) // one every 100 ms
	for i := range 5 {
		if got, want := l.reserve(), time.Duration(i)*100*time.Millisecond; got != want {
			t.Fatalf("request %d waits %v, want %v", i, got, want)
		}
	}
	// Idle time is not banked: after a long pause there is no burst.
	clk.advance(10 * time.Second)
	if got := l.reserve(); got != 0 {
		t.Fatalf("after a pause the first request waits %v, want 0", got)
	}
	if got := l.reserve(); got != 100*time.Millisecond {
		t.Fatalf("after a pause the second request waits %v, want 100ms", got)
	}
}

func TestRateLimiterHoldsEveryoneAfter429AndSlowsDown(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newRateLimiter(600, clk.now)
	l.reserve()
	if run := l.throttled(); run != 1 {
		t.Fatalf("first 429: run %d", run)
	}
	l.hold(3 * time.Second)
	if got := l.perMinute(); got != 600*rateCutFactor {
		t.Fatalf("pace after a 429 = %v/min, want %v", got, 600*rateCutFactor)
	}
	// A run of 429s with no success between cuts at its 1st, 2nd, 4th and 8th: the
	// workers that met one window together cut little, a long run (far over budget)
	// cuts more; the run's length lengthens the waits.
	for want := 2; want <= 8; want++ {
		if run := l.throttled(); run != want {
			t.Fatalf("429 number %d in a row: run %d", want, run)
		}
	}
	if got, want := l.perMinute(), 600*rateCutFactor*rateCutFactor*rateCutFactor*rateCutFactor; got < want-1e-9 || got > want+1e-9 {
		t.Fatalf("pace after a run of eight 429s = %v/min, want four cuts to %v", got, want)
	}
	if got := l.reserve(); got < 3*time.Second {
		t.Fatalf("a request right after a 429 with Retry-After 3s waits %v", got)
	}
	// A success ends the run; the next 429 cuts again.
	l.succeeded()
	if run := l.throttled(); run != 1 {
		t.Fatalf("429 after a success: run %d, want a new run", run)
	}
	if got, want := l.perMinute(), 600*rateCutFactor*rateCutFactor*rateCutFactor*rateCutFactor*rateCutFactor; got < want-1e-9 || got > want+1e-9 {
		t.Fatalf("pace after a second run = %v/min, want one more cut, %v", got, want)
	}
	// A run of successes climbs back, never past the ceiling.
	for range 100 * rateRaiseEvery {
		l.succeeded()
	}
	if got := l.perMinute(); got != 600 {
		t.Fatalf("pace after many successes = %v/min, want the ceiling 600", got)
	}
}

func TestRateLimiterPaceHasAFloor(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newRateLimiter(600, clk.now)
	for range 100 {
		l.throttled()
		l.succeeded()
	}
	if got, floor := l.perMinute(), 600*rateFloorShare; got < floor-1e-9 {
		t.Fatalf("pace fell to %v/min, below the floor %v", got, floor)
	}
}

func TestUnpacedLimiterStillHoldsAfter429(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newRateLimiter(-1, clk.now)
	for range 3 {
		if got := l.reserve(); got != 0 {
			t.Fatalf("an unpaced limiter made a request wait %v", got)
		}
	}
	l.throttled()
	l.hold(2 * time.Second)
	if got := l.reserve(); got != 2*time.Second {
		t.Fatalf("after a 429 an unpaced limiter waits %v, want 2s", got)
	}
	clk.advance(2 * time.Second)
	if got := l.reserve(); got != 0 {
		t.Fatalf("after the hold an unpaced limiter waits %v, want 0", got)
	}
}
