// Package buildinfo tells which version of secoda-workbench is running, for the
// User-Agent sent to Secoda, `secoda-workbench version` and the MCP server's handshake.
package buildinfo

import "runtime/debug"

// version is set at link time with
// -ldflags "-X github.com/secoda-workbench/secoda-workbench/internal/buildinfo.version=v1.2.3".
var version = ""

// Version is the release version, the module version when built with `go install`,
// or "dev" for a build from a work tree.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
