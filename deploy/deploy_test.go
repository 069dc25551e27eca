package deploy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/changeset"
	"github.com/secoda-workbench/secoda-workbench/notify"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

// destinations are [destination] sections, by what they are.
var destinations = map[string]string{
	"duckdb":              `type = "duckdb"`,
	"filesystem folder":   "type = \"filesystem\"\npath = \"data\"",
	"filesystem file://":  "type = \"filesystem\"\nbucket_url = \"file://data\"",
	"postgres":            `type = "postgres"` + "\n" + `url = "postgres://loader@db.example.com:5432/analytics?sslmode=require"`,
	"postgres localhost":  `type = "postgres"` + "\n" + `url = "postgres://loader@localhost:5432/analytics"`,
	"postgres 127.0.0.1":  `type = "postgres"` + "\n" + `url = "postgres://loader@127.0.0.1:5432/analytics"`,
	"postgres ::1":        `type = "postgres"` + "\n" + `url = "postgres://loader@[::1]:5432/analytics"`,
	"postgres failover":   `type = "postgres"` + "\n" + `url = "postgres://loader@db.example.com:5432,127.0.0.1:5433/analytics"`,
	"s3":                  "type = \"filesystem\"\nbucket_url = \"s3://lake/secoda\"\nregion = \"eu-west-1\"",
	"s3 no region":        "type = \"filesystem\"\nbucket_url = \"s3://lake/secoda\"",
	"s3 static key":       "type = \"filesystem\"\nbucket_url = \"s3://lake/secoda\"\naws_access_key_id = \"AKIAIOSFODNN7EXAMPLE\"",
	"s3 compatible":       "type = \"filesystem\"\nbucket_url = \"s3://lake/secoda\"\nendpoint_url = \"https://minio.example.com\"",
	"s3 loopback":         "type = \"filesystem\"\nbucket_url = \"s3://lake/secoda\"\nendpoint_url = \"http://127.0.0.1:9000\"",
	"s3 localhost":        "type = \"filesystem\"\nbucket_url = \"s3://lake/secoda\"\nendpoint_url = \"http://minio.localhost:9000\"",
	"gcs":                 "type = \"filesystem\"\nbucket_url = \"gs://lake/secoda\"",
	"gcs emulator":        "type = \"filesystem\"\nbucket_url = \"gs://lake/secoda\"\nendpoint_url = \"http://gcs.example.com:4443\"",
	"azure account":       "type = \"filesystem\"\nbucket_url = \"az://lake/secoda\"\naccount_name = \"secodalake\"",
	"azure connection":    "type = \"filesystem\"\nbucket_url = \"az://lake/secoda\"",
	"azure loopback":      "type = \"filesystem\"\nbucket_url = \"az://lake/secoda\"\naccount_name = \"devstoreaccount1\"\nendpoint_url = \"http://[::1]:10000/devstoreaccount1\"",
	"postgres (notified)": `type = "postgres"` + "\n" + `url = "postgres://loader@db.example.com:5432/analytics"`,
}

// onTheJobsMachine are the destinations that live on the job's machine.
var onTheJobsMachine = map[string]bool{
	"duckdb": true, "filesystem folder": true, "filesystem file://": true, "postgres localhost": true, "postgres 127.0.0.1": true,
	"postgres ::1": true, "postgres failover": true, "s3 loopback": true, "s3 localhost": true, "azure loopback": true,
}

// planIn writes a config with the destination into a project folder and reads its plan.
func planIn(t *testing.T, dir, destination string) *pipeline.Plan {
	t.Helper()
	text := "[pipeline]\nname = \"analytics\"\n\n[destination]\n" + destinations[destination] + "\n\n[resources.document]\n"
	file := filepath.Join(dir, pipeline.ConfigFileName)
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := pipeline.ParseConfig(file, []byte(text))
	if err != nil {
		t.Fatalf("%s: %v", destination, err)
	}
	if strings.Contains(destination, "notified") {
		plan.Notify = &notify.Config{Format: notify.FormatSlack}
	}
	return plan
}

func planOf(t *testing.T, destination string) *pipeline.Plan {
	t.Helper()
	return planIn(t, t.TempDir(), destination)
}

func mustSchedule(t *testing.T, s string) *Schedule {
	t.Helper()
	sched, err := ParseSchedule(s)
	if err != nil {
		t.Fatal(err)
	}
	return sched
}

