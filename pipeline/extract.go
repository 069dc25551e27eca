package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/jsonv"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// note is a resource's progress, journaled in the load package with each page it
// spools: what a resumed run needs to go on where an interrupted one stopped.
type note struct {
	// Delta is the partition reader's own progress.
	Delta   json.RawMessage `json:"delta,omitempty"`
	Pages   int             `json:"pages"`
	Records int64           `json:"records"`
	Skipped int64           `json:"skipped"`
	Missing int64           `json:"missing,omitempty"`
	Cursor  string          `json:"cursor,omitempty"`
	Hash    string          `json:"hash,omitempty"`
	// Schema and Stats are the normalizer's tables and what it added (new tables and
	// columns), written only when the tables grew; Rows and the counts after them change
	// with every page.
	Schema          json.RawMessage       `json:"schema,omitempty"`
	Stats           *normalize.Stats      `json:"stats,omitempty"`
	Rows            map[string]int64      `json:"rows,omitempty"`
	Normalized      int64                 `json:"normalized,omitempty"`
	DiscardedRows   int64                 `json:"discarded_rows,omitempty"`
	DiscardedValues int64                 `json:"discarded_values,omitempty"`
	Collisions      []normalize.Collision `json:"collisions,omitempty"`
	Progress        partition.Progress    `json:"progress"`
	// Requests is how many requests the run had made by then, earlier runs' included.
	Requests int64     `json:"requests"`
	Done     *doneNote `json:"done,omitempty"`
}

// doneNote is a resource read whole: what the load needs of it.
type doneNote struct {
	Info        ResourceInfo    `json:"info"`
	Plan        *partition.Plan `json:"plan,omitempty"`
	ContentHash string          `json:"content_hash,omitempty"`
	NewCursor   string          `json:"new_cursor,omitempty"`
}

// resumed is a resource's notes folded: where its extraction stood.
type resumed struct {
	last   note
	schema *normalize.Schema
	stats  normalize.Stats
	deltas []json.RawMessage
	done   *doneNote
}

func foldNotes(notes []json.RawMessage) (*resumed, error) {
	rs := &resumed{}
	for i, raw := range notes {
		var n note
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, fmt.Errorf("the interrupted run's journal, entry %d, does not parse: %w (run again with --restart)", i+1, err)
		}
		if n.Delta != nil {
			rs.deltas = append(rs.deltas, n.Delta)
		}
		if n.Schema != nil {
			s, err := normalize.ParseSchema(n.Schema)
			if err != nil {
				return nil, fmt.Errorf("the interrupted run's journal, entry %d: %w (run again with --restart)", i+1, err)
			}
			rs.schema = s
		}
		if n.Stats != nil {
			rs.stats = *n.Stats
		}
		rs.stats.Rows, rs.stats.Records = n.Rows, n.Normalized
		rs.stats.DiscardedRows, rs.stats.DiscardedValues, rs.stats.Collisions = n.DiscardedRows, n.DiscardedValues, n.Collisions
		if n.Done != nil {
			rs.done = n.Done
		}
		rs.last = n
	}
	return rs, nil
}

// resource extracts one resource into the load package, going on from notes (the
// journal of an interrupted run) when there are any.
func (e *extractor) resource(ctx context.Context, r Resource, notes []json.RawMessage) (*resourceResult, error) {
	rs, err := foldNotes(notes)
	if err != nil {
		return nil, err
	}
	res := &resourceResult{info: ResourceInfo{Name: r.Name, Endpoint: r.Endpoint.Name}, cursorField: r.Cursor}
	if rs.done != nil {
		res.info, res.plan, res.contentHash, res.newCursor = rs.done.Info, rs.done.Plan, rs.done.ContentHash, rs.done.NewCursor
		res.schema, res.stats = normalize.NewSchema(), rs.stats
		if rs.schema != nil {
			res.schema = rs.schema
		}
		return res, nil
	}
	nopt := normalize.Options{
		Resource: r.Name, Disposition: string(r.Disposition), PrimaryKey: r.PrimaryKey, Cursor: cursorColumn(r.Cursor, e.plan.MaxIdentifierLength()),
		Contract: r.Contract, MaxNesting: r.MaxNesting, LoadID: e.loadID,
		MaxIdentifierLength: e.plan.MaxIdentifierLength(),
	}
	var norm *normalize.Normalizer
	if rs.schema != nil {
		norm = normalize.Resume(e.base, rs.schema, rs.stats, nopt, e.pkg)
	} else {
		norm = normalize.New(e.base, nopt, e.pkg)
	}
	x := &resourceExtraction{ctx: ctx, e: e, r: r, norm: norm, res: res, changes: -1}
	if r.Endpoint.Parent != "" {
		parent, _ := secoda.LookupEndpoint(r.Endpoint.Parent)
		x.idField = parent.PrimaryKey // the ids the detail path takes
	}
	x.cursor = e.state.Cursor(r.Name, r.Cursor)
	res.info.CursorBefore = x.cursor
	if len(notes) > 0 {
		res.info.Resumed = true
		res.info.Pages, res.info.Records, res.info.Skipped, res.info.Missing = rs.last.Pages, rs.last.Records, rs.last.Skipped, rs.last.Missing
		x.max = rs.last.Cursor
		x.hash.parse(rs.last.Hash)
		x.changes = norm.Changes()
		x.earlierRows = rowsOf(rs.stats)
	}
	ropt := e.readerOptions(r, rs.deltas)
	reader, err := partition.New(ropt)
	if err != nil {
		return nil, err
	}
	out, err := reader.Run(ctx, x.consume)
	if err != nil {
		return nil, err
	}
	res.plan = out.Plan
	res.info.PlanPages, res.info.Partitions, res.info.Incomplete = out.PlanPages, out.Partitions, out.Incomplete
	res.info.Truncated = out.Truncated
	res.notes = out.Notes
	if r.Cursor == "" && r.Disposition != secoda.Append && !out.Truncated {
		res.contentHash = x.hash.String()
	}
	res.schema = norm.Schema()
	res.stats = norm.Stats()
	res.info.Collisions = res.stats.Collisions
	res.newCursor = x.max
	res.info.CursorAfter = x.max
	if x.max == "" {
		res.info.CursorAfter = x.cursor
	}
	done := x.note(nil, partition.Progress{Partitions: out.Partitions, Done: out.Partitions, DataPages: out.DataPages,
		PlanPages: out.PlanPages, TotalPages: -1})
	done.Done = &doneNote{Info: res.info, Plan: res.plan, ContentHash: res.contentHash, NewCursor: res.newCursor}
	if err := e.pkg.Commit(r.Name, done); err != nil {
		return nil, err
	}
	e.report(r.Name, res, partition.Progress{Partitions: out.Partitions, Done: out.Partitions, TotalPages: -1}, rowsOf(res.stats), x.earlierRows, true)
	return res, nil
}

