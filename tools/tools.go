// Package tools is the MCP tools, one file each: the tool's definition (name,
// description, input and output schemas, all four annotations) with its handler. All
// lists them; the server registers that list and nothing else, the README's tool
// reference is generated from it, and __toolsnaps__ holds each schema so that a change
// is noticed.
//
// Tools call pipeline, secoda and secrets; they never see the API key's value beyond
// handing it to the client, and their results pass through the redactor.
package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
	"github.com/secoda-workbench/secoda-workbench/secrets"
)

// Deps is what the tools work with: the project folder, the environment, where keys
// are kept, and the redactor their results pass through.
type Deps struct {
	Dir        string // the project folder (the server's working folder)
	Getenv     func(string) string
	Keyring    *secrets.Keyring
	Insecure   string // the --insecure-storage file
	Redactor   *secrets.Redactor
	HTTPClient *http.Client // for tests; nil is the default
	Logger     *slog.Logger
}

// Hints are the four MCP tool annotations. Each tool states all four: mcp-go's
// defaults (destructive, open-world) would be wrong for most of them.
type Hints struct {
	ReadOnly, Destructive, Idempotent, OpenWorld *bool
}

func yes() *bool { t := true; return &t }
func no() *bool  { f := false; return &f }

// Tool is one tool: its definition, its handler, and its hints as the tool wrote them.
type Tool struct {
	Def     mcp.Tool
	Handler server.ToolHandlerFunc
	Hints   Hints
}

// Writes reports whether the tool changes anything (`serve --read-only` drops those).
func (t Tool) Writes() bool { return t.Hints.ReadOnly == nil || !*t.Hints.ReadOnly }

// All is every tool, in the order of the workflow.
func All(d *Deps) []Tool {
	return []Tool{
		ListEndpoints(d),
		InspectCredentials(d),
		ScaffoldConfig(d),
		ValidateConfig(d),
		PreviewEndpoint(d),
		RunPipeline(d),
		PipelineStatus(d),
		GetRunTrace(d),
		ListTables(d),
		GetTableSchema(d),
		PreviewTable(d),
		GetRowCounts(d),
		ExportSchema(d),
		QueryDataset(d),
		SearchCatalog(d),
		DescribeResource(d),
		GetLineage(d),
		CatalogReport(d),
	}
}

// define builds a tool's definition: mcp-go's tool with the schemas of In and Out and
// the hints set explicitly.
func define[In, Out any](name, description string, h Hints) mcp.Tool {
	return mcp.NewTool(name,
		mcp.WithDescription(description),
		mcp.WithInputSchema[In](),
		mcp.WithOutputSchema[Out](),
		mcp.WithToolAnnotation(mcp.ToolAnnotation{
			Title:           strings.ReplaceAll(name, "_", " "),
			ReadOnlyHint:    h.ReadOnly,
			DestructiveHint: h.Destructive,
			IdempotentHint:  h.Idempotent,
			OpenWorldHint:   h.OpenWorld,
		}),
	)
}

// handle binds the arguments to In and runs f. f returns the structured result and its
// short text; an error f returns becomes a result an agent can act on (isError, with
// the next step), except broken infrastructure, which is a protocol error.
func handle[In, Out any](f func(ctx context.Context, req mcp.CallToolRequest, in In) (Out, string, error)) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var in In
		if err := req.BindArguments(&in); err != nil {
			return mcp.NewToolResultError(fmt.Sprintf("the arguments do not fit this tool's input schema: %v", err)), nil
		}
		out, text, err := f(ctx, req, in)
		if err != nil {
			if infrastructure(ctx, err) {
				return nil, err
			}
			return errorResult(err), nil
		}
		b, err := json.Marshal(out)
		if err != nil {
			return nil, err
		}
		if len(b) > MaxStructured {
			// Each tool bounds its own result; this is the last line, which says so
			// rather than hand an agent more than it can hold.
			return mcp.NewToolResultError(fmt.Sprintf("the result is %d bytes, over the %d a tool returns: ask for less (fewer rows, columns or tables)",
				len(b), MaxStructured)), nil
		}
		return mcp.NewToolResultStructured(json.RawMessage(b), bound(text)), nil
	}
}

// infrastructure tells an error the agent cannot fix (the client went away, a disk
// failed) from one it can (a bad argument, no key, a refused query).
func infrastructure(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return true
	}
	var pe *fs.PathError
	return errors.As(err, &pe) && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrExist)
}

