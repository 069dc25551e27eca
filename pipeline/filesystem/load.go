package filesystem

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"

	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest/sqldest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/duckdb"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
)

// ours matches the files a load writes: "<load_id>.parquet", or with ".tmp" while
// the load is not committed. collect deletes nothing else.
var ours = regexp.MustCompile(`^\d+\.\d+\.parquet(\.tmp)?$`)

// load is one load into the folder.
type load struct {
	d       *Destination
	dataset projectfs.Root // the dataset's folder, for the folders the load makes
	job     dest.LoadJob
	snap    *snapshot
	scratch string // a folder for the scratch database
	conn    *sql.Conn
	written []string // temporary files, relative to the dataset folder
	renamed []string // final names already renamed into place (before the commit)

	// A bucket's load (remote.go): its lock, what it uploaded, and whether the commit
	// was uploaded.
	lock      *bucket.Lock
	mu        sync.Mutex
	uploaded  []string
	committed bool
}

func (l *load) run(ctx context.Context) error {
	if _, err := l.dataset.MkdirAll(scratchName, 0o755); err != nil {
		return err
	}
	// A database file in the scratch folder: past its memory limit DuckDB writes the
	// tables out there, which an in-memory database could not do with a million rows.
	c, err := duckdbdrv.NewConnector(filepath.Join(l.scratch, "load.duckdb")+"?memory_limit=96MB", nil)
	if err != nil {
		return err
	}
	db := sql.OpenDB(c)
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	l.conn = conn
	if err := l.importMerged(ctx); err != nil {
		return err
	}
	// The same load as the DuckDB destination, into the scratch database.
	if err := duckdb.LoadConn(ctx, conn, l.d.Dataset, l.job); err != nil {
		return err
	}
	// Written to the file, the loaded tables leave memory to the Parquet writer, which
	// within 96 MB needs one thread and row groups bounded in bytes (a row group of
	// wide catalog rows is otherwise larger than the limit); rows in a file need no order.
	if err := l.exec(ctx, []string{"CHECKPOINT", "SET threads = 1", "SET preserve_insertion_order = false"}); err != nil {
		return err
	}
	files, err := l.export(ctx)
	if err != nil {
		return err
	}
	return l.commit(ctx, files)
}

// resourceOf maps each table of the schema to its resource's load.
func (l *load) resourceOf() map[string]dest.ResourceLoad {
	out := map[string]dest.ResourceLoad{}
	for _, r := range l.job.Resources {
		for _, t := range l.job.Schema.ResourceTables(r.Name) {
			out[t.Name] = r
		}
	}
	return out
}

// importMerged copies the current rows of merged resources' tables into the scratch
// database, where the load merges into them.
func (l *load) importMerged(ctx context.Context) error {
	var stmts []string
	for table, r := range l.resourceOf() {
		files := l.snap.files[table]
		if r.Skip || r.Disposition != "merge" || len(files) == 0 || slices.Contains(r.DropTables, table) {
			continue
		}
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE %s AS SELECT * FROM read_parquet([%s], union_by_name = true)",
			sqldest.Qualified(l.d.Dataset, table), l.paths(files)))
	}
	if len(stmts) == 0 {
		return nil
	}
	return l.exec(ctx, append([]string{"CREATE SCHEMA IF NOT EXISTS " + dest.Ident(l.d.Dataset)}, stmts...))
}

// exec runs statements on the scratch database.
func (l *load) exec(ctx context.Context, stmts []string) error {
	for _, s := range stmts {
		if _, err := l.conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", sqldest.FirstLine(s), err)
		}
	}
	return nil
}

func (l *load) paths(files []string) string {
	q := make([]string, len(files))
	for i, f := range files {
		q[i] = dest.Literal(filepath.Join(l.d.dir(), f))
	}
	return strings.Join(q, ", ")
}

