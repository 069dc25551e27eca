package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secoda-workbench/secoda-workbench/notify"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/loadpkg"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// ErrRunning is a run refused because another run of the pipeline holds it.
var ErrRunning = errors.New("the pipeline is running")

// WorkDirName is the folder, beside the config, where runs keep their lock and their
// load packages while they are built.
const WorkDirName = ".secoda-workbench"

// packagesName is the work folder's folder of load packages.
const packagesName = "packages"

// RunOptions are a run's inputs beyond the plan.
type RunOptions struct {
	// APIKey is the Secoda key; it goes to the client and nowhere else.
	APIKey string
	// BaseURL, when set, replaces the plan's (SECODA_API_URL, or the demo's simulator).
	BaseURL string
	// Resources limits the run to these; empty means all of the plan's.
	Resources []string
	// MaxPages stops each resource after this many pages (a development limit); a
	// resource cut short keeps its incremental cursor where it was.
	MaxPages int
	// FullRefresh drops the selected resources' tables and state first.
	FullRefresh bool
	// Restart discards what an interrupted run had spooled; without it, a run goes on
	// from where the interrupted one stopped.
	Restart bool
	// Progress, when set, is told of each page and each retry.
	Progress func(Progress)
	// HTTPClient and Logger are passed to the Secoda client.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// DestinationPassword is the destination's password (PostgreSQL), "" for none.
	DestinationPassword string
	// Client settings for tests; zero takes the client's defaults.
	BaseBackoff time.Duration
	// NotifyURL is the [notify] webhook's URL, a secret; "" when none is kept (the
	// trace then says so).
	NotifyURL string
	// NoNotify sends nothing, whatever [notify] says.
	NoNotify bool
	// Notifier sends the notification; nil takes the defaults.
	Notifier *notify.Sender
	// OnNotify, when set, is told what sending the notification did.
	OnNotify func(notify.Result)
	// OnStart, when set, is told the run's id (its trace's) as it starts.
	OnStart func(runID string)
}

// Progress is a resource's progress, sent after each page and at its end.
type Progress struct {
	Resource   string
	Pages      int
	TotalPages int // -1 when the server does not say
	Records    int64
	Skipped    int64 // records at or before the incremental cursor
	Rows       int64 // rows over all of the resource's tables; -1 when not known
	// EarlierRows are the rows of Rows an interrupted run had spooled (this run resumed it).
	EarlierRows int64
	// Partitions is how many queries the list is read in, so far; PartitionsDone how
	// many are read whole. 1 and 0 for a list read in one.
	Partitions, PartitionsDone int
	Done                       bool
	Retry                      *secoda.Event // set for a retry event instead of a page
}

// Run extracts the selected resources, normalizes them into a load package and loads
// it in one transaction. Nothing reaches the destination unless everything does. The
// package is journaled page by page: a run that is interrupted (killed, cancelled, or
// failed) leaves it for the next run, which goes on from the last page spooled.
//
// Every run that gets as far as its work folder leaves a trace there (trace.go),
// whatever its outcome.
func Run(ctx context.Context, plan *Plan, opts RunOptions) (*LoadInfo, error) {
	if err := LimitMaxPages.CheckNumber("max pages", opts.MaxPages); err != nil {
		return nil, err
	}
	resources, err := selectResources(plan, opts.Resources)
	if err != nil {
		return nil, err
	}
	return traced(ctx, plan, opts, resources, func(opts RunOptions, tr *tracer) (*LoadInfo, error) {
		return run(ctx, plan, opts, resources, tr)
	})
}

// traced runs body as a run of resources, with its trace (written when body starts it
// in the work folder, and when it ends, whatever its outcome) and, where [notify] asks,
// its notification.
func traced(ctx context.Context, plan *Plan, opts RunOptions, resources []Resource, body func(RunOptions, *tracer) (*LoadInfo, error)) (*LoadInfo, error) {
	previous := previousOutcome(plan)
	tr := newTracer(plan, opts, resources)
	if opts.OnStart != nil {
		opts.OnStart(tr.t.RunID)
	}
	progress := opts.Progress
	opts.Progress = func(p Progress) {
		tr.observe(p)
		if progress != nil {
			progress(p)
		}
	}
	info, err := body(opts, tr)
	tr.finish(ctx, plan, info, err)
	if plan.Notify != nil && !opts.NoNotify {
		tr.notify(ctx, plan.Notify, opts, info, previous)
	}
	return info, err
}

