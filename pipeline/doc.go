// Package pipeline loads a Secoda workspace into a destination: it reads
// secoda_pipeline.toml (config.go), extracts pages from the Secoda client, normalizes
// records into dlt's table layout (package normalize), writes them to a load package
// on disk (package loadpkg) and loads that package into the destination in one
// transaction (package duckdb), keeping the incremental state beside the data.
//
// It knows nothing of MCP or of the command line; both call Run, Query and Status.
package pipeline
