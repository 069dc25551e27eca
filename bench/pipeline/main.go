// Command pipeline-bench measures the pipeline end to end: catalog-shaped records
// (nested, with lists) from the simulator, in its own process on loopback with no rate
// limit, through the client, the normalizer and the load package into each destination
// asked for (DuckDB's Appender, PostgreSQL's COPY, Parquet files written by DuckDB),
// each run in a process of its own so that its peak memory is its own. In the same run
// it times DuckDB's own read_json ingest of the same records saved as NDJSON, and prints
// the ratio. Run it with bench/run-pipeline, or:
//
//	go run ./bench/pipeline -records 100000 -bin bin/secoda-workbench -destinations duckdb,filesystem
//
// PostgreSQL needs -pg-url (a superuser's URL, without the password) and the password
// in SECODA_DESTINATION_PASSWORD; a database is created for the run and dropped after.
//
// With -capped it measures instead a whole first load of the large workspace (about a
// million catalog resources) through Secoda's 10,000-resource cap, with the default
// settings: the requests made against the uncapped minimum (one page of 50 for every 50
// resources), the share that planned partitions, the wall time without a rate limit,
// what that many requests take at 60 a minute, and the peak RSS (bench/run-capped).
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"

	"github.com/secoda-workbench/secoda-workbench/internal/gctune"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// result is what one measurement found.
type result struct {
	Destination string  `json:"destination"`
	Records     int64   `json:"records"`
	Rows        int64   `json:"rows"`
	Tables      int     `json:"tables"`
	Seconds     float64 `json:"seconds"`
	ExtractS    float64 `json:"extract_seconds"`
	LoadS       float64 `json:"load_seconds"`
	PeakRSSMB   float64 `json:"peak_rss_mb"`
	ExtractRSS  float64 `json:"extract_rss_mb"`
	Requests    int64   `json:"requests"`
	Skipped     int64   `json:"skipped"`
	DataPages   int     `json:"data_pages"`
	PlanPages   int     `json:"plan_pages"`
	Partitions  int     `json:"partitions"`
	// A bucket's: the first query with an empty cache (it downloads the committed files),
	// and the next one.
	ColdQueryS float64 `json:"cold_query_seconds,omitempty"`
	WarmQueryS float64 `json:"warm_query_seconds,omitempty"`
}

