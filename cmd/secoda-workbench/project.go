package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// loadPlan reads the project's config from the current folder.
func (a *app) loadPlan() (*pipeline.Plan, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	plan, err := pipeline.LoadProject(wd)
	if plan != nil {
		plan.Bucket.Getenv = a.getenv // a bucket's credential chain reads the environment the command runs in
	}
	return plan, err
}

// finder looks for the key where the program keeps it.
func (a *app) finder() *secrets.Finder {
	return &secrets.Finder{Getenv: a.getenv, Keyring: a.keyring, Insecure: a.insecure, Dlt: secrets.DltSecretsPath}
}

// connection is where and with what key to reach Secoda (secrets.Finder.Connect), with
// the key told to the redactor and plain-text warnings shown.
func (a *app) connection(ctx context.Context, plan *pipeline.Plan) (key, base string, err error) {
	base, found, err := a.finder().Connect(ctx, plan.BaseURL)
	if err != nil {
		return "", "", err
	}
	a.redactor.Add(found.Key.Reveal())
	for _, w := range found.Warnings {
		fmt.Fprintln(a.io.ErrOut, "warning:", w)
	}
	return found.Key.Reveal(), base, nil
}

func hostOf(base string) string { return secrets.HostOf(base) }

// destination is the plan's dataset, with the destination's password where it has one.
func (a *app) destination(ctx context.Context, plan *pipeline.Plan) (dest.Destination, error) {
	pw, err := a.destinationPassword(ctx, plan)
	if err != nil {
		return nil, err
	}
	return pipeline.OpenDestination(plan, pw)
}

// destinationPassword finds the destination's password (PostgreSQL) and tells the
// redactor; "" when it takes none or none is kept.
func (a *app) destinationPassword(ctx context.Context, plan *pipeline.Plan) (string, error) {
	pw, err := pipeline.FindPassword(ctx, plan, a.finder())
	if err != nil {
		return "", err
	}
	a.redactor.Add(pw.Reveal())
	return pw.Reveal(), nil
}

// relPath shows a path relative to the current folder when it is below it.
func relPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

// cwd is the current folder, or "" when it cannot be known.
func cwd() string {
	wd, _ := os.Getwd()
	return wd
}

// writeJSON prints v as indented JSON, as every --json of the commands does.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
