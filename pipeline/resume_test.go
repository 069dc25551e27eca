package pipeline_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// dataCounts is every data table's row count (system tables left out), and the ids of
// resource_catalog.
func dataCounts(t *testing.T, p *project) (map[string]int64, map[string]bool) {
	t.Helper()
	counts, err := p.dest().TableRows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for name := range counts {
		if dest.IsSystemTable(name) {
			delete(counts, name)
		}
	}
	return counts, loadedIDs(t, p, "resource_catalog")
}

func sameCounts(t *testing.T, got, want map[string]int64) {
	t.Helper()
	for name, n := range want {
		if got[name] != n {
			t.Errorf("%s: %d rows, a clean run loads %d", name, got[name], n)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: a table a clean run does not make", name)
		}
	}
}

// pacedResources are the default resources with the client paced: a rate-limited run.
const pacedSource = "rate_limit = 6000\n"

// TestKill9MidwayResumes kills, on every destination, a rate-limited extraction of the
// medium workspace halfway through with SIGKILL; the rerun goes on from the last page
// spooled: the two runs together make at most 1.02x the requests of a clean run, and
// load the data a clean run loads, once.
func TestKill9MidwayResumes(t *testing.T) {
	clean := newProject(t, simulator.Options{Size: simulator.Medium, Seed: 40}, "")
	clean.run(t, pipeline.RunOptions{})
	cleanRequests := clean.sim.Stats().Requests
	wantCounts, wantIDs := dataCounts(t, clean)
	// The extraction it resumes is the same for every destination, and a bucket loads a
	// resumed package as any other (TestKill9LosesNothing kills a bucket's load): the
	// local destinations only.
	eachLocalDestination(t, func(t *testing.T, on target) {
		p := newProjectOn(t, on, simulator.Options{Size: simulator.Medium, Seed: 40}, "")
		p.writeConfig(t, strings.Replace(readFile(t, p.plan.File), "rate_limit = 0\n", pacedSource, 1))
		killRunAt(t, p, on, "resume", "halfway", func() bool {
			u, err := pipeline.Unfinished(p.plan)
			return err == nil && u != nil && u.Requests >= cleanRequests/2
		})
		if p.loaded(t) {
			t.Fatal("the killed run loaded something")
		}
		u, err := pipeline.Unfinished(p.plan)
		if err != nil || u == nil || u.Running || !strings.Contains(u.Next, "goes on from the last page") {
			t.Fatalf("the interrupted run, as status shows it: %+v, %v", u, err)
		}
		killedAt := p.sim.Stats().Requests
		info := p.run(t, pipeline.RunOptions{})
		total := p.sim.Stats().Requests
		if !info.Resumed || !info.Loaded {
			t.Fatalf("the rerun: resumed %v, loaded %v", info.Resumed, info.Loaded)
		}
		t.Logf("killed after %d requests, %d in all; a clean run makes %d (%.3fx)", killedAt, total, cleanRequests, float64(total)/float64(cleanRequests))
		if float64(total) > 1.02*float64(cleanRequests) {
			t.Fatalf("the killed and the resumed run made %d requests, a clean run %d", total, cleanRequests)
		}
		gotCounts, gotIDs := dataCounts(t, p)
		sameCounts(t, gotCounts, wantCounts)
		sameIDs(t, "resource_catalog", gotIDs, wantIDs)
		if n := p.count(t, "_dlt_loads"); n != 1 {
			t.Fatalf("%d loads, want 1", n)
		}
		if u, _ := pipeline.Unfinished(p.plan); u != nil {
			t.Fatalf("after the load, an unfinished run: %+v", u)
		}
	})
}

// TestAKeyRotatedMidRunResumes: the key rejected halfway (rotated in Secoda) fails the
// run with the next step, keeps what it read, and the run with the new key goes on from
// there.
func TestAKeyRotatedMidRunResumes(t *testing.T) {
	p := newProject(t, simulator.Options{Size: simulator.Medium, Seed: 41}, "")
	oldKey, newKey := p.key, newKey(t)
	var pages atomic.Int64
	_, err := p.tryRun(pipeline.RunOptions{Progress: func(pr pipeline.Progress) {
		if pr.Retry == nil && pages.Add(1) == 300 {
			_ = p.sim.SetAPIKeys(newKey) // the old key is revoked
		}
	}})
	if !errors.Is(err, secoda.ErrKeyRejected) || !strings.Contains(err.Error(), "secrets set") || !strings.Contains(err.Error(), "run again to go on") {
		t.Fatalf("want the key rejected with the next steps, got %v", err)
	}
	if strings.Contains(err.Error(), oldKey) {
		t.Fatal("the error holds the key")
	}
	first := p.sim.Stats().Requests
	u, err := pipeline.Unfinished(p.plan)
	if err != nil || u == nil {
		t.Fatalf("no unfinished run after the failure: %v", err)
	}
	p.key = newKey
	info := p.run(t, pipeline.RunOptions{})
	if !info.Resumed {
		t.Fatal("the run with the new key started over")
	}
	clean := newProject(t, simulator.Options{Size: simulator.Medium, Seed: 41}, "")
	clean.run(t, pipeline.RunOptions{})
	total, want := p.sim.Stats().Requests, clean.sim.Stats().Requests
	t.Logf("failed after %d requests, %d in all, a clean run %d", first, total, want)
	if float64(total) > 1.02*float64(want) {
		t.Fatalf("%d requests in all, a clean run %d", total, want)
	}
	gotCounts, gotIDs := dataCounts(t, p)
	wantCounts, wantIDs := dataCounts(t, clean)
	sameCounts(t, gotCounts, wantCounts)
	sameIDs(t, "resource_catalog", gotIDs, wantIDs)
}

// TestAnInterruptedRunIsNotMixedWithAnother: a run for other resources or options than
// an interrupted one is refused, saying which run waits and what to do; --restart
// discards the interrupted run's pages.
func TestAnInterruptedRunIsNotMixedWithAnother(t *testing.T) {
	p := newProject(t, simulator.Options{Size: simulator.Medium, Seed: 42}, "")
	ctx, cancel := context.WithCancel(context.Background())
	var pages atomic.Int64
	_, err := pipeline.Run(ctx, p.plan, pipeline.RunOptions{APIKey: p.key, BaseBackoff: time.Millisecond, Progress: func(pr pipeline.Progress) {
		if pr.Retry == nil && pages.Add(1) == 50 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want a cancelled run, got %v", err)
	}
	_, err = p.tryRun(pipeline.RunOptions{Resources: []string{"document"}})
	if !errors.Is(err, pipeline.ErrInterruptedRun) || !strings.Contains(err.Error(), "--restart") ||
		!strings.Contains(err.Error(), "resource_catalog, document, collection, integration") {
		t.Fatalf("want the interrupted run named, got %v", err)
	}
	info, err := p.tryRun(pipeline.RunOptions{Resources: []string{"document"}, Restart: true})
	if err != nil || info.Resumed || !info.Loaded {
		t.Fatalf("with --restart: %+v, %v", info, err)
	}
	if _, err := os.Stat(filepath.Join(p.dir, pipeline.WorkDirName, "packages")); err == nil {
		entries, _ := os.ReadDir(filepath.Join(p.dir, pipeline.WorkDirName, "packages"))
		if len(entries) != 0 {
			t.Fatalf("%d packages left after the restarted run loaded", len(entries))
		}
	}
	if got, want := p.count(t, "document"), int64(len(walk(p, "document", nil))); got != want {
		t.Fatalf("document: %d rows, the workspace %d", got, want)
	}
}
