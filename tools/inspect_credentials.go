package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

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
}

// InspectCredentials reports whether a key is there and good, without showing it.
func InspectCredentials(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: yes()}
	return Tool{
		Hints: h,
		Def: define[InspectCredentialsIn, InspectCredentialsOut]("inspect_credentials",
			"Check the Secoda API key without seeing it: where it was found (SECODA_API_KEY, the OS keyring, a plain-text file), "+
				"its fingerprint, whether Secoda accepts it (HTTP status, latency), and the next step. No tool takes or shows a key: "+
				"when one is missing or rejected, ask the user to run `secoda-workbench secrets set` in their own terminal.", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, in InspectCredentialsIn) (InspectCredentialsOut, string, error) {
			configured := ""
			if plan, err := d.plan(); err == nil {
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
			return out, b.String(), nil
		}),
	}
}
