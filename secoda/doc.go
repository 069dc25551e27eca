// Package secoda talks to the Secoda REST API: where it lives (hosts.go), what it
// offers (endpoints.go, the one catalog of list endpoints), how to read it page by page
// (pages.go), how to survive its rate limits and failures (retry.go, ratelimit.go), and
// the typed errors a person or an agent can act on (errors.go).
//
// The API key is held by the Client alone. It is sent only to the base URL's scheme and
// host, never followed to another host, and scrubbed from every error and log line.
// The package knows nothing of databases or MCP; the pipeline and the tools build on it.
package secoda
