package tools

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// ValidateConfigIn is validate_config's input.
type ValidateConfigIn struct {
	CheckConnection bool `json:"check_connection,omitempty" jsonschema:"also read one page of the first resource from Secoda with the key (default false)"`
}

// ConfigResource is one resource of secoda_pipeline.toml, its defaults filled in.
type ConfigResource struct {
	Name        string `json:"name" jsonschema:"the resource, and its root table"`
	Endpoint    string `json:"endpoint" jsonschema:"the endpoint of the catalog it reads"`
	Path        string `json:"path" jsonschema:"the API path it reads"`
	Disposition string `json:"write_disposition"`
	PrimaryKey  string `json:"primary_key,omitempty"`
	Cursor      string `json:"incremental_cursor,omitempty" jsonschema:"the field incremental loading keys on; empty for a full load each run"`
}

// ConfigProblem is one problem of secoda_pipeline.toml and where it is.
type ConfigProblem struct {
	Line    int    `json:"line" jsonschema:"1-based; 0 when the problem is about the whole file"`
	Column  int    `json:"column" jsonschema:"1-based, in bytes; 0 when unknown"`
	Key     string `json:"key,omitempty" jsonschema:"the dotted key, e.g. resources.document.page_cap"`
	Message string `json:"message" jsonschema:"what is wrong and how to fix it"`
}

// ConnectionCheck is the page read with the key.
type ConnectionCheck struct {
	Host      string `json:"host"`
	Path      string `json:"path" jsonschema:"the endpoint read"`
	Records   int    `json:"records" jsonschema:"records on its first page"`
	Count     int    `json:"count" jsonschema:"records in all, as the server says; -1 when it does not"`
	LatencyMS int64  `json:"latency_ms"`
}

// ValidateConfigOut is validate_config's result. An invalid file is an error result
// that carries this too, with valid false and the problems.
type ValidateConfigOut struct {
	Valid       bool             `json:"valid"`
	Config      string           `json:"config" jsonschema:"the file, relative to the project folder"`
	Pipeline    string           `json:"pipeline_name,omitempty"`
	Dataset     string           `json:"dataset_name,omitempty"`
	Destination string           `json:"destination,omitempty" jsonschema:"type:path of the dataset's database"`
	Resources   []ConfigResource `json:"resources"`
	Problems    []ConfigProblem  `json:"problems,omitempty" jsonschema:"each problem with its line and column, when the file is invalid"`
	Connection  *ConnectionCheck `json:"connection,omitempty" jsonschema:"the page read with the key, when check_connection is true"`
	Next        string           `json:"next"`
}

// ValidateConfig checks secoda_pipeline.toml and, when asked, the key against Secoda.
func ValidateConfig(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: yes()}
	return Tool{
		Hints: h,
		Def: define[ValidateConfigIn, ValidateConfigOut]("validate_config",
			"Check secoda_pipeline.toml: every problem with its line and column (structured, too) and the fix, or the pipeline, "+
				"dataset, destination and resources it describes. check_connection also reads one page of the first resource with the "+
				"API key, to prove key, host and network work (a rejected key: ask the user to run `secoda-workbench secrets set`).", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, in ValidateConfigIn) (ValidateConfigOut, string, error) {
			out := ValidateConfigOut{Config: pipeline.ConfigFileName, Resources: []ConfigResource{}}
			plan, err := d.plan()
			if problems := configProblems(err); problems != nil {
				out.Problems = problems
				out.Next = "Fix each problem at its line in " + pipeline.ConfigFileName + ", then call validate_config again."
				return out, "", &detailedError{err: fmt.Errorf("%s has %s:\n%s\n%s", pipeline.ConfigFileName,
					plural(len(problems), "problem"), problemLines(problems), out.Next), content: out}
			}
			if err != nil {
				return out, "", withConfigStep(err)
			}
			out.Valid = true
			out.Config = relTo(d.Dir, plan.File)
			out.Pipeline, out.Dataset = plan.PipelineName, plan.DatasetName
			out.Destination = plan.Destination(d.Dir)
			out.Resources = configResources(plan)
			var b strings.Builder
			fmt.Fprintf(&b, "%s is valid: pipeline %s, dataset %s, %s\n", out.Config, out.Pipeline, out.Dataset, out.Destination)
			for _, r := range out.Resources {
				cursor := "full load each run"
				if r.Cursor != "" {
					cursor = "incremental on " + r.Cursor
				}
				fmt.Fprintf(&b, "- %s: %s, %s, %s\n", r.Name, r.Path, r.Disposition, cursor)
			}
			if in.CheckConnection {
				check, err := checkConnection(ctx, d, plan)
				if err != nil {
					return out, "", fmt.Errorf("the config is valid, but the connection check failed: %w", err)
				}
				out.Connection = check
				fmt.Fprintf(&b, "Connected to %s: %s answered %d records in %d ms", check.Host, check.Path, check.Records, check.LatencyMS)
				if check.Count >= 0 {
					fmt.Fprintf(&b, " (%d in all)", check.Count)
				}
				b.WriteString("\n")
				out.Next = "Preview an endpoint (preview_endpoint), then run_pipeline with max_pages: 1."
			} else {
				out.Next = "Check the key with check_connection: true (or inspect_credentials), preview an endpoint (preview_endpoint), then run_pipeline with max_pages: 1."
			}
			b.WriteString("Next: " + out.Next + "\n")
			return out, b.String(), nil
		}),
	}
}

