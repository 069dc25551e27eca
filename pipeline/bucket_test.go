package pipeline_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/secoda-workbench/secoda-workbench/internal/objtest"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
	"github.com/secoda-workbench/secoda-workbench/secoda/simulator"
)

// bucketTarget is a filesystem destination in a fresh bucket of the store.
func bucketTarget(t *testing.T, store string) target {
	return target{kind: dest.Filesystem, store: store, bucket: objtest.New(t, store)}
}

// withSection is p with its [destination] section replaced by section.
func (p *project) withSection(t *testing.T, section string) {
	t.Helper()
	p.writeConfig(t, fmt.Sprintf("[destination]\ntype = \"filesystem\"\n%s\n[source]\nbase_url = %q\nrate_limit = 0\n\n%s", section, p.srv.URL+"/api/v1", defaultResources))
}

// tableSums is each table's row count and a sum of its rows' hashes, as read through
// the destination.
func tableSums(t *testing.T, p *project) map[string]string {
	t.Helper()
	out := map[string]string{}
	rows, err := p.dest().TableRows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for table := range rows {
		r := p.query(t, "SELECT count(*), coalesce(sum(hash(t)), 0)::VARCHAR FROM "+table+" t")
		out[table] = fmt.Sprint(r[0]...)
	}
	return out
}