func main() {
	records := flag.Int("records", 100_000, "catalog records to load (a multiple of 50)")
	bin := flag.String("bin", "bin/secoda-workbench", "the secoda-workbench binary, for its simulator")
	destinations := flag.String("destinations", "duckdb", "comma-separated: duckdb, postgres, filesystem, s3 (the filesystem destination in a bucket of the S3 server at BENCH_S3_ENDPOINT)")
	pgURL := flag.String("pg-url", "", "postgres: a superuser's URL without the password (the password in SECODA_DESTINATION_PASSWORD)")
	cpuprofile := flag.String("cpuprofile", "", "write the pipeline's CPU profile here")
	capped := flag.Bool("capped", false, "a whole first load of the large workspace through the default cap (records is ignored)")
	mode := flag.String("mode", "bench", "internal: run (a pipeline child) or ingest (the DuckDB child)")
	file := flag.String("file", "", "internal: the NDJSON file to ingest, or the config to run")
	flag.Parse()
	gctune.Apply() // as secoda-workbench's main does
	var err error
	switch *mode {
	case "ingest":
		ingest(*file)
		return
	case "run":
		err = runChild(*file, os.Getenv("SECODA_API_KEY"), *records, *cpuprofile)
	default:
		if *capped {
			err = benchCapped(*bin, *cpuprofile)
		} else {
			err = bench(*records, *bin, strings.Split(*destinations, ","), *pgURL)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func bench(records int, bin string, destinations []string, pgURL string) error {
	work, err := os.MkdirTemp("", "pipeline-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	base, _, key, stop, err := startSimulator(bin, "--catalog-cap", "-1")
	if err != nil {
		return err
	}
	defer stop()
	// Warm the simulator: its first catalog page orders a million resources.
	if _, err := get(base+"/resource/catalog/", key); err != nil {
		return err
	}

	fmt.Printf("records: %d catalog records (nested, with lists) from the simulator over loopback, no rate limit\n", records)
	var first *result
	for _, d := range destinations {
		section := ""
		switch d {
		case "duckdb":
		case "filesystem":
			section = "[destination]\ntype = \"filesystem\"\n\n"
		case "s3":
			endpoint, key, secret := os.Getenv("BENCH_S3_ENDPOINT"), os.Getenv("BENCH_S3_ACCESS_KEY"), os.Getenv(secrets.EnvDestinationPassword)
			if endpoint == "" || key == "" || secret == "" {
				return fmt.Errorf("s3 needs BENCH_S3_ENDPOINT, BENCH_S3_ACCESS_KEY and the secret in %s (bench/run-pipeline starts SeaweedFS)", secrets.EnvDestinationPassword)
			}
			name := "bench-" + randomHex(4)
			c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: &endpoint, UsePathStyle: true, Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")})
			if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &name}); err != nil {
				return fmt.Errorf("creating the bucket: %w", err)
			}
			defer func() {
				fmt.Printf("  bytes in the bucket after the load: %.1f MB\n", float64(bucketBytes(c, name))/(1<<20))
			}()
			section = fmt.Sprintf("[destination]\ntype = \"filesystem\"\nbucket_url = \"s3://%s/secoda\"\nendpoint_url = %q\naws_access_key_id = %q\n\n", name, endpoint, key)
		case "postgres":
			if pgURL == "" {
				return fmt.Errorf("postgres needs -pg-url")
			}
			dbURL, drop, err := createDatabase(pgURL)
			if err != nil {
				return err
			}
			defer drop()
			section = fmt.Sprintf("[destination]\ntype = \"postgres\"\nurl = %q\n\n", dbURL)
		default:
			return fmt.Errorf("unknown destination %q", d)
		}
		dir := filepath.Join(work, d)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		cfg := fmt.Sprintf("%s[source]\nbase_url = %q\nrate_limit = 0\n\n[resources.resource_catalog]\nincremental = \"\"\n", section, base)
		configPath := filepath.Join(dir, pipeline.ConfigFileName)
		if err := os.WriteFile(configPath, []byte(cfg), 0o644); err != nil {
			return err
		}
		self, _ := os.Executable()
		child := exec.Command(self, "-mode", "run", "-file", configPath, "-records", fmt.Sprint(records))
		child.Env = childEnv(key)
		child.Stderr = os.Stderr
		raw, err := child.Output()
		if err != nil {
			return fmt.Errorf("the %s run: %w", d, err)
		}
		var r result
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		if first == nil {
			first = &r
		}
		fmt.Printf("secoda-workbench into %s: %.2f s (extract+normalize %.2f s, load %.2f s): %.0f records/s, %.0f rows/s into %d tables, peak RSS %.0f MB (%.0f MB before the load)\n",
			d, r.Seconds, r.ExtractS, r.LoadS, float64(r.Records)/r.Seconds, float64(r.Rows)/r.Seconds, r.Tables, r.PeakRSSMB, r.ExtractRSS)
		if r.ColdQueryS > 0 {
			fmt.Printf("  a query with an empty cache (it downloads the committed files): %.2f s; the next one: %.3f s\n", r.ColdQueryS, r.WarmQueryS)
		}
	}

	// The same records, as NDJSON, for DuckDB's own ingest (not timed).
	ndjson := filepath.Join(work, "catalog.ndjson")
	if err := saveNDJSON(base, key, records, ndjson); err != nil {
		return err
	}
	self, _ := os.Executable()
	child := exec.Command(self, "-mode", "ingest", "-file", ndjson)
	child.Stderr = os.Stderr
	raw, err := child.Output()
	if err != nil {
		return fmt.Errorf("DuckDB's ingest: %w", err)
	}
	var theirs result
	if err := json.Unmarshal(raw, &theirs); err != nil {
		return err
	}
	theirs.PeakRSSMB = childRSS(child)
	fmt.Printf("DuckDB read_json of the same records as NDJSON (%.0f MB): %.2f s: %.0f records/s into 1 table, peak RSS %.0f MB\n",
		fileMB(ndjson), theirs.Seconds, float64(theirs.Records)/theirs.Seconds, theirs.PeakRSSMB)
	if first != nil {
		fmt.Printf("ratio: %.2fx DuckDB's own ingest time (%s)\n", first.Seconds/theirs.Seconds, first.Destination)
	}
	return nil
}

// runChild runs the pipeline of a config and prints its result as JSON.
func runChild(configPath, key string, records int, cpuprofile string) error {
	plan, err := pipeline.LoadConfig(configPath)
	if err != nil {
		return err
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
	}
	start := time.Now()
	var extractRSS float64 // peak RSS when extraction ends, before the load opens the destination
	progress := func(p pipeline.Progress) {
		if p.Done {
			extractRSS = peakRSS(syscall.RUSAGE_SELF)
		}
	}
	info, err := pipeline.Run(context.Background(), plan, pipeline.RunOptions{APIKey: key, MaxPages: max(0, records/50), Progress: progress,
		DestinationPassword: os.Getenv(secrets.EnvDestinationPassword)})
	elapsed := time.Since(start)
	if cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	r := result{Destination: plan.DestinationType, Records: info.Resources[0].Records, Tables: len(info.Tables), Seconds: elapsed.Seconds(),
		ExtractS: info.ExtractDuration.Seconds(), LoadS: info.LoadDuration.Seconds(), PeakRSSMB: peakRSS(syscall.RUSAGE_SELF), ExtractRSS: extractRSS}
	for _, t := range info.Tables {
		r.Rows += t.Rows
	}
	r.Requests, r.Skipped = info.Requests, info.Resources[0].Skipped
	r.DataPages, r.PlanPages = info.DataPages()
	r.Partitions = info.Resources[0].Partitions
	if plan.IsBucket() {
		// What a reader on another machine pays: the first query downloads.
		if err := os.RemoveAll(filepath.Join(plan.Dir, pipeline.WorkDirName, pipeline.CacheDirName)); err != nil {
			return err
		}
		for _, at := range []*float64{&r.ColdQueryS, &r.WarmQueryS} {
			d, err := pipeline.OpenDestination(plan, os.Getenv(secrets.EnvDestinationPassword))
			if err != nil {
				return err
			}
			start := time.Now()
			if _, err := d.Query(context.Background(), "SELECT count(*) FROM resource_catalog", dest.DefaultBounds); err != nil {
				return err
			}
			*at = time.Since(start).Seconds()
		}
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// benchCapped loads the large workspace whole, through the default cap, into DuckDB.
func benchCapped(bin, cpuprofile string) error {
	work, err := os.MkdirTemp("", "pipeline-bench-capped-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	base, catalog, key, stop, err := startSimulator(bin)
	if err != nil {
		return err
	}
	defer stop()
	dir := filepath.Join(work, "project")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// The defaults a newcomer has: the catalog incremental on updated_at, read newest first.
	cfg := fmt.Sprintf("[source]\nbase_url = %q\nrate_limit = 0\n\n[resources.resource_catalog]\n", base)
	configPath := filepath.Join(dir, pipeline.ConfigFileName)
	if err := os.WriteFile(configPath, []byte(cfg), 0o644); err != nil {
		return err
	}
	self, _ := os.Executable()
	args := []string{"-mode", "run", "-file", configPath, "-records", "0"}
	if cpuprofile != "" {
		args = append(args, "-cpuprofile", cpuprofile)
	}
	child := exec.Command(self, args...)
	child.Env = childEnv(key)
	child.Stderr = os.Stderr
	raw, err := child.Output()
	if err != nil {
		return fmt.Errorf("the run: %w", err)
	}
	var r result
	if err := json.Unmarshal(raw, &r); err != nil {
		return err
	}
	minimum := (catalog + 49) / 50
	fmt.Printf("large workspace, %d catalog resources, the default cap (10,000 a query), into DuckDB, no rate limit\n", catalog)
	fmt.Printf("loaded %d resources in %d partitions (read %d records, %d of them again by the closing sweep, not loaded twice)\n",
		r.Records-r.Skipped, r.Partitions, r.Records, r.Skipped)
	fmt.Printf("%d requests = %d pages of data + %d pages to plan partitions (%.2f%% of the requests)\n",
		r.Requests, r.DataPages, r.PlanPages, 100*float64(r.PlanPages)/float64(r.Requests))
	fmt.Printf("uncapped minimum %d pages: data pages %.3fx it, all requests %.3fx it\n", minimum,
		float64(r.DataPages)/float64(minimum), float64(r.Requests)/float64(minimum))
	fmt.Printf("wall time %.1f s (extract+normalize %.1f s, load %.1f s); at 60 requests a minute these %d requests take %.1f h\n",
		r.Seconds, r.ExtractS, r.LoadS, r.Requests, float64(r.Requests)/60/60)
	fmt.Printf("peak RSS %.0f MB (%.0f MB before the load)\n", r.PeakRSSMB, r.ExtractRSS)
	return nil
}

// createDatabase makes a database for the run on the server of adminURL, and a func
// that drops it.
func createDatabase(adminURL string) (string, func(), error) {
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(adminURL)
	if err != nil {
		return "", nil, err
	}
	cfg.Password = os.Getenv(secrets.EnvDestinationPassword)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "bench_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	i := strings.LastIndex(adminURL, "/")
	rest := adminURL[i+1:]
	q := ""
	if j := strings.IndexByte(rest, '?'); j >= 0 {
		q = rest[j:]
	}
	drop := func() {
		conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
		conn.Close(ctx)
	}
	return adminURL[:i+1] + name + q, drop, nil
}

var (
	urlLine     = regexp.MustCompile(`export SECODA_API_URL=(\S+)`)
	catalogLine = regexp.MustCompile(`(\d+) catalog resources`)
)

// startSimulator runs `simulate --size large` (with more flags) on a free loopback port
// with a generated key, and returns its URL, its catalog's size and a func stopping it.
func startSimulator(bin string, flags ...string) (base string, catalog int, key string, stop func(), err error) {
	keyBytes := make([]byte, 16)
	rand.Read(keyBytes)
	key = hex.EncodeToString(keyBytes)
	sim := exec.Command(bin, append([]string{"simulate", "--addr", "127.0.0.1:0", "--size", "large", "--api-key", key}, flags...)...)
	out, err := sim.StdoutPipe()
	if err != nil {
		return "", 0, "", nil, err
	}
	if err := sim.Start(); err != nil {
		return "", 0, "", nil, fmt.Errorf("starting the simulator (%s): %w; build it with go build -o bin/secoda-workbench ./cmd/secoda-workbench", bin, err)
	}
	stop = func() { sim.Process.Kill(); sim.Wait() }
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := catalogLine.FindStringSubmatch(sc.Text()); m != nil {
			fmt.Sscan(m[1], &catalog)
		}
		if m := urlLine.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, out)
			return m[1], catalog, key, stop, nil
		}
	}
	stop()
	return "", 0, "", nil, fmt.Errorf("the simulator printed no URL")
}

func get(url, key string) ([]byte, error) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// saveNDJSON writes the first n catalog records, one JSON object a line.
func saveNDJSON(base, key string, n int, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	for page := 1; page <= n/50; page++ {
		body, err := get(fmt.Sprintf("%s/resource/catalog/?page=%d", base, page), key)
		if err != nil {
			return err
		}
		var env struct {
			Results []json.RawMessage `json:"results"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			return err
		}
		for _, r := range env.Results {
			w.Write(r)
			w.WriteByte('\n')
		}
	}
	return w.Flush()
}

// ingest is the child: DuckDB reads the NDJSON into a table in a new file.
func ingest(file string) {
	dir := filepath.Dir(file)
	db, err := sql.Open("duckdb", filepath.Join(dir, "read_json.duckdb"))
	if err != nil {
		panic(err)
	}
	start := time.Now()
	var n int64
	if _, err := db.Exec(fmt.Sprintf(`CREATE TABLE catalog AS SELECT * FROM read_json('%s', format = 'newline_delimited')`, strings.ReplaceAll(file, "'", "''"))); err != nil {
		panic(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM catalog").Scan(&n); err != nil {
		panic(err)
	}
	db.Close() // the checkpoint is part of the ingest
	json.NewEncoder(os.Stdout).Encode(result{Records: n, Rows: n, Seconds: time.Since(start).Seconds()})
}

func peakRSS(who int) float64 {
	var ru syscall.Rusage
	syscall.Getrusage(who, &ru)
	return float64(ru.Maxrss) / 1024 // KB on Linux
}

func childRSS(c *exec.Cmd) float64 {
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return float64(ru.Maxrss) / 1024
	}
	return 0
}

func fileMB(path string) float64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return float64(fi.Size()) / 1e6
}

// childEnv is this process's environment with the simulator's key for a pipeline
// child: in its environment, not on its command line, where any user's ps shows it.
func childEnv(key string) []string { return append(os.Environ(), "SECODA_API_KEY="+key) }

// bucketBytes sums the sizes of a bucket's objects.
func bucketBytes(c *s3.Client, name string) int64 {
	var n int64
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &name})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			return n
		}
		for _, o := range page.Contents {
			n += *o.Size
		}
	}
	return n
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