// errorResult is a failed call as the agent reads it: what went wrong and the next
// step, both already in the error's message; a detailedError adds structured content.
func errorResult(err error) *mcp.CallToolResult {
	msg := err.Error()
	var de *detailedError
	if errors.As(err, &de) {
		res := mcp.NewToolResultError(bound(msg))
		res.StructuredContent = de.content
		return res
	}
	switch {
	case errors.Is(err, dest.ErrInUse):
		msg += " Retry in a few seconds: a load holds the file only while it writes."
	case errors.Is(err, dest.ErrNoData):
		msg += " Call run_pipeline first."
	case errors.Is(err, pipeline.ErrRunning):
		msg += " Call pipeline_status to follow it, and retry when it ends."
	}
	return mcp.NewToolResultError(bound(msg))
}

// MaxText bounds every text a tool returns, in bytes; MaxStructured its structured
// content, in bytes of JSON. DefaultResponseBytes bounds the structured content of a
// call that leaves the size to the tool (query_dataset and preview_table without a
// limit): an agent's context is not spent on rows it did not ask for.
const (
	MaxText              = 16 << 10
	MaxStructured        = 512 << 10
	DefaultResponseBytes = 16 << 10
)

// boundNote ends a text bound cut.
var boundNote = fmt.Sprintf("\n… (cut at %d kB; ask for fewer rows or columns)", MaxText>>10)

// bound cuts a text to MaxText bytes, its note included, and says so.
func bound(s string) string {
	if len(s) <= MaxText {
		return s
	}
	cut := MaxText - len(boundNote)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + boundNote
}

// shown quotes a value an agent gave, for an error message, cut to 80 bytes: an
// argument of megabytes is not echoed back whole.
func shown(s string) string {
	const most = 80
	if len(s) <= most {
		return strconv.Quote(s)
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + fmt.Sprintf("… (%d bytes)", len(s))
}

// plan reads the project's config.
func (d *Deps) plan() (*pipeline.Plan, error) {
	plan, err := pipeline.LoadProject(d.Dir)
	if plan != nil {
		plan.Bucket.Getenv = d.Getenv // a bucket's credential chain reads the server's environment
	}
	return plan, err
}

// finder looks for the API key as the command line does.
func (d *Deps) finder() *secrets.Finder {
	dlt := ""
	if d.Dir != "" {
		dlt = d.Dir + "/" + secrets.DltSecretsPath
	}
	return &secrets.Finder{Getenv: d.Getenv, Keyring: d.Keyring, Insecure: d.Insecure, Dlt: dlt}
}

// connect finds the API base URL and key for a configured base URL, and tells the
// redactor the key.
func (d *Deps) connect(ctx context.Context, configured string) (string, secrets.Found, error) {
	base, found, err := d.finder().Connect(ctx, configured)
	if err == nil && d.Redactor != nil {
		d.Redactor.Add(found.Key.Reveal())
	}
	return base, found, err
}

// destinationPassword finds the destination's password (PostgreSQL) as the command
// line does, and tells the redactor; "" when it takes none or none is kept.
func (d *Deps) destinationPassword(ctx context.Context, plan *pipeline.Plan) (string, error) {
	pw, err := pipeline.FindPassword(ctx, plan, d.finder())
	if err != nil {
		return "", err
	}
	if d.Redactor != nil {
		d.Redactor.Add(pw.Reveal())
	}
	return pw.Reveal(), nil
}

// dataset is the project's plan and its destination.
type dataset struct {
	plan *pipeline.Plan
	dest dest.Destination
}

// dataset reads the project's config (see planOrScaffold) and opens its destination,
// with the destination's password found as the command line finds it.
func (d *Deps) dataset(ctx context.Context) (*dataset, error) {
	plan, err := planOrScaffold(d)
	if err != nil {
		return nil, err
	}
	return d.open(ctx, plan)
}

// open opens a plan's destination.
func (d *Deps) open(ctx context.Context, plan *pipeline.Plan) (*dataset, error) {
	pw, err := d.destinationPassword(ctx, plan)
	if err != nil {
		return nil, err
	}
	dst, err := pipeline.OpenDestination(plan, pw)
	if err != nil {
		return nil, err
	}
	return &dataset{plan: plan, dest: dst}, nil
}
