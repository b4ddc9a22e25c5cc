// Package boltstore is the embedded backend of package store: tykportal's
// state in one bbolt file, a bucket per kind of record, a schema version with
// migrations, and a lock timeout so that a second process fails clearly
// instead of waiting forever.
//
// bbolt locks the file with flock per open file description, so one process
// must never open the same file twice at once: the second open would wait
// for the first. Commands open the file for one short use and close it.
package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tykportal/tykportal/pkg/store"
	berrors "go.etcd.io/bbolt/errors"
)

// meta is the bucket of the app marker and the schema version.
const meta = "meta"

// A file written before the operations and last_sync buckets existed gets
// them on its first write (Put and NextIDs create buckets), so it needs no
// schema change.
var allBuckets = append([]store.Kind{meta}, store.Kinds...)

// pageSize is the page size of a new state file.
const pageSize = 16 << 10

// SchemaVersion is the version this binary writes.
const SchemaVersion = 1

// Migration upgrades the file to version To. Migrations run in order, all in
// one write transaction, on a read-write open of an older file.
type Migration struct {
	To    int
	Apply func(*bolt.Tx) error
}

// migrations is the hook for future schema changes; version 1 needs none.
var migrations = []Migration{}

const (
	appKey     = "app"
	appName    = "tykportal"
	versionKey = "schema_version"
)

// Options control Open.
type Options struct {
	ReadOnly    bool
	LockTimeout time.Duration // 0: store.DefaultLockTimeout
}

// DB is an open state file.
type DB struct {
	bolt *bolt.DB
	path string
}

// DefaultPath is $XDG_STATE_HOME/tykportal/tykportal.db on Linux (default
// ~/.local/state), and the per-user app-data directory elsewhere. It reads
// the environment through getenv, so a test's environment is the one used.
func DefaultPath(getenv func(string) string) (string, error) {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
		if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, "tykportal", "tykportal.db"), nil
		}
		home := getenv("HOME")
		if home == "" {
			return "", errors.New("$HOME is not set")
		}
		return filepath.Join(home, ".local", "state", "tykportal", "tykportal.db"), nil
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "tykportal", "tykportal.db"), nil
		}
		return "", errors.New("%LocalAppData% is not set")
	case "darwin", "ios":
		home := getenv("HOME")
		if home == "" {
			return "", errors.New("$HOME is not set")
		}
		return filepath.Join(home, "Library", "Application Support", "tykportal", "tykportal.db"), nil
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "tykportal", "tykportal.db"), nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", errors.New("$HOME is not set")
	}
	return filepath.Join(home, ".config", "tykportal", "tykportal.db"), nil
}

// The bbolt file is a store.
var _ store.Store = (*DB)(nil)

