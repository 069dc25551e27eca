// Package partition reads a Secoda list whole, however big it is. Secoda's catalog
// answers at most 10,000 resources a query ("a maximum limit of 10,000 resources across
// all pages"), and a real workspace holds far more. A Reader recognises a capped query
// (its count at the cap, its total_pages times the page size reaching it, or its pages
// ending there), and splits it into partitions that the API answers under the cap, each
// combined with the user's own filter by "and": by entity type, then by integration,
// then by groups of parents whose children_count sums stay under the cap, each split
// with a catch-all for the values it does not name. A partition that no filter gets
// under the cap is read from both ends of its id order; what is still out of reach is
// reported, never skipped silently.
//
// The partitions are a Plan, kept in the pipeline state: the next run reads each
// partition newest first down to its own cursor, and splits again only a partition that
// nears the cap. Every page handed over carries a Delta, which the pipeline journals
// with the page's rows; an interrupted run replays the deltas and goes on from there.
package partition

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/secoda-workbench/secoda-workbench/internal/jsonv"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// DefaultCap is Secoda's documented cap on one catalog query.
const DefaultCap = 10_000

// Thresholds of a plan, as shares of the cap.
const (
	// fillShare is how full a partition of grouped parents is made, leaving room to grow.
	fillShare = 0.8
	// resplitShare is how full a partition may get before the next run splits it again.
	resplitShare = 0.95
	// MaxRequestLine bounds a page's path and query: gunicorn, in front of many Django
	// APIs, refuses request lines over 4,094 bytes by default.
	MaxRequestLine = 4000
	// defaultConcurrency is how many partitions are read at once.
	defaultConcurrency = 2
)

// The filter fields a catalog query is split on, in order.
const (
	FieldEntityType  = "entity_type"
	FieldIntegration = "integration_id"
	FieldParent      = "parent_id"
)

// Options say what to read and how.
type Options struct {
	Client   *secoda.Client
	Path     string // the list, e.g. "resource/catalog"
	Selector string // the records in the envelope ("" for "results")
	// Params are the resource's own query parameters (teams=..., a list's filters).
	Params url.Values
	// Filter and Sort are the user's catalog filter and sort (JSON, "" for none). With
	// a cursor and no sort, partitions are read newest first.
	Filter, Sort string
	// Catalog is true for an endpoint that takes the catalog's filter and sort and is
	// capped as the catalog is documented to be.
	Catalog bool
	// SplitParams are the query parameters a list without the catalog's filter can be
	// split on (integration_id), in order.
	SplitParams []string
	// Cursor is the incremental field ("" for none); Compare orders its values.
	Cursor  string
	Compare func(a, b string) int
	// Cap is the most records one query returns (DefaultCap when 0).
	Cap int
	// PageCap stops a runaway pagination in one partition (secoda.DefaultPageCap when 0).
	PageCap int
	// MaxPages stops after this many pages of data in all (0: no limit); the reading
	// is then Truncated and its plan is not to be kept.
	MaxPages int
	// Concurrency is how many partitions are read at once.
	Concurrency int
	// Prior is the plan the state keeps, nil for none; PriorCursor the resource's cursor
	// there, the mark above which the closing sweep reads.
	Prior       *Plan
	PriorCursor string
	// Replay holds the deltas an interrupted run journaled, in order: the reading goes on
	// from where they end.
	Replay []json.RawMessage
	// IntegrationsPath is the list of integrations, the values an integration split
	// names ("integration/integrations").
	IntegrationsPath string
}

// Item is one page handed over, or a change of plan with no page.
type Item struct {
	Partition string       // the partition's id, "sweep" for the closing sweep
	Label     string       // the partition described for people
	Where     []Constraint // the partition's constraints
	Page      *secoda.Page // nil for a change of plan
	Records   []jsonv.Value
	// Keep tells which records to load: those newer than the partition's cursor.
	Keep     []bool
	Delta    json.RawMessage // the reader's progress after this item, to journal with it
	Progress Progress
}

// Progress is how far the reading has got.
type Progress struct {
	Partitions int // known so far
	Done       int // read whole
	DataPages  int // pages of records handed over
	PlanPages  int // pages read to plan partitions (capped or empty queries)
	TotalPages int // the partition's, as its server said; -1 when not said
}

// Result is what a reading did.
type Result struct {
	// Plan is the plan to keep in the state; nil when the reading was truncated.
	Plan       *Plan
	DataPages  int
	PlanPages  int
	Partitions int
	Incomplete []Incomplete
	Truncated  bool
	Notes      []string
}

// Reader reads one list, partitioned as it needs. Use it once.
type Reader struct {
	opt Options
	out chan *Item

	mu       sync.Mutex
	cond     *sync.Cond
	queue    []*task
	deferred []*task
	busy     int // workers running a task
	pending  int // items handed to the dispatcher and not yet consumed
	finished bool
	err      error

	cap, pageSize int
	nextID        int
	m0            string // the sweep reads what is newer than this
	sweep         bool   // a sweep is due once the partitions are read
	sweepDone     bool
	leaves        map[string]*leaf
	order         []string // leaf ids in creation order
	nodes         map[string]*node
	registry      map[string]Parent
	integrations  []integration
	haveIntegs    bool
	dataPages     int
	planPages     int
	done          int // partitions read whole (the sweep is not one)
	budget        int // data pages left, -1 for no limit
	truncated     bool
	notes         []string
}

