package simulator

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestRecordShapes holds each endpoint's records to the shapes Secoda's public
// sources show (docs/secoda-api.md, "Evidence on record shapes"): the keys a record
// must have, the keys it must not, and a check of every record; some checks must also
// hold of at least one record ("some"), so that both sides of a drift are served.
func TestRecordShapes(t *testing.T) {
	h := start(t, Options{Seed: 2})
	byID := func(path string) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, r := range h.walk(t, path) {
			out[r["id"].(string)] = r
		}
		return out
	}
	questions := byID("/api/v1/question/questions/")
	replies := byID("/api/v1/question/replies/")
	isUUID := func(v any) bool { s, ok := v.(string); return ok && uuidV4.MatchString(s) }
	isTime := func(v any) bool { s, ok := v.(string); return ok && timestamp.MatchString(s) }
	isInt := func(v any) bool { f, ok := v.(float64); return ok && f == float64(int(f)) }
	isObject := func(v any) bool { _, ok := v.(map[string]any); return ok }
	strs := func(v any) []string {
		var out []string
		xs, _ := v.([]any)
		for _, x := range xs {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	cases := []struct {
		name, path string
		bare       bool     // a bare array, not a list envelope
		keys       []string // each record has these...
		only       bool     // ...and no others
		absent     []string
		every      func(r map[string]any) error
		some       map[string]func(r map[string]any) bool
	}{
		{name: "columns in the catalog: type is the data type", path: "/api/v1/resource/catalog/?" + urlQuery("filter", `{"operator":"exact","field":"entity_type","value":"column"}`),
			keys: []string{"type", "sort_order", "is_pk", "table_title", "parent_id"}, absent: []string{"data_type", "parent"},
			every: func(r map[string]any) error {
				if !slices.Contains(dataTypes, r["type"].(string)) {
					return fmt.Errorf("type %v is not a data type", r["type"])
				}
				return nil
			}},
		{name: "columns in table/columns", path: "/api/v1/table/columns/", keys: []string{"type", "entity_type"}, absent: []string{"data_type"},
			every: func(r map[string]any) error {
				if !slices.Contains(dataTypes, r["type"].(string)) || r["entity_type"] != "column" {
					return fmt.Errorf("type %v, entity_type %v", r["type"], r["entity_type"])
				}
				return nil
			}},
		{name: "other catalog resources: type is the entity type", path: "/api/v1/resource/catalog/?" + urlQuery("filter", `{"operator":"not","operands":[{"operator":"exact","field":"entity_type","value":"column"}]}`),
			keys: []string{"type", "entity_type", "parent_id", "children_count"}, absent: []string{"data_type", "parent"},
			every: func(r map[string]any) error {
				if r["type"] != r["entity_type"] {
					return fmt.Errorf("type %v, entity_type %v", r["type"], r["entity_type"])
				}
				return nil
			},
			some: map[string]func(r map[string]any) bool{"a metric": func(r map[string]any) bool { return r["entity_type"] == "metric" }}},
		{name: "custom property definitions", path: "/api/v1/resource/all_v2/custom_properties", bare: true,
			keys: []string{"id", "name", "entity_types", "value_type", "integration"}, only: true,
			every: func(r map[string]any) error {
				if len(strs(r["entity_types"])) == 0 {
					return fmt.Errorf("entity_types %v", r["entity_types"])
				}
				if i := r["integration"]; i != nil {
					o, ok := i.(map[string]any)
					if !ok || len(o) != 3 || !isUUID(o["id"]) || o["name"] == "" || o["type"] == "" {
						return fmt.Errorf("integration %v is not {name, type, id}", i)
					}
				}
				return nil
			},
			some: map[string]func(r map[string]any) bool{
				"an integration's": func(r map[string]any) bool { return r["integration"] != nil },
				"the workspace's":  func(r map[string]any) bool { return r["integration"] == nil },
			}},
		{name: "monitors", path: "/api/v1/monitor/monitors/",
			keys: []string{"id", "created_at", "updated_at", "integration", "target", "workspace", "metric_type", "metric_config", "frequency",
				"name", "is_enabled", "last_attempted_at", "last_success_at", "last_error_at", "last_error_message",
				"condition_auto_sensitivity", "condition_manual_min", "condition_manual_max", "status", "display_metadata", "next_run_at"},
			absent: []string{"title", "condition", "last_run_at"},
			every: func(r map[string]any) error {
				if !isInt(r["frequency"]) || !isObject(r["metric_config"]) || !isObject(r["display_metadata"]) || !isUUID(r["target"]) {
					return fmt.Errorf("frequency %v, metric_config %v, display_metadata %v, target %v", r["frequency"], r["metric_config"], r["display_metadata"], r["target"])
				}
				if (r["condition_auto_sensitivity"] == nil) == (r["condition_manual_max"] == nil) {
					return fmt.Errorf("auto sensitivity %v and manual max %v: one or the other", r["condition_auto_sensitivity"], r["condition_manual_max"])
				}
				return nil
			},
			some: map[string]func(r map[string]any) bool{
				"auto thresholds":   func(r map[string]any) bool { return r["condition_auto_sensitivity"] != nil },
				"manual thresholds": func(r map[string]any) bool { return r["condition_manual_max"] != nil },
			}},
		{name: "lineage", path: "/api/v1/lineage/manual/",
			keys: []string{"id", "created_at", "updated_at", "from_entity_id", "to_entity_id", "direction", "workspace_id", "is_manual"}, only: true,
			every: func(r map[string]any) error {
				if d := r["direction"]; d != "UPSTREAM" && d != "DOWNSTREAM" {
					return fmt.Errorf("direction %v", d)
				}
				return nil
			}},
		{name: "integrations", path: "/api/v1/integration/integrations/",
			keys: []string{"id", "created_at", "updated_at", "name", "type", "credentials", "workspace_id", "ssh_tunnel", "execute_access",
				"scheduled_extractions_frequency", "scheduled_extractions_next_run", "preview_access_roles", "preview_access_groups", "teams"},
			every: func(r map[string]any) error {
				if c, ok := r["credentials"].(map[string]any); !ok || len(c) != 0 {
					return fmt.Errorf("credentials %v, want {}", r["credentials"])
				}
				if !isInt(r["scheduled_extractions_frequency"]) || !isTime(r["scheduled_extractions_next_run"]) {
					return fmt.Errorf("frequency %v, next run %v", r["scheduled_extractions_frequency"], r["scheduled_extractions_next_run"])
				}
				if s, ok := r["ssh_tunnel"].(string); !ok || s != "None" && !isUUID(s) {
					return fmt.Errorf("ssh_tunnel %v", r["ssh_tunnel"])
				}
				return nil
			}},
		{name: "users", path: "/api/v1/user/",
			keys: []string{"id", "first_name", "last_name", "email", "role", "workspace_id", "profile_picture", "pending", "user_groups",
				"bookmarks", "workspace", "is_service_account", "last_login", "new_feature_acknowledged", "disabled"},
			absent: []string{"created_at", "updated_at", "onboarding_complete", "onboarding_completed"},
			every: func(r map[string]any) error {
				if p := r["pending"]; p != "True" && p != "False" {
					return fmt.Errorf("pending %#v, want the string True or False", p)
				}
				if l := r["last_login"]; l != "None" && !isTime(l) {
					return fmt.Errorf("last_login %#v", l)
				}
				return nil
			},
			some: map[string]func(r map[string]any) bool{
				`"last_login": "None"`: func(r map[string]any) bool { return r["last_login"] == "None" },
				"a last login":         func(r map[string]any) bool { return isTime(r["last_login"]) },
			}},
		{name: "teams", path: "/api/v1/auth/teams/?include_archived=true", keys: []string{"id", "workspace_id", "created_at", "updated_at", "sidebar_settings"},
			some: map[string]func(r map[string]any) bool{
				"onboarding_complete":  func(r map[string]any) bool { _, ok := r["onboarding_complete"]; return ok },
				"onboarding_completed": func(r map[string]any) bool { _, ok := r["onboarding_completed"]; return ok },
			}},
		{name: "tags", path: "/api/v1/tag/", keys: []string{"id", "created_at", "updated_at", "name", "color", "integration_id", "workspace_id"}},
		{name: "groups", path: "/api/v1/auth/group/", keys: []string{"id", "created_at", "name"}, absent: []string{"updated_at"}},
		{name: "question replies link through parent", path: "/api/v1/question/replies/", keys: []string{"id", "parent", "definition"},
			absent: []string{"question", "accepted_answer"},
			every: func(r map[string]any) error {
				if questions[r["parent"].(string)] == nil {
					return fmt.Errorf("parent %v is no question", r["parent"])
				}
				return nil
			}},
		{name: "questions", path: "/api/v1/question/questions/", keys: []string{"id", "owners", "accepted_answer", "status"},
			every: func(r map[string]any) error {
				if a := r["accepted_answer"]; a != nil {
					if rep := replies[a.(string)]; rep == nil || rep["parent"] != r["id"] {
						return fmt.Errorf("accepted_answer %v is not a reply to this question", a)
					}
				}
				return nil
			},
			some: map[string]func(r map[string]any) bool{
				"an accepted answer": func(r map[string]any) bool { return r["accepted_answer"] != nil },
				"none":               func(r map[string]any) bool { return r["accepted_answer"] == nil },
			}},
		{name: "audit log", path: "/api/v1/notification/workspace/",
			keys: []string{"id", "created_at", "event", "resource_id", "resource_type", "performer"}, only: true,
			every: func(r map[string]any) error {
				p, ok := r["performer"].(map[string]any)
				if !ok || p["name"] == "" || p["id"] != nil && !isUUID(p["id"]) {
					return fmt.Errorf("performer %v", r["performer"])
				}
				return nil
			},
			some: map[string]func(r map[string]any) bool{
				"the system": func(r map[string]any) bool { return r["performer"].(map[string]any)["name"] == "system" },
				"a user":     func(r map[string]any) bool { return r["performer"].(map[string]any)["id"] != nil },
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var recs []map[string]any
			if c.bare {
				h.getJSON(t, c.path, &recs)
			} else {
				recs = h.walk(t, c.path)
			}
			if len(recs) == 0 {
				t.Fatal("no records")
			}
			for _, r := range recs {
				for _, k := range c.keys {
					if _, ok := r[k]; !ok {
						t.Fatalf("record %v has no %s", r["id"], k)
					}
				}
				if c.only && len(r) != len(c.keys) {
					t.Fatalf("record has keys %v, want only %v", slices.Sorted(maps.Keys(r)), c.keys)
				}
				for _, k := range c.absent {
					if _, ok := r[k]; ok {
						t.Fatalf("record %v has %s", r["id"], k)
					}
				}
				if c.every != nil {
					if err := c.every(r); err != nil {
						t.Fatalf("record %v: %v", r["id"], err)
					}
				}
			}
			for what, has := range c.some {
				if len(where(recs, has)) == 0 {
					t.Errorf("no record has %s", what)
				}
			}
		})
	}
}

// TestResourceDetailShapes: every view of a column carries its data type in type, and
// a detail carries parent (an id) where lists carry parent_id.
func TestResourceDetailShapes(t *testing.T) {
	h := start(t, Options{Seed: 4})
	ws := h.sim.Workspace()
	col := ws.ID(ws.index(kColumn, 13))
	var detail, listed, fromColumns map[string]any
	h.getJSON(t, "/api/v1/resource/all/"+col, &detail)
	h.getJSON(t, "/api/v1/resource/catalog/"+col, &listed)
	h.getJSON(t, "/api/v1/table/columns/"+col, &fromColumns)
	for name, r := range map[string]map[string]any{"detail": detail, "catalog": listed, "table/columns": fromColumns} {
		if !slices.Contains(dataTypes, fmt.Sprint(r["type"])) || r["entity_type"] != "column" {
			t.Errorf("%s: type %v, entity_type %v", name, r["type"], r["entity_type"])
		}
		if _, ok := r["data_type"]; ok {
			t.Errorf("%s carries data_type", name)
		}
	}
	if detail["parent"] != listed["parent_id"] || detail["parent"] == nil {
		t.Errorf("detail parent %v, list parent_id %v", detail["parent"], listed["parent_id"])
	}
}

// TestEnvelopeMetaCounts: the newer endpoints' samples (teams, lineage) repeat count and
// total_pages inside meta; the others' do not.
func TestEnvelopeMetaCounts(t *testing.T) {
	h := start(t, Options{Seed: 1, PageSize: 7})
	for _, c := range []struct {
		path string
		meta bool
	}{
		{"/api/v1/auth/teams/?include_archived=true", true},
		{"/api/v1/lineage/manual/?page=2", true},
		{"/api/v1/user/", false},
		{"/api/v1/resource/catalog/", false},
	} {
		var env envelope
		h.getJSON(t, c.path, &env)
		if !c.meta {
			if env.Meta.Count != nil || env.Meta.TotalPages != nil {
				t.Errorf("%s: meta carries count %v, total_pages %v", c.path, env.Meta.Count, env.Meta.TotalPages)
			}
			continue
		}
		if env.Meta.Count == nil || *env.Meta.Count != env.Count || env.Meta.TotalPages == nil || *env.Meta.TotalPages != env.TotalPages {
			t.Errorf("%s: meta count %v total_pages %v, top level %d and %d", c.path, env.Meta.Count, env.Meta.TotalPages, env.Count, env.TotalPages)
		}
	}
}

// TestLineagePairsAndFilters: the list holds both edges of each pair, each with its own
// id; from_entity__in and to_entity__in take comma-separated ids (and repeated
// parameters); integration__type and the older integration_type filter on the type of
// the integration that extracted an edge.
func TestLineagePairsAndFilters(t *testing.T) {
	h := start(t, Options{Seed: 6})
	all := h.walk(t, "/api/v1/lineage/manual/")
	type edge struct{ from, to, dir string }
	byEdge := map[edge]map[string]any{}
	for _, r := range all {
		byEdge[edge{r["from_entity_id"].(string), r["to_entity_id"].(string), r["direction"].(string)}] = r
	}
	for _, r := range all {
		if r["direction"] != "DOWNSTREAM" {
			continue
		}
		back := byEdge[edge{r["to_entity_id"].(string), r["from_entity_id"].(string), "UPSTREAM"}]
		if back == nil || back["id"] == r["id"] || back["is_manual"] != r["is_manual"] {
			t.Fatalf("edge %v has no opposite edge of its own: %v", r, back)
		}
	}
	if down := where(all, func(r map[string]any) bool { return r["direction"] == "DOWNSTREAM" }); 2*len(down) != len(all) {
		t.Fatalf("%d downstream edges of %d", len(down), len(all))
	}

	// The oracle of integration__type: the downstream end's integration's type.
	integrationType := map[string]string{}
	for _, r := range h.walk(t, "/api/v1/integration/integrations/") {
		integrationType[r["id"].(string)] = r["type"].(string)
	}
	resourceType := func(id string) string {
		var r map[string]any
		h.getJSON(t, "/api/v1/resource/all/"+id, &r)
		s, _ := r["integration"].(string)
		return integrationType[s]
	}
	typeOf := map[string]string{}
	for _, r := range all {
		down := r["to_entity_id"].(string)
		if r["direction"] == "UPSTREAM" {
			down = r["from_entity_id"].(string)
		}
		if r["is_manual"] == false {
			typeOf[r["id"].(string)] = resourceType(down)
		}
	}
	someType := ""
	for _, v := range typeOf {
		someType = v
		break
	}
	if someType == "" {
		t.Fatal("no extracted (non-manual) edge in the workspace")
	}

	a, b := all[0]["from_entity_id"].(string), all[5]["from_entity_id"].(string)
	c := all[3]["to_entity_id"].(string)
	cases := []struct {
		name, query string
		keep        func(r map[string]any) bool
	}{
		{"from_entity__in, comma-separated", "from_entity__in=" + a + "," + b,
			func(r map[string]any) bool { return r["from_entity_id"] == a || r["from_entity_id"] == b }},
		{"from_entity__in, repeated", "from_entity__in=" + a + "&from_entity__in=" + b,
			func(r map[string]any) bool { return r["from_entity_id"] == a || r["from_entity_id"] == b }},
		{"to_entity__in", "to_entity__in=" + c,
			func(r map[string]any) bool { return r["to_entity_id"] == c }},
		{"both", "from_entity__in=" + a + "&to_entity__in=" + c,
			func(r map[string]any) bool { return r["from_entity_id"] == a && r["to_entity_id"] == c }},
		{"integration__type", "integration__type=" + someType,
			func(r map[string]any) bool { return typeOf[r["id"].(string)] == someType }},
		{"integration_type, the older name", "integration_type=" + someType,
			func(r map[string]any) bool { return typeOf[r["id"].(string)] == someType }},
		{"an unknown id", "from_entity__in=" + ws0ID(h),
			func(map[string]any) bool { return false }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := where(all, tc.keep)
			if len(want) == len(all) {
				t.Fatal("the oracle keeps every edge")
			}
			got := h.walk(t, "/api/v1/lineage/manual/?"+tc.query)
			if !slices.Equal(ids(got), ids(want)) {
				t.Errorf("%d edges, want %d", len(got), len(want))
			}
		})
	}
}

