package tools

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	duckdbdriver "github.com/duckdb/duckdb-go/v2"

	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/duckdb"
)

// search_catalog reads a search index, not the dataset: a DuckDB file in the work
// folder (.secoda-workbench/search/<pipeline>.duckdb) holding the few columns of the
// catalog a search reads, its names, titles and texts already lowercased, the words
// of the names, and the first owners and tags of each resource behind an ART index on
// their resource. A search of the dataset itself lowercases every name again, runs a
// regular expression over every name for a typo, and scans every owner and tag to
// find those of ten results: on a million resources 170 to 535 ms on DuckDB, and more
// on PostgreSQL. The index answers in 42 to 175 ms on every destination, since it is
// DuckDB whatever the dataset is, and the server keeps it open between searches.
//
// The index is built on the first search after a load (the dataset's latest load is
// its key): read in place in one statement a table where DuckDB can read the dataset
// (dest.InPlace: a DuckDB file, Parquet files), else streamed from the destination
// in one pass a table (dest.Scanner: PostgreSQL); into a file of its own name, renamed over the last one,
// so that a reader sees a whole index or the one before. Where it cannot be built (no
// folder for it can be made, a read fails), search reads the dataset and answers the
// same, a warning logged.

// The index's layout; an index of another version is built again.
const searchIndexVersion = 1

const (
	// searchIndexFolder is the index's folder in the work folder.
	searchIndexFolder = "search"
	// indexCellBytes bounds each copied cell: a description past it is searched in
	// its first 64 kB.
	indexCellBytes = 64 << 10
	// indexBuildTimeout bounds a build; past it search reads the dataset.
	indexBuildTimeout = 5 * time.Minute
	// indexMemory is DuckDB's memory limit while the index is written, a read's: at
	// half of it, the copy of a million resources takes twice as long.
	indexMemory = dest.DefaultReadMemory
)

// The index's own columns of resource_catalog: the name search matches (the full
// title, else the title), the title, and the name with the description and definition,
// all lowercased.
const (
	indexName  = "search_name"
	indexTitle = "search_title"
	indexBody  = "search_body"
	// indexWords is the table of the names' words.
	indexWords = "search_words"
)

// indexCopy is one table the index copies from the dataset: the columns it keeps
// (those the dataset has), its key (never NULL in a copied row), and the rows it skips.
type indexCopy struct {
	table  string
	cols   []string
	ints   map[string]bool // BIGINT columns; the rest are VARCHAR
	key    string          // a row's key: its own id, or its parent's
	sorted bool            // kept in the order of key: a child table, read by key
	where  string
}

// indexCopies are the tables and columns a search reads.
var indexCopies = []indexCopy{
	{table: catalogTable, cols: []string{"_dlt_id", "id", "entity_type", "title", "title_full", "parent_id", "integration", "total_usage", "description", "definition"},
		ints: map[string]bool{"total_usage": true}, key: "_dlt_id"},
	{table: ownersTable, cols: []string{"_dlt_parent_id", "_dlt_list_idx", "value"}, ints: map[string]bool{"_dlt_list_idx": true},
		key: "_dlt_parent_id", sorted: true, where: fmt.Sprintf("_dlt_list_idx < %d", labelsPerResource)},
	{table: tagsTable, cols: []string{"_dlt_parent_id", "_dlt_list_idx", "value"}, ints: map[string]bool{"_dlt_list_idx": true},
		key: "_dlt_parent_id", sorted: true, where: fmt.Sprintf("_dlt_list_idx < %d", labelsPerResource)},
	{table: userTable, cols: []string{"id", "first_name", "last_name", "email"}, key: "id"},
	{table: tagTable, cols: []string{"id", "name"}, key: "id"},
	{table: integrationTable, cols: []string{"id", "name", "type"}, key: "id"},
}

// indexBuilds lets one build at a time run in this process; the others wait and use it.
var indexBuilds sync.Mutex