// Parent is a record with children (a table with columns, a dashboard with charts): the
// values a split by parents names.
type Parent struct {
	ID          string `json:"id"`
	Type        string `json:"t"`
	Integration string `json:"i,omitempty"`
	Children    int    `json:"c"`
	Title       string `json:"n,omitempty"`
}

type integration struct{ id, name string }

type taskKind int

const (
	probeTask taskKind = iota // fetch a node's first page, then read it or split it
	splitTask                 // split a capped node whose first page is in hand
	readTask                  // read a leaf on from where it stands
	sweepTask                 // read what changed during the run
)

type task struct {
	kind  taskKind
	node  *node
	leaf  *leaf
	first *fetched // a first page already fetched
}

// node is a query not yet known to be under the cap.
type node struct {
	id     string
	where  []Constraint
	sample []sampled // what its first page shows
	count  int
	// reuse is the partition of the last run this node splits again.
	reuse string
	// tried is the registry's size when a split by parents last found no parents, so a
	// node is not deferred again without news.
	tried int
	// exhausted are the fields a split found no values of.
	exhausted []string
	note      string // what a partition made of it cannot see
	read      int    // records read of it before it was found capped
}

// leaf is a partition being read.
type leaf struct {
	p       Partition
	next    string // the next page's address; "" before the first
	number  int    // pages read in this phase
	phase   string // "", "asc" or "desc" for a windowed read
	lastAsc string // the greatest id of the ascending window
	ordered bool   // every window came in id order so far
	prevID  string
	started bool
	done    bool
	read    int
	seen    map[string]bool
	cursor  string // the newest cursor value read, this run
	stopAt  string // the cursor this run reads down to ("" for everything)
	window  bool
	reused  bool // a partition of the last run's plan
	// queryKey is the page key of page queryPage of the leaf's query in queryPhase, to
	// tell a next link that is just that query's next page.
	queryKey   string
	queryPage  int
	queryPhase string
	sample     []sampled // its first page, should it turn out capped once read
}

// sampled is what a split needs of a record of a capped query's first page.
type sampled struct {
	values [3]string // entity_type, integration_id, parent_id
	cursor string
}

var sampleFields = [3]string{FieldEntityType, FieldIntegration, FieldParent}

func (s sampled) parent() string { return s.values[2] }

func (s sampled) get(field string) string {
	for i, f := range sampleFields {
		if f == field {
			return s.values[i]
		}
	}
	return ""
}

// sampleOf keeps of a page's records what a split needs, and none of the page's bytes.
func sampleOf(records []jsonv.Value, cursor string) []sampled {
	out := make([]sampled, len(records))
	for i, v := range records {
		for j, f := range sampleFields {
			s, _ := recordField(v, f)
			out[i].values[j] = strings.Clone(s)
		}
		if cursor != "" {
			c, _ := text(v, cursor)
			out[i].cursor = strings.Clone(c)
		}
	}
	return out
}

// fetched is a page with its records parsed.
type fetched struct {
	page    *secoda.Page
	records []jsonv.Value
}

// New checks opts and makes a Reader.
func New(opt Options) (*Reader, error) {
	if opt.Client == nil || opt.Path == "" {
		return nil, errors.New("partition: a client and a path are needed")
	}
	if opt.Cap <= 0 {
		opt.Cap = DefaultCap
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = defaultConcurrency
	}
	if opt.Compare == nil {
		opt.Compare = strings.Compare
	}
	r := &Reader{opt: opt, cap: opt.Cap, leaves: map[string]*leaf{}, nodes: map[string]*node{}, registry: map[string]Parent{}, budget: -1}
	if opt.MaxPages > 0 {
		r.budget = opt.MaxPages
	}
	r.cond = sync.NewCond(&r.mu)
	return r, nil
}

// QueryKey identifies a reading's query, to tell whether a kept plan was made for it.
func (o Options) QueryKey() string {
	v := url.Values{}
	for k, vs := range o.Params {
		v[k] = vs
	}
	v.Set("path", o.Path)
	if o.Filter != "" {
		v.Set("filter", o.Filter)
	}
	if o.Sort != "" {
		v.Set("sort", o.Sort)
	}
	if o.Cursor != "" {
		v.Set("cursor", o.Cursor)
	}
	return v.Encode()
}

// newestFirst is true where partitions are read newest first and stop at their cursor.
func (r *Reader) newestFirst() bool { return r.opt.Catalog && r.opt.Cursor != "" && r.opt.Sort == "" }

