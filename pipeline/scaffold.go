package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/pipeline/filesystem/bucket"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
	"github.com/secoda-workbench/secoda-workbench/pipeline/partition"
	"github.com/secoda-workbench/secoda-workbench/pipeline/postgres"
	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// ScaffoldOptions say what secoda_pipeline.toml Scaffold writes. Zero values take the
// defaults: secoda.DefaultResources, duckdb, DefaultDatasetName, DefaultPipelineName
// and secoda.DefaultBaseURL.
type ScaffoldOptions struct {
	// Resources are endpoint names; each becomes [resources.<name>]. Blank names and
	// repeats are dropped.
	Resources []string
	// Destination is duckdb, postgres or filesystem; DestinationURL is postgres's
	// database (without a password; DefaultPostgresURL when empty).
	Destination    string
	DestinationURL string
	// BucketURL is filesystem's bucket_url: s3://bucket/prefix, gs://bucket/prefix,
	// az://container/prefix or a local folder; "" writes path = "data".
	BucketURL    string
	DatasetName  string
	PipelineName string
	// BaseURL is anything secoda.NormalizeBaseURL takes; the file holds its normal form.
	BaseURL string
	// RateLimit is requests per minute; nil writes secoda.DefaultRequestsPerMinute, 0
	// no pacing (the demo's simulator needs none).
	RateLimit *float64
}

// commentWidth is where comment paragraphs wrap.
const commentWidth = 88

// Scaffold returns the text of a commented secoda_pipeline.toml for opts, written from
// the endpoint catalog: each resource's disposition, key and cursor are the
// endpoint's, and its filters are offered as comments. The text parses back, with
// ParseConfig, into the plan the options describe.
func Scaffold(opts ScaffoldOptions) (string, error) {
	var problems []error
	// tooLong checks an option against its setting's Limit first: a value too long is
	// not looked at, nor repeated, further.
	tooLong := func(what, key, s string) bool {
		if msg := limitsByKey[key].lengthProblem(s); msg != "" {
			problems = append(problems, fmt.Errorf("%s %s", what, msg))
			return true
		}
		return false
	}
	resources, err := scaffoldResources(opts.Resources)
	if err != nil {
		problems = append(problems, err)
	}
	destination := cmp.Or(opts.Destination, DefaultDestination)
	if tooLong("destination", "destination.type", destination) {
		destination = DefaultDestination
	} else if msg := destinationProblem(destination); msg != "" {
		problems = append(problems, errors.New("destination: "+msg))
	}
	destinationURL := cmp.Or(opts.DestinationURL, DefaultPostgresURL)
	if opts.DestinationURL != "" && destination != dest.Postgres {
		problems = append(problems, errors.New("a destination URL is for postgres"))
	} else if destination == dest.Postgres && !tooLong("destination URL", "destination.url", destinationURL) {
		if err := postgres.CheckURL(destinationURL); err != nil {
			problems = append(problems, fmt.Errorf("destination URL: %w", err))
		}
	}
	if opts.BucketURL != "" {
		if destination != dest.Filesystem {
			problems = append(problems, errors.New("a bucket URL is for the filesystem destination (--destination filesystem)"))
		} else if !tooLong("bucket URL", "destination.bucket_url", opts.BucketURL) {
			if _, err := bucket.ParseURL(opts.BucketURL); err != nil {
				problems = append(problems, fmt.Errorf("bucket URL %w", err))
			}
		}
	}
	pipelineName := cmp.Or(opts.PipelineName, DefaultPipelineName)
	if !tooLong("pipeline name", "pipeline.name", pipelineName) {
		if msg := identifierProblem(pipelineName); msg != "" {
			problems = append(problems, errors.New("pipeline name: "+msg))
		}
	}
	datasetName := cmp.Or(opts.DatasetName, DefaultDatasetName)
	if !tooLong("dataset name", "pipeline.dataset_name", datasetName) {
		if msg := identifierProblem(datasetName); msg != "" {
			problems = append(problems, errors.New("dataset name: "+msg))
		} else if destination == dest.Postgres && len(datasetName) > postgres.MaxIdentifierLength {
			problems = append(problems, fmt.Errorf("dataset name: PostgreSQL names are at most %d bytes: shorten it", postgres.MaxIdentifierLength))
		}
	}
	baseURL := ""
	if !tooLong("base URL", "source.base_url", opts.BaseURL) {
		if baseURL, err = secoda.NormalizeBaseURL(opts.BaseURL); err != nil {
			problems = append(problems, err)
		}
	}
	if opts.RateLimit != nil {
		if msg := limitsByKey["source.rate_limit"].numberProblem(*opts.RateLimit); msg != "" {
			problems = append(problems, errors.New("rate limit "+msg))
		}
	}
	if len(problems) > 0 {
		return "", errors.Join(problems...)
	}
	return scaffoldText(opts, resources, destination, destinationURL, pipelineName, datasetName, baseURL), nil
}

