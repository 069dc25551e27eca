package simulator

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// filterNode is the catalog's filter: a leaf {"operator": "exact|contains|in|is_set",
// "field": F, "value": V} or a combination {"operator": "and|or|not", "operands": [...]}.
type filterNode struct {
	Operator string          `json:"operator"`
	Field    string          `json:"field"`
	Value    json.RawMessage `json:"value"`
	Operands []*filterNode   `json:"operands"`

	value any // Value decoded
}

// badQuery is a 400 with a DRF-style body {"param": ["message"]}.
type badQuery struct {
	param, msg string
}

func (e *badQuery) Error() string { return e.param + ": " + e.msg }

func parseFilter(s string) (*filterNode, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var n filterNode
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		return nil, &badQuery{"filter", "must be a JSON object: " + err.Error()}
	}
	if err := n.check(0); err != nil {
		return nil, err
	}
	return &n, nil
}

func (n *filterNode) check(depth int) error {
	if depth > 32 {
		return &badQuery{"filter", "nested too deep"}
	}
	switch n.Operator {
	case "and", "or", "not":
		if len(n.Operands) == 0 {
			return &badQuery{"filter", fmt.Sprintf("operator %q needs operands", n.Operator)}
		}
		if n.Operator == "not" && len(n.Operands) != 1 {
			return &badQuery{"filter", `operator "not" takes one operand`}
		}
		for _, o := range n.Operands {
			if o == nil {
				return &badQuery{"filter", "an operand is null"}
			}
			if err := o.check(depth + 1); err != nil {
				return err
			}
		}
	case "exact", "contains", "in", "is_set":
		if n.Field == "" {
			return &badQuery{"filter", fmt.Sprintf("operator %q needs a field", n.Operator)}
		}
		if len(n.Value) > 0 {
			if err := json.Unmarshal(n.Value, &n.value); err != nil {
				return &badQuery{"filter", "value is not JSON"}
			}
		}
		if n.Operator == "in" {
			if _, ok := n.value.([]any); !ok {
				return &badQuery{"filter", `operator "in" takes a list value`}
			}
		}
	default:
		return &badQuery{"filter", fmt.Sprintf("unknown operator %q (use exact, contains, in, is_set, and, or, not)", n.Operator)}
	}
	return nil
}

// fieldAlias maps the filter's field names onto the names records carry.
var fieldAlias = map[string]string{"integration_id": "integration"}

func (n *filterNode) match(get func(string) any) bool {
	switch n.Operator {
	case "and":
		for _, o := range n.Operands {
			if !o.match(get) {
				return false
			}
		}
		return true
	case "or":
		for _, o := range n.Operands {
			if o.match(get) {
				return true
			}
		}
		return false
	case "not":
		return !n.Operands[0].match(get)
	}
	field := n.Field
	if a, ok := fieldAlias[field]; ok {
		field = a
	}
	v := get(field)
	switch n.Operator {
	case "is_set":
		return isSet(v)
	case "exact":
		return anyElement(v, func(x any) bool { return looseEqual(x, n.value) })
	case "contains":
		want := strings.ToLower(fmt.Sprint(n.value))
		return anyElement(v, func(x any) bool {
			s, ok := x.(string)
			return ok && strings.Contains(strings.ToLower(s), want)
		})
	case "in":
		return anyElement(v, func(x any) bool {
			for _, w := range n.value.([]any) {
				if looseEqual(x, w) {
					return true
				}
			}
			return false
		})
	}
	return false
}

func isSet(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []string:
		return len(x) > 0
	case []record:
		return len(x) > 0
	}
	return true
}

// anyElement applies f to a scalar, or to each element of a list field (tags, owners).
func anyElement(v any, f func(any) bool) bool {
	if xs, ok := v.([]string); ok {
		for _, x := range xs {
			if f(x) {
				return true
			}
		}
		return false
	}
	return f(v)
}

// looseEqual compares a record's value with a filter's JSON value: numbers as numbers,
// strings case-sensitively, as Django's exact does.
func looseEqual(rec any, want any) bool {
	switch r := rec.(type) {
	case nil:
		return want == nil
	case string:
		w, ok := want.(string)
		return ok && r == w
	case int:
		w, ok := want.(float64)
		return ok && float64(r) == w
	case float64:
		w, ok := want.(float64)
		return ok && r == w
	case bool:
		w, ok := want.(bool)
		return ok && r == w
	case time.Time:
		w, ok := want.(string)
		return ok && formatTime(r) == w
	}
	return false
}

// sortSpec is the catalog's sort: {"field": F, "order": "asc|desc", "tie_breaker": {...}}.
type sortSpec struct {
	Field      string    `json:"field"`
	Order      string    `json:"order"`
	TieBreaker *sortSpec `json:"tie_breaker"`
}

// defaultSort is Secoda's: most used first.
var defaultSort = &sortSpec{Field: "external_usage", Order: "desc"}

func parseSort(s string) (*sortSpec, error) {
	if strings.TrimSpace(s) == "" {
		return defaultSort, nil
	}
	var sp sortSpec
	if err := json.Unmarshal([]byte(s), &sp); err != nil {
		return nil, &badQuery{"sort", "must be a JSON object: " + err.Error()}
	}
	for cur, depth := &sp, 0; cur != nil; cur, depth = cur.TieBreaker, depth+1 {
		if cur.Field == "" {
			return nil, &badQuery{"sort", "needs a field"}
		}
		if cur.Order == "" {
			cur.Order = "asc"
		}
		if cur.Order != "asc" && cur.Order != "desc" {
			return nil, &badQuery{"sort", fmt.Sprintf("order %q: use asc or desc", cur.Order)}
		}
		if depth > 4 {
			return nil, &badQuery{"sort", "too many tie breakers"}
		}
	}
	return &sp, nil
}

// compareValues orders two field values as PostgreSQL would: numbers by value, text and
// timestamps by their text, false before true, nulls last.
func compareValues(a, b any) int {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return 1
		default:
			return -1
		}
	}
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra - rb
	}
	switch x := a.(type) {
	case int:
		return cmp.Compare(float64(x), asFloat(b))
	case float64:
		return cmp.Compare(x, asFloat(b))
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	return strings.Compare(asText(a), asText(b))
}

func rank(v any) int {
	switch v.(type) {
	case int, float64:
		return 0
	case bool:
		return 1
	case string, time.Time:
		return 2
	}
	return 3
}

func asFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

func asText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return formatTime(x)
	}
	return fmt.Sprint(v)
}
