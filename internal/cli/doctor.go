package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/doctor"
	"github.com/tykportal/tykportal/pkg/output"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// doctorReport is doctor's JSON document.
type doctorReport struct {
	Operations []doctor.Finding `json:"operations"`
	Orphans    int              `json:"orphans"`    // objects in the Dashboard without a local record, not repaired
	Unverified int              `json:"unverified"` // operations the Dashboard could not be asked about
	Repaired   int              `json:"repaired"`   // orphans deleted by --repair
	Cleared    int              `json:"cleared"`    // operations removed from the journal by --repair
}

func (a *App) doctorCommand() *cobra.Command {
	var providerName string
	var repair bool
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "doctor [--provider NAME] [--repair]",
		Short: "Find Dashboard objects left without a local record by an interrupted create",
		Long: `Every create that writes to a Dashboard (products create, plans create,
credentials issue and rotate) is journaled in the state file before the
request goes out and marks its object's meta_data with tykportal_operation.
A command killed or cut off between the Dashboard's answer and the local
write leaves its operation in the journal; doctor asks the Dashboard about
each one: orphan (the object exists and nothing local refers to it), absent
(it was never created), adopted (a sync has imported it since) or unverified.

--repair deletes orphans from the Dashboard (nobody received their key or
secret) and clears every settled operation from the journal; an absent
object's operation only once it is older than --grace, since a request of a
killed process may still be on its way.
Exit 1 while an orphan or an unverified operation remains.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if grace < 0 {
				return usageErrorf("--grace must not be negative")
			}
			if providerName != "" {
				if _, err := a.getProvider(ctx, providerName); err != nil {
					return err
				}
			}
			var ops []catalog.Operation
			err := a.view(ctx, func(tx store.Tx) error {
				var err error
				ops, err = repo.ListOperations(tx, providerName)
				return err
			})
			if err != nil && !isNoState(err) {
				return err
			}
			report := doctorReport{Operations: []doctor.Finding{}}
			if len(ops) == 0 {
				a.info("No interrupted operations: every Dashboard object tykportal created has its local record.")
			}
			for _, group := range byProvider(ops) {
				report.Operations = append(report.Operations, a.examine(ctx, group, repair)...)
			}
			if repair {
				if err := a.clearSettled(ctx, &report, grace); err != nil {
					return err
				}
			}
			for _, f := range report.Operations {
				switch {
				case f.Repaired:
					report.Repaired++
				case f.State == doctor.Orphan:
					report.Orphans++
				case f.State == doctor.Unverified:
					report.Unverified++
				}
			}
			if err := a.printer().Print(report, func() output.Table { return doctorTable(report) }); err != nil {
				return err
			}
			return doctorOutcome(report, repair)
		},
	}
	cmd.Flags().StringVar(&providerName, "provider", "", "only this provider's operations")
	cmd.Flags().BoolVar(&repair, "repair", false, "delete orphans from the Dashboard and clear settled operations")
	cmd.Flags().DurationVar(&grace, "grace", doctor.DefaultGrace, "with --repair: clear an operation whose object is absent only when it is older than this")
	return cmd
}

func byProvider(ops []catalog.Operation) [][]catalog.Operation {
	var out [][]catalog.Operation
	index := map[string]int{}
	for _, op := range ops {
		i, ok := index[op.Provider]
		if !ok {
			i = len(out)
			index[op.Provider] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], op)
	}
	return out
}

// examine checks one provider's operations, repairing orphans when asked.
func (a *App) examine(ctx context.Context, ops []catalog.Operation, repair bool) []doctor.Finding {
	all := func(state doctor.State, detail string) []doctor.Finding {
		out := make([]doctor.Finding, 0, len(ops))
		for _, op := range ops {
			out = append(out, doctor.Finding{Operation: op, State: state, Detail: detail})
		}
		return out
	}
	p, c, err := a.providerAndClient(ctx, ops[0].Provider)
	if err != nil {
		return all(doctor.Unverified, err.Error())
	}
	var known doctor.Known
	err = a.view(ctx, func(tx store.Tx) error {
		var err error
		known, err = doctor.KnownFrom(tx, p.Name)
		return err
	})
	if err != nil {
		return all(doctor.Unverified, fmt.Sprintf("read the local records: %v", err))
	}
	findings := doctor.Check(ctx, c, p.OrgID, ops, known)
	if repair {
		for i := range findings {
			if err := doctor.Repair(ctx, c, &findings[i]); err != nil {
				findings[i].Detail = fmt.Sprintf("repair failed: %v", err)
			}
		}
	}
	return findings
}

// clearSettled removes settled operations from the journal in one
// transaction.
func (a *App) clearSettled(ctx context.Context, report *doctorReport, grace time.Duration) error {
	var settled []uint64
	now := a.Now()
	for i, f := range report.Operations {
		switch {
		case f.Settled(now, grace):
			settled = append(settled, f.Operation.ID)
		case f.State == doctor.Absent:
			report.Operations[i].Detail = fmt.Sprintf("started %s ago; kept until it is older than --grace %s, in case its request is still on its way",
				now.Sub(f.Operation.StartedAt).Round(time.Second), grace)
		}
	}
	if len(settled) == 0 {
		return nil
	}
	err := a.update(ctx, func(tx store.Tx) error {
		for _, id := range settled {
			if err := repo.FinishOperation(tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("clear settled operations: %w", err)
	}
	report.Cleared = len(settled)
	return nil
}

func doctorTable(r doctorReport) output.Table {
	t := output.Table{Header: []string{"op", "provider", "command", "object", "name", "state", "object id", "started", "detail"}}
	for _, f := range r.Operations {
		state := string(f.State)
		if f.Repaired {
			state += " (deleted)"
		}
		op := f.Operation
		t.Rows = append(t.Rows, []string{
			fmt.Sprint(op.ID), op.Provider, op.Command, op.Object, op.Name, state, dash(f.ObjectID),
			op.StartedAt.Local().Format(time.DateTime), dash(f.Detail),
		})
	}
	return t
}

// doctorOutcome turns what is left into the exit status: 0 when every
// interrupted operation is settled or harmless, 1 while an orphan or an
// unverified operation needs the admin.
func doctorOutcome(r doctorReport, repaired bool) error {
	if len(r.Operations) == 0 {
		return nil
	}
	var need []string
	if r.Orphans > 0 {
		hint := "run `tykportal doctor --repair` to delete them"
		if repaired {
			hint = "see the detail column"
		}
		need = append(need, fmt.Sprintf("%d Dashboard object(s) without a local record (%s)", r.Orphans, hint))
	}
	if r.Unverified > 0 {
		// Name each distinct cause once, with its provider.
		var causes []string
		seen := map[string]bool{}
		for _, f := range r.Operations {
			cause := fmt.Sprintf("provider %q: %s", f.Operation.Provider, f.Detail)
			if f.State == doctor.Unverified && !f.Repaired && !seen[cause] {
				seen[cause] = true
				causes = append(causes, cause)
			}
		}
		need = append(need, fmt.Sprintf("%d operation(s) could not be checked (%s)", r.Unverified, strings.Join(causes, "; ")))
	}
	if len(need) > 0 {
		return fmt.Errorf("%s", strings.Join(need, "; "))
	}
	return nil
}