// searchCatalog is the catalog a search reads: the index of the dataset's latest
// load, opened (or built first) where it can be, else the dataset itself, the reason
// logged. An index already open for the latest load answers without the dataset's
// tables being listed again.
func (d *Deps) searchCatalog(ctx context.Context) (*catalogData, error) {
	ds, err := d.dataset(ctx)
	if err != nil {
		return nil, err
	}
	key, keyErr := indexKey(ctx, ds)
	file, fileErr := locateIndex(ds.plan)
	if keyErr == nil && fileErr == nil {
		if idx, err := openIndex(ctx, ds.plan, file.path, key); idx != nil && err == nil {
			return idx, nil
		}
	}
	c, err := readCatalog(ctx, ds)
	if err != nil || keyErr != nil {
		return c, err // no _dlt_loads: not a dataset a load wrote
	}
	err = fileErr
	var idx *catalogData
	if err == nil {
		idx, err = c.searchIndex(ctx, file, key)
	}
	if err != nil {
		if ctx.Err() == nil && d.Logger != nil {
			d.Logger.Warn("search reads the dataset: its index could not be used", "error", err)
		}
		return c, nil
	}
	return idx, nil
}

// indexLocation is where a project's index is: its folder (made when missing), its name
// there and its path.
type indexLocation struct {
	folder     projectfs.Root
	name, path string
}

func locateIndex(plan *pipeline.Plan) (indexLocation, error) {
	folder, err := searchFolder(plan)
	if err != nil {
		return indexLocation{}, err
	}
	name := plan.PipelineName + ".duckdb"
	path, err := folder.Path(name, projectfs.File)
	return indexLocation{folder: folder, name: name, path: path}, err
}

// searchIndex opens the index of key, building it first when there is none or it is
// of an older load.
func (c *catalogData) searchIndex(ctx context.Context, file indexLocation, key string) (*catalogData, error) {
	indexBuilds.Lock()
	defer indexBuilds.Unlock()
	if idx, err := openIndex(ctx, c.plan, file.path, key); idx != nil || err != nil {
		return idx, err // built while this search waited
	}
	ctx, cancel := context.WithTimeout(ctx, indexBuildTimeout)
	defer cancel()
	tmp := file.name + ".building-" + randomHex(6)
	tmpPath, err := file.folder.Path(tmp, projectfs.File)
	if err != nil {
		return nil, err
	}
	defer func() {
		os.Remove(tmpPath)
		os.Remove(tmpPath + ".wal")
	}()
	if err := c.buildIndex(ctx, tmpPath, key); err != nil {
		return nil, fmt.Errorf("building the search index: %w", err)
	}
	if err := file.folder.Rename(tmp, file.name); err != nil {
		return nil, err
	}
	idx, err := openIndex(ctx, c.plan, file.path, key)
	if err == nil && idx == nil {
		err = errors.New("the search index just built does not answer")
	}
	return idx, err
}

// searchFolder is the index's folder, made when missing.
func searchFolder(plan *pipeline.Plan) (projectfs.Root, error) {
	project, err := projectfs.Open(plan.Dir)
	if err != nil {
		return projectfs.Root{}, err
	}
	return project.MkdirAll(filepath.Join(pipeline.WorkDirName, searchIndexFolder), 0o755)
}

// indexKey names what the index is of: the destination and dataset, their latest
// committed load (every load, ours or dlt's, adds one; a column comes only with a
// load), and the index's version. A dataset without _dlt_loads is an error.
func indexKey(ctx context.Context, ds *dataset) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	res, err := ds.dest.Query(ctx, "SELECT max(load_id), count(*) FROM _dlt_loads WHERE status = 0", dest.Rows(1))
	if err != nil {
		return "", err
	}
	if len(res.Rows) == 0 {
		return "", errors.New("_dlt_loads answered nothing")
	}
	h := sha256.New()
	fmt.Fprintf(h, "v%d\x00%s\x00%s\x00%s\x00%s\x00%d", searchIndexVersion, ds.dest.Type(), ds.dest.Location(), ds.plan.DatasetName,
		asString(res.Rows[0][0]), asInt(res.Rows[0][1]))
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// present is the columns of a copy the dataset has.
func (c *catalogData) present(cp indexCopy) []string {
	var out []string
	for _, col := range cp.cols {
		if c.hasCol(cp.table, col) {
			out = append(out, col)
		}
	}
	return out
}

