package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/secoda"
)

// ListEndpointsIn is list_endpoints' input.
type ListEndpointsIn struct {
	Query string `json:"query,omitempty" jsonschema:"keep endpoints whose name, path or description holds this text (case-insensitive); empty lists all"`
}

// EndpointInfo is one endpoint of the catalog.
type EndpointInfo struct {
	Name        string   `json:"name" jsonschema:"the table it loads into, and its name in secoda_pipeline.toml"`
	Path        string   `json:"path" jsonschema:"path under the API base URL; {id} is a parent's id"`
	PrimaryKey  string   `json:"primary_key"`
	Disposition string   `json:"write_disposition"`
	Cursor      string   `json:"incremental_cursor,omitempty" jsonschema:"field incremental loading keys on; empty for a full load each run"`
	Filters     []string `json:"filters,omitempty" jsonschema:"query parameters it filters on; filter and sort are the catalog's JSON filter and sort"`
	Parent      string   `json:"parent,omitempty" jsonschema:"the endpoint whose ids it fetches one by one"`
	Deprecated  bool     `json:"deprecated,omitempty"`
	Default     bool     `json:"default" jsonschema:"selected by scaffold_config when no resources are given"`
	Description string   `json:"description"`
}

// ListEndpointsOut is list_endpoints' result.
type ListEndpointsOut struct {
	Endpoints []EndpointInfo `json:"endpoints"`
	Count     int            `json:"count"`
}

// ListEndpoints lists the Secoda endpoints the pipeline can load.
func ListEndpoints(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: no()}
	return Tool{
		Hints: h,
		Def: define[ListEndpointsIn, ListEndpointsOut]("list_endpoints",
			"List the Secoda endpoints the pipeline can load (the endpoint catalog): each one's table name, API path, primary key, "+
				"write disposition, incremental cursor and filters. Start here; pass the names to scaffold_config.", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, in ListEndpointsIn) (ListEndpointsOut, string, error) {
			out := ListEndpointsOut{Endpoints: []EndpointInfo{}}
			for _, e := range secoda.FilterEndpoints(in.Query) {
				out.Endpoints = append(out.Endpoints, endpointInfo(e))
			}
			out.Count = len(out.Endpoints)
			if out.Count == 0 {
				return out, fmt.Sprintf("No endpoint matches %s; call list_endpoints with no query to see all %d.", shown(in.Query), len(secoda.Endpoints)), nil
			}
			var b strings.Builder
			b.WriteString("| name | path | key | disposition | cursor | filters | description |\n|---|---|---|---|---|---|---|\n")
			for _, e := range out.Endpoints {
				name := e.Name
				if e.Default {
					name += " (default)"
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", name, e.Path, e.PrimaryKey, e.Disposition,
					orDash(e.Cursor), orDash(strings.Join(e.Filters, ", ")), e.Description)
			}
			return out, b.String(), nil
		}),
	}
}

func endpointInfo(e secoda.Endpoint) EndpointInfo {
	info := EndpointInfo{Name: e.Name, Path: e.Path, PrimaryKey: e.PrimaryKey, Disposition: string(e.Disposition), Cursor: e.Cursor,
		Parent: e.Parent, Deprecated: e.Deprecated, Description: e.Description}
	if e.CatalogQuery {
		info.Filters = append(info.Filters, "filter", "sort")
	}
	info.Filters = append(info.Filters, e.Params...)
	for _, r := range secoda.DefaultResources {
		info.Default = info.Default || r == e.Name
	}
	return info
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
