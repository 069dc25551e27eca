package pipeline

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

// TestLoadInfoSaysWhichValuesCollisionsDropped: fields of a record that become one
// column are never dropped unsaid, in the text or the JSON of a run.
func TestLoadInfoSaysWhichValuesCollisionsDropped(t *testing.T) {
	li := &LoadInfo{Resources: []ResourceInfo{{Name: "resource_catalog",
		Collisions: []normalize.Collision{{Table: "resource_catalog", Column: "foo", Fields: []string{"Foo", "foo"}, Dropped: 3}}}}}
	if !strings.Contains(li.String(), `WARNING resource_catalog: fields "Foo", "foo" of one record all become resource_catalog.foo; the last one's value was kept, as dlt keeps it, and 3 values were dropped`) {
		t.Fatalf("the text says nothing of it:\n%s", li)
	}
	b, err := json.Marshal(li)
	if err != nil || !strings.Contains(string(b), `"collisions":[{"table":"resource_catalog","column":"foo","fields":["Foo","foo"],"dropped":3}]`) {
		t.Fatalf("the JSON says nothing of it: %s %v", b, err)
	}
}
