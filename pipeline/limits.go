package pipeline

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// The ranges of secoda_pipeline.toml's settings, and of the options of a run and a
// query, are here and nowhere else: the decoder enforces them (so `validate` and every
// command and tool that reads the config do), Scaffold checks what it writes against
// them, the commands and tools that take the options check those, and the README's
// Limits table is made from Limits. Each bound is far past what a real workspace needs
// and short of what would exhaust the machine: a goroutine per resource_detail request
// allowed, a name the database or the file system cannot hold, a filter no server
// takes in a URL.

// LimitKind says what a Limit bounds.
type LimitKind int

const (
	// Number bounds a value.
	Number LimitKind = iota
	// Length bounds a string's length in bytes.
	Length
	// Count bounds how many entries a table (or a list) holds.
	Count
)

// Limit is the range of one setting or option.
type Limit struct {
	// Key names it as the file writes it (source.concurrency,
	// resources.<table>.page_cap), or as a command and a tool take it.
	Key  string
	Kind LimitKind
	// Min and Max bound a Number; Max bounds a Length or a Count (Min is 0, or where
	// the setting must be given, 1).
	Min, Max float64
	// Unit names what is counted, for messages: "requests a minute", "tables".
	Unit string
	// Zero is what 0 means where it is outside Min to Max ("no pacing"); "" where 0 has
	// no meaning of its own.
	Zero string
	// Why says what the setting is and why it stops there.
	Why string
}

// The limits other packages check against.
var (
	// LimitConfigFile bounds the config file, read with a bounded reader.
	LimitConfigFile = Limit{Key: ConfigFileName, Kind: Length, Max: 1 << 20,
		Why: "the whole file, read whole before anything else; a real one is a few KiB"}
	// LimitResources bounds the tables of a config, and the resources a run names.
	LimitResources = Limit{Key: "resources", Kind: Count, Min: 1, Max: 256, Unit: "tables",
		Why: "the `[resources.<table>]` sections; the catalog has a few dozen endpoints"}
	// LimitMaxPages bounds `run --max-pages` and run_pipeline's max_pages.
	LimitMaxPages = Limit{Key: "run --max-pages, run_pipeline max_pages", Kind: Number, Min: 1, Max: 1_000_000, Unit: "pages",
		Zero: "no limit", Why: "a development limit: the pages read of each resource"}
	// LimitQueryRows is `query --limit`, as dest bounds every read.
	LimitQueryRows = Limit{Key: "query --limit", Kind: Number, Min: 1, Max: dest.MaxRows, Unit: "rows",
		Why: "the rows printed, held in memory first; page with LIMIT and OFFSET for more"}
)

