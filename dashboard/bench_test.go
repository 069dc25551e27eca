package dashboard

import (
	"database/sql"
	"net/http/httptest"
	"strings"
	"testing"
)

// bigProject is a project loaded from the simulator whose catalog is then grown to
// about a million rows (each loaded row repeated 5,000 times with new ids), so the
// pages run against the layout and schema a real load leaves, at scale.
func bigProject(b *testing.B) *fixture {
	b.Helper()
	f := project(b)
	f.run(b)
	db, err := sql.Open("duckdb", f.plan.DestinationPath)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO secoda_data.resource_catalog
		SELECT rc.* REPLACE (uuid()::VARCHAR AS id, uuid()::VARCHAR AS _dlt_id, rc.updated_at + to_seconds(i) AS updated_at)
		FROM secoda_data.resource_catalog rc, range(5000) t(i)`); err != nil {
		b.Fatal(err)
	}
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM secoda_data.resource_catalog`).Scan(&n); err != nil || n < 990_000 {
		b.Fatalf("%d rows, %v", n, err)
	}
	return f
}

// BenchmarkPages times each page and API on a million-row catalog. Every request
// opens the file read-only, reads one page of rows on the server and closes it; the
// bytes/page metric is what the browser receives.
func BenchmarkPages(b *testing.B) {
	f := bigProject(b)
	for _, tc := range []struct{ name, method, path, body string }{
		{"overview", "GET", "/", ""},
		{"schema", "GET", "/schema", ""},
		{"data-first-page", "GET", "/data?table=resource_catalog", ""},
		{"data-page-10000-sorted", "GET", "/data?table=resource_catalog&sort=updated_at&dir=desc&page=10000", ""},
		{"api-rows-sorted", "GET", "/api/rows?table=resource_catalog&sort=title&page=5000", ""},
		{"sql-aggregate", "POST", "/sql", "q=SELECT+entity_type,+count(*),+sum(total_usage)+FROM+resource_catalog+GROUP+BY+1"},
		{"sql-whole-table", "POST", "/sql", "q=SELECT+*+FROM+resource_catalog"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				body := tc.body
				if tc.method == "POST" {
					body += "&" + formTokenField + "=" + f.s.formToken
				}
				sep := "?"
				if strings.Contains(tc.path, "?") {
					sep = "&"
				}
				req := httptest.NewRequest(tc.method, tc.path+sep+"token="+f.s.Token(), strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Host = "127.0.0.1:1"
				w := httptest.NewRecorder()
				f.s.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("%s: %d %s", tc.path, w.Code, w.Body.String())
				}
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}
