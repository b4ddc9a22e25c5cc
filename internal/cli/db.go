package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/output"
	"github.com/tykportal/tykportal/pkg/store"
)

func (a *App) dbCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the state backend: schema migrations, copies between backends",
	}
	cmd.AddCommand(newDBMigrateCmd(a), newDBCopyCmd(a, nil))
	return cmd
}

func newDBMigrateCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending schema migrations to the state (--db / TYKPORTAL_DB)",
		Long: `migrate brings the state's schema up to this tykportal's. A PostgreSQL database gets
its tables on the first run and every later schema change only through this command,
never as a side effect of another one; a bbolt file upgrades itself on any write.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			location, err := a.dbPath()
			if err != nil {
				return err
			}
			res, err := portal.Migrate(cmd.Context(), a.openStore, location)
			if err != nil {
				return err
			}
			if res.From == res.To {
				a.info("The %s state %s is at schema %d: nothing to migrate.", res.Backend, res.Location, res.To)
			} else {
				a.info("Migrated the %s state %s from schema %d to %d.", res.Backend, res.Location, res.From, res.To)
			}
			return a.printer().Print(res, func() output.Table {
				return output.Table{KeyValue: true, Rows: [][]string{{"Location", res.Location}, {"Backend", res.Backend},
					{"Schema before", fmt.Sprint(res.From)}, {"Schema now", fmt.Sprint(res.To)}}}
			})
		},
	}
}

// dbCopyOptions are `db copy`'s flags.
type dbCopyOptions struct {
	from, to string
	force    bool
}

func newDBCopyCmd(a *App, runF func(context.Context, *dbCopyOptions) error) *cobra.Command {
	opts := &dbCopyOptions{}
	cmd := &cobra.Command{
		Use:   "copy --from SRC --to DST [--force]",
		Short: "Copy the whole catalogue between backends (bbolt file or postgres:// URL), verified",
		Long: `copy reads the whole state of --from in one transaction and writes it to --to in one
transaction, sequences included, then checks kind by kind that the copy holds the same
records (counts, sequences, checksums of each record's canonical JSON). A destination that
holds records is refused unless --force, which replaces them. Secrets are not in the state
and are not copied: each host keeps its own.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.from == "" || opts.to == "" {
				return usageErrorf("--from and --to are required: a state file path or a postgres:// URL each")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			rep, err := portal.CopyState(cmd.Context(), a.openStore, opts.from, opts.to, opts.force)
			if err != nil {
				return err
			}
			a.info("Copied %d records from %s to %s; verified.", records(rep.Copied), rep.From, rep.To)
			return a.printer().Print(rep, func() output.Table {
				t := output.Table{Header: []string{"kind", "records", "sequence", "checksum"}}
				for _, s := range rep.Copied {
					t.Rows = append(t.Rows, []string{string(s.Kind), fmt.Sprint(s.Records), fmt.Sprint(s.Sequence), s.Checksum[:16]})
				}
				return t
			})
		},
	}
	cmd.Flags().StringVar(&opts.from, "from", "", "the state to copy: a bbolt file or a postgres:// URL")
	cmd.Flags().StringVar(&opts.to, "to", "", "where to copy it: a bbolt file or a postgres:// URL (migrated first)")
	cmd.Flags().BoolVar(&opts.force, "force", false, "replace the destination's catalogue")
	return cmd
}

func records(s []store.Summary) int {
	n := 0
	for _, k := range s {
		n += k.Records
	}
	return n
}
