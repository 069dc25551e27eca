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

	"github.com/secoda-workbench/secoda-workbench/internal/objtest"
	"github.com/secoda-workbench/secoda-workbench/internal/pgtest"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
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
	case "resume": // a plain run, which goes on from an interrupted one
		plan, err := pipeline.LoadConfig(os.Getenv("PIPELINE_TEST_CONFIG"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = pipeline.Run(context.Background(), plan, pipeline.RunOptions{APIKey: os.Getenv("PIPELINE_TEST_KEY"),
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
	return waitUntil(t, pattern, func() bool { m, _ := filepath.Glob(pattern); return len(m) > 0 }, done)
}

// waitUntil polls a condition until it holds, the child ends (a failure) or a minute
// passes.
func waitUntil(t *testing.T, what string, cond func() bool, done <-chan error) bool {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		select {
		case err := <-done:
			t.Fatalf("the child finished before %s: %v", what, err)
		default:
		}
		time.Sleep(200 * time.Microsecond)
	}
	return false
}

// copying reports whether a session of the role in on's database is running COPY: a
// PostgreSQL load halfway through its rows.
func copying(t *testing.T, on target) func() bool {
	admin, password := pgtest.Server(t)
	conn, err := pgtest.Connect(context.Background(), admin, password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	db := on.pg.URL[strings.LastIndex(on.pg.URL, "/")+1:]
	db, _, _ = strings.Cut(db, "?")
	return func() bool {
		var n int
		err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'copy %' AND state = 'active'", db).Scan(&n)
		return err == nil && n > 0
	}
}

// uploading reports whether a load of p's bucket has uploaded a table's file of a load
// id that _dlt_loads does not hold yet: a load halfway through its upload.
func uploading(t *testing.T, p *project) func() bool {
	cfg := p.plan.Bucket
	cfg.Secret = p.on.password()
	store := bucket.New(cfg)
	t.Cleanup(func() { store.Close() })
	return func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		objs, err := store.List(ctx, "secoda_data/")
		if err != nil {
			return false
		}
		committed := map[string]bool{}
		for _, o := range objs {
			if name, ok := strings.CutPrefix(o.Key, "_dlt_loads/"); ok {
				committed[name] = true
			}
		}
		for _, o := range objs {
			table, name, _ := strings.Cut(o.Key, "/")
			if strings.HasPrefix(table, "resource_catalog") && !committed[name] {
				return true
			}
		}
		return false
	}
}

// killRunAt starts a run of p in a child process (mode run: with a full refresh;
// resume: a plain run) and kills it with SIGKILL once when holds.
func killRunAt(t *testing.T, p *project, on target, mode, what string, when func() bool) {
	t.Helper()
	cmd := child(t, mode, "PIPELINE_TEST_CONFIG="+p.plan.File, "PIPELINE_TEST_KEY="+p.key, pipeline.EnvDestinationPassword+"="+on.password())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if !waitUntil(t, what, when, done) {
		t.Fatalf("the child never got %s", what)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := <-done
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the child was not killed: %v", err)
	}
}

// TestKill9LosesNothing kills a run with SIGKILL while it extracts and while it loads,
// on every destination; each time the previous data and state are intact, no load of
// the killed run is visible, and the next run completes.
func TestKill9LosesNothing(t *testing.T) {
	eachDestinationLocalsInTurn(t, func(t *testing.T, on target) {
		size := simulator.Medium
		if on.store != "" {
			// A bucket's load is caught halfway through its uploads by a store that takes
			// its time over each: the small workspace is enough, and far quicker.
			size = simulator.Small
			on.bucket = objtest.Slow(t, on.bucket, 100*time.Millisecond)
		}
		p := newProjectOn(t, on, simulator.Options{Size: size, Seed: 17}, "")
		p.run(t, pipeline.RunOptions{})
		tables := []string{"resource_catalog", "resource_catalog__tags", "resource_catalog__properties__custom", "document", "collection", "integration"}
		baseline := map[string]int64{}
		for _, tbl := range tables {
			baseline[tbl] = p.count(t, tbl)
		}
		packages := filepath.Join(p.dir, pipeline.WorkDirName, "packages")
		type stage struct {
			name string
			when func() bool
		}
		glob := func(pattern string) func() bool {
			return func() bool { m, _ := filepath.Glob(pattern); return len(m) > 0 }
		}
		stages := []stage{
			{"while extracting", glob(filepath.Join(packages, "*", "resource_catalog.rows"))},
			{"as the load starts", glob(filepath.Join(packages, "*", "manifest.json"))},
		}
		switch {
		case on.store != "": // between the first upload and the commit
			// (Extracting and writing the files are the local folder's: its run covers them.)
			stages = append(stages[1:], stage{"while uploading", uploading(t, p)})
		case on.kind == dest.Filesystem: // between the first file written and the commit
			stages = append(stages, stage{"while writing files", glob(filepath.Join(p.plan.DestinationPath, "secoda_data", "*", "*.parquet.tmp"))})
		case on.kind == dest.Postgres: // while the rows stream in
			stages = append(stages, stage{"while copying rows", copying(t, on)})
		}
		for _, stage := range stages {
			t.Run(stage.name, func(t *testing.T) {
				loads := p.count(t, "_dlt_loads")
				killRunAt(t, p, on, "run", stage.name, stage.when)
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
	_, err = p.dest().Query(context.Background(), "SELECT 1", dest.Rows(1))
	if !errors.Is(err, dest.ErrInUse) {
		t.Fatalf("a query while the file is held: %v", err)
	}
}
