package pipeline

import (
	"cmp"
	"crypto/sha3"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"slices"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/internal/jsonv"

	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
)

// State is the pipeline state dlt keeps in _dlt_pipeline_state, in dlt's form (state
// engine 4): the incremental cursors per resource under
// sources.secoda_source.resources.<name>.incremental.<cursor field>, and _version_hash
// as dlt computes it (JSON). Our own keys (content_hash, partitions) sit in a
// resource's state beside incremental, where dlt keeps what a source stores and never
// rewrites it.
type State struct {
	Version           int64                  `json:"_state_version"`
	EngineVersion     int                    `json:"_state_engine_version"`
	PipelineName      string                 `json:"pipeline_name"`
	DatasetName       string                 `json:"dataset_name"`
	DefaultSchemaName string                 `json:"default_schema_name"`
	SchemaNames       []string               `json:"schema_names"`
	DestinationType   string                 `json:"destination_type"`
	DestinationName   *string                `json:"destination_name"`
	VersionHash       string                 `json:"_version_hash"`
	Sources           map[string]SourceState `json:"sources"`
	// source is the source the state keeps resources under: the schema's name, as dlt
	// names a source's state after it.
	source string
}

// SourceState is one source's part of the state.
type SourceState struct {
	Resources map[string]ResourceState `json:"resources"`
}

// ResourceState is one resource's part: its incremental cursors, and for a resource
// without one, a hash of what it last loaded, so an unchanged endpoint is not merged
// again; and how its list was split into partitions, each with its own cursor.
type ResourceState struct {
	Incremental map[string]CursorState `json:"incremental,omitempty"`
	ContentHash string                 `json:"content_hash,omitempty"`
	Partitions  *partition.Plan        `json:"partitions,omitempty"`
}

// CursorState is where incremental loading of one field stands, as dlt's incremental
// keeps it: the start value of the run that set it, and unique_hashes, dlt's hashes of
// the records at last_value (which this program does not compute: an empty list, so
// that dlt reads those records once more and merges them by key).
type CursorState struct {
	InitialValue *string  `json:"initial_value"`
	LastValue    *string  `json:"last_value"`
	UniqueHashes []string `json:"unique_hashes"`
	StartValue   *string  `json:"start_value"`
}

// MarshalJSON writes unique_hashes as a list even when there are none (a cursor this
// program stored before it kept them), as dlt reads it.
func (c CursorState) MarshalJSON() ([]byte, error) {
	type plain CursorState
	if c.UniqueHashes == nil {
		c.UniqueHashes = []string{}
	}
	return json.Marshal(plain(c))
}

// stateEngineVersion is dlt's current one.
const stateEngineVersion = 4

func newState(plan *Plan) *State {
	source := cmp.Or(plan.SchemaName, normalize.SchemaName)
	return &State{
		EngineVersion:     stateEngineVersion,
		PipelineName:      plan.PipelineName,
		DatasetName:       plan.DatasetName,
		DefaultSchemaName: source,
		SchemaNames:       []string{source},
		DestinationType:   "dlt.destinations." + plan.DestinationType,
		Sources:           map[string]SourceState{},
		source:            source,
	}
}

func parseState(plan *Plan, data []byte, version int64) (*State, error) {
	s := newState(plan)
	if len(data) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, err
	}
	if s.Sources == nil {
		s.Sources = map[string]SourceState{}
	}
	// A state this program wrote under its old source name is carried over.
	if old, ok := s.Sources[normalize.LegacySchemaName]; ok {
		if _, taken := s.Sources[s.source]; !taken {
			s.Sources[s.source] = old
		}
		delete(s.Sources, normalize.LegacySchemaName)
	}
	s.DefaultSchemaName = s.source
	if !slices.Contains(s.SchemaNames, s.source) {
		s.SchemaNames = slices.DeleteFunc(s.SchemaNames, func(n string) bool { return n == normalize.LegacySchemaName })
		s.SchemaNames = append(s.SchemaNames, s.source)
	}
	if s.Version < version {
		s.Version = version
	}
	return s, nil
}

// Cursor is a resource's last loaded cursor value, "" when none.
func (s *State) Cursor(resource, field string) string {
	c := s.Sources[s.source].Resources[resource].Incremental[field]
	if c.LastValue == nil {
		return ""
	}
	return *c.LastValue
}