// Limits are every range, in the order of the file and then the options.
var Limits = []Limit{
	LimitConfigFile,
	{Key: "pipeline.name", Kind: Length, Min: 1, Max: 120, Why: "names the run's lock file and its state; fits every file system"},
	{Key: "pipeline.dataset_name", Kind: Length, Min: 1, Max: 120,
		Why: "the schema, or the folder of the Parquet files; PostgreSQL takes 63 bytes"},
	{Key: "pipeline.schema_name", Kind: Length, Min: 1, Max: 64,
		Why: "dlt's schema and source name, in _dlt_version and the state (secoda_source when absent); dlt takes 64 bytes"},
	{Key: "destination.type", Kind: Length, Min: 1, Max: 32, Why: "duckdb, postgres or filesystem"},
	{Key: "destination.path", Kind: Length, Min: 1, Max: 4096, Why: "the DuckDB file or the Parquet folder; 4096 is Linux's longest path"},
	{Key: "destination.url", Kind: Length, Min: 1, Max: 2048, Why: "postgres://USER@HOST:PORT/DATABASE and its parameters, never a password"},
	{Key: "destination.read_memory_mb", Kind: Number, Min: 64, Max: 65_536, Unit: "MB",
		Why: "the memory one query may use in this process (DuckDB and Parquet files; 256 when absent), past which it stops with an error; PostgreSQL's queries use the server's"},
	{Key: "destination.bucket_url", Kind: Length, Min: 1, Max: 2048, Why: "s3://bucket/prefix, gs://bucket/prefix, az://container/prefix or a local folder"},
	{Key: "destination.endpoint_url", Kind: Length, Min: 1, Max: 2048, Why: "an S3-compatible store's endpoint, a GCS emulator's or an Azure account's"},
	{Key: "destination.region", Kind: Length, Min: 1, Max: 64, Why: "the S3 bucket's region"},
	{Key: "destination.account_name", Kind: Length, Min: 3, Max: 24, Why: "the Azure storage account, 3 to 24 letters and digits"},
	{Key: "destination.aws_access_key_id", Kind: Length, Min: 16, Max: 128, Why: "a static S3 key's id; its secret is kept in the OS keyring, never here"},
	{Key: "destination.cache_max_mb", Kind: Number, Min: 16, Max: 16 << 20, Unit: "MB",
		Why: "the local copy of a bucket dataset's committed files, which queries read (10,240 when absent); a dataset past it is refused with an error, not cut"},
	{Key: "source.base_url", Kind: Length, Max: 2048, Why: "the API, a region or a workspace's domain"},
	{Key: "source.rate_limit", Kind: Number, Min: 1, Max: 60_000, Unit: "requests a minute", Zero: "no pacing",
		Why: "for the whole run; Secoda documents about 30 a minute, and 60,000 is 1,000 a second"},
	{Key: "source.concurrency", Kind: Number, Min: 1, Max: 32, Unit: "resources",
		Why: "resources read at once; they share one rate limit, so more would only wait"},
	{Key: "source.detail_concurrency", Kind: Number, Min: 1, Max: 64, Unit: "requests",
		Why: "resource_detail requests at once; they share the rate limit, so more would only wait, each holding memory"},
	{Key: "source.catalog_cap", Kind: Number, Min: 10, Max: 1_000_000, Unit: "resources",
		Why: "the most one catalog query returns, " + formatNumber(partition.DefaultCap) + " as documented; a lower cap splits the catalog into more queries"},
	LimitResources,
	{Key: "resources.<table>", Kind: Length, Min: 1, Max: 120,
		Why: "the table's name, and its child tables' prefix; PostgreSQL takes 63 bytes"},
	{Key: "resources.<table>.endpoint", Kind: Length, Min: 1, Max: 120, Why: "an endpoint of the catalog"},
	{Key: "resources.<table>.write_disposition", Kind: Length, Min: 1, Max: 32, Why: "append, replace or merge"},
	{Key: "resources.<table>.primary_key", Kind: Length, Min: 1, Max: 255, Why: "a field of the records"},
	{Key: "resources.<table>.incremental", Kind: Length, Max: 255, Why: "a field of the records, or \"\" for none"},
	{Key: "resources.<table>.filter", Kind: Length, Max: 16 << 10,
		Why: "as JSON, sent in every page's URL; nested at most " + strconv.Itoa(maxFilterDepth) + " deep"},
	{Key: "resources.<table>.sort", Kind: Length, Max: 4 << 10, Why: "as JSON; at most " + strconv.Itoa(maxTieBreakers) + " tie breakers"},
	{Key: "resources.<table>.params", Kind: Count, Max: 32, Unit: "parameters", Why: "the endpoint's own query parameters"},
	{Key: "resources.<table>.params.<name>", Kind: Length, Max: 1024, Why: "a parameter's value, sent in every page's URL"},
	{Key: "resources.<table>.page_cap", Kind: Number, Min: 1, Max: 1_000_000, Unit: "pages",
		Zero: "the default, " + formatNumber(secoda.DefaultPageCap) + " pages",
		Why:  "stops a runaway pagination with an error; a million pages are tens of millions of records"},
	{Key: "resources.<table>.schema_contract", Kind: Length, Min: 1, Max: 32, Why: "each mode: evolve, freeze, discard_row or discard_value"},
	{Key: "resources.<table>.max_table_nesting", Kind: Number, Min: 0, Max: normalize.DefaultMaxNesting, Unit: "levels",
		Why: "how deep nested lists become child tables; the default, as dlt has it"},
	{Key: "notify.format", Kind: Length, Min: 1, Max: 16, Why: "slack or json"},
	{Key: "notify.on", Kind: Count, Min: 1, Max: 3, Unit: "events", Why: "failure, incomplete, recovery"},
	{Key: "notify.timeout_seconds", Kind: Number, Min: 1, Max: 120, Unit: "seconds",
		Why: "each attempt to send (10 when absent); a run waits at most this for each attempt, never failing for it"},
	{Key: "notify.retries", Kind: Number, Min: 0, Max: 10, Unit: "retries",
		Why: "the attempts after the first, with back-off (3 when absent)"},
	LimitMaxPages,
	LimitQueryRows,
}

