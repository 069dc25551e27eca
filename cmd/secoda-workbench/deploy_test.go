package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/deploy"
	"github.com/secoda-workbench/secoda-workbench/internal/filetree"
	"github.com/secoda-workbench/secoda-workbench/secrets/secretstest"
)

// randomSecret is a value made for one test, to look for in everything deploy wrote.
func randomSecret(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// deployProject is a project whose config scaffold wrote with args, and an app whose
// environment holds a secret of every kind a run reads, made for this test.
func deployProject(t *testing.T, scaffold ...string) (dir string, ta *testApp, values []string) {
	t.Helper()
	dir = inProject(t)
	env := map[string]string{
		"SECODA_API_KEY":              randomSecret(t, "sk_"),
		"SECODA_DESTINATION_PASSWORD": randomSecret(t, "pw_"),
		"SECODA_NOTIFY_URL":           "https://hooks.slack.com/services/" + randomSecret(t, "T"),
		"AWS_ACCESS_KEY_ID":           randomSecret(t, "AKIA"),
		"AWS_SECRET_ACCESS_KEY":       randomSecret(t, "aws_"),
		"AZURE_STORAGE_KEY":           randomSecret(t, "az_"),
	}
	env["AZURE_STORAGE_CONNECTION_STRING"] = "DefaultEndpointsProtocol=https;AccountName=lake;AccountKey=" + randomSecret(t, "ak_")
	for _, v := range env {
		values = append(values, v)
	}
	values = append(values, strings.TrimPrefix(env["AZURE_STORAGE_CONNECTION_STRING"], "DefaultEndpointsProtocol=https;AccountName=lake;AccountKey="))
	for k, v := range env {
		t.Setenv(k, v) // in the process's environment too: deploy must not read it from there either
	}
	ta = &testApp{store: &secretstest.MemStore{}, env: env}
	if scaffold != nil {
		if code, out, errOut := ta.run(context.Background(), append([]string{"scaffold"}, scaffold...)...); code != exitOK {
			t.Fatalf("scaffold: exit %d\n%s\n%s", code, out, errOut)
		}
	}
	return dir, ta, values
}

var remotePostgres = []string{"--destination", "postgres", "--destination-url", "postgres://loader@db.example.com:5432/analytics"}

// deployFiles are what each target writes, in the order it lists them.
var deployFiles = map[deploy.Target][]string{
	deploy.GitHubActions: {".github/workflows/secoda-workbench.yml"},
	deploy.Systemd:       {"deploy/systemd/secoda-workbench.service", "deploy/systemd/secoda-workbench.timer"},
	deploy.Cron:          {"deploy/cron/secoda-workbench.crontab"},
	deploy.Kubernetes:    {"deploy/kubernetes/secoda-workbench.yaml", "deploy/kubernetes/Dockerfile"},
}

// TestDeployEachTarget: each target writes its files and says what to do next, by the
// secrets' names; a second run changes nothing, and says so.
func TestDeployEachTarget(t *testing.T) {
	for _, target := range deploy.Targets {
		t.Run(string(target), func(t *testing.T) {
			dir, ta, _ := deployProject(t, remotePostgres...)
			args := []string{"deploy", string(target), "--version", "v1.2.3"}
			if target == deploy.Systemd {
				args = append(args, "--user", "loader")
			}
			code, out, errOut := ta.run(context.Background(), args...)
			if code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			if !strings.Contains(out, "Wrote the "+string(target)+" deployment of secoda_pipeline:\n") {
				t.Errorf("no heading:\n%s", out)
			}
			for _, path := range deployFiles[target] {
				if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(path) + ` +created \(.+\)$`).MatchString(out) {
					t.Errorf("the output does not list %s as created:\n%s", path, out)
				}
				if _, err := os.Stat(filepath.Join(dir, path)); err != nil {
					t.Error(err)
				}
			}
			next := out[strings.Index(out, "Next:"):]
			for _, name := range map[deploy.Target][]string{
				deploy.GitHubActions: {"gh secret set SECODA_API_KEY", "gh secret set SECODA_DESTINATION_PASSWORD", "gh workflow run secoda-workbench.yml"},
				deploy.Systemd: {"systemd-creds encrypt --name=secoda-api-key", "--name=secoda-destination-password", "systemctl daemon-reload",
					"systemctl enable --now secoda-workbench.timer", "systemctl list-timers", "journalctl -u secoda-workbench"},
				deploy.Cron:       {"secoda-api-key", "secoda-destination-password", "| crontab -"},
				deploy.Kubernetes: {"kubectl create secret generic secoda-workbench-secrets", "$d/SECODA_API_KEY", "$d/SECODA_DESTINATION_PASSWORD", "kubectl apply -f"},
			}[target] {
				if !strings.Contains(next, name) {
					t.Errorf("the next steps do not say %q:\n%s", name, next)
				}
			}
			if !strings.Contains(next, "status --max-age 24h") {
				t.Errorf("the next steps name no monitor:\n%s", next)
			}

			before := filetree.Snapshot(t, dir)
			code, out, errOut = ta.run(context.Background(), args...)
			if code != exitOK || !strings.Contains(out, "Nothing to change: the "+string(target)+" deployment of secoda_pipeline is up to date.\n") {
				t.Fatalf("second run: exit %d\n%s\n%s", code, out, errOut)
			}
			for _, path := range deployFiles[target] {
				if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(path) + ` +unchanged \(`).MatchString(out) {
					t.Errorf("second run: %s is not unchanged:\n%s", path, out)
				}
			}
			if after := filetree.Snapshot(t, dir); !reflect.DeepEqual(before, after) {
				t.Error("a second run changed the files")
			}
		})
	}
}

