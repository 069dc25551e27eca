package deploy

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/changeset"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// SystemdDir is where the units are written in the project.
const SystemdDir = "deploy/systemd"

// credstore is where systemd-creds keeps a unit's encrypted credentials.
const credstore = "/etc/credstore.encrypted"

// homes are the folders ProtectHome= hides.
var homes = []string{"/home", "/root", "/run/user"}

func under(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}

func underHome(p string) bool {
	for _, h := range homes {
		if under(p, h) {
			return true
		}
	}
	return false
}

// unitPath writes a path as a unit file's single-path setting takes it
// (WorkingDirectory=): % doubled, a specifier otherwise.
func unitPath(p string) string { return strings.ReplaceAll(p, "%", "%%") }

// unitListPath writes a path in a setting that takes a list (ReadWritePaths=,
// BindPaths=) or a command line: quoted when it holds a space.
func unitListPath(p string) string {
	p = unitPath(p)
	if strings.ContainsAny(p, " \t") {
		return `"` + p + `"`
	}
	return p
}

// execPath is the executable's path in ExecStart=: quoted with a space in it; systemd
// expands no $ in it (only in the arguments), so a $ stays as it is.
func execPath(p string) string { return unitListPath(p) }

func (b *builder) binary() string {
	if b.o.Binary != "" {
		return b.o.Binary
	}
	return DefaultBinary
}

func (b *builder) systemd(d *Deployment) error {
	bin := b.binary()
	if err := checkPath("--binary", bin); err != nil {
		return err
	}
	if err := checkPath("the project folder", b.plan.Dir); err != nil {
		return err
	}
	u := b.o.User
	if u == "" {
		u = defaultUser()
	}
	if !userRe.MatchString(u) {
		return flagErrorf("--user %q: give a user name (letters, digits, _ and -)", u)
	}
	service, timer := b.name+".service", b.name+".timer"
	d.Edits = []changeset.Edit{
		{Path: SystemdDir + "/" + service, What: "the service: one run", Compute: managed(b.serviceUnit(bin, u), 0, "")},
		{Path: SystemdDir + "/" + timer, What: "the timer: when it runs", Compute: managed(b.timerUnit(), 0, "")},
	}

	var steps []string
	steps = append(steps, fmt.Sprintf("Install the binary at %s (`go install %s@%s`, then `sudo install -m 0755 \"$(go env GOPATH)/bin/secoda-workbench\" %s`).",
		bin, ModulePath, b.version, bin))
	if u == DefaultServiceUser {
		steps = append(steps, fmt.Sprintf("Create the user that runs it, and give it the project folder: `sudo useradd --system --no-create-home --shell /usr/sbin/nologin %s && sudo chown -R %s: %s`.",
			u, u, b.plan.Dir))
	} else {
		steps = append(steps, fmt.Sprintf("The service runs as %s (--user), who must be able to write %s.", u, b.plan.Dir))
	}
	dir := credstore + "/" + b.name
	var creds []string
	for _, s := range b.secrets {
		creds = append(creds, fmt.Sprintf("`systemd-ask-password -n %s | sudo systemd-creds encrypt --name=%s - %s/%s`", shellQuote(s.What+":"), s.Credential(), dir, s.Credential()))
	}
	steps = append(steps, fmt.Sprintf("Encrypt the secrets as the unit's credentials (systemd 250 or later; the file it reads is useless on another machine): `sudo install -d -m 0700 %s`, then %s. "+
		"Without systemd-creds, put each in a root-only file (`sudo install -d -m 0700 /etc/credstore/%s`, then write /etc/credstore/%s/NAME with mode 0600) "+
		"and change LoadCredentialEncrypted= to LoadCredential= in %s. The run finds them in $CREDENTIALS_DIRECTORY: no secret is in the unit or its environment.",
		dir, strings.Join(creds, ", "), b.name, b.name, service))
	if c := chain(b.plan); c != nil {
		steps = append(steps, b.machineChainStep(c, "the service's user", true))
	}
	first := ""
	if t := b.firstRunText(); t != "" {
		first = " (the first is due " + t + ")"
	}
	steps = append(steps,
		fmt.Sprintf("Install and start the timer: `sudo install -m 0644 %s/%s %s/%s /etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now %s`.",
			SystemdDir, service, SystemdDir, timer, timer),
		fmt.Sprintf("Check it: `systemctl list-timers %s` shows the next run%s; `sudo systemctl start %s` runs one now; `journalctl -u %s` shows each run's JSON events "+
			"and `systemctl status %s` its exit status (non-zero is a failed or incomplete run).", timer, first, service, b.name, service),
		b.monitorStep())
	d.Next = steps
	return nil
}

// machineChainStep tells how a bucket's credential chain reaches a run on a machine.
func (b *builder) machineChainStep(c *cloudChain, who string, hiddenHome bool) string {
	home := ""
	if hiddenHome {
		home = " The unit hides home folders (ProtectHome=): a credential file in one (~/.aws, ~/.config/gcloud) is out of reach unless you add BindReadOnlyPaths= for it."
	}
	switch c.scheme {
	case bucket.S3:
		if len(c.envSecrets) > 0 {
			return "The S3-compatible store at " + b.plan.Bucket.EndpointURL + " takes its own key: give " + who + " an AWS profile (~/.aws/credentials) with it, " +
				"or set aws_access_key_id in [destination] and keep the secret key as " + credOrFile(b, "SECODA_DESTINATION_PASSWORD") + "." + home
		}
		return "The bucket uses the AWS credential chain: an instance role (best), or an AWS profile of " + who + "; " +
			"or set aws_access_key_id in [destination] and keep its secret key as " + credOrFile(b, "SECODA_DESTINATION_PASSWORD") + "." + home
	case bucket.GCS:
		return "The bucket uses Google's application default credentials: a service account attached to the VM (best), " +
			"or GOOGLE_APPLICATION_CREDENTIALS naming a key file " + who + " reads." + home
	}
	return "The container is reached with AZURE_STORAGE_CONNECTION_STRING, a secret no file here should hold: set account_name in [destination] instead " +
		"and keep the account key as " + credOrFile(b, "SECODA_DESTINATION_PASSWORD") + " (or use a managed identity)."
}

