package partition

import (
	"fmt"
	"slices"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// PlanFormat is the version of Plan's stored form; a plan of another format is made
// afresh.
const PlanFormat = 1

// Plan is how a list was split, kept in the pipeline state so that the next run reads
// the same partitions, each from its own cursor.
type Plan struct {
	Format int `json:"format"`
	// Query identifies what the plan was made for: the path, the user's filter, sort and
	// params. A plan made for another query is not reused.
	Query string `json:"query"`
	// Cap is the most records one query returns, as configured or as learned (a cap
	// lower than configured shows when a query's parts add up to more than it).
	Cap      int         `json:"cap"`
	PageSize int         `json:"page_size,omitempty"`
	NextID   int         `json:"next_id"`
	Parts    []Partition `json:"partitions"`
}

// Partition is one query of a plan: the list narrowed by its constraints.
type Partition struct {
	ID    string       `json:"id"`
	Where []Constraint `json:"where,omitempty"`
	Label string       `json:"label"`
	// Cursor is the newest cursor value read in the partition: the next run reads, newest
	// first, down to it.
	Cursor string `json:"cursor,omitempty"`
	// Count is how many records the server said the partition holds at its last read,
	// -1 when it does not say.
	Count int `json:"count"`
	// Status is complete, windowed (too big for one query, read whole from both ends of
	// its id order) or incomplete (too big even so: what could be read was read).
	Status string `json:"status"`
	Read   int    `json:"read,omitempty"` // records read, for an incomplete partition
	// Note says what the partition cannot see, where a catch-all could not be written
	// (a parents' list longer than a URL allows).
	Note string `json:"note,omitempty"`
}

// The statuses of a partition.
const (
	StatusComplete   = "complete"
	StatusWindowed   = "windowed"
	StatusIncomplete = "incomplete"
)

// Constraint pins one field of a partition's records.
type Constraint struct {
	Field string `json:"field"`
	// In: the field holds one of these (exact when there is one).
	In []string `json:"in,omitempty"`
	// Rest: a catch-all, the field holds none of NotIn, or no value at all.
	Rest  bool     `json:"rest,omitempty"`
	NotIn []string `json:"not_in,omitempty"`
	// Unset: only records with no value in the field (the catch-all, where NotIn would
	// make the URL too long).
	Unset bool `json:"unset,omitempty"`
}

// Filter is the constraint as the catalog's filter.
func (c Constraint) Filter() *secoda.Filter {
	unset := secoda.Not(secoda.IsSet(c.Field))
	switch {
	case c.Unset:
		return unset
	case c.Rest && len(c.NotIn) == 0:
		return nil // everything
	case c.Rest:
		// "or not set": Django's exclude(field__in=...) may or may not keep nulls.
		return secoda.Or(secoda.Not(in(c.Field, c.NotIn)), unset)
	}
	return in(c.Field, c.In)
}

func in(field string, vs []string) *secoda.Filter {
	if len(vs) == 1 {
		return secoda.Exact(field, vs[0])
	}
	return secoda.In(field, vs)
}

// Match tells whether a value of the field meets the constraint ("" for none).
func (c Constraint) Match(v string) bool {
	switch {
	case c.Unset:
		return v == ""
	case c.Rest:
		return v == "" || !slices.Contains(c.NotIn, v)
	}
	return v != "" && slices.Contains(c.In, v)
}

// Single is the one value an In constraint names, or "".
func (c Constraint) Single() string {
	if !c.Rest && !c.Unset && len(c.In) == 1 {
		return c.In[0]
	}
	return ""
}

// Filter is the partition's own filter (without the user's), nil for the whole list.
func Filter(where []Constraint) *secoda.Filter {
	var fs []*secoda.Filter
	for _, c := range where {
		fs = append(fs, c.Filter())
	}
	return secoda.And(fs...)
}

// constraint returns the constraint on field, if any.
func constraint(where []Constraint, field string) (Constraint, bool) {
	for _, c := range where {
		if c.Field == field {
			return c, true
		}
	}
	return Constraint{}, false
}

// with returns where with c replacing any constraint on its field.
func with(where []Constraint, c Constraint) []Constraint {
	out := make([]Constraint, 0, len(where)+1)
	for _, w := range where {
		if w.Field != c.Field {
			out = append(out, w)
		}
	}
	return append(out, c)
}

// Incomplete is a partition that could not be read whole, as a run reports it.
type Incomplete struct {
	Partition string `json:"partition"`
	Label     string `json:"label"`
	Filter    string `json:"filter" jsonschema:"the partition's filter as Secoda takes it (without the resource's own)"`
	Count     int    `json:"count" jsonschema:"records the server said it holds; -1 when it does not say"`
	Read      int    `json:"read" jsonschema:"records read"`
	Reason    string `json:"reason"`
	Hint      string `json:"hint" jsonschema:"what the user can do"`
}

// String is the partition and what to do, in a line.
func (i Incomplete) String() string {
	seen := fmt.Sprintf("%d read", i.Read)
	if i.Count >= 0 {
		seen = fmt.Sprintf("the server counts %d, %d read", i.Count, i.Read)
	}
	return fmt.Sprintf("%s: %s (%s). %s", i.Label, i.Reason, seen, i.Hint)
}

// IncompleteParts lists the plan's incomplete partitions as a run reports them.
func (p *Plan) IncompleteParts() []Incomplete {
	if p == nil {
		return nil
	}
	var out []Incomplete
	for _, part := range p.Parts {
		if part.Status == StatusIncomplete {
			out = append(out, incompleteOf(part, p.Cap))
		}
	}
	return out
}

func incompleteOf(p Partition, cap int) Incomplete {
	leaveOut := "a filter that leaves it out"
	if c, ok := constraint(p.Where, FieldParent); ok && c.Single() != "" {
		leaveOut = fmt.Sprintf(`filter = '{"operator":"not","operands":[{"operator":"exact","field":"parent_id","value":%q}]}'`, c.Single())
	}
	return Incomplete{Partition: p.ID, Label: p.Label, Filter: Filter(p.Where).String(), Count: p.Count, Read: p.Read,
		Reason: fmt.Sprintf("no filter splits it under Secoda's cap of %d resources a query, and reading it from both ends of its id order did not meet", cap),
		Hint: "What could be read was loaded. To stop the run saying so, give the resource in secoda_pipeline.toml " + leaveOut +
			" (combined by \"and\" with any filter it has), or ask Secoda support to raise the cap for the workspace"}
}

// label describes a partition for people: "entity_type column, integration Snowflake 1,
// 75 parents".
func label(where []Constraint, names func(field, value string) string) string {
	if len(where) == 0 {
		return "everything"
	}
	var parts []string
	for _, c := range where {
		switch {
		case c.Unset:
			parts = append(parts, "no "+c.Field)
		case c.Rest && len(c.NotIn) == 0:
			parts = append(parts, "any "+c.Field)
		case c.Rest:
			parts = append(parts, fmt.Sprintf("%s other than %d named", c.Field, len(c.NotIn)))
		case len(c.In) == 1:
			parts = append(parts, c.Field+" "+names(c.Field, c.In[0]))
		default:
			parts = append(parts, fmt.Sprintf("%s one of %d", c.Field, len(c.In)))
		}
	}
	return strings.Join(parts, ", ")
}