// ws0ID is the id of the workspace's first integration: no lineage edge's end.
func ws0ID(h *harness) string {
	ws := h.sim.Workspace()
	return ws.ID(ws.index(kIntegration, 0))
}

func TestAuditLog(t *testing.T) {
	h := start(t, Options{Seed: 3})
	ws := h.sim.Workspace()
	all := h.walk(t, "/api/v1/notification/workspace/")
	if len(all) != ws.count[kAuditLog] {
		t.Fatalf("%d entries, the workspace has %d", len(all), ws.count[kAuditLog])
	}
	for i := 1; i < len(all); i++ {
		if all[i-1]["created_at"].(string) < all[i]["created_at"].(string) {
			t.Fatalf("not newest first at %d", i)
		}
	}
	r := h.get(t, "/api/v1/notification/workspace/?page_size=7")
	if keys := topLevelKeys(t, r.body); !slices.Equal(keys, []string{"count", "next", "previous", "results"}) {
		t.Errorf("envelope keys %v, want the sample's count, next, previous, results", keys)
	}
	cutoff := formatTime(refTime.AddDate(0, 0, -7))
	cases := []struct {
		name, query string
		perPage     int
		keep        func(r map[string]any) bool
	}{
		{"page_size is honoured", "page_size=7", 7, nil},
		{"a bad page_size falls back to the default", "page_size=lots", DefaultPageSize, nil},
		{"page_size is bounded", "page_size=100000", maxPageSize, nil},
		{"days filters on created_at", "days=7", DefaultPageSize, func(r map[string]any) bool { return r["created_at"].(string) >= cutoff }},
		{"days and page_size together", "days=7&page_size=3", 3, func(r map[string]any) bool { return r["created_at"].(string) >= cutoff }},
		{"days=0 keeps all", "days=0", DefaultPageSize, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := all
			if c.keep != nil {
				want = where(all, c.keep)
				if len(want) == 0 || len(want) == len(all) {
					t.Fatalf("the oracle keeps %d of %d", len(want), len(all))
				}
			}
			var first envelope
			h.getJSON(t, "/api/v1/notification/workspace/?"+c.query, &first)
			if len(first.Results) != min(c.perPage, len(want)) {
				t.Errorf("page 1 holds %d, want %d", len(first.Results), min(c.perPage, len(want)))
			}
			if first.Next != nil && (!strings.HasPrefix(*first.Next, h.srv.URL+"/api/v1/notification/workspace/?") || !strings.Contains(*first.Next, c.query)) {
				t.Errorf("next %q does not keep the path as the sample prints it and the query", *first.Next)
			}
			got := h.walk(t, "/api/v1/notification/workspace/?"+c.query)
			if !slices.Equal(ids(got), ids(want)) {
				t.Errorf("%d entries, want %d", len(got), len(want))
			}
		})
	}
	if r := h.get(t, "/api/v1/notification/workspace/?days=soon"); r.status != http.StatusBadRequest {
		t.Errorf("days=soon: %d", r.status)
	}
	// page_size is the audit log's only: other lists keep their fixed page size.
	var docs envelope
	h.getJSON(t, "/api/v1/document/?page_size=5", &docs)
	if len(docs.Results) != min(DefaultPageSize, ws.count[kDocument]) {
		t.Errorf("document?page_size=5 holds %d", len(docs.Results))
	}
}

