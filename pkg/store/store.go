// Package store keeps tykportal's state in one bbolt file: a bucket per
// entity, a schema version with migrations, and a lock timeout so that a
// second process fails clearly instead of waiting forever.
//
// bbolt locks the file with flock per open file description, so one process
// must never open the same file twice at once: the second open would wait
// for the first. Commands open the file for one short use and close it.
package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tykportal/tykportal/internal/parallel"
	berrors "go.etcd.io/bbolt/errors"
)

// Bucket names one entity's bucket.
type Bucket string

// The buckets. Providers are keyed by name; products, plans, credentials
// and sync history by IDKey(id).
const (
	Providers   Bucket = "providers"
	Products    Bucket = "products"
	Plans       Bucket = "plans"
	Credentials Bucket = "credentials"
	SyncHistory Bucket = "sync_history"
	Meta        Bucket = "meta"
	// Operations journals Dashboard writes that create an object: a record
	// is committed before the call and removed with the object's own local
	// record, so a crash in between leaves evidence for `doctor`.
	Operations Bucket = "operations"
	// LastSyncs maps a provider name to the sync history key of its last
	// result; the provider record keeps that result without its (long)
	// lists, since nearly every command reads provider records.
	LastSyncs Bucket = "last_sync"
)

// A file written before the operations and last_sync buckets existed gets
// them on its first write (PutRaw and NextID create buckets), so it needs no
// schema change.
var allBuckets = []Bucket{Providers, Products, Plans, Credentials, SyncHistory, Meta, Operations, LastSyncs}

// Errors of opening and reading the state file.
var (
	ErrLocked      = errors.New("the state file is in use by another tykportal process")
	ErrNoState     = errors.New("the state file does not exist yet")
	ErrNotFound    = errors.New("record not found")
	ErrForeign     = errors.New("not a tykportal state file")
	ErrCorrupt     = errors.New("the state file is damaged or not a bbolt database")
	ErrNewerSchema = errors.New("the state file was written by a newer tykportal")
)

// pageSize is the page size of a new state file.
const pageSize = 16 << 10

// DefaultLockTimeout is how long Open waits for another process.
const DefaultLockTimeout = 3 * time.Second

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
	LockTimeout time.Duration // 0: DefaultLockTimeout
}

// DB is an open state file.
type DB struct {
	bolt *bolt.DB
	path string
}

// DefaultPath is $XDG_STATE_HOME/tykportal/tykportal.db on Linux (default
// ~/.local/state), and the per-user app-data directory elsewhere.
func DefaultPath() (string, error) {
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" || runtime.GOOS == "openbsd" || runtime.GOOS == "netbsd" {
		if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, "tykportal", "tykportal.db"), nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, ".local", "state", "tykportal", "tykportal.db"), nil
	}
	if runtime.GOOS == "windows" {
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "tykportal", "tykportal.db"), nil
		}
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "tykportal", "tykportal.db"), nil
}

// Open opens the state file at path. A read-write open creates it (and its
// directory, 0700) when missing; a read-only open of a missing file returns
// ErrNoState. A file that is not a tykportal state file is never modified.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	fail := func(err error) (*DB, error) { return nil, fmt.Errorf("open state file %s: %w", path, err) }

	fi, statErr := os.Stat(path)
	exists := statErr == nil
	switch {
	case statErr != nil && !errors.Is(statErr, os.ErrNotExist):
		return fail(statErr)
	case !exists && opts.ReadOnly:
		return fail(ErrNoState)
	case exists && fi.IsDir():
		return fail(fmt.Errorf("%w: it is a directory", ErrCorrupt))
	case exists && fi.Size() > 0:
		if err := checkHeader(path); err != nil {
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
	b, err := bolt.Open(path, 0o600, bopts)
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open state file %s: %w: close it or wait, e.g. stop `tykportal watch`", path, ErrLocked)
		}
		if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) || errors.Is(err, berrors.ErrVersionMismatch) {
			return fail(fmt.Errorf("%w (left untouched)", ErrCorrupt))
		}
		return fail(err)
	}
	db := &DB{bolt: b, path: path}
	if err := db.init(opts.ReadOnly, exists && fi.Size() > 0); err != nil {
		b.Close()
		return fail(err)
	}
	return db, nil
}

