package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/duckdb"
	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// loadPlan reads the project's config from the current folder.
func loadPlan() (*pipeline.Plan, error) {
	plan, err := pipeline.LoadConfig(pipeline.ConfigFileName)
	if errors.Is(err, os.ErrNotExist) {
		wd, _ := os.Getwd()
		return nil, fmt.Errorf("no %s in %s: run `secoda-workbench scaffold` to write one (or cd to your project)", pipeline.ConfigFileName, wd)
	}
	return plan, err
}

// finder looks for the key where the program keeps it.
func (a *app) finder() *secrets.Finder {
	return &secrets.Finder{Getenv: a.getenv, Keyring: a.keyring, Insecure: a.insecure, Dlt: secrets.DltSecretsPath}
}

// findKey finds the key for a host, tells the redactor, and warns when it comes from a
// plain-text file.
func (a *app) findKey(ctx context.Context, host string) (secrets.Found, error) {
	found, err := a.finder().Find(ctx, host)
	if err != nil {
		return found, err
	}
	a.redactor.Add(found.Key.Reveal())
	for _, w := range found.Warnings {
		fmt.Fprintln(a.io.ErrOut, "warning:", w)
	}
	return found, nil
}

// connection is where and with what key to reach Secoda: SECODA_API_URL over the plan's
// base URL, and the key kept for that URL's host.
func (a *app) connection(ctx context.Context, plan *pipeline.Plan) (key, base string, err error) {
	base, _, err = secoda.ResolveBaseURL(plan.BaseURL, a.getenv)
	if err != nil {
		return "", "", err
	}
	found, err := a.findKey(ctx, hostOf(base))
	if err != nil {
		return "", "", err
	}
	return found.Key.Reveal(), base, nil
}

// hostOf is the host (and port) of a base URL: the keyring account its key is kept under.
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return u.Host
}

// destination is the plan's dataset.
func destination(plan *pipeline.Plan) *duckdb.Destination {
	return duckdb.New(plan.DestinationPath, plan.DatasetName)
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