// openIndex opens the index at path when it exists and is of key; nil when it is not.
// The index stays open for the searches that follow (openIndexes), until an index of
// another key replaces it.
func openIndex(ctx context.Context, plan *pipeline.Plan, path, key string) (*catalogData, error) {
	openIndexes.Lock()
	defer openIndexes.Unlock()
	if o := openIndexes.m[path]; o != nil && o.key == key {
		if _, err := os.Stat(path); err == nil {
			return o.use(plan), nil
		}
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	idx, err := duckdb.Keep(path, plan.DatasetName, 0)
	if err != nil {
		return nil, err
	}
	res, err := idx.Query(ctx, "SELECT key FROM _search_index", dest.Rows(1))
	if err != nil || len(res.Rows) == 0 || asString(res.Rows[0][0]) != key {
		idx.Close()
		return nil, nil // another load's, or not an index: built again
	}
	out, err := readCatalog(ctx, &dataset{plan: plan, dest: idx})
	if err != nil {
		idx.Close()
		return nil, err
	}
	out.indexed = true
	if old := openIndexes.m[path]; old != nil {
		old.retire()
	}
	o := &keptIndex{key: key, catalog: out, kept: idx}
	openIndexes.m[path] = o
	return o.use(plan), nil
}

// openIndexes are the indexes kept open, by path.
var openIndexes = struct {
	sync.Mutex
	m map[string]*keptIndex
}{m: map[string]*keptIndex{}}

// keptIndex is an index kept open: searches reading it hold it (use), and the
// index of a newer load retires it, closing it when the last search is done.
type keptIndex struct {
	key     string
	catalog *catalogData
	kept    *duckdb.Kept
	users   int
	retired bool
}

// retire closes the index once no search reads it (openIndexes held).
func (o *keptIndex) retire() {
	o.retired = true
	if o.users == 0 {
		o.kept.Close()
	}
}

// done ends a search's use of o.
func (o *keptIndex) done() {
	openIndexes.Lock()
	defer openIndexes.Unlock()
	if o.users--; o.users == 0 && o.retired {
		o.kept.Close()
	}
}

// use is the index for one search, with its call's plan (the same project's): the
// search releases it when done (openIndexes held).
func (o *keptIndex) use(plan *pipeline.Plan) *catalogData {
	o.users++
	out := *o.catalog
	out.dataset = &dataset{plan: plan, dest: o.kept}
	out.release = o.done
	return &out
}

// buildIndex writes the index of the dataset into a new DuckDB file at path.
func (c *catalogData) buildIndex(ctx context.Context, path, key string) error {
	conn, err := duckdbdriver.NewConnector(path+fmt.Sprintf("?memory_limit=%dMB", indexMemory>>20)+"&autoinstall_known_extensions=false&autoload_known_extensions=false", nil)
	if err != nil {
		return err
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	db.SetMaxOpenConns(1)
	schema := dest.Ident(c.plan.DatasetName)
	for _, q := range []string{"CREATE SCHEMA " + schema, "CREATE TABLE " + schema + "._search_index (key VARCHAR, built TIMESTAMPTZ)"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	prefix := ""
	if in, ok := c.dest.(dest.InPlace); ok {
		stmts, p, err := in.ReadInPlace(ctx, "dataset")
		if err != nil {
			return err
		}
		for _, q := range stmts {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		prefix = p
	}
	for _, cp := range indexCopies {
		cols := c.present(cp)
		if !c.has(cp.table) || !slices.Contains(cols, cp.key) {
			continue
		}
		copyTable := c.copyTable
		if prefix != "" {
			copyTable = func(ctx context.Context, db *sql.DB, cp indexCopy, cols []string) error {
				return c.copyInPlace(ctx, db, prefix, cp, cols)
			}
		}
		if err := copyTable(ctx, db, cp, cols); err != nil {
			return fmt.Errorf("%s: %w", cp.table, err)
		}
	}
	if err := c.finishIndex(ctx, db); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO "+schema+"._search_index VALUES (?, now())", key); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, "CHECKPOINT")
	return err
}

// finishIndex adds search_words, the words of the names, in which the typo tier finds
// a word's variants before it looks at a name, and an index (DuckDB's ART) on the
// owners' and tags' _dlt_parent_id, by which the labels of a search's results are
// found in a millisecond instead of a scan of all of them.
func (c *catalogData) finishIndex(ctx context.Context, db *sql.DB) error {
	stmts := []string{fmt.Sprintf("CREATE TABLE %s AS SELECT DISTINCT w AS word FROM (SELECT unnest(regexp_split_to_array(%s, '[^\\p{L}\\p{N}]+')) AS w FROM %s) WHERE length(w) >= %d",
		c.indexTable(indexWords), indexName, c.indexTable(catalogTable), minTypoWord-1)}
	for i, t := range []string{ownersTable, tagsTable} {
		if c.hasCol(t, "_dlt_parent_id") {
			stmts = append(stmts, fmt.Sprintf("CREATE INDEX search_parent_%d ON %s (_dlt_parent_id)", i, c.indexTable(t)))
		}
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// indexLayout is how the index keeps a copied table: the columns it keeps of those
// the dataset has (the catalog's description and definition go into its search_body),
// and whether the catalog has a body at all.
func indexLayout(cp indexCopy, cols []string) (keep []string, body bool) {
	if cp.table != catalogTable {
		return cols, false
	}
	keep = slices.DeleteFunc(slices.Clone(cols), func(s string) bool { return s == "description" || s == "definition" })
	return keep, len(keep) < len(cols)
}

// createIndexTable creates a copied table in the index; the catalog gains the
// lowercased columns search matches.
func (c *catalogData) createIndexTable(ctx context.Context, db *sql.DB, cp indexCopy, keep []string, body bool) error {
	var defs []string
	for _, col := range keep {
		defs = append(defs, sqlIdent(col)+" "+indexType(cp, col))
	}
	if cp.table == catalogTable {
		defs = append(defs, indexName+" VARCHAR", indexTitle+" VARCHAR")
	}
	if body {
		defs = append(defs, indexBody+" VARCHAR")
	}
	_, err := db.ExecContext(ctx, "CREATE TABLE "+c.indexTable(cp.table)+" ("+strings.Join(defs, ", ")+")")
	return err
}

func (c *catalogData) indexTable(table string) string {
	return dest.Ident(c.plan.DatasetName) + "." + dest.Ident(table)
}

func indexType(cp indexCopy, col string) string {
	if cp.ints[col] {
		return "BIGINT"
	}
	return "VARCHAR"
}

// copyInPlace copies one table into the index in one statement, from a dataset DuckDB
// reads in place (prefix qualifies its tables), lowercasing as copyTable does.
func (c *catalogData) copyInPlace(ctx context.Context, db *sql.DB, prefix string, cp indexCopy, cols []string) error {
	keep, body := indexLayout(cp, cols)
	if err := c.createIndexTable(ctx, db, cp, keep, body); err != nil {
		return err
	}
	text := func(col string) string {
		if !slices.Contains(cols, col) {
			return "''"
		}
		return fmt.Sprintf("left(coalesce(CAST(%s AS VARCHAR), ''), %d)", sqlIdent(col), indexCellBytes)
	}
	var sel []string
	for _, col := range keep {
		sel = append(sel, "CAST("+sqlIdent(col)+" AS "+indexType(cp, col)+")")
	}
	if cp.table == catalogTable {
		title := "lower(" + text("title") + ")"
		name := "CASE WHEN " + text("title_full") + " = '' THEN " + title + " ELSE lower(" + text("title_full") + ") END"
		sel = append(sel, name, title)
		if body {
			sel = append(sel, "concat_ws(chr(10), "+name+", "+title+", lower("+text("description")+"), lower("+text("definition")+"))")
		}
	}
	where := sqlIdent(cp.key) + " IS NOT NULL"
	if cp.where != "" {
		where += " AND " + cp.where
	}
	// Sorted by key, a child table's rows of one resource sit together, and its ART
	// index (finishIndex) is built from sorted keys. (rows sorts them likewise.)
	order := ""
	if cp.sorted {
		order = " ORDER BY " + sqlIdent(cp.key)
	}
	_, err := db.ExecContext(ctx, "INSERT INTO "+c.indexTable(cp.table)+" SELECT "+strings.Join(sel, ", ")+" FROM "+prefix+dest.Ident(cp.table)+" WHERE "+where+order)
	return err
}

// copyTable copies one table's columns into the index through Go (rows), for a
// destination DuckDB cannot read in place (PostgreSQL).
func (c *catalogData) copyTable(ctx context.Context, db *sql.DB, cp indexCopy, cols []string) error {
	catalog := cp.table == catalogTable
	keep, hasBody := indexLayout(cp, cols)
	if err := c.createIndexTable(ctx, db, cp, keep, hasBody); err != nil {
		return err
	}
	at := map[string]int{}
	for i, col := range cols {
		at[col] = i
	}
	sqlConn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer sqlConn.Close()
	return sqlConn.Raw(func(dc any) error {
		app, err := duckdbdriver.NewAppender(dc.(driver.Conn), "", c.plan.DatasetName, cp.table)
		if err != nil {
			return err
		}
		n := 0
		err = c.rows(ctx, cp, cols, func(row []any) error {
			vals := make([]driver.Value, 0, len(keep)+3)
			for _, col := range keep {
				vals = append(vals, indexValue(row[at[col]], cp.ints[col]))
			}
			if catalog {
				title := strings.ToLower(asString(row[at["title"]]))
				name := title
				if i, ok := at["title_full"]; ok && asString(row[i]) != "" {
					name = strings.ToLower(asString(row[i]))
				}
				vals = append(vals, name, title)
				if hasBody {
					body := name + "\n" + title
					for _, col := range []string{"description", "definition"} {
						if i, ok := at[col]; ok {
							body += "\n" + strings.ToLower(asString(row[i]))
						}
					}
					vals = append(vals, body)
				}
			}
			if err := app.AppendRow(vals...); err != nil {
				return err
			}
			// As the loader does (pipeline/duckdb): flushed often, the Appender's
			// memory stays flat.
			if n++; n%16384 == 0 {
				return app.Flush()
			}
			return nil
		})
		if cerr := app.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// indexValue is a cell as the index stores it: text, or an integer for a BIGINT
// column; NULL stays NULL.
func indexValue(v any, integer bool) driver.Value {
	switch {
	case v == nil:
		return nil
	case integer:
		return asInt(v)
	default:
		return asString(v)
	}
}

// rows reads a table's rows for the index in one pass, from a destination that
// streams them (dest.Scanner: PostgreSQL), a child table's in the order of its key,
// as copyInPlace sorts it.
func (c *catalogData) rows(ctx context.Context, cp indexCopy, cols []string, each func([]any) error) error {
	sc, ok := c.dest.(dest.Scanner)
	if !ok {
		return fmt.Errorf("%s destinations can neither be read in place nor streamed", c.dest.Type())
	}
	var quoted []string
	for _, col := range cols {
		quoted = append(quoted, sqlIdent(col))
	}
	q := "SELECT " + strings.Join(quoted, ", ") + " FROM " + sqlIdent(cp.table) + " WHERE " + sqlIdent(cp.key) + " IS NOT NULL"
	if cp.where != "" {
		q += " AND " + cp.where
	}
	if cp.sorted {
		q += " ORDER BY " + sqlIdent(cp.key)
	}
	return sc.Scan(ctx, q, indexCellBytes, each)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
