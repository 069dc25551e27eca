package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// simEnv starts a simulator and returns the environment that points the commands at it.
func simEnv(t *testing.T) map[string]string {
	t.Helper()
	b := make([]byte, 16)
	rand.Read(b)
	key := hex.EncodeToString(b)
	sim, err := simulator.New(simulator.Options{Seed: 21, APIKeys: []string{key}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return map[string]string{"SECODA_API_KEY": key, "SECODA_API_URL": srv.URL + "/api/v1"}
}

// inProject runs the test in a fresh project folder.
func inProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

func TestScaffoldWritesAndRefusesToClobber(t *testing.T) {
	dir := inProject(t)
	code, out, errOut := runCmd(context.Background(), nil, "scaffold", "--resources", "resource_catalog,user")
	if code != exitOK || !strings.Contains(out, "Wrote secoda_pipeline.toml") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	plan, err := pipeline.LoadConfig(filepath.Join(dir, pipeline.ConfigFileName))
	if err != nil || len(plan.Resources) != 2 || plan.Resources[1].Name != "user" {
		t.Fatalf("the scaffold does not load: %v %+v", err, plan)
	}
	code, _, errOut = runCmd(context.Background(), nil, "scaffold")
	if code != exitFailure || !strings.Contains(errOut, "--force") {
		t.Fatalf("a second scaffold: exit %d, %s", code, errOut)
	}
	if code, _, _ = runCmd(context.Background(), nil, "scaffold", "--force"); code != exitOK {
		t.Fatalf("--force: exit %d", code)
	}
	code, _, errOut = runCmd(context.Background(), nil, "scaffold", "--force", "--resources", "documents")
	if code != exitUsage || !strings.Contains(errOut, "did you mean document") {
		t.Fatalf("an unknown resource: exit %d, %s", code, errOut)
	}
}

func TestCommandsWithoutAConfigSayWhatToDo(t *testing.T) {
	inProject(t)
	for _, args := range [][]string{{"run"}, {"query", "select 1"}, {"status"}, {"validate"}, {"show", "--no-browser"}} {
		code, _, errOut := runCmd(context.Background(), nil, args...)
		if code != exitFailure || !strings.Contains(errOut, "secoda-workbench scaffold") {
			t.Errorf("%v: exit %d, %s", args, code, errOut)
		}
	}
}

func TestValidate(t *testing.T) {
	inProject(t)
	env := simEnv(t)
	runCmd(context.Background(), nil, "scaffold")
	code, out, _ := runCmd(context.Background(), nil, "validate")
	if code != exitOK || !strings.Contains(out, "is valid") || !strings.Contains(out, "resource_catalog") || !strings.Contains(out, "incremental on updated_at") {
		t.Fatalf("exit %d: %s", code, out)
	}
	code, out, errOut := runCmd(context.Background(), env, "validate", "--check-connection")
	if code != exitOK || !strings.Contains(out, "Connected to 127.0.0.1") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	code, _, errOut = runCmd(context.Background(), map[string]string{"SECODA_API_URL": env["SECODA_API_URL"]}, "validate", "--check-connection")
	if code != exitKey || !strings.Contains(errOut, "SECODA_API_KEY") {
		t.Fatalf("no key: exit %d, %s", code, errOut)
	}
	bad := map[string]string{"SECODA_API_URL": env["SECODA_API_URL"], "SECODA_API_KEY": "wrong-" + env["SECODA_API_KEY"]}
	code, out, errOut = runCmd(context.Background(), bad, "validate", "--check-connection")
	if code != exitKey || !strings.Contains(errOut, "rejected") || strings.Contains(out+errOut, bad["SECODA_API_KEY"]) {
		t.Fatalf("a wrong key: exit %d, %s", code, errOut)
	}
	os.WriteFile(pipeline.ConfigFileName, []byte("[resources.documents]\n"), 0o644)
	code, _, errOut = runCmd(context.Background(), nil, "validate")
	if code != exitFailure || !strings.Contains(errOut, "secoda_pipeline.toml:1") || !strings.Contains(errOut, "did you mean document") {
		t.Fatalf("a bad config: exit %d, %s", code, errOut)
	}
}

// unpaced scaffolds a config whose runs do not pace themselves (the simulator has no
// rate limit; 60 requests a minute would make a test wait).
func unpaced(t *testing.T) {
	t.Helper()
	runCmd(context.Background(), nil, "scaffold")
	b, _ := os.ReadFile(pipeline.ConfigFileName)
	s := strings.Replace(string(b), "\nrate_limit = 60\n", "\nrate_limit = 0\n", 1)
	if s == string(b) {
		t.Fatal("the scaffold has no rate_limit = 60 line")
	}
	os.WriteFile(pipeline.ConfigFileName, []byte(s), 0o644)
}

func TestRunQueryStatus(t *testing.T) {
	inProject(t)
	env := simEnv(t)
	unpaced(t)
	code, out, errOut := runCmd(context.Background(), env, "status")
	if code != exitOK || !strings.Contains(out, "Nothing loaded yet") {
		t.Fatalf("status before a run: exit %d, %s %s", code, out, errOut)
	}
	code, out, errOut = runCmd(context.Background(), env, "run")
	if code != exitOK || !strings.Contains(out, "is LOADED and contains no failed jobs") || !strings.Contains(out, "resource_catalog: 201 rows") {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, env["SECODA_API_KEY"]) {
		t.Fatal("run printed the key")
	}
	// Not a terminal: plain progress lines on stderr.
	if !strings.Contains(errOut, "resource_catalog") || !strings.Contains(errOut, "done") || strings.Contains(errOut, "\x1b[") {
		t.Fatalf("progress lines: %q", errOut)
	}

	code, out, _ = runCmd(context.Background(), env, "run", "--json")
	var info pipeline.LoadInfo
	if code != exitOK || json.Unmarshal([]byte(out), &info) != nil || info.Loaded || len(info.Resources) != 4 {
		t.Fatalf("run --json (nothing new): exit %d, %s", code, out)
	}
	code, _, errOut = runCmd(context.Background(), env, "run", "--resources", "documents")
	if code != exitFailure || !strings.Contains(errOut, "did you mean document") {
		t.Fatalf("run --resources documents: exit %d, %s", code, errOut)
	}
	if code, _, _ = runCmd(context.Background(), env, "run", "--max-pages", "-1"); code != exitUsage {
		t.Fatalf("--max-pages -1: exit %d", code)
	}

	code, out, _ = runCmd(context.Background(), nil, "query", "select entity_type, count(*) as n from resource_catalog group by 1 order by n desc", "--format", "json")
	var rows []map[string]any
	if code != exitOK || json.Unmarshal([]byte(out), &rows) != nil || rows[0]["entity_type"] != "column" {
		t.Fatalf("query json: exit %d, %s", code, out)
	}
	code, out, _ = runCmd(context.Background(), nil, "query", "select id, title from resource_catalog order by id", "--format", "csv", "--limit", "3")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != exitOK || len(lines) != 4 || lines[0] != "id,title" {
		t.Fatalf("query csv: exit %d, %q", code, out)
	}
	code, out, errOut = runCmd(context.Background(), nil, "query", "select title, updated_at from resource_catalog", "--limit", "2")
	if code != exitOK || !strings.HasPrefix(out, "title") || !strings.Contains(errOut, "the first 2 rows") {
		t.Fatalf("query table: exit %d, %q %q", code, out, errOut)
	}
	code, _, errOut = runCmd(context.Background(), nil, "query", "drop table resource_catalog")
	if code != exitFailure || !strings.Contains(errOut, "only a query") {
		t.Fatalf("query drop: exit %d, %s", code, errOut)
	}
	if code, _, _ = runCmd(context.Background(), nil, "query", "select 1", "--format", "xml"); code != exitUsage {
		t.Fatalf("--format xml: exit %d", code)
	}

	code, out, _ = runCmd(context.Background(), nil, "status")
	if code != exitOK || !strings.Contains(out, "Last loads") || !strings.Contains(out, "resource_catalog.updated_at >") || !strings.Contains(out, "resource_catalog__tags") {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(context.Background(), nil, "status", "--json")
	var rep pipeline.View
	if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Loads) != 1 || rep.RowCounts["resource_catalog"] != 201 {
		t.Fatalf("status --json: exit %d, %s", code, out)
	}
}

func TestDemo(t *testing.T) {
	dir := filepath.Join(inProject(t), "demo")
	// The demo ignores the user's SECODA_API_URL: it never leaves its simulator.
	env := map[string]string{"SECODA_API_URL": "https://api.secoda.co/api/v1"}
	code, out, errOut := runCmd(context.Background(), env, "demo", "--dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"is LOADED and contains no failed jobs", "resource_catalog__tags", "Sample query:", "entity_type", "column"} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "secoda.duckdb")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, pipeline.ConfigFileName)); err != nil {
		t.Fatal(err)
	}
	// As the demo suggests: `show` in its folder shows the load, the diagram and the data.
	t.Chdir(dir)
	url, _, stop := showing(t, env, "--no-browser")
	defer stop()
	base, token, _ := strings.Cut(url, "/?")
	for page, want := range map[string]string{"/?": `id="loads-count">1<`, "/schema?": `<svg id="diagram"`, "/data?table=resource_catalog&": `<table id="rows">`} {
		resp, err := http.Get(base + page + token)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("show after the demo, %s: %d, no %q", page, resp.StatusCode, want)
		}
	}
}

// simEnvWith starts a simulator with opts and returns the environment pointing at it.
func simEnvWith(t *testing.T, opts simulator.Options) map[string]string {
	t.Helper()
	b := make([]byte, 16)
	rand.Read(b)
	key := hex.EncodeToString(b)
	opts.APIKeys = []string{key}
	sim, err := simulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return map[string]string{"SECODA_API_KEY": key, "SECODA_API_URL": srv.URL + "/api/v1"}
}

// TestAnIncompleteRunExitsThree: a table no query reaches whole under the cap makes the
// run exit 3, print INCOMPLETE and the partition (never "LOADED ... no failed jobs"),
// and status says so too, in text and JSON.
func TestAnIncompleteRunExitsThree(t *testing.T) {
	inProject(t)
	env := simEnvWith(t, simulator.Options{Seed: 22, Size: simulator.Medium, CatalogCap: 500})
	unpaced(t)
	b, _ := os.ReadFile(pipeline.ConfigFileName)
	os.WriteFile(pipeline.ConfigFileName, []byte(strings.Replace(string(b), "# catalog_cap = 10000", "catalog_cap = 500", 1)), 0o644)
	code, out, errOut := runCmd(context.Background(), env, "run", "--resources", "resource_catalog")
	if code != exitIncomplete || !strings.Contains(out, "is INCOMPLETE") || strings.Contains(out, "no failed jobs") ||
		!strings.Contains(out, "INCOMPLETE resource_catalog, partition entity_type column") || !strings.Contains(out, "1000 read") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCmd(context.Background(), env, "run", "--resources", "resource_catalog", "--json")
	var js struct {
		Status     string `json:"status"`
		Incomplete []struct {
			Label string `json:"label"`
			Read  int    `json:"read"`
		} `json:"incomplete"`
	}
	if code != exitIncomplete || json.Unmarshal([]byte(out), &js) != nil || js.Status != "incomplete" || len(js.Incomplete) != 1 || js.Incomplete[0].Read != 1000 {
		t.Fatalf("run --json: exit %d, %s", code, out)
	}
	code, out, _ = runCmd(context.Background(), nil, "status")
	if code != exitOK || !strings.Contains(out, "INCOMPLETE: resource_catalog has 1 partition(s)") || !strings.Contains(out, "partitions (each with its own cursor)") {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(context.Background(), nil, "status", "--json")
	var rep pipeline.View
	if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil || rep.Health == nil || len(rep.Incomplete["resource_catalog"]) != 1 || rep.Partitions["resource_catalog"] < 3 ||
		len(rep.Loads) != 1 || rep.Loads[0].Status != pipeline.OutcomeIncomplete {
		t.Fatalf("status --json: exit %d, %s", code, out)
	}
	// An incomplete load is no complete one: a freshness check counts none.
	if code, out, _ = runCmd(context.Background(), nil, "status", "--max-age", "24h"); code != exitStale || !strings.Contains(out, "STALE: none of the last 1 loads is complete") {
		t.Fatalf("status --max-age after an incomplete load: exit %d\n%s", code, out)
	}
}

// TestAnInterruptedRunShowsInStatusAndResumes: a run stopped halfway (Ctrl-C) leaves
// what it read; status says so and how to go on; run goes on from there; run --restart
// would have thrown it away.
func TestAnInterruptedRunShowsInStatusAndResumes(t *testing.T) {
	inProject(t)
	env := simEnvWith(t, simulator.Options{Seed: 23, Size: simulator.Medium, Faults: simulator.Faults{Latency: 2 * time.Millisecond}})
	unpaced(t)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	code, _, errOut := runCmd(ctx, env, "run")
	if code != exitFailure || !strings.Contains(errOut, "run again to go on from there, or with --restart") {
		t.Fatalf("an interrupted run: exit %d, %s", code, errOut)
	}
	code, out, _ := runCmd(context.Background(), nil, "status")
	if code != exitOK || !strings.Contains(out, "Unfinished run of") || !strings.Contains(out, "interrupted") || !strings.Contains(out, "goes on from the last page spooled") {
		t.Fatalf("status after the interruption: exit %d\n%s", code, out)
	}
	code, out, errOut = runCmd(context.Background(), env, "run", "--json")
	var info struct {
		Resumed bool   `json:"resumed"`
		Status  string `json:"status"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &info) != nil || !info.Resumed || info.Status != "loaded" {
		t.Fatalf("the run after: exit %d, %s %s", code, out, errOut)
	}
	if code, out, _ = runCmd(context.Background(), nil, "status"); strings.Contains(out, "Unfinished") {
		t.Fatalf("status after the load still shows an unfinished run:\n%s", out)
	}
}
