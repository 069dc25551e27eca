package secrets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// Report is what an agent or a person may know about the key: whether there is one,
// where it lives, its fingerprint, whether Secoda accepts it, and the next step. It
// never holds the key or any part of it.
type Report struct {
	Found       bool     `json:"found"`
	Source      Source   `json:"source,omitempty"`
	Where       string   `json:"where,omitempty"`
	Host        string   `json:"host"`
	Fingerprint string   `json:"fingerprint,omitempty"`
	Checked     bool     `json:"checked"`  // asked Secoda
	Verified    bool     `json:"verified"` // Secoda accepted the key
	Status      int      `json:"http_status,omitempty"`
	LatencyMS   int64    `json:"latency_ms,omitempty"`
	Problem     string   `json:"problem,omitempty"`
	Keyring     string   `json:"keyring,omitempty"` // why the keyring was skipped, when it was
	Warnings    []string `json:"warnings,omitempty"`
	NextStep    string   `json:"next_step"`
}

// Verification is Secoda's answer to a key.
type Verification struct {
	OK      bool
	Status  int
	Latency time.Duration
	Err     error
}

// Verify asks Secoda for the first page of the catalog with the key: a read any key
// may make. One try, no pacing: it answers a person waiting.
func Verify(ctx context.Context, baseURL string, key Secret, hc *http.Client) Verification {
	c, err := secoda.New(secoda.Config{BaseURL: baseURL, APIKey: key.Reveal(), RequestsPerMinute: -1, MaxAttempts: 1,
		RequestTimeout: 15 * time.Second, HTTPClient: hc})
	if err != nil {
		return Verification{Err: err}
	}
	start := time.Now()
	for _, err := range c.Pages(ctx, secoda.PageQuery{Path: "resource/catalog"}) {
		v := Verification{Latency: time.Since(start), Err: err, OK: err == nil, Status: http.StatusOK}
		var se *secoda.Error
		if errors.As(err, &se) {
			v.Status = se.Status
		} else if err != nil {
			v.Status = 0
		}
		return v
	}
	return Verification{Latency: time.Since(start), Err: errors.New("no answer")}
}

// Inspect finds the key for a host and, with verify, asks Secoda whether it is good.
func Inspect(ctx context.Context, f *Finder, host, baseURL string, verify bool, hc *http.Client) Report {
	rep := Report{Host: host}
	found, err := f.Find(ctx, host)
	if found.Keyring != nil {
		rep.Keyring = found.Keyring.Error()
	}
	if err != nil {
		rep.Problem = err.Error()
		if errors.Is(err, ErrNoKey) {
			rep.Problem = fmt.Sprintf("no key for %s in %s, the OS keyring, the --insecure-storage file or %s", host, secoda.EnvAPIKey, DltSecretsPath)
		}
		rep.NextStep = "Ask the user to run `secoda-workbench secrets set` in their own terminal; it prompts for the key without echoing it. Never ask for the key in the chat."
		return rep
	}
	rep.Found, rep.Source, rep.Where, rep.Fingerprint, rep.Warnings = true, found.Source, found.Where, found.Key.Fingerprint(), found.Warnings
	if !verify {
		rep.NextStep = "A key is there; `secoda-workbench secrets status` (or check=true) asks Secoda whether it is accepted."
		return rep
	}
	v := Verify(ctx, baseURL, found.Key, hc)
	rep.Checked, rep.Verified, rep.Status, rep.LatencyMS = true, v.OK, v.Status, v.Latency.Milliseconds()
	switch {
	case v.OK && (found.Source == FromDlt || found.Source == FromInsecure):
		rep.NextStep = "The key works but is stored in plain text; ask the user to run `secoda-workbench secrets set` (from dlt's file: `secrets set --from-dlt`) to move it into the OS keyring."
	case v.OK:
		rep.NextStep = "Ready: run the pipeline."
	case errors.Is(v.Err, secoda.ErrKeyRejected):
		rep.Problem = fmt.Sprintf("%s rejected the key from %s (HTTP %d)", host, found.Where, v.Status)
		rep.NextStep = "Ask the user for a new key (Secoda: Settings → API → Generate New API Key), stored with `secoda-workbench secrets set` in their terminal; check that the key's workspace is the one at " + host + "."
	default:
		rep.Problem = fmt.Sprintf("could not check the key with %s: %v", host, v.Err)
		rep.NextStep = "Check the network and the base URL (SECODA_API_URL, or base_url in secoda_pipeline.toml), then check again."
	}
	return rep
}
