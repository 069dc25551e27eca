package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/internal/pgtest"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secrets"
	"github.com/secoda-workbench/secoda-workbench/secrets/secretstest"
)

// TestPostgresFromTheCommandLine goes the way a user goes to a PostgreSQL destination:
// scaffold with the URL, a run refused for want of the password, `secrets set
// --destination`, validate, run, query, status, the dashboard, and `secrets delete
// --destination`; the password appears in no output.
func TestPostgresFromTheCommandLine(t *testing.T) {
	db := pgtest.Database(t)
	dir := inProject(t)
	env := simEnv(t)
	ta := &testApp{store: &secretstest.MemStore{}, env: env, insecure: filepath.Join(t.TempDir(), "insecure.toml")}
	var all strings.Builder
	run := ta.recording(t, &all)

	if code, out, errOut := run("scaffold", "--destination", "postgres", "--destination-url", db.URL); code != exitOK || !strings.Contains(out, "secrets set --destination") {
		t.Fatalf("scaffold: exit %d %s %s", code, out, errOut)
	}
	unpacedFile(t)
	cfg, _ := os.ReadFile(filepath.Join(dir, pipeline.ConfigFileName))
	if !strings.Contains(string(cfg), "url = \""+db.URL+"\"") || strings.Contains(string(cfg), db.Password) {
		t.Fatalf("the config does not name the database, or holds the password:\n%s", cfg)
	}

	// No password anywhere: the server refuses, and the error says what to do.
	code, _, errOut := run("run")
	if code != exitFailure || !strings.Contains(errOut, "refused the login") || !strings.Contains(errOut, "secrets set --destination") {
		t.Fatalf("a run without the password: exit %d, %s", code, errOut)
	}
	// A wrong one is refused by `secrets set --destination` and not stored.
	ta.stdin = "not-" + db.Password + "\n"
	if code, _, errOut := run("secrets", "set", "--destination"); code != exitFailure || !strings.Contains(errOut, "nothing was stored") {
		t.Fatalf("a wrong password: exit %d, %s", code, errOut)
	}
	ta.stdin = db.Password + "\n"
	if code, out, errOut := run("secrets", "set", "--destination"); code != exitOK || !strings.Contains(out, "in the OS keyring") || !strings.Contains(errOut, "Logged in") {
		t.Fatalf("secrets set --destination: exit %d, %s %s", code, out, errOut)
	}
	if v, err := ta.store.Get(secrets.Service, secrets.DestinationAccount(strings.TrimSuffix(db.URL, "?sslmode=disable"))); err != nil || v != db.Password {
		t.Fatalf("the keyring holds %d bytes for the destination, %v", len(v), err)
	}
	ta.stdin = ""
	if code, out, errOut := run("secrets", "status"); code != exitOK || !strings.Contains(out, "found in the OS keyring") || !strings.Contains(out, "PostgreSQL accepts the login") {
		t.Fatalf("secrets status: exit %d, %s %s", code, out, errOut)
	}
	if code, out, errOut := run("validate", "--check-connection"); code != exitOK || !strings.Contains(out, "Connected to postgres://") || strings.Contains(errOut, "superuser") {
		t.Fatalf("validate: exit %d, %s %s", code, out, errOut)
	}
	code, out, errOut := run("run")
	if code != exitOK || !strings.Contains(out, "loaded to destination postgres") || !strings.Contains(out, "resource_catalog: 201 rows") {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := run("query", "select count(*) as n from resource_catalog__tags where _dlt_root_id is not null", "--format", "csv"); code != exitOK || !regexp.MustCompile(`^n\n[1-9][0-9]*\n$`).MatchString(out) {
		t.Fatalf("query: exit %d, %q", code, out)
	}
	if code, _, errOut := run("query", "delete from resource_catalog"); code != exitFailure || !strings.Contains(errOut, "only a query") {
		t.Fatalf("a write through query: exit %d, %s", code, errOut)
	}
	if code, out, _ := run("status"); code != exitOK || !strings.Contains(out, "postgres:postgres://") || !strings.Contains(out, "resource_catalog") {
		t.Fatalf("status: exit %d, %s", code, out)
	}

	// The dashboard, with the password from the environment.
	url, showOut, stop := showing(t, map[string]string{secrets.EnvDestinationPassword: db.Password})
	base, token, _ := strings.Cut(url, "/?")
	for page, want := range map[string]string{"/?": `id="loads-count">1<`, "/schema?": `<svg id="diagram"`, "/data?table=resource_catalog&sort=title&": "Rows 1–50 of 201"} {
		resp, err := http.Get(base + page + token)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		all.Write(body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("show %s: %d, no %q in %.400s", page, resp.StatusCode, want, body)
		}
	}
	stop()
	all.WriteString(showOut.String())

	if code, out, _ := run("secrets", "delete", "--destination"); code != exitOK || !strings.Contains(out, "Deleted the password") {
		t.Fatalf("secrets delete --destination: exit %d, %s", code, out)
	}
	if strings.Contains(all.String(), db.Password) {
		t.Fatal("the destination password appeared in an output")
	}
}

// TestFilesystemFromTheCommandLine: scaffold, run, query, status and the dashboard on
// Parquet files, laid out as dlt lays them out.
func TestFilesystemFromTheCommandLine(t *testing.T) {
	dir := inProject(t)
	env := simEnv(t)
	if code, _, errOut := runCmd(context.Background(), env, "scaffold", "--destination", "filesystem"); code != exitOK {
		t.Fatalf("scaffold: %s", errOut)
	}
	unpacedFile(t)
	code, out, errOut := runCmd(context.Background(), env, "run")
	if code != exitOK || !strings.Contains(out, "loaded to destination filesystem") || !strings.Contains(out, "file://") {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, pattern := range []string{"data/secoda_data/resource_catalog/*.parquet", "data/secoda_data/resource_catalog__tags/*.parquet",
		"data/secoda_data/_dlt_loads/*.parquet", "data/secoda_data/_dlt_pipeline_state/*.parquet", "data/secoda_data/_dlt_version/*.parquet"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pattern)); len(m) != 1 {
			t.Errorf("%s: %v", pattern, m)
		}
	}
	if code, out, _ := runCmd(context.Background(), env, "query", "select count(*) from resource_catalog", "--format", "csv"); code != exitOK || !strings.HasSuffix(out, "\n201\n") {
		t.Fatalf("query: %d %q", code, out)
	}
	if code, out, _ := runCmd(context.Background(), env, "status"); code != exitOK || !strings.Contains(out, "filesystem:data") {
		t.Fatalf("status: %d %s", code, out)
	}
	url, _, stop := showing(t, env, "--no-browser")
	defer stop()
	resp, err := http.Get(strings.Replace(url, "/?", "/data?table=resource_catalog&sort=updated_at&dir=desc&", 1))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Rows 1–50 of 201, sorted by updated_at desc") {
		t.Fatalf("show: %d %.500s", resp.StatusCode, body)
	}
}

// unpacedFile turns off the scaffold's pacing (the simulator has no rate limit).
func unpacedFile(t *testing.T) {
	t.Helper()
	b, _ := os.ReadFile(pipeline.ConfigFileName)
	s := strings.Replace(string(b), "\nrate_limit = 60\n", "\nrate_limit = 0\n", 1)
	if s == string(b) {
		t.Fatal("the scaffold has no rate_limit = 60 line")
	}
	os.WriteFile(pipeline.ConfigFileName, []byte(s), 0o644)
}