func TestDeployDryRun(t *testing.T) {
	dir, ta, _ := deployProject(t, remotePostgres...)
	before := filetree.Snapshot(t, dir)
	code, out, errOut := ta.run(context.Background(), "deploy", "github-actions", "--dry-run")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"--- /dev/null\n+++ b/.github/workflows/secoda-workbench.yml\n@@ -0,0 +1,",
		"\n+    - cron: \"0 */6 * * *\"\n",
		"\n+        run: secoda-workbench run --log-format json\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the diff lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "would leave .github/workflows/secoda-workbench.yml to be created") {
		t.Errorf("stderr does not say what happens:\n%s", errOut)
	}
	if after := filetree.Snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Errorf("--dry-run wrote: %v", after)
	}

	// Deployed, a new schedule shows as the lines that change.
	if code, out, errOut := ta.run(context.Background(), "deploy", "github-actions"); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	before = filetree.Snapshot(t, dir)
	code, out, errOut = ta.run(context.Background(), "deploy", "github-actions", "--dry-run", "--schedule", "@daily")
	if code != exitOK || !strings.Contains(out, "--- a/.github/workflows/secoda-workbench.yml\n+++ b/.github/workflows/secoda-workbench.yml\n") ||
		!strings.Contains(out, "\n-    - cron: \"0 */6 * * *\"\n") || !strings.Contains(out, "\n+    - cron: \"0 0 * * *\"\n") ||
		!strings.Contains(errOut, "to be updated") {
		t.Errorf("exit %d, the diff of a new schedule:\n%s\n%s", code, out, errOut)
	}
	if after := filetree.Snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Errorf("--dry-run wrote")
	}
}

// TestDeployKeepsOtherWorkflows: the workflows folder is merged into: the project's
// other workflows stay byte for byte.
func TestDeployKeepsOtherWorkflows(t *testing.T) {
	dir, ta, _ := deployProject(t, remotePostgres...)
	makeProjectPath(t, dir, ".github/workflows/")
	writeProjectFile(t, dir, ".github/workflows/ci.yml", "name: ci\non: push\njobs: {}\n")
	writeProjectFile(t, dir, ".github/workflows/secoda-workbench-old.yaml", "# mine\n")
	writeProjectFile(t, dir, ".github/dependabot.yml", "version: 2\n")
	before := filetree.Snapshot(t, dir)
	code, out, errOut := ta.run(context.Background(), "deploy", "github-actions")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	after := filetree.Snapshot(t, dir)
	for path, content := range before {
		if after[path] != content {
			t.Errorf("%s changed", path)
		}
	}
	if _, ok := after[".github/workflows/secoda-workbench.yml"]; !ok || len(after) != len(before)+1 {
		t.Errorf("deploy wrote other than its workflow: %d files before, %d after", len(before), len(after))
	}
}

