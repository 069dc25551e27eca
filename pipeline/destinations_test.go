package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/internal/objtest"
	"github.com/secoda-workbench/secoda-workbench/internal/pgtest"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// target is a destination the behaviour suite runs on: DuckDB, a database of its own
// in the PostgreSQL that scripts/test starts, or a folder of Parquet files.
type target struct {
	kind string
	pg   pgtest.DB
	// store is the object store of a filesystem destination in a bucket (objtest's
	// s3, gcs or azure); "" for a local folder.
	store  string
	bucket objtest.Bucket
}

// targets are the destinations the suite runs on: each type, and the filesystem
// destination in each object store.
var targets = func() []target {
	var out []target
	for _, kind := range dest.Types {
		out = append(out, target{kind: kind})
	}
	for _, store := range objtest.Stores {
		out = append(out, target{kind: dest.Filesystem, store: store})
	}
	return out
}()

// name is the subtest's: the type, and the store of a bucket (filesystem-s3).
func (on target) name() string {
	if on.store != "" {
		return on.kind + "-" + on.store
	}
	return on.kind
}

// eachDestination runs a behaviour once per destination, as a subtest named by it, the
// subtests side by side (each has a project, a simulator and a dataset of its own).
func eachDestination(t *testing.T, f func(t *testing.T, on target)) { forTargets(t, true, f) }

// eachDestinationLocalsInTurn runs the local destinations' subtests one after the other,
// then the buckets' side by side: for a behaviour that catches a run at a moment, which
// a second local run on the same two cores would make harder to catch. A bucket's run
// spends most of its time waiting on the store (another process).
func eachDestinationLocalsInTurn(t *testing.T, f func(t *testing.T, on target)) {
	forTargets(t, false, f)
}

// eachLocalDestination runs a behaviour on DuckDB, PostgreSQL and a local folder, side
// by side: for one that does not reach the destination's own code.
func eachLocalDestination(t *testing.T, f func(t *testing.T, on target)) {
	forTargetsIn(t, targets[:len(dest.Types)], true, f)
}

func forTargets(t *testing.T, parallel bool, f func(t *testing.T, on target)) {
	forTargetsIn(t, targets, parallel, f)
}

func forTargetsIn(t *testing.T, targets []target, parallel bool, f func(t *testing.T, on target)) {
	for _, on := range targets {
		t.Run(on.name(), func(t *testing.T) {
			if parallel || on.store != "" {
				t.Parallel()
			}
			switch {
			case on.kind == dest.Postgres:
				on.pg = pgtest.Database(t)
			case on.store != "":
				on.bucket = objtest.New(t, on.store)
			}
			f(t, on)
		})
	}
}

// section is the [destination] section of a config for the target.
func (on target) section() string {
	switch {
	case on.kind == dest.Postgres:
		return fmt.Sprintf("[destination]\ntype = \"postgres\"\nurl = %q\n\n", on.pg.URL)
	case on.store != "":
		return "[destination]\ntype = \"filesystem\"\n" + on.bucket.Section + "\n"
	case on.kind == dest.Filesystem:
		return "[destination]\ntype = \"filesystem\"\npath = \"data\"\n\n"
	}
	return ""
}

// password is the destination's secret: PostgreSQL's password, or a bucket's key.
func (on target) password() string {
	if on.store != "" {
		return on.bucket.Password
	}
	return on.pg.Password
}