// checkConnection reads the first page of the plan's first list resource (the parent
// list, for resource_detail): a real, authenticated read.
func checkConnection(ctx context.Context, d *Deps, plan *pipeline.Plan) (*ConnectionCheck, error) {
	base, found, err := d.connect(ctx, plan.BaseURL)
	if err != nil {
		return nil, err
	}
	c, err := secoda.New(secoda.Config{BaseURL: base, APIKey: found.Key.Reveal(), RequestsPerMinute: -1, MaxAttempts: 2,
		HTTPClient: d.HTTPClient, Logger: d.Logger})
	if err != nil {
		return nil, err
	}
	ep := plan.Resources[0].Endpoint
	if ep.Parent != "" {
		ep, _ = secoda.LookupEndpoint(ep.Parent)
	}
	start := time.Now()
	for page, err := range c.Pages(ctx, secoda.PageQuery{Path: ep.Path, Selector: ep.Selector}) {
		if err != nil {
			return nil, err
		}
		return &ConnectionCheck{Host: c.Host(), Path: ep.Path, Records: len(page.Records), Count: page.Count,
			LatencyMS: time.Since(start).Milliseconds()}, nil
	}
	return nil, fmt.Errorf("%s answered no page", ep.Path)
}

// configProblems lists the problems of an invalid config, or nil when err is not one.
// A missing file is not a problem of the file: it gets the scaffold step instead.
func configProblems(err error) []ConfigProblem {
	var many pipeline.ConfigErrors
	var one *pipeline.ConfigError
	var list []*pipeline.ConfigError
	switch {
	case err == nil || errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.As(err, &many):
		list = many
	case errors.As(err, &one):
		list = []*pipeline.ConfigError{one}
	default:
		return nil
	}
	out := make([]ConfigProblem, 0, len(list))
	for _, e := range list {
		out = append(out, ConfigProblem{Line: e.Line, Column: e.Column, Key: e.Key, Message: e.Message})
	}
	return out
}

func problemLines(problems []ConfigProblem) string {
	var b strings.Builder
	for _, p := range problems {
		where := "the file"
		if p.Line > 0 {
			where = fmt.Sprintf("line %d", p.Line)
			if p.Column > 0 {
				where += fmt.Sprintf(", column %d", p.Column)
			}
		}
		fmt.Fprintf(&b, "- %s: ", where)
		if p.Key != "" {
			b.WriteString(p.Key + ": ")
		}
		b.WriteString(p.Message + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// configResources lists a plan's resources for a result.
func configResources(plan *pipeline.Plan) []ConfigResource {
	out := make([]ConfigResource, 0, len(plan.Resources))
	for _, r := range plan.Resources {
		out = append(out, ConfigResource{Name: r.Name, Endpoint: r.Endpoint.Name, Path: r.Endpoint.Path, Disposition: string(r.Disposition),
			PrimaryKey: r.PrimaryKey, Cursor: r.Cursor})
	}
	return out
}

// withConfigStep adds the agent's next step to a config error: a missing file's own
// message names the command line's step, an invalid file's lists its problems.
func withConfigStep(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w. Call scaffold_config to write one", err)
	}
	if configProblems(err) != nil {
		return fmt.Errorf("%w\nFix %s first (validate_config lists its problems)", err, pipeline.ConfigFileName)
	}
	return err
}

// planOrScaffold reads the project's config; the error of a missing or invalid one
// says what to do.
func planOrScaffold(d *Deps) (*pipeline.Plan, error) {
	plan, err := d.plan()
	if err != nil {
		return nil, withConfigStep(err)
	}
	return plan, nil
}

// relTo shows a path relative to the project folder when it is inside it.
func relTo(dir, p string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if rel, err := filepath.Rel(dir, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(rel)
	}
	return p
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// detailedError is a failed call whose result carries structured content beside the
// message: validate_config's problems, each with its line, for an agent to act on
// without parsing text.
type detailedError struct {
	err     error
	content any
}

func (e *detailedError) Error() string { return e.err.Error() }
func (e *detailedError) Unwrap() error { return e.err }