// TestDeployRefusesHandEdits: a file deploy wrote and the user edited stays as it is,
// and so does a file of that name deploy did not write, unless --force.
func TestDeployRefusesHandEdits(t *testing.T) {
	dir, ta, _ := deployProject(t, remotePostgres...)
	const timer = "deploy/systemd/secoda-workbench.timer"
	args := []string{"deploy", "systemd", "--user", "loader"}
	if code, out, errOut := ta.run(context.Background(), args...); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	fresh := string(readProjectFile(t, dir, timer))
	edited := strings.Replace(fresh, "Persistent=true", "Persistent=true\nRandomizedDelaySec=5min", 1)
	writeProjectFile(t, dir, timer, edited)
	before := filetree.Snapshot(t, dir)
	code, out, errOut := ta.run(context.Background(), append(args, "--schedule", "@daily")...)
	if code != exitFailure || !strings.Contains(errOut, "nothing was written; deploy refuses:\n  "+timer+": edited by hand since deploy wrote it") ||
		!strings.Contains(errOut, "deploy systemd --force") {
		t.Fatalf("an edited timer: exit %d\n%s\n%s", code, out, errOut)
	}
	if after := filetree.Snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Error("a refused deploy wrote (all or nothing: the service is deploy's own, but must stay too)")
	}
	code, out, errOut = ta.run(context.Background(), append(args, "--schedule", "@daily", "--force")...)
	if code != exitOK || strings.Contains(string(readProjectFile(t, dir, timer)), "RandomizedDelaySec") {
		t.Fatalf("--force: exit %d\n%s\n%s", code, out, errOut)
	}

	// A workflow of that name that deploy did not write.
	makeProjectPath(t, dir, ".github/workflows/")
	writeProjectFile(t, dir, ".github/workflows/secoda-workbench.yml", "name: mine\n")
	code, _, errOut = ta.run(context.Background(), "deploy", "github-actions")
	if code != exitFailure || !strings.Contains(errOut, "it is not deploy's: it has no managed mark") {
		t.Fatalf("someone else's workflow: exit %d\n%s", code, errOut)
	}
	if got := string(readProjectFile(t, dir, ".github/workflows/secoda-workbench.yml")); got != "name: mine\n" {
		t.Errorf("someone else's workflow was replaced:\n%s", got)
	}
	code, _, errOut = ta.run(context.Background(), "deploy", "github-actions", "--dry-run")
	if code != exitFailure || !strings.Contains(errOut, "deploy would refuse:\n  .github/workflows/secoda-workbench.yml: edited by hand") {
		t.Errorf("--dry-run of a refusal: exit %d\n%s", code, errOut)
	}
}

// TestDeployRefusesADestinationOnTheJobsMachine: where the machine is thrown away
// after each run, a destination on it is refused with the reason and the way out, and
// nothing is written; a machine that keeps its disk takes it.
func TestDeployRefusesADestinationOnTheJobsMachine(t *testing.T) {
	for _, tt := range []struct {
		name     string
		scaffold []string
		config   string // replaces the scaffolded [destination]
		why      string
	}{
		{"duckdb", []string{}, "", "loads into a DuckDB file (secoda.duckdb)"},
		{"local folder", []string{"--destination", "filesystem"}, "", "loads into a local folder"},
		{"postgres on localhost", []string{"--destination", "postgres"}, "", "a PostgreSQL server on localhost, the job's own machine"},
		{"bucket on loopback", []string{"--destination", "filesystem", "--bucket-url", "s3://lake/secoda"},
			"[destination]\ntype = \"filesystem\"\nbucket_url = \"s3://lake/secoda\"\nendpoint_url = \"http://127.0.0.1:9000\"\n",
			"an object store on 127.0.0.1 (endpoint_url), the job's own machine"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, ta, _ := deployProject(t, tt.scaffold...)
			if tt.config != "" {
				text := string(readProjectFile(t, dir, "secoda_pipeline.toml"))
				start := strings.Index(text, "[destination]")
				end := strings.Index(text, "[source]")
				writeProjectFile(t, dir, "secoda_pipeline.toml", text[:start]+tt.config+"\n"+text[end:])
			}
			for _, target := range deploy.Targets {
				before := filetree.Snapshot(t, dir)
				args := []string{"deploy", string(target)}
				if target == deploy.Systemd {
					args = append(args, "--user", "loader")
				}
				code, out, errOut := ta.run(context.Background(), args...)
				if target == deploy.GitHubActions || target == deploy.Kubernetes {
					if code != exitFailure || !strings.Contains(errOut, "the destination does not outlive the job") || !strings.Contains(errOut, tt.why) ||
						!strings.Contains(errOut, "scaffold --destination postgres") || !strings.Contains(errOut, "--bucket-url s3://") {
						t.Errorf("%s: exit %d\n%s\n%s", target, code, out, errOut)
					}
					if after := filetree.Snapshot(t, dir); !reflect.DeepEqual(before, after) {
						t.Errorf("%s: a refused deploy wrote", target)
					}
					continue
				}
				if code != exitOK {
					t.Errorf("%s keeps its disk, and refused: exit %d\n%s\n%s", target, code, out, errOut)
				}
			}
		})
	}
}

