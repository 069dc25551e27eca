package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/internal/pgtest"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

// target is a destination the behaviour suite runs on: DuckDB, a database of its own
// in the PostgreSQL that scripts/test starts, or a folder of Parquet files.
type target struct {
	kind string
	pg   pgtest.DB
}

// eachDestination runs a behaviour once per destination, as a subtest named by it.
func eachDestination(t *testing.T, f func(t *testing.T, on target)) {
	for _, kind := range dest.Types {
		t.Run(kind, func(t *testing.T) {
			on := target{kind: kind}
			if kind == dest.Postgres {
				on.pg = pgtest.Database(t)
			}
			f(t, on)
		})
	}
}

// section is the [destination] section of a config for the target.
func (on target) section() string {
	switch on.kind {
	case dest.Postgres:
		return fmt.Sprintf("[destination]\ntype = \"postgres\"\nurl = %q\n\n", on.pg.URL)
	case dest.Filesystem:
		return "[destination]\ntype = \"filesystem\"\npath = \"data\"\n\n"
	}
	return ""
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
	d, err := pipeline.OpenDestination(p.plan, p.on.pg.Password)
	if err != nil {
		panic(err)
	}
	return d
}
