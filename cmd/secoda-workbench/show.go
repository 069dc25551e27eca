package main

import (
	"fmt"
	"os/exec"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/dashboard"
)

func newShowCmd(a *app) *cobra.Command {
	var (
		addr      string
		noBrowser bool
	)
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Open the pipeline dashboard: loads, schema diagram, data browser and SQL, on this machine",
		Long: "Serve the dashboard of the project in the current folder on 127.0.0.1 (a free port unless --addr says\n" +
			"otherwise) and open it in the browser. The URL carries a token made for this start; other pages and\n" +
			"programs cannot read the dashboard without it. It reads the DuckDB file read-only, one request at a time,\n" +
			"so `secoda-workbench run` can load while it is open. Ctrl-C stops it.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := a.loadPlan()
			if err != nil {
				return err
			}
			dst, err := a.destination(cmd.Context(), plan)
			if err != nil {
				return err
			}
			s, err := dashboard.New(plan, dst)
			if err != nil {
				return err
			}
			return s.Serve(cmd.Context(), addr, func(url string) {
				fmt.Fprintf(a.io.Out, "Dashboard of %s at %s\n", plan.PipelineName, url)
				if noBrowser {
					fmt.Fprintln(a.io.Out, "Open that URL in a browser; Ctrl-C stops the dashboard.")
					return
				}
				if err := openBrowser(a.getenv, url); err != nil {
					fmt.Fprintf(a.io.Out, "Could not open a browser (%v): open that URL yourself; Ctrl-C stops the dashboard.\n", err)
					return
				}
				fmt.Fprintln(a.io.Out, "Opened in your browser; Ctrl-C stops the dashboard.")
			})
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "loopback address to listen on; port 0 picks a free port")
	cmd.Flags().BoolVar(&noBrowser, "no-browser", false, "print the URL only; do not open a browser")
	return cmd
}

// openBrowser starts the system's URL opener without waiting for it. On Linux and the
// BSDs it needs a graphical session: without one, xdg-open would start a text browser
// in this very terminal.
func openBrowser(getenv func(string) string, url string) error {
	var name string
	var args []string
	switch runtime.GOOS {
	case "darwin":
		name, args = "open", []string{url}
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler", url}
	default:
		if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
			return fmt.Errorf("no graphical session: neither DISPLAY nor WAYLAND_DISPLAY is set")
		}
		name, args = "xdg-open", []string{url}
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("%s is not installed", name)
	}
	c := exec.Command(path, args...)
	c.Stdin, c.Stdout, c.Stderr = nil, nil, nil
	c.Env = browserEnv(getenv)
	if err := c.Start(); err != nil {
		return err
	}
	go func() { _ = c.Wait() }() // reap it; its exit does not matter
	return nil
}

// browserEnvNames are the variables the URL opener and the browser it starts get:
// what a desktop session needs to find the display, the session bus, the user's
// folders, language and time zone, and the preferred browser. Exact names, no
// prefixes, so that nothing else passes: not this program's secrets
// (SECODA_API_KEY, SECODA_DESTINATION_PASSWORD, SECODA_WORKBENCH_MCP_TOKEN) nor any
// other the user's shell holds (cloud keys, tokens, SSH_AUTH_SOCK). A browser lives
// long and hands its environment on to every helper it starts.
var browserEnvNames = []string{
	// Everywhere.
	"PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "TZ",
	"LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE", "LC_MONETARY", "LC_MESSAGES",
	"LC_PAPER", "LC_NAME", "LC_ADDRESS", "LC_TELEPHONE", "LC_MEASUREMENT", "LC_IDENTIFICATION",
	// A Linux or BSD desktop, and how xdg-open recognises it.
	"DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "DBUS_SESSION_BUS_ADDRESS", "BROWSER",
	"XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_HOME", "XDG_DATA_DIRS", "XDG_CACHE_HOME", "XDG_STATE_HOME",
	"XDG_CURRENT_DESKTOP", "XDG_SESSION_DESKTOP", "XDG_SESSION_TYPE", "DESKTOP_SESSION",
	"KDE_FULL_SESSION", "KDE_SESSION_VERSION", "GNOME_DESKTOP_SESSION_ID",
	// WSL, where xdg-open hands the URL to Windows.
	"WSL_DISTRO_NAME", "WSL_INTEROP",
	// Windows.
	"SYSTEMROOT", "WINDIR", "SYSTEMDRIVE", "COMSPEC", "PATHEXT", "TEMP", "TMP",
	"USERPROFILE", "USERNAME", "HOMEDRIVE", "HOMEPATH", "APPDATA", "LOCALAPPDATA", "PROGRAMDATA", "PROGRAMFILES",
}

// browserEnv is the environment of the URL opener: browserEnvNames that are set.
func browserEnv(getenv func(string) string) []string {
	var env []string
	for _, name := range browserEnvNames {
		if v := getenv(name); v != "" {
			env = append(env, name+"="+v)
		}
	}
	return env
}
