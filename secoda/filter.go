package secoda

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Filter is the catalog's JSON filter: a leaf {"operator": "exact|contains|in|is_set",
// "field": F, "value": V} or a combination {"operator": "and|or|not", "operands": [...]}.
// Build one with Exact, In, IsSet, Not, And and Or; RawFilter keeps a filter given as JSON
// (a user's) exactly as written.
type Filter struct {
	Operator string
	Field    string
	Value    any // a string, number or bool; []string for in; nil for is_set
	Operands []*Filter
	raw      json.RawMessage
}

// Exact matches a field equal to v.
func Exact(field string, v any) *Filter { return &Filter{Operator: "exact", Field: field, Value: v} }

// In matches a field equal to one of vs.
func In(field string, vs []string) *Filter {
	return &Filter{Operator: "in", Field: field, Value: slices.Clone(vs)}
}

// IsSet matches a field that holds a value (not null, not empty).
func IsSet(field string) *Filter { return &Filter{Operator: "is_set", Field: field} }

// Not negates f.
func Not(f *Filter) *Filter { return &Filter{Operator: "not", Operands: []*Filter{f}} }

// And matches what every operand matches; nil operands are left out, and one operand
// stands for itself.
func And(fs ...*Filter) *Filter { return combine("and", fs) }

// Or matches what any operand matches; nil operands are left out.
func Or(fs ...*Filter) *Filter { return combine("or", fs) }

func combine(op string, fs []*Filter) *Filter {
	var kept []*Filter
	for _, f := range fs {
		if f != nil {
			kept = append(kept, f)
		}
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	}
	return &Filter{Operator: op, Operands: kept}
}

// RawFilter is a filter given as JSON, kept byte for byte; nil for "".
func RawFilter(s string) *Filter {
	if s == "" {
		return nil
	}
	return &Filter{raw: json.RawMessage(s)}
}

// MarshalJSON writes the filter as Secoda takes it.
func (f *Filter) MarshalJSON() ([]byte, error) {
	if f.raw != nil {
		return f.raw, nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	var err error
	switch f.Operator {
	case "and", "or", "not":
		err = enc.Encode(struct {
			Operator string    `json:"operator"`
			Operands []*Filter `json:"operands"`
		}{f.Operator, f.Operands})
	default:
		err = enc.Encode(struct {
			Operator string `json:"operator"`
			Field    string `json:"field"`
			Value    any    `json:"value"`
		}{f.Operator, f.Field, f.Value})
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
}

// String is the filter's JSON.
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	b, err := f.MarshalJSON()
	if err != nil {
		return fmt.Sprintf("<filter: %v>", err)
	}
	return string(b)
}

// Match evaluates the filter against a record's fields, read with get ("" for a field
// that is absent or null), as Secoda would: exact and in compare text, is_set is false
// for "". A filter given as JSON cannot be evaluated here and matches everything.
func (f *Filter) Match(get func(field string) string) bool {
	if f == nil || f.raw != nil {
		return true
	}
	switch f.Operator {
	case "and":
		for _, o := range f.Operands {
			if !o.Match(get) {
				return false
			}
		}
		return true
	case "or":
		for _, o := range f.Operands {
			if o.Match(get) {
				return true
			}
		}
		return false
	case "not":
		return len(f.Operands) == 1 && !f.Operands[0].Match(get)
	case "is_set":
		return get(f.Field) != ""
	case "exact":
		v := get(f.Field)
		return v != "" && v == fmt.Sprint(f.Value)
	case "in":
		v := get(f.Field)
		if v == "" {
			return false
		}
		vs, _ := f.Value.([]string)
		return slices.Contains(vs, v)
	}
	return false
}
