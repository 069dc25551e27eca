package tools

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the tool schema snapshots in __toolsnaps__")

// TestToolSnapshots keeps each tool's definition (name, description, schemas, hints)
// in __toolsnaps__, so that a change an agent would see is a change someone meant:
// `go test ./tools -run Snapshots -update` rewrites them.
func TestToolSnapshots(t *testing.T) {
	for _, tool := range All(&Deps{}) {
		b, err := json.MarshalIndent(tool.Def, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
		path := filepath.Join("__toolsnaps__", tool.Def.Name+".snap")
		if *update {
			if err := os.MkdirAll("__toolsnaps__", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s has no snapshot: run `go test ./tools -run Snapshots -update` and review it", tool.Def.Name)
		}
		if string(want) != string(b) {
			t.Errorf("%s's definition changed: review it, then `go test ./tools -run Snapshots -update`\ngot:\n%s", tool.Def.Name, b)
		}
	}
}

// TestEveryToolStatesAllFourHints fails a tool that leaves an annotation to mcp-go's
// default (destructive, open-world), which would be wrong for most of them.
func TestEveryToolStatesAllFourHints(t *testing.T) {
	for _, tool := range All(&Deps{}) {
		h := tool.Hints
		if h.ReadOnly == nil || h.Destructive == nil || h.Idempotent == nil || h.OpenWorld == nil {
			t.Errorf("%s does not state all four hints: %+v", tool.Def.Name, h)
			continue
		}
		a := tool.Def.Annotations
		if *a.ReadOnlyHint != *h.ReadOnly || *a.DestructiveHint != *h.Destructive || *a.IdempotentHint != *h.Idempotent || *a.OpenWorldHint != *h.OpenWorld {
			t.Errorf("%s's definition does not carry its hints", tool.Def.Name)
		}
		if *h.ReadOnly && *h.Destructive {
			t.Errorf("%s is read-only and destructive", tool.Def.Name)
		}
		if tool.Def.Description == "" || len(tool.Def.RawInputSchema) == 0 || tool.Def.OutputSchema.Type != "object" {
			t.Errorf("%s lacks a description or a schema", tool.Def.Name)
		}
	}
}