// scaffoldText writes the config of Scaffold's checked options.
func scaffoldText(opts ScaffoldOptions, resources []secoda.Endpoint, destination, destinationURL, pipelineName, datasetName, baseURL string) string {
	var b strings.Builder
	writeComment(&b, ConfigFileName+": the secoda-workbench pipeline, which loads a Secoda workspace into "+
		"a database with dlt's table layout. `secoda-workbench scaffold` wrote it from the endpoint catalog "+
		"(`secoda-workbench endpoints` lists it); edit it, commit it, check it with `secoda-workbench validate` "+
		"and load with `secoda-workbench run`.")
	b.WriteString("#\n")
	writeComment(&b, "It holds no secret and must never hold one: the API key lives in the OS keyring "+
		"(`secoda-workbench secrets set`) or in the "+secoda.EnvAPIKey+" environment variable.")

	b.WriteString("\n[pipeline]\n")
	writeComment(&b, "The pipeline's name, and the dataset (the schema) its tables load into.")
	writeKeyValue(&b, "name", tomlString(pipelineName))
	writeKeyValue(&b, "dataset_name", tomlString(datasetName))

	b.WriteString("\n[destination]\n")
	writeComment(&b, "duckdb (one file, here), postgres (a database server) or filesystem (Parquet files "+
		"that Spark, Trino, Athena or BigQuery read).")
	writeKeyValue(&b, "type", tomlString(destination))
	switch destination {
	case dest.Postgres:
		writeComment(&b, "The database: postgres://USER@HOST:PORT/DATABASE (add ?sslmode=require for a server on another "+
			"machine). Never the password: `secoda-workbench secrets set --destination` keeps it in the OS keyring, or set "+
			EnvDestinationPassword+". The dataset is a schema in it.")
		writeKeyValue(&b, "url", tomlString(destinationURL))
	case dest.Filesystem:
		if opts.BucketURL != "" {
			writeBucket(&b, opts.BucketURL)
			break
		}
		writeComment(&b, "The folder the Parquet files go in, relative to this file: "+
			"<path>/<dataset>/<table>/<load_id>.parquet, with dlt's _dlt_loads beside the tables. "+
			"For a bucket, write bucket_url = \"s3://bucket/prefix\" (or gs://, az://) instead.")
		writeKeyValue(&b, "path", tomlString(DefaultFilesystemPath))
	default:
		writeComment(&b, "The DuckDB file, relative to this file.")
		writeKeyValue(&b, "path", tomlString(DefaultDuckDBPath))
	}

	b.WriteString("\n[source]\n")
	writeComment(&b, "Secoda's API, "+secoda.DefaultBaseURL+" for app.secoda.co. A region ("+
		strings.Join(regionNames(), ", ")+"), the host in your browser (eu.secoda.co) or your "+
		"workspace's own domain work too. "+secoda.EnvAPIURL+", when set, wins over it.")
	writeKeyValue(&b, "base_url", tomlString(baseURL))
	writeComment(&b, "Requests a minute for the whole run, all resources together. Secoda documents 30 calls "+
		"a minute for writes and \"similar\" for reads; after a 429 the pace drops and then climbs back. "+
		"0 turns pacing off.")
	rate := float64(secoda.DefaultRequestsPerMinute)
	if opts.RateLimit != nil {
		rate = *opts.RateLimit
	}
	writeKeyValue(&b, "rate_limit", strconv.FormatFloat(rate, 'f', -1, 64))
	writeComment(&b, "How many resources are read at once (sharing the rate limit), and how many "+
		"resource_detail requests run at once:")
	writeExample(&b, "concurrency", strconv.Itoa(DefaultConcurrency))
	writeExample(&b, "detail_concurrency", strconv.Itoa(DefaultDetailConcurrency))
	writeComment(&b, "The most resources Secoda returns for one catalog query, as documented. A run splits "+
		"bigger queries into partitions under it by itself; lower it only for a deployment that caps lower.")
	writeExample(&b, "catalog_cap", strconv.Itoa(partition.DefaultCap))

	b.WriteString("\n")
	writeResourceKeysHelp(&b)
	for _, e := range resources {
		b.WriteString("\n")
		writeResource(&b, e)
	}
	return b.String()
}