// checkHeader refuses files that are not bbolt at all before bbolt sees them.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// A bbolt meta page holds the magic 0xED0CDAED after the page header (16 bytes).
	buf := make([]byte, 24)
	if _, err := io.ReadFull(f, buf); err != nil {
		return fmt.Errorf("%w (left untouched)", ErrCorrupt)
	}
	if binary.LittleEndian.Uint32(buf[16:20]) != 0xED0CDAED {
		return fmt.Errorf("%w (left untouched)", ErrCorrupt)
	}
	return nil
}

// init checks the app marker and schema version, creating them in a brand
// new file and running migrations on a read-write open of an older one.
func (db *DB) init(readOnly, existed bool) error {
	var version int
	var marked bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		m := tx.Bucket([]byte(Meta))
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
			return fmt.Errorf("%w (it has other data; left untouched)", ErrForeign)
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
			m := tx.Bucket([]byte(Meta))
			if err := m.Put([]byte(appKey), []byte(appName)); err != nil {
				return err
			}
			return m.Put([]byte(versionKey), IDKey(SchemaVersion))
		})
	}
	switch {
	case version > SchemaVersion:
		return fmt.Errorf("%w (schema %d, this binary knows %d): upgrade tykportal", ErrNewerSchema, version, SchemaVersion)
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
	return tx.Bucket([]byte(Meta)).Put([]byte(versionKey), IDKey(SchemaVersion))
}

// Path is the file's path.
func (db *DB) Path() string { return db.path }

// Close releases the file and its lock.
func (db *DB) Close() error { return db.bolt.Close() }

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// Update runs fn in one write transaction: all of it is committed, or none.
// The context is checked only before the transaction starts, so a
// cancellation never cuts a transaction in half.
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.Update(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// Tx is a transaction.
type Tx struct{ tx *bolt.Tx }

// ID is bbolt's transaction id: a read transaction has the id of the last
// commit it sees, a write transaction that id plus one.
func (t *Tx) ID() int { return t.tx.ID() }

// Writable reports whether the transaction may write.
func (t *Tx) Writable() bool { return t.tx.Writable() }

func (t *Tx) bucket(b Bucket) *bolt.Bucket { return t.tx.Bucket([]byte(b)) }

// lookup returns a value, valid until the transaction ends.
func (t *Tx) lookup(b Bucket, key []byte) ([]byte, error) {
	bk := t.bucket(b)
	if bk == nil {
		return nil, ErrNotFound
	}
	v := bk.Get(key)
	if v == nil {
		return nil, ErrNotFound
	}
	return v, nil
}

// GetRaw returns a copy of a value.
func (t *Tx) GetRaw(b Bucket, key []byte) ([]byte, error) {
	v, err := t.lookup(b, key)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(v), nil
}

// Get decodes a JSON value into v.
func (t *Tx) Get(b Bucket, key []byte, v any) error {
	raw, err := t.lookup(b, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode %s record: %w", b, err)
	}
	return nil
}

// JSONAppender is a record with a hand-written encoder that appends
// exactly the bytes json.Marshal would write; Put and PutRecords use it
// instead of reflection.
type JSONAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// encode appends v's JSON to b.
func encode(b []byte, v any) ([]byte, error) {
	if a, ok := v.(JSONAppender); ok {
		return a.AppendJSON(b)
	}
	raw, err := json.Marshal(v)
	return append(b, raw...), err
}

// Put stores v as JSON.
func (t *Tx) Put(b Bucket, key []byte, v any) error {
	raw, err := encode(nil, v)
	if err != nil {
		return fmt.Errorf("encode %s record: %w", b, err)
	}
	return t.PutRaw(b, key, raw)
}

// PutRaw stores bytes as they are.
func (t *Tx) PutRaw(b Bucket, key, value []byte) error {
	bk, err := t.tx.CreateBucketIfNotExists([]byte(b))
	if err != nil {
		return err
	}
	return bk.Put(key, value)
}

// Delete removes a key; a missing key is not an error.
func (t *Tx) Delete(b Bucket, key []byte) error {
	bk := t.bucket(b)
	if bk == nil {
		return nil
	}
	return bk.Delete(key)
}

// ForEach calls fn for every key in order. Values are valid only inside fn.
func (t *Tx) ForEach(b Bucket, fn func(key, value []byte) error) error {
	bk := t.bucket(b)
	if bk == nil {
		return nil
	}
	return bk.ForEach(fn)
}

// NextID returns the bucket's next sequence number.
func (t *Tx) NextID(b Bucket) (uint64, error) {
	bk, err := t.tx.CreateBucketIfNotExists([]byte(b))
	if err != nil {
		return 0, err
	}
	return bk.NextSequence()
}

// NextIDs reserves the bucket's next n sequence numbers and returns the
// first: the ids NextID would give in n calls, in one bucket lookup (a
// first sync creates 10,000 records).
func (t *Tx) NextIDs(b Bucket, n int) (uint64, error) {
	bk, err := t.tx.CreateBucketIfNotExists([]byte(b))
	if err != nil {
		return 0, err
	}
	first := bk.Sequence() + 1
	if n > 0 {
		err = bk.SetSequence(bk.Sequence() + uint64(n))
	}
	return first, err
}

// Count returns the number of keys in a bucket.
func (t *Tx) Count(b Bucket) int {
	bk := t.bucket(b)
	if bk == nil {
		return 0
	}
	return bk.Stats().KeyN
}

// JSONDecoder is a record type with a hand-written decoder that decodes
// into its zero value exactly as json.Unmarshal would; Get and List use it
// instead of reflection.
type JSONDecoder interface {
	DecodeJSON(data []byte) error
}

// decodeInto decodes raw into the zero value *v.
func decodeInto[T any](raw []byte, v *T) error {
	if d, ok := any(v).(JSONDecoder); ok {
		return d.DecodeJSON(raw)
	}
	return json.Unmarshal(raw, v)
}

// Get decodes one record.
func Get[T any](t *Tx, b Bucket, key []byte) (T, error) {
	var v T
	raw, err := t.lookup(b, key)
	if err != nil {
		return v, err
	}
	if err := decodeInto(raw, &v); err != nil {
		return v, fmt.Errorf("decode %s record: %w", b, err)
	}
	return v, nil
}

// parallelDecodeMin is the record count from which List decodes and
// PutRecords encodes on every core: decoding 10,000 products one after
// another was a third of `products list`.
const parallelDecodeMin = 512

// List decodes every record of a bucket in key order; never nil.
func List[T any](t *Tx, b Bucket) ([]T, error) {
	var keys, raws [][]byte
	err := t.ForEach(b, func(k, raw []byte) error {
		// Both stay valid until the transaction ends, which is after List.
		keys, raws = append(keys, k), append(raws, raw)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]T, len(raws))
	err = parallel.Chunks(len(raws), parallelDecodeMin, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			if err := decodeInto(raws[i], &out[i]); err != nil {
				return fmt.Errorf("decode %s record %x: %w", b, keys[i], err)
			}
		}
		return nil
	})
	if err != nil {
		// The first failing record in key order, as a serial decode would report.
		return nil, err
	}
	return out, nil
}