// export writes each table the load changed as a Parquet file with a temporary name,
// and returns the dataset's files after the load.
func (l *load) export(ctx context.Context) (map[string][]string, error) {
	files := map[string][]string{}
	for t, fs := range l.snap.files {
		if !slices.Contains(systemTables, t) {
			files[t] = fs
		}
	}
	for _, r := range l.job.Resources {
		for _, t := range r.DropTables {
			delete(files, t)
		}
	}
	resource := l.resourceOf()
	id := l.job.LoadID
	var stmts []string
	out := func(table, query string) {
		rel := filepath.Join(table, id+temporaryExt)
		l.written = append(l.written, rel)
		stmts = append(stmts, fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet, ROW_GROUP_SIZE_BYTES '16MB')", query, dest.Literal(filepath.Join(l.d.dir(), rel))))
	}
	for _, table := range l.job.Schema.TableNames() {
		r, known := resource[table]
		if known && r.Skip {
			continue
		}
		if _, err := l.dataset.MkdirAll(table, 0o755); err != nil {
			return nil, err
		}
		q := "SELECT * FROM " + sqldest.Qualified(l.d.Dataset, table)
		final := filepath.Join(table, id+parquetExt)
		switch {
		case known && (r.Disposition == "merge" || r.Disposition == "replace"):
			out(table, q) // the whole table, in one new file
			files[table] = []string{final}
		case l.job.Package.Manifest().Rows[table] > 0:
			out(table, q) // the new rows: the scratch table held nothing else
			files[table] = append(slices.Clone(files[table]), final)
		case len(files[table]) == 0:
			out(table, q) // a table with no rows yet still has its columns
			files[table] = []string{final}
		}
	}
	// The run's row records the files; _dlt_loads, written last, commits.
	list, err := json.Marshal(files)
	if err != nil {
		return nil, err
	}
	runs := sqldest.Qualified(l.d.Dataset, dest.RunsTable)
	pre := []string{
		fmt.Sprintf("ALTER TABLE %s ADD COLUMN files JSON", runs),
		fmt.Sprintf("UPDATE %s SET files = %s", runs, dest.Literal(string(list))),
	}
	for _, t := range systemTables {
		if _, err := l.dataset.MkdirAll(t, 0o755); err != nil {
			return nil, err
		}
		q := "SELECT * FROM " + sqldest.Qualified(l.d.Dataset, t)
		if t == "_dlt_version" && !l.job.SchemaChanged {
			continue
		}
		out(t, q)
	}
	if err := l.exec(ctx, append(pre, stmts...)); err != nil {
		return nil, err
	}
	return files, nil
}

// commit syncs the new files, renames them into place with _dlt_loads last, and
// deletes the files the load replaced.
// A bucket's load uploads the files first, and its upload of _dlt_loads commits.
func (l *load) commit(ctx context.Context, files map[string][]string) error {
	sort.SliceStable(l.written, func(i, j int) bool { // _dlt_loads last
		return !strings.HasPrefix(l.written[i], loadsTable+string(filepath.Separator)) && strings.HasPrefix(l.written[j], loadsTable+string(filepath.Separator))
	})
	for _, rel := range l.written {
		if err := syncFile(filepath.Join(l.d.dir(), rel)); err != nil {
			return err
		}
	}
	if l.d.Remote != nil {
		if err := l.upload(ctx, l.written); err != nil {
			return err
		}
	}
	for _, rel := range l.written {
		final := strings.TrimSuffix(rel, ".tmp")
		if err := os.Rename(filepath.Join(l.d.dir(), rel), filepath.Join(l.d.dir(), final)); err != nil {
			if l.committed {
				continue // in the bucket already: the cache downloads it when it is read
			}
			return err
		}
		l.renamed = append(l.renamed, final)
		_ = syncFile(filepath.Dir(filepath.Join(l.d.dir(), final)))
	}
	l.written = nil
	// Committed: what no longer belongs to the dataset goes.
	snap := &snapshot{files: files}
	for _, t := range systemTables {
		snap.files[t] = nil
	}
	ids, err := l.d.committed()
	if err == nil {
		for _, t := range systemTables {
			for _, id := range ids {
				snap.files[t] = append(snap.files[t], filepath.Join(t, id+parquetExt))
			}
		}
		l.d.collect(snap)
	}
	if l.d.Remote != nil {
		l.afterRemoteCommit(context.WithoutCancel(ctx), snap, ids)
	}
	return nil
}

// afterRemoteCommit deletes the objects the load replaced, and records the uploaded
// files in the cache's manifest (so that the next read downloads none of them). Its
// failures lose nothing: the next load deletes what this one left.
func (l *load) afterRemoteCommit(ctx context.Context, snap *snapshot, ids []string) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	objs, err := l.d.list(ctx)
	if err != nil {
		return
	}
	snap.loads = ids
	_ = l.d.collectRemote(ctx, snap, objs)
	m := l.d.readManifest()
	for _, final := range l.uploaded {
		key := filepath.ToSlash(final)
		if o, ok := objs[key]; ok {
			m[key] = o
		}
	}
	_ = l.d.writeManifest(m)
}

// abort removes what an uncommitted load wrote.
func (l *load) abort() {
	if l.d.Remote != nil {
		l.abortRemote()
	}
	for _, rel := range l.written {
		_ = os.Remove(filepath.Join(l.d.dir(), rel))
	}
	for _, rel := range l.renamed {
		if !strings.HasPrefix(rel, loadsTable+string(filepath.Separator)) {
			_ = os.Remove(filepath.Join(l.d.dir(), rel))
		}
	}
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