// TestABucketSaysWhatIsWrong: wrong credentials, a missing bucket, credentials that
// may only read, and a store that keeps asking to slow down each end the run with an
// error that says what to do, and the load committed before is all still there.
func TestABucketSaysWhatIsWrong(t *testing.T) {
	on := bucketTarget(t, objtest.S3)
	p := newProjectOn(t, on, simulator.Options{Seed: 41}, "")
	p.run(t, pipeline.RunOptions{})
	before := tableSums(t, p)
	good := on.bucket
	roKey, roSecret := objtest.ReadOnlyS3(t)

	// A store that answers 503 SlowDown to every upload, in front of the real one.
	var puts atomic.Int64
	throttled := objtest.Proxy(t, good, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPut || strings.HasSuffix(r.URL.Path, "/.lock") {
			return false
		}
		puts.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
		return true
	})

	for _, tc := range []struct {
		name, section, password, want string
	}{
		{"wrong secret", good.Section, "not-the-secret-key-0000", "refused the credentials: check aws_access_key_id in [destination] and keep its secret again with `secoda-workbench secrets set --destination`"},
		{"no such bucket", strings.Replace(good.Section, good.Name, good.Name+"-missing", 1), good.Password, "does not exist: create it, or fix bucket_url in [destination]"},
		{"may only read", strings.Replace(good.Section, good.AccessKey, roKey, 1), roSecret, "the credentials may not do this: give them read, write, list and delete on"},
		{"throttled", throttled.Section, good.Password, "the store kept asking to slow down after 6 tries: run again later"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.withSection(t, tc.section)
			p.on.bucket.Password = tc.password
			info, err := p.tryRun(pipeline.RunOptions{FullRefresh: true})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q, got %v (%v)", tc.want, err, info)
			}
			if strings.Contains(err.Error(), tc.password) {
				t.Fatalf("the error holds the secret: %v", err)
			}
			if tc.name == "throttled" && puts.Load() < 6 {
				t.Fatalf("the throttled uploads were tried %d times: no back-off and retry", puts.Load())
			}
			t.Log(err)
		})
	}
	p.on.bucket = good
	p.withSection(t, good.Section)
	if after := tableSums(t, p); !mapsEqual(before, after) {
		t.Fatalf("what was committed changed:\nbefore %v\nafter  %v", before, after)
	}
	// The failed loads' package is kept: the next run with the same options loads it.
	if info := p.run(t, pipeline.RunOptions{FullRefresh: true}); !info.Loaded {
		t.Fatal("the run after the failures loaded nothing")
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestTwoLoadsOfOneBucketTakeTurns: on each store, a load while another holds the lock
// fails at once, saying so, and loads nothing; two runs of two projects (two machines)
// started at once on one dataset never interleave: each either loads whole or fails as
// in use, and the tables hold the workspace once.
func TestTwoLoadsOfOneBucketTakeTurns(t *testing.T) {
	for _, store := range objtest.Stores {
		t.Run(store, func(t *testing.T) {
			on := bucketTarget(t, store)
			p := newProjectOn(t, on, simulator.Options{Seed: 43}, "")
			cfg := p.plan.Bucket
			cfg.Secret = on.password()
			s := bucket.New(cfg)
			defer s.Close()
			lock, err := s.Lock(context.Background(), "secoda_data/.lock", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.tryRun(pipeline.RunOptions{})
			if !errors.Is(err, dest.ErrInUse) || !strings.Contains(err.Error(), "is being loaded") || !strings.Contains(err.Error(), "process") {
				t.Fatalf("a run while the lock is held: %v", err)
			}
			lock.Release(context.Background())
			if p.loaded(t) {
				t.Fatal("the run that found the lock held loaded something")
			}

			// A second project on the same dataset: another machine, another cache.
			q := &project{dir: t.TempDir(), key: p.key, sim: p.sim, srv: p.srv, on: on}
			q.writeConfig(t, on.section()+fmt.Sprintf("[source]\nbase_url = %q\nrate_limit = 0\n\n%s", p.srv.URL+"/api/v1", defaultResources))
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, pr := range []*project{p, q} {
				wg.Add(1)
				go func() { defer wg.Done(); _, errs[i] = pr.tryRun(pipeline.RunOptions{}) }()
			}
			wg.Wait()
			loaded := 0
			for _, err := range errs {
				switch {
				case err == nil:
					loaded++
				case !errors.Is(err, dest.ErrInUse):
					t.Fatalf("a run that met another: %v", err)
				}
			}
			if loaded == 0 {
				t.Fatalf("neither run loaded: %v", errs)
			}
			if n := p.count(t, "_dlt_loads"); n != int64(loaded) {
				t.Fatalf("%d loads committed, %d runs loaded", n, loaded)
			}
			if got := p.count(t, "resource_catalog"); got != int64(p.sim.Workspace().CatalogSize()) {
				t.Fatalf("resource_catalog has %d rows, the workspace %d", got, p.sim.Workspace().CatalogSize())
			}
			if a, b := tableSums(t, p), tableSums(t, q); !mapsEqual(a, b) {
				t.Fatalf("the two projects read the dataset differently:\n%v\n%v", a, b)
			}
		})
	}
}

// TestOtherReadersKeepToCommittedLoads: DuckDB's own read_parquet over the bucket's
// files, downloaded without this program and kept to the load ids in _dlt_loads as the
// README tells other readers to, reads what query reads, after appends, merges and a
// killed load's leftovers.
func TestOtherReadersKeepToCommittedLoads(t *testing.T) {
	on := bucketTarget(t, objtest.S3)
	p := newProjectOn(t, on, simulator.Options{Seed: 47}, "")
	p.run(t, pipeline.RunOptions{})
	p.patch(t, "collection/collections/"+p.query(t, "SELECT id FROM collection LIMIT 1")[0][0].(string), `{"title": "renamed"}`)
	p.run(t, pipeline.RunOptions{})
	// What a load killed mid-upload leaves: a table's file of a load never committed.
	c := objtest.S3Client(on.bucket.Endpoint, on.bucket.AccessKey, on.bucket.Password)
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &on.bucket.Name, Key: ptr(objtest.DatasetPrefixInTests + "/secoda_data/collection/9999999999.000001.parquet"),
		Body: strings.NewReader("not parquet")}); err != nil {
		t.Fatal(err)
	}
	ours := tableSums(t, p)

	dir := t.TempDir()
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &on.bucket.Name, Prefix: ptr(objtest.DatasetPrefixInTests + "/secoda_data/")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &on.bucket.Name, Key: o.Key})
			if err != nil {
				t.Fatal(err)
			}
			local := filepath.Join(dir, strings.TrimPrefix(*o.Key, objtest.DatasetPrefixInTests+"/secoda_data/"))
			_ = os.MkdirAll(filepath.Dir(local), 0o755)
			f, _ := os.Create(local)
			_, err = f.ReadFrom(obj.Body)
			obj.Body.Close()
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	committed := map[string]bool{}
	rows, err := db.Query("SELECT load_id FROM read_parquet(?) WHERE status = 0", filepath.Join(dir, "_dlt_loads", "*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		committed[id] = true
	}
	rows.Close()
	if len(committed) != 2 {
		t.Fatalf("_dlt_loads lists %d loads, want 2", len(committed))
	}
	for table, want := range ours {
		if strings.HasPrefix(table, "_") {
			continue
		}
		entries, _ := os.ReadDir(filepath.Join(dir, table))
		var files []string
		for _, e := range entries {
			if committed[strings.TrimSuffix(e.Name(), ".parquet")] {
				files = append(files, "'"+filepath.Join(dir, table, e.Name())+"'")
			}
		}
		slices.Sort(files)
		var n int64
		var sum string
		q := fmt.Sprintf("SELECT count(*), coalesce(sum(hash(t)), 0)::VARCHAR FROM read_parquet([%s], union_by_name = true) t", strings.Join(files, ", "))
		if err := db.QueryRow(q).Scan(&n, &sum); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if got := fmt.Sprint(n, sum); got != want {
			t.Errorf("%s: read_parquet over the committed files reads %s, query %s", table, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