// Run reads the list, handing each page (and each change of plan) to consume, one at a
// time, in the order the deltas must be journaled. It returns when everything is read,
// or at the first error.
func (r *Reader) Run(ctx context.Context, consume func(*Item) error) (*Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resumed := len(r.opt.Replay) > 0
	r.out = make(chan *Item, r.opt.Concurrency)
	if resumed {
		if err := r.replay(r.opt.Replay); err != nil {
			return nil, err
		}
	}
	var wg sync.WaitGroup
	startErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if !resumed {
			if err := r.start(); err != nil {
				startErr <- err
				r.fail(err)
				return
			}
		}
		var workers sync.WaitGroup
		for range r.opt.Concurrency {
			workers.Add(1)
			go func() {
				defer workers.Done()
				r.work(ctx)
			}()
		}
		workers.Wait()
	}()
	go func() { wg.Wait(); close(r.out) }()

	for it := range r.out {
		r.mu.Lock()
		failed := r.err != nil
		r.mu.Unlock()
		if !failed {
			if err := consume(it); err != nil {
				r.fail(err)
				cancel()
			}
		}
		r.mu.Lock()
		r.pending--
		r.cond.Broadcast()
		r.mu.Unlock()
	}
	select {
	case err := <-startErr:
		return nil, err
	default:
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &Result{DataPages: r.dataPages, PlanPages: r.planPages, Partitions: len(r.order), Truncated: r.truncated, Notes: r.notes}
	plan := &Plan{Format: PlanFormat, Query: r.opt.QueryKey(), Cap: r.cap, PageSize: r.pageSize, NextID: r.nextID}
	for _, id := range r.order {
		l := r.leaves[id]
		p := l.p
		if l.cursor != "" && (p.Cursor == "" || r.opt.Compare(l.cursor, p.Cursor) > 0) {
			p.Cursor = l.cursor
		}
		plan.Parts = append(plan.Parts, p)
	}
	res.Incomplete = plan.IncompleteParts()
	if !r.truncated {
		res.Plan = plan
	}
	return res, nil
}

// start queues the first tasks: the last run's partitions, or the whole list.
func (r *Reader) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	prior := r.opt.Prior
	if prior != nil && (prior.Format != PlanFormat || prior.Query != r.opt.QueryKey() || len(prior.Parts) == 0) {
		prior = nil // made for another query: plan afresh, and read everything
	}
	d := &delta{Op: "start"}
	if prior == nil {
		n := r.newNodeLocked(nil)
		d.Nodes = append(d.Nodes, nodeRec{ID: n.id, Where: n.where})
		r.queue = append(r.queue, &task{kind: probeTask, node: n})
	} else {
		r.cap = min(r.opt.Cap, max(prior.Cap, 1))
		r.pageSize = prior.PageSize
		r.nextID = prior.NextID
		for _, p := range prior.Parts {
			l := r.addLeaf(p)
			l.stopAt, l.reused = p.Cursor, true
			d.Leaves = append(d.Leaves, l.p)
			r.queue = append(r.queue, &task{kind: readTask, leaf: l})
		}
		if len(prior.Parts) > 1 && r.newestFirst() && r.opt.PriorCursor != "" {
			r.sweep, r.m0 = true, r.opt.PriorCursor
		}
	}
	d.Cap, d.PageSize, d.Sweep, d.M0, d.NextID = r.cap, r.pageSize, r.sweep, r.m0, r.nextID
	r.emitLocked(&Item{Delta: d.json()})
	return nil
}

func (r *Reader) addLeaf(p Partition) *leaf {
	l := &leaf{p: p, seen: map[string]bool{}, ordered: true}
	if l.p.Status == "" {
		l.p.Status = StatusComplete
	}
	if l.p.Status == StatusWindowed || l.p.Status == StatusIncomplete {
		l.window = true
	}
	r.leaves[p.ID] = l
	r.order = append(r.order, p.ID)
	return l
}

func (r *Reader) newLeafID() string {
	r.nextID++
	return "p" + strconv.Itoa(r.nextID)
}

// emitLocked hands an item to the dispatcher; the caller holds r.mu, which is let go
// while the item waits to be taken.
func (r *Reader) emitLocked(it *Item) {
	it.Progress = r.progressLocked(it.Progress.TotalPages)
	r.pending++
	r.mu.Unlock()
	r.out <- it
	r.mu.Lock()
}

func (r *Reader) progressLocked(totalPages int) Progress {
	return Progress{Partitions: len(r.order), Done: r.done, DataPages: r.dataPages, PlanPages: r.planPages, TotalPages: totalPages}
}

func (r *Reader) fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.cond.Broadcast()
	r.mu.Unlock()
}