// loaded reports whether the project's dataset exists at all.
func (p *project) loaded(t testing.TB) bool {
	t.Helper()
	_, err := p.dest().TableRows(context.Background())
	if errors.Is(err, dest.ErrNoData) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

func (p *project) dest() dest.Destination {
	d, err := pipeline.OpenDestination(p.plan, p.on.password())
	if err != nil {
		panic(err)
	}
	return d
}

// TestTheSchemaEvolves: on every destination, a later load adds a column (a variant,
// when a field changes type) to existing tables and whole new tables (a resource added
// to the config), and the rows already there keep their values.
func TestTheSchemaEvolves(t *testing.T) {
	eachDestination(t, func(t *testing.T, on target) {
		p := newProjectOn(t, on, simulator.Options{Seed: 19}, "[resources.resource_catalog]\n")
		p.run(t, pipeline.RunOptions{})
		rows := p.count(t, "resource_catalog")
		id := p.query(t, "SELECT id FROM resource_catalog ORDER BY id LIMIT 1")[0][0].(string)
		others := fmt.Sprintf("SELECT sum(total_usage), count(total_usage) FROM resource_catalog WHERE id <> '%s'", id)
		usage := fmt.Sprint(p.query(t, others)[0])
		// One resource changes, and comes back with total_usage as text; and the config
		// gains a resource.
		p.sim.SetFaults(simulator.Faults{TypeChangeFromPage: 1})
		p.patch(t, "resource/all/"+id, `{"title": "evolved"}`)
		cfg, err := os.ReadFile(p.plan.File)
		if err != nil {
			t.Fatal(err)
		}
		p.writeConfig(t, string(cfg)+"\n[resources.collection]\n")
		info := p.run(t, pipeline.RunOptions{})
		var newColumns, newTables []string
		for _, tbl := range info.Tables {
			newColumns = append(newColumns, tbl.VariantColumns...)
			if tbl.NewTable {
				newTables = append(newTables, tbl.Name)
			}
		}
		if !slices.Contains(newColumns, "total_usage__v_text") || !slices.Contains(newTables, "collection") {
			t.Fatalf("new columns %v, new tables %v", newColumns, newTables)
		}
		if got := p.count(t, "resource_catalog"); got != rows {
			t.Fatalf("%d rows after the merge, %d before", got, rows)
		}
		row := p.query(t, fmt.Sprintf("SELECT title, total_usage, total_usage__v_text FROM resource_catalog WHERE id = '%s'", id))[0]
		if row[0] != "evolved" || row[1] != nil || row[2] == nil {
			t.Fatalf("the changed row: %v", row)
		}
		if n := p.query(t, "SELECT count(*) FROM resource_catalog WHERE total_usage__v_text IS NOT NULL")[0][0]; n != int64(1) {
			t.Fatalf("%v rows hold text in the variant column, want the changed one", n)
		}
		if got := fmt.Sprint(p.query(t, others)[0]); got != usage {
			t.Fatalf("the other rows' total_usage: %s, was %s", got, usage)
		}
		if p.count(t, "collection") == 0 {
			t.Fatal("the new resource's table is empty")
		}
		checkLayout(t, p, map[string]string{"resource_catalog": "resource/catalog", "collection": "collection/collections"})
	})
}

// TestLongNamesFitPostgres: table and column names past PostgreSQL's 63 bytes are
// shortened as dlt shortens them (a hash tag), so nothing is cut silently and every
// child still joins its parent.
func TestLongNamesFitPostgres(t *testing.T) {
	on := target{kind: dest.Postgres, pg: pgtest.Database(t)}
	long := "documents_of_the_data_governance_team_kept_for_the_audit" // 56 bytes
	p := newProjectOn(t, on, simulator.Options{Seed: 20}, fmt.Sprintf("[resources.%s]\nendpoint = \"document\"\n", long))
	p.run(t, pipeline.RunOptions{})
	counts, err := p.dest().TableRows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	shortened := 0
	for name := range counts {
		if len(name) > 63 {
			t.Errorf("table %s is %d bytes", name, len(name))
		}
		if strings.HasPrefix(name, long+"__") || (strings.HasPrefix(name, long[:20]) && name != long) {
			shortened++
		}
	}
	stored, err := p.dest().ReadStored(context.Background(), p.plan.PipelineName, p.plan.SchemaName)
	if err != nil {
		t.Fatal(err)
	}
	children := 0
	for name, tbl := range stored.Schema.Tables {
		if tbl.Parent == "" {
			continue
		}
		children++
		if _, ok := counts[name]; !ok {
			t.Errorf("the schema's table %s is not in the database (cut by PostgreSQL?)", name)
		}
		if n := p.query(t, fmt.Sprintf(`SELECT count(*) FROM %q c LEFT JOIN %q p ON c._dlt_parent_id = p._dlt_id WHERE p._dlt_id IS NULL`, name, tbl.Parent))[0][0]; n != int64(0) {
			t.Errorf("%s: %v rows do not join %s", name, n, tbl.Parent)
		}
	}
	if children == 0 || shortened == 0 {
		t.Fatalf("%d child tables, %d of them named from the long resource", children, shortened)
	}
	if want := expectedRows(long, simRecords(t, p, "document")); counts[long] != want[long] {
		t.Fatalf("%s: %d rows, want %d", long, counts[long], want[long])
	}
}

// TestTwoLoadsOfOnePostgresDatasetTakeTurns: two projects (two run locks) loading the
// same PostgreSQL dataset at once both succeed, one after the other (an advisory
// lock), and the data is what one load makes.
func TestTwoLoadsOfOnePostgresDatasetTakeTurns(t *testing.T) {
	on := target{kind: dest.Postgres, pg: pgtest.Database(t)}
	a := newProjectOn(t, on, simulator.Options{Seed: 21}, "")
	b := newProjectOn(t, on, simulator.Options{Seed: 21}, "")
	errs := make(chan error, 2)
	for _, p := range []*project{a, b} {
		go func() { _, err := p.tryRun(pipeline.RunOptions{}); errs <- err }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := a.count(t, "_dlt_loads"); n != 2 {
		t.Fatalf("%d loads, want 2", n)
	}
	checkLayout(t, a, defaultPaths) // merged: each record once, each child once
}
