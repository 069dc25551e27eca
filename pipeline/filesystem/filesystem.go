// Package filesystem is the filesystem destination: the dataset is a folder of Parquet
// files that Spark, Trino, Athena, BigQuery or DuckDB read, laid out as dlt lays it out:
//
//	<root>/<dataset>/<table>/<load_id>.parquet          the data
//	<root>/<dataset>/_dlt_loads/<load_id>.parquet       one row per complete load
//	<root>/<dataset>/_dlt_pipeline_state/<load_id>.parquet
//	<root>/<dataset>/_dlt_version/<load_id>.parquet     when the schema changed
//	<root>/<dataset>/_workbench_runs/<load_id>.parquet  what the run met, and the files
//
// A load works in a scratch DuckDB database (the same load as the DuckDB destination:
// tables evolved, rows appended, merged by delete-insert), then writes each table it
// changed with DuckDB's COPY (FORMAT parquet) to a temporary name, renames them into
// place, and renames its _dlt_loads file last: that rename is the commit. An appended
// table gains a file per load; a replaced or merged table is rewritten as one file, and
// the files it replaces are deleted after the commit. Which files make up the dataset
// is recorded in the run's row of _workbench_runs, so a reader here never sees half a
// load nor a file a later load replaced; readers elsewhere that list the folders should
// keep to files whose load id is in _dlt_loads (as dlt's do), and may see a replaced
// file for the moment between the commit and its deletion.
//
// Queries run in an in-memory DuckDB database whose views read exactly those files,
// with file access limited to the dataset's folder, settings locked, and the SQL
// classified by DuckDB's parser as one SELECT first.
//
// A load makes its folders and takes its lock under projectfs's rule, with the root
// folder as the boundary (the caller checks the root against the project): a table's
// folder that is a link out of it is refused before DuckDB writes there.
//
// The same dataset can live in an S3, GCS or Azure bucket (NewBucket, remote.go): the
// folder is then a local cache of the bucket's committed files, a load uploads its files
// with _dlt_loads last instead of renaming them, and a lock object keeps two loads apart.
package filesystem

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"

	"github.com/secoda-workbench/secoda-workbench/internal/filelock"
	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest/sqldest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/duckdb"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
)

// Destination is one dataset folder under a root folder. Its reads (Query, TableRows,
// Loads, Browse, ReadStored) are DuckDB's, over the files of the newest complete load.
type Destination struct {
	duckdb.Reader
	Root    string // absolute; for a bucket, the cache's root folder
	Dataset string
	// Remote is the bucket the dataset is in (remote.go); nil for a local folder.
	Remote *bucket.Store
	// CacheMax bounds the cache of a bucket dataset, in bytes (0: no bound).
	CacheMax int64
	// Lease is how long the bucket's lock holds unless renewed (0: bucket.DefaultLease).
	Lease time.Duration
}

var _ dest.Destination = (*Destination)(nil)

// New describes the destination; it touches nothing.
func New(root, dataset string) *Destination {
	d := &Destination{Root: root, Dataset: dataset}
	d.Reader = duckdb.Reader{Dataset: dataset,
		Open: func(ctx context.Context) (*sql.DB, error) {
			db, _, err := d.reader(ctx)
			return db, err
		},
		// Views have no row id; every data table has _dlt_id.
		RowID: func(ctx context.Context, db *sql.DB, table string) (string, error) {
			cols, err := sqldest.Columns(ctx, db, dataset, table)
			if err != nil || !slices.Contains(cols, "_dlt_id") {
				return "", err
			}
			return "_dlt_id", nil
		}}
	return d
}

// Type is "filesystem".
func (d *Destination) Type() string { return dest.Filesystem }

// Location is the dataset's folder, or its URL in the bucket.
func (d *Destination) Location() string {
	if d.Remote != nil {
		return d.remoteLocation()
	}
	return d.dir()
}

func (d *Destination) dir() string { return filepath.Join(d.Root, d.Dataset) }

// The system tables, and the one whose file commits a load.
const (
	loadsTable   = "_dlt_loads"
	scratchName  = ".scratch"
	lockName     = ".lock"
	parquetExt   = ".parquet"
	temporaryExt = ".parquet.tmp"
)

var systemTables = []string{"_dlt_pipeline_state", "_dlt_version", dest.RunsTable, loadsTable}

// snapshot is the dataset as of its last complete load: the committed load ids, and
// the files (relative to the dataset folder) of each table.
type snapshot struct {
	loads []string            // committed, oldest first
	files map[string][]string // table → files, system tables included
	objs  listing             // a bucket's objects, as listed when the snapshot was read
}

