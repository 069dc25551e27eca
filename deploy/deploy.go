// Package deploy is `secoda-workbench deploy`: the files that run a project's pipeline
// on a schedule, unattended, on one of four schedulers: a GitHub Actions workflow, a
// systemd service with its timer, a crontab entry, or a Kubernetes CronJob with the
// ConfigMap of its config and the Dockerfile of its image.
//
// The files hold no secret, only the names of the secrets the run reads
// (SECODA_API_KEY and, as the config needs them, the destination's password and the
// notify webhook) and where the scheduler keeps them: GitHub's encrypted secrets,
// systemd's credentials, a file only its owner reads, a Kubernetes Secret. NextSteps
// says how to set each one, by name, and how to watch the first run. A destination that
// lives on the job's own machine (a DuckDB file, a local folder, a database or store on
// loopback) is refused where that machine is gone after each run.
//
// The files are written as `init --agent` writes its own (internal/changeset): planned
// first, shown as a diff, applied all or none; each carries a mark with the hash of its
// content, so that a file edited by hand is left alone unless forced and a second run
// changes nothing.
package deploy

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/buildinfo"
	"github.com/secoda-workbench/secoda-workbench/internal/changeset"
	"github.com/secoda-workbench/secoda-workbench/internal/loopback"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// Target is a scheduler deploy writes for.
type Target string

const (
	GitHubActions Target = "github-actions"
	Systemd       Target = "systemd"
	Cron          Target = "cron"
	Kubernetes    Target = "kubernetes"
)

// Targets lists them.
var Targets = []Target{GitHubActions, Systemd, Cron, Kubernetes}

