package cli

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/output"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
	tpsync "github.com/tykportal/tykportal/pkg/sync"
)

func (a *App) syncCommand() *cobra.Command { return a.syncCommandNamed("sync") }

func (a *App) syncCommandNamed(use string) *cobra.Command {
	var opts tpsync.Options
	cmd := &cobra.Command{
		Use:   use + " [NAME...]",
		Short: "Import the providers' policies as Products and Plans; hide what disappeared",
		Long: `Sync fetches every policy of each named provider (all providers when none is named),
keeps those carrying one of the provider's policy tags, and updates the local catalogue:
new policies become unpublished placeholders, known ones get the Dashboard's fields, and
Products and Plans whose policy was not retrieved are hidden (and restored when it returns).
A failed or partial fetch changes nothing. Exit 1 when any provider failed.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, n := range args {
				if err := provider.ValidateName(n); err != nil {
					return err
				}
			}
			if err := a.checkConcurrency(); err != nil {
				return err
			}
			lessGCForOneShot()
			results, err := a.engine().Sync(cmd.Context(), args, opts)
			if err != nil {
				return err
			}
			return a.printSyncResults(results)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "compute the changes and write nothing")
	cmd.Flags().BoolVar(&opts.AllowMassHide, "allow-mass-hide", false, "allow a sync that hides more than half of a provider's products and plans")
	a.concurrencyFlag(cmd)
	return cmd
}

// lessGCForOneShot lets the heap of a one-shot sync grow to five times its
// live size between collections (GOGC=400) unless the user set GOGC: a
// first sync of 10,000 policies ran seven collections while it decoded and
// wrote, about 30 ms of CPU on the cores doing that work, for a process
// that exits a moment later. Peak memory grows by a fifth (measured in
// docs/performance.md). `watch`, which lives on, keeps the default.
func lessGCForOneShot() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

func (a *App) concurrencyFlag(cmd *cobra.Command) {
	cmd.Flags().IntVar(&a.Concurrency, "concurrency", 8, "at most this many requests at once to one Dashboard (when it pages its answers)")
}

func (a *App) checkConcurrency() error {
	if a.Concurrency < 1 || a.Concurrency > 64 {
		return usageErrorf("--concurrency must be between 1 and 64")
	}
	return nil
}

// engine builds the sync engine with this process's state file and clients.
func (a *App) engine() *tpsync.Engine {
	return &tpsync.Engine{
		OpenDB: a.openDB,
		SourceFor: func(ctx context.Context, p provider.Provider) (tpsync.Source, error) {
			return a.clientFor(ctx, p)
		},
		Now: a.Now,
	}
}

func (a *App) printSyncResults(results []catalog.SyncResult) error {
	if results == nil {
		results = []catalog.SyncResult{}
	}
	err := a.printer().Print(results, func() output.Table {
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
	if err != nil {
		return err
	}
	var failed []string
	for _, r := range results {
		if r.Status == catalog.SyncFailed {
			failed = append(failed, fmt.Sprintf("%s (%s)", r.Provider, r.Error))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("sync failed for %s", strings.Join(failed, "; "))
	}
	return nil
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

// statusRow is one provider in `tykportal status`.
type statusRow struct {
	Name           string      `json:"name"`
	Status         string      `json:"status"`
	LastSyncAt     *string     `json:"last_sync_at"`
	LastSyncStatus *string     `json:"last_sync_status"`
	LastError      string      `json:"last_error"`
	Products       stateCounts `json:"products"`
	Plans          stateCounts `json:"plans"`
}

type stateCounts struct {
	Total        int `json:"total"`
	Published    int `json:"published"`
	Hidden       int `json:"hidden"`
	Placeholders int `json:"placeholders"`
}

func (a *App) statusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show every provider's status, last sync and catalogue counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rows := []statusRow{}
			err := a.view(cmd.Context(), func(tx store.Tx) error {
				ps, err := repo.ListProviders(tx)
				if err != nil {
					return err
				}
				byName := map[string]*statusRow{}
				for _, p := range ps {
					r := statusRow{Name: p.Name, Status: p.Status}
					if p.LastSyncAt != nil {
						s := p.LastSyncAt.UTC().Format("2006-01-02T15:04:05Z")
						r.LastSyncAt = &s
					}
					if p.LastSync != nil {
						st := p.LastSync.Status
						r.LastSyncStatus = &st
						if st == catalog.SyncFailed {
							r.LastError = p.LastSync.Error
						}
					}
					rows = append(rows, r)
				}
				for i := range rows {
					byName[rows[i].Name] = &rows[i]
				}
				products, err := repo.ListProducts(tx, "", catalog.AllItems)
				if err != nil {
					return err
				}
				for _, p := range products {
					if r := byName[p.Provider]; r != nil {
						tally(&r.Products, p.Published, p.Hidden, p.Placeholder)
					}
				}
				plans, err := repo.ListPlans(tx, "", catalog.AllItems)
				if err != nil {
					return err
				}
				for _, p := range plans {
					if r := byName[p.Provider]; r != nil {
						tally(&r.Plans, p.Published, p.Hidden, p.Placeholder)
					}
				}
				return nil
			})
			if err != nil && !isNoState(err) {
				return err
			}
			return a.printer().Print(rows, func() output.Table {
				t := output.Table{Header: []string{"provider", "status", "last sync", "result", "products", "plans", "error"}}
				for _, r := range rows {
					last, result := "never", "-"
					if r.LastSyncAt != nil {
						last = *r.LastSyncAt
					}
					if r.LastSyncStatus != nil {
						result = *r.LastSyncStatus
					}
					t.Rows = append(t.Rows, []string{r.Name, r.Status, last, result, stateSummary(r.Products), stateSummary(r.Plans), dash(r.LastError)})
				}
				return t
			})
		},
	}
}

func tally(c *stateCounts, published, hidden, placeholder bool) {
	c.Total++
	if published {
		c.Published++
	}
	if hidden {
		c.Hidden++
	}
	if placeholder {
		c.Placeholders++
	}
}

func stateSummary(c stateCounts) string {
	return fmt.Sprintf("%d (%d published, %d hidden, %d placeholders)", c.Total, c.Published, c.Hidden, c.Placeholders)
}
