package pipeline

import (
	"fmt"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/duckdb"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem"
	"github.com/secoda-workbench/secoda-workbench/pipeline/postgres"
)

// OpenDestination is the plan's destination. password is the destination's password
// (PostgreSQL), found by the caller in SECODA_DESTINATION_PASSWORD or the OS keyring;
// "" for none. Nothing is opened until it is used.
func OpenDestination(plan *Plan, password string) (dest.Destination, error) {
	switch plan.DestinationType {
	case dest.DuckDB, "":
		return duckdb.New(plan.DestinationPath, plan.DatasetName), nil
	case dest.Postgres:
		return postgres.New(plan.DestinationURL, password, plan.DatasetName), nil
	case dest.Filesystem:
		return filesystem.New(plan.DestinationPath, plan.DatasetName), nil
	}
	return nil, fmt.Errorf("destination type %q is not supported", plan.DestinationType)
}
