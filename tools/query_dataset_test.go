package tools

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

func TestQueryDataset(t *testing.T) {
	f := loaded(t)
	q := QueryDataset(f.d)
	var out QueryResult
	res := call(t, q, map[string]any{"sql": "select entity_type, count(*) as n from resource_catalog group by 1 order by n desc"})
	structured(t, res, &out)
	if out.RowCount == 0 || out.Columns[1] != "n" || out.Rows[0]["entity_type"] != "column" || out.Truncated {
		t.Fatalf("%+v", out)
	}
	if !strings.HasPrefix(text(res), "| entity_type | n |\n|---|---|\n| column |") {
		t.Fatalf("markdown:\n%s", text(res))
	}
	res = call(t, q, map[string]any{"sql": "select id from resource_catalog order by id", "limit": 5, "format": "csv"})
	structured(t, res, &out)
	if out.RowCount != 5 || !out.Truncated || !strings.Contains(out.More, "limit") || !strings.HasPrefix(text(res), "id\n") {
		t.Fatalf("%+v\n%s", out, text(res))
	}
	res = call(t, q, map[string]any{"sql": "select count(*) as n from resource_catalog", "format": "json"})
	if !strings.HasPrefix(text(res), `[{"n":201}]`) {
		t.Fatalf("json: %s", text(res))
	}
	for sql, why := range map[string]string{
		"DROP TABLE resource_catalog":                  "only a query",
		"COPY (SELECT 1) TO '/tmp/secoda_tools_x.csv'": "only a query",
		"SELECT * FROM read_text('/etc/passwd')":       "files",
		"ATTACH '/tmp/o.duckdb' AS o":                  "only a query",
		"INSTALL httpfs":                               "only a query",
		"SET threads = 1":                              "only a query",
		"select from where":                            "error",
	} {
		wantError(t, call(t, q, map[string]any{"sql": sql}), why)
	}
	wantError(t, call(t, q, map[string]any{"sql": "select 1", "limit": 5000}), "limit 5000")
	wantError(t, call(t, q, map[string]any{"sql": "select 1", "format": "xml"}), "markdown, json or csv")
	structured(t, call(t, q, map[string]any{"sql": "select count(*) as n from resource_catalog"}), &out)
	if out.Rows[0]["n"] != float64(201) {
		t.Fatalf("after the hostile queries: %+v", out.Rows)
	}
}

func TestQueryBeforeAnyLoad(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	wantError(t, call(t, QueryDataset(f.d), map[string]any{"sql": "select 1"}), "scaffold")
	f.config(t, "[resources.collection]\n")
	wantError(t, call(t, QueryDataset(f.d), map[string]any{"sql": "select 1"}), "run_pipeline")
}

// TestEveryPartOfAQueryResultIsBounded: cells are cut, the rows stop at the size
// bound, and the structured content stays within MaxStructured however wide or long
// the answer; the result says what was bounded and how to get the rest.
func TestEveryPartOfAQueryResultIsBounded(t *testing.T) {
	f := loaded(t)
	for _, c := range []struct {
		name, sql   string
		truncated   bool
		cut         bool
		maxRowCount int
	}{
		{"long cells", "SELECT repeat('x', 100000) AS big FROM range(1000)", true, true, 1000},
		{"a long list", "SELECT list(i) AS l FROM range(1000000) t(i)", false, true, 1},
		{"many wide columns", "SELECT " + strings.Repeat("repeat('w', 3000), ", 49) + "repeat('w', 3000) FROM range(1000)", true, false, 1000},
		{"long column names", "SELECT 1 AS " + strings.Repeat("n", 2000) + ", 2 AS " + strings.Repeat("m", 2000) + " FROM range(1000)", true, false, 1000},
	} {
		res := call(t, QueryDataset(f.d), map[string]any{"sql": c.sql, "limit": 1000})
		var out QueryResult
		structured(t, res, &out)
		b, _ := json.Marshal(res.StructuredContent)
		if len(b) > MaxStructured || len(text(res)) > MaxText+200 {
			t.Errorf("%s: %d bytes of structured content, %d of text", c.name, len(b), len(text(res)))
		}
		if out.Truncated != c.truncated || (out.CutCells > 0) != c.cut || out.RowCount != len(out.Rows) || out.RowCount > c.maxRowCount {
			t.Errorf("%s: truncated %v, cut %d, %d rows", c.name, out.Truncated, out.CutCells, out.RowCount)
		}
		if (out.Truncated || out.CutCells > 0) && out.More == "" {
			t.Errorf("%s: bounded, and nothing says how to get the rest", c.name)
		}
	}
}

func TestTheLastBoundOfAToolResultRefusesRatherThanFloods(t *testing.T) {
	h := handle(func(ctx context.Context, _ mcp.CallToolRequest, _ struct{}) (map[string]string, string, error) {
		return map[string]string{"x": strings.Repeat("y", MaxStructured)}, "text", nil
	})
	res, err := h(context.Background(), mcp.CallToolRequest{})
	if err != nil || !res.IsError || !strings.Contains(text(res), "ask for less") {
		t.Fatalf("%v %+v", err, res)
	}
}
