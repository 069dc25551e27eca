package pipeline_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/internal/jsonv"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// BenchmarkRunCatalog loads catalog records (nested, with lists) end to end: the
// simulator over loopback, the client, the normalizer, the load package and DuckDB.
// Each iteration is a full refresh of 200 pages (10,000 records) of the large workspace.
func BenchmarkRunCatalog(b *testing.B) {
	p := newProject(b, simulator.Options{Size: simulator.Large, Seed: 1, CatalogCap: -1},
		"[resources.resource_catalog]\nincremental = \"\"\n")
	var records, rows int64
	for b.Loop() {
		info := p.run(b, pipeline.RunOptions{FullRefresh: true, MaxPages: 200})
		records += info.Resources[0].Records
		for _, t := range info.Tables {
			rows += t.Rows
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// discard is a sink that keeps nothing.
type discard struct{ rows int64 }

func (d *discard) Row(*normalize.Table, []normalize.Cell) error { d.rows++; return nil }

// BenchmarkNormalizeCatalogPage parses and normalizes one 50-record catalog page.
func BenchmarkNormalizeCatalogPage(b *testing.B) {
	p := newProject(b, simulator.Options{Size: simulator.Small, Seed: 1}, "[resources.resource_catalog]\n")
	req, _ := http.NewRequest("GET", p.srv.URL+"/api/v1/resource/catalog/", nil)
	req.Header.Set("Authorization", "Bearer "+p.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	env, err := secoda.ParseEnvelope(body, "results")
	if err != nil {
		b.Fatal(err)
	}
	sink := &discard{}
	n := normalize.New(nil, normalize.Options{Resource: "resource_catalog", Disposition: "merge", PrimaryKey: "id",
		MaxNesting: normalize.DefaultMaxNesting, LoadID: "1"}, sink)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range env.Records {
			v, err := jsonv.Parse(raw)
			if err != nil {
				b.Fatal(err)
			}
			if err := n.Record(v); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(sink.rows)/float64(b.N), "rows/page")
	_ = context.Background
}