// work runs tasks until there are none left.
func (r *Reader) work(ctx context.Context) {
	for {
		t := r.take()
		if t == nil {
			return
		}
		err := r.do(ctx, t)
		r.mu.Lock()
		r.busy--
		if err != nil && r.err == nil {
			r.err = err
		}
		r.cond.Broadcast()
		r.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// take waits for a task. When every worker is idle and every item consumed, it moves
// the deferred splits (which wait for parents to be read) back to the queue, then the
// sweep; nil means the reading is over.
func (r *Reader) take() *task {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		switch {
		case r.err != nil || r.finished:
			return nil
		case r.truncated && r.busy == 0:
			r.finished = true
			r.cond.Broadcast()
			return nil
		case len(r.queue) > 0 && !r.truncated:
			t := r.queue[0]
			r.queue = r.queue[1:]
			r.busy++
			return t
		case r.busy == 0 && r.pending == 0 && len(r.queue) == 0:
			if len(r.deferred) > 0 {
				r.queue = r.releaseLocked()
				continue
			}
			if r.sweep && !r.sweepDone {
				r.sweepDone = true
				r.busy++
				return &task{kind: sweepTask}
			}
			r.finished = true
			r.cond.Broadcast()
			return nil
		}
		r.cond.Wait()
	}
}

// releaseLocked picks the deferred splits to plan now: those whose parents no other
// deferred query may still hold (columns wait for their tables' partitions to be
// split and read). When none is free, all go, to make progress.
func (r *Reader) releaseLocked() []*task {
	var free, held []*task
	for _, t := range r.deferred {
		types := r.parentTypesLocked(t.node)
		if len(types) > 0 && r.heldByOthersLocked(t, types) {
			held = append(held, t)
			continue
		}
		free = append(free, t)
	}
	if len(free) == 0 {
		free, held = held, nil
	}
	r.deferred = held
	return free
}

// parentTypesLocked are the entity types of the known parents of a node's sample.
func (r *Reader) parentTypesLocked(n *node) map[string]bool {
	types := map[string]bool{}
	for _, v := range n.sample {
		if p, ok := r.registry[v.parent()]; ok && p.Type != "" {
			types[p.Type] = true
		}
	}
	return types
}

// heldByOthersLocked tells whether another deferred query may hold parents of t's
// records: of one of the types, in a compatible integration.
func (r *Reader) heldByOthersLocked(t *task, types map[string]bool) bool {
	ic, hasInteg := constraint(t.node.where, FieldIntegration)
	for _, o := range r.deferred {
		if o == t {
			continue
		}
		ec, hasType := constraint(o.node.where, FieldEntityType)
		typed := !hasType
		for ty := range types {
			typed = typed || ec.Match(ty)
		}
		if !typed {
			continue
		}
		oc, oHas := constraint(o.node.where, FieldIntegration)
		if !hasInteg || !oHas || oc.Single() == "" || ic.Single() == "" || oc.Single() == ic.Single() {
			return true
		}
	}
	return false
}

func (r *Reader) do(ctx context.Context, t *task) error {
	switch t.kind {
	case probeTask:
		f, err := r.probe(ctx, t.node.where)
		if err != nil {
			return err
		}
		return r.classify(ctx, t.node, f)
	case splitTask:
		return r.split(ctx, t.node)
	case readTask:
		return r.read(ctx, t.leaf, t.first)
	case sweepTask:
		return r.readSweep(ctx)
	}
	return nil
}

// classify decides what a probed node is: a partition to read (its first page handed
// over as data), or a query to split.
func (r *Reader) classify(ctx context.Context, n *node, f *fetched) error {
	n.sample, n.count = sampleOf(f.records, r.opt.Cursor), f.page.Count
	r.learnPageSize(f.page)
	if r.capped(f.page) || r.speculative(n.where, f.page) {
		return r.split(ctx, n)
	}
	r.mu.Lock()
	claimed := r.claimLocked()
	if !claimed {
		r.truncated = true
		r.cond.Broadcast()
	}
	r.mu.Unlock()
	if !claimed {
		return nil // out of data pages (max pages)
	}
	l := r.leafFor(n, f.page.Count)
	r.mu.Lock()
	d := &delta{Op: "plan", Resolve: []string{n.id}, Leaves: []Partition{l.p}, NextID: r.nextID}
	if len(n.where) == 0 && r.opt.Prior == nil && r.opt.PriorCursor != "" {
		// No plan kept (a state from before plans): the whole list, from the resource's cursor.
		l.stopAt = r.opt.PriorCursor
		d.StopAt = map[string]string{l.p.ID: l.stopAt}
	}
	r.emitLocked(&Item{Delta: d.json()})
	r.mu.Unlock()
	return r.read(ctx, l, f)
}

// leafFor makes the partition of a node found under the cap.
func (r *Reader) leafFor(n *node, count int) *leaf {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.nodes, n.id)
	p := Partition{ID: r.newLeafID(), Where: n.where, Label: r.labelLocked(n.where), Count: count, Status: StatusComplete}
	return r.addLeaf(p)
}

// capped tells whether a first page shows its query at the cap: a count at the cap, or
// total_pages times the page size reaching it.
func (r *Reader) capped(p *secoda.Page) bool {
	if !r.opt.Catalog {
		return false // lists without a documented cap show it only when read (lateCap)
	}
	r.mu.Lock()
	cap, size := r.cap, r.pageSize
	r.mu.Unlock()
	switch {
	case p.Count >= 0:
		return p.Count >= cap
	case p.TotalPages > 0 && size > 0:
		return p.TotalPages*size >= cap
	}
	return false
}

