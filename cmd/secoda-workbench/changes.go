package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/internal/changeset"
)

// writeChanges is how init and deploy end. With dryRun it prints each change's diff
// and what each file would become, and writes nothing. Otherwise a refused file stops
// it before anything is written — with forceHint where one was edited by hand (edited
// is the command's own sentinel) — and the changes are applied into root. show names a
// change's path for people. applied reports whether it wrote.
func (a *app) writeChanges(ctx context.Context, command, root string, changes []changeset.Change, dryRun bool,
	show func(string) string, edited error, forceHint string) (applied bool, err error) {
	refused := changeset.Refusals(changes)
	if dryRun {
		for _, c := range changes {
			if c.Status == changeset.Created || c.Status == changeset.Updated {
				fmt.Fprint(a.io.Out, changeset.Diff(c))
			}
		}
		for _, c := range changes {
			fmt.Fprintf(a.io.ErrOut, "would leave %s %s\n", show(c.Path), changeset.StatusText(c))
		}
		if len(refused) > 0 {
			return false, fmt.Errorf("%s would refuse:\n  %s", command, strings.Join(refused, "\n  "))
		}
		return false, nil
	}
	if len(refused) > 0 {
		// --force replaces only what the user edited; it cannot mend the rest.
		hint := "Fix those files and run " + command + " again."
		for _, c := range changes {
			if c.Status == changeset.Refused && errors.Is(c.Err, edited) {
				hint = forceHint
			}
		}
		return false, fmt.Errorf("nothing was written; %s refuses:\n  %s\n%s", command, strings.Join(refused, "\n  "), hint)
	}
	return true, changeset.Apply(ctx, root, command, changes)
}
