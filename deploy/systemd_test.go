package deploy

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
)

// verifyUnits runs systemd-analyze verify on units (name to text), as systemd loads
// them: it fails on an error, and on any warning about them (an unknown key, a value
// that does not parse, which systemd ignores and verify only reports).
func verifyUnits(t *testing.T, units map[string]string) {
	t.Helper()
	analyze := systemdAnalyze(t)
	dir := t.TempDir()
	var paths []string
	for name, text := range units {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	cmd := exec.Command(analyze, append([]string{"verify"}, paths...)...)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=info", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		for name := range units {
			if strings.Contains(l, name) {
				t.Errorf("systemd-analyze verify: %s", l)
			}
		}
	}
	if t.Failed() {
		for name, text := range units {
			t.Logf("%s:\n%s", name, text)
		}
	}
}

// units are the deployment's unit files, by name.
func units(t *testing.T, d *Deployment) map[string]string {
	t.Helper()
	out := map[string]string{}
	for p, text := range files(t, d) {
		out[path.Base(p)] = text
	}
	return out
}

// TestSystemdUnitsVerify: systemd loads the service and the timer without a complaint,
// for several destinations, schedules and project paths.
func TestSystemdUnitsVerify(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "secoda-workbench")
	if err := os.Symlink("/bin/true", bin); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		destination, schedule, dir string
	}{
		{"postgres (notified)", DefaultSchedule, ""},
		{"duckdb", "30 2 * * mon-fri", ""},
		{"s3 static key", "15 3 1,15 * 1", ""},
		{"gcs", "@weekly", "with a space and 100%"},
		{"filesystem folder", "*/10 * * * *", ""},
	} {
		t.Run(tt.destination, func(t *testing.T) {
			dir := t.TempDir()
			if tt.dir != "" {
				dir = filepath.Join(dir, tt.dir)
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			bin := bin
			if tt.dir != "" { // a binary with a space in its path too
				bin = filepath.Join(dir, "bin $HOME", "secoda-workbench")
				if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink("/bin/true", bin); err != nil {
					t.Fatal(err)
				}
			}
			d := deployment(t, planIn(t, dir, tt.destination), Options{Target: Systemd, Binary: bin, User: "secoda-loader",
				Version: "v1.2.3", Schedule: mustSchedule(t, tt.schedule)})
			u := units(t, d)
			verifyUnits(t, u)
			service, timer := u[d.Name+".service"], u[d.Name+".timer"]
			for _, want := range []string{
				"Type=oneshot\n", "User=secoda-loader\n", "WorkingDirectory=" + unitPath(dir) + "\n",
				"ExecStart=" + execPath(bin) + " run --log-format json\n", "TimeoutStartSec=2h\n",
				"LoadCredentialEncrypted=secoda-api-key:/etc/credstore.encrypted/" + d.Name + "/secoda-api-key\n",
				"ProtectSystem=strict\n", "ReadWritePaths=" + unitListPath(dir) + "\n", "ProtectHome=yes\n", "NoNewPrivileges=yes\n",
				"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n", "CapabilityBoundingSet=\n", "UMask=0077\n",
			} {
				if !strings.Contains(service, want) {
					t.Errorf("the service lacks %q", want)
				}
			}
			if strings.Contains(service, "Environment=") {
				t.Error("the service sets an environment: the secrets come from its credentials")
			}
			for _, want := range []string{"Persistent=true\n", "Unit=" + d.Name + ".service\n", "WantedBy=timers.target\n"} {
				if !strings.Contains(timer, want) {
					t.Errorf("the timer lacks %q", want)
				}
			}
			for _, c := range mustSchedule(t, tt.schedule).OnCalendar() {
				if !strings.Contains(timer, "OnCalendar="+c+"\n") {
					t.Errorf("the timer lacks OnCalendar=%s", c)
				}
			}
		})
	}
}

// TestSystemdUnderHome: a project (or binary) in a home folder stays reachable though
// ProtectHome= hides the others.
func TestSystemdUnderHome(t *testing.T) {
	plan := planOf(t, "postgres")
	plan.Dir = "/home/ana/catalog"
	plan.File = filepath.Join(plan.Dir, pipeline.ConfigFileName)
	d := deployment(t, plan, Options{Target: Systemd, Binary: "/home/ana/go/bin/secoda-workbench", User: "ana", Version: "v1.2.3"})
	service := units(t, d)[d.Name+".service"]
	for _, want := range []string{"ProtectHome=tmpfs\n", "BindPaths=/home/ana/catalog\n", "BindReadOnlyPaths=/home/ana/go/bin\n", "ReadWritePaths=/home/ana/catalog\n"} {
		if !strings.Contains(service, want) {
			t.Errorf("the service lacks %q:\n%s", want, service)
		}
	}
}

func TestSystemdRefusals(t *testing.T) {
	plan := planOf(t, "postgres")
	for _, tt := range []struct {
		o    Options
		want string
	}{
		{Options{Binary: "bin/secoda-workbench"}, "give an absolute path"},
		{Options{Binary: "/opt/a\"b"}, "cannot be written safely"},
		{Options{User: "ana; rm"}, "--user"},
	} {
		tt.o.Target = Systemd
		if _, err := New(plan, tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.o, err, tt.want)
		}
	}
}