// run is Run, its trace kept by tr.
func run(ctx context.Context, plan *Plan, opts RunOptions, resources []Resource, tr *tracer) (*LoadInfo, error) {
	started := tr.t.StartedAt
	// The destination's files are checked before the work folder is made: a refusal
	// comes before anything is written.
	target, err := OpenDestination(plan, opts.DestinationPassword)
	if err != nil {
		return nil, err
	}
	work, err := workFolder(plan, true)
	if err != nil {
		return nil, err
	}
	tr.start(work)
	lock, err := lockRun(filepath.Join(work.Dir(), filepath.Base(lockFile(plan))))
	if err != nil {
		return nil, err
	}
	defer lock.release()
	if opts.Restart {
		if err := work.RemoveAll(packagesName); err != nil {
			return nil, err
		}
	}
	stored, err := target.ReadStored(ctx, plan.PipelineName, plan.SchemaName)
	if err != nil {
		return nil, fmt.Errorf("reading the pipeline's state from %s: %w", target.Location(), err)
	}
	state, err := parseState(plan, stored.State, stored.StateVersion)
	if err != nil {
		return nil, fmt.Errorf("the stored pipeline state does not parse: %w", err)
	}
	base := normalize.NewSchema()
	if stored.Schema != nil {
		base = stored.Schema.Clone()
	}
	base.Name = plan.SchemaName // a schema carried over from the old name takes the new

	loads := make([]dest.ResourceLoad, len(resources))
	var notes []string
	reloaded := false
	for i, r := range resources {
		loads[i] = dest.ResourceLoad{Name: r.Name, Disposition: string(r.Disposition), PrimaryKey: r.PrimaryKey}
		refresh := opts.FullRefresh
		if old := base.Tables[r.Name]; old != nil && r.Disposition == secoda.Merge && old.Disposition != string(secoda.Merge) {
			// Rows loaded without _dlt_root_id cannot be merged: start the resource afresh.
			refresh, reloaded = true, true
			notes = append(notes, fmt.Sprintf("%s: write disposition changed from %s to merge, so its tables were reloaded from scratch", r.Name, old.Disposition))
		}
		if refresh {
			for _, t := range base.ResourceTables(r.Name) {
				loads[i].DropTables = append(loads[i].DropTables, t.Name)
			}
			base.DropResource(r.Name)
			state.Forget(r.Name)
		}
	}

	header := runHeader{StartedAt: started, Fingerprint: runFingerprint(plan, resources, opts), BaseState: stored.StateVersion,
		Resources: resourceNames(resources)}
	pkg, journal, err := openPackage(work, &header, opts)
	if err != nil {
		return nil, err
	}
	loadID := header.LoadID
	if journal != nil {
		notes = append(notes, fmt.Sprintf("resumed the run of %s (load package %s): the pages it had spooled were not read again",
			header.StartedAt.Local().Format("2006-01-02 15:04:05"), loadID))
	} else if header.Discarded != "" {
		notes = append(notes, header.Discarded)
	}

	client, err := secoda.New(secoda.Config{
		BaseURL:           firstNonEmpty(opts.BaseURL, plan.BaseURL),
		APIKey:            opts.APIKey,
		RequestsPerMinute: plan.RequestsPerMinute,
		HTTPClient:        opts.HTTPClient,
		Logger:            opts.Logger,
		BaseBackoff:       opts.BaseBackoff,
		OnEvent: func(e secoda.Event) {
			if opts.Progress != nil {
				ev := e
				opts.Progress(Progress{Retry: &ev})
			}
		},
	})
	if err != nil {
		pkg.Close()
		return nil, err
	}

	ex := &extractor{plan: plan, opts: opts, client: client, base: base, state: state, pkg: pkg, loadID: loadID, journal: journal}
	tr.normalize = func() time.Duration { return time.Duration(ex.normalizing.Load()) }
	tr.requests = ex.requests
	tr.begin(StepExtract)
	results, err := ex.run(ctx, resources)
	if err != nil {
		pkg.Close()
		return nil, interrupted(err, pkg.Dir())
	}
	manifest, err := pkg.Finish(loadID)
	if err != nil {
		pkg.Close()
		return nil, interrupted(err, pkg.Dir())
	}

	info := &LoadInfo{
		PipelineName: plan.PipelineName, DatasetName: plan.DatasetName, DestinationType: plan.DestinationType,
		Location: location(plan), LoadID: loadID, StartedAt: started, Notes: notes, Resumed: journal != nil,
	}
	newSchema := base.Clone()
	stateChanged := opts.FullRefresh || reloaded
	if stored.LegacySchema {
		info.Notes = append(info.Notes, fmt.Sprintf("the dataset's schema and state were stored under the name %q, the name this program used before; "+
			"this load stores them under %q, the source name of dlt's Secoda pipeline, so that dlt and this program continue each other's dataset",
			normalize.LegacySchemaName, plan.SchemaName))
		stateChanged = true
	}
	skipped := map[string]bool{} // tables of unchanged resources, not loaded again
	for i, res := range results {
		newSchema.Merge(res.schema)
		if res.contentHash != "" {
			if res.contentHash == state.ContentHash(res.info.Name) {
				res.info.Unchanged = true
				loads[i].Skip = true
				for t := range res.stats.Rows {
					skipped[t] = true
				}
			} else {
				state.SetContentHash(res.info.Name, res.contentHash)
				stateChanged = true
			}
		}
		info.Resources = append(info.Resources, res.info)
		info.Notes = append(info.Notes, res.notes...)
		if !res.info.Truncated {
			if old := state.Cursor(res.info.Name, res.cursorField); res.cursorField != "" && res.newCursor != "" &&
				(old == "" || compareCursor(res.newCursor, old) > 0) { // forward only: the newest may have been deleted
				state.SetCursor(res.info.Name, res.cursorField, res.newCursor)
				stateChanged = true
			}
			if state.SetPlan(res.info.Name, res.plan) {
				stateChanged = true
			}
		}
		info.addTables(res, manifest, skipped)
	}
	st := client.Stats()
	info.Requests, info.Retries, info.RateLimited, info.ServerErrors = ex.requests(), st.Retries, st.RateLimited, st.ServerErrors
	info.ExtractDuration = time.Since(started)

	// The version and version hash as dlt bumps them: a new version only when the
	// stored form changed.
	schemaChanged := newSchema.Bump(stored.Schema)
	var total int64
	for t, n := range manifest.Rows {
		if !skipped[t] {
			total += n
		}
	}
	if total == 0 && !stateChanged && !schemaChanged {
		info.Duration = time.Since(started)
		_ = os.RemoveAll(pkg.Dir())
		return info, nil // nothing new: no load, no new state
	}
	state.Version++
	// Rows per table of this load: the tables of unchanged resources are not loaded.
	loaded := map[string]int64{}
	for t, n := range manifest.Rows {
		if !skipped[t] {
			loaded[t] = n
		}
	}
	rowsJSON, _ := json.Marshal(loaded)
	reader, err := loadpkg.Open(pkg.Dir())
	if err != nil {
		return nil, err
	}
	tr.begin(StepLoad)
	outcome := OutcomeLoaded
	if len(info.Incomplete()) > 0 {
		outcome = OutcomeIncomplete
	}
	res, err := target.Load(ctx, dest.LoadJob{
		LoadID: loadID, PipelineName: plan.PipelineName, Package: reader, Schema: newSchema, SchemaChanged: schemaChanged,
		Resources: loads, State: state.JSON(), StateVersion: state.Version,
		Run: dest.RunRecord{StartedAt: started, Records: info.records(), Requests: info.Requests, Retries: st.Retries,
			RateLimited: st.RateLimited, ServerErrors: st.ServerErrors, RowsJSON: string(rowsJSON), Trace: tr.snapshot(outcome, info)},
	})
	if err != nil {
		return nil, fmt.Errorf("loading into %s: %w (nothing was loaded; the extracted package is kept and the next run loads it without reading Secoda again)", target.Location(), err)
	}
	_ = os.RemoveAll(pkg.Dir())
	info.Loaded = true
	info.LoadDuration = res.Duration
	info.Duration = time.Since(started)
	return info, nil
}

