package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/output"
	tpsync "github.com/tykportal/tykportal/pkg/sync"
)

func (a *App) syncCommand() *cobra.Command { return a.syncCommandNamed("sync") }

func (a *App) syncCommandNamed(use string) *cobra.Command {
	var opts tpsync.Options
	var noWait bool
	cmd := &cobra.Command{
		Use:   use + " [NAME...]",
		Short: "Import the providers' policies as Products and Plans; hide what disappeared",
		Long: `Sync fetches every policy of each named provider (all providers when none is named),
keeps those carrying one of the provider's policy tags, and updates the local catalogue:
new policies become unpublished placeholders, known ones get the Dashboard's fields, and
Products and Plans whose policy was not retrieved are hidden (and restored when it returns).
A failed or partial fetch changes nothing. Exit 1 when any provider failed.

A provider being synced by another tykportal at the same time (a watch, a cron job on
another host sharing the PostgreSQL catalogue) is waited for (--wait), or with --no-wait
reported failed at once, naming the instance that syncs it.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.LeaseWait < 0 {
				return usageErrorf("--wait must not be negative")
			}
			if noWait {
				opts.LeaseWait = 0
			}
			results, err := a.service().Sync(cmd.Context(), args, opts)
			if err != nil {
				return err
			}
			if err := a.printSyncResults(results); err != nil {
				return err
			}
			for _, m := range a.service().NothingImported(cmd.Context(), results) {
				a.warn("%s", m)
			}
			return portal.FailedSyncs(results)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "compute the changes and write nothing")
	cmd.Flags().BoolVar(&opts.AllowMassHide, "allow-mass-hide", false, "allow a sync that hides more than half of a provider's products and plans")
	cmd.Flags().DurationVar(&opts.LeaseWait, "wait", time.Minute, "wait at most this long for a provider another tykportal (a watch, another host) is syncing")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "do not wait for a provider being synced elsewhere: fail at once, naming who syncs it (exit 1)")
	return cmd
}

func (a *App) printSyncResults(results []catalog.SyncResult) error {
	return a.printer().Print(results, func() output.Table {
		t := output.Table{Header: []string{"provider", "status", "policies", "products", "plans", "skipped", "duration", "error"}}
		for _, r := range results {
			status := r.Status
			if r.DryRun {
				status += " (dry run)"
			}
			t.Rows = append(t.Rows, []string{
				r.Provider, status,
				fmt.Sprintf("%d/%d", r.PoliciesMatched, r.PoliciesFetched),
				counts(r.Products), counts(r.Plans),
				fmt.Sprint(len(r.Skipped)), fmt.Sprintf("%dms", r.DurationMS), dash(r.Error),
			})
		}
		return t
	})
}

// counts renders change counts compactly: +created ~updated -hidden ^restored =unchanged.
func counts(c catalog.ChangeCounts) string {
	return fmt.Sprintf("+%d ~%d -%d ^%d =%d", c.Created, c.Updated, c.Hidden, c.Restored, c.Unchanged)
}

func syncSummary(r catalog.SyncResult) string {
	s := fmt.Sprintf("%s at %s: products %s, plans %s", r.Status, r.StartedAt.UTC().Format("2006-01-02T15:04:05Z"), counts(r.Products), counts(r.Plans))
	if r.Error != "" {
		s += ": " + r.Error
	}
	return s
}
