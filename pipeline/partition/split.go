package partition

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// split splits a capped node by the first field that can still split it: entity type,
// then integration (values named from its sample and the integration list, plus a
// catch-all), then groups of parents (from the parents read so far), then halves of a
// group; a node none of these splits is read from both ends of its id order.
func (r *Reader) split(ctx context.Context, n *node) error {
	r.markSweep(n)
	if !r.opt.Catalog {
		return r.splitParams(ctx, n)
	}
	for _, field := range []string{FieldEntityType, FieldIntegration} {
		c, has := constraint(n.where, field)
		if has && !c.Rest || slices.Contains(n.exhausted, field) {
			continue
		}
		done, err := r.splitSampled(ctx, n, field)
		if err != nil || done {
			return err
		}
		n.exhausted = append(n.exhausted, field)
	}
	c, has := constraint(n.where, FieldParent)
	switch {
	case !has:
		return r.splitParents(ctx, n)
	case !c.Rest && !c.Unset && len(c.In) > 1:
		return r.halve(n, c)
	}
	return r.windows(ctx, n)
}

// markSweep arms the closing sweep when the whole catalog turns out to need splitting:
// records that move between partitions while the run reads them would otherwise be
// missed until the next run. Its mark is the newest record of the first page.
func (r *Reader) markSweep(n *node) {
	if len(n.where) != 0 || !r.newestFirst() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sweep {
		return
	}
	m0 := ""
	for _, v := range n.sample {
		if c := v.cursor; c != "" && (m0 == "" || r.opt.Compare(c, m0) > 0) {
			m0 = c
		}
	}
	if m0 == "" {
		return
	}
	r.sweep, r.m0 = true, m0
	d := &delta{Op: "meta", Sweep: true, M0: m0, Cap: r.cap, PageSize: r.pageSize, NextID: r.nextID}
	r.emitLocked(&Item{Delta: d.json()})
}

// probed is a child query with its first page.
type probed struct {
	where []Constraint
	f     *fetched
}

// splitSampled splits n by the values of field that its first page and (for
// integrations) the integration list show, plus a catch-all for every other value and
// for none; false when there are no values to name.
func (r *Reader) splitSampled(ctx context.Context, n *node, field string) (bool, error) {
	c, _ := constraint(n.where, field)
	seen := map[string]bool{}
	for _, v := range c.NotIn {
		seen[v] = true
	}
	var values []string
	add := func(v string) {
		if v != "" && !seen[v] {
			seen[v] = true
			values = append(values, v)
		}
	}
	for _, v := range n.sample {
		add(v.get(field))
	}
	if field == FieldIntegration {
		if err := r.loadIntegrations(ctx); err != nil {
			return false, err
		}
		r.mu.Lock()
		for _, i := range r.integrations {
			add(i.id)
		}
		r.mu.Unlock()
	}
	if len(values) == 0 {
		return false, nil
	}
	slices.Sort(values)
	var kids []probed
	named := slices.Clone(c.NotIn)
	for _, v := range values {
		where := with(n.where, Constraint{Field: field, In: []string{v}})
		f, err := r.probe(ctx, where)
		if err != nil {
			return true, err
		}
		if len(f.records) == 0 && f.page.Count <= 0 {
			continue // nothing there now: the catch-all takes it if it comes
		}
		named = append(named, v)
		kids = append(kids, probed{where, f})
	}
	if len(kids) == 0 {
		return false, nil // every value named is empty: the catch-all would be n itself
	}
	rest := with(n.where, Constraint{Field: field, Rest: true, NotIn: named})
	f, err := r.probe(ctx, rest)
	if err != nil {
		return true, err
	}
	kids = append(kids, probed{rest, f})
	r.checkSum(n, kids)
	return true, r.adopt(n, kids)
}

