package filesystem_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/secoda-workbench/secoda-workbench/internal/filelock"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// project loads collections (merge) and integrations (append, no cursor) from a
// simulator into Parquet files under data/.
type project struct {
	plan *pipeline.Plan
	key  string
	srv  *httptest.Server
	d    *filesystem.Destination
}

func newProject(t *testing.T) *project {
	t.Helper()
	b := make([]byte, 16)
	rand.Read(b)
	p := &project{key: hex.EncodeToString(b)}
	sim, err := simulator.New(simulator.Options{Seed: 31, APIKeys: []string{p.key}})
	if err != nil {
		t.Fatal(err)
	}
	p.srv = httptest.NewServer(sim)
	t.Cleanup(p.srv.Close)
	dir := t.TempDir()
	cfg := fmt.Sprintf("[destination]\ntype = \"filesystem\"\n\n[source]\nbase_url = %q\nrate_limit = 0\n\n"+
		"[resources.collection]\n\n[resources.integration]\nwrite_disposition = \"append\"\n", p.srv.URL+"/api/v1")
	path := filepath.Join(dir, pipeline.ConfigFileName)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if p.plan, err = pipeline.LoadConfig(path); err != nil {
		t.Fatal(err)
	}
	p.d = filesystem.New(p.plan.DestinationPath, p.plan.DatasetName)
	return p
}

