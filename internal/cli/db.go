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
		Short: "Manage the state backend: schema migrations, copies between backends, backups",
	}
	cmd.AddCommand(newDBMigrateCmd(a), newDBCopyCmd(a, nil), newDBBackupCmd(a))
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

func newDBBackupCmd(a *App) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "backup FILE [--force]",
		Short: "Write a verified, consistent copy of the state to FILE (a bbolt file)",
		Long: `backup copies the state (--db / TYKPORTAL_DB) to FILE as one read transaction sees it, so
a write committed meanwhile is in the copy whole or not at all (on a bbolt file, reading
commands run meanwhile and a writing one waits for the copy, as for any reader). The copy is written beside FILE, synced, opened and checked (bbolt's consistency
check, and every kind's records summed against the source's), and only then renamed to FILE.
A damaged state file is refused and nothing is written.

A bbolt state file is copied page for page: restore it with cp FILE STATE_FILE while no
tykportal runs. A PostgreSQL catalogue is exported into a new bbolt file, as db copy does:
restore it with tykportal db copy --from FILE --to URL --force (pg_dump stays the database's
own backup). An existing FILE is replaced only with --force; the state file itself never.
Secrets are not in the state and are not in the backup.`,
		Example: `  tykportal db backup ~/backups/tykportal-$(date +%F).db`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			location, err := a.dbPath()
			if err != nil {
				return err
			}
			res, err := portal.Backup(cmd.Context(), a.openStore, location, args[0], force)
			if err != nil {
				return err
			}
			a.info("Backed up the %s state %s to %s (%d records, %d bytes); verified. Restore it with: %s",
				res.Backend, res.Location, res.File, records(res.Records), res.Bytes, res.Restore)
			return a.printer().Print(res, func() output.Table {
				t := output.Table{Header: []string{"kind", "records", "sequence", "checksum"}}
				for _, s := range res.Records {
					t.Rows = append(t.Rows, []string{string(s.Kind), fmt.Sprint(s.Records), fmt.Sprint(s.Sequence), s.Checksum[:16]})
				}
				return t
			})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing FILE")
	return cmd
}
