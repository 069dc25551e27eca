package pipeline_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// TestHelperProcess is not a test: it is the child process the tests below start and
// kill. It does nothing unless PIPELINE_TEST_CHILD says what to do.
func TestHelperProcess(t *testing.T) {
	switch os.Getenv("PIPELINE_TEST_CHILD") {
	case "run":
		plan, err := pipeline.LoadConfig(os.Getenv("PIPELINE_TEST_CONFIG"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = pipeline.Run(context.Background(), plan, pipeline.RunOptions{APIKey: os.Getenv("PIPELINE_TEST_KEY"), FullRefresh: true,
			DestinationPassword: os.Getenv(pipeline.EnvDestinationPassword)})
		if err != nil {
			t.Fatal(err)
		}
	case "hold":
		db, err := sql.Open("duckdb", os.Getenv("PIPELINE_TEST_DB"))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Ping(); err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("holding\n")
		time.Sleep(time.Minute)
	}
}

func child(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), append(env, "PIPELINE_TEST_CHILD="+mode)...)
	return cmd
}

// waitFor polls for a file matching a pattern.
func waitFor(t *testing.T, pattern string, done <-chan error) bool {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return true
		}
		select {
		case err := <-done:
			t.Fatalf("the child finished before %s appeared: %v", pattern, err)
		default:
		}
		time.Sleep(200 * time.Microsecond)
	}
	return false
}

// TestKill9LosesNothing kills a run with SIGKILL while it extracts and while it loads,
// on every destination; each time the previous data and state are intact, no load of
// the killed run is visible, and the next run completes.
func TestKill9LosesNothing(t *testing.T) {
	eachDestination(t, func(t *testing.T, on target) {
		p := newProjectOn(t, on, simulator.Options{Size: simulator.Medium, Seed: 17}, "")
		p.run(t, pipeline.RunOptions{})
		tables := []string{"resource_catalog", "resource_catalog__tags", "resource_catalog__properties__custom", "document", "collection", "integration"}
		baseline := map[string]int64{}
		for _, tbl := range tables {
			baseline[tbl] = p.count(t, tbl)
		}
		packages := filepath.Join(p.dir, pipeline.WorkDirName, "packages")
		for _, stage := range []struct{ name, pattern string }{
			{"while extracting", filepath.Join(packages, "*", "resource_catalog.rows")},
			{"while loading", filepath.Join(packages, "*", "manifest.json")},
		} {
			t.Run(stage.name, func(t *testing.T) {
				loads := p.count(t, "_dlt_loads")
				cmd := child(t, "run", "PIPELINE_TEST_CONFIG="+p.plan.File, "PIPELINE_TEST_KEY="+p.key, pipeline.EnvDestinationPassword+"="+on.pg.Password)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				if !waitFor(t, stage.pattern, done) {
					t.Fatalf("%s never appeared", stage.pattern)
				}
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				err := <-done
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("the child was not killed: %v", err)
				}
				for _, tbl := range tables {
					if got := p.count(t, tbl); got != baseline[tbl] {
						t.Errorf("%s: %d rows after the kill, %d before", tbl, got, baseline[tbl])
					}
				}
				if n := p.count(t, "_dlt_loads"); n != loads {
					t.Fatalf("%d loads after the kill, %d before: the killed run's load is visible", n, loads)
				}
				info := p.run(t, pipeline.RunOptions{FullRefresh: true})
				if !info.Loaded {
					t.Fatal("the run after the kill loaded nothing")
				}
				for _, tbl := range tables {
					if got := p.count(t, tbl); got != baseline[tbl] {
						t.Errorf("%s: %d rows after the rerun, %d before", tbl, got, baseline[tbl])
					}
				}
				if n := p.count(t, "_dlt_loads"); n != loads+1 {
					t.Fatalf("%d loads after the rerun, want %d", n, loads+1)
				}
			})
		}
	})
}

// TestADatasetInUseSaysSo: while another process holds the file, a run fails with a
// message naming the file and the holder, and leaves nothing behind.
func TestADatasetInUseSaysSo(t *testing.T) {
	p := newProject(t, simulator.Options{Seed: 18}, "[resources.collection]\n")
	p.run(t, pipeline.RunOptions{})
	p.patch(t, "collection/collections/"+p.query(t, "SELECT id FROM collection LIMIT 1")[0][0].(string), `{"title": "x"}`)
	cmd := child(t, "hold", "PIPELINE_TEST_DB="+p.plan.DestinationPath)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if !strings.Contains(line, "holding") {
		t.Fatalf("the child did not open the file: %q", line)
	}
	_, err := p.tryRun(pipeline.RunOptions{})
	if !errors.Is(err, dest.ErrInUse) || !strings.Contains(err.Error(), p.plan.DestinationPath) || !strings.Contains(err.Error(), "process") {
		t.Fatalf("want ErrInUse naming the file and the holder, got %v", err)
	}
	_, err = p.dest().Query(context.Background(), "SELECT 1", 1)
	if !errors.Is(err, dest.ErrInUse) {
		t.Fatalf("a query while the file is held: %v", err)
	}
}
