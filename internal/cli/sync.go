package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/output"
	"github.com/tykportal/tykportal/pkg/progress"
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
reported failed at once, naming the instance that syncs it.

On a terminal, a sync that runs longer than a second shows each provider's stage on
stderr (fetching, N policies decoded, writing); never on a pipe, with -q or -o json.
--dry-run lists each change it would make (updates with their fields, old → new) and
the skipped policies with their reasons.

` + countsLegend,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.LeaseWait < 0 {
				return usageErrorf("--wait must not be negative")
			}
			if noWait {
				opts.LeaseWait = 0
			}
			var results []catalog.SyncResult
			err := a.withProgress(use, func(r progress.Reporter) error {
				opts.Progress = r
				var err error
				results, err = a.service().Sync(cmd.Context(), args, opts)
				return err
			})
			if err != nil {
				return err
			}
			if err := a.printSyncResults(results); err != nil {
				return err
			}
			if len(results) == 0 && a.format == output.FormatTable {
				a.info("%s", providersHint)
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
	// A person at a terminal reads words; a table on a pipe or in a log
	// keeps the compact form the help explains.
	count := counts
	if a.IO.OutTTY {
		count = countWords
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
				count(r.Products), count(r.Plans),
				fmt.Sprint(len(r.Skipped)), fmt.Sprintf("%dms", r.DurationMS), dash(r.Error),
			})
		}
		return t
	})
	if err != nil || a.format != output.FormatTable {
		return err
	}
	for _, r := range results {
		if r.DryRun && r.Status == catalog.SyncOK {
			fmt.Fprint(a.IO.Out, changeList(r))
		}
	}
	return nil
}

// countsLegend explains the compact change counts, for the help texts.
const countsLegend = `Change counts (sync's table on stdout, watch's lines on stderr) are compact where that
stream is not a terminal: +created ~updated -hidden ^restored =unchanged, e.g.
"+2 ~1 -0 ^0 =40". On a terminal they are words: "2 created, 1 updated, 40 unchanged".`

// counts renders change counts compactly: +created ~updated -hidden ^restored =unchanged.
func counts(c catalog.ChangeCounts) string {
	return fmt.Sprintf("+%d ~%d -%d ^%d =%d", c.Created, c.Updated, c.Hidden, c.Restored, c.Unchanged)
}

// countWords renders change counts in words, leaving out the zeros.
func countWords(c catalog.ChangeCounts) string {
	var parts []string
	for _, p := range []struct {
		n    int
		word string
	}{{c.Created, "created"}, {c.Updated, "updated"}, {c.Hidden, "hidden"}, {c.Restored, "restored"}, {c.Unchanged, "unchanged"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.word))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// changeList is what a dry run would do to one provider, a change a line
// (updates with each field's old and new value), then the skipped policies
// with their reasons.
func changeList(r catalog.SyncResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s: %s\n", output.Sanitize(r.Provider), plural(len(r.Changes), "change", "changes"))
	for _, c := range r.Changes {
		fmt.Fprintf(&b, "  %-8s %-8s %s", c.Action, c.Kind, output.Sanitize(strconv.Quote(c.Name)))
		for i, f := range c.Fields {
			sep := ": "
			if i > 0 {
				sep = ", "
			}
			fmt.Fprintf(&b, "%s%s %s → %s", sep, f.Field, fieldValue(f.Old), fieldValue(f.New))
		}
		b.WriteByte('\n')
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, "  skipped %s:\n", plural(len(r.Skipped), "policy", "policies"))
		for _, s := range r.Skipped {
			fmt.Fprintf(&b, "    %s (%s)\n", output.Sanitize(strconv.Quote(s.Name)), s.Reason)
		}
	}
	return b.String()
}

// fieldValue writes a field's value as a person reads it: a list as
// [a, b], a string quoted, -1 as unlimited, a number as it is.
func fieldValue(v any) string {
	switch x := v.(type) {
	case []string:
		return "[" + output.Sanitize(strings.Join(x, ", ")) + "]"
	case string:
		return output.Sanitize(strconv.Quote(x))
	case float64:
		if x == -1 {
			return "unlimited"
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		if x == -1 {
			return "unlimited"
		}
		return strconv.FormatInt(x, 10)
	}
	return output.Sanitize(fmt.Sprint(v))
}

func syncSummary(r catalog.SyncResult) string {
	s := fmt.Sprintf("%s at %s: products %s, plans %s", r.Status, r.StartedAt.UTC().Format("2006-01-02T15:04:05Z"), countWords(r.Products), countWords(r.Plans))
	if r.Error != "" {
		s += ": " + r.Error
	}
	return s
}
