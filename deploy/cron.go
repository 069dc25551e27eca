package deploy

import (
	"fmt"
	"strings"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/changeset"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// CronDir is where the crontab entry is written in the project.
const CronDir = "deploy/cron"

// The cron log, in the work folder: moved aside when it passes logRotateBlocks (of 512
// bytes, as find -size counts them, which every find takes), so that it and the one
// before it hold at most about twice that, and a run's output more.
const (
	cronLog         = pipeline.WorkDirName + "/cron.log"
	logRotateBlocks = 20480 // 10 MiB
)

// maxCronCommand is the longest command Debian's cron (Vixie cron) runs; longer ones
// are cut.
const maxCronCommand = 1000

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// cronBegin and cronEnd delimit the entry, so that installing it again replaces it.
func cronBegin(name string) string { return "# secoda-workbench:begin " + name }
func cronEnd(name string) string   { return "# secoda-workbench:end " + name }

// secretFile is where a cron run reads a secret: a file in its user's home only that
// user reads.
func (b *builder) secretDir() string { return "$HOME/.config/secoda-workbench/" + b.name }

func (b *builder) cron(d *Deployment) error {
	bin := b.binary()
	for _, c := range []struct{ what, path string }{{"--binary", bin}, {"the project folder", b.plan.Dir}} {
		if err := checkPath(c.what, c.path); err != nil {
			return err
		}
		if strings.Contains(c.path, "%") {
			err := fmt.Errorf("%s %q: cron reads %% as a newline; move it to a path without one", c.what, c.path)
			if c.what == "--binary" {
				err = &FlagError{err}
			}
			return err
		}
	}
	command := b.cronCommand(bin)
	if len(command) > maxCronCommand {
		return fmt.Errorf("the crontab entry's command is %d characters, more than the %d that cron runs: give a shorter --binary path or --name, or move the project to a shorter path",
			len(command), maxCronCommand)
	}
	file := CronDir + "/" + b.name + ".crontab"
	var w strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&w, format+"\n", a...) }
	line("%s", cronBegin(b.name))
	line("# Runs the Secoda pipeline %s in %s: written by `secoda-workbench deploy cron`.", b.plan.PipelineName, b.plan.Dir)
	line("# Schedule %s, in this machine's time zone (cron's). The run reads its secrets from files", b.scheduleText())
	line("# under %s that only you read (the _FILE variables), never from this line.", b.secretDir())
	line("# Log: %s, one JSON event a line, moved to cron.log.1 once past 10 MiB: the two hold", cronLog)
	line("# about 20 MiB at most. The pipeline's own lock keeps two runs from overlapping (the second exits 5);")
	line("# timeout stops a run after %s (exit 124), where coreutils has it.", systemdDuration(b.timeout))
	line("# A failed or incomplete run (any exit status but 0) is also told to syslog (logger -t %s) and to", b.name)
	line("# cron's mail.")
	line("%s %s", b.o.Schedule.Cron(), command)
	line("%s", cronEnd(b.name))
	d.Edits = []changeset.Edit{{Path: file, What: "the crontab entry", Compute: managed(w.String(), 1, "")}}

	steps := []string{fmt.Sprintf("Install the binary at %s (`go install %s@%s`, then `sudo install -m 0755 \"$(go env GOPATH)/bin/secoda-workbench\" %s`).",
		bin, ModulePath, b.version, bin)}
	dir := strings.Replace(b.secretDir(), "$HOME", "~", 1)
	var files []string
	for _, s := range b.secrets {
		files = append(files, fmt.Sprintf("`(umask 077; cat > %s/%s)` for %s", dir, s.Credential(), s.What))
	}
	steps = append(steps, fmt.Sprintf("Keep the secrets in files only the crontab's user reads: `install -d -m 0700 %s`, then %s (paste the value, Enter, Ctrl-D: it stays out of your shell's history).",
		dir, strings.Join(files, "; ")))
	if c := chain(b.plan); c != nil {
		steps = append(steps, b.machineChainStep(c, "the crontab's user", false))
	}
	first := ""
	if t := b.o.Schedule.Next(b.o.Now.In(time.Local)); !t.IsZero() {
		first = " The first run is due " + t.Format("Mon 2006-01-02 15:04 MST") + "."
	}
	steps = append(steps,
		fmt.Sprintf("Add the entry to your crontab, replacing an earlier one of this pipeline and keeping the rest: "+
			"`(crontab -l 2>/dev/null | sed '/^%s$/,/^%s$/d'; cat %s) | crontab -`.",
			cronBegin(b.name), cronEnd(b.name), shellQuote(b.plan.Dir+"/"+file)),
		fmt.Sprintf("Check it: `crontab -l` lists it.%s Then `tail %s/%s` shows the run's events, and `journalctl -t %s` (or /var/log/syslog) any failure.",
			first, b.plan.Dir, cronLog, b.name),
		b.monitorStep())
	d.Next = steps
	return nil
}

// cronCommand is the entry's command: in the project, the log rotated, the run with its
// secrets' files, and a failure told to syslog and to cron's mail.
func (b *builder) cronCommand(bin string) string {
	var env []string
	for _, s := range b.secrets {
		env = append(env, fmt.Sprintf(`%s%s="%s/%s"`, s.Env, secrets.FileSuffix, b.secretDir(), s.Credential()))
	}
	// coreutils' timeout bounds the run where there is one (Linux); SIGTERM first, which
	// the run stops on keeping what it read, then SIGKILL a minute later.
	limit := fmt.Sprintf(`t=; command -v timeout >/dev/null && t="timeout -k 60 %d";`, int(b.timeout.Seconds()))
	run := strings.Join(append(append(env, "$t", shellQuote(bin)), runArgs...), " ")
	failed := fmt.Sprintf(`m="%s: the run failed with exit status $s; see $PWD/%s"; logger -t %s "$m" 2>/dev/null; echo "$m"`, b.name, cronLog, b.name)
	return fmt.Sprintf(`cd %s && mkdir -p %s && { find %s -size +%d -exec mv -f {} %s.1 \; 2>/dev/null; %s %s >>%s 2>&1 || { s=$?; %s; }; }`,
		shellQuote(b.plan.Dir), pipeline.WorkDirName, cronLog, logRotateBlocks, cronLog, limit, run, cronLog, failed)
}
