package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/progress"
)

// applyOptions are `apply`'s flags beyond the file and the maps.
type applyOptions struct {
	portal.ApplyOptions
	Yes bool
}

func (a *App) applyCommand() *cobra.Command { return newApplyCmd(a, nil) }

func newApplyCmd(a *App, runF func(context.Context, applyOptions) error) *cobra.Command {
	var f applyFlags
	var o applyOptions
	cmd := &cobra.Command{
		Use:   "apply -f FILE [--dry-run] [--prune] [--yes] [--force] [--provider-map SRC=DST...] [--api-map OLD=NEW...]",
		Short: "Make the local catalogue and the Dashboards match a catalogue document",
		Long: `Apply carries out what ` + "`tykportal diff`" + ` shows: it creates the policies the file has and the
Dashboard lacks (tagged with the provider's policy tags, journaled like every create),
adopts policies the Dashboard has but the state does not, updates changed policies
patch-only (every field tykportal does not own is kept), and sets the local fields.
A second apply of the same file changes nothing and sends no write request.

Nothing is deleted by omission: only with --prune are the products and plans of the
file's providers and kinds that the file does not list deleted (policy and record),
after they are listed and confirmed (--yes, or a prompt on a terminal).

--provider-map SRC=DST applies what was exported from provider SRC to provider DST
(promotion, e.g. staging=prod). Its APIs are found by id, else by name when exactly one
API has it, else by --api-map OLD=NEW; an API that cannot be mapped is an error (exit 2)
before anything is written.

A policy changed in the Dashboard since the file was exported (its fingerprint differs)
is not overwritten (exit 1) unless --force. A failure half-way stops the apply, lists
what was and was not applied, and the same apply run again finishes the job.
--dry-run writes nothing and exits 3 when changes are pending.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ao, err := f.options(a)
			if err != nil {
				return err
			}
			ao.Prune, ao.Force, ao.DryRun = o.Prune, o.Force, o.DryRun
			o.ApplyOptions = ao
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			o.Confirm = func(deletes []portal.Change) error {
				defer a.pauseProgress()()
				var names []string
				for _, c := range deletes {
					names = append(names, fmt.Sprintf("%s %q (policy %s)", c.Kind, c.Name, c.PolicyID))
				}
				fmt.Fprintf(a.IO.Err, "--prune deletes %d item(s) and their policies:\n  %s\n", len(deletes), strings.Join(names, "\n  "))
				if o.Yes {
					return nil
				}
				return a.confirm(cmd.Context(), fmt.Sprintf("Delete these %d item(s) and their policies", len(deletes)), "--yes")
			}
			var plan *portal.Plan
			err = a.withProgress("apply", func(r progress.Reporter) error {
				o.Progress = r
				var err error
				plan, err = a.service().Apply(cmd.Context(), o.ApplyOptions)
				return err
			})
			if plan != nil {
				if perr := a.printPlan(plan); perr != nil && err == nil {
					err = perr
				}
			}
			if err != nil {
				return err
			}
			if o.DryRun && plan.Pending > 0 {
				return &pendingError{n: plan.Pending}
			}
			if !o.DryRun && plan.Pending > 0 {
				a.info("Applied %d change(s).", plan.Applied)
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "show the changes and write nothing (exit 3 when changes are pending)")
	cmd.Flags().BoolVar(&o.Prune, "prune", false, "delete the products and plans of the file's providers and kinds that the file does not list")
	cmd.Flags().BoolVar(&o.Yes, "yes", false, "confirm the deletes of --prune without a prompt")
	cmd.Flags().BoolVar(&o.Force, "force", false, "overwrite policies changed in the Dashboard since the file was exported")
	return cmd
}
