package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/duckdb"
	"github.com/secoda-workbench/secoda-workbench/secoda"
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

// apiKey finds the Secoda key. Until the keyring arrives (issue 4) the environment is
// the one place.
func apiKey(getenv func(string) string) (string, error) {
	if k := strings.TrimSpace(getenv(secoda.EnvAPIKey)); k != "" {
		return k, nil
	}
	return "", fmt.Errorf("no Secoda API key: set %s in your shell (Secoda: Settings → API → Generate New API Key); never put it in %s",
		secoda.EnvAPIKey, pipeline.ConfigFileName)
}

// connection is where and with what key to reach Secoda: the key found as apiKey
// finds it, and SECODA_API_URL over the plan's base URL.
func connection(plan *pipeline.Plan, getenv func(string) string) (key, base string, err error) {
	if key, err = apiKey(getenv); err != nil {
		return "", "", err
	}
	base, _, err = secoda.ResolveBaseURL(plan.BaseURL, getenv)
	return key, base, err
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
