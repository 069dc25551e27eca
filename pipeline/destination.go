package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/duckdb"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
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
		if plan.IsBucket() {
			cache, err := bucketCache(plan)
			if err != nil {
				return nil, err
			}
			cfg := plan.Bucket
			cfg.Secret = password
			d := filesystem.NewBucket(bucket.New(cfg), cache, plan.DatasetName, plan.CacheMax)
			d.Reader.Memory = plan.ReadMemory
			return d, nil
		}
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
	if !TakesPassword(plan) {
		return secrets.Secret{}, nil
	}
	found, err := f.FindPassword(ctx, plan.DestinationLocation())
	if errors.Is(err, secrets.ErrNoPassword) {
		return secrets.Secret{}, nil
	}
	return found.Key, err
}

// TakesPassword says whether the plan's destination takes a secret kept by `secrets set
// --destination`: PostgreSQL's password, a static S3 key's secret (with
// aws_access_key_id) or an Azure account key (with account_name). Other buckets use
// their cloud's credential chain.
func TakesPassword(plan *Plan) bool {
	switch {
	case plan.DestinationType == dest.Postgres:
		return true
	case !plan.IsBucket():
		return false
	case plan.Bucket.Location.Scheme == bucket.S3:
		return plan.Bucket.AccessKeyID != ""
	case plan.Bucket.Location.Scheme == bucket.Azure:
		return plan.Bucket.AccountName != ""
	}
	return false
}

// PasswordName is what the destination's secret is, for prompts and messages.
func PasswordName(plan *Plan) string {
	switch {
	case plan.IsBucket() && plan.Bucket.Location.Scheme == bucket.S3:
		return "the secret access key of " + plan.Bucket.AccessKeyID
	case plan.IsBucket() && plan.Bucket.Location.Scheme == bucket.Azure:
		return "the account key of " + plan.Bucket.AccountName
	}
	return "the password"
}
