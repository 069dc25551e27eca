package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/duckdb"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem"
	"github.com/secoda-workbench/secoda-workbench/pipeline/postgres"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// OpenDestination is the plan's destination. password is the destination's password
// (PostgreSQL), found by the caller in SECODA_DESTINATION_PASSWORD or the OS keyring;
// "" for none. Nothing is opened until it is used, but a DuckDB file or a filesystem
// folder is checked against the project first (project.go): one that leads out of it
// is refused.
func OpenDestination(plan *Plan, password string) (dest.Destination, error) {
	switch plan.DestinationType {
	case dest.DuckDB, "":
		path, err := duckdbFile(plan)
		if err != nil {
			return nil, err
		}
		d := duckdb.New(path, plan.DatasetName)
		d.Reader.Memory = plan.ReadMemory
		return d, nil
	case dest.Postgres:
		return postgres.New(plan.DestinationURL, password, plan.DatasetName), nil
	case dest.Filesystem:
		root, err := filesystemRoot(plan)
		if err != nil {
			return nil, err
		}
		d := filesystem.New(root, plan.DatasetName)
		d.Reader.Memory = plan.ReadMemory
		return d, nil
	}
	return nil, fmt.Errorf("destination type %q is not supported", plan.DestinationType)
}

// FindPassword is the plan's destination password where f keeps it
// (SECODA_DESTINATION_PASSWORD, or the OS keyring), or an empty Secret when the
// destination takes none or none is kept (the server may trust the connection, or
// find it in ~/.pgpass).
func FindPassword(ctx context.Context, plan *Plan, f *secrets.Finder) (secrets.Secret, error) {
	if plan.DestinationType != dest.Postgres {
		return secrets.Secret{}, nil
	}
	found, err := f.FindPassword(ctx, plan.DestinationLocation())
	if errors.Is(err, secrets.ErrNoPassword) {
		return secrets.Secret{}, nil
	}
	return found.Key, err
}