// Open opens the state file at path. A read-write open creates it (and its
// directory, 0700) when missing; a read-only open of a missing file returns
// store.ErrNoState. A file that is not a tykportal state file is never modified.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = store.DefaultLockTimeout
	}
	fail := func(err error) (*DB, error) { return nil, fmt.Errorf("open state file %s: %w", path, err) }

	fi, statErr := os.Stat(path)
	exists := statErr == nil
	switch {
	case statErr != nil && !errors.Is(statErr, os.ErrNotExist):
		return fail(statErr)
	case !exists && opts.ReadOnly:
		return fail(store.ErrNoState)
	case exists && fi.IsDir():
		return fail(fmt.Errorf("%w: it is a directory", store.ErrCorrupt))
	case exists && fi.Size() == 0 && opts.ReadOnly:
		// Created by a process that has not written it yet, or left so
		// by one that died first: a new state, with nothing in it.
		return fail(fmt.Errorf("%w (the file is empty)", store.ErrNoState))
	case exists && fi.Size() > 0:
		if err := checkHeader(path, fi.Size()); err != nil {
			var de *DamagedError
			if errors.As(err, &de) {
				return nil, err
			}
			return fail(err)
		}
	case !exists:
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fail(err)
		}
	}
	if exists && !opts.ReadOnly && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return fail(err)
		}
	}

	// A new file gets 16 KB pages: bbolt writes each dirty page with its
	// own pwrite, and a first sync of 10,000 policies dirtied ~1,600 pages
	// of 4 KB (apply of 10,000 creates 6% faster). An existing file keeps
	// the page size it was created with.
	bopts := &bolt.Options{Timeout: opts.LockTimeout, ReadOnly: opts.ReadOnly, PageSize: pageSize}
	if runtime.GOOS != "windows" {
		// Reserve address space (not memory) so that a large sync's commit
		// does not remap the file as it grows: that remapping was most of the
		// commit time of 10,000 new records. Not on Windows, where bbolt
		// grows the file itself to the mapping's size.
		bopts.InitialMmapSize = 256 << 20
	}
	b, err := openGuarded(path, bopts)
	if err != nil {
		var de *DamagedError
		if errors.As(err, &de) {
			return nil, err
		}
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open state file %s: %w: close it or wait, e.g. stop `tykportal watch`", path, store.ErrLocked)
		}
		if errors.Is(err, berrors.ErrChecksum) {
			// The magic number is bbolt's (checkHeader), the header pages
			// no longer sum: a bbolt file damaged, not a foreign one.
			return nil, damaged(path, "its header pages fail their checksums")
		}
		if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrVersionMismatch) {
			return fail(fmt.Errorf("%w (left untouched)", store.ErrCorrupt))
		}
		return fail(err)
	}
	db := &DB{bolt: b, path: path}
	if exists && fi.Size() > 0 {
		if err := db.checkOpened(opts.ReadOnly); err != nil {
			b.Close()
			return nil, err
		}
	}
	if err := guard(path, func() error { return db.init(opts.ReadOnly, exists && fi.Size() > 0) }); err != nil {
		b.Close()
		var de *DamagedError
		if errors.As(err, &de) {
			return nil, err
		}
		return fail(err)
	}
	return db, nil
}

// openGuarded is bolt.Open under guard: a read-write open reads the
// freelist, a damaged one panics or faults. On a panic the file bbolt
// opened is closed here, which also drops its lock.
func openGuarded(path string, bopts *bolt.Options) (*bolt.DB, error) {
	var file *os.File
	bopts.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	var b *bolt.DB
	err := guard(path, func() error {
		var err error
		b, err = bolt.Open(path, 0o600, bopts)
		if err != nil && strings.Contains(err.Error(), "file size too small") {
			return damaged(path, "%v: cut off", err)
		}
		return err
	})
	if err != nil && b == nil && file != nil {
		var de *DamagedError
		if errors.As(err, &de) {
			file.Close()
		}
	}
	return b, err
}

// init checks the app marker and schema version, creating them in a brand
// new file and running migrations on a read-write open of an older one.
func (db *DB) init(readOnly, existed bool) error {
	var version int
	var marked bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		m := tx.Bucket([]byte(meta))
		if m == nil {
			return nil
		}
		marked = string(m.Get([]byte(appKey))) == appName
		if v := m.Get([]byte(versionKey)); len(v) == 8 {
			version = int(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !marked {
		empty := true
		_ = db.bolt.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		})
		if existed && !empty {
			return fmt.Errorf("%w (it has other data; left untouched)", store.ErrForeign)
		}
		if readOnly {
			// A new, empty file another process has just created: read as empty.
			return nil
		}
		return db.bolt.Update(func(tx *bolt.Tx) error {
			for _, name := range allBuckets {
				if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
					return err
				}
			}
			m := tx.Bucket([]byte(meta))
			if err := m.Put([]byte(appKey), []byte(appName)); err != nil {
				return err
			}
			return m.Put([]byte(versionKey), store.IDKey(SchemaVersion))
		})
	}
	switch {
	case version > SchemaVersion:
		return fmt.Errorf("%w (schema %d, this binary knows %d): upgrade tykportal", store.ErrNewerSchema, version, SchemaVersion)
	case version < SchemaVersion && readOnly:
		return fmt.Errorf("schema %d is older than %d: run any write command (e.g. `tykportal sync`) once to upgrade it", version, SchemaVersion)
	case version < SchemaVersion:
		return db.bolt.Update(func(tx *bolt.Tx) error { return migrate(tx, version) })
	}
	return nil
}

func migrate(tx *bolt.Tx, from int) error {
	for _, m := range migrations {
		if m.To <= from {
			continue
		}
		if err := m.Apply(tx); err != nil {
			return fmt.Errorf("migrate state file to schema %d: %w", m.To, err)
		}
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return err
		}
	}
	return tx.Bucket([]byte(meta)).Put([]byte(versionKey), store.IDKey(SchemaVersion))
}