// speculative is true for the whole catalog counting a multiple of the page size: a cap
// lower than configured looks like that, and splitting once by entity type shows it (the
// parts then add up to more than the whole).
func (r *Reader) speculative(where []Constraint, p *secoda.Page) bool {
	r.mu.Lock()
	size := max(r.pageSize, len(p.Records))
	r.mu.Unlock()
	return r.opt.Catalog && len(where) == 0 && p.Count > 0 && size > 1 && p.Count >= 2*size && p.Count%size == 0 && p.Next != ""
}

func (r *Reader) learnPageSize(p *secoda.Page) {
	if p.Next == "" || len(p.Records) == 0 {
		return
	}
	r.mu.Lock()
	r.pageSize = max(r.pageSize, len(p.Records))
	r.mu.Unlock()
}

// spent counts a page read to plan (not handed over as data), giving back the
// data-page budget its fetch took.
func (r *Reader) spent() {
	r.mu.Lock()
	r.spentLocked()
	r.mu.Unlock()
}

func (r *Reader) spentLocked() {
	r.planPages++
	r.dataPages--
	if r.budget >= 0 {
		r.budget++
	}
}

// probe fetches the first page of a query to see what it holds: a page read to plan,
// until claimLocked makes it a page of data.
func (r *Reader) probe(ctx context.Context, where []Constraint) (*fetched, error) {
	f, err := r.fetch(ctx, r.query(where, ""), 1)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.planPages++
	r.mu.Unlock()
	return f, nil
}

// claimLocked counts a probed page as a page of data, within the data budget; false
// when the budget is spent. The caller holds r.mu.
func (r *Reader) claimLocked() bool {
	if r.budget == 0 {
		return false
	}
	if r.budget > 0 {
		r.budget--
	}
	r.planPages--
	r.dataPages++
	return true
}

// takeBudget takes one page of the data budget; false when it is spent.
func (r *Reader) takeBudget() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.budget == 0 {
		r.truncated = true
		r.cond.Broadcast()
		return false
	}
	if r.budget > 0 {
		r.budget--
	}
	r.dataPages++
	return true
}

// query is the address of a partition's first page, in the given sort ("" for the
// reading's own).
func (r *Reader) query(where []Constraint, sortJSON string) string {
	params := url.Values{}
	for k, vs := range r.opt.Params {
		params[k] = vs
	}
	if r.opt.Catalog {
		if f := secoda.And(secoda.RawFilter(r.opt.Filter), Filter(where)); f != nil {
			params.Set("filter", f.String())
		}
		if sortJSON == "" {
			sortJSON = r.opt.Sort
			if r.newestFirst() {
				sortJSON = newestFirstSort(r.opt.Cursor)
			}
		}
		if sortJSON != "" {
			params.Set("sort", sortJSON)
		}
	} else {
		for _, c := range where {
			if v := c.Single(); v != "" {
				params.Set(c.Field, v)
			}
		}
	}
	return r.opt.Client.PageURL(r.opt.Path, params)
}

func newestFirstSort(field string) string {
	return fmt.Sprintf(`{"field":%q,"order":"desc","tie_breaker":null}`, field)
}

func idSort(order string) string {
	return fmt.Sprintf(`{"field":"id","order":%q,"tie_breaker":null}`, order)
}

// fetchFirst fetches the first page of a query, as a page of data unless told otherwise;
// nil when the data budget is spent.
func (r *Reader) fetchFirst(ctx context.Context, where []Constraint, sortJSON string) (*fetched, error) {
	if !r.takeBudget() {
		return nil, nil
	}
	return r.fetch(ctx, r.query(where, sortJSON), 1)
}

func (r *Reader) fetch(ctx context.Context, pageURL string, number int) (*fetched, error) {
	page, err := r.opt.Client.FetchPage(ctx, pageURL, r.opt.Selector, number)
	if err != nil {
		return nil, err
	}
	f := &fetched{page: page, records: make([]jsonv.Value, len(page.Records))}
	for i, raw := range page.Records {
		if f.records[i], err = jsonv.Parse(raw); err != nil {
			return nil, fmt.Errorf("%s: page %d: a record is not JSON: %w", page.Path, number, err)
		}
	}
	return f, nil
}