// checkSum learns a cap lower than configured: parts that add up to more than their
// whole show that the whole was cut off at its count.
func (r *Reader) checkSum(n *node, kids []probed) {
	if n.count < 0 {
		return
	}
	sum := 0
	for _, k := range kids {
		if k.f.page.Count < 0 {
			return
		}
		sum += k.f.page.Count
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if sum > n.count && n.count < r.cap && n.count > 0 {
		r.notes = append(r.notes, fmt.Sprintf("a query counted %d records and its parts %d: taking %d as Secoda's cap on one query (configured %d)",
			n.count, sum, n.count, r.cap))
		r.cap = n.count
	}
}

// adopt turns probed children into partitions to read and nodes to split further,
// journaled as one change of plan that resolves n.
func (r *Reader) adopt(n *node, kids []probed) error {
	r.mu.Lock()
	delete(r.nodes, n.id)
	d := &delta{Op: "plan", Resolve: []string{n.id}}
	var tasks []*task
	for _, k := range kids {
		r.learnPageSizeLocked(k.f)
		if r.cappedLocked(k.f) {
			child := r.newNodeLocked(k.where)
			child.sample, child.count = sampleOf(k.f.records, r.opt.Cursor), k.f.page.Count
			d.Nodes = append(d.Nodes, nodeRec{ID: child.id, Where: child.where})
			tasks = append(tasks, &task{kind: splitTask, node: child})
			continue
		}
		l := r.addLeaf(Partition{ID: r.newLeafID(), Where: k.where, Label: r.labelLocked(k.where), Count: k.f.page.Count, Status: StatusComplete})
		d.Leaves = append(d.Leaves, l.p)
		t := &task{kind: readTask, leaf: l}
		if r.claimLocked() {
			t.first = k.f // its first page is data; past the data budget it is read again, or not at all
		}
		tasks = append(tasks, t)
	}
	d.Cap, d.PageSize, d.NextID = r.cap, r.pageSize, r.nextID
	r.emitLocked(&Item{Delta: d.json()})
	r.queue = append(r.queue, tasks...)
	r.cond.Broadcast()
	r.mu.Unlock()
	return nil
}

func (r *Reader) learnPageSizeLocked(f *fetched) {
	if f.page.Next != "" && len(f.page.Records) > 0 {
		r.pageSize = max(r.pageSize, len(f.page.Records))
	}
}

func (r *Reader) cappedLocked(f *fetched) bool {
	if !r.opt.Catalog {
		return false
	}
	p := f.page
	switch {
	case p.Count >= 0:
		return p.Count >= r.cap
	case p.TotalPages > 0 && r.pageSize > 0:
		return p.TotalPages*r.pageSize >= r.cap
	}
	return false
}

// splitParents splits n by groups of the parents its records hang from (tables for
// columns, dashboards for charts), from the parents read so far, whose children_count
// sums stay under the cap and whose ids fit in a URL; a catch-all takes records of any
// other parent, or of none. It waits until every other query is read, so that the
// parents are all known.
func (r *Reader) splitParents(ctx context.Context, n *node) error {
	r.mu.Lock()
	types := map[string]bool{}
	for _, v := range n.sample {
		if p, ok := r.registry[v.parent()]; ok && p.Type != "" {
			types[p.Type] = true
		}
	}
	if n.tried == 0 || len(types) == 0 && n.tried != len(r.registry)+1 {
		// Wait for quiet (every other partition read) before planning with parents.
		n.tried = len(r.registry) + 1
		r.deferred = append(r.deferred, &task{kind: splitTask, node: n})
		r.mu.Unlock()
		return nil
	}
	if len(types) == 0 {
		r.mu.Unlock()
		return r.windows(ctx, n) // no parent of its records is known
	}
	ic, hasInteg := constraint(n.where, FieldIntegration)
	var cands []Parent
	for _, p := range r.registry {
		if types[p.Type] && (!hasInteg || ic.Match(p.Integration)) {
			cands = append(cands, p)
		}
	}
	slices.SortFunc(cands, func(a, b Parent) int { return strings.Compare(a.ID, b.ID) })
	cap := r.cap
	r.mu.Unlock()

	target := max(1, int(fillShare*float64(cap)))
	base := len(r.query(with(n.where, Constraint{Field: FieldParent, In: []string{}}), "")) + len("&page=10000")
	var groups [][]string
	var cur []string
	sum, length := 0, base
	for _, p := range cands {
		cost := len(url.QueryEscape(`"` + p.ID + `",`))
		if len(cur) > 0 && (sum+p.Children > target || length+cost > MaxRequestLine) {
			groups = append(groups, cur)
			cur, sum, length = nil, 0, base
		}
		cur = append(cur, p.ID)
		sum += p.Children
		length += cost
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	all := make([]string, len(cands))
	for i, p := range cands {
		all[i] = p.ID
	}
	rest := Constraint{Field: FieldParent, Rest: true, NotIn: all}
	note := ""
	if len(r.query(with(n.where, rest), ""))+len("&page=10000") > MaxRequestLine {
		rest = Constraint{Field: FieldParent, Unset: true}
		note = fmt.Sprintf("split by %d parents, too many to exclude in one URL: a record whose parent is none of them (nor empty) cannot be asked for", len(all))
	}
	kids := make([]nodeRec, 0, len(groups)+1)
	for _, g := range groups {
		kids = append(kids, nodeRec{Where: with(n.where, Constraint{Field: FieldParent, In: g})})
	}
	r.replaceWithNodes(n, append(kids, nodeRec{Where: with(n.where, rest), Note: note}))
	return nil
}

// replaceWithNodes resolves n into queries to probe, journaled as one change of plan.
func (r *Reader) replaceWithNodes(n *node, kids []nodeRec) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.nodes, n.id)
	d := &delta{Op: "plan", Resolve: []string{n.id}}
	for _, k := range kids {
		child := r.newNodeLocked(k.Where)
		child.note = k.Note
		d.Nodes = append(d.Nodes, nodeRec{ID: child.id, Where: child.where, Note: k.Note})
		r.queue = append(r.queue, &task{kind: probeTask, node: child})
	}
	d.NextID = r.nextID
	r.emitLocked(&Item{Delta: d.json()})
	r.cond.Broadcast()
}