// ParseTarget checks a target's name.
func ParseTarget(s string) (Target, error) {
	for _, t := range Targets {
		if string(t) == strings.ToLower(strings.TrimSpace(s)) {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown target %q: use github-actions, systemd, cron or kubernetes", s)
}

// ephemeral says the target's machine is gone after each run: nothing on its disk lasts.
func (t Target) ephemeral() bool { return t == GitHubActions || t == Kubernetes }

// The command the files install and run.
const (
	// ModulePath is what `go install` builds.
	ModulePath = "github.com/secoda-workbench/secoda-workbench/cmd/secoda-workbench"
	// DefaultBinary is where systemd and cron find the binary.
	DefaultBinary = "/usr/local/bin/secoda-workbench"
	// DefaultTimeout bounds one run.
	DefaultTimeout = 2 * time.Hour
	// DefaultServiceUser runs the systemd service when deploy runs as root.
	DefaultServiceUser = "secoda-workbench"
	// latest is the version installed when this binary's own is unknown.
	latest = "latest"
)

// runArgs are the arguments of every scheduled run: one JSON event a line, which a
// scheduler's log keeps and a log search reads.
var runArgs = []string{"run", "--log-format", "json"}

// Options say what to write.
type Options struct {
	Target   Target
	Schedule *Schedule
	// Name names the files, units and resources; "" takes DefaultName.
	Name string
	// Version is the release the files install; "" takes this binary's.
	Version string
	// Binary is the installed binary's absolute path (systemd, cron); "" takes DefaultBinary.
	Binary string
	// User runs the systemd service; "" takes the user running deploy (DefaultServiceUser for root).
	User string
	// Image is the container image (kubernetes); "" takes secoda-workbench:VERSION.
	Image string
	// Timeout bounds one run; 0 takes DefaultTimeout.
	Timeout time.Duration
	// Now is when deploy runs, for the first scheduled run in the next steps.
	Now time.Time
}

// Deployment is what deploy writes for a plan, and what the user does next.
type Deployment struct {
	Target Target
	Name   string
	// Root is the folder the edits' paths are relative to: the project, or the root of
	// the git repository a workflow must sit in.
	Root  string
	Edits []changeset.Edit
	// Notes are what the user should know of the choices made (a version that fell back).
	Notes []string
	// Next are the steps that make the deployment run, in order.
	Next []string
}

// builder carries what every target's files are made of.
type builder struct {
	plan     *pipeline.Plan
	o        Options
	name     string
	version  string
	config   []byte // the config's text, for the ConfigMap
	secrets  []secret
	notes    []string
	timeout  time.Duration
	firstRun time.Time
}

// secret is one secret the run reads: its variable and what it holds, for people.
type secret struct {
	Env  string
	What string
}

// Credential is the secret's systemd credential name (secoda-api-key).
func (s secret) Credential() string { return secrets.CredentialNames[s.Env] }

// New makes the deployment of plan for o.Target: what to write and what to do next.
// It refuses a destination that cannot outlive the job, and what the target cannot
// express (a path cron cannot quote, a schedule GitHub does not run).
func New(plan *pipeline.Plan, o Options) (*Deployment, error) {
	if o.Schedule == nil {
		s, err := ParseSchedule(DefaultSchedule)
		if err != nil {
			return nil, err
		}
		o.Schedule = s
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	b := &builder{plan: plan, o: o, timeout: o.Timeout}
	if b.timeout == 0 {
		b.timeout = DefaultTimeout
	}
	var err error
	if b.name, err = resolveName(plan, o.Name); err != nil {
		return nil, err
	}
	if b.version, err = b.resolveVersion(o.Version); err != nil {
		return nil, err
	}
	if o.Target.ephemeral() {
		if err := outlivesTheJob(plan, o.Target); err != nil {
			return nil, err
		}
	}
	b.secrets = neededSecrets(plan)
	b.firstRun = o.Schedule.Next(o.Now.UTC())
	d := &Deployment{Target: o.Target, Name: b.name, Root: plan.Dir}
	switch o.Target {
	case GitHubActions:
		err = b.github(d)
	case Systemd:
		err = b.systemd(d)
	case Cron:
		err = b.cron(d)
	case Kubernetes:
		if b.config, err = os.ReadFile(plan.File); err != nil {
			return nil, fmt.Errorf("reading the config for the ConfigMap: %w", err)
		}
		err = b.kubernetes(d)
	default:
		err = fmt.Errorf("unknown target %q", o.Target)
	}
	if err != nil {
		return nil, err
	}
	d.Notes = append(b.notes, d.Notes...)
	return d, nil
}

// DefaultName names a pipeline's files: secoda-workbench, or secoda-workbench-<name>
// for a pipeline named otherwise than the default (two pipelines on one machine or
// cluster then differ).
func DefaultName(plan *pipeline.Plan) string {
	if plan.PipelineName == "" || plan.PipelineName == pipeline.DefaultPipelineName {
		return "secoda-workbench"
	}
	return truncateName("secoda-workbench-" + slug(plan.PipelineName))
}

// maxName keeps a name a CronJob takes (52 characters: its Jobs add 11), and so a unit,
// a file and a workflow too.
const maxName = 52

var nameRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

func resolveName(plan *pipeline.Plan, name string) (string, error) {
	if name == "" {
		return DefaultName(plan), nil
	}
	if len(name) > maxName || !nameRe.MatchString(name) {
		return "", flagErrorf("--name %q: give lowercase letters, digits and dashes, starting and ending with a letter or digit, at most %d characters "+
			"(it names files, systemd units and Kubernetes resources)", name, maxName)
	}
	return name, nil
}

// slug is a name in lowercase letters, digits and single dashes.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

func truncateName(s string) string {
	if len(s) > maxName {
		s = s[:maxName]
	}
	return strings.TrimRight(s, "-")
}

// versionRe is what `go install …@VERSION` takes that names one release: a semantic
// version (a pseudo-version too), or a commit.
var versionRe = regexp.MustCompile(`^(v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?|[0-9a-f]{7,40})$`)

// resolveVersion is the release to install: --version, or this binary's own. A build
// from a work tree ("dev") or with local changes (+dirty) names no release: the files
// then install the latest, and the notes say to pin one.
func (b *builder) resolveVersion(flag string) (string, error) {
	if flag != "" {
		if flag != latest && !versionRe.MatchString(flag) {
			return "", flagErrorf("--version %q: give a release, e.g. v1.2.3 (or a commit, or latest)", flag)
		}
		if flag == latest {
			b.notes = append(b.notes, "The files install the latest release at every build, so a run may change version unannounced: pin one with --version vX.Y.Z.")
		}
		return flag, nil
	}
	v := buildinfo.Version()
	if versionRe.MatchString(v) {
		return v, nil
	}
	b.notes = append(b.notes, fmt.Sprintf("This secoda-workbench is a %s build, which names no release: the files install the latest one. "+
		"Pin the release you tested with --version vX.Y.Z, so that a scheduled run never changes version unannounced.", v))
	return latest, nil
}

// goMinor is the Go release this binary was built with (1.26), which the workflow and
// the image build with; GOTOOLCHAIN=auto fetches a newer one if the release needs it.
func goMinor() string {
	v := strings.TrimPrefix(runtime.Version(), "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return "stable"
	}
	minor := parts[1]
	if i := strings.IndexFunc(minor, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minor = minor[:i]
	}
	return parts[0] + "." + minor
}

// neededSecrets are the secrets a run of plan reads, in the order the next steps name them.
func neededSecrets(plan *pipeline.Plan) []secret {
	out := []secret{{secoda.EnvAPIKey, "the Secoda API key"}}
	if pipeline.TakesPassword(plan) {
		what := pipeline.PasswordName(plan) + ", for " + plan.DestinationLocation()
		if plan.DestinationType == dest.Postgres {
			what = "the PostgreSQL password of " + plan.DestinationLocation()
		}
		out = append(out, secret{secrets.EnvDestinationPassword, what})
	}
	if plan.Notify != nil {
		out = append(out, secret{secrets.EnvNotifyURL, "the [notify] webhook's URL"})
	}
	return out
}

// cloudChain is what a bucket destination's own credential chain needs, when the
// config names no static key: the variables a scheduler sets, as secrets.
type cloudChain struct {
	scheme string
	// envSecrets are the chain's variables that hold a secret, set from the
	// scheduler's secrets (an S3-compatible store's key, Azure's connection string).
	envSecrets []string
	// federated is a cloud a GitHub workflow logs in to with OpenID Connect (AWS, Google).
	federated bool
}

// chain is the bucket's credential chain, or nil when the destination needs none
// (not a bucket, a static key kept as the destination's password, an emulator).
func chain(plan *pipeline.Plan) *cloudChain {
	if !plan.IsBucket() || pipeline.TakesPassword(plan) {
		return nil
	}
	c := &cloudChain{scheme: plan.Bucket.Location.Scheme}
	switch c.scheme {
	case bucket.S3:
		if plan.Bucket.EndpointURL != "" { // an S3-compatible store: its own keys
			c.envSecrets = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
		} else {
			c.federated = true
		}
	case bucket.GCS:
		if plan.Bucket.EndpointURL != "" {
			return nil // an emulator or private endpoint: anonymous
		}
		c.federated = true
	case bucket.Azure:
		c.envSecrets = []string{"AZURE_STORAGE_CONNECTION_STRING"}
	}
	return c
}

// FlagError is an option deploy cannot use as given (a name, a version, a path, a
// schedule the target does not run): the command line's mistake.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

func flagErrorf(format string, a ...any) error { return &FlagError{fmt.Errorf(format, a...)} }

// ErrEphemeral is a destination on the job's own machine, for a target whose machine is
// gone after each run.
var ErrEphemeral = errors.New("the destination does not outlive the job")

// outlivesTheJob refuses, for a runner or pod that is thrown away after each run, a
// destination that lives on that machine: a DuckDB file, a local folder (file:// too),
// and a PostgreSQL server or object store reached on loopback, which is the job's
// machine itself.
func outlivesTheJob(plan *pipeline.Plan, t Target) error {
	where := ""
	switch {
	case plan.DestinationType == dest.DuckDB || plan.DestinationType == "":
		where = "a DuckDB file (" + relTo(plan.Dir, plan.DestinationPath) + ")"
	case plan.DestinationType == dest.Filesystem && !plan.IsBucket():
		where = "a local folder (" + relTo(plan.Dir, plan.DestinationPath) + ")"
	case plan.DestinationType == dest.Postgres:
		if h := localHost(postgresHosts(plan.DestinationURL)); h != "" {
			where = "a PostgreSQL server on " + h + ", the job's own machine"
		}
	case plan.IsBucket() && plan.Bucket.EndpointURL != "":
		if u, err := url.Parse(plan.Bucket.EndpointURL); err == nil && localHost([]string{u.Hostname()}) != "" {
			where = "an object store on " + u.Hostname() + " (endpoint_url), the job's own machine"
		}
	}
	if where == "" {
		return nil
	}
	machine := "a GitHub Actions runner is a fresh machine for every run, thrown away after it"
	if t == Kubernetes {
		machine = "a CronJob's pod starts with an empty disk and its node is not the pipeline's: nothing it writes locally outlives it"
	}
	return fmt.Errorf("%w: %s loads into %s, but %s; every run would start over and its data would be lost.\n"+
		"Load into a destination that outlives the job, in [destination] of %s: PostgreSQL on a server "+
		"(`secoda-workbench scaffold --destination postgres --destination-url postgres://USER@HOST:5432/DATABASE --force` writes a fresh config), "+
		"or object storage (`secoda-workbench scaffold --destination filesystem --bucket-url s3://BUCKET/PREFIX --force`, or gs://, az://). "+
		"Or schedule it on a machine that keeps its disk: `secoda-workbench deploy systemd` or `secoda-workbench deploy cron`",
		ErrEphemeral, plan.PipelineName, where, machine, pipeline.ConfigFileName)
}

// postgresHosts are the hosts a PostgreSQL URL names (a list, for a failover URL).
func postgresHosts(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	for _, h := range strings.Split(u.Host, ",") {
		out = append(out, (&url.URL{Host: h}).Hostname())
	}
	if hosts := u.Query()["host"]; len(hosts) > 0 {
		out = append(out, strings.Split(strings.Join(hosts, ","), ",")...)
	}
	return out
}

// localHost is the first of hosts that is the machine itself: localhost and its
// subdomains, a loopback or unspecified address, a Unix socket's folder, or none at all
// (PostgreSQL's default, the local socket).
func localHost(hosts []string) string {
	for _, h := range hosts {
		ip := strings.Trim(h, "[]")
		switch {
		case h == "":
			return "the local socket"
		case strings.HasPrefix(h, "/") || strings.HasPrefix(h, "@"):
			return h + " (a Unix socket)"
		case loopback.Host(h), strings.HasSuffix(strings.ToLower(h), ".localhost"):
			return h
		}
		if addr := net.ParseIP(ip); addr != nil && addr.IsUnspecified() {
			return h
		}
	}
	return ""
}

func relTo(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return path
}

// defaultUser runs the systemd service: the user running deploy, who owns the project
// (and so reads what the runs write), or a user of its own for root.
func defaultUser() string {
	u, err := user.Current()
	if err != nil || u.Uid == "0" || u.Username == "" {
		return DefaultServiceUser
	}
	return u.Username
}

// --- Managed files --------------------------------------------------------------------

const markFormat = "# managed by `secoda-workbench deploy`%s (sha256=%s): edits are kept unless deploy runs with --force"

var markRe = regexp.MustCompile("(?m)^# managed by `secoda-workbench deploy`(?: for (.*?))? \\(sha256=([0-9a-f]+)\\)[^\\n]*\\n")

// ErrEdited is a file deploy wrote that the user changed since, or a file by that
// name deploy did not write; deploy leaves it unless forced.
var ErrEdited = errors.New("edited by hand since deploy wrote it")

// ErrOtherPipeline is a workflow deploy wrote for the pipeline of another folder.
var ErrOtherPipeline = errors.New("written by deploy for another pipeline")

// managed is a file deploy owns: its content with a mark line (after the first
// markAfter lines) recording the hash of the rest, and, for a file outside the
// project, which project it is for. An existing file is replaced only when it is
// deploy's own and unedited, or when forced; never when it is another project's.
func managed(content string, markAfter int, owner string) func(old []byte, force bool) ([]byte, error) {
	return func(old []byte, force bool) ([]byte, error) {
		for_ := ""
		if owner != "" {
			for_ = " for " + owner
		}
		lines := strings.SplitAfter(content, "\n")
		markAfter = min(markAfter, len(lines))
		text := strings.Join(lines[:markAfter], "") + fmt.Sprintf(markFormat, for_, changeset.Digest(content)) + "\n" + strings.Join(lines[markAfter:], "")
		if old == nil {
			return []byte(text), nil
		}
		m := markRe.FindSubmatchIndex(old)
		if m != nil && owner != "" && m[2] >= 0 && string(old[m[2]:m[3]]) != owner {
			return nil, fmt.Errorf("%w (the one in %s): give this one another name with --name", ErrOtherPipeline, string(old[m[2]:m[3]]))
		}
		if force {
			return []byte(text), nil
		}
		if m == nil {
			return nil, fmt.Errorf("%w (it is not deploy's: it has no managed mark); move it aside, or run deploy with --force to replace it", ErrEdited)
		}
		without := string(old[:m[0]]) + string(old[m[1]:])
		if changeset.Digest(without) != string(old[m[4]:m[5]]) {
			return nil, fmt.Errorf("%w; keep your edits (and leave it), or run deploy with --force to write it afresh", ErrEdited)
		}
		return []byte(text), nil
	}
}

// yamlString quotes s for YAML: a JSON string is a YAML double-quoted scalar.
func yamlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// firstRunText is when the first scheduled run is due, in UTC; "" if never.
func (b *builder) firstRunText() string {
	if b.firstRun.IsZero() {
		return ""
	}
	return b.firstRun.Format("Mon 2006-01-02 15:04 UTC")
}

// scheduleText is the schedule as given, with its cron form when that reads otherwise.
func (b *builder) scheduleText() string {
	if c := b.o.Schedule.Cron(); c != b.o.Schedule.String() {
		return b.o.Schedule.String() + " (" + c + ")"
	}
	return b.o.Schedule.String()
}

// monitorStep is the last step of every target: watch the loads' age.
func (b *builder) monitorStep() string {
	return "Monitor: `secoda-workbench status --max-age 24h` exits 7 when the last complete load is older than that (or there is none); " +
		"run it from your monitoring (where the config and the destination are reachable) and alert on failure."
}

// checkPath refuses a path a scheduler's file cannot hold as written; a flag's path
// is a FlagError.
func checkPath(what, p string) error {
	errorf := fmt.Errorf
	if strings.HasPrefix(what, "--") {
		errorf = flagErrorf
	}
	if !filepath.IsAbs(p) {
		return errorf("%s %q: give an absolute path", what, p)
	}
	if strings.ContainsAny(p, "\n\r\x00\"\\") {
		return errorf("%s %q: a path with a newline, a quote or a backslash cannot be written safely; move it to a plainer path", what, p)
	}
	return nil
}
