package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/output"
)

// applyFlags are the flags `diff` and `apply` share.
type applyFlags struct {
	file                string
	providerMap, apiMap []string
}

func (f *applyFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "the catalogue document (from `tykportal export`); - for stdin")
	cmd.Flags().StringArrayVar(&f.providerMap, "provider-map", nil, "apply the file's provider SRC to the local provider DST (SRC=DST; repeat)")
	cmd.Flags().StringArrayVar(&f.apiMap, "api-map", nil, "use the target Dashboard's API NEW for the file's API OLD (OLD=NEW; repeat)")
}

// options reads and checks the file and the maps; every problem is a
// usage error (exit 2) before anything is asked or written.
func (f *applyFlags) options(a *App) (portal.ApplyOptions, error) {
	var o portal.ApplyOptions
	if f.file == "" {
		return o, usageErrorf("-f FILE is required (a document written by `tykportal export`)")
	}
	var err error
	if o.ProviderMap, err = parseMap("--provider-map", f.providerMap); err != nil {
		return o, err
	}
	if o.APIMap, err = parseMap("--api-map", f.apiMap); err != nil {
		return o, err
	}
	var data []byte
	if f.file == "-" {
		data, err = io.ReadAll(io.LimitReader(a.IO.In, 64<<20))
	} else {
		data, err = os.ReadFile(f.file)
	}
	if err != nil {
		return o, usageErrorf("read %s: %v", f.file, err)
	}
	name := f.file
	if name == "-" {
		name = "stdin"
	}
	doc, err := portal.ParseCatalog(name, data)
	if err != nil {
		return o, err
	}
	o.File, o.Doc = name, doc
	return o, nil
}

// parseMap parses repeated OLD=NEW flag values.
func parseMap(flag string, vals []string) (map[string]string, error) {
	m := map[string]string{}
	for _, v := range vals {
		from, to, ok := strings.Cut(v, "=")
		from, to = strings.TrimSpace(from), strings.TrimSpace(to)
		if !ok || from == "" || to == "" {
			return nil, usageErrorf("%s %q: expected OLD=NEW", flag, v)
		}
		if prev, dup := m[from]; dup && prev != to {
			return nil, usageErrorf("%s: %q is mapped twice (to %q and %q)", flag, from, prev, to)
		}
		m[from] = to
	}
	return m, nil
}

func (a *App) diffCommand() *cobra.Command { return newDiffCmd(a, nil) }

func newDiffCmd(a *App, runF func(context.Context, portal.ApplyOptions) error) *cobra.Command {
	var f applyFlags
	var prune bool
	cmd := &cobra.Command{
		Use:   "diff -f FILE [--provider-map SRC=DST...] [--api-map OLD=NEW...]",
		Short: "Show what `apply -f FILE` would change; exit 3 when changes are pending",
		Long: `Diff compares a catalogue document with the local catalogue and the Dashboards and shows,
per provider, what apply would do: create, adopt (a local record for a policy the
Dashboard has), update (field by field, old -> new), publish, unpublish, and with
--prune delete-policy. It writes nothing. Exit 0 when nothing would change, 3 when
changes are pending, 2 for a bad file or flag, 1 when a Dashboard cannot be read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options(a)
			if err != nil {
				return err
			}
			o.Prune = prune
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			plan, err := a.service().Diff(cmd.Context(), o)
			if err != nil {
				return err
			}
			if err := a.printPlan(plan); err != nil {
				return err
			}
			if plan.Pending > 0 {
				return &pendingError{n: plan.Pending}
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&prune, "prune", false, "also show the deletes `apply --prune` would make")
	return cmd
}

// printPlan prints a plan (or an apply's result): a table of the changes,
// one line per changed field, and a summary on stderr.
func (a *App) printPlan(plan *portal.Plan) error {
	err := a.printer().Print(plan, func() output.Table {
		t := output.Table{Header: []string{"provider", "action", "kind", "name", "change"}}
		for _, pp := range plan.Providers {
			for _, c := range pp.Changes {
				action := actionSymbol(c.Action) + " " + c.Action
				if c.Status != "" && c.Status != portal.StatusApplied {
					action += " (" + strings.ReplaceAll(c.Status, "_", " ") + ")"
				}
				lines := changeLines(c)
				for i, l := range lines {
					if i == 0 {
						t.Rows = append(t.Rows, []string{pp.Provider, action, c.Kind, c.Name, l})
					} else {
						t.Rows = append(t.Rows, []string{"", "", "", "", l})
					}
				}
			}
		}
		return t
	})
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, pp := range plan.Providers {
		for _, c := range pp.Changes {
			counts[c.Action]++
		}
	}
	if plan.Pending == 0 {
		a.info("No changes: the catalogue and the Dashboards match the file.")
	} else if plan.DryRun {
		a.info("Plan: %d to create, %d to adopt, %d to update, %d to publish or unpublish, %d to delete.",
			counts[portal.ActionCreate]+counts[portal.ActionCreateProvider], counts[portal.ActionAdopt], counts[portal.ActionUpdate],
			counts[portal.ActionPublish]+counts[portal.ActionUnpublish], counts[portal.ActionDeletePolicy])
	}
	return nil
}

func changeLines(c portal.Change) []string {
	var lines []string
	for _, f := range c.Fields {
		if f.Old == nil {
			lines = append(lines, fmt.Sprintf("%s: %s", f.Field, valueText(f.New)))
		} else {
			lines = append(lines, fmt.Sprintf("%s: %s -> %s", f.Field, valueText(f.Old), valueText(f.New)))
		}
	}
	if c.Action == portal.ActionDeletePolicy {
		lines = append(lines, "policy "+c.PolicyID+" and the local record")
	}
	if c.Conflict != "" {
		lines = append(lines, "CONFLICT: "+c.Conflict)
	}
	if c.Error != "" {
		lines = append(lines, "error: "+c.Error)
	}
	if len(lines) == 0 {
		lines = []string{""}
	}
	return lines
}

func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case []string:
		return "[" + strings.Join(x, ", ") + "]"
	}
	return fmt.Sprint(v)
}

func actionSymbol(action string) string {
	switch action {
	case portal.ActionCreate, portal.ActionCreateProvider, portal.ActionAdopt:
		return "+"
	case portal.ActionDeletePolicy:
		return "-"
	}
	return "~"
}