// interrupted tells, with a failed run's error, that its pages are kept.
func interrupted(err error, dir string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w (the pages read so far are kept in %s: run again to go on from there, or with --restart to start over)", err, dir)
	}
	return fmt.Errorf("%w\n(the pages read so far are kept in %s: once that is fixed, run again to go on from there, or with --restart to start over)", err, dir)
}

// location is what dlt's LoadInfo names the destination by: duckdb:/<path>, the path
// relative to the project where it is inside it; the database URL with its password
// starred for postgres; file://<root> for the filesystem, or its bucket_url.
func location(plan *Plan) string {
	switch plan.DestinationType {
	case dest.Postgres:
		u, err := url.Parse(plan.DestinationURL)
		if err != nil {
			return plan.DestinationURL
		}
		u.RawQuery = ""
		if u.User != nil {
			u.User = url.UserPassword(u.User.Username(), "***")
		}
		return strings.Replace(u.String(), ":%2A%2A%2A@", ":***@", 1)
	case dest.Filesystem:
		if plan.IsBucket() {
			return plan.DestinationLocation() // dlt's: the bucket_url
		}
		return "file://" + filepath.ToSlash(plan.DestinationPath)
	}
	if rel, err := filepath.Rel(plan.Dir, plan.DestinationPath); err == nil && !strings.HasPrefix(rel, "..") {
		return plan.DestinationType + ":/" + filepath.ToSlash(rel)
	}
	return plan.DestinationType + "://" + filepath.ToSlash(plan.DestinationPath)
}

