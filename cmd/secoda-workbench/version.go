package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/secoda-workbench/secoda-workbench/internal/buildinfo"
)

func newVersionCmd(a *app) *cobra.Command {
	io := a.io
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(io.Out, "secoda-workbench %s (%s, %s/%s)\n", buildinfo.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