// committed lists the load ids with a _dlt_loads file, oldest first.
func (d *Destination) committed() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(d.dir(), loadsTable))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), parquetExt); ok && !e.IsDir() {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return loadIDLess(ids[i], ids[j]) })
	return ids, nil
}

// loadIDLess orders dlt's load ids ("1732612345.123456") by time.
func loadIDLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// current reads the snapshot: the file map of the newest complete load.
// A bucket's dataset is brought into the cache first: the system tables' files, then
// the files the snapshot lists. A file that went between the listing and its download
// was replaced by a load that committed meanwhile: the snapshot is read again, once.
func (d *Destination) current(ctx context.Context) (*snapshot, error) {
	snap, err := d.readSnapshot(ctx)
	if d.Remote != nil && bucket.IsNotFound(err) {
		snap, err = d.readSnapshot(ctx)
	}
	return snap, err
}

func (d *Destination) readSnapshot(ctx context.Context) (*snapshot, error) {
	var objs listing
	if d.Remote != nil {
		var err error
		if objs, err = d.syncSystem(ctx); err != nil {
			return nil, err
		}
	}
	ids, err := d.committed()
	if err != nil || len(ids) == 0 {
		return &snapshot{files: map[string][]string{}, objs: objs}, err
	}
	snap := &snapshot{loads: ids, files: map[string][]string{}, objs: objs}
	db, err := memoryDB(ctx, "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	last := ids[len(ids)-1]
	var files sql.NullString
	runFile := filepath.Join(d.dir(), dest.RunsTable, last+parquetExt)
	err = db.QueryRowContext(ctx, "SELECT CAST(files AS VARCHAR) FROM read_parquet($1)", runFile).Scan(&files)
	if err != nil {
		return nil, fmt.Errorf("reading the file list of load %s (%s): %w", last, runFile, err)
	}
	if err := json.Unmarshal([]byte(files.String), &snap.files); err != nil {
		return nil, fmt.Errorf("the file list of load %s does not parse: %w", last, err)
	}
	if d.Remote != nil {
		if err := d.syncData(ctx, snap, objs); err != nil {
			return nil, err
		}
	}
	for _, t := range systemTables {
		snap.files[t] = nil
		for _, id := range ids {
			p := filepath.Join(t, id+parquetExt)
			if _, err := os.Stat(filepath.Join(d.dir(), p)); err == nil {
				snap.files[t] = append(snap.files[t], p)
			}
		}
	}
	return snap, nil
}

// loaded is the snapshot of a dataset with at least one complete load; none is
// dest.ErrNoData.
func (d *Destination) loaded(ctx context.Context) (*snapshot, error) {
	snap, err := d.current(ctx)
	if err == nil && len(snap.loads) == 0 {
		err = fmt.Errorf("%w: %s holds no complete load; run `secoda-workbench run` first", dest.ErrNoData, d.dir())
	}
	return snap, err
}

// memoryDB is an in-memory DuckDB database with the settings of a DSN ("" for none).
func memoryDB(ctx context.Context, dsn string) (*sql.DB, error) {
	c, err := duckdbdrv.NewConnector(dsn, nil)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// reader is an in-memory DuckDB database with a view per table over the snapshot's
// files, locked down to read the dataset's folder and nothing else: with no temporary
// folder (reads do not spill) and the read memory as its memory limit, whose external
// access goes off once the views are made.
func (d *Destination) reader(ctx context.Context) (*sql.DB, *snapshot, error) {
	snap, err := d.loaded(ctx)
	if err != nil {
		return nil, nil, err
	}
	db, err := memoryDB(ctx, fmt.Sprintf("?memory_limit=%dMB&temp_directory=", cmp.Or(d.Reader.Memory, dest.DefaultReadMemory)>>20))
	if err != nil {
		return nil, nil, err
	}
	// DuckDB keeps to the dataset's folder by name only: each file is checked under the
	// project's file rule first, so a file that is a link out of the folder (or no
	// regular file) is refused rather than read.
	folder, err := projectfs.OpenFolder(d.dir())
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	stmts, err := d.views(folder, snap, d.Dataset)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	stmts = append(stmts,
		"SET search_path = "+dest.Literal(d.Dataset),
		// The folder as named and with its links resolved (the files' checked paths are).
		"SET allowed_directories = ["+dest.Literal(d.dir()+string(filepath.Separator))+", "+dest.Literal(folder.Dir()+string(filepath.Separator))+"]",
		"SET enable_external_access = false",
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET lock_configuration = true")
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			db.Close()
			return nil, nil, fmt.Errorf("opening %s: %w", d.dir(), err)
		}
	}
	return db, snap, nil
}

// views are the statements that make schema, in a DuckDB database, hold a view of
// each table over its files in snap, each file checked under the project's rule.
func (d *Destination) views(folder projectfs.Root, snap *snapshot, schema string) ([]string, error) {
	stmts := []string{"CREATE SCHEMA " + dest.Ident(schema)}
	for table, files := range snap.files {
		if len(files) == 0 {
			continue
		}
		paths := make([]string, len(files))
		for i, f := range files {
			checked, err := folder.Path(f, projectfs.File)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", d.dir(), err)
			}
			paths[i] = dest.Literal(checked)
		}
		stmts = append(stmts, fmt.Sprintf("CREATE VIEW %s AS SELECT * FROM read_parquet([%s], union_by_name = true)",
			sqldest.Qualified(schema, table), strings.Join(paths, ", ")))
	}
	return stmts, nil
}

