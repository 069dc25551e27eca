// Package dest is what a destination is to the pipeline, the MCP tools and the
// dashboard: where a load package goes, where the pipeline's schema and state come back
// from, and where read-only queries run. DuckDB (pipeline/duckdb), PostgreSQL
// (pipeline/postgres) and Parquet files (pipeline/filesystem) implement it; the
// normalizer and the extractor know none of them.
package dest

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/secoda-workbench/secoda-workbench/pipeline/loadpkg"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

// The destination types the config names.
const (
	DuckDB     = "duckdb"
	Postgres   = "postgres"
	Filesystem = "filesystem"
)

// Types are the destination types, the default first.
var Types = []string{DuckDB, Postgres, Filesystem}

// Errors every destination reports the same way.
var (
	// ErrInUse is a dataset another process holds: a run loading, or a query.
	ErrInUse = errors.New("the dataset is in use")
	// ErrNoData is a dataset that does not exist yet.
	ErrNoData = errors.New("nothing loaded yet")
	// ErrNotReadOnly is SQL that is not one query.
	ErrNotReadOnly = errors.New("only a query can run here")
	// ErrReadMemory is a query that needs more memory than a read may use.
	ErrReadMemory = errors.New("the query needs more memory than a read may use")
)

// DefaultReadMemory bounds the memory of one read in this process, unless the config's
// [destination] read_memory_mb says otherwise: DuckDB's memory limit on its read
// connections (which do not spill to disk), and the growth of the process's memory
// outside Go's heap while a read runs, past which it is stopped (internal/memguard):
// DuckDB keeps some of a query's memory outside its limit, such as the answer it hands
// over and what one step computes. (Go's side of an answer is bounded by Bounds.)
const DefaultReadMemory = 256 << 20

// ReadMemorySlack is how far past the read memory that memory may grow during a read
// before the read is stopped: the answer DuckDB holds, and its allocator's own.
const ReadMemorySlack = 96 << 20

// MemoryError says a query needed more memory than reads may use (limit, in bytes),
// and what to do.
func MemoryError(limit int64, cause error) error {
	return fmt.Errorf("%w (%d MB): filter or aggregate before joining, join on a key instead of a cross product, select fewer "+
		"columns, or add a LIMIT inside the query; or raise [destination] read_memory_mb in secoda_pipeline.toml (%v)", ErrReadMemory, limit>>20, cause)
}

// DefaultQueryTimeout bounds a query whose context has no deadline.
const DefaultQueryTimeout = 30 * time.Second

// WithDefaultTimeout gives ctx DefaultQueryTimeout unless it has a deadline already.
func WithDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, DefaultQueryTimeout)
}

// Destination is one dataset somewhere.
type Destination interface {
	// Type is the destination type as the config names it: duckdb, postgres, filesystem.
	Type() string
	// Location says where the data is, for people and LoadInfo; never a password.
	Location() string
	// ReadStored reads the latest schema and pipeline state; before the first load
	// it is an empty Stored, not an error.
	// schema is the schema's name (dlt's source name); one this program stored under
	// its old name is read too (Stored.LegacySchema).
	ReadStored(ctx context.Context, pipeline, schema string) (Stored, error)
	// Load applies a load package atomically: all of it is visible, or none.
	Load(ctx context.Context, job LoadJob) (LoadResult, error)
	// Query runs one read-only query of the dataset, its tables unqualified, and
	// returns an answer within b: the rows, each cell and all of them together.
	Query(ctx context.Context, sql string, b Bounds) (*QueryResult, error)
	// TableRows counts the rows of each table of the dataset.
	TableRows(ctx context.Context) (map[string]int64, error)
	// Loads lists the last n loads, newest first.
	Loads(ctx context.Context, n int) ([]Load, error)
	// Browse reads one page of one table, sorted, for the dashboard: the paging and
	// the sort happen in the destination.
	Browse(ctx context.Context, p Page) (*QueryResult, error)
}

// Scanner is a destination that streams the whole answer of a query the program
// writes (never an agent's), each cell cut at cellBytes: a bulk read (the search
// index's copy of a catalog) in one pass, where bounded reads would page through it.
type Scanner interface {
	Scan(ctx context.Context, query string, cellBytes int, each func(row []any) error) error
}

// InPlace is a destination whose dataset DuckDB reads where it lies (a DuckDB file,
// Parquet files), so that another DuckDB database can read it in bulk, without a
// row passing through Go.
type InPlace interface {
	// ReadInPlace returns the statements that make the dataset's tables readable in
	// another DuckDB database under name, and the prefix that qualifies a table there.
	ReadInPlace(ctx context.Context, name string) (stmts []string, prefix string, err error)
}

// Stored is what the destination keeps of a pipeline between runs.
type Stored struct {
	Schema *normalize.Schema // nil before the first load
	// LegacySchema is set when the schema was stored under this program's old name
	// (normalize.LegacySchemaName): the next load stores it under dlt's source name.
	LegacySchema bool
	State        []byte // the pipeline state, JSON; nil before the first load
	StateVersion int64
}