// read reads a leaf from where it stands (or from first, its first page in hand) to its
// end, its cursor, or the data budget.
func (r *Reader) read(ctx context.Context, l *leaf, first *fetched) error {
	for {
		f := first
		first = nil
		if f == nil {
			if l.done {
				return nil
			}
			if l.started && l.next == "" {
				return r.finish(ctx, l) // resumed after its last page
			}
			var err error
			if !l.started {
				f, err = r.fetchFirst(ctx, l.p.Where, r.windowSort(l))
			} else if r.takeBudget() {
				f, err = r.fetch(ctx, l.next, l.number+1)
			}
			if err != nil {
				return err
			}
			if f == nil {
				return nil
			}
		}
		if l.reused && !l.started {
			switch {
			case !l.window && (r.capped(f.page) || r.nearCap(f.page) && splittable(l.p.Where)):
				// A partition of the last run that has grown near the cap is split again.
				r.spent()
				return r.resplit(ctx, l, f)
			case !l.window && f.page.Count != l.p.Count && r.speculative(l.p.Where, f.page):
				// The whole catalog, read in one query, grew to a multiple of the page
				// size: a cap lower than configured shows so (see speculative).
				r.spent()
				return r.resplit(ctx, l, f)
			case l.window && f.page.Count >= 0 && !r.capped(f.page):
				// Back under the cap: read it whole, as any partition.
				l.window, l.stopAt, l.p.Status = false, "", StatusComplete
			}
		}
		r.learnPageSize(f.page)
		l.started = true
		l.number++
		more, err := r.take1(l, f)
		if err != nil {
			return err
		}
		if !more {
			return r.finish(ctx, l)
		}
	}
}

// journalNext is how a page's delta keeps the next link: as the page number, when the
// link is the partition's own query at that page (as good as always; and the query of a
// group of parents is kilobytes of ids), else as given.
func (r *Reader) journalNext(l *leaf, next string) (string, int) {
	if next == "" {
		return "", 0
	}
	u, err := url.Parse(next)
	if err != nil {
		return next, 0
	}
	q := u.Query()
	n, err := strconv.Atoi(q.Get("page"))
	if err != nil || n < 2 {
		return next, 0
	}
	if l.queryKey == "" || l.queryPhase != l.phase {
		l.queryKey, l.queryPhase = secoda.PageKey(r.pageOf(l, n)), l.phase
		l.queryPage = n
	}
	// The key of page n of the query, from the cached key of page queryPage: the same
	// canonical form with only the page changed.
	if n == l.queryPage && secoda.PageKey(next) == l.queryKey || n != l.queryPage && secoda.PageKey(withPage(u, l.queryPage)) == l.queryKey {
		return "", n
	}
	return next, 0
}

func withPage(u *url.URL, n int) string {
	c := *u
	q := c.Query()
	q.Set("page", strconv.Itoa(n))
	c.RawQuery = q.Encode()
	return c.String()
}

// pageOf is the address of page n of a leaf's query in its phase's sort.
func (r *Reader) pageOf(l *leaf, n int) string {
	u, err := url.Parse(r.query(l.p.Where, r.windowSort(l)))
	if err != nil {
		return ""
	}
	return withPage(u, n)
}

// windowSort is the sort of a windowed leaf's phase, "" for the reading's own.
func (r *Reader) windowSort(l *leaf) string {
	switch l.phase {
	case "asc":
		return idSort("asc")
	case "desc":
		return idSort("desc")
	}
	return ""
}

// nearCap tells whether a kept partition's first page shows it near the cap.
func (r *Reader) nearCap(p *secoda.Page) bool {
	if !r.opt.Catalog || p.Count < 0 {
		return false
	}
	r.mu.Lock()
	cap := r.cap
	r.mu.Unlock()
	return float64(p.Count) >= resplitShare*float64(cap)
}

// take1 hands one page of a leaf over and works out whether to read on.
func (r *Reader) take1(l *leaf, f *fetched) (bool, error) {
	keep := make([]bool, len(f.records))
	stop := false
	var parents []Parent
	for i, v := range f.records {
		keep[i] = true
		if r.opt.Cursor != "" {
			if c, ok := text(v, r.opt.Cursor); ok {
				if l.cursor == "" || r.opt.Compare(c, l.cursor) > 0 {
					l.cursor = strings.Clone(c)
				}
				if l.stopAt != "" && r.opt.Compare(c, l.stopAt) <= 0 {
					keep[i] = false
					stop = stop || r.newestFirst() && l.phase == ""
				}
			}
		}
		if l.phase != "" {
			id, _ := text(v, "id")
			if l.prevID != "" && (l.phase == "asc" && id <= l.prevID || l.phase == "desc" && id >= l.prevID) {
				l.ordered = false
			}
			l.prevID = strings.Clone(id)
			if l.phase == "asc" {
				l.lastAsc = l.prevID
			} else if l.lastAsc != "" && id <= l.lastAsc {
				stop = true // the two ends met: the partition is read whole
				keep[i] = false
			}
		}
		if p, ok := parentOf(v); ok {
			parents = append(parents, p)
		}
	}
	if l.number == 1 && l.phase == "" && l.stopAt == "" {
		l.sample = sampleOf(f.records, r.opt.Cursor)
	}
	l.read += len(f.records)
	if f.page.Count >= 0 && !l.window {
		l.p.Count = f.page.Count
	}
	more := f.page.Next != "" && !stop
	if more {
		if err := r.opt.Client.CheckNext(f.page, l.seen, r.opt.PageCap); err != nil {
			return false, err
		}
		l.next = f.page.Next
	} else {
		l.next = ""
	}
	r.mu.Lock()
	for _, p := range parents {
		r.registry[p.ID] = p
	}
	next, nextPage := r.journalNext(l, l.next)
	d := &delta{Op: "page", ID: l.p.ID, Started: true, Next: next, NextPage: nextPage, Number: l.number, Phase: l.phase, LastAsc: l.lastAsc,
		PrevID: l.prevID, Unordered: !l.ordered, Read: l.read, Cursor: l.cursor, Count: l.p.Count, Parents: parents,
		Data: r.dataPages, Plan: r.planPages}
	r.emitLocked(&Item{Partition: l.p.ID, Label: l.p.Label, Where: l.p.Where, Page: f.page, Records: f.records, Keep: keep, Delta: d.json(),
		Progress: Progress{TotalPages: f.page.TotalPages}})
	r.mu.Unlock()
	return more, nil
}

