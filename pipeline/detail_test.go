package pipeline_test

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// peakGoroutines samples how many goroutines run until stop is closed.
func peakGoroutines(stop <-chan struct{}) *atomic.Int64 {
	var peak atomic.Int64
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if n := int64(runtime.NumGoroutine()); n > peak.Load() {
				peak.Store(n)
			}
			time.Sleep(200 * time.Microsecond)
		}
	}()
	return &peak
}

// TestDetailWorkersAreNoMoreThanTheRequests: resource_detail starts a worker for each
// request that can run, not for each one allowed. A plan made in code past the
// config's bound (which once took 100,000,000 and grew to 13.7 GB) still starts no
// more than a page's requests.
func TestDetailWorkersAreNoMoreThanTheRequests(t *testing.T) {
	p := newProject(t, simulator.Options{Seed: 12, Faults: simulator.Faults{Latency: 2 * time.Millisecond}}, "[resources.resource_detail]\n")
	p.plan.DetailConcurrency = 20_000
	base := runtime.NumGoroutine()
	stop := make(chan struct{})
	peak := peakGoroutines(stop)
	p.run(t, pipeline.RunOptions{})
	close(stop)
	if got := p.count(t, "resource_detail"); got != int64(p.sim.Workspace().CatalogSize()) {
		t.Fatalf("resource_detail has %d rows, the catalog %d", got, p.sim.Workspace().CatalogSize())
	}
	// A page is 50 ids: 50 workers, their connections on both sides, and the run's own.
	if extra := peak.Load() - int64(base); extra > 1000 {
		t.Fatalf("%d goroutines more than before the run, at the peak: workers are started for requests that cannot run", extra)
	}
}

// TestACancelledDetailRunStopsPromptly: cancelling a run that fetches details at the
// highest detail_concurrency returns within a bound, cancelled.
func TestACancelledDetailRunStopsPromptly(t *testing.T) {
	p := newProject(t, simulator.Options{Seed: 12, Size: simulator.Medium, Faults: simulator.Faults{Latency: 5 * time.Millisecond}},
		"[resources.resource_detail]\n")
	p.plan.DetailConcurrency = 64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := pipeline.Run(ctx, p.plan, pipeline.RunOptions{APIKey: p.key, Progress: func(pr pipeline.Progress) {
			if pr.Records > 100 {
				cancel()
			}
		}})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not stop within 30 s of being cancelled")
	}
	if p.loaded(t) {
		t.Fatal("a cancelled first run created the dataset")
	}
}
