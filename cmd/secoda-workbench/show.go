package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/dashboard"
	"github.com/secoda-workbench/secoda-workbench/secoda"
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
			plan, err := loadPlan()
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
	// The browser needs nothing of this process's secrets.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, secoda.EnvAPIKey+"=") {
			c.Env = append(c.Env, kv)
		}
	}
	if err := c.Start(); err != nil {
		return err
	}
	go func() { _ = c.Wait() }() // reap it; its exit does not matter
	return nil
}
