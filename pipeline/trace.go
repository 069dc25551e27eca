package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/buildinfo"
	"github.com/secoda-workbench/secoda-workbench/internal/filelock"
	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
	"github.com/secoda-workbench/secoda-workbench/notify"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// A trace is what a run did, whatever its outcome, kept in the work folder so that a
// failed run can be looked into: `trace`, the MCP tool get_run_trace and the
// dashboard's Runs page read the same files. It is written when the run starts (as
// running) and again when it ends; a trace left running whose run no longer holds the
// lock is a run that was killed: interrupted.

// The outcomes of a run, as a trace names them.
const (
	OutcomeRunning     = "running"
	OutcomeLoaded      = "loaded"
	OutcomeUnchanged   = "unchanged"
	OutcomeIncomplete  = "incomplete"
	OutcomeFailed      = "failed"
	OutcomeCancelled   = "cancelled"
	OutcomeInterrupted = "interrupted"
)

// The steps of a run.
const (
	StepPrepare   = "prepare"   // the config, the destination, the lock, the package
	StepExtract   = "extract"   // pages read and spooled (normalizing among them)
	StepNormalize = "normalize" // the time spent normalizing, within extract
	StepLoad      = "load"
)

// Bounds of the traces kept: the last TracesKept runs, TracesBytes in all.
const (
	TracesKept  = 50
	TracesBytes = 16 << 20
	// maxTraceRetries bounds the retries a trace lists (all are counted).
	maxTraceRetries = 50
)

// TracesDirName is the work folder's folder of traces.
const TracesDirName = "traces"

