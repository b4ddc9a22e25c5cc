package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/tykportal/tykportal/pkg/store"
)

// DamagedError is a state file that is a bbolt database but no longer
// reads: truncated, or with pages or records overwritten. bbolt meets such
// a file with assertions (panics) and, on its memory-mapped pages, with
// SIGBUS or SIGSEGV; Open and every transaction turn those into this error
// instead of a crash. The file is never written once it is found damaged.
type DamagedError struct {
	Path   string
	Detail string // what was found, for the one who restores it
}

func (e *DamagedError) Error() string {
	detail := e.Detail
	if r := []rune(detail); len(r) > maxDetail {
		detail = string(r[:maxDetail]) + "..."
	}
	return fmt.Sprintf("the state file %s is damaged (%s) and was left as it is: restore a backup over it "+
		"(`cp BACKUP %s`; `tykportal db backup FILE` makes one), or move it aside to start a new state "+
		"(then add the providers again and sync)", e.Path, detail, e.Path)
}

// maxDetail keeps what was found short enough that the way to restore the
// file stays in the one line of an error.
const maxDetail = 300

// Is makes errors.Is(err, store.ErrDamaged) and errors.Is(err,
// store.ErrCorrupt) true.
func (e *DamagedError) Is(target error) bool {
	return target == store.ErrDamaged || target == store.ErrCorrupt
}

func damaged(path, format string, args ...any) error {
	return &DamagedError{Path: path, Detail: fmt.Sprintf(format, args...)}
}

// guard runs fn, which reads the mapped file, so that damage is an error:
// a memory fault on the mapping becomes a panic (debug.SetPanicOnFault,
// for this goroutine), and a panic raised by bbolt or by such a fault
// becomes a *DamagedError. Any other panic is a bug and is not hidden.
// bbolt's View and Update roll their transaction back on a panic, so the
// file stays usable for the next attempt.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if detail, ok := damagePanic(r); ok {
			err = damaged(path, "%s", detail)
			return
		}
		panic(r)
	}()
	err = fn()
	if err != nil {
		err = damageError(path, err)
	}
	return err
}

// damageError turns the errors that can only mean damage into a
// *DamagedError: a record that does not decode (only tykportal writes the
// file, and it writes what it can read), and a fault reported by another
// goroutine of the transaction (see package parallel).
func damageError(path string, err error) error {
	var de *DamagedError
	if errors.As(err, &de) {
		return err
	}
	var rec *store.RecordError
	if errors.As(err, &rec) {
		return &DamagedError{Path: path, Detail: rec.Error()}
	}
	var fault interface{ Addr() uintptr }
	if errors.As(err, &fault) {
		return &DamagedError{Path: path, Detail: fmt.Sprintf("a read of its pages failed: %v", err)}
	}
	return err
}

// damagePanic tells a panic that means a damaged file from a bug: a memory
// fault (with SetPanicOnFault, a runtime.Error with the faulting address;
// a nil dereference has none), or a panic whose first frame outside the
// runtime is bbolt's.
func damagePanic(r any) (string, bool) {
	if e, ok := r.(interface {
		error
		Addr() uintptr
	}); ok {
		return fmt.Sprintf("a read of its pages failed: %v", e), true
	}
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	panicking := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case panicking && strings.HasPrefix(f.Function, "runtime."):
		case panicking:
			if strings.HasPrefix(f.Function, "go.etcd.io/bbolt") {
				return fmt.Sprintf("bbolt: %v", r), true
			}
			return "", false
		}
		if !more {
			return "", false
		}
	}
}

