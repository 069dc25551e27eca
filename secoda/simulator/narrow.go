package simulator

import "slices"

// span is a run of global indices [lo, hi).
type span struct{ lo, hi int }

// narrow is where in kind k's range the entities a filter can match lie: a superset,
// found from the index alone, so that a query pinning an entity type, an integration,
// some parents or some ids scans those ranges rather than the catalog. exact is true
// when the spans hold exactly the unchanged entities that match (which lets "not"
// take the complement); entities changed by PATCH are checked apart, by the caller.
// The filter is still evaluated on every entity of the spans: narrowing only skips.
func (w *Workspace) narrow(n *filterNode, k kind) (spans []span, exact bool) {
	whole := []span{{w.start[k], w.start[k] + w.count[k]}}
	if n == nil {
		return whole, false
	}
	switch n.Operator {
	case "and":
		spans, exact = whole, true
		for _, o := range n.Operands {
			s, e := w.narrow(o, k)
			spans, exact = intersectSpans(spans, s), exact && e
		}
		return spans, exact
	case "or":
		exact = true
		for _, o := range n.Operands {
			s, e := w.narrow(o, k)
			spans, exact = unionSpans(spans, s), exact && e
		}
		return spans, exact
	case "not":
		if s, e := w.narrow(n.Operands[0], k); e {
			return subtractSpans(whole, s), true
		}
		return whole, false
	case "is_set":
		return w.isSetSpan(k, n.Field)
	case "exact":
		return w.leafSpans(k, n.Field, []any{n.value})
	case "in":
		values, _ := n.value.([]any)
		return w.leafSpans(k, n.Field, values)
	}
	return whole, false
}

func (w *Workspace) leafSpans(k kind, field string, values []any) ([]span, bool) {
	if a, ok := fieldAlias[field]; ok {
		field = a
	}
	var spans []span
	exact := true
	for _, v := range values {
		s, e := w.leafSpan(k, field, v)
		spans, exact = unionSpans(spans, s), exact && e
	}
	return spans, exact
}

// leafSpan narrows "field equals v" within kind k. The entities with no such field in
// their records match no string (an absent field is null), which is exact too.
func (w *Workspace) leafSpan(k kind, field string, v any) ([]span, bool) {
	lo, hi := w.start[k], w.start[k]+w.count[k]
	whole := []span{{lo, hi}}
	s, isString := v.(string)
	// Kinds whose fields this knows: the catalog and the resources resource/all lists.
	known := isCatalog(k) || k == kDocument || k == kCollection || k == kQuestion
	if !isString || !known {
		if field == "id" && isString {
			return w.idSpan(k, s), true
		}
		return whole, false
	}
	match := func(ok bool) ([]span, bool) {
		if ok {
			return whole, true
		}
		return nil, true
	}
	switch field {
	case "id":
		return w.idSpan(k, s), true
	case "entity_type":
		return match(s == entityType(k))
	case "type":
		switch {
		case k == kColumn: // columns of that data type lie anywhere in the range
			if slices.Contains(dataTypes, s) {
				return whole, false
			}
			return nil, true
		case isCatalog(k):
			return match(s == entityType(k))
		}
		return nil, true // documents, collections and questions carry no type
	case "parent_id":
		if k == kDocument {
			return whole, false // a document's parent is drawn, not a range
		}
		idx, ok := w.Lookup(s)
		if !ok {
			return nil, true
		}
		pk, po := w.ordinal(idx)
		if ck, ok := childKind(pk); ok && ck == k {
			c0, c1 := w.children(pk, po, k)
			return []span{{lo + c0, lo + c1}}, true
		}
		return nil, true
	case "integration":
		idx, ok := w.Lookup(s)
		if !ok || w.kindOf(idx) != kIntegration {
			return nil, true
		}
		if i0, i1, ok := w.underIntegration(idx-w.start[kIntegration], k); ok {
			return []span{{lo + i0, lo + i1}}, true
		}
		return nil, true // glossary terms, events, metrics, documents: no integration
	}
	return whole, false
}

// isSetSpan narrows "field is set" within kind k, for the fields every entity of a
// kind either has (a non-empty string) or lacks.
func (w *Workspace) isSetSpan(k kind, field string) ([]span, bool) {
	whole := []span{{w.start[k], w.start[k] + w.count[k]}}
	if a, ok := fieldAlias[field]; ok {
		field = a
	}
	known := isCatalog(k) || k == kDocument || k == kCollection || k == kQuestion
	if !known {
		return whole, false
	}
	set := func(ok bool) ([]span, bool) {
		if ok {
			return whole, true
		}
		return nil, true
	}
	switch field {
	case "id", "entity_type":
		return whole, true
	case "type":
		return set(isCatalog(k))
	case "integration":
		if !isCatalog(k) {
			return nil, true
		}
		_, _, held := w.underIntegration(0, k)
		return set(held)
	case "parent_id":
		switch k {
		case kSchema, kTable, kColumn, kChart:
			return whole, true
		case kDocument:
			return whole, false
		}
		return nil, true
	case "schema":
		return set(k == kTable || k == kColumn)
	}
	return whole, false
}

func (w *Workspace) idSpan(k kind, id string) []span {
	if idx, ok := w.Lookup(id); ok && w.kindOf(idx) == k {
		return []span{{idx, idx + 1}}
	}
	return nil
}

// normalizeSpans sorts spans and merges those that touch or overlap.
func normalizeSpans(s []span) []span {
	s = slices.DeleteFunc(s, func(x span) bool { return x.hi <= x.lo })
	slices.SortFunc(s, func(a, b span) int { return a.lo - b.lo })
	out := s[:0]
	for _, x := range s {
		if n := len(out); n > 0 && x.lo <= out[n-1].hi {
			out[n-1].hi = max(out[n-1].hi, x.hi)
			continue
		}
		out = append(out, x)
	}
	return out
}

func unionSpans(a, b []span) []span {
	return normalizeSpans(append(slices.Clone(a), b...))
}

func intersectSpans(a, b []span) []span {
	var out []span
	for i, j := 0, 0; i < len(a) && j < len(b); {
		lo, hi := max(a[i].lo, b[j].lo), min(a[i].hi, b[j].hi)
		if lo < hi {
			out = append(out, span{lo, hi})
		}
		if a[i].hi < b[j].hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// subtractSpans is a minus b; both normalized.
func subtractSpans(a, b []span) []span {
	var out []span
	j := 0
	for _, x := range a {
		lo := x.lo
		for j < len(b) && b[j].hi <= lo {
			j++
		}
		for k := j; k < len(b) && b[k].lo < x.hi; k++ {
			if b[k].lo > lo {
				out = append(out, span{lo, b[k].lo})
			}
			lo = max(lo, b[k].hi)
		}
		if lo < x.hi {
			out = append(out, span{lo, x.hi})
		}
	}
	return out
}

// inSpans tells whether idx lies in normalized spans.
func inSpans(s []span, idx int) bool {
	_, found := slices.BinarySearchFunc(s, idx, func(x span, t int) int {
		switch {
		case x.hi <= t:
			return -1
		case x.lo > t:
			return 1
		}
		return 0
	})
	return found
}