// Trace is one run.
type Trace struct {
	RunID      string    `json:"run_id"`
	Outcome    string    `json:"outcome" jsonschema:"running, loaded, unchanged, incomplete, failed, cancelled or interrupted"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Seconds    float64   `json:"seconds"`
	Version    string    `json:"version" jsonschema:"secoda-workbench's version"`
	ConfigHash string    `json:"config_hash" jsonschema:"sha256 of secoda_pipeline.toml, first 12 hex digits"`
	Pipeline   string    `json:"pipeline_name"`
	Dataset    string    `json:"dataset_name"`
	// Destination names it, never with a password.
	Destination string `json:"destination"`
	// Options are what the run was asked beyond the config.
	Options string `json:"options,omitempty"`
	// Error is why the run failed (or was cancelled); nil when it did not.
	Error     *TraceError     `json:"error,omitempty"`
	Steps     []TraceStep     `json:"steps"`
	Resources []TraceResource `json:"resources"`
	// The run's requests in all, with the retries, 429s and 5xx among them.
	Requests     int64        `json:"requests"`
	Retries      int64        `json:"retries"`
	RateLimited  int64        `json:"rate_limited"`
	ServerErrors int64        `json:"server_errors"`
	RetryEvents  []TraceRetry `json:"retry_events,omitempty" jsonschema:"the first retries, each with its path, status, reason and wait"`
	Notes        []string     `json:"notes,omitempty"`
	LoadID       string       `json:"load_id,omitempty" jsonschema:"the load it committed, when it did"`
	// Notify is what the [notify] section's notification of this run did, when one was due.
	Notify *notify.Result `json:"notify,omitempty"`
}

// TraceError is a failed run's error, as an agent acts on it.
type TraceError struct {
	Kind    string `json:"kind" jsonschema:"key_rejected, no_key, no_password, rate_limited, server_failing, unreachable, bad_response, not_found, bad_request, foreign_host, pagination_loop, page_cap, contract, config, in_use, running, cancelled, destination or error"`
	Step    string `json:"step" jsonschema:"where it failed: prepare, extract or load"`
	Path    string `json:"path,omitempty" jsonschema:"the Secoda request's path, never with a key"`
	Status  int    `json:"status,omitempty" jsonschema:"the HTTP status Secoda answered"`
	Detail  string `json:"detail,omitempty" jsonschema:"what Secoda (or the network) said"`
	Message string `json:"message"`
	Next    string `json:"next" jsonschema:"what to do"`
}

// TraceStep is one step and its time.
type TraceStep struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	Failed  bool    `json:"failed,omitempty"`
}

// TraceResource is what one resource's reading met.
type TraceResource struct {
	Name           string                 `json:"name"`
	Endpoint       string                 `json:"endpoint"`
	Pages          int                    `json:"pages"`
	PlanPages      int                    `json:"plan_pages,omitempty"`
	Records        int64                  `json:"records"`
	Skipped        int64                  `json:"skipped,omitempty"`
	Partitions     int                    `json:"partitions,omitempty"`
	PartitionsDone int                    `json:"partitions_done,omitempty"`
	Incomplete     []partition.Incomplete `json:"incomplete,omitempty"`
	Retries        int64                  `json:"retries"`
	RateLimited    int64                  `json:"rate_limited"`
	WaitedSeconds  float64                `json:"waited_seconds" jsonschema:"time spent waiting out retries and 429s"`
	Done           bool                   `json:"done"`
	Unchanged      bool                   `json:"unchanged,omitempty"`
}

// TraceRetry is one retry: the request that failed and the wait before the next try.
type TraceRetry struct {
	Path    string  `json:"path"`
	Status  int     `json:"status,omitempty"`
	Reason  string  `json:"reason"`
	Attempt int     `json:"attempt"`
	Wait    float64 `json:"wait_seconds"`
}

// tracer builds a run's trace as the run goes, and writes it.
type tracer struct {
	mu        sync.Mutex
	t         Trace
	step      string
	stepStart time.Time
	work      projectfs.Root
	haveWork  bool
	redactor  *secrets.Redactor
	endpoints map[string]string // endpoint path → resource
	normalize func() time.Duration
	requests  func() int64 // the run's requests so far, once its client exists
	written   time.Time    // when the trace was last written
}

// newTracer starts the trace of a run of plan.
func newTracer(plan *Plan, opts RunOptions, resources []Resource) *tracer {
	now := time.Now()
	r := &secrets.Redactor{}
	r.Add(opts.APIKey)
	r.Add(opts.DestinationPassword)
	r.Add(opts.NotifyURL)
	tr := &tracer{redactor: r, step: StepPrepare, stepStart: now, endpoints: map[string]string{},
		t: Trace{RunID: newLoadID(now), Outcome: OutcomeRunning, StartedAt: now, Version: buildinfo.Version(),
			ConfigHash: configHash(plan.File), Pipeline: plan.PipelineName, Dataset: plan.DatasetName,
			Destination: plan.Destination(plan.Dir), Options: runOptions(opts), Steps: []TraceStep{}, Resources: []TraceResource{}}}
	for _, res := range resources {
		tr.t.Resources = append(tr.t.Resources, TraceResource{Name: res.Name, Endpoint: res.Endpoint.Path})
		tr.endpoints[strings.SplitN(res.Endpoint.Path, "{", 2)[0]] = res.Name
	}
	return tr
}

// configHash is the config file's sha256, its first 12 hex digits ("" if unreadable).
func configHash(file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// begin ends the step in progress and starts the next.
func (tr *tracer) begin(step string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.endStep(false)
	tr.step, tr.stepStart = step, time.Now()
}

func (tr *tracer) endStep(failed bool) {
	if tr.step == "" {
		return
	}
	tr.t.Steps = append(tr.t.Steps, TraceStep{Name: tr.step, Seconds: time.Since(tr.stepStart).Seconds(), Failed: failed})
	tr.step = ""
}

// resource is the trace of a resource, by name.
func (tr *tracer) resource(name string) *TraceResource {
	for i := range tr.t.Resources {
		if tr.t.Resources[i].Name == name {
			return &tr.t.Resources[i]
		}
	}
	return nil
}

// TraceEvery is how often a running run's trace is written again, as its pages come:
// `trace --last` on a long run shows how far it has got.
var TraceEvery = 5 * time.Second

// observe takes a progress event of the run, and writes the trace again when
// TraceEvery has passed since it was last written.
func (tr *tracer) observe(p Progress) {
	tr.mu.Lock()
	due := tr.haveWork && time.Since(tr.written) >= TraceEvery
	tr.observeLocked(p)
	tr.mu.Unlock()
	if due {
		tr.write()
	}
}

func (tr *tracer) observeLocked(p Progress) {
	if p.Retry != nil {
		e := p.Retry
		tr.t.Retries++
		if e.Status == 429 {
			tr.t.RateLimited++
		}
		if len(tr.t.RetryEvents) < maxTraceRetries {
			tr.t.RetryEvents = append(tr.t.RetryEvents, TraceRetry{Path: tr.redactor.Redact(e.Path), Status: e.Status, Reason: e.Reason, Attempt: e.Attempt, Wait: e.Wait.Seconds()})
		}
		if r := tr.resourceOfPath(e.Path); r != nil {
			r.Retries++
			if e.Status == 429 {
				r.RateLimited++
			}
			r.WaitedSeconds += e.Wait.Seconds()
		}
		return
	}
	if r := tr.resource(p.Resource); r != nil {
		r.Pages, r.Records, r.Skipped, r.Partitions, r.PartitionsDone, r.Done = p.Pages, p.Records, p.Skipped, p.Partitions, p.PartitionsDone, p.Done
	}
}

// resourceOfPath is the resource whose endpoint a request's path asks, the longest match.
func (tr *tracer) resourceOfPath(path string) *TraceResource {
	best, name := 0, ""
	for prefix, r := range tr.endpoints {
		if strings.Contains(path, "/"+prefix) && len(prefix) > best {
			best, name = len(prefix), r
		}
	}
	return tr.resource(name)
}

// start writes the trace as running, in the work folder.
func (tr *tracer) start(work projectfs.Root) {
	tr.mu.Lock()
	tr.work, tr.haveWork = work, true
	tr.mu.Unlock()
	tr.write()
}

// finish records how the run ended and writes the trace; the trace's own failure to
// be written is a note of the run's, never its error.
func (tr *tracer) finish(ctx context.Context, plan *Plan, info *LoadInfo, err error) {
	tr.mu.Lock()
	now := time.Now()
	tr.t.FinishedAt, tr.t.Seconds = now, now.Sub(tr.t.StartedAt).Seconds()
	failedStep := tr.step
	tr.endStep(err != nil)
	if tr.normalize != nil {
		if d := tr.normalize(); d > 0 {
			tr.t.Steps = append(tr.t.Steps, TraceStep{Name: StepNormalize, Seconds: d.Seconds()})
		}
	}
	switch {
	case err == nil && info != nil:
		tr.t.Outcome = info.Status()
		if info.Loaded {
			tr.t.LoadID = info.LoadID
		}
		tr.t.Requests, tr.t.Retries, tr.t.RateLimited, tr.t.ServerErrors = info.Requests, info.Retries, info.RateLimited, info.ServerErrors
		tr.t.Notes = info.Notes
		for _, ri := range info.Resources {
			if r := tr.resource(ri.Name); r != nil {
				r.Pages, r.PlanPages, r.Records, r.Skipped, r.Partitions = ri.Pages, ri.PlanPages, ri.Records, ri.Skipped, ri.Partitions
				r.Incomplete, r.Unchanged, r.Done = ri.Incomplete, ri.Unchanged, true
			}
		}
	default:
		tr.t.Outcome = OutcomeFailed
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			tr.t.Outcome = OutcomeCancelled
		}
		tr.t.Error = traceError(err, failedStep)
		if tr.requests != nil {
			tr.t.Requests = tr.requests()
		}
	}
	tr.mu.Unlock()
	tr.write()
}

// snapshot is the trace as it stands, with outcome and what info knows so far, as
// redacted JSON: what a load keeps in _workbench_runs (the load's own time is its row's
// finished_at less started_at).
func (tr *tracer) snapshot(outcome string, info *LoadInfo) string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	t := tr.t
	t.Outcome, t.LoadID = outcome, info.LoadID
	t.Requests, t.Retries, t.RateLimited, t.ServerErrors = info.Requests, info.Retries, info.RateLimited, info.ServerErrors
	b, err := json.Marshal(t)
	if err != nil {
		return ""
	}
	return tr.redactor.Redact(string(b))
}

// DescribeError is err as a trace keeps it, for an error of a run that left no trace.
func DescribeError(err error, step string) *TraceError { return traceError(err, step) }

// traceError is err as a trace keeps it: its kind, where, Secoda's words and the next
// step.
func traceError(err error, step string) *TraceError {
	te := &TraceError{Kind: "error", Step: step, Message: err.Error()}
	var se *secoda.Error
	if errors.As(err, &se) {
		te.Path, te.Status, te.Detail, te.Next = se.Path, se.Status, se.Detail, se.Hint
	}
	var ce *normalize.ContractError
	var cfg *ConfigError
	var cfgs ConfigErrors
	for _, k := range []struct {
		kind  string
		match bool
		next  string
	}{
		{"cancelled", errors.Is(err, context.Canceled), "run again: it goes on from the last page read (--restart starts over)"},
		{"key_rejected", errors.Is(err, secoda.ErrKeyRejected), "check the key: `secoda-workbench secrets status`; set a new one with `secrets set`"},
		{"no_key", errors.Is(err, secrets.ErrNoKey), "set " + secoda.EnvAPIKey + " (or " + secoda.EnvAPIKey + secrets.FileSuffix + ", a file holding it) where the pipeline runs, or run `secoda-workbench secrets set`"},
		{"no_password", errors.Is(err, secrets.ErrNoPassword), "set " + secrets.EnvDestinationPassword + " (or " + secrets.EnvDestinationPassword + secrets.FileSuffix + ") where the pipeline runs, or run `secoda-workbench secrets set --destination`"},
		{"rate_limited", errors.Is(err, secoda.ErrRateLimited), "lower [source] rate_limit, and run again: it goes on from the last page read"},
		{"server_failing", errors.Is(err, secoda.ErrServerFailing), "Secoda kept failing: run again later; it goes on from the last page read"},
		{"unreachable", errors.Is(err, secoda.ErrUnreachable), "check the network and [source] base_url (or SECODA_API_URL), then run again"},
		{"bad_response", errors.Is(err, secoda.ErrBadResponse), "check [source] base_url: it must be the API, not the web app"},
		{"not_found", errors.Is(err, secoda.ErrNotFound), "the endpoint or resource is gone: check the resource's endpoint in secoda_pipeline.toml"},
		{"bad_request", errors.Is(err, secoda.ErrBadRequest), "Secoda refused the request: check the resource's filter, sort and params"},
		{"foreign_host", errors.Is(err, secoda.ErrForeignHost), "Secoda sent a link to another host, which was not followed: check [source] base_url"},
		{"pagination_loop", errors.Is(err, secoda.ErrPaginationLoop), "Secoda's pages loop: report it; the run stopped rather than read for ever"},
		{"page_cap", errors.Is(err, secoda.ErrPageCap), "raise the resource's page_cap in secoda_pipeline.toml if the list is that long"},
		{"contract", errors.As(err, &ce), "set the resource's schema_contract to evolve, discard_row or discard_value, or fix the source"},
		{"config", errors.As(err, &cfg) || errors.As(err, &cfgs), "fix secoda_pipeline.toml where the message says: `secoda-workbench validate`"},
		{"in_use", errors.Is(err, dest.ErrInUse), "wait for the other process to release the dataset, then run again"},
		{"running", errors.Is(err, ErrRunning), "another run of this pipeline is going on: wait for it (`secoda-workbench status`)"},
		{"interrupted_run", errors.Is(err, ErrInterruptedRun), "run with the same resources and options to go on, or with --restart to discard it"},
	} {
		if k.match {
			te.Kind = k.kind
			if te.Next == "" {
				te.Next = k.next
			}
			break
		}
	}
	if te.Kind == "error" && step == StepLoad {
		te.Kind = "destination"
		te.Next = "fix the destination (the message says how), then run again: the extracted package is loaded without reading Secoda again"
	}
	if te.Next == "" {
		te.Next = "read the message; once fixed, run again: it goes on from the last page read"
	}
	return te
}

// write puts the trace in the work folder (redacted: no key or password, whatever an
// error echoed) and keeps the folder within TracesKept and TracesBytes.
func (tr *tracer) write() {
	tr.mu.Lock()
	if !tr.haveWork {
		tr.mu.Unlock()
		return
	}
	b, err := json.MarshalIndent(tr.t, "", "  ")
	work := tr.work
	name := tr.t.RunID + ".json"
	tr.written = time.Now()
	tr.mu.Unlock()
	if err != nil {
		return
	}
	b = []byte(tr.redactor.Redact(string(b)))
	traces, err := work.MkdirAll(TracesDirName, 0o755)
	if err != nil {
		return
	}
	if err := traces.WriteFile(name, b, 0o600); err != nil {
		return
	}
	pruneTraces(traces)
}

// pruneTraces deletes the oldest traces past TracesKept, or past TracesBytes in all.
func pruneTraces(traces projectfs.Root) {
	entries, err := traces.ReadDir(".")
	if err != nil {
		return
	}
	type file struct {
		name string
		size int64
	}
	var files []file
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && traceName(e.Name()) {
			files = append(files, file{e.Name(), info.Size()})
		}
	}
	slices.SortFunc(files, func(a, b file) int { return compareCursor(b.name, a.name) }) // newest first
	var total int64
	for i, f := range files {
		total += f.size
		if i >= TracesKept || total > TracesBytes && i > 0 {
			_ = traces.Remove(f.name)
		}
	}
}

// traceName reports whether a file name is a trace's: <run id>.json.
func traceName(name string) bool {
	id, ok := strings.CutSuffix(name, ".json")
	return ok && id != "" && strings.Trim(id, "0123456789.") == ""
}

// Traces are the project's traces, newest first, the most newest (0: all), each read
// whole: a trace left running whose run no longer holds the lock is shown as
// interrupted. Only the files asked for are read: the overview, which wants 10, does
// not read 50.
func Traces(plan *Plan, most int) ([]Trace, error) {
	work, err := workFolder(plan, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	traces, err := work.Sub(TracesDirName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	entries, err := traces.ReadDir(".")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if traceName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	slices.SortFunc(names, func(a, b string) int { return compareCursor(b, a) }) // newest first
	if most > 0 && len(names) > most {
		names = names[:most]
	}
	running := filelock.Held(filepath.Join(work.Dir(), filepath.Base(lockFile(plan))))
	var out []Trace
	for _, name := range names {
		b, err := traces.ReadFile(name)
		if err != nil {
			continue
		}
		var t Trace
		if json.Unmarshal(b, &t) != nil {
			continue // a trace of another version, or cut short: not this list's to fail on
		}
		if t.Outcome == OutcomeRunning && !running {
			t.Outcome = OutcomeInterrupted
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b Trace) int { return compareCursor(b.RunID, a.RunID) })
	return out, nil
}

// ErrNoTrace is a project where no run has left a trace.
var ErrNoTrace = errors.New("no run has left a trace")

// FindTrace is the trace of a run (its id, or "" for the last one).
func FindTrace(plan *Plan, runID string) (*Trace, error) {
	most := 0
	if runID == "" {
		most = 1
	}
	traces, err := Traces(plan, most)
	if err != nil {
		return nil, err
	}
	if len(traces) == 0 {
		return nil, fmt.Errorf("%w in %s yet: run `secoda-workbench run` first", ErrNoTrace, filepath.Join(WorkDirName, TracesDirName))
	}
	if runID == "" {
		return &traces[0], nil
	}
	for i := range traces {
		if traces[i].RunID == runID || traces[i].LoadID == runID {
			return &traces[i], nil
		}
	}
	ids := make([]string, 0, min(len(traces), 5))
	for _, t := range traces[:min(len(traces), 5)] {
		ids = append(ids, t.RunID)
	}
	return nil, fmt.Errorf("no trace of run %q: the last runs are %s (`secoda-workbench trace --list` lists them all)", runID, strings.Join(ids, ", "))
}

// Text is the trace for a person or an agent: what failed first (its step, kind,
// Secoda's words and the next step), then the steps, the resources and the retries.
func (t *Trace) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run %s of %s (dataset %s in %s): %s", t.RunID, t.Pipeline, t.Dataset, t.Destination, strings.ToUpper(t.Outcome))
	if !t.FinishedAt.IsZero() {
		fmt.Fprintf(&b, " after %.1f s", t.Seconds)
	}
	fmt.Fprintf(&b, ", started %s\n", t.StartedAt.Local().Format("2006-01-02 15:04:05"))
	if e := t.Error; e != nil {
		fmt.Fprintf(&b, "Failed at %s: %s\n", e.Step, e.Kind)
		if e.Path != "" {
			fmt.Fprintf(&b, "  request: %s", e.Path)
			if e.Status != 0 {
				fmt.Fprintf(&b, " (HTTP %d)", e.Status)
			}
			b.WriteByte('\n')
		}
		if e.Detail != "" {
			fmt.Fprintf(&b, "  Secoda said: %s\n", e.Detail)
		}
		fmt.Fprintf(&b, "  error: %s\n  next: %s\n", firstLines(e.Message, 3), e.Next)
	}
	if t.Outcome == OutcomeInterrupted {
		b.WriteString("The run stopped without ending (killed, or the machine went down): the next run goes on from the last page it spooled.\n")
	}
	if t.LoadID != "" {
		fmt.Fprintf(&b, "Load %s committed.\n", t.LoadID)
	}
	b.WriteString("Steps:")
	for _, s := range t.Steps {
		fmt.Fprintf(&b, " %s %.2f s", s.Name, s.Seconds)
		if s.Failed {
			b.WriteString(" (failed)")
		}
		b.WriteByte(';')
	}
	fmt.Fprintf(&b, "\nRequests %d, retries %d, answered 429 %d, server errors %d\n", t.Requests, t.Retries, t.RateLimited, t.ServerErrors)
	for _, r := range t.Resources {
		fmt.Fprintf(&b, "- %s (%s): %d pages, %d records", r.Name, r.Endpoint, r.Pages, r.Records)
		if r.Partitions > 1 {
			fmt.Fprintf(&b, ", %d partitions", r.Partitions)
		}
		if r.Retries > 0 {
			fmt.Fprintf(&b, ", %d retries (%d answered 429), %.1f s waited", r.Retries, r.RateLimited, r.WaitedSeconds)
		}
		switch {
		case r.Unchanged:
			b.WriteString(", unchanged")
		case !r.Done:
			b.WriteString(", not read whole")
		}
		b.WriteByte('\n')
		for _, inc := range r.Incomplete {
			fmt.Fprintf(&b, "  INCOMPLETE partition %s\n", inc)
		}
	}
	for _, e := range t.RetryEvents {
		fmt.Fprintf(&b, "  retry: %s %d %s (try %d), waited %.1f s\n", e.Path, e.Status, e.Reason, e.Attempt, e.Wait)
	}
	for _, n := range t.Notes {
		fmt.Fprintf(&b, "Note: %s\n", n)
	}
	if n := t.Notify; n != nil {
		if n.Sent {
			fmt.Fprintf(&b, "Notification (%s, %s): sent in %d attempt(s)\n", n.Event, n.Format, n.Attempts)
		} else {
			fmt.Fprintf(&b, "Notification (%s, %s): NOT SENT after %d attempt(s): %s\n", n.Event, n.Format, n.Attempts, n.Error)
		}
	}
	fmt.Fprintf(&b, "Config %s, secoda-workbench %s", t.ConfigHash, t.Version)
	if t.Options != "" {
		fmt.Fprintf(&b, ", options %s", t.Options)
	}
	b.WriteByte('\n')
	return b.String()
}

// firstLines is s cut to its first n lines.
func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n  ")
}