// Path is the file's path.
func (db *DB) Path() string { return db.path }

// Location is the file's path, for messages.
func (db *DB) Location() string { return db.path }

// Close releases the file and its lock.
func (db *DB) Close() error { return db.bolt.Close() }

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return guard(db.path, func() error {
		return db.bolt.View(func(tx *bolt.Tx) error { return fn(&boltTx{tx: tx}) })
	})
}

// Update runs fn in one write transaction: all of it is committed, or none.
// The context is checked only before the transaction starts, so a
// cancellation never cuts a transaction in half.
func (db *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return guard(db.path, func() error {
		return db.bolt.Update(func(tx *bolt.Tx) error { return fn(&boltTx{tx: tx}) })
	})
}

// boltTx is a transaction; a kind is a bucket, created on its first write.
type boltTx struct{ tx *bolt.Tx }

// Revision is the id of the last commit the transaction sees: bbolt gives a
// read transaction that id and a write transaction that id plus one.
func (t *boltTx) Revision() (uint64, bool) {
	id := t.tx.ID()
	if t.tx.Writable() {
		id--
	}
	return uint64(id), true
}

func (t *boltTx) Writable() bool { return t.tx.Writable() }

func (t *boltTx) bucket(k store.Kind) *bolt.Bucket { return t.tx.Bucket([]byte(k)) }

func (t *boltTx) Get(k store.Kind, key []byte) ([]byte, error) {
	bk := t.bucket(k)
	if bk == nil {
		return nil, store.ErrNotFound
	}
	v := bk.Get(key)
	if v == nil {
		return nil, store.ErrNotFound
	}
	return v, nil
}

func (t *boltTx) Put(k store.Kind, key, value []byte) error {
	bk, err := t.tx.CreateBucketIfNotExists([]byte(k))
	if err != nil {
		return err
	}
	return bk.Put(key, value)
}

// PutMany fills the buckets' pages to 90% (bbolt's default of half-full
// pages suits random inserts): most bulk records are new, with ids from
// NextIDs, so they go to the end of their bucket and fewer pages are written.
func (t *boltTx) PutMany(recs []store.Raw) error {
	var bk *bolt.Bucket
	var name store.Kind
	var err error
	for _, r := range recs {
		if bk == nil || r.Kind != name {
			if bk, err = t.tx.CreateBucketIfNotExists([]byte(r.Kind)); err != nil {
				return err
			}
			name = r.Kind
			bk.FillPercent = bulkFillPercent
		}
		if err := bk.Put(r.Key, r.Value); err != nil {
			return err
		}
	}
	return nil
}

const bulkFillPercent = 0.9

func (t *boltTx) Delete(k store.Kind, key []byte) error {
	bk := t.bucket(k)
	if bk == nil {
		return nil
	}
	return bk.Delete(key)
}

func (t *boltTx) ForEach(k store.Kind, fn func(key, value []byte) error) error {
	bk := t.bucket(k)
	if bk == nil {
		return nil
	}
	return bk.ForEach(fn)
}

// NextIDs reserves n sequence numbers in one bucket lookup (a first sync
// creates 10,000 records).
func (t *boltTx) NextIDs(k store.Kind, n int) (uint64, error) {
	if n < 1 {
		return 0, fmt.Errorf("reserve %d ids of %s: need at least one", n, k)
	}
	bk, err := t.tx.CreateBucketIfNotExists([]byte(k))
	if err != nil {
		return 0, err
	}
	first := bk.Sequence() + 1
	return first, bk.SetSequence(bk.Sequence() + uint64(n))
}

func (t *boltTx) Sequence(k store.Kind) (uint64, error) {
	bk := t.bucket(k)
	if bk == nil {
		return 0, nil
	}
	return bk.Sequence(), nil
}

func (t *boltTx) SetSequence(k store.Kind, v uint64) error {
	bk, err := t.tx.CreateBucketIfNotExists([]byte(k))
	if err != nil {
		return err
	}
	return bk.SetSequence(v)
}

func (t *boltTx) Count(k store.Kind) (int, error) {
	bk := t.bucket(k)
	if bk == nil {
		return 0, nil
	}
	return bk.Stats().KeyN, nil
}
