package deploy

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rhysd/actionlint"
)

// lintWorkflow runs actionlint (its syntax, expression, action-input, cron and
// permission checks) on a workflow and fails the test on any finding.
func lintWorkflow(t *testing.T, path, content string) {
	t.Helper()
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(path, []byte(content), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint: %s:%d:%d: %s [%s]", path, e.Line, e.Column, e.Message, e.Kind)
	}
	if t.Failed() {
		t.Logf("the workflow:\n%s", content)
	}
}

// TestWorkflowLints: actionlint finds nothing in the workflow, for destinations of
// every kind a workflow takes (each cloud's login, static keys, a webhook) and several
// schedules.
func TestWorkflowLints(t *testing.T) {
	var dests []string
	for name := range destinations {
		if !onTheJobsMachine[name] {
			dests = append(dests, name)
		}
	}
	for i, name := range dests {
		schedule := []string{DefaultSchedule, "30 2 * * mon-fri", "@daily", "*/10 * * * *", "15 3 1,15 * 1"}[i%5]
		t.Run(name, func(t *testing.T) {
			d := deployment(t, planOf(t, name), Options{Target: GitHubActions, Version: "v1.2.3", Schedule: mustSchedule(t, schedule)})
			path := WorkflowPath(d.Name)
			wf := files(t, d)[path]
			lintWorkflow(t, path, wf)
			for _, want := range []string{
				"    - cron: \"" + mustSchedule(t, schedule).Cron() + "\"\n",
				"  workflow_dispatch:\n",
				"permissions:\n  contents: read\n",
				"concurrency:\n  group: " + d.Name + "\n  cancel-in-progress: false\n",
				"    timeout-minutes: 120\n",
				"run: go install " + ModulePath + "@v1.2.3\n",
				"          SECODA_API_KEY: ${{ secrets.SECODA_API_KEY }}\n",
				"        run: secoda-workbench run --log-format json\n",
				"            .secoda-workbench\n            !.secoda-workbench/cache\n",
				"        if: always()\n        uses: " + actionUpload + "\n",
				"          path: \".secoda-workbench/traces/\"\n",
			} {
				if !strings.Contains(wf, want) {
					t.Errorf("the workflow lacks %q:\n%s", want, wf)
				}
			}
			federated := strings.HasPrefix(name, "s3") && name != "s3 static key" && name != "s3 compatible" || name == "gcs"
			if strings.Contains(wf, "id-token: write") != federated {
				t.Errorf("id-token: write is there: %v, want %v", !federated, federated)
			}
			for _, s := range neededSecrets(planOf(t, name)) {
				if !strings.Contains(wf, s.Env+": ${{ secrets."+s.Env+" }}") {
					t.Errorf("the run does not get %s from the secrets", s.Env)
				}
			}
		})
	}
}

// TestWorkflowInASubfolder: a project below the root of its repository gets its
// workflow at the root, running in the project's folder, its caches and traces there.
func TestWorkflowInASubfolder(t *testing.T) {
	repo := t.TempDir()
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	project := filepath.Join(repo, "pipelines", "catalog")
	if err := os.MkdirAll(project, 0o755); err != nil {
		t.Fatal(err)
	}
	d := deployment(t, planIn(t, project, "gcs"), Options{Target: GitHubActions, Version: "v1.2.3"})
	if d.Root != repo {
		t.Fatalf("the workflow goes in %s, want the repository's root %s", d.Root, repo)
	}
	path := WorkflowPath(d.Name)
	wf := files(t, d)[path]
	lintWorkflow(t, path, wf)
	for _, want := range []string{
		"        working-directory: \"pipelines/catalog\"\n",
		"            pipelines/catalog/.secoda-workbench\n            !pipelines/catalog/.secoda-workbench/cache\n",
		"          path: \"pipelines/catalog/.secoda-workbench/traces/\"\n",
		"deploy` for ./pipelines/catalog (sha256=",
	} {
		if !strings.Contains(wf, want) {
			t.Errorf("the workflow lacks %q:\n%s", want, wf)
		}
	}
}

func TestWorkflowRefusals(t *testing.T) {
	plan := planOf(t, "postgres")
	for _, tt := range []struct {
		o    Options
		want string
	}{
		{Options{Schedule: mustSchedule(t, "*/2 * * * *")}, "at most every 5 minutes"},
		{Options{Schedule: mustSchedule(t, "0-3 * * * *")}, "at most every 5 minutes"},
		{Options{Timeout: 7 * time.Hour}, "stops a job after 6 hours"},
	} {
		tt.o.Target = GitHubActions
		var fe *FlagError
		if _, err := New(plan, tt.o); !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want a usage error saying %q", tt.o, err, tt.want)
		}
	}
}