// ResourceLoad is what a load does with one resource's tables.
type ResourceLoad struct {
	Name        string
	Disposition string // append, replace or merge
	PrimaryKey  string
	// Skip leaves the resource's tables as they are (its records did not change).
	Skip bool
	// DropTables are dropped before anything else (a full refresh, or a resource whose
	// disposition changed to merge, whose old child rows have no _dlt_root_id).
	DropTables []string
}

// LoadJob is one load package and what to do with it.
type LoadJob struct {
	LoadID        string
	PipelineName  string
	Package       *loadpkg.Reader
	Schema        *normalize.Schema // the whole schema after this run
	SchemaChanged bool
	Resources     []ResourceLoad
	State         []byte // the new pipeline state, JSON
	StateVersion  int64
	Run           RunRecord
}

// RunRecord is what a run met, kept beside the loads for `status` and the dashboard.
type RunRecord struct {
	StartedAt    time.Time
	Records      int64
	Requests     int64
	Retries      int64
	RateLimited  int64
	ServerErrors int64
	RowsJSON     string // rows per table, JSON
	// Trace is the run's trace as it stood when the load began, JSON (pipeline.Trace);
	// "" for none.
	Trace string
}

// LoadResult says what the load did.
type LoadResult struct {
	Duration time.Duration
}

// QueryResult is a bounded query answer.
type QueryResult struct {
	Columns []string
	Types   []string // the database's type names
	Rows    [][]any
	// Truncated says there are more rows than Rows holds: the row bound or the byte
	// bound stopped the answer.
	Truncated bool
	// CutCells counts the cells shortened to the cell bound (or to what was left of the
	// byte bound); each is a string ending in CutMark.
	CutCells int
	// Bytes is the size of Rows as counted against the byte bound.
	Bytes int
}

// Bounds is how much of an answer a read hands back: at most Rows rows, CellBytes
// bytes of one cell (text, or a nested value as JSON) and Bytes of all cells together.
// Reads apply them in the database (a LIMIT, cells cut by SQL), so an answer never
// grows past them on its way here.
type Bounds struct {
	Rows      int
	CellBytes int
	Bytes     int
}

// The widest bounds a read takes; Bounds asking for more are lowered to these.
const (
	MaxRows      = 100_000
	MaxCellBytes = 1 << 20
	MaxBytes     = 64 << 20
)

// DefaultBounds are for an answer a person or an agent reads: 100 rows, 4 kB cells,
// 1 MB in all.
var DefaultBounds = Bounds{Rows: 100, CellBytes: 4 << 10, Bytes: 1 << 20}

// WidestBounds are the maxima: for a person at a terminal, or a program.
var WidestBounds = Bounds{Rows: MaxRows, CellBytes: MaxCellBytes, Bytes: MaxBytes}

// Rows is DefaultBounds with n rows.
func Rows(n int) Bounds { b := DefaultBounds; b.Rows = n; return b }

// Clamp fills unset bounds from DefaultBounds and lowers those past the maxima.
func (b Bounds) Clamp() Bounds {
	fill := func(v, def, most int) int {
		if v <= 0 {
			v = def
		}
		return min(v, most)
	}
	return Bounds{Rows: fill(b.Rows, DefaultBounds.Rows, MaxRows), CellBytes: fill(b.CellBytes, DefaultBounds.CellBytes, MaxCellBytes),
		Bytes: fill(b.Bytes, DefaultBounds.Bytes, MaxBytes)}
}

// CutMark ends a cell shortened to its bound.
const CutMark = "…"

// Load is one row of _dlt_loads with what the run met.
type Load struct {
	LoadID       string
	Status       int64
	InsertedAt   time.Time
	StartedAt    time.Time
	Records      int64
	Requests     int64
	Retries      int64
	RateLimited  int64
	ServerErrors int64
	RowsJSON     string
	// Incomplete is a load whose run could not read parts of the workspace.
	Incomplete bool
}

// Page asks Browse for rows Offset to Offset+Bounds.Rows of Table, sorted by Sort
// (none: the table's own order), cells and bytes within Bounds. Table and Sort must
// be names the dataset has.
type Page struct {
	Table  string
	Sort   string
	Desc   bool
	Offset int64
	Bounds Bounds
}

// Ident quotes an identifier for SQL.
func Ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Literal quotes a string literal for SQL.
func Literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// CompressState encodes the state as dlt does: zlib, then base64.
func CompressState(state []byte) string {
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	w.Write(state)
	w.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// DecompressState reads a state blob: dlt's zlib and base64, or plain JSON.
func DecompressState(blob string) ([]byte, error) {
	if strings.HasPrefix(strings.TrimSpace(blob), "{") {
		return []byte(blob), nil
	}
	raw, err := base64.StdEncoding.DecodeString(blob)
	if err != nil {
		return nil, fmt.Errorf("the stored pipeline state is not readable: %w", err)
	}
	r, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("the stored pipeline state is not readable: %w", err)
	}
	defer r.Close()
	return io.ReadAll(r)
}

// IsSystemTable reports whether a table is dlt's or the workbench's own.
func IsSystemTable(name string) bool {
	return strings.HasPrefix(name, "_dlt_") || name == RunsTable
}

// RunsTable is the workbench's record of what each run met, beside dlt's tables.
const RunsTable = "_workbench_runs"
