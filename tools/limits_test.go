package tools

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// TestScaffoldConfigRefusesASecretInTheURL: scaffold_config writes nothing for a
// destination_url that holds a password in any form, says where the password goes
// instead, and never repeats it; a plain URL's result says where it goes too.
func TestScaffoldConfigRefusesASecretInTheURL(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	scaffold := ScaffoldConfig(f.d)
	path := filepath.Join(f.d.Dir, pipeline.ConfigFileName)
	for _, url := range []string{
		"postgres://loader:pw-s3cr3t@db.internal/warehouse",
		"postgres://loader@db.internal/warehouse?password=pw-s3cr3t",
		"postgres://loader@db.internal/warehouse?sslmode=require&PASSWORD=pw-s3cr3t",
		"postgres://loader@db.internal/warehouse?pass%77ord=pw-s3cr3t",
		"postgres://loader@db.internal/warehouse?sslpassword=pw-s3cr3t",
		"postgres://loader@db.internal/warehouse?servicefile=/tmp/pw-s3cr3t",
		"host=db.internal password=pw-s3cr3t",
	} {
		res := call(t, scaffold, map[string]any{"resources": []string{"document"}, "destination": "postgres", "destination_url": url})
		wantError(t, res, "secoda-workbench secrets set --destination", pipeline.EnvDestinationPassword, "nothing was written")
		if strings.Contains(text(res), "pw-s3cr3t") {
			t.Errorf("%s: the result repeats the password: %s", url, text(res))
		}
		if _, err := os.Stat(path); err == nil {
			t.Fatalf("%s: a refused scaffold wrote the file", url)
		}
	}
	res := call(t, scaffold, map[string]any{"resources": []string{"document"}, "destination": "postgres", "destination_url": "postgres://loader@db.internal/warehouse"})
	if txt := text(res); !strings.Contains(txt, "holds no secret") || !strings.Contains(txt, "secrets set --destination") {
		t.Fatalf("a postgres scaffold does not say where the password goes: %s", txt)
	}
}

// TestRunPipelineBoundsMaxPages: max_pages takes pipeline.LimitMaxPages, and its
// description says so.
func TestRunPipelineBoundsMaxPages(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	f.config(t, "[resources.collection]\n")
	run := RunPipeline(f.d)
	for _, n := range []int{-1, int(pipeline.LimitMaxPages.Max) + 1} {
		wantError(t, call(t, run, map[string]any{"max_pages": n}), "max_pages must be "+pipeline.LimitMaxPages.Range())
	}
	if !strings.Contains(string(run.Def.RawInputSchema), "at most "+strconv.Itoa(int(pipeline.LimitMaxPages.Max))) {
		t.Errorf("max_pages' description does not give its limit: %s", run.Def.RawInputSchema)
	}
}