// readerOptions says how a resource's list is read: its own endpoint, or for
// resource_detail the list whose ids it fetches.
func (e *extractor) readerOptions(r Resource, replay []json.RawMessage) partition.Options {
	ep := r.Endpoint
	o := partition.Options{Client: e.client, Cursor: r.Cursor, Compare: compareCursor, Cap: e.plan.CatalogCap,
		PageCap: r.PageCap, MaxPages: e.opts.MaxPages, Replay: replay,
		Prior: e.state.Plan(r.Name), PriorCursor: e.state.Cursor(r.Name, r.Cursor)}
	if integ, ok := secoda.LookupEndpoint("integration"); ok {
		o.IntegrationsPath = integ.Path
	}
	if ep.Parent != "" {
		parent, _ := secoda.LookupEndpoint(ep.Parent)
		o.Path, o.Selector, o.Catalog = parent.Path, parent.Selector, parent.CatalogQuery
		return o
	}
	o.Path, o.Selector, o.Catalog = ep.Path, ep.Selector, ep.CatalogQuery
	o.Params, o.Filter, o.Sort = r.Params, r.Filter, r.Sort
	if !ep.CatalogQuery && ep.Paginated && slices.Contains(ep.Params, partition.FieldIntegration) {
		o.SplitParams = []string{partition.FieldIntegration}
	}
	return o
}

// resourceExtraction is one resource's extraction under way.
type resourceExtraction struct {
	ctx     context.Context // the run's, for resource_detail's fetches
	e       *extractor
	r       Resource
	norm    *normalize.Normalizer
	res     *resourceResult
	cursor  string // the resource's cursor in the state
	max     string // the newest cursor value read
	hash    contentHash
	changes int    // the normalizer's Changes at the last note
	idField string // resource_detail: the listed records' key, which fills {id}
	// earlierRows are the rows an interrupted run had spooled.
	earlierRows int64
}

// consume normalizes one page handed over by the reader (for resource_detail, the
// resources it lists, each fetched whole), then journals it.
func (x *resourceExtraction) consume(it *partition.Item) error {
	res := &x.res.info
	if it.Page != nil {
		res.Pages++
		var ids []string
		for i, v := range it.Records {
			if x.r.Cursor != "" {
				if c, ok := cursorText(v, x.r.Cursor); ok && (x.max == "" || compareCursor(c, x.max) > 0) {
					x.max = strings.Clone(c) // c shares the page's bytes
				}
			}
			if x.idField != "" {
				if !it.Keep[i] {
					res.Skipped++
					continue
				}
				if id, ok := cursorText(v, x.idField); ok {
					ids = append(ids, id)
				}
				continue
			}
			res.Records++
			if x.r.Cursor == "" {
				x.hash.add(it.Page.Records[i])
			}
			if !it.Keep[i] {
				res.Skipped++
				continue
			}
			if err := x.normalize(v); err != nil {
				return err
			}
			if x.e.peek != nil {
				x.e.peek.record(it.Page.Records[i])
			}
		}
		if x.e.peek != nil {
			x.e.peek.page(it)
			if x.e.peek.details > 0 && len(ids) > x.e.peek.details {
				ids = ids[:x.e.peek.details]
			}
		}
		if len(ids) > 0 {
			if err := x.details(x.ctx, ids); err != nil {
				return err
			}
		}
	}
	x.e.report(x.r.Name, x.res, it.Progress, rowsOf(x.norm.Stats()), x.earlierRows, false)
	return x.e.pkg.Commit(x.r.Name, x.note(it.Delta, it.Progress))
}

