package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/filelock"
	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
	"github.com/secoda-workbench/secoda-workbench/pipeline/loadpkg"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
)

// ErrInterruptedRun is a run refused because an interrupted run of other resources or
// options waits in the work folder: resuming it with these would mix two runs.
var ErrInterruptedRun = errors.New("an interrupted run is waiting to be resumed")

// runHeader is the first line of a load package's journal: the run that builds it, so
// that only the same run resumes it.
type runHeader struct {
	LoadID    string    `json:"load_id"`
	StartedAt time.Time `json:"started_at"`
	// Fingerprint is of everything that decides what is read and how it is loaded:
	// the destination, the selected resources' settings, the run's options.
	Fingerprint string `json:"fingerprint"`
	// BaseState is the version of the pipeline state the run started from: a load in
	// between makes the package stale.
	BaseState int64    `json:"base_state"`
	Resources []string `json:"resources"`
	Options   string   `json:"options,omitempty"`
	// Discarded says why an interrupted run's package was thrown away, if one was.
	Discarded string `json:"-"`
}

func resourceNames(rs []Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}

// runOptions is how a run's options read on a command line, for messages.
func runOptions(opts RunOptions) string {
	var parts []string
	if opts.MaxPages > 0 {
		parts = append(parts, fmt.Sprintf("--max-pages %d", opts.MaxPages))
	}
	if opts.FullRefresh {
		parts = append(parts, "--full-refresh")
	}
	return strings.Join(parts, " ")
}

