// Package mcp is the MCP server: the tools of package tools registered on mcp-go's
// server, with instructions, resources and a prompt, a middleware that redacts every
// result, and the stdio and streamable-HTTP transports. It wires; the tools do the work.
package mcp

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/secoda-workbench/secoda-workbench/internal/buildinfo"
	"github.com/secoda-workbench/secoda-workbench/pipeline"
	"github.com/secoda-workbench/secoda-workbench/secoda"
	"github.com/secoda-workbench/secoda-workbench/secrets"
	"github.com/secoda-workbench/secoda-workbench/tools"
)

// Name is the server's name, as agents' configs list it.
const Name = "secoda-workbench"

//go:embed instructions.md
var Instructions string

// Options shape the server.
type Options struct {
	// ReadOnly leaves out every tool that writes (scaffold_config, run_pipeline).
	ReadOnly bool
}

// New builds the server over the tools.
func New(d *tools.Deps, opts Options) *server.MCPServer {
	if d.Redactor == nil {
		d.Redactor = &secrets.Redactor{}
	}
	s := server.NewMCPServer(Name, buildinfo.Version(),
		server.WithInstructions(Instructions),
		server.WithToolCapabilities(false),
		server.WithResourceCapabilities(false, false),
		server.WithPromptCapabilities(false),
		server.WithRecovery(),
		server.WithInputSchemaValidation(),
		server.WithToolHandlerMiddleware(redacting(d.Redactor)),
	)
	for _, t := range tools.All(d) {
		if opts.ReadOnly && t.Writes() {
			continue
		}
		s.AddTool(t.Def, t.Handler)
	}
	addResources(s, d)
	addPrompt(s)
	return s
}

// redacting takes every known secret out of a tool's result and errors, whatever the
// tool did: a second layer under the tools' own care.
func redacting(r *secrets.Redactor) server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
			res, err := next(ctx, req)
			if err != nil {
				return nil, errors.New(r.Redact(err.Error()))
			}
			if res == nil {
				return nil, nil
			}
			for i, c := range res.Content {
				if tc, ok := c.(mcpgo.TextContent); ok {
					tc.Text = r.Redact(tc.Text)
					res.Content[i] = tc
				}
			}
			if res.StructuredContent != nil {
				b, err := json.Marshal(res.StructuredContent)
				if err != nil {
					return nil, err
				}
				if red := r.Redact(string(b)); red != string(b) {
					var v any
					if err := json.Unmarshal([]byte(red), &v); err != nil {
						return nil, err
					}
					res.StructuredContent = v
				}
			}
			return res, nil
		}
	}
}

func addResources(s *server.MCPServer, d *tools.Deps) {
	s.AddResource(mcpgo.NewResource("secoda-workbench://endpoints", "endpoint catalog",
		mcpgo.WithResourceDescription("Every Secoda endpoint the pipeline can load, as JSON"), mcpgo.WithMIMEType("application/json")),
		func(ctx context.Context, req mcpgo.ReadResourceRequest) ([]mcpgo.ResourceContents, error) {
			b, err := json.MarshalIndent(secoda.Endpoints, "", "  ")
			if err != nil {
				return nil, err
			}
			return []mcpgo.ResourceContents{mcpgo.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(b)}}, nil
		})
	s.AddResource(mcpgo.NewResource("secoda-workbench://config", pipeline.ConfigFileName,
		mcpgo.WithResourceDescription("The project's secoda_pipeline.toml as it stands (it holds no secret)"), mcpgo.WithMIMEType("application/toml")),
		func(ctx context.Context, req mcpgo.ReadResourceRequest) ([]mcpgo.ResourceContents, error) {
			// Only the config itself, read under the project's rule: never a file a link
			// leads to outside the project, nor one that is not a config.
			text, err := pipeline.ConfigText(d.Dir)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("no %s yet: call scaffold_config", pipeline.ConfigFileName)
			}
			if err != nil {
				return nil, errors.New(d.Redactor.Redact(err.Error()))
			}
			return []mcpgo.ResourceContents{mcpgo.TextResourceContents{URI: req.Params.URI, MIMEType: "application/toml", Text: d.Redactor.Redact(text)}}, nil
		})
	s.AddResource(mcpgo.NewResource("secoda-workbench://schema.mmd", "dataset schema",
		mcpgo.WithResourceDescription("The loaded tables and their parent/child relations as a Mermaid ER diagram"), mcpgo.WithMIMEType("text/vnd.mermaid")),
		func(ctx context.Context, req mcpgo.ReadResourceRequest) ([]mcpgo.ResourceContents, error) {
			text, err := tools.SchemaMermaid(ctx, d)
			if err != nil {
				return nil, err
			}
			return []mcpgo.ResourceContents{mcpgo.TextResourceContents{URI: req.Params.URI, MIMEType: "text/vnd.mermaid", Text: text}}, nil
		})
}

func addPrompt(s *server.MCPServer) {
	s.AddPrompt(mcpgo.NewPrompt("load_secoda",
		mcpgo.WithPromptDescription("Load the Secoda data a goal needs into the local dataset, then answer it"),
		mcpgo.WithArgument("goal", mcpgo.ArgumentDescription("what the user wants to know or build, e.g. 'which tables have no owner'"), mcpgo.RequiredArgument()),
	), func(ctx context.Context, req mcpgo.GetPromptRequest) (*mcpgo.GetPromptResult, error) {
		goal := req.Params.Arguments["goal"]
		if goal == "" {
			return nil, errors.New("the prompt needs a goal")
		}
		text := fmt.Sprintf(`Goal: %s

Use the secoda-workbench tools in this order: list_endpoints (pick the endpoints the goal needs),
inspect_credentials (if the key is missing or rejected, ask me to run `+"`secoda-workbench secrets set`"+` in my
terminal; never ask me for the key), scaffold_config, preview_endpoint, run_pipeline with max_pages 1,
a look at list_tables and get_table_schema, run_pipeline in full, then query_dataset to answer the goal.
Show me the SQL you used.`, goal)
		return mcpgo.NewGetPromptResult("Load Secoda data for a goal",
			[]mcpgo.PromptMessage{mcpgo.NewPromptMessage(mcpgo.RoleUser, mcpgo.NewTextContent(text))}), nil
	})
}
