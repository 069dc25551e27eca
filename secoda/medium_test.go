package secoda_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// readEveryListEndpoint reads all list endpoints with four workers sharing one client,
// as the pipeline does, and returns for each the ids read and the count the server gave.
func readEveryListEndpoint(t *testing.T, c *secoda.Client) (map[string][]string, map[string]int, error) {
	t.Helper()
	var (
		mu     sync.Mutex
		ids    = map[string][]string{}
		counts = map[string]int{}
		first  error
		wg     sync.WaitGroup
		work   = make(chan secoda.Endpoint)
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range work {
				got, page, err := readAll(context.Background(), c, e, nil)
				mu.Lock()
				ids[e.Name] = got
				if page != nil {
					counts[e.Name] = page.Count
				}
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, e := range secoda.Endpoints {
		if e.Parent == "" {
			work <- e
		}
	}
	close(work)
	wg.Wait()
	return ids, counts, first
}

// TestMediumWorkspaceUnderRateLimitAndServerErrors is the bar: every list
// endpoint of a medium workspace read to the end under an enforced rate limit and 5 %
// injected 5xx answers, every record exactly once, and fewer than 5 % of the requests
// answered 429. The simulator's minute is shortened to one second to keep the test fast;
// the client's pace is set to the same budget.
func TestMediumWorkspaceUnderRateLimitAndServerErrors(t *testing.T) {
	const perWindow = 500 // requests per (shortened) minute of one second
	for _, mode := range []simulator.RetryAfterMode{simulator.RetryAfterSeconds, simulator.RetryAfterZero} {
		t.Run("retry-after "+string(mode), func(t *testing.T) {
			f := newSim(t, simulator.Options{Size: simulator.Medium, Seed: 42, RateLimit: perWindow, Minute: time.Second,
				RetryAfter: mode, Faults: simulator.Faults{ServerErrorRate: 0.05}})
			c := f.client(t, func(cfg *secoda.Config) {
				cfg.RequestsPerMinute = perWindow * 60 // the client's minute is a real one
				cfg.BaseBackoff = 5 * time.Millisecond
			})
			ids, counts, err := readEveryListEndpoint(t, c)
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for name, got := range ids {
				seen := make(map[string]bool, len(got))
				for _, id := range got {
					if seen[id] {
						t.Fatalf("%s: id %s read twice", name, id)
					}
					seen[id] = true
				}
				e, _ := secoda.LookupEndpoint(name)
				if e.Paginated && len(got) != counts[name] {
					t.Fatalf("%s: read %d records, the server counts %d", name, len(got), counts[name])
				}
				total += len(got)
			}
			columns := 0
			f.sim.Walk("column", func(map[string]any) bool { columns++; return true })
			if counts["resource_catalog"] != simulator.DefaultCatalogCap || len(ids["column"]) != columns || columns < 50_000 {
				t.Fatalf("catalog %d (want the cap, %d), columns %d (the workspace holds %d, over 50,000)",
					counts["resource_catalog"], simulator.DefaultCatalogCap, len(ids["column"]), columns)
			}
			st, sst := c.Stats(), f.sim.Stats()
			if sst.ServerErrors == 0 || st.ServerErrors != sst.ServerErrors {
				t.Fatalf("5xx: client met %d, server injected %d", st.ServerErrors, sst.ServerErrors)
			}
			share := float64(st.RateLimited) / float64(st.Requests)
			t.Logf("%d records, %d requests, %d retries, %d answered 429 (%.2f%%), %d answered 5xx",
				total, st.Requests, st.Retries, st.RateLimited, 100*share, st.ServerErrors)
			if share >= 0.05 {
				t.Fatalf("%.1f%% of requests answered 429, want under 5%%", 100*share)
			}
		})
	}
}

// TestPaceAdaptsWhenConfiguredTooFast: a client told to go three times faster than the
// server allows cuts its pace at the first 429s, still reads everything, and meets far
// fewer 429s than requests. The budget is low (50 requests a second) so that even a
// slow run (-race, a busy machine) exceeds it.
func TestPaceAdaptsWhenConfiguredTooFast(t *testing.T) {
	const perWindow = 50
	for _, tc := range []struct {
		mode     simulator.RetryAfterMode
		maxShare float64
	}{
		// With Retry-After the client knows when the window ends: about one 429 a
		// window while it learns.
		{simulator.RetryAfterSeconds, 0.05},
		// Without it, each run probes for the window's end with growing waits.
		{simulator.RetryAfterZero, 0.15},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			t.Parallel() // both mostly wait on the rate limit
			f := newSim(t, simulator.Options{Size: simulator.Medium, Seed: 42, RateLimit: perWindow, Minute: time.Second,
				RetryAfter: tc.mode})
			c := f.client(t, func(cfg *secoda.Config) {
				cfg.RequestsPerMinute = 3 * perWindow * 60
				cfg.BaseBackoff = 5 * time.Millisecond
				cfg.MaxAttempts = 30
			})
			ids, first, err := readAll(context.Background(), c, endpoint(t, "resource_catalog"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != first.Count {
				t.Fatalf("read %d of %d", len(ids), first.Count)
			}
			st := c.Stats()
			share := float64(st.RateLimited) / float64(st.Requests)
			t.Logf("%d requests, %d answered 429 (%.1f%%), pace now %.0f/min", st.Requests, st.RateLimited, 100*share, st.PerMinute)
			if st.RateLimited == 0 {
				t.Fatal("a client three times too fast met no 429: the server's limit is not enforced")
			}
			if st.PerMinute >= 3*perWindow*60 {
				t.Fatalf("the pace is still the configured %.0f/min after %d 429s", st.PerMinute, st.RateLimited)
			}
			if share >= tc.maxShare {
				t.Fatalf("%.1f%% of requests answered 429, want under %.0f%%", 100*share, 100*tc.maxShare)
			}
		})
	}
}
