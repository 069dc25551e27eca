package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// BucketCheck is what checking a bucket destination found: which credentials reached
// it (never a value), and whether a test object could be written, read and deleted.
type BucketCheck struct {
	Credentials string
	Err         error
}

// CheckBucket opens the plan's bucket with the secret (or, without one, the cloud's
// credential chain), names the credentials it found, and writes, reads and deletes a
// test object.
func CheckBucket(ctx context.Context, plan *Plan, secret string) BucketCheck {
	cfg := plan.Bucket
	cfg.Secret = secret
	s := bucket.New(cfg)
	defer s.Close()
	cred, err := s.Credentials(ctx)
	if err != nil {
		return BucketCheck{Err: err}
	}
	return BucketCheck{Credentials: cred, Err: s.Check(ctx)}
}

// InspectBucket reports on a bucket destination's credentials: the static key's secret
// where the config names a key (aws_access_key_id, account_name), found as
// InspectPassword finds a password; with check set, which credentials reached the
// bucket and whether a test object could be written, read and deleted there.
func InspectBucket(ctx context.Context, plan *Plan, f *secrets.Finder, check bool, tell func(string)) secrets.PasswordReport {
	where := plan.DestinationLocation()
	rep := secrets.PasswordReport{Destination: where}
	var secret secrets.Secret
	if TakesPassword(plan) {
		found, err := f.FindPassword(ctx, where)
		if found.Keyring != nil {
			rep.Keyring = found.Keyring.Error()
		}
		switch {
		case err == nil:
			secret = found.Key
			rep.Found, rep.Source, rep.Where, rep.Fingerprint = true, found.Source, found.Where, found.Key.Fingerprint()
			if tell != nil {
				tell(secret.Reveal())
			}
		case !errors.Is(err, secrets.ErrNoPassword):
			rep.Problem = err.Error()
			rep.NextStep = "Retry; if the OS keyring keeps failing, set " + secrets.EnvDestinationPassword + " in the environment the pipeline runs in."
			return rep
		}
	}
	if !check {
		switch {
		case TakesPassword(plan) && !rep.Found:
			rep.NextStep = fmt.Sprintf("Ask the user to run `secoda-workbench secrets set --destination` in their own terminal to keep %s; never ask for it in the chat.", PasswordName(plan))
		default:
			rep.NextStep = "Check the credentials and a test write with `secoda-workbench validate --check-connection`."
		}
		return rep
	}
	rep.Checked = true
	c := CheckBucket(ctx, plan, secret.Reveal())
	rep.Credentials = c.Credentials
	if c.Err != nil {
		rep.Problem = c.Err.Error()
		var be *bucket.Error
		switch {
		case TakesPassword(plan) && !rep.Found:
			rep.NextStep = fmt.Sprintf("Ask the user to run `secoda-workbench secrets set --destination` in their own terminal to keep %s, or to give the cloud's credential chain a key.", PasswordName(plan))
		case errors.As(c.Err, &be):
			rep.NextStep = be.What
		default:
			rep.NextStep = "Give the pipeline credentials for " + where + " (see the README's \"Buckets\"), then check again."
		}
		return rep
	}
	rep.Connected = true
	rep.NextStep = "Ready: the pipeline can load into " + where + " (a test object was written, read and deleted there)."
	return rep
}
