package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

// TestScaffoldRefusesAPasswordInTheURL: `scaffold --destination-url` writes nothing for
// a URL that holds a password in any form, exits 2 naming the parameter and where the
// password goes, and prints no byte of it.
func TestScaffoldRefusesAPasswordInTheURL(t *testing.T) {
	inProject(t)
	for _, url := range []string{
		"postgres://loader:pw-s3cr3t@db.internal/warehouse",
		"postgres://loader@db.internal/warehouse?password=pw-s3cr3t",
		"postgres://loader@db.internal/warehouse?Password=pw-s3cr3t",
		"postgres://loader@db.internal/warehouse?pass%77ord=pw-s3cr3t",
		"postgres://loader@db.internal/warehouse?sslpassword=pw-s3cr3t",
		"postgres://loader@db.internal/warehouse?passfile=/tmp/pw-s3cr3t",
		"host=db.internal password=pw-s3cr3t",
	} {
		code, out, errOut := runCmd(context.Background(), nil, "scaffold", "--destination", "postgres", "--destination-url", url)
		if code != exitUsage || !strings.Contains(errOut, "secoda-workbench secrets set --destination") ||
			!strings.Contains(errOut, "SECODA_DESTINATION_PASSWORD") || strings.Contains(out+errOut, "pw-s3cr3t") {
			t.Errorf("%s: exit %d\n%s%s", url, code, out, errOut)
		}
		if _, err := os.Stat(pipeline.ConfigFileName); err == nil {
			t.Fatalf("%s: the refused scaffold wrote the file", url)
		}
	}
}

// TestEveryCommandRefusesAPasswordInTheURL: a config whose URL holds a password is
// refused by every command that reads it, at its line, and the password is printed by
// none.
func TestEveryCommandRefusesAPasswordInTheURL(t *testing.T) {
	inProject(t)
	for _, url := range []string{
		"postgres://loader@db.internal/warehouse?password=pw-s3cr3t",
		"postgres://loader@db.internal/warehouse?sslmode=require&PASSWORD=pw-s3cr3t",
		"postgres://loader:pw-s3cr3t@db.internal/warehouse",
	} {
		cfg := "[destination]\ntype = \"postgres\"\nurl = \"" + url + "\"\n\n[resources.collection]\n"
		if err := os.WriteFile(pipeline.ConfigFileName, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"validate"}, {"run"}, {"status"}, {"query", "select 1"}, {"secrets", "set", "--destination"}} {
			code, out, errOut := runCmd(context.Background(), nil, args...)
			if code != exitFailure || !strings.Contains(errOut, "secoda_pipeline.toml:3:7: destination.url") ||
				!strings.Contains(errOut, "secrets set --destination") || strings.Contains(out+errOut, "pw-s3cr3t") {
				t.Errorf("%s, %v: exit %d\n%s%s", url, args, code, out, errOut)
			}
		}
	}
}

// TestValidateRefusesUnboundedSettings: the settings of the issue (a detail_concurrency
// of 100,000,000, a dataset_name of 5,000,000 characters) and their like are refused,
// at their line, with their range.
func TestValidateRefusesUnboundedSettings(t *testing.T) {
	inProject(t)
	for cfg, want := range map[string]string{
		"[source]\ndetail_concurrency = 100000000\n[resources.collection]\n":                              "secoda_pipeline.toml:2:22: source.detail_concurrency: must be 1 to 64 requests, got 100000000",
		"[source]\nconcurrency = 1000\n[resources.collection]\n":                                          "secoda_pipeline.toml:2:15: source.concurrency: must be 1 to 32 resources",
		"[resources.document]\npage_cap = 9999999999\n":                                                   "resources.document.page_cap: must be 0 (the default, 40,000 pages) or 1 to 1,000,000 pages",
		"[pipeline]\ndataset_name = \"" + strings.Repeat("d", 5_000_000) + "\"\n[resources.collection]\n": "larger than 1 MiB",
		"[pipeline]\ndataset_name = \"" + strings.Repeat("d", 500) + "\"\n[resources.collection]\n":       "pipeline.dataset_name: is 500 bytes long, and takes at most 120 bytes",
	} {
		if err := os.WriteFile(pipeline.ConfigFileName, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runCmd(context.Background(), nil, "validate")
		if code != exitFailure || !strings.Contains(errOut, want) || len(out+errOut) > 2000 {
			t.Errorf("%.60s…: exit %d, %.500s%.500s", cfg, code, out, errOut)
		}
	}
}

// TestNumericFlagsAreBounded: every flag that takes a number refuses one past its range
// as bad usage.
func TestNumericFlagsAreBounded(t *testing.T) {
	inProject(t)
	for _, args := range [][]string{
		{"run", "--max-pages", "-1"},
		{"run", "--max-pages", strconv.Itoa(int(pipeline.LimitMaxPages.Max) + 1)},
		{"query", "select 1", "--limit", "0"},
		{"query", "select 1", "--limit", strconv.Itoa(int(pipeline.LimitQueryRows.Max) + 1)},
		{"simulate", "--addr", "127.0.0.1:0", "--page-size", "0"},
		{"simulate", "--addr", "127.0.0.1:0", "--page-size", "100000"},
		{"simulate", "--addr", "127.0.0.1:0", "--rate-limit", "-1"},
		{"simulate", "--addr", "127.0.0.1:0", "--catalog-cap", "-2"},
		{"simulate", "--addr", "127.0.0.1:0", "--catalog-cap", "2000000000"},
	} {
		if code, _, errOut := runCmd(context.Background(), nil, args...); code != exitUsage {
			t.Errorf("%v: exit %d, %s", args, code, errOut)
		}
	}
}
