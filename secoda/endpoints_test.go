package secoda

import (
	"regexp"
	"strings"
	"testing"
)

// TestEndpointCatalogIsConsistent checks the facts the pipeline will rely on.
func TestEndpointCatalogIsConsistent(t *testing.T) {
	names := map[string]bool{}
	paths := map[string]bool{}
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	for _, e := range Endpoints {
		if !snake.MatchString(e.Name) {
			t.Errorf("%q is not a snake_case table name", e.Name)
		}
		if names[e.Name] || paths[e.Path] {
			t.Errorf("%s (%s) is listed twice", e.Name, e.Path)
		}
		names[e.Name], paths[e.Path] = true, true
		if strings.HasPrefix(e.Path, "/") || strings.HasSuffix(e.Path, "/") || strings.Contains(e.Path, "api/v1") {
			t.Errorf("%s: path %q must be relative to the base URL, without slashes at the ends", e.Name, e.Path)
		}
		if e.PrimaryKey == "" || e.Description == "" {
			t.Errorf("%s: needs a primary key and a description", e.Name)
		}
		switch e.Disposition {
		case Merge, Append, Replace:
		default:
			t.Errorf("%s: unknown write disposition %q", e.Name, e.Disposition)
		}
		if e.PrimaryKey != "" && e.Disposition != Merge {
			t.Errorf("%s: has a primary key, so it defaults to merge (interface.md)", e.Name)
		}
		if e.Parent != "" {
			p, ok := LookupEndpoint(e.Parent)
			if !ok || p.Parent != "" || !strings.Contains(e.Path, "{id}") || e.ParentField == "" {
				t.Errorf("%s: parent %q must be a list endpoint and the path must hold {id}", e.Name, e.Parent)
			}
		}
		if e.Paginated && e.Selector == "" {
			t.Errorf("%s: a paginated endpoint needs a data selector", e.Name)
		}
	}
	for _, want := range []string{"resource_catalog", "document", "collection", "integration", "resource_detail", "table", "column",
		"dashboard", "chart", "glossary_term", "question", "user", "team", "group", "tag", "lineage", "monitor", "custom_property"} {
		if !names[want] {
			t.Errorf("the catalog lacks %s", want)
		}
	}
	for _, d := range DefaultResources {
		if !names[d] {
			t.Errorf("default resource %s is not in the catalog", d)
		}
	}
}

func TestSuggestEndpoint(t *testing.T) {
	tests := map[string]string{
		"documents":        "document",
		"resource-catalog": "resource_catalog",
		"Integrations":     "integration",
		"glossary":         "",
		"colum":            "column",
		"zzzzzzzzzzzz":     "",
	}
	for in, want := range tests {
		if got := SuggestEndpoint(in); got != want {
			t.Errorf("SuggestEndpoint(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFilterEndpoints(t *testing.T) {
	if got := len(FilterEndpoints("")); got != len(Endpoints) {
		t.Fatalf("an empty query keeps %d of %d", got, len(Endpoints))
	}
	// Matches name, path or description, case-insensitively, in catalog order.
	var names []string
	for _, e := range FilterEndpoints("DASHBOARD") {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "resource_catalog,dashboard,chart" {
		t.Fatalf("query DASHBOARD: %v", names)
	}
	if len(FilterEndpoints("no such thing")) != 0 {
		t.Fatal("an unmatched query returned endpoints")
	}
}