// TestCapModes: what the envelope says past the cap, in each mode, on the catalog and
// (with CapLists) the per-type lists and resource/all; without CapLists those lists are
// not capped.
func TestCapModes(t *testing.T) {
	const capN = 30
	cases := []struct {
		name     string
		opts     Options
		path     string
		capped   bool
		wantMode CapMode
	}{
		{"count on the catalog", Options{CatalogCap: capN}, "/api/v1/resource/catalog/", true, CapCount},
		{"total on the catalog", Options{CatalogCap: capN, CapMode: CapTotal}, "/api/v1/resource/catalog/", true, CapTotal},
		{"hidden on the catalog", Options{CatalogCap: capN, CapMode: CapHidden}, "/api/v1/resource/catalog/", true, CapHidden},
		{"table/columns uncapped by default", Options{CatalogCap: capN, CapMode: CapTotal}, "/api/v1/table/columns/", false, CapCount},
		{"resource/all uncapped by default", Options{CatalogCap: capN}, "/api/v1/resource/all/", false, CapCount},
		{"table/columns with cap-lists", Options{CatalogCap: capN, CapLists: true}, "/api/v1/table/columns/", true, CapCount},
		{"dashboard/charts with cap-lists, total", Options{CatalogCap: 10, CapLists: true, CapMode: CapTotal}, "/api/v1/dashboard/charts/", true, CapTotal},
		{"resource/all with cap-lists, hidden", Options{CatalogCap: capN, CapLists: true, CapMode: CapHidden}, "/api/v1/resource/all/", true, CapHidden},
		{"table/tables with cap-lists, hidden", Options{CatalogCap: 10, CapLists: true, CapMode: CapHidden}, "/api/v1/table/tables/", true, CapHidden},
		{"users are never capped", Options{CatalogCap: 5, CapLists: true, CapMode: CapHidden}, "/api/v1/user/", false, CapCount},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Seed, c.opts.PageSize = 1, 7
			h := start(t, c.opts)
			uncapped := start(t, Options{Seed: 1, CatalogCap: -1, PageSize: 7})
			truth := uncapped.walk(t, c.path)
			size := len(truth)
			if size <= c.opts.CatalogCap {
				t.Fatalf("%s holds %d, not above the cap %d", c.path, size, c.opts.CatalogCap)
			}
			served := size
			if c.capped {
				served = c.opts.CatalogCap
			}
			pages := (served + 6) / 7
			r := h.get(t, c.path)
			keys := topLevelKeys(t, r.body)
			var first envelope
			h.getJSON(t, c.path, &first)
			switch c.wantMode {
			case CapHidden:
				if slices.Contains(keys, "count") || slices.Contains(keys, "total_pages") || first.Meta.Count != nil {
					t.Errorf("hidden: keys %v", keys)
				}
			case CapTotal:
				if first.Count != size || first.TotalPages != (size+6)/7 {
					t.Errorf("total: count %d total_pages %d, want the true %d and %d", first.Count, first.TotalPages, size, (size+6)/7)
				}
			default:
				if first.Count != served || first.TotalPages != pages {
					t.Errorf("count %d total_pages %d, want %d and %d", first.Count, first.TotalPages, served, pages)
				}
			}
			// Walk by next links: they end at the cap in every mode.
			var got []map[string]any
			next := h.srv.URL + c.path
			for n := 1; next != ""; n++ {
				if n > pages+1 {
					t.Fatalf("more than %d pages", pages)
				}
				var env envelope
				h.getJSON(t, next, &env)
				got = append(got, env.Results...)
				next = ""
				if env.Links.Next != nil {
					next = *env.Links.Next
				}
				if n == pages && env.Links.Next != nil {
					t.Errorf("page %d reaches the cap but links to %s", n, *env.Links.Next)
				}
			}
			if len(got) != served {
				t.Errorf("walked %d, want %d", len(got), served)
			}
			if r := h.get(t, c.path+"?page="+strconv.Itoa(pages+1)); r.status != http.StatusNotFound || detail(t, r) != "Invalid page." {
				t.Errorf("page past the end: %d %s", r.status, r.body)
			}
		})
	}
	if _, err := New(Options{APIKeys: []string{newKey(t)}, CapMode: "sometimes"}); err == nil || !strings.Contains(err.Error(), "sometimes") {
		t.Errorf("New with an unknown cap mode: %v", err)
	}
}