// SetCursor records where a resource's incremental loading now stands.
func (s *State) SetCursor(resource, field, value string) {
	src := s.Sources[s.source]
	if src.Resources == nil {
		src.Resources = map[string]ResourceState{}
	}
	rs := src.Resources[resource]
	if rs.Incremental == nil {
		rs.Incremental = map[string]CursorState{}
	}
	v := value
	c := rs.Incremental[field]
	if c.LastValue == nil || *c.LastValue != value {
		// dlt's hashes were of the records at the old value.
		c.StartValue, c.UniqueHashes = c.LastValue, []string{}
	}
	c.LastValue = &v
	rs.Incremental[field] = c
	src.Resources[resource] = rs
	s.Sources[s.source] = src
}

// ContentHash is the hash of what a resource without a cursor last loaded.
func (s *State) ContentHash(resource string) string {
	return s.Sources[s.source].Resources[resource].ContentHash
}

// SetContentHash records the hash of what a resource loaded.
func (s *State) SetContentHash(resource, hash string) {
	src := s.Sources[s.source]
	if src.Resources == nil {
		src.Resources = map[string]ResourceState{}
	}
	rs := src.Resources[resource]
	rs.ContentHash = hash
	src.Resources[resource] = rs
	s.Sources[s.source] = src
}

// Plan is how a resource's list was split at its last load, nil for none.
func (s *State) Plan(resource string) *partition.Plan {
	return s.Sources[s.source].Resources[resource].Partitions
}

// SetPlan keeps how a resource's list was split; it reports whether that changed.
func (s *State) SetPlan(resource string, p *partition.Plan) bool {
	if p == nil {
		return false
	}
	src := s.Sources[s.source]
	if src.Resources == nil {
		src.Resources = map[string]ResourceState{}
	}
	rs := src.Resources[resource]
	old, _ := json.Marshal(rs.Partitions)
	now, _ := json.Marshal(p)
	if string(old) == string(now) {
		return false
	}
	rs.Partitions = p
	src.Resources[resource] = rs
	s.Sources[s.source] = src
	return true
}

// Forget drops a resource's state (a full refresh).
func (s *State) Forget(resource string) {
	if src, ok := s.Sources[s.source]; ok {
		delete(src.Resources, resource)
	}
}

// Cursors lists every resource's cursor, for status.
func (s *State) Cursors() map[string]map[string]string {
	out := map[string]map[string]string{}
	for name, rs := range s.Sources[s.source].Resources {
		for field, c := range rs.Incremental {
			if c.LastValue == nil {
				continue
			}
			if out[name] == nil {
				out[name] = map[string]string{}
			}
			out[name][field] = *c.LastValue
		}
	}
	return out
}

// JSON is the state's stored form, its _version_hash computed first.
func (s *State) JSON() []byte {
	s.VersionHash = stateVersionHash(s)
	b, _ := json.Marshal(s)
	return b
}

// stateVersionHash is dlt's version hash of a pipeline state: SHA3-256 of the state as
// compact JSON with its keys sorted, without _state_version, _state_engine_version,
// _version_hash and _local; base64.
func stateVersionHash(s *State) string {
	raw, _ := json.Marshal(s)
	content, err := normalize.SortedJSON(raw, "_state_version", "_state_engine_version", "_version_hash", "_local")
	if err != nil {
		return ""
	}
	sum := sha3.Sum256(content)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// compareCursor orders cursor values: as timestamps when both are ISO 8601 date-times,
// as numbers when both are numbers, else as text.
func compareCursor(a, b string) int {
	if ta, ok := normalize.ParseTimestamp(a); ok {
		if tb, ok := normalize.ParseTimestamp(b); ok {
			return ta.Compare(tb)
		}
	}
	if na, ok := new(big.Float).SetString(strings.TrimSpace(a)); ok {
		if nb, ok := new(big.Float).SetString(strings.TrimSpace(b)); ok {
			return na.Cmp(nb)
		}
	}
	return strings.Compare(a, b)
}

// cursorText reads a cursor field of a record as text; ok is false when the record
// lacks it or holds null.
func cursorText(v jsonv.Value, field string) (string, bool) { return normalize.FieldText(v, field) }

// ParseState reads a stored state (nil for none), for status and the tools.
func ParseState(plan *Plan, data []byte) (*State, error) { return parseState(plan, data, 0) }