// finish ends a leaf's phase: a windowed leaf turns to its other end, a list read whole
// that stopped at the cap is split, and the leaf is marked read.
func (r *Reader) finish(ctx context.Context, l *leaf) error {
	r.mu.Lock()
	truncated := r.truncated
	r.mu.Unlock()
	if truncated && l.next != "" {
		return nil
	}
	switch l.phase {
	case "asc":
		if l.next == "" && l.read < r.capNow() {
			// The whole partition fit in one window after all.
			return r.markDone(l, StatusWindowed)
		}
		l.phase, l.started, l.number, l.prevID, l.next = "desc", false, 0, "", ""
		l.seen = map[string]bool{}
		r.mu.Lock()
		d := &delta{Op: "page", ID: l.p.ID, Phase: "desc", LastAsc: l.lastAsc, Unordered: !l.ordered, Read: l.read, Cursor: l.cursor,
			Count: l.p.Count, Data: r.dataPages, Plan: r.planPages}
		r.emitLocked(&Item{Delta: d.json()})
		r.mu.Unlock()
		return r.read(ctx, l, nil)
	case "desc":
		status := StatusWindowed
		if !l.ordered || l.lastAsc == "" || l.prevID == "" || l.prevID > l.lastAsc {
			status = StatusIncomplete // the two ends did not meet, or the server did not sort by id
		}
		return r.markDone(l, status)
	}
	if !l.window && l.stopAt == "" && l.p.ID != "sweep" {
		if n := r.lateCap(l); n != nil {
			return r.split(ctx, n)
		}
	}
	return r.markDone(l, l.p.Status)
}

func (r *Reader) capNow() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cap
}

// lateCap tells whether a partition read whole stopped at a cap: as many records as the
// cap, or fewer than the server counted with every page full. It then returns the node
// that splits it (the records read stay loaded: reading them again merges them), or
// marks the partition incomplete where nothing can split it.
func (r *Reader) lateCap(l *leaf) *node {
	r.mu.Lock()
	defer r.mu.Unlock()
	cap, size := r.cap, r.pageSize
	full := size > 0 && l.read >= 2*size && l.read%size == 0 // the last page was full
	short := full && l.p.Count > l.read
	// The whole catalog, with no count, ending on a full page: a cap lower than
	// configured ends it so (a list of any length does so once in 50); read again
	// split, the parts tell.
	uncounted := full && r.opt.Catalog && len(l.p.Where) == 0 && l.p.Count < 0 && l.read < cap
	atCap := l.read == cap || r.opt.Catalog && l.read > cap
	if !short && !atCap && !uncounted {
		return nil
	}
	switch {
	case short && l.read < r.cap:
		r.cap = l.read
		r.notes = append(r.notes, fmt.Sprintf("%s answered %d records of the %d it counted: taking %d as Secoda's cap on one query",
			r.opt.Path, l.read, l.p.Count, l.read))
	case uncounted:
		r.cap = l.read
		r.notes = append(r.notes, fmt.Sprintf("%s gave no count and ended on a full page after %d records, as a cap lower than %d would: it was read again, split, taking %d as Secoda's cap on one query",
			r.opt.Path, l.read, cap, l.read))
	}
	if !r.opt.Catalog && !r.paramsLeft(l.p.Where) {
		l.p.Status, l.p.Read = StatusIncomplete, l.read
		return nil
	}
	r.dropLeafLocked(l.p.ID)
	n := r.newNodeLocked(l.p.Where)
	n.count, n.read, n.sample = l.p.Count, l.read, l.sample
	d := &delta{Op: "plan", Drop: []string{l.p.ID}, Nodes: []nodeRec{{ID: n.id, Where: n.where}}, Cap: r.cap, NextID: r.nextID}
	r.emitLocked(&Item{Delta: d.json()})
	return n
}

// paramsLeft tells whether a list without the catalog's filter can be split further.
func (r *Reader) paramsLeft(where []Constraint) bool {
	for _, f := range r.opt.SplitParams {
		if _, has := constraint(where, f); !has && f == FieldIntegration && r.opt.IntegrationsPath != "" {
			return true
		}
	}
	return false
}

