package portal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/pgstore"
)

// Locations open state backends other than the configured one, by
// location (a bbolt path or a PostgreSQL URL): `db copy` reads one and
// writes another.
type Locations func(ctx context.Context, location string, readOnly bool) (store.Store, error)

// MigrateResult is what `db migrate` did.
type MigrateResult struct {
	Location string `json:"location"`
	Backend  string `json:"backend"` // "postgres" or "bbolt"
	From     int    `json:"from"`
	To       int    `json:"to"`
}

// Migrate brings the schema of the state at location up to this binary's.
// A PostgreSQL schema moves only through here; a bbolt file upgrades itself
// on any write, so for one this opens it for writing once.
func Migrate(ctx context.Context, open Locations, location string) (MigrateResult, error) {
	if pgstore.IsURL(location) {
		from, to, err := pgstore.Migrate(ctx, location)
		return MigrateResult{Location: pgstore.Redact(location), Backend: "postgres", From: from, To: to}, err
	}
	st, err := open(ctx, location, false)
	if err != nil {
		return MigrateResult{}, err
	}
	defer st.Close()
	return MigrateResult{Location: st.Location(), Backend: "bbolt", From: boltSchema, To: boltSchema}, nil
}

// boltSchema is the bbolt file's schema, which its open has migrated to.
const boltSchema = 1

var errInvalidCopy = catalog.ErrInvalid

// CopyState copies the whole catalogue from one backend to another and
// verifies it (see store.Copy). The two must be different places.
func CopyState(ctx context.Context, open Locations, from, to string, force bool) (store.CopyReport, error) {
	if from == to {
		return store.CopyReport{}, fmt.Errorf("%w: --from and --to are the same place", errInvalidCopy)
	}
	src, err := open(ctx, from, true)
	if err != nil {
		return store.CopyReport{}, fmt.Errorf("open the source: %w", err)
	}
	defer src.Close()
	if pgstore.IsURL(to) {
		// A copy is how a team moves onto a new database: give it the
		// schema first, as `db migrate` would.
		if _, _, err := pgstore.Migrate(ctx, to); err != nil {
			return store.CopyReport{}, fmt.Errorf("prepare the destination: %w", err)
		}
	}
	dst, err := open(ctx, to, false)
	if err != nil {
		return store.CopyReport{}, fmt.Errorf("open the destination: %w", err)
	}
	defer dst.Close()
	return store.Copy(ctx, src, dst, force)
}

// BackupResult is what `db backup` wrote.
type BackupResult struct {
	Location string          `json:"location"` // the state backed up
	Backend  string          `json:"backend"`  // "bbolt" or "postgres"
	File     string          `json:"file"`     // the backup, a bbolt file
	Bytes    int64           `json:"bytes"`
	Records  []store.Summary `json:"records"`
	// Restore is the command that puts the backup back.
	Restore string `json:"restore"`
}

// Backup writes a verified, consistent copy of the state at location to
// file, a bbolt file either way. A bbolt state is copied page for page in
// one read transaction (boltstore's Backup); restore it by copying the file
// back while no tykportal runs. A PostgreSQL catalogue is exported into a
// new bbolt file as `db copy` would (one repeatable-read transaction,
// checked kind by kind): restore it with `db copy --from FILE --to URL
// --force`. pg_dump remains the database's own backup, of more than
// tykportal's tables. file may replace an existing file only with force,
// and is never the state file itself.
func Backup(ctx context.Context, open Locations, location, file string, force bool) (BackupResult, error) {
	res := BackupResult{File: file}
	if file == "" {
		return res, catalog.Errorf(catalog.CodeInvalid, "db backup needs the FILE to write, e.g. tykportal db backup ~/tykportal-$(date +%%F).db")
	}
	if pgstore.IsURL(file) {
		return res, catalog.Errorf(catalog.CodeInvalid, "db backup writes a file, not a database: to copy into PostgreSQL use `tykportal db copy --from %s --to URL`", location)
	}
	if fi, err := os.Stat(file); err == nil {
		if !pgstore.IsURL(location) {
			if sfi, err := os.Stat(location); err == nil && os.SameFile(fi, sfi) {
				return res, catalog.Errorf(catalog.CodeInvalid, "%s is the state file itself; give the backup another path", file)
			}
		}
		switch {
		case fi.IsDir():
			return res, catalog.Errorf(catalog.CodeInvalid, "%s is a directory; give the backup's file name, e.g. %s", file, filepath.Join(file, "tykportal-backup.db"))
		case !force:
			return res, catalog.Errorf(catalog.CodeInvalid, "%s exists; pass --force to replace it, or give a new path", file)
		}
	}
	if pgstore.IsURL(location) {
		return backupPostgres(ctx, open, location, file)
	}
	st, err := open(ctx, location, true)
	if err != nil {
		return res, err
	}
	defer st.Close()
	db, ok := st.(*boltstore.DB)
	if !ok {
		return res, fmt.Errorf("back up %s: not a bbolt state file", st.Location())
	}
	rep, err := db.Backup(ctx, file)
	res = BackupResult{Location: db.Location(), Backend: "bbolt", File: file, Bytes: rep.Bytes, Records: rep.Records,
		Restore: fmt.Sprintf("cp %s %s", file, db.Location())}
	return res, err
}

// backupPostgres exports the catalogue into a new bbolt file beside file,
// checked, then renamed to file.
func backupPostgres(ctx context.Context, open Locations, location, file string) (BackupResult, error) {
	res := BackupResult{Location: pgstore.Redact(location), Backend: "postgres", File: file,
		Restore: fmt.Sprintf("tykportal db copy --from %s --to %s --force", file, pgstore.Redact(location))}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-*")
	if err != nil {
		return res, fmt.Errorf("write the backup: %w", err)
	}
	tmp.Close()
	renamed := false
	defer func() {
		if !renamed {
			os.Remove(tmp.Name())
		}
	}()
	// An empty file is a new state to bbolt: the copy fills it.
	rep, err := CopyState(ctx, open, location, tmp.Name(), false)
	if err != nil {
		return res, err
	}
	res.Records = rep.Copied
	if err := os.Rename(tmp.Name(), file); err != nil {
		return res, fmt.Errorf("write the backup: %w", err)
	}
	renamed = true
	if fi, err := os.Stat(file); err == nil {
		res.Bytes = fi.Size()
	}
	return res, nil
}