var testNow = time.Date(2026, 12, 2, 6, 30, 0, 0, time.UTC)

func deployment(t *testing.T, plan *pipeline.Plan, o Options) *Deployment {
	t.Helper()
	if o.Now.IsZero() {
		o.Now = testNow
	}
	d, err := New(plan, o)
	if err != nil {
		t.Fatalf("%s: %v", o.Target, err)
	}
	return d
}

// files computes a deployment's files as they would be written afresh.
func files(t *testing.T, d *Deployment) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, e := range d.Edits {
		b, err := e.Compute(nil, false)
		if err != nil {
			t.Fatal(err)
		}
		out[e.Path] = string(b)
	}
	return out
}

// TestDestinationsThatDoNotOutliveTheJob: a destination on the job's own machine is
// refused, with the reason and the alternatives, where that machine is thrown away
// after each run; a machine that keeps its disk takes every destination.
func TestDestinationsThatDoNotOutliveTheJob(t *testing.T) {
	for name := range destinations {
		for _, target := range Targets {
			t.Run(name+"/"+string(target), func(t *testing.T) {
				_, err := New(planOf(t, name), Options{Target: target, Version: "v1.2.3", Binary: "/bin/true", User: "loader", Now: testNow})
				if !target.ephemeral() || !onTheJobsMachine[name] {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				if !errors.Is(err, ErrEphemeral) {
					t.Fatalf("%v, want the destination refused", err)
				}
				for _, want := range []string{"does not outlive the job", "every run would start over", "scaffold --destination postgres", "--bucket-url s3://", "deploy systemd"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("the refusal does not say %q:\n%v", want, err)
					}
				}
			})
		}
	}
}

// TestSecretsByName: every target names, in its files and its next steps, each secret
// the run reads, and no other.
func TestSecretsByName(t *testing.T) {
	for _, tt := range []struct {
		destination string
		want, not   []string
	}{
		{"postgres", []string{"SECODA_API_KEY", "SECODA_DESTINATION_PASSWORD"}, []string{"SECODA_NOTIFY_URL"}},
		{"postgres (notified)", []string{"SECODA_API_KEY", "SECODA_DESTINATION_PASSWORD", "SECODA_NOTIFY_URL"}, nil},
		{"s3", []string{"SECODA_API_KEY"}, []string{"SECODA_DESTINATION_PASSWORD", "SECODA_NOTIFY_URL"}},
		{"s3 static key", []string{"SECODA_API_KEY", "SECODA_DESTINATION_PASSWORD"}, []string{"SECODA_NOTIFY_URL"}},
		{"azure account", []string{"SECODA_API_KEY", "SECODA_DESTINATION_PASSWORD"}, nil},
	} {
		for _, target := range Targets {
			t.Run(tt.destination+"/"+string(target), func(t *testing.T) {
				d := deployment(t, planOf(t, tt.destination), Options{Target: target, Version: "v1.2.3", User: "loader"})
				written := ""
				for _, f := range files(t, d) {
					written += f
				}
				all := written + strings.Join(d.Next, "\n")
				for _, env := range tt.want {
					name := env
					if target == Systemd {
						name = strings.ReplaceAll(strings.ToLower(env), "_", "-")
					}
					if !strings.Contains(all, name) {
						t.Errorf("%s is not named", name)
					}
				}
				// The next steps may name one as an alternative; the files wire none the run does not read.
				for _, env := range tt.not {
					if strings.Contains(written, env) || strings.Contains(written, strings.ReplaceAll(strings.ToLower(env), "_", "-")) {
						t.Errorf("%s is in the files, but the run does not read it", env)
					}
				}
			})
		}
	}
}

func TestNames(t *testing.T) {
	plan := planOf(t, "postgres")
	if got := DefaultName(plan); got != "secoda-workbench-analytics" {
		t.Errorf("DefaultName = %q", got)
	}
	plan.PipelineName = pipeline.DefaultPipelineName
	if got := DefaultName(plan); got != "secoda-workbench" {
		t.Errorf("DefaultName of the default pipeline = %q", got)
	}
	plan.PipelineName = "Ünïcode__Pipeline..2026-" + strings.Repeat("x", 60)
	if got := DefaultName(plan); !nameRe.MatchString(got) || len(got) > maxName {
		t.Errorf("DefaultName = %q: not a name every target takes", got)
	}
	for _, bad := range []string{"Upper", "-dash", "dash-", "under_score", "dot.ted", strings.Repeat("a", 53)} {
		_, err := New(plan, Options{Target: Cron, Name: bad})
		var fe *FlagError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "--name") {
			t.Errorf("--name %q: %v, want a usage error", bad, err)
		}
	}
}