func (p *project) run(t *testing.T) *pipeline.LoadInfo {
	t.Helper()
	info, err := pipeline.Run(context.Background(), p.plan, pipeline.RunOptions{APIKey: p.key, BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// patch renames the first collection.
func (p *project) patch(t *testing.T) {
	t.Helper()
	id := p.value(t, "SELECT min(id) FROM collection").(string)
	req, _ := http.NewRequest("PATCH", p.srv.URL+"/api/v1/collection/collections/"+id, strings.NewReader(`{"title": "renamed"}`))
	req.Header.Set("Authorization", "Bearer "+p.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PATCH: %v %v", err, resp)
	}
	resp.Body.Close()
}

func (p *project) value(t *testing.T, q string) any {
	t.Helper()
	res, err := p.d.Query(context.Background(), q, dest.Rows(1))
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res.Rows[0][0]
}

// files lists a table folder's file names.
func (p *project) files(t *testing.T, table string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(p.d.Location(), table))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func TestTheLayoutIsDlts(t *testing.T) {
	p := newProject(t)
	info := p.run(t)
	one := []string{info.LoadID + ".parquet"}
	for _, table := range []string{"collection", "collection__owners", "integration", "_dlt_loads", "_dlt_pipeline_state", "_dlt_version", "_workbench_runs"} {
		if got := p.files(t, table); strings.Join(got, ",") != strings.Join(one, ",") {
			t.Errorf("%s holds %v, want %v", table, got, one)
		}
	}
	if p.d.Location() != filepath.Join(p.plan.Dir, "data", "secoda_data") {
		t.Fatalf("location %s", p.d.Location())
	}
	// DuckDB's own reader, with nothing of ours, reads the files as dlt's readers do.
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, loads int64
	root := p.d.Location()
	if err := db.QueryRow(fmt.Sprintf(`SELECT count(*) FROM read_parquet('%s/collection/*.parquet') WHERE _dlt_load_id IN
		(SELECT load_id FROM read_parquet('%s/_dlt_loads/*.parquet'))`, root, root)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(fmt.Sprintf(`SELECT count(*) FROM read_parquet('%s/_dlt_loads/*.parquet') WHERE status = 0`, root)).Scan(&loads); err != nil {
		t.Fatal(err)
	}
	if n != p.value(t, "SELECT count(*) FROM collection") || n == 0 || loads != 1 {
		t.Fatalf("read_parquet sees %d collections and %d loads", n, loads)
	}
}

// TestMergeRewritesAndAppendAdds: a merged table is one file after each load, the old
// one deleted; an appended table gains a file per load.
func TestMergeRewritesAndAppendAdds(t *testing.T) {
	p := newProject(t)
	first := p.run(t)
	collections := p.value(t, "SELECT count(*) FROM collection").(int64)
	integrations := p.value(t, "SELECT count(*) FROM integration").(int64)
	p.patch(t)
	second := p.run(t)
	if !second.Loaded {
		t.Fatal("the second run loaded nothing")
	}
	if got := p.files(t, "collection"); len(got) != 1 || got[0] != second.LoadID+".parquet" {
		t.Fatalf("collection holds %v after a merge", got)
	}
	if got := p.value(t, "SELECT count(*) FROM collection"); got != collections {
		t.Fatalf("%v collections after the merge, %d before", got, collections)
	}
	if got := p.value(t, "SELECT count(*) FROM collection WHERE title = 'renamed'"); got != int64(1) {
		t.Fatalf("%v renamed collections", got)
	}
	// integration appends (it has no cursor, so every run appends all of it again):
	// the first load's file stays and a second joins it.
	if got := p.files(t, "integration"); strings.Join(got, ",") != first.LoadID+".parquet,"+second.LoadID+".parquet" {
		t.Fatalf("integration holds %v", got)
	}
	if got := p.value(t, "SELECT count(*) FROM integration"); got != 2*integrations {
		t.Fatalf("%v integrations after two appends of %d", got, integrations)
	}
	if got := p.files(t, "_dlt_loads"); len(got) != 2 {
		t.Fatalf("_dlt_loads holds %v", got)
	}
}

// TestWhatAKilledLoadLeavesIsIgnoredThenCollected: temporary files, files of a load
// that never committed and a replaced file are invisible to queries and gone after the
// next load; a file that is not the loader's stays.
func TestWhatAKilledLoadLeavesIsIgnoredThenCollected(t *testing.T) {
	p := newProject(t)
	first := p.run(t)
	before := p.value(t, "SELECT count(*) FROM collection")
	root := p.d.Location()
	src := filepath.Join(root, "collection", first.LoadID+".parquet")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	leftovers := []string{
		filepath.Join(root, "collection", "1999999999.000001.parquet"),     // renamed, never committed
		filepath.Join(root, "collection", "1999999999.000001.parquet.tmp"), // never renamed
		filepath.Join(root, "_dlt_pipeline_state", "1999999999.000001.parquet"),
	}
	for _, f := range leftovers {
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	notOurs := filepath.Join(root, "collection", "README.md")
	os.WriteFile(notOurs, []byte("mine"), 0o644)
	if got := p.value(t, "SELECT count(*) FROM collection"); got != before {
		t.Fatalf("a query sees %v rows with leftovers, %v before", got, before)
	}
	p.patch(t)
	p.run(t)
	for _, f := range append(leftovers, src) {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there", f)
		}
	}
	if _, err := os.Stat(notOurs); err != nil {
		t.Errorf("a file that is not the loader's was deleted: %v", err)
	}
	if got := p.value(t, "SELECT count(*) FROM collection"); got != before {
		t.Fatalf("%v rows after the next load, %v before", got, before)
	}
}

func TestQueriesReadTheDatasetAndNothingElse(t *testing.T) {
	p := newProject(t)
	p.run(t)
	root := p.d.Location()
	for q, why := range map[string]string{
		"SELECT * FROM read_csv('/etc/passwd')":                                                  "are off",
		"SELECT * FROM read_text('/etc/hostname')":                                               "are off",
		fmt.Sprintf("COPY collection TO '%s/collection/evil.parquet'", root):                     "only a query",
		fmt.Sprintf("ATTACH '%s/x.duckdb'", root):                                                "only a query",
		"SET allowed_directories = ['/']":                                                        "only a query",
		"DROP VIEW collection":                                                                   "only a query",
		"SELECT 1; SELECT 2":                                                                     "one statement",
		fmt.Sprintf("SELECT * FROM read_parquet('%s/../../secoda_pipeline.toml')", root):         "are off",
		"SELECT * FROM read_parquet('" + filepath.Dir(filepath.Dir(root)) + "/outside.parquet')": "are off",
	} {
		_, err := p.d.Query(context.Background(), q, dest.Rows(10))
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: %v (want %q)", q, err, why)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "collection", "evil.parquet")); err == nil {
		t.Fatal("COPY wrote into the dataset")
	}
	// Within the dataset, the files are readable by path too.
	if _, err := p.d.Query(context.Background(), fmt.Sprintf("SELECT count(*) FROM read_parquet('%s/collection/*.parquet')", root), dest.Rows(1)); err != nil {
		t.Fatalf("reading the dataset's own files: %v", err)
	}
}

func TestALoadInProgressHoldsTheDataset(t *testing.T) {
	p := newProject(t)
	if err := os.MkdirAll(p.d.Location(), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := filelock.Acquire(filepath.Join(p.d.Location(), ".lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	_, err = p.d.Load(context.Background(), dest.LoadJob{LoadID: "1.000001"})
	// flock locks are per open file, so the same process is refused too.
	if !errors.Is(err, dest.ErrInUse) || !strings.Contains(err.Error(), p.d.Location()) {
		t.Fatalf("want ErrInUse naming the folder, got %v", err)
	}
}

func TestNothingLoadedYet(t *testing.T) {
	p := newProject(t)
	if _, err := p.d.Query(context.Background(), "SELECT 1", dest.Rows(1)); !errors.Is(err, dest.ErrNoData) || !strings.Contains(err.Error(), "secoda-workbench run") {
		t.Fatalf("%v", err)
	}
	st, err := p.d.ReadStored(context.Background(), "secoda_pipeline", normalize.SchemaName)
	if err != nil || st.Schema != nil || st.State != nil {
		t.Fatalf("%+v %v", st, err)
	}
}

// TestReadsReachNoTemporaryFolder: DuckDB allows its temporary folder (".tmp" under
// the working folder, for an in-memory database) even with external access off; reads
// have none, so it is not a way out of the dataset's folder.
func TestReadsReachNoTemporaryFolder(t *testing.T) {
	p := newProject(t)
	p.run(t)
	t.Chdir(p.plan.Dir)
	if err := os.MkdirAll(".tmp", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(".tmp", "secret.txt"), []byte("not yours"), 0o644); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(p.plan.Dir, ".tmp", "secret.txt")
	for _, q := range []string{"SELECT * FROM read_text('.tmp/secret.txt')", "SELECT * FROM read_text('" + abs + "')", "SELECT * FROM glob('.tmp/*')"} {
		res, err := p.d.Query(context.Background(), q, dest.Rows(1))
		if err == nil && len(res.Rows) > 0 {
			t.Errorf("%s: read %v", q, res.Rows)
		}
	}
	res, err := p.d.Query(context.Background(), "SELECT current_setting('temp_directory'), current_setting('memory_limit')", dest.Rows(1))
	if err != nil || res.Rows[0][0] != "" || !strings.HasPrefix(res.Rows[0][1].(string), "244") {
		t.Fatalf("settings of a read: %+v %v", res, err)
	}
}

// TestReadsFollowNoLinkOutOfTheDataset: a data file of the dataset replaced by a link to
// a Parquet file elsewhere is refused, not read (DuckDB's allowed_directories goes by
// the name alone).
func TestReadsFollowNoLinkOutOfTheDataset(t *testing.T) {
	p := newProject(t)
	p.run(t)
	files := p.files(t, "collection")
	if len(files) == 0 {
		t.Fatal("no files of collection")
	}
	outside := filepath.Join(t.TempDir(), "elsewhere.parquet")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("COPY (SELECT 'not yours' AS id) TO '%s' (FORMAT parquet)", outside)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	victim := filepath.Join(p.d.Location(), "collection", files[0])
	if err := os.Remove(victim); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, victim); err != nil {
		t.Fatal(err)
	}
	res, err := p.d.Query(context.Background(), "SELECT id FROM collection", dest.Rows(1000))
	if err == nil {
		for _, r := range res.Rows {
			if r[0] == "not yours" {
				t.Fatal("a query read a file outside the dataset through a link")
			}
		}
		t.Fatalf("the query ran over a linked file: %d rows", len(res.Rows))
	}
	if !strings.Contains(err.Error(), "outside") {
		t.Fatalf("the refusal does not say why: %v", err)
	}
}