// writeBucket writes the filesystem destination's bucket_url and, as comments, the keys
// its store takes. The URL was checked.
func writeBucket(b *strings.Builder, raw string) {
	loc, _ := bucket.ParseURL(raw)
	writeComment(b, "Where the Parquet files go: <bucket_url>/<dataset>/<table>/<load_id>.parquet, with dlt's "+
		"_dlt_loads beside the tables (a load's _dlt_loads file, written last, commits it; readers should keep to "+
		"the loads it lists). Credentials never go here: see the README's \"Buckets\".")
	writeKeyValue(b, "bucket_url", tomlString(raw))
	switch loc.Scheme {
	case bucket.S3:
		writeComment(b, "The AWS credential chain (environment, profile, web identity, instance role) finds the key; "+
			"or name a static key's id here and keep its secret with `secoda-workbench secrets set --destination`.")
		writeExample(b, "aws_access_key_id", tomlString("AKIA..."))
		writeComment(b, "The bucket's region, and an S3-compatible store's endpoint (MinIO, R2, SeaweedFS, Ceph):")
		writeExample(b, "region", tomlString("us-east-1"))
		writeExample(b, "endpoint_url", tomlString("https://s3.example.com"))
	case bucket.GCS:
		writeComment(b, "Google application default credentials reach it (`gcloud auth application-default login`, "+
			"GOOGLE_APPLICATION_CREDENTIALS, or an attached service account).")
	case bucket.Azure:
		writeComment(b, "The storage account; its key is kept with `secoda-workbench secrets set --destination`, or "+
			"DefaultAzureCredential (`az login`, a managed identity) reaches it. AZURE_STORAGE_CONNECTION_STRING, "+
			"when set and no account key is kept, names the account itself.")
		writeExample(b, "account_name", tomlString("mystorageaccount"))
	}
	if loc.IsRemote() {
		writeComment(b, "Queries read a local copy of the committed files, in .secoda-workbench/cache, at most this many MB:")
		writeExample(b, "cache_max_mb", strconv.Itoa(DefaultCacheMaxMB))
	}
}

// scaffoldResources looks up the endpoints the options name.
func scaffoldResources(names []string) ([]secoda.Endpoint, error) {
	var out []secoda.Endpoint
	var problems []error
	if len(names) > int(LimitResources.Max) {
		return nil, fmt.Errorf("%d resources: a config takes %s", len(names), LimitResources.Range())
	}
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		e, ok := secoda.LookupEndpoint(n)
		if !ok {
			msg := "unknown resource " + tomlString(shortText(n))
			if s := didYouMean(n, secoda.EndpointNames()); s != "" {
				msg += ": " + s
			}
			problems = append(problems, errors.New(msg+"; `secoda-workbench endpoints` lists them"))
			continue
		}
		out = append(out, e)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if len(out) == 0 {
		for _, n := range secoda.DefaultResources {
			e, _ := secoda.LookupEndpoint(n)
			out = append(out, e)
		}
	}
	return out, nil
}

func writeKeyValue(b *strings.Builder, key, value string) {
	b.WriteString(key + " = " + value + "\n")
}

// writeExample writes a key as a comment: what uncommenting it would set.
func writeExample(b *strings.Builder, key, value string) {
	b.WriteString("# " + key + " = " + value + "\n")
}