func TestVersions(t *testing.T) {
	plan := planOf(t, "postgres")
	for _, v := range []string{"v1.2.3", "v0.0.0-20260101120000-abcdef123456", "v2.0.0-rc.1", "abcdef1", "latest"} {
		d := deployment(t, plan, Options{Target: GitHubActions, Version: v})
		if wf := files(t, d)[WorkflowPath(d.Name)]; !strings.Contains(wf, ModulePath+"@"+v+"\n") {
			t.Errorf("--version %s is not what the workflow installs:\n%s", v, wf)
		}
	}
	for _, bad := range []string{"1.2.3", "v1.2", "main branch", "v1.2.3+dirty"} {
		var fe *FlagError
		if _, err := New(plan, Options{Target: GitHubActions, Version: bad}); !errors.As(err, &fe) {
			t.Errorf("--version %q: %v, want a usage error", bad, err)
		}
	}
	// This test binary is a development build: the files install the latest, and say so.
	d := deployment(t, plan, Options{Target: GitHubActions})
	if wf := files(t, d)[WorkflowPath(d.Name)]; !strings.Contains(wf, ModulePath+"@latest") || !strings.Contains(strings.Join(d.Notes, " "), "--version") {
		t.Errorf("a development build: notes %q", d.Notes)
	}
}

// TestManagedFiles: a file deploy wrote is replaced when unchanged, kept when edited
// (unless forced), and never taken from another pipeline.
func TestManagedFiles(t *testing.T) {
	write := managed("one\ntwo\n", 0, "./a")
	fresh, err := write(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := write(fresh, false); err != nil || string(again) != string(fresh) {
		t.Fatalf("unchanged: %v\n%s", err, again)
	}
	newer, err := managed("one\nthree\n", 0, "./a")(fresh, false)
	if err != nil || !strings.Contains(string(newer), "three") {
		t.Fatalf("deploy's own file, newer content: %v", err)
	}
	edited := []byte(strings.Replace(string(fresh), "two", "2", 1))
	if _, err := write(edited, false); !errors.Is(err, ErrEdited) {
		t.Errorf("edited: %v, want %v", err, ErrEdited)
	}
	if got, err := write(edited, true); err != nil || string(got) != string(fresh) {
		t.Errorf("edited, forced: %v", err)
	}
	if _, err := write([]byte("name: mine\n"), false); !errors.Is(err, ErrEdited) {
		t.Errorf("not deploy's: %v, want %v", err, ErrEdited)
	}
	other, _ := managed("one\ntwo\n", 0, "./b")(nil, false)
	for _, force := range []bool{false, true} {
		if _, err := write(other, force); !errors.Is(err, ErrOtherPipeline) || !strings.Contains(err.Error(), "./b") {
			t.Errorf("another pipeline's (force %v): %v", force, err)
		}
	}
	// The mark goes after the lines asked for (a crontab's begin line).
	b, _ := managed("# begin\nentry\n# end\n", 1, "")(nil, false)
	if lines := strings.Split(string(b), "\n"); lines[0] != "# begin" || !markRe.MatchString(lines[1]+"\n") {
		t.Errorf("the mark is not after the first line:\n%s", b)
	}
}

// TestPlanWritesNothingTwice: the files of each target, written, plan as unchanged.
func TestPlanWritesNothingTwice(t *testing.T) {
	for _, target := range Targets {
		t.Run(string(target), func(t *testing.T) {
			plan := planOf(t, "postgres")
			d := deployment(t, plan, Options{Target: target, Version: "v1.2.3", User: "loader"})
			changes, err := changeset.Plan(t.Context(), d.Root, d.Edits, false)
			if err != nil {
				t.Fatal(err)
			}
			if err := changeset.Apply(t.Context(), d.Root, "deploy", changes); err != nil {
				t.Fatal(err)
			}
			again, err := changeset.Plan(t.Context(), d.Root, d.Edits, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range again {
				if c.Status != changeset.Unchanged {
					t.Errorf("%s: %s (%v) on the second run", c.Path, c.Status, c.Err)
				}
			}
		})
	}
}
