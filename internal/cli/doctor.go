package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/doctor"
	"github.com/tykportal/tykportal/pkg/output"
)

func (a *App) doctorCommand() *cobra.Command { return newDoctorCmd(a, nil) }

func newDoctorCmd(a *App, runF func(context.Context, portal.DoctorOptions) error) *cobra.Command {
	var opts portal.DoctorOptions
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
			if opts.Grace < 0 {
				return usageErrorf("--grace must not be negative")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			report, err := a.service().Doctor(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if len(report.Operations) == 0 {
				a.info("No interrupted operations: every Dashboard object tykportal created has its local record.")
			}
			if err := a.printer().Print(report, func() output.Table { return doctorTable(report) }); err != nil {
				return err
			}
			return report.Err()
		},
	}
	cmd.Flags().StringVar(&opts.Provider, "provider", "", "only this provider's operations")
	cmd.Flags().BoolVar(&opts.Repair, "repair", false, "delete orphans from the Dashboard and clear settled operations")
	cmd.Flags().DurationVar(&opts.Grace, "grace", doctor.DefaultGrace, "with --repair: clear an operation whose object is absent only when it is older than this")
	return cmd
}

func doctorTable(r portal.DoctorReport) output.Table {
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