// newLoadID is dlt's: Unix time with microseconds, as text.
func newLoadID(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// selectResources picks the plan's resources by name, in the plan's order.
func selectResources(plan *Plan, names []string) ([]Resource, error) {
	if len(names) == 0 {
		return plan.Resources, nil
	}
	if len(names) > int(LimitResources.Max) {
		return nil, fmt.Errorf("%d resources named: a config holds %s", len(names), LimitResources.Range())
	}
	want := map[string]bool{}
	var known []string
	for _, r := range plan.Resources {
		known = append(known, r.Name)
	}
	for _, n := range names {
		if _, ok := plan.Resource(n); !ok {
			msg := fmt.Sprintf("resource %q is not in %s", shortText(n), filepath.Base(plan.File))
			if s := secoda.Suggest(n, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			return nil, fmt.Errorf("%s; it has: %v. Add it with `secoda-workbench scaffold --resources ...` or by hand", msg, known)
		}
		want[n] = true
	}
	var out []Resource
	for _, r := range plan.Resources {
		if want[r.Name] {
			out = append(out, r)
		}
	}
	return out, nil
}

// resourceResult is what one resource's extraction produced.
type resourceResult struct {
	info        ResourceInfo
	schema      *normalize.Schema
	stats       normalize.Stats
	cursorField string
	newCursor   string
	contentHash string          // of the records, for resources without a cursor
	plan        *partition.Plan // how its list was split, to keep in the state
	notes       []string
}

// extractor runs the resources concurrently within one client (one rate limit).
type extractor struct {
	plan    *Plan
	opts    RunOptions
	client  *secoda.Client
	base    *normalize.Schema
	state   *State
	pkg     spool
	loadID  string
	journal *loadpkg.Journal // an interrupted run's, when resuming
	// earlier is how many requests the interrupted run had made.
	earlier int64
	// peek, for a preview, sees what is normalized.
	peek *peeker
	// normalizing is the time spent in the normalizer, in nanoseconds, for the trace.
	normalizing atomic.Int64
}

// spool is where the normalized rows go, with the journal of each page's progress: a
// load package, or nowhere for a preview.
type spool interface {
	normalize.Sink
	Commit(resource string, note any) error
}

// requests counts this run's requests, the interrupted run's included.
func (e *extractor) requests() int64 { return e.earlier + e.client.Stats().Requests }

func (e *extractor) run(ctx context.Context, resources []Resource) ([]*resourceResult, error) {
	notes := map[string][]json.RawMessage{}
	if e.journal != nil {
		notes = e.journal.Notes
		e.earlier = journalRequests(e.journal)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	results := make([]*resourceResult, len(resources))
	sem := make(chan struct{}, max(1, e.plan.Concurrency))
	var wg sync.WaitGroup
	for i, r := range resources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			res, err := e.resource(ctx, r, notes[r.Name])
			if err != nil {
				cancel(fmt.Errorf("resource %s: %w", r.Name, err))
				return
			}
			results[i] = res
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return results, nil
}
