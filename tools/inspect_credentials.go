package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/postgres"
	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// InspectCredentialsIn is inspect_credentials' input.
type InspectCredentialsIn struct {
	Check *bool `json:"check,omitempty" jsonschema:"ask Secoda whether the key is accepted (default true)"`
}

// InspectCredentialsOut is inspect_credentials' result: never the key, nor any part.
type InspectCredentialsOut struct {
	secrets.Report
	BaseURL string `json:"base_url" jsonschema:"the API the key is for"`
	// Destination is the PostgreSQL destination's password, when the config loads into
	// PostgreSQL: found or not, where, fingerprint, whether the login works.
	Destination *secrets.PasswordReport `json:"destination,omitempty" jsonschema:"the PostgreSQL destination's password, when there is one: never the password itself"`
}

// InspectCredentials reports whether a key is there and good, without showing it.
func InspectCredentials(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: yes()}
	return Tool{
		Hints: h,
		Def: define[InspectCredentialsIn, InspectCredentialsOut]("inspect_credentials",
			"Check the Secoda API key without seeing it: where it was found (SECODA_API_KEY, the OS keyring, a plain-text file), "+
				"its fingerprint, whether Secoda accepts it (HTTP status, latency), and the next step. For a PostgreSQL destination, "+
				"the same for its password (SECODA_DESTINATION_PASSWORD or the OS keyring) and whether the login works. No tool takes "+
				"or shows a key or password: when one is missing or rejected, ask the user to run `secoda-workbench secrets set` "+
				"(or `secrets set --destination`) in their own terminal.", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, in InspectCredentialsIn) (InspectCredentialsOut, string, error) {
			configured := ""
			plan, planErr := d.plan()
			if planErr == nil {
				configured = plan.BaseURL
			}
			base, _, err := secoda.ResolveBaseURL(configured, d.Getenv)
			if err != nil {
				return InspectCredentialsOut{}, "", err
			}
			check := in.Check == nil || *in.Check
			rep := secrets.Inspect(ctx, d.finder(), secrets.HostOf(base), base, check, d.HTTPClient)
			out := InspectCredentialsOut{Report: rep, BaseURL: base}
			var b strings.Builder
			if rep.Found {
				fmt.Fprintf(&b, "Key for %s: found in %s, fingerprint %s.\n", rep.Host, rep.Where, rep.Fingerprint)
			} else {
				fmt.Fprintf(&b, "No key for %s.\n", rep.Host)
			}
			if rep.Checked && rep.Verified {
				fmt.Fprintf(&b, "Secoda accepts it (HTTP %d, %d ms).\n", rep.Status, rep.LatencyMS)
			}
			if rep.Problem != "" {
				fmt.Fprintf(&b, "Problem: %s\n", rep.Problem)
			}
			for _, w := range rep.Warnings {
				fmt.Fprintf(&b, "Warning: %s\n", w)
			}
			fmt.Fprintf(&b, "Next: %s\n", rep.NextStep)
			if planErr == nil && plan.IsBucket() {
				var tell func(string)
				if d.Redactor != nil {
					tell = d.Redactor.Add
				}
				drep := pipeline.InspectBucket(ctx, plan, d.finder(), check, tell)
				out.Destination = &drep
				if drep.Found {
					fmt.Fprintf(&b, "Destination key for %s: found in %s, fingerprint %s.\n", drep.Destination, drep.Where, drep.Fingerprint)
				}
				if drep.Credentials != "" {
					fmt.Fprintf(&b, "Destination credentials: %s.\n", drep.Credentials)
				}
				if drep.Connected {
					b.WriteString("A test object was written, read and deleted in the bucket.\n")
				}
				if drep.Problem != "" {
					fmt.Fprintf(&b, "Destination problem: %s\n", drep.Problem)
				}
				fmt.Fprintf(&b, "Destination next: %s\n", drep.NextStep)
			}
			if planErr == nil && plan.DestinationType == dest.Postgres {
				var connect func(context.Context, secrets.Secret) error
				if check {
					connect = func(ctx context.Context, pw secrets.Secret) error {
						if d.Redactor != nil {
							d.Redactor.Add(pw.Reveal())
						}
						return postgres.New(plan.DestinationURL, pw.Reveal(), plan.DatasetName).Ping(ctx)
					}
				}
				drep := secrets.InspectPassword(ctx, d.finder(), plan.DestinationLocation(), connect)
				out.Destination = &drep
				if drep.Found {
					fmt.Fprintf(&b, "Destination password for %s: found in %s, fingerprint %s.\n", drep.Destination, drep.Where, drep.Fingerprint)
				} else {
					fmt.Fprintf(&b, "No destination password kept for %s.\n", drep.Destination)
				}
				if drep.Connected {
					b.WriteString("PostgreSQL accepts the login.\n")
				}
				if drep.Problem != "" {
					fmt.Fprintf(&b, "Destination problem: %s\n", drep.Problem)
				}
				fmt.Fprintf(&b, "Destination next: %s\n", drep.NextStep)
			}
			return out, b.String(), nil
		}),
	}
}