// limitsByKey finds a Limit by its Key.
var limitsByKey = func() map[string]Limit {
	m := make(map[string]Limit, len(Limits))
	for _, l := range Limits {
		m[l.Key] = l
	}
	return m
}()

// limitAt is the Limit of the setting at path, if it has one: a table's name and a
// parameter's name are read as <table> and <name>.
func limitAt(path tomlPath) (Limit, bool) {
	parts := append([]string(nil), path...)
	if len(parts) >= 2 && parts[0] == "resources" {
		parts[1] = "<table>"
		switch {
		case len(parts) >= 4 && parts[2] == "params":
			parts = append(parts[:3], "<name>")
		case len(parts) >= 4:
			parts = parts[:3] // inside a filter, sort or schema_contract table
		}
	}
	l, ok := limitsByKey[strings.Join(parts, ".")]
	return l, ok
}

// Allows reports whether a Number's value is in range.
func (l Limit) Allows(v float64) bool {
	return v == 0 && l.Zero != "" || v >= l.Min && v <= l.Max
}

// Range writes the range for people: "1 to 32", "0 (no pacing) or 1 to 60,000
// requests a minute", "at most 120 bytes".
func (l Limit) Range() string {
	unit := ""
	if l.Unit != "" {
		unit = " " + l.Unit
	}
	switch l.Kind {
	case Length:
		return "at most " + formatBytes(l.Max)
	case Count:
		return "at most " + formatNumber(l.Max) + unit
	}
	r := formatNumber(l.Min) + " to " + formatNumber(l.Max) + unit
	if l.Zero != "" {
		r = "0 (" + l.Zero + ") or " + r
	}
	return r
}

// CheckNumber says what is wrong with an option's value, or nil; name is how the
// caller takes it (--max-pages, max_pages).
func (l Limit) CheckNumber(name string, v int) error {
	if l.Allows(float64(v)) {
		return nil
	}
	return fmt.Errorf("%s must be %s, got %d (%s): give one in that range", name, l.Range(), v, l.Why)
}

// numberProblem says what is wrong with a setting's number, or "".
func (l Limit) numberProblem(v float64) string {
	if l.Allows(v) {
		return ""
	}
	return fmt.Sprintf("must be %s, got %s (%s)", l.Range(), strconv.FormatFloat(v, 'f', -1, 64), l.Why)
}

// lengthProblem says what is wrong with a string's length, or "": never the string.
func (l Limit) lengthProblem(s string) string {
	if float64(len(s)) <= l.Max {
		return ""
	}
	return fmt.Sprintf("is %s long, and takes %s (%s): shorten it", formatBytes(float64(len(s))), l.Range(), l.Why)
}

// countProblem says what is wrong with how many entries a table holds, or "".
func (l Limit) countProblem(n int) string {
	if float64(n) <= l.Max {
		return ""
	}
	return fmt.Sprintf("has %s %s, and takes %s (%s)", formatNumber(float64(n)), l.Unit, l.Range(), l.Why)
}

// formatNumber writes a whole number with thousands separators (1,000,000), others as
// they are.
func formatNumber(v float64) string {
	if v != math.Trunc(v) || math.Abs(v) >= 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	s := strconv.FormatInt(int64(math.Abs(v)), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if v < 0 {
		s = "-" + s
	}
	return s
}

// formatBytes writes a length: 1 MiB for whole mebibytes, else 16,384 bytes.
func formatBytes(v float64) string {
	const mib = 1 << 20
	if v >= mib && math.Mod(v, mib) == 0 {
		return formatNumber(v/mib) + " MiB"
	}
	if v == 1 {
		return "1 byte"
	}
	return formatNumber(v) + " bytes"
}

// LimitsMarkdown is the README's table of the limits.
func LimitsMarkdown() string {
	var b strings.Builder
	b.WriteString("| setting | range | what it is |\n|---|---|---|\n")
	for _, l := range Limits {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", strings.ReplaceAll(l.Key, ", ", "`, `"), l.Range(), l.Why)
	}
	return b.String()
}

// shortText cuts s, a name from the file or a caller, to what a message repeats.
func shortText(s string) string {
	const max = 128
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
