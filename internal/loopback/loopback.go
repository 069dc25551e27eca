// Package loopback says whether a host name stays on this machine: the one rule the
// simulator guard, the MCP HTTP transport and the dashboard share.
package loopback

import (
	"net"
	"strings"
)

// Host reports whether host (a name or an IP, without a port) is this machine:
// localhost or a loopback address (127.0.0.0/8, ::1).
func Host(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}
