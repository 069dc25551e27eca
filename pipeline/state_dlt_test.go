package pipeline

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
)

// stateVector is a state with a cursor, a content hash with characters JSON escapes
// for HTML, and a partition plan with a large number; its _version_hash was computed
// from the same JSON by Python's hashlib (sha3_256 of json.dumps with sort_keys and
// compact separators, ensure_ascii off: what dlt's orjson writes), not by this code.
const stateVectorHash = "Z7gdyf1J9JPusBoq4LBMbB9EIQ+aF8jVbH8U56ME8bA="

func stateVector() *State {
	s := newState(&Plan{PipelineName: "secoda_pipeline", DatasetName: "secoda_data", DestinationType: "duckdb", SchemaName: normalize.SchemaName})
	s.Version = 3
	s.SetCursor("document", "updated_at", "2026-05-01T00:00:00Z")
	s.SetCursor("document", "updated_at", "2026-05-26T02:31:20.972112Z")
	s.SetContentHash("document", "a<b>&c")
	s.SetPlan("integration", &partition.Plan{Format: 1, Query: "q", Cap: 1000000, NextID: 2})
	return s
}

// TestTheStateIsDlts: the state's stored form has what dlt's sync reads (_version_hash
// by dlt's rule, the cursor with initial, last and start values and unique hashes),
// and dlt's own state from the reference reads as ours.
func TestTheStateIsDlts(t *testing.T) {
	s := stateVector()
	raw := s.JSON()
	if os.Getenv("PRINT_STATE") != "" {
		t.Logf("%s", raw)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["_version_hash"] != stateVectorHash {
		t.Errorf("_version_hash %v, Python computes %s", doc["_version_hash"], stateVectorHash)
	}
	for _, k := range []string{"_state_version", "_state_engine_version", "pipeline_name", "dataset_name", "default_schema_name",
		"schema_names", "destination_type", "destination_name", "_version_hash", "sources"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("no %s in %s", k, raw)
		}
	}
	c := doc["sources"].(map[string]any)["secoda_source"].(map[string]any)["resources"].(map[string]any)["document"].(map[string]any)["incremental"].(map[string]any)["updated_at"].(map[string]any)
	if c["last_value"] != "2026-05-26T02:31:20.972112Z" || c["start_value"] != "2026-05-01T00:00:00Z" || c["unique_hashes"] == nil {
		t.Errorf("the cursor: %v", c)
	}

	// dlt's own state, as stored: compressed as we compress, read as ours.
	var row struct {
		State string `json:"state"`
	}
	line, err := os.ReadFile("testdata/dlt-1.26-secoda-small/dlt_pipeline_state_rows.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(line, &row); err != nil {
		t.Fatal(err)
	}
	plain, err := dest.DecompressState(row.State)
	if err != nil {
		t.Fatal(err)
	}
	// zlib's header (its first two bytes, "eN" and the top of the third character in
	// base64) names the level: 9, as dlt's.
	if again := dest.CompressState(plain); again[:3] != row.State[:3] {
		t.Errorf("our compression starts %s, dlt's %s (zlib's header: the level)", again[:3], row.State[:3])
	}
	theirs, err := parseState(&Plan{PipelineName: "secoda_pipeline", SchemaName: normalize.SchemaName}, plain, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := theirs.Cursor("resource_catalog", "updated_at"); got != "2026-05-31T18:21:09.391134Z" {
		t.Fatalf("dlt's resource_catalog cursor reads as %q", got)
	}
	rc := theirs.Sources["secoda_source"].Resources["resource_catalog"].Incremental["updated_at"]
	if len(rc.UniqueHashes) != 1 || rc.InitialValue != nil {
		t.Fatalf("dlt's cursor state reads as %+v", rc)
	}
	// Stored again unchanged, dlt's hashes stay; moved on, they go.
	theirs.SetCursor("resource_catalog", "updated_at", "2026-05-31T18:21:09.391134Z")
	if rc := theirs.Sources["secoda_source"].Resources["resource_catalog"].Incremental["updated_at"]; len(rc.UniqueHashes) != 1 {
		t.Fatalf("the same cursor dropped dlt's hashes: %+v", rc)
	}
	theirs.SetCursor("resource_catalog", "updated_at", "2026-06-01T00:00:00Z")
	if rc := theirs.Sources["secoda_source"].Resources["resource_catalog"].Incremental["updated_at"]; len(rc.UniqueHashes) != 0 ||
		rc.StartValue == nil || *rc.StartValue != "2026-05-31T18:21:09.391134Z" {
		t.Fatalf("a new cursor kept dlt's hashes or lost its start: %+v", rc)
	}
}
