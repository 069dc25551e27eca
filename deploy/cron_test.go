package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

// entry is the crontab file's one entry line, and the file's other lines.
func entry(t *testing.T, crontab string) (line string, comments []string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSuffix(crontab, "\n"), "\n") {
		if strings.HasPrefix(l, "#") {
			comments = append(comments, l)
			continue
		}
		if line != "" {
			t.Fatalf("more than one entry:\n%s", crontab)
		}
		line = l
	}
	if line == "" {
		t.Fatalf("no entry:\n%s", crontab)
	}
	return line, comments
}

// TestCrontabEntry: the entry's schedule is the one asked for, as robfig/cron reads it;
// the entry sits between the lines that let installing it again replace it; cron would
// run it as written (no %, not over Vixie cron's 1,000 characters).
func TestCrontabEntry(t *testing.T) {
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	for _, expr := range schedules {
		t.Run(expr, func(t *testing.T) {
			d := deployment(t, planOf(t, "duckdb"), Options{Target: Cron, Version: "v1.2.3", Schedule: mustSchedule(t, expr)})
			crontab := files(t, d)[CronDir+"/"+d.Name+".crontab"]
			line, comments := entry(t, crontab)
			fields := strings.Fields(line)
			got, err := parser.Parse(strings.Join(fields[:5], " "))
			if err != nil {
				t.Fatalf("robfig does not parse the entry's schedule: %v\n%s", err, line)
			}
			want, _ := ParseSchedule(expr)
			a, b := bases[0], bases[0]
			for range 100 {
				if a, b = want.Next(a), robfigNext(got, b); !a.Equal(b) {
					t.Fatalf("the entry fires at %s, the schedule at %s", b, a)
				}
			}
			if comments[0] != cronBegin(d.Name) || comments[len(comments)-1] != cronEnd(d.Name) {
				t.Errorf("the entry is not between its begin and end lines:\n%s", crontab)
			}
			command := strings.Join(fields[5:], " ")
			if strings.Contains(line, "%") || len(command) > maxCronCommand {
				t.Errorf("cron would not run the command as written (%d characters):\n%s", len(command), line)
			}
		})
	}
}

// TestCrontabCommandRuns runs the entry's command as cron does (sh -c), with a
// stand-in binary: it runs in the project with the secrets' files named, logs there,
// rotates a log past its bound, and says when the run failed, with its exit status.
func TestCrontabCommandRuns(t *testing.T) {
	for _, status := range []int{0, 3} {
		t.Run("exit "+string(rune('0'+status)), func(t *testing.T) {
			dir := t.TempDir()
			home := t.TempDir()
			seen := filepath.Join(t.TempDir(), "seen")
			bin := filepath.Join(t.TempDir(), "secoda-workbench")
			script := "#!/bin/sh\n{ pwd; echo \"$@\"; echo \"key=$SECODA_API_KEY_FILE\"; echo \"password=$SECODA_DESTINATION_PASSWORD_FILE\"; } >" + seen + "\n" +
				"echo '{\"event\":\"run\"}'\nexit " + string(rune('0'+status)) + "\n"
			if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			plan := planIn(t, dir, "postgres")
			d := deployment(t, plan, Options{Target: Cron, Version: "v1.2.3", Binary: bin})
			line, _ := entry(t, files(t, d)[CronDir+"/"+d.Name+".crontab"])
			command := strings.Join(strings.Fields(line)[5:], " ")

			// A log past its bound is moved aside before the run.
			logPath := filepath.Join(dir, cronLog)
			if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
				t.Fatal(err)
			}
			big := strings.Repeat("x", logRotateBlocks*512+1)
			if err := os.WriteFile(logPath, []byte(big), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("/bin/sh", "-c", command)
			cmd.Dir = t.TempDir() // cron starts in the home folder, not the project
			cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "SHELL=/bin/sh"}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("sh -c: %v\n%s", err, out)
			}
			b, err := os.ReadFile(seen)
			if err != nil {
				t.Fatalf("the binary did not run: %v\n%s", err, out)
			}
			want := dir + "\nrun --log-format json\nkey=" + home + "/.config/secoda-workbench/" + d.Name + "/secoda-api-key\n" +
				"password=" + home + "/.config/secoda-workbench/" + d.Name + "/secoda-destination-password\n"
			if string(b) != want {
				t.Errorf("the binary ran as\n%s\nwant\n%s", b, want)
			}
			if log, _ := os.ReadFile(logPath); string(log) != "{\"event\":\"run\"}\n" {
				t.Errorf("the log holds %q, want the run's output alone", log)
			}
			if old, _ := os.ReadFile(logPath + ".1"); string(old) != big {
				t.Errorf("the log past its bound was not moved to %s.1", pipeline.WorkDirName+"/cron.log")
			}
			failed := strings.Contains(string(out), "the run failed with exit status 3; see "+dir+"/"+cronLog)
			if failed != (status != 0) || status == 0 && len(out) != 0 {
				t.Errorf("exit %d: the command printed (for cron's mail) %q", status, out)
			}
		})
	}
}

// TestCrontabCommandStopsAHungRun: a run past --timeout is stopped, and told as failed.
func TestCrontabCommandStopsAHungRun(t *testing.T) {
	if _, err := exec.LookPath("timeout"); err != nil {
		t.Skip("no coreutils timeout here: the entry runs without a bound")
	}
	bin := filepath.Join(t.TempDir(), "secoda-workbench")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	d := deployment(t, planIn(t, dir, "duckdb"), Options{Target: Cron, Binary: bin, Timeout: time.Second})
	line, _ := entry(t, files(t, d)[CronDir+"/"+d.Name+".crontab"])
	cmd := exec.Command("/bin/sh", "-c", strings.Join(strings.Fields(line)[5:], " "))
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=/usr/bin:/bin"}
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "the run failed with exit status 124") || time.Since(start) > 20*time.Second {
		t.Fatalf("a hung run: %v after %s\n%s", err, time.Since(start), out)
	}
}

func TestCronRefusals(t *testing.T) {
	plan := planOf(t, "duckdb")
	for _, tt := range []struct {
		o    Options
		want string
	}{
		{Options{Binary: "/opt/100%/secoda-workbench"}, "cron reads % as a newline"},
		{Options{Binary: "/opt/" + strings.Repeat("x", 900) + "/secoda-workbench"}, "more than the 1000 that cron runs"},
		{Options{Binary: "relative/secoda-workbench"}, "give an absolute path"},
	} {
		tt.o.Target = Cron
		if _, err := New(plan, tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.o.Binary, err, tt.want)
		}
	}
	// A quote in the project's path is quoted, not refused.
	quoted := filepath.Join(t.TempDir(), "it's here")
	if err := os.Mkdir(quoted, 0o755); err != nil {
		t.Fatal(err)
	}
	d := deployment(t, planIn(t, quoted, "duckdb"), Options{Target: Cron})
	if line, _ := entry(t, files(t, d)[CronDir+"/"+d.Name+".crontab"]); !strings.Contains(line, `cd '`+strings.ReplaceAll(quoted, "'", `'\''`)+`' &&`) {
		t.Errorf("the path is not quoted for sh:\n%s", line)
	}
}