// ReadInPlace makes the dataset's tables, as of its last complete load, views in
// schema name of another DuckDB database (dest.InPlace).
func (d *Destination) ReadInPlace(ctx context.Context, name string) ([]string, string, error) {
	snap, err := d.loaded(ctx)
	if err != nil {
		return nil, "", err
	}
	folder, err := projectfs.OpenFolder(d.dir())
	if err != nil {
		return nil, "", err
	}
	stmts, err := d.views(folder, snap, name)
	return stmts, dest.Ident(name) + ".", err
}

// Load writes a load package as Parquet files and commits it by renaming its
// _dlt_loads file into place.
func (d *Destination) Load(ctx context.Context, job dest.LoadJob) (dest.LoadResult, error) {
	start := time.Now()
	// The root folder was checked against the project (pipeline.OpenDestination);
	// what the load makes in it is checked against the root.
	if err := os.MkdirAll(d.Root, 0o755); err != nil {
		return dest.LoadResult{}, err
	}
	root, err := projectfs.OpenFolder(d.Root)
	if err != nil {
		return dest.LoadResult{}, err
	}
	dataset, err := root.MkdirAll(d.Dataset, 0o755)
	if err != nil {
		return dest.LoadResult{}, err
	}
	lock, err := filelock.Acquire(filepath.Join(dataset.Dir(), lockName))
	var held *filelock.HeldError
	if errors.As(err, &held) {
		return dest.LoadResult{}, fmt.Errorf("%w: %s is being loaded (%v); try again when it is done", dest.ErrInUse, d.dir(), held)
	}
	if err != nil {
		return dest.LoadResult{}, err
	}
	defer lock.Release()
	l := &load{d: d, dataset: dataset, job: job, scratch: filepath.Join(d.dir(), scratchName)}
	if d.Remote != nil {
		if l.lock, err = d.lockRemote(ctx); err != nil {
			return dest.LoadResult{}, err
		}
		defer l.lock.Release(context.WithoutCancel(ctx))
	}
	if l.snap, err = d.current(ctx); err != nil {
		return dest.LoadResult{}, err
	}
	d.collect(l.snap) // what a killed load left behind
	if d.Remote != nil {
		if err := d.collectRemote(ctx, l.snap, l.snap.objs); err != nil {
			return dest.LoadResult{}, err
		}
	}
	defer os.RemoveAll(l.scratch)
	if err := l.run(ctx); err != nil {
		l.abort()
		return dest.LoadResult{}, err
	}
	return dest.LoadResult{Duration: time.Since(start)}, nil
}

// collect deletes what the snapshot does not hold: temporary files, the files of loads
// that never committed, the files later loads replaced, and any scratch database.
func (d *Destination) collect(snap *snapshot) {
	keep := map[string]bool{}
	for _, files := range snap.files {
		for _, f := range files {
			keep[f] = true
		}
	}
	_ = os.RemoveAll(filepath.Join(d.dir(), scratchName))
	entries, err := os.ReadDir(d.dir())
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		files, err := os.ReadDir(filepath.Join(d.dir(), e.Name()))
		if err != nil {
			continue
		}
		for _, f := range files {
			rel := filepath.Join(e.Name(), f.Name())
			if ours.MatchString(f.Name()) && (strings.HasSuffix(f.Name(), temporaryExt) || !keep[rel]) {
				_ = os.Remove(filepath.Join(d.dir(), rel))
			}
		}
	}
}
