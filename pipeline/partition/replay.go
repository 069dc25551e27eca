package partition

import (
	"encoding/json"
	"fmt"
)

// delta is the reader's progress after one item, journaled with it: a change of plan,
// a page read, or a partition read whole. Replaying the deltas of an interrupted run in
// order rebuilds where the reading stood.
type delta struct {
	Op string `json:"op"` // start, meta, plan, page, done

	Resolve []string          `json:"resolve,omitempty"` // nodes split or found under the cap
	Drop    []string          `json:"drop,omitempty"`    // partitions replaced by a split
	Nodes   []nodeRec         `json:"nodes,omitempty"`   // queries still to probe
	Leaves  []Partition       `json:"leaves,omitempty"`
	StopAt  map[string]string `json:"stop_at,omitempty"` // the cursor a new partition reads down to
	Phase   string            `json:"phase,omitempty"`   // a windowed partition's end being read

	ID        string   `json:"id,omitempty"`
	Started   bool     `json:"started,omitempty"`
	Next      string   `json:"next,omitempty"`
	NextPage  int      `json:"next_page,omitempty"` // the next link is the partition's query at this page
	Number    int      `json:"number,omitempty"`
	LastAsc   string   `json:"last_asc,omitempty"`
	PrevID    string   `json:"prev_id,omitempty"`
	Unordered bool     `json:"unordered,omitempty"`
	Read      int      `json:"read,omitempty"`
	Cursor    string   `json:"cursor,omitempty"`
	Count     int      `json:"count"`
	Status    string   `json:"status,omitempty"`
	Parents   []Parent `json:"parents,omitempty"`

	Cap      int    `json:"cap,omitempty"`
	PageSize int    `json:"page_size,omitempty"`
	NextID   int    `json:"next_id,omitempty"`
	Sweep    bool   `json:"sweep,omitempty"`
	M0       string `json:"m0,omitempty"`
	Data     int    `json:"data_pages,omitempty"`
	Plan     int    `json:"plan_pages,omitempty"`
}

type nodeRec struct {
	ID    string       `json:"id"`
	Where []Constraint `json:"where,omitempty"`
	Note  string       `json:"note,omitempty"`
}

func (d *delta) json() json.RawMessage {
	b, _ := json.Marshal(d)
	return b
}

// replay rebuilds the reading from an interrupted run's deltas and queues what is left:
// the queries not yet probed (probed again) and the partitions not yet read whole.
func (r *Reader) replay(deltas []json.RawMessage) error {
	pending := map[string]*node{}
	var pendingOrder []string
	for i, raw := range deltas {
		var d delta
		if err := json.Unmarshal(raw, &d); err != nil {
			return fmt.Errorf("the interrupted run's progress, entry %d, does not parse: %w (run again with --restart)", i+1, err)
		}
		if d.Cap > 0 {
			r.cap = d.Cap
		}
		if d.PageSize > 0 {
			r.pageSize = d.PageSize
		}
		if d.NextID > r.nextID {
			r.nextID = d.NextID
		}
		if d.Sweep {
			r.sweep, r.m0 = true, d.M0
		}
		if d.Data > 0 || d.Plan > 0 {
			r.dataPages, r.planPages = d.Data, d.Plan
		}
		for _, id := range d.Resolve {
			delete(pending, id)
		}
		for _, id := range d.Drop {
			r.dropLeafLocked(id)
		}
		for _, n := range d.Nodes {
			pending[n.ID] = &node{id: n.ID, where: n.Where, count: -1, note: n.Note}
			pendingOrder = append(pendingOrder, n.ID)
		}
		for _, p := range d.Leaves {
			l := r.addLeaf(p)
			l.stopAt = d.StopAt[p.ID]
			if d.Op == "start" {
				l.stopAt, l.reused = p.Cursor, true
			}
			if p.Status == StatusWindowed && d.Phase == "asc" {
				l.phase = "asc"
			}
		}
		switch d.Op {
		case "page":
			l := r.leaves[d.ID]
			if l == nil && d.ID == "sweep" {
				l = &leaf{p: Partition{ID: "sweep", Label: "what changed during the run", Count: -1}, seen: map[string]bool{}}
				r.leaves["sweep"] = l
			}
			if l == nil {
				return fmt.Errorf("the interrupted run's progress names partition %s before making it (run again with --restart)", d.ID)
			}
			l.started, l.next, l.number, l.phase = d.Started, d.Next, d.Number, d.Phase
			if d.NextPage > 0 {
				l.next = r.pageOf(l, d.NextPage)
			}
			l.lastAsc, l.prevID, l.ordered, l.read, l.cursor = d.LastAsc, d.PrevID, !d.Unordered, d.Read, d.Cursor
			if d.Count != 0 || l.p.Count <= 0 {
				l.p.Count = d.Count
			}
			for _, p := range d.Parents {
				r.registry[p.ID] = p
			}
		case "done":
			if l := r.leaves[d.ID]; l != nil {
				if !l.done && d.ID != "sweep" {
					r.done++
				}
				l.done, l.p.Status, l.read, l.cursor, l.p.Count = true, d.Status, d.Read, d.Cursor, d.Count
				if d.Status == StatusIncomplete {
					l.p.Read = d.Read
				}
			}
			if d.ID == "sweep" {
				r.sweepDone = true
			}
		}
	}
	for _, id := range pendingOrder {
		if n, ok := pending[id]; ok {
			delete(pending, id)
			r.nodes[id] = n
			r.queue = append(r.queue, &task{kind: probeTask, node: n})
		}
	}
	for _, id := range r.order {
		if l := r.leaves[id]; !l.done {
			r.queue = append(r.queue, &task{kind: readTask, leaf: l})
		}
	}
	if r.opt.MaxPages > 0 {
		r.budget = max(0, r.opt.MaxPages-r.dataPages)
	}
	return nil
}