// Record is one value to write with PutRecords.
type Record struct {
	Bucket Bucket
	Key    []byte
	Value  any
}

// PutRecords stores many values as JSON. They are encoded on every core
// before the transaction writes them one after another: encoding 10,000
// catalogue records was a third of a large sync's transaction.
//
// The buckets' pages are filled to 90% (bbolt's default of half-full pages
// suits random inserts): most bulk records are new, with ids from NextID,
// so they go to the end of their bucket and fewer pages are written.
func (t *Tx) PutRecords(recs []Record) error {
	raws := make([][]byte, len(recs))
	err := parallel.Chunks(len(recs), parallelDecodeMin, func(lo, hi int) error {
		// One buffer per worker, each record a capped slice of it: bbolt
		// keeps the slices until the commit.
		buf := make([]byte, 0, (hi-lo)*recordSizeHint)
		for i := lo; i < hi; i++ {
			start := len(buf)
			var err error
			if buf, err = encode(buf, recs[i].Value); err != nil {
				return fmt.Errorf("encode %s record: %w", recs[i].Bucket, err)
			}
			raws[i] = buf[start:len(buf):len(buf)]
		}
		return nil
	})
	if err != nil {
		return err
	}
	var bk *bolt.Bucket
	var name Bucket
	for i, r := range recs {
		if bk == nil || r.Bucket != name {
			if bk, err = t.tx.CreateBucketIfNotExists([]byte(r.Bucket)); err != nil {
				return err
			}
			name = r.Bucket
			bk.FillPercent = bulkFillPercent
		}
		if err := bk.Put(r.Key, raws[i]); err != nil {
			return err
		}
	}
	return nil
}

const bulkFillPercent = 0.9

// recordSizeHint is a little over the size of a catalogue record (a
// product with three APIs is ~600 bytes), to size the encoding buffers of
// PutRecords once rather than grow and copy them.
const recordSizeHint = 768

// IDKey encodes an id as 8 big-endian bytes, so key order is numeric order.
func IDKey(id uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, id)
	return k
}

// KeyID decodes IDKey.
func KeyID(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}
