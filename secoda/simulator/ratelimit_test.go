package simulator

import (
	"cmp"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	const limit, minute = 3, 10 * time.Second
	// Whole seconds, so that an HTTP date (second precision) is exact.
	begin := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		mode   RetryAfterMode
		header func(t *testing.T, h http.Header) // checks Retry-After on the 429
	}{
		{RetryAfterSeconds, wantHeader("7")},
		{"", wantHeader("7")}, // seconds by default
		{RetryAfterDate, func(t *testing.T, h http.Header) {
			at, err := http.ParseTime(h.Get("Retry-After"))
			if err != nil || !at.Equal(begin.Add(minute)) {
				t.Errorf("Retry-After %q (%v), want the HTTP date %v", h.Get("Retry-After"), err, begin.Add(minute))
			}
		}},
		{RetryAfterZero, wantHeader("0")},
		{RetryAfterNone, func(t *testing.T, h http.Header) {
			if v, ok := h["Retry-After"]; ok {
				t.Errorf("Retry-After %q, want none", v)
			}
		}},
	}
	for _, c := range cases {
		t.Run(cmp.Or(string(c.mode), "default"), func(t *testing.T) {
			clock := newClock(begin)
			other := newKey(t)
			h := start(t, Options{Seed: 1, RateLimit: limit, Minute: minute, RetryAfter: c.mode, Now: clock.Now,
				APIKeys: []string{newKey(t), other}})
			for i := range limit {
				if r := h.get(t, "/api/v1/tag/"); r.status != http.StatusOK {
					t.Fatalf("request %d of %d: %d", i+1, limit, r.status)
				}
			}
			clock.Advance(3 * time.Second)
			r := h.get(t, "/api/v1/tag/")
			if r.status != http.StatusTooManyRequests {
				t.Fatalf("request %d: %d, want 429", limit+1, r.status)
			}
			if d := detail(t, r); !strings.Contains(d, "throttled") {
				t.Errorf("detail %q", d)
			}
			c.header(t, r.header)

			// Refused requests do not push the window out, the healthcheck is never
			// limited, and each key has its own window.
			if r := h.get(t, "/api/v1/tag/"); r.status != http.StatusTooManyRequests {
				t.Errorf("a second refused request: %d", r.status)
			}
			if r := h.requestWithKey(t, http.MethodGet, "/api/v1/healthcheck", "", nil); r.status != http.StatusOK {
				t.Errorf("healthcheck under the limit: %d", r.status)
			}
			if r := h.requestWithKey(t, http.MethodGet, "/api/v1/tag/", other, nil); r.status != http.StatusOK {
				t.Errorf("the other key: %d", r.status)
			}

			clock.Advance(minute - 3*time.Second)
			for i := range limit {
				if r := h.get(t, "/api/v1/tag/"); r.status != http.StatusOK {
					t.Fatalf("request %d in the next window: %d", i+1, r.status)
				}
			}
			if got := h.sim.Stats().RateLimited; got != 2 {
				t.Errorf("Stats().RateLimited = %d, want 2", got)
			}
		})
	}
}

func wantHeader(v string) func(t *testing.T, h http.Header) {
	return func(t *testing.T, h http.Header) {
		if got := h.Values("Retry-After"); len(got) != 1 || got[0] != v {
			t.Errorf("Retry-After %q, want %q", got, v)
		}
	}
}

func TestSetRateLimit(t *testing.T) {
	clock := newClock(fakeNow)
	h := start(t, Options{Seed: 1, Now: clock.Now})
	for range 5 {
		if r := h.get(t, "/api/v1/tag/"); r.status != http.StatusOK {
			t.Fatalf("no limit set: %d", r.status)
		}
	}
	h.sim.SetRateLimit(1, RetryAfterZero)
	if r := h.get(t, "/api/v1/tag/"); r.status != http.StatusOK {
		t.Fatalf("first request under the new limit: %d", r.status)
	}
	r := h.get(t, "/api/v1/tag/")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "0" {
		t.Errorf("second request under a limit of 1: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	h.sim.SetRateLimit(0, "")
	if r := h.get(t, "/api/v1/tag/"); r.status != http.StatusOK {
		t.Errorf("after lifting the limit: %d", r.status)
	}
}
