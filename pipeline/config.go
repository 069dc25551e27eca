package pipeline

import (
	"net/url"
	"path/filepath"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/notify"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/postgres"
	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// ConfigFileName is the pipeline config in a project folder.
const ConfigFileName = "secoda_pipeline.toml"

// The seed's names, which dlt's Secoda pipeline uses too.
const (
	DefaultPipelineName = "secoda_pipeline"
	DefaultDatasetName  = "secoda_data"
	DefaultDuckDBPath   = "secoda.duckdb"
	DefaultDestination  = "duckdb"
	// DefaultPostgresURL is what scaffold writes when it is given no database.
	DefaultPostgresURL = "postgres://loader@localhost:5432/analytics"
	// DefaultFilesystemPath is the filesystem destination's root folder; the dataset
	// is a folder in it.
	DefaultFilesystemPath = "data"
	// EnvDestinationPassword holds the destination's password (PostgreSQL) when it is
	// not in the OS keyring; the config never holds it.
	EnvDestinationPassword = secrets.EnvDestinationPassword
	// DefaultConcurrency is how many resources are read at once, sharing one rate limit.
	DefaultConcurrency = 4
	// DefaultDetailConcurrency is how many resource_detail requests run at once.
	DefaultDetailConcurrency = 4
)

// Config is secoda_pipeline.toml as written. It never holds a secret: the API key comes
// from the OS keyring or SECODA_API_KEY, never from this file.
type Config struct {
	Pipeline    PipelineSection           `toml:"pipeline"`
	Destination DestinationSection        `toml:"destination"`
	Source      SourceSection             `toml:"source"`
	Resources   map[string]ResourceConfig `toml:"resources"`
	Notify      NotifySection             `toml:"notify"`
}

// NotifySection says when and how a run's outcome is sent to a webhook. The webhook's
// URL is a secret, kept in the OS keyring (`secrets set --notify`) or SECODA_NOTIFY_URL.
type NotifySection struct {
	// Format is slack (an incoming webhook's text) or json.
	Format string `toml:"format"`
	// On lists the events that send a message: failure, incomplete, recovery; absent
	// means failure and incomplete.
	On []string `toml:"on"`
	// TimeoutSeconds bounds each attempt to send.
	TimeoutSeconds int `toml:"timeout_seconds"`
	// Retries are the attempts after the first, with back-off.
	Retries *int `toml:"retries"`
}

// PipelineSection names the pipeline and the dataset it loads.
type PipelineSection struct {
	Name        string `toml:"name"`
	DatasetName string `toml:"dataset_name"`
	// SchemaName is the schema's name in _dlt_version, and the source's in the state:
	// dlt's source name, secoda_source unless the dlt pipeline this one continues
	// named its source otherwise.
	SchemaName string `toml:"schema_name"`
}

// DestinationSection says where the data goes.
type DestinationSection struct {
	Type string `toml:"type"` // duckdb, postgres or filesystem
	// Path is the DuckDB file (duckdb) or the root folder (filesystem), relative to the
	// config file.
	Path string `toml:"path"`
	// URL is the PostgreSQL database (postgres): postgres://USER@HOST:PORT/DATABASE,
	// never with a password.
	URL string `toml:"url"`
	// ReadMemoryMB bounds one query's memory in this process (duckdb, filesystem), in
	// MB; absent means 256. PostgreSQL's queries use the server's memory.
	ReadMemoryMB int `toml:"read_memory_mb"`
	// BucketURL is where the filesystem destination keeps its files, as dlt names it:
	// s3://bucket/prefix, gs://bucket/prefix, az://container/prefix, or a local folder
	// (also as file://), which is the same as path.
	BucketURL string `toml:"bucket_url"`
	// EndpointURL is an S3-compatible store's endpoint (MinIO, R2, SeaweedFS, Ceph), a
	// GCS emulator's, or an Azure account's blob endpoint.
	EndpointURL string `toml:"endpoint_url"`
	// Region is the S3 bucket's region.
	Region string `toml:"region"`
	// AccountName is the Azure storage account.
	AccountName string `toml:"account_name"`
	// AWSAccessKeyID is a static S3 key's id, whose secret is kept in the OS keyring
	// (`secrets set --destination`) or SECODA_DESTINATION_PASSWORD; absent means the AWS
	// credential chain.
	AWSAccessKeyID string `toml:"aws_access_key_id"`
	// CacheMaxMB bounds the local copy of a bucket dataset's committed files, which
	// queries read, in MB; absent means 10,240.
	CacheMaxMB int `toml:"cache_max_mb"`
}

// SourceSection says how to reach Secoda.
type SourceSection struct {
	// BaseURL is the API, a region (us, eu, apac) or a workspace's own domain;
	// SECODA_API_URL wins over it.
	BaseURL string `toml:"base_url"`
	// RateLimit is requests per minute for the whole run; absent means
	// secoda.DefaultRequestsPerMinute, 0 means no pacing.
	RateLimit *float64 `toml:"rate_limit"`
	// Concurrency is how many resources are read at once.
	Concurrency int `toml:"concurrency"`
	// DetailConcurrency is how many resource_detail requests run at once.
	DetailConcurrency int `toml:"detail_concurrency"`
	// CatalogCap is the most resources Secoda returns for one catalog query; absent
	// means the documented 10,000. Lower it only for a deployment that caps lower
	// (a run also finds that out when a query's parts add up to more than it).
	CatalogCap int `toml:"catalog_cap"`
}

// ResourceConfig is one [resources.<table>] section: the table <table> loaded from an
// endpoint of the catalog. Unset fields take the endpoint's defaults.
type ResourceConfig struct {
	// Endpoint names the catalog entry; absent means the table's own name.
	Endpoint string `toml:"endpoint"`
	// WriteDisposition is append, replace or merge.
	WriteDisposition string `toml:"write_disposition"`
	// PrimaryKey is the field merge matches on.
	PrimaryKey string `toml:"primary_key"`
	// Incremental is the cursor field; absent means the endpoint's cursor, "" none.
	Incremental *string `toml:"incremental"`
	// Filter and Sort are the catalog's JSON filter and sort, as a TOML table or a
	// JSON string; only endpoints that take them accept them.
	Filter any `toml:"filter"`
	Sort   any `toml:"sort"`
	// Params are other query parameters the endpoint filters on.
	Params map[string]string `toml:"params"`
	// PageCap stops a runaway pagination with an error; 0 means secoda.DefaultPageCap.
	PageCap int `toml:"page_cap"`
	// SchemaContract is a mode for all of tables, columns and data_type, or a table
	// naming each: { tables = "evolve", columns = "freeze", data_type = "discard_value" }.
	SchemaContract any `toml:"schema_contract"`
	// MaxTableNesting is how deep nested lists become child tables; deeper values are
	// kept as json. Absent means 1000, as dlt has it.
	MaxTableNesting *int `toml:"max_table_nesting"`
}

// Plan is a validated config with every default filled in: what a run does.
type Plan struct {
	// File is the config file's absolute path; Dir its folder, against which the
	// destination path is resolved.
	File, Dir       string
	PipelineName    string
	DatasetName     string
	SchemaName      string // dlt's schema and source name
	DestinationType string
	DestinationPath string // absolute: the DuckDB file, or the filesystem root
	DestinationURL  string // postgres: the database, without a password
	ReadMemory      int64  // bytes one query may use in this process (duckdb, filesystem)
	// Bucket is the filesystem destination's object store (its Secret unset), when
	// bucket_url names one; Bucket.Location.Scheme is "" for a local folder.
	Bucket bucket.Config
	// CacheMax bounds the local copy of a bucket dataset, in bytes.
	CacheMax          int64
	BaseURL           string // from the file, before SECODA_API_URL is applied
	RequestsPerMinute float64
	Concurrency       int
	DetailConcurrency int
	CatalogCap        int // the most resources one catalog query returns
	// Resources in the order the file lists them.
	Resources []Resource
	// Notify is the [notify] section; nil when there is none.
	Notify *notify.Config
}

// Resource is one resource of a plan.
type Resource struct {
	Name        string // the root table
	Endpoint    secoda.Endpoint
	Disposition secoda.Disposition
	PrimaryKey  string
	Cursor      string // "" for none
	Filter      string // JSON, "" for none
	Sort        string // JSON, "" for the endpoint's default
	Params      url.Values
	PageCap     int
	Contract    normalize.Contract
	MaxNesting  int
}

// MaxIdentifierLength is how long the destination lets a name be (0: no limit);
// dlt's names are shortened to it.
func (p *Plan) MaxIdentifierLength() int {
	if p.DestinationType == dest.Postgres {
		return postgres.MaxIdentifierLength
	}
	return 0
}

// Destination names the destination for people: duckdb:secoda.duckdb,
// postgres:postgres://loader@host:5432/analytics, filesystem:data (paths relative to
// dir where they are inside it).
func (p *Plan) Destination(dir string) string {
	if p.DestinationType == dest.Postgres || p.IsBucket() {
		return p.DestinationType + ":" + p.DestinationLocation()
	}
	path := p.DestinationPath
	if rel, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		path = rel
	}
	return p.DestinationType + ":" + path
}

// DestinationLocation is where the data goes, without a password: the database URL
// (postgres://USER@HOST:PORT/DATABASE), the bucket URL (s3://bucket/prefix), or the
// DuckDB file or filesystem root.
func (p *Plan) DestinationLocation() string {
	if p.DestinationType == dest.Postgres {
		return postgres.New(p.DestinationURL, "", p.DatasetName).Location()
	}
	if p.IsBucket() {
		return p.Bucket.Location.String()
	}
	return p.DestinationPath
}

// IsBucket says the destination is an object store (filesystem with an s3://, gs:// or
// az:// bucket_url).
func (p *Plan) IsBucket() bool {
	return p.DestinationType == dest.Filesystem && p.Bucket.Location.Scheme != "" && p.Bucket.Location.IsRemote()
}

// DefaultCacheMaxMB bounds the local copy of a bucket dataset when cache_max_mb is absent.
const DefaultCacheMaxMB = 10 << 10

// Resource finds a resource of the plan by name.
func (p *Plan) Resource(name string) (Resource, bool) {
	for _, r := range p.Resources {
		if r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}