// splittable tells whether a partition can be split by a filter (not only read from
// both ends).
func splittable(where []Constraint) bool {
	for _, f := range []string{FieldEntityType, FieldIntegration} {
		if c, has := constraint(where, f); !has || c.Rest {
			return true
		}
	}
	c, has := constraint(where, FieldParent)
	return !has || !c.Rest && !c.Unset && len(c.In) > 1
}

func (r *Reader) newNodeLocked(where []Constraint) *node {
	r.nextID++
	n := &node{id: "n" + strconv.Itoa(r.nextID), where: where, count: -1}
	r.nodes[n.id] = n
	return n
}

func (r *Reader) dropLeafLocked(id string) {
	delete(r.leaves, id)
	r.order = slices.DeleteFunc(r.order, func(s string) bool { return s == id })
}

func (r *Reader) markDone(l *leaf, status string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	l.done, l.sample, l.seen = true, nil, nil
	if l.p.ID != "sweep" {
		r.done++
	}
	l.p.Status = status
	if status == StatusIncomplete {
		l.p.Read = max(l.p.Read, l.read) // a later run reads only what changed
	}
	d := &delta{Op: "done", ID: l.p.ID, Status: status, Read: l.read, Cursor: l.cursor, Count: l.p.Count, Data: r.dataPages, Plan: r.planPages}
	r.emitLocked(&Item{Delta: d.json()})
	return nil
}

// resplit splits again a partition of the last run that neared the cap.
func (r *Reader) resplit(ctx context.Context, l *leaf, f *fetched) error {
	r.mu.Lock()
	r.dropLeafLocked(l.p.ID)
	n := r.newNodeLocked(l.p.Where)
	n.reuse, n.sample, n.count = l.p.ID, sampleOf(f.records, r.opt.Cursor), f.page.Count
	d := &delta{Op: "plan", Drop: []string{l.p.ID}, Nodes: []nodeRec{{ID: n.id, Where: n.where}}, NextID: r.nextID}
	r.emitLocked(&Item{Delta: d.json()})
	r.mu.Unlock()
	return r.split(ctx, n)
}

// readSweep reads, newest first, what changed since the mark: records that moved from a
// partition not yet read to one already read while the run went on.
func (r *Reader) readSweep(ctx context.Context) error {
	r.mu.Lock()
	l, ok := r.leaves["sweep"]
	if !ok {
		l = &leaf{p: Partition{ID: "sweep", Label: "what changed during the run", Count: -1}, seen: map[string]bool{}}
		r.leaves["sweep"] = l // not in r.order: not a partition of the plan
	}
	l.stopAt = r.m0
	r.mu.Unlock()
	if err := r.read(ctx, l, nil); err != nil {
		return err
	}
	return nil
}

// parentOf reads a record with children as a Parent.
func parentOf(v jsonv.Value) (Parent, bool) {
	c, ok := v.Get("children_count")
	if !ok {
		return Parent{}, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(c.Str))
	if err != nil || n <= 0 || c.Kind != jsonv.KindNumber && c.Kind != jsonv.KindString {
		return Parent{}, false
	}
	id, ok := text(v, "id")
	if !ok {
		return Parent{}, false
	}
	p := Parent{ID: strings.Clone(id), Children: n}
	p.Type, _ = text(v, "entity_type")
	p.Integration, _ = recordField(v, FieldIntegration)
	p.Title, _ = text(v, "title_full")
	if p.Title == "" {
		p.Title, _ = text(v, "title")
	}
	p.Type, p.Integration, p.Title = strings.Clone(p.Type), strings.Clone(p.Integration), strings.Clone(truncate(p.Title, 80))
	return p, true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// text reads a field as text, as the pipeline reads cursors (normalize.FieldText).
func text(v jsonv.Value, field string) (string, bool) { return normalize.FieldText(v, field) }

// recordField reads the record's value of a filter field: integration_id is the
// records' "integration" (or "integration_id"); parent_id is "parent_id" in lists
// ("parent" in a detail).
func recordField(v jsonv.Value, field string) (string, bool) {
	switch field {
	case FieldIntegration:
		if s, ok := text(v, "integration"); ok {
			return s, true
		}
		return text(v, "integration_id")
	case FieldParent:
		if s, ok := text(v, "parent_id"); ok {
			return s, true
		}
		return text(v, "parent")
	}
	return text(v, field)
}

// labelLocked describes a partition for people, with integrations' names and parents'
// titles. The caller holds r.mu.
func (r *Reader) labelLocked(where []Constraint) string {
	return label(where, func(field, value string) string {
		switch field {
		case FieldIntegration:
			for _, i := range r.integrations {
				if i.id == value && i.name != "" {
					return fmt.Sprintf("%s (%s)", i.name, value)
				}
			}
		case FieldParent:
			if p, ok := r.registry[value]; ok && p.Title != "" {
				return fmt.Sprintf("%s (%s, %d children)", p.Title, value, p.Children)
			}
		}
		return value
	})
}