// writeComment writes text as # lines wrapped at commentWidth.
func writeComment(b *strings.Builder, text string) {
	line := "#"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > commentWidth && line != "#" {
			b.WriteString(line + "\n")
			line = "#"
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
}

func regionNames() []string {
	names := make([]string, len(secoda.Regions))
	for i, r := range secoda.Regions {
		names[i] = r.Name
	}
	return names
}

// writeResourceKeysHelp explains the keys of a resource once, before the resources.
func writeResourceKeysHelp(b *strings.Builder) {
	writeComment(b, "Each [resources.<table>] loads one endpoint of the catalog into the table <table>, "+
		"the endpoint of the same name unless endpoint = \"...\" names another. Its keys:")
	rows := []struct{ key, text, writeExample string }{
		{"write_disposition", "merge (delete-insert on primary_key: running twice never duplicates a row), append or replace", ""},
		{"primary_key", "the field merge matches on", ""},
		{"incremental", "the cursor field: a run reads what changed since the last one; \"\" reads everything every run", ""},
		{"filter, sort", "the catalog's JSON filter and sort, taken only by " + strings.Join(catalogQueryEndpoints(), ", ") +
			", as a TOML table or a string holding JSON", ""},
		{"params", "the endpoint's other query parameters, as strings", ""},
		{"page_cap", "stop with an error after this many pages (default " + strconv.Itoa(secoda.DefaultPageCap) + ")", ""},
		{"schema_contract", "evolve, freeze, discard_row or discard_value: what new tables, new columns and values " +
			"of another type do; one mode for all three, or a table naming each:",
			`{ tables = "evolve", columns = "freeze", data_type = "evolve" }`},
		{"max_table_nesting", "lists nested deeper than this stay json columns instead of child tables (default " +
			strconv.Itoa(normalize.DefaultMaxNesting) + ")", ""},
	}
	const indent = "#   "
	const keyWidth = len("max_table_nesting") + 2
	hanging := "#" + strings.Repeat(" ", len(indent)-1+keyWidth)
	for _, r := range rows {
		line := indent + r.key + strings.Repeat(" ", keyWidth-len(r.key))
		start := len(line)
		for _, w := range strings.Fields(r.text) {
			if len(line)+1+len(w) > commentWidth && len(line) > start {
				b.WriteString(strings.TrimRight(line, " ") + "\n")
				line = hanging
			} else if len(line) > start {
				line += " "
			}
			line += w
		}
		b.WriteString(line + "\n")
		if r.writeExample != "" {
			b.WriteString(hanging + r.writeExample + "\n")
		}
	}
}

// writeResource writes [resources.<name>] for an endpoint with its defaults, and its
// other keys as comments.
func writeResource(b *strings.Builder, e secoda.Endpoint) {
	desc := e.Description
	if !strings.HasSuffix(desc, ".") {
		desc += "."
	}
	writeComment(b, desc)
	switch {
	case e.Parent != "":
		writeComment(b, "GET "+e.Path+", source.detail_concurrency requests at once")
	default:
		writeComment(b, "GET "+e.Path)
	}
	if e.Deprecated {
		writeComment(b, "Secoda's docs mark this list deprecated and point to resource_catalog.")
	}
	b.WriteString("[resources." + e.Name + "]\n")
	writeKeyValue(b, "write_disposition", tomlString(string(e.Disposition)))
	writeKeyValue(b, "primary_key", tomlString(e.PrimaryKey))
	if e.Cursor != "" {
		writeKeyValue(b, "incremental", tomlString(e.Cursor))
	} else {
		writeComment(b, "No incremental cursor: "+e.Name+" records carry no modification time, so every run reads them all.")
	}
	if e.CatalogQuery {
		writeExample(b, "filter", `{ operator = "exact", field = "type", value = "table" }`)
		writeExample(b, "sort", `{ field = "updated_at", order = "desc" }`)
	}
	if len(e.Params) > 0 {
		parts := make([]string, len(e.Params))
		for i, p := range e.Params {
			parts[i] = p + ` = "..."`
		}
		writeExample(b, "params", "{ "+strings.Join(parts, ", ")+" }")
	}
	if e.Paginated {
		writeExample(b, "page_cap", strconv.Itoa(secoda.DefaultPageCap))
	}
	writeExample(b, "schema_contract", tomlString(string(normalize.Evolve)))
	writeExample(b, "max_table_nesting", strconv.Itoa(normalize.DefaultMaxNesting))
}
