package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/output"
)

func (a *App) statusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show every provider's status, last sync and catalogue counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rows, err := a.service().Status(cmd.Context())
			if err != nil {
				return err
			}
			return a.printList(rows, len(rows), providersHint, func() output.Table { return statusTable(rows) })
		},
	}
}

func statusTable(rows []portal.StatusRow) output.Table {
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
}

func stateSummary(c portal.StateCounts) string {
	return fmt.Sprintf("%d (%d published, %d hidden, %s)", c.Total, c.Published, c.Hidden, plural(c.Placeholders, "placeholder", "placeholders"))
}