// runFingerprint identifies what a run reads and loads.
func runFingerprint(plan *Plan, resources []Resource, opts RunOptions) string {
	type res struct {
		Name, Endpoint, Disposition, Key, Cursor, Filter, Sort, Params string
		Contract                                                       any
		Nesting, PageCap                                               int
	}
	v := struct {
		Pipeline, Dataset, Destination string
		Cap, MaxPages                  int
		FullRefresh                    bool
		Resources                      []res
	}{plan.PipelineName, plan.DatasetName, plan.Destination(plan.Dir), plan.CatalogCap, opts.MaxPages, opts.FullRefresh, nil}
	for _, r := range resources {
		v.Resources = append(v.Resources, res{r.Name, r.Endpoint.Name, string(r.Disposition), r.PrimaryKey, r.Cursor, r.Filter, r.Sort,
			r.Params.Encode(), r.Contract, r.MaxNesting, r.PageCap})
	}
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// openPackage resumes the package an interrupted run left in the work folder, when it
// is this run's, or starts a new one. h is filled with the package's load id (the
// interrupted run's, when resumed).
func openPackage(work projectfs.Root, h *runHeader, opts RunOptions) (*loadpkg.Writer, *loadpkg.Journal, error) {
	h.Options = runOptions(opts)
	packages, err := work.MkdirAll(packagesName, 0o755)
	if err != nil {
		return nil, nil, err
	}
	dirs, err := packageDirs(packages)
	if err != nil {
		return nil, nil, err
	}
	// The newest is the one to resume; older ones are leftovers.
	for i, dir := range dirs {
		if i < len(dirs)-1 {
			_ = os.RemoveAll(dir)
			continue
		}
		j, err := loadpkg.ReadJournal(dir)
		var old runHeader
		if err == nil && j.Header != nil {
			err = json.Unmarshal(j.Header, &old)
		}
		switch {
		case err != nil || j.Header == nil:
			h.Discarded = "an interrupted run left a load package without a journal: it was discarded"
		case old.Fingerprint != h.Fingerprint:
			if pages := spooledPages(j); pages > 0 {
				return nil, nil, fmt.Errorf("%w: the run of %s (resources %s%s) had read %d pages when it stopped, and this run is for %s%s; "+
					"run with the same resources and options to go on with it, or with --restart to discard it (%s)",
					ErrInterruptedRun, old.StartedAt.Local().Format("2006-01-02 15:04:05"), strings.Join(old.Resources, ", "), optionsSuffix(old.Options),
					pages, strings.Join(h.Resources, ", "), optionsSuffix(h.Options), dir)
			}
			h.Discarded = "an interrupted run with other settings had read nothing yet: it was discarded"
		case old.BaseState != h.BaseState:
			h.Discarded = fmt.Sprintf("the dataset was loaded again after the interrupted run of %s began, so what it had read was discarded",
				old.StartedAt.Local().Format("2006-01-02 15:04:05"))
		default:
			w, j, err := loadpkg.Resume(dir)
			if err != nil {
				return nil, nil, fmt.Errorf("resuming the interrupted run in %s: %w (run again with --restart to start over)", dir, err)
			}
			h.LoadID, h.StartedAt = old.LoadID, old.StartedAt
			return w, j, nil
		}
		if err := os.RemoveAll(dir); err != nil {
			return nil, nil, err
		}
	}
	h.LoadID = newLoadID(time.Now())
	w, err := loadpkg.Create(filepath.Join(packages.Dir(), h.LoadID))
	if err != nil {
		return nil, nil, err
	}
	if err := w.Header(h); err != nil {
		_ = w.Abort()
		return nil, nil, err
	}
	return w, nil, nil
}

func optionsSuffix(o string) string {
	if o == "" {
		return ""
	}
	return ", " + o
}

// packageDirs lists the load packages in the work folder, oldest first (load ids are
// times). Only folders count: a link there is not a package (and is never followed).
func packageDirs(packages projectfs.Root) ([]string, error) {
	des, err := packages.ReadDir(".")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, de := range des {
		if de.IsDir() {
			out = append(out, filepath.Join(packages.Dir(), de.Name()))
		}
	}
	slices.SortFunc(out, func(a, b string) int { return compareCursor(filepath.Base(a), filepath.Base(b)) })
	return out, nil
}

// spooledPages counts the pages of data an interrupted run's journal holds.
func spooledPages(j *loadpkg.Journal) int {
	n := 0
	for _, notes := range j.Notes {
		if len(notes) == 0 {
			continue
		}
		var last note
		if json.Unmarshal(notes[len(notes)-1], &last) == nil {
			n += last.Pages
		}
	}
	return n
}

// journalRequests is how many requests an interrupted run had made.
func journalRequests(j *loadpkg.Journal) int64 {
	var n int64
	for _, notes := range j.Notes {
		for _, raw := range notes {
			var nt struct {
				Requests int64 `json:"requests"`
			}
			if json.Unmarshal(raw, &nt) == nil {
				n = max(n, nt.Requests)
			}
		}
	}
	return n
}

// UnfinishedRun is a run whose load package is in the work folder: one in progress, or
// one interrupted, which the next run goes on with.
type UnfinishedRun struct {
	LoadID    string             `json:"load_id"`
	StartedAt time.Time          `json:"started_at"`
	Running   bool               `json:"running" jsonschema:"a run is extracting or loading now"`
	Complete  bool               `json:"complete" jsonschema:"every page was read; the load itself had not committed"`
	Options   string             `json:"options,omitempty"`
	Requests  int64              `json:"requests"`
	Resources []ResourceProgress `json:"resources"`
	Next      string             `json:"next" jsonschema:"what to do about it"`
}

// ResourceProgress is how far a resource of an unfinished run got.
type ResourceProgress struct {
	Name           string `json:"name"`
	Done           bool   `json:"done"`
	Pages          int    `json:"pages" jsonschema:"pages of records spooled"`
	PlanPages      int    `json:"plan_pages,omitempty" jsonschema:"pages read to plan partitions"`
	Records        int64  `json:"records"`
	Partitions     int    `json:"partitions,omitempty" jsonschema:"partitions known so far"`
	PartitionsDone int    `json:"partitions_done,omitempty"`
}

// Unfinished reports the run in progress, or the interrupted one waiting to be resumed;
// nil when there is none. It reads the work folder only.
func Unfinished(plan *Plan) (*UnfinishedRun, error) {
	work, err := workFolder(plan, false)
	var packages projectfs.Root
	if err == nil {
		packages, err = work.Sub(packagesName)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	dirs, err := packageDirs(packages)
	if err != nil || len(dirs) == 0 {
		return nil, err
	}
	dir := dirs[len(dirs)-1]
	j, err := loadpkg.ReadJournal(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var h runHeader
	if j.Header == nil || json.Unmarshal(j.Header, &h) != nil {
		return nil, nil
	}
	u := &UnfinishedRun{LoadID: h.LoadID, StartedAt: h.StartedAt, Options: h.Options, Complete: j.Complete,
		Running: filelock.Held(filepath.Join(work.Dir(), filepath.Base(lockFile(plan)))), Requests: journalRequests(j)}
	for _, name := range h.Resources {
		rp := ResourceProgress{Name: name}
		if notes := j.Notes[name]; len(notes) > 0 {
			var last note
			if json.Unmarshal(notes[len(notes)-1], &last) == nil {
				rp.Done, rp.Pages, rp.Records = last.Done != nil, last.Pages, last.Records
				rp.PlanPages, rp.Partitions, rp.PartitionsDone = last.Progress.PlanPages, last.Progress.Partitions, last.Progress.Done
			}
		}
		u.Resources = append(u.Resources, rp)
	}
	switch {
	case u.Running:
		u.Next = "a run is in progress: wait for it (`secoda-workbench status` shows how far it got)"
	case u.Complete:
		u.Next = "every page was read but the load did not commit: `secoda-workbench run` loads it without reading Secoda again"
	default:
		opts := ""
		if h.Options != "" {
			opts = " " + h.Options
		}
		u.Next = fmt.Sprintf("interrupted: `secoda-workbench run%s` goes on from the last page spooled; `run --restart` discards it", opts)
	}
	return u, nil
}

// Summary is the unfinished run in a line.
func (u *UnfinishedRun) Summary() string {
	var pages int
	var records int64
	done := 0
	for _, r := range u.Resources {
		pages += r.Pages
		records += r.Records
		if r.Done {
			done++
		}
	}
	state := "interrupted"
	if u.Running {
		state = "in progress"
	}
	return fmt.Sprintf("run of %s %s: %d of %d resources read, %d pages and %d records spooled, %d requests",
		u.StartedAt.Local().Format("2006-01-02 15:04:05"), state, done, len(u.Resources), pages, records, u.Requests)
}

// IncompleteParts lists, per resource, the partitions of its plan that the last load
// could not read whole.
func (s *State) IncompleteParts() map[string][]partition.Incomplete {
	out := map[string][]partition.Incomplete{}
	for name, rs := range s.Sources[s.source].Resources {
		if inc := rs.Partitions.IncompleteParts(); len(inc) > 0 {
			out[name] = inc
		}
	}
	return out
}

// Health is what the loads alone do not tell of a pipeline: a run in progress or
// interrupted, the partitions the last load could not read whole, and how many
// partitions each split resource is read in. status, pipeline_status and the
// dashboard all show it.
type Health struct {
	Unfinished *UnfinishedRun                    `json:"unfinished,omitempty" jsonschema:"a run in progress, or an interrupted one the next run goes on with"`
	Incomplete map[string][]partition.Incomplete `json:"incomplete,omitempty" jsonschema:"per resource, the partitions the last load could not read whole: loaded as far as Secoda answers"`
	Partitions map[string]int                    `json:"partitions,omitempty" jsonschema:"per resource read past Secoda's cap, the partitions its list is read in"`
}

// ReadHealth reads the work folder and the stored state (nil before the first load).
func ReadHealth(plan *Plan, state *State) (*Health, error) {
	h := &Health{}
	u, err := Unfinished(plan)
	if err != nil {
		return nil, err
	}
	h.Unfinished = u
	if state == nil {
		return h, nil
	}
	if inc := state.IncompleteParts(); len(inc) > 0 {
		h.Incomplete = inc
	}
	for name, rs := range state.Sources[state.source].Resources {
		if rs.Partitions != nil && len(rs.Partitions.Parts) > 1 {
			if h.Partitions == nil {
				h.Partitions = map[string]int{}
			}
			h.Partitions[name] = len(rs.Partitions.Parts)
		}
	}
	return h, nil
}

// Lines is the health as lines for people, "" lines for nothing to say.
func (h *Health) Lines() []string {
	var out []string
	if h.Unfinished != nil {
		out = append(out, "Unfinished "+h.Unfinished.Summary()+". Next: "+h.Unfinished.Next+".")
	}
	for _, name := range slices.Sorted(maps.Keys(h.Incomplete)) {
		inc := h.Incomplete[name]
		out = append(out, fmt.Sprintf("INCOMPLETE: %s has %d partition(s) that could not be read whole:", name, len(inc)))
		for _, i := range inc {
			out = append(out, "  - "+i.String())
		}
	}
	return out
}