// TestDeployWritesNoSecret: no secret of the environment (the key, the destination's
// password, the webhook, the clouds' keys) is in any file deploy writes, nor in what it
// prints, for any target, destination or mode.
func TestDeployWritesNoSecret(t *testing.T) {
	for _, scaffold := range [][]string{
		remotePostgres,
		{"--destination", "filesystem", "--bucket-url", "s3://lake/secoda"},
		{"--destination", "filesystem", "--bucket-url", "az://lake/secoda"},
		{"--destination", "filesystem", "--bucket-url", "gs://lake/secoda"},
		{},
	} {
		t.Run(strings.Join(scaffold, " "), func(t *testing.T) {
			dir, ta, values := deployProject(t, scaffold...)
			var printed strings.Builder
			for _, target := range deploy.Targets {
				for _, extra := range [][]string{{"--dry-run"}, nil, {"--force", "--schedule", "@hourly"}} {
					args := append([]string{"deploy", string(target)}, extra...)
					if target == deploy.Systemd {
						args = append(args, "--user", "loader")
					}
					_, out, errOut := ta.run(context.Background(), args...)
					printed.WriteString(out + errOut)
				}
			}
			for _, v := range values {
				if strings.Contains(printed.String(), v) {
					t.Errorf("deploy printed a secret (%.6s…)", v)
				}
				for path, content := range filetree.Snapshot(t, dir) {
					if strings.Contains(content, v) {
						t.Errorf("%s holds a secret (%.6s…)", path, v)
					}
				}
			}
		})
	}
}

func TestDeployUsageErrors(t *testing.T) {
	_, ta, _ := deployProject(t, remotePostgres...)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"deploy"}, "accepts 1 arg"},
		{[]string{"deploy", "nomad"}, `unknown target "nomad": use github-actions, systemd, cron or kubernetes`},
		{[]string{"deploy", "cron", "--schedule", "every day"}, "--schedule: schedule \"every day\" has 2 fields, not 5"},
		{[]string{"deploy", "systemd", "--schedule", "0 0 30 2 *"}, "never fires"},
		{[]string{"deploy", "github-actions", "--schedule", "* * * * *"}, "at most every 5 minutes"},
		{[]string{"deploy", "systemd", "--image", "x"}, "--image is for kubernetes, not systemd"},
		{[]string{"deploy", "github-actions", "--binary", "/usr/bin/x"}, "--binary is for systemd and cron, not github-actions"},
		{[]string{"deploy", "cron", "--binary", "bin/x"}, "--binary \"bin/x\": give an absolute path"},
		{[]string{"deploy", "kubernetes", "--name", "Prod_Pipeline"}, "--name \"Prod_Pipeline\""},
		{[]string{"deploy", "kubernetes", "--version", "1.2"}, "--version \"1.2\""},
		{[]string{"deploy", "cron", "--timeout", "10s"}, "--timeout 10s"},
		{[]string{"deploy", "cron", "--bogus"}, "unknown flag: --bogus"},
	} {
		code, _, errOut := ta.run(context.Background(), tt.args...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "--help") {
			t.Errorf("%v: exit %d, want 2 saying %q:\n%s", tt.args, code, tt.want, errOut)
		}
	}
	// Without a config there is nothing to deploy, and it says what to do.
	ta2 := &testApp{store: &secretstest.MemStore{}, env: map[string]string{}}
	inProject(t)
	if code, _, errOut := ta2.run(context.Background(), "deploy", "cron"); code != exitFailure || !strings.Contains(errOut, "secoda-workbench scaffold") {
		t.Errorf("no config: exit %d\n%s", code, errOut)
	}
}

// TestDeployInASubfolderOfARepository: the workflow goes to the repository's root,
// where GitHub reads it, and runs in the project's folder.
func TestDeployInASubfolderOfARepository(t *testing.T) {
	repo := t.TempDir()
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	project := filepath.Join(repo, "analytics")
	if err := os.Mkdir(project, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(project)
	ta := &testApp{store: &secretstest.MemStore{}, env: map[string]string{}}
	if code, _, errOut := ta.run(context.Background(), append([]string{"scaffold"}, remotePostgres...)...); code != exitOK {
		t.Fatal(errOut)
	}
	code, out, errOut := ta.run(context.Background(), "deploy", "github-actions")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	wf := string(readProjectFile(t, repo, ".github/workflows/secoda-workbench.yml"))
	if !strings.Contains(wf, "working-directory: \"analytics\"") || strings.Contains(out, "not in a git repository") {
		t.Errorf("the workflow does not run in the project:\n%s\n%s", wf, out)
	}
	if _, err := os.Stat(filepath.Join(project, ".github")); err == nil {
		t.Error("a workflow was written in the project, where GitHub does not read it")
	}
}