// halve splits a capped group of parents in two (children_count was stale).
func (r *Reader) halve(n *node, c Constraint) error {
	mid := len(c.In) / 2
	r.replaceWithNodes(n, []nodeRec{
		{Where: with(n.where, Constraint{Field: FieldParent, In: slices.Clone(c.In[:mid])})},
		{Where: with(n.where, Constraint{Field: FieldParent, In: slices.Clone(c.In[mid:])})},
	})
	return nil
}

// windows reads a node no filter splits under the cap from both ends of its id order:
// the first cap records ascending, then descending until the two meet. Up to twice the
// cap is read whole that way; past it, the partition is incomplete, and says so.
func (r *Reader) windows(ctx context.Context, n *node) error {
	r.mu.Lock()
	delete(r.nodes, n.id)
	l := r.addLeaf(Partition{ID: r.newLeafID(), Where: n.where, Label: r.labelLocked(n.where), Count: n.count, Status: StatusWindowed, Note: n.note})
	l.window, l.phase = true, "asc"
	d := &delta{Op: "plan", Resolve: []string{n.id}, Leaves: []Partition{l.p}, Phase: "asc", NextID: r.nextID}
	r.emitLocked(&Item{Delta: d.json()})
	r.mu.Unlock()
	return r.read(ctx, l, nil)
}

// splitParams splits a list without the catalog's filter by the query parameters it
// takes (integration_id, with the integration list's values). It cannot ask for what
// none of the values covers, so the reading says so.
func (r *Reader) splitParams(ctx context.Context, n *node) error {
	for _, field := range r.opt.SplitParams {
		if _, has := constraint(n.where, field); has {
			continue
		}
		if field != FieldIntegration {
			continue
		}
		if err := r.loadIntegrations(ctx); err != nil {
			return err
		}
		r.mu.Lock()
		var values []string
		for _, i := range r.integrations {
			values = append(values, i.id)
		}
		r.mu.Unlock()
		var kids []probed
		for _, v := range values {
			where := with(n.where, Constraint{Field: field, In: []string{v}})
			f, err := r.probe(ctx, where)
			if err != nil {
				return err
			}
			if len(f.records) == 0 {
				continue
			}
			kids = append(kids, probed{where, f})
		}
		r.mu.Lock()
		r.notes = append(r.notes, fmt.Sprintf("%s is capped: it was read integration by integration (%d of them); a record in none cannot be asked for there: load it through resource_catalog, which splits past the cap", r.opt.Path, len(kids)))
		r.mu.Unlock()
		return r.adopt(n, kids)
	}
	// Nothing left to split on: what was read is all there is.
	r.mu.Lock()
	delete(r.nodes, n.id)
	l := r.addLeaf(Partition{ID: r.newLeafID(), Where: n.where, Label: r.labelLocked(n.where), Count: n.count, Status: StatusIncomplete, Read: n.read})
	l.done = true
	d := &delta{Op: "plan", Resolve: []string{n.id}, Leaves: []Partition{l.p}, NextID: r.nextID}
	r.emitLocked(&Item{Delta: d.json()})
	r.mu.Unlock()
	return nil
}

// loadIntegrations reads the integration list once, as pages to plan with.
func (r *Reader) loadIntegrations(ctx context.Context) error {
	r.mu.Lock()
	have := r.haveIntegs
	r.mu.Unlock()
	if have || r.opt.IntegrationsPath == "" {
		return nil
	}
	var list []integration
	pages := 0
	next := r.opt.Client.PageURL(r.opt.IntegrationsPath, nil)
	seen := map[string]bool{}
	for next != "" {
		pages++
		f, err := r.fetch(ctx, next, pages)
		if err != nil {
			return fmt.Errorf("reading the integrations to split %s by: %w", r.opt.Path, err)
		}
		for _, v := range f.records {
			id, _ := text(v, "id")
			name, _ := text(v, "name")
			if id != "" {
				list = append(list, integration{strings.Clone(id), strings.Clone(name)})
			}
		}
		next = f.page.Next
		if next != "" {
			if err := r.opt.Client.CheckNext(f.page, seen, 0); err != nil {
				return err
			}
		}
	}
	r.mu.Lock()
	r.integrations, r.haveIntegs = list, true
	r.planPages += pages
	r.mu.Unlock()
	return nil
}
