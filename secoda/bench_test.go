package secoda_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// BenchmarkParseEnvelope parses one 50-record catalog page as the simulator serves it.
func BenchmarkParseEnvelope(b *testing.B) {
	f := newSim(b, simulator.Options{Size: simulator.Small})
	req, _ := http.NewRequest("GET", f.baseURL()+"/resource/catalog/", nil)
	req.Header.Set("Authorization", "Bearer "+f.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var body []byte
	body = make([]byte, 0, 1<<20)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		body = append(body, buf[:n]...)
		if err != nil {
			break
		}
	}
	resp.Body.Close()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		env, err := secoda.ParseEnvelope(body, "results")
		if err != nil || len(env.Records) != simulator.DefaultPageSize {
			b.Fatal(err, len(env.Records))
		}
	}
}

// BenchmarkReadCatalog reads the whole capped catalog of a medium workspace (10,000
// records, 200 pages) through the client from the simulator over loopback, unpaced.
func BenchmarkReadCatalog(b *testing.B) {
	f := newSim(b, simulator.Options{Size: simulator.Medium})
	c := f.client(b, nil)
	e, _ := secoda.LookupEndpoint("resource_catalog")
	b.ReportAllocs()
	records := 0
	for b.Loop() {
		ids, _, err := readAll(context.Background(), c, e, nil)
		if err != nil {
			b.Fatal(err)
		}
		records += len(ids)
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