// credOrFile is where a machine's run finds a secret: the unit's credential, or the
// file its _FILE variable names, which deploy writes in once the config takes it.
func credOrFile(b *builder, env string) string {
	if b.o.Target == Systemd {
		return "the credential " + secrets.CredentialNames[env] + " (run deploy again then: the unit loads it)"
	}
	return "the file " + env + secrets.FileSuffix + " names (run deploy again then: the entry names it)"
}

// systemdDuration writes a duration as a unit's time span: 2h, 90min, 45s.
func systemdDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dmin", d/time.Minute)
	}
	return fmt.Sprintf("%ds", (d+time.Second-1)/time.Second)
}

func (b *builder) serviceUnit(bin, u string) string {
	p := b.plan
	var w strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&w, format+"\n", a...) }
	exec := []string{execPath(bin)}
	exec = append(exec, runArgs...)
	line("# One run of the Secoda pipeline %s in %s: written by `secoda-workbench deploy systemd`.", p.PipelineName, p.Dir)
	line("# %s.timer starts it. It holds no secret: the run reads them from the unit's credentials.", b.name)
	line("[Unit]")
	line("Description=secoda-workbench: load the Secoda workspace (%s)", unitPath(p.PipelineName))
	line("Documentation=https://%s", strings.TrimSuffix(ModulePath, "/cmd/secoda-workbench"))
	line("Wants=network-online.target")
	line("After=network-online.target")
	line("")
	line("[Service]")
	line("Type=oneshot")
	line("User=%s", u)
	line("WorkingDirectory=%s", unitPath(p.Dir))
	line("# Exit status: 0 loaded (or nothing new), 1 failed, 2 bad usage, 3 loaded but incomplete, 4 the key")
	line("# rejected or missing, 5 in use: all but 0 mark the run failed.")
	line("ExecStart=%s", strings.Join(exec, " "))
	line("TimeoutStartSec=%s", systemdDuration(b.timeout))
	line("SyslogIdentifier=%s", b.name)
	line("")
	line("# The secrets, as $CREDENTIALS_DIRECTORY/<name>, which the run reads (systemd-creds encrypt;")
	line("# LoadCredential=NAME:/etc/credstore/%s/NAME reads a root-only file instead).", b.name)
	for _, s := range b.secrets {
		line("LoadCredentialEncrypted=%s:%s/%s/%s", s.Credential(), credstore, b.name, s.Credential())
	}
	line("")
	line("# Hardening: the run reads the network and writes the project folder, and nothing else.")
	line("NoNewPrivileges=yes")
	line("ProtectSystem=strict")
	line("ReadWritePaths=%s", unitListPath(p.Dir))
	// ProtectHome= would hide a project (or binary) in a home folder: an empty /home
	// instead, with just those bound back in.
	if underHome(p.Dir) || underHome(bin) {
		line("ProtectHome=tmpfs")
		if underHome(p.Dir) {
			line("BindPaths=%s", unitListPath(p.Dir))
		}
		if underHome(bin) {
			line("BindReadOnlyPaths=%s", unitListPath(filepath.Dir(bin)))
		}
	} else {
		line("ProtectHome=yes")
	}
	line("PrivateTmp=yes")
	line("PrivateDevices=yes")
	line("ProtectKernelTunables=yes")
	line("ProtectKernelModules=yes")
	line("ProtectKernelLogs=yes")
	line("ProtectControlGroups=yes")
	line("ProtectClock=yes")
	line("ProtectHostname=yes")
	line("ProtectProc=invisible")
	line("RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6")
	line("RestrictNamespaces=yes")
	line("RestrictRealtime=yes")
	line("RestrictSUIDSGID=yes")
	line("LockPersonality=yes")
	line("MemoryDenyWriteExecute=yes")
	line("RemoveIPC=yes")
	line("SystemCallArchitectures=native")
	line("SystemCallFilter=@system-service")
	line("SystemCallErrorNumber=EPERM")
	line("CapabilityBoundingSet=")
	line("AmbientCapabilities=")
	line("UMask=0077")
	return w.String()
}

func (b *builder) timerUnit() string {
	var w strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&w, format+"\n", a...) }
	line("# When the Secoda pipeline %s runs: written by `secoda-workbench deploy systemd`.", b.plan.PipelineName)
	line("[Unit]")
	line("Description=secoda-workbench: load the Secoda workspace (%s) on schedule %s, UTC", unitPath(b.plan.PipelineName), unitPath(b.scheduleText()))
	line("")
	line("[Timer]")
	line("# The cron schedule %s, in UTC.", b.o.Schedule.Cron())
	for _, c := range b.o.Schedule.OnCalendar() {
		line("OnCalendar=%s", c)
	}
	line("# A run missed while the machine was off runs when it is back.")
	line("Persistent=true")
	line("Unit=%s.service", b.name)
	line("")
	line("[Install]")
	line("WantedBy=timers.target")
	return w.String()
}

var userRe = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_.-]*$`)