func (x *resourceExtraction) note(delta json.RawMessage, p partition.Progress) *note {
	res := x.res.info
	st := x.norm.Stats()
	n := &note{Delta: delta, Pages: res.Pages, Records: res.Records, Skipped: res.Skipped, Missing: res.Missing,
		Cursor: x.max, Hash: x.hash.String(), Progress: p, Requests: x.e.requests(),
		Rows: st.Rows, Normalized: st.Records, DiscardedRows: st.DiscardedRows, DiscardedValues: st.DiscardedValues, Collisions: st.Collisions}
	if c := x.norm.Changes(); c != x.changes {
		n.Schema, n.Stats, x.changes = x.norm.Schema().JSON(), &st, c
	}
	return n
}

// details fetches the resources of one listed page whole, a few at a time, and
// normalizes them in the page's order; one deleted meanwhile (404) is counted missing.
func (x *resourceExtraction) details(ctx context.Context, ids []string) error {
	out := make([][]byte, len(ids))
	var missing sync.Map
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	// No more workers than ids: a worker is started for each request that can run, not
	// for each one allowed (detail_concurrency is bounded, but a page holds fewer).
	workers := min(max(1, x.e.plan.DetailConcurrency), len(ids))
	for range workers {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				raw, err := x.e.client.Get(ctx, strings.Replace(x.r.Endpoint.Path, "{id}", url.PathEscape(ids[i]), 1), nil)
				if errors.Is(err, secoda.ErrNotFound) {
					missing.Store(i, true) // deleted between the list and the fetch
					continue
				}
				if err != nil {
					cancel(err)
					return
				}
				out[i] = raw
			}
		}()
	}
feed:
	for i := range ids {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	for i, raw := range out {
		if _, gone := missing.Load(i); gone {
			x.res.info.Missing++
			continue
		}
		v, err := jsonv.Parse(raw)
		if err != nil {
			return fmt.Errorf("%s: not JSON: %w", strings.Replace(x.r.Endpoint.Path, "{id}", ids[i], 1), err)
		}
		x.res.info.Records++
		if err := x.normalize(v); err != nil {
			return err
		}
		if x.e.peek != nil {
			x.e.peek.record(raw)
		}
	}
	return nil
}

// contentHash identifies a resource's records whatever their order (partitions are read
// in no fixed order): the sum of each record's SHA-256, and their count.
type contentHash struct{ a, b, n uint64 }

func (h *contentHash) add(raw []byte) {
	s := sha256.Sum256(raw)
	h.a += binary.LittleEndian.Uint64(s[0:8])
	h.b += binary.LittleEndian.Uint64(s[8:16])
	h.n++
}

func (h contentHash) String() string {
	if h.n == 0 {
		return ""
	}
	return fmt.Sprintf("%016x%016x-%d", h.a, h.b, h.n)
}

func (h *contentHash) parse(s string) {
	hexes, count, ok := strings.Cut(s, "-")
	if !ok || len(hexes) != 32 {
		return
	}
	a, err1 := strconv.ParseUint(hexes[:16], 16, 64)
	b, err2 := strconv.ParseUint(hexes[16:], 16, 64)
	n, err3 := strconv.ParseUint(count, 10, 64)
	if err1 == nil && err2 == nil && err3 == nil {
		h.a, h.b, h.n = a, b, n
	}
}

// report tells the caller's Progress of a page; rows is -1 where it is not known.
func (e *extractor) report(name string, res *resourceResult, pp partition.Progress, rows, earlier int64, done bool) {
	if e.opts.Progress == nil {
		return
	}
	p := Progress{Resource: name, Pages: res.info.Pages, TotalPages: pp.TotalPages, Records: res.info.Records,
		Skipped: res.info.Skipped, Rows: rows, EarlierRows: earlier, Done: done, Partitions: pp.Partitions, PartitionsDone: pp.Done}
	if pp.Partitions > 1 {
		p.TotalPages = -1 // the partition's, not the resource's
	}
	e.opts.Progress(p)
}

func rowsOf(st normalize.Stats) int64 {
	var n int64
	for _, r := range st.Rows {
		n += r
	}
	return n
}

// normalize normalizes one record, its time counted for the run's trace.
func (x *resourceExtraction) normalize(v jsonv.Value) error {
	start := time.Now()
	err := x.norm.Record(v)
	x.e.normalizing.Add(int64(time.Since(start)))
	return err
}

// cursorColumn is the column a cursor field loads into ("" for none).
func cursorColumn(field string, maxLength int) string {
	if field == "" {
		return ""
	}
	return normalize.Identifier(field, maxLength)
}
