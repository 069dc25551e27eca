package tools

import (
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func TestListEndpoints(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	var out ListEndpointsOut
	res := call(t, ListEndpoints(f.d), nil)
	structured(t, res, &out)
	if out.Count != len(secoda.Endpoints) || out.Endpoints[0].Name != "resource_catalog" || !out.Endpoints[0].Default ||
		out.Endpoints[0].Cursor != "updated_at" || out.Endpoints[0].Filters[0] != "filter" {
		t.Fatalf("%+v", out.Endpoints[0])
	}
	if !strings.Contains(text(res), "| resource_catalog (default) | resource/catalog | id | merge | updated_at |") {
		t.Fatalf("text:\n%s", text(res))
	}
	res = call(t, ListEndpoints(f.d), map[string]any{"query": "DASHBOARD"})
	structured(t, res, &out)
	if out.Count != 3 {
		t.Fatalf("query DASHBOARD: %d endpoints", out.Count)
	}
	res = call(t, ListEndpoints(f.d), map[string]any{"query": "nothing like this"})
	structured(t, res, &out)
	if out.Count != 0 || !strings.Contains(text(res), "No endpoint matches") {
		t.Fatalf("%s", text(res))
	}
}
