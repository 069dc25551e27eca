package secoda

import (
	"context"
	"sync"
	"time"
)

// rateLimiter spaces requests evenly at a rate shared by every goroutine of a Client,
// so that concurrent resources stay within one budget. It is proactive: requests are
// paced before the server complains. When the server does answer 429, every request
// holds until the server's wait is over, and the pace is cut by 30 % at the 1st, 2nd,
// 4th, 8th... 429 of a run (429s met with no success in between, as concurrent workers
// meet one window together), then climbs back 5 % after every 20 successes. A long run so meets a 429 now and then
// rather than one per window, at about 85 % of the server's budget.
type rateLimiter struct {
	mu        sync.Mutex
	ceiling   float64 // requests per second, as configured
	rate      float64 // requests per second, now
	next      time.Time
	holdUntil time.Time
	run429    int // 429s met since the last success
	okStreak  int
	now       func() time.Time
}

const (
	rateCutFactor   = 0.7  // once per run of 429s
	rateRaiseFactor = 1.05 // after rateRaiseEvery successes in a row
	rateRaiseEvery  = 20
	rateFloorShare  = 1.0 / 32 // the pace never drops below this share of the ceiling
)

// newRateLimiter paces at perMinute; perMinute <= 0 does not pace, but still holds
// every request after a 429 until the server's wait is over.
func newRateLimiter(perMinute float64, now func() time.Time) *rateLimiter {
	if perMinute <= 0 {
		return &rateLimiter{now: now}
	}
	return &rateLimiter{ceiling: perMinute / 60, rate: perMinute / 60, now: now}
}

// wait blocks until this request's slot, or until ctx ends.
func (l *rateLimiter) wait(ctx context.Context) error {
	return sleepCtx(ctx, l.reserve())
}

// reserve takes the next free slot and says how long until it comes.
func (l *rateLimiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	at := now
	if l.next.After(at) {
		at = l.next
	}
	if l.holdUntil.After(at) {
		at = l.holdUntil
	}
	if l.rate > 0 {
		l.next = at.Add(time.Duration(float64(time.Second) / l.rate))
	}
	return at.Sub(now)
}

// throttled records a 429 and returns how many 429s in a row have been met, which
// the caller uses to lengthen the wait when the server does not say how long.
func (l *rateLimiter) throttled() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.okStreak = 0
	l.run429++
	// Cut at the 1st, 2nd, 4th, 8th... 429 of a run: one cut for the workers that met
	// the same window together, more when a long run shows the pace far over budget.
	if l.run429&(l.run429-1) == 0 && l.rate > 0 {
		l.rate *= rateCutFactor
		if floor := l.ceiling * rateFloorShare; l.rate < floor {
			l.rate = floor
		}
	}
	return l.run429
}

// hold stops every request until wait has passed.
func (l *rateLimiter) hold(wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := l.now().Add(wait); until.After(l.holdUntil) {
		l.holdUntil = until
	}
}

// succeeded records an answer that was not a 429.
func (l *rateLimiter) succeeded() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.run429 = 0
	if l.rate >= l.ceiling {
		return
	}
	l.okStreak++
	if l.okStreak >= rateRaiseEvery {
		l.okStreak = 0
		l.rate *= rateRaiseFactor
		if l.rate > l.ceiling {
			l.rate = l.ceiling
		}
	}
}

// perMinute is the current pace, for stats and tests; 0 when not pacing.
func (l *rateLimiter) perMinute() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate * 60
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
