package boltstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/tykportal/tykportal/pkg/store"
)

// ErrMismatch: a backup does not hold what its source held.
var ErrMismatch = errors.New("the backup does not match the state file")

// BackupReport is what Backup wrote.
type BackupReport struct {
	File    string          `json:"file"`
	Bytes   int64           `json:"bytes"`
	Records []store.Summary `json:"records"`
}

// Backup writes a consistent copy of the state file to dst: bbolt's copy
// of every page as one read transaction sees it (so a write committed
// meanwhile is in it whole or not at all), into a temporary file beside
// dst, mode 0600, synced. The copy is then opened and checked like any
// state file (bbolt's consistency check included) and summed kind by kind
// against the source's records in the copying transaction; only then is
// it renamed to dst, replacing a file there. A damaged source is a
// *DamagedError and nothing is written. The caller decides whether dst may
// be replaced.
func (db *DB) Backup(ctx context.Context, dst string) (BackupReport, error) {
	rep := BackupReport{File: dst}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return rep, fmt.Errorf("write the backup: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return rep, fmt.Errorf("write the backup: %w", err)
	}
	var source []store.Summary
	err = guard(db.path, func() error {
		return db.bolt.View(func(tx *bolt.Tx) error {
			var err error
			if source, err = store.SummarizeTx(&boltTx{tx: tx}); err != nil {
				return err
			}
			rep.Bytes, err = tx.WriteTo(tmp)
			return err
		})
	})
	if err != nil {
		return rep, fmt.Errorf("back up %s: %w", db.path, err)
	}
	if err := tmp.Sync(); err != nil {
		return rep, fmt.Errorf("write the backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return rep, fmt.Errorf("write the backup: %w", err)
	}
	if rep.Records, err = verifyBackup(ctx, tmp.Name()); err != nil {
		return rep, fmt.Errorf("check the backup: %w", err)
	}
	if !slices.Equal(rep.Records, source) {
		return rep, fmt.Errorf("%w (its records differ from those copied)", ErrMismatch)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return rep, fmt.Errorf("write the backup: %w", err)
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return rep, nil
}

// verifyBackup opens a written backup as a state file (read-only: the
// checks of every open) and runs bbolt's consistency check on it, then sums
// its records.
func verifyBackup(ctx context.Context, path string) ([]store.Summary, error) {
	b, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := b.checkOpened(false); err != nil {
		return nil, err
	}
	return store.Summarize(ctx, b)
}