// The fields of a bbolt meta page this package reads before bbolt does,
// after the page header of 16 bytes (little-endian on the platforms
// tykportal ships): magic, version, page size, flags, the root bucket (page
// and sequence), the freelist page, the high water mark (pages in use),
// the transaction id, and an FNV-1a checksum of the fields before it.
const (
	metaAt       = 16
	metaMagic    = metaAt
	metaPageSize = metaAt + 8
	metaPgid     = metaAt + 40
	metaTxid     = metaAt + 48
	metaChecksum = metaAt + 56
	metaEnd      = metaAt + 64
	bboltMagic   = 0xED0CDAED
	minPageSize  = 512
	maxPageSize  = 1 << 20
)

// checkHeader refuses files that are not bbolt at all, and bbolt files cut
// off before their last page in use, before bbolt sees them: bbolt says
// "file size too small 4096", or, opening for writing, reads its freelist
// from past the end of the file through the mapping (SIGBUS).
func checkHeader(path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	meta0 := make([]byte, metaEnd)
	n, _ := io.ReadFull(f, meta0)
	if n < metaMagic+4 || binary.LittleEndian.Uint32(meta0[metaMagic:]) != bboltMagic {
		return fmt.Errorf("%w (left untouched)", store.ErrCorrupt)
	}
	ps := int64(minPageSize)
	if n >= metaPageSize+4 {
		if v := int64(binary.LittleEndian.Uint32(meta0[metaPageSize:])); v >= minPageSize && v <= maxPageSize && v&(v-1) == 0 {
			ps = v
		}
	}
	if size < 2*ps {
		return damaged(path, "it is %d bytes, shorter than its two header pages of %d bytes: cut off", size, ps)
	}
	meta1 := make([]byte, metaEnd)
	if _, err := f.ReadAt(meta1, ps); err != nil {
		return err
	}
	// The meta page bbolt will use: the valid one of the later transaction.
	var hwm int64
	var txid uint64
	for _, m := range [][]byte{meta0, meta1} {
		h := fnv.New64a()
		h.Write(m[metaAt:metaChecksum])
		if binary.LittleEndian.Uint32(m[metaMagic:]) != bboltMagic || h.Sum64() != binary.LittleEndian.Uint64(m[metaChecksum:]) {
			continue
		}
		if t := binary.LittleEndian.Uint64(m[metaTxid:]); hwm == 0 || t > txid {
			txid, hwm = t, int64(binary.LittleEndian.Uint64(m[metaPgid:]))*ps
		}
	}
	if hwm > size {
		return damaged(path, "it is %d bytes, its pages need %d: cut off", size, hwm)
	}
	return nil
}

// checkOpened checks an opened file before any command reads it: that
// every page its header counts is in the file (a truncated file's missing
// pages would be read through the mapping as SIGBUS), and that every
// bucket and record can be walked (one cursor pass: 0.2-1 ms for 19,000
// records). A read-write open also runs bbolt's own consistency check
// (freed pages in use, pages reachable twice, key order), since writing
// into such a file spreads the damage: about 5 ms for 19,000 records in a
// fresh process (`products edit` 11 ms -> 16 ms), 6-7 ms for 40,000
// records of 1.4 KB.
func (db *DB) checkOpened(readOnly bool) error {
	fi, err := os.Stat(db.path)
	if err != nil {
		return err
	}
	return guard(db.path, func() error {
		return db.bolt.View(func(tx *bolt.Tx) error {
			if need := tx.Size(); need > fi.Size() {
				return damaged(db.path, "it is %d bytes, its pages need %d: cut off", fi.Size(), need)
			}
			var touched byte
			err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				return b.ForEach(func(k, v []byte) error {
					if len(v) > 0 {
						// The last byte of the value: a value whose length
						// was overwritten reaches past the file here, on
						// this guarded goroutine.
						touched ^= v[len(v)-1]
					}
					return nil
				})
			})
			runtime.KeepAlive(touched)
			if err != nil || readOnly {
				return err
			}
			for problem := range tx.Check() {
				// Drain the channel so that the check's goroutine ends.
				if err == nil {
					err = damaged(db.path, "bbolt check: %v", problem)
				}
			}
			return err
		})
	})
}
