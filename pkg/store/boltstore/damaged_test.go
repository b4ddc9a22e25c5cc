package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tykportal/tykportal/pkg/store"
)

// damageFixture is a state file with enough records for branch pages
// (2,000 products of ~1 KB, 16 KB pages), its bytes, its pages' high
// water mark and the root page of the products bucket.
type damageFixture struct {
	good     []byte
	hwm      int64
	pageSize int64
	rootPage int64
}

func newDamageFixture(t *testing.T) damageFixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.db")
	db := openRW(t, path)
	var recs []store.Record
	for i := 1; i <= 2000; i++ {
		recs = append(recs, store.Record{Kind: store.Products, Key: store.IDKey(uint64(i)),
			Value: map[string]any{"provider": "prod", "id": i, "name": fmt.Sprintf("product %d", i), "description": strings.Repeat("d", 900)}})
	}
	recs = append(recs, store.Record{Kind: store.Providers, Key: []byte("prod"), Value: map[string]any{"name": "prod"}})
	if err := db.Update(context.Background(), func(tx store.Tx) error { return store.PutRecords(tx, recs) }); err != nil {
		t.Fatal(err)
	}
	var f damageFixture
	if err := db.bolt.View(func(tx *bolt.Tx) error {
		f.hwm, f.pageSize = tx.Size(), int64(tx.DB().Info().PageSize)
		f.rootPage = int64(tx.Bucket([]byte(store.Products)).Root())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f.good = good
	return f
}

// useAll opens the file and reads every kind of record, as the commands
// do; it returns the first error.
func useAll(ctx context.Context, path string, readOnly bool) error {
	db, err := Open(ctx, path, Options{ReadOnly: readOnly, LockTimeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(ctx, func(tx store.Tx) error {
		for _, k := range store.Kinds {
			if _, err := store.List[map[string]any](tx, k); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestDamagedFile(t *testing.T) {
	ctx := context.Background()
	f := newDamageFixture(t)
	overwrite := func(at int64, with []byte) func([]byte) []byte {
		return func(b []byte) []byte { copy(b[at:], with); return b }
	}
	garbage := bytes.Repeat([]byte{0xa5}, 64)
	// The bytes of one stored record, for a damaged value.
	valueAt := int64(bytes.Index(f.good, []byte(`"product 1234"`)))
	if valueAt < 0 {
		t.Fatal("record not found in the file")
	}
	tests := []struct {
		name   string
		damage func([]byte) []byte
		want   error // for both read-only and read-write opens
		detail string
	}{
		{"cut inside the first page", func(b []byte) []byte { return b[:100] }, store.ErrDamaged, "shorter than its two header pages"},
		{"cut inside the meta pages", func(b []byte) []byte { return b[:f.pageSize+10] }, store.ErrDamaged, "shorter than its two header pages"},
		{"cut before the last page", func(b []byte) []byte { return b[:f.hwm-f.pageSize] }, store.ErrDamaged, "its pages need"},
		{"cut in half", func(b []byte) []byte { return b[:f.hwm/2] }, store.ErrDamaged, "cut off"},
		{"both meta pages overwritten", overwrite(0, bytes.Repeat([]byte{0x5a}, int(2*f.pageSize))), store.ErrCorrupt, ""},
		{"both meta pages' checksums broken", func(b []byte) []byte {
			b[metaTxid]++
			b[f.pageSize+metaTxid]++
			return b
		}, store.ErrDamaged, "header pages fail their checksums"},
		{"the products root page overwritten", overwrite(f.rootPage*f.pageSize, garbage), store.ErrDamaged, ""},
		{"a record's bytes overwritten", overwrite(valueAt, []byte("\x00\x01}{")), store.ErrDamaged, "decode products record"},
		{"too short to be bbolt", func(b []byte) []byte { return b[:10] }, store.ErrCorrupt, ""},
	}
	for _, tc := range tests {
		for _, readOnly := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/readonly=%v", tc.name, readOnly), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "t.db")
				bad := tc.damage(bytes.Clone(f.good))
				if err := os.WriteFile(path, bad, 0o600); err != nil {
					t.Fatal(err)
				}
				err := useAll(ctx, path, readOnly)
				if !errors.Is(err, tc.want) {
					t.Fatalf("err %v, want %v", err, tc.want)
				}
				if !strings.Contains(err.Error(), tc.detail) {
					t.Errorf("err %q, want it to say %q", err, tc.detail)
				}
				var de *DamagedError
				if errors.Is(tc.want, store.ErrDamaged) && (!errors.As(err, &de) || de.Path != path ||
					!strings.Contains(err.Error(), "the state file "+path+" is damaged") || !strings.Contains(err.Error(), "db backup")) {
					t.Errorf("err %q: want the path, the damage and how to restore", err)
				}
				if after, _ := os.ReadFile(path); !bytes.Equal(after, bad) {
					t.Error("the damaged file was changed")
				}
			})
		}
	}
}

// Overwritten bytes anywhere: an open and a read of everything either
// work (the bytes were free space) or say the file is damaged; never a
// crash, and the file is never changed.
func TestDamagedFileRandom(t *testing.T) {
	ctx := context.Background()
	f := newDamageFixture(t)
	rng := rand.New(rand.NewPCG(21, 9))
	path := filepath.Join(t.TempDir(), "t.db")
	counts := map[string]int{}
	for i := range 120 {
		bad := bytes.Clone(f.good[:f.hwm])
		switch i % 3 {
		case 0: // a run of bytes in one page
			at := rng.Int64N(f.hwm - 256)
			for j := range int64(256) {
				bad[at+j] = byte(rng.UintN(256))
			}
		case 1: // bytes scattered over the file
			for range 40 {
				bad[rng.Int64N(f.hwm)] = byte(rng.UintN(256))
			}
		case 2: // a page header (page id, flags, count, overflow)
			page := 2 + rng.Int64N(f.hwm/f.pageSize-2)
			for j := range int64(16) {
				bad[page*f.pageSize+j] = byte(rng.UintN(256))
			}
		}
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		readOnly := i%2 == 0
		err := useAll(ctx, path, readOnly)
		switch {
		case err == nil:
			counts["read"]++
		case errors.Is(err, store.ErrDamaged):
			counts["damaged"]++
		case errors.Is(err, store.ErrCorrupt):
			counts["not bbolt"]++
		default:
			t.Errorf("run %d: %v", i, err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, bad) {
			t.Errorf("run %d (read-only %v): the file was changed", i, readOnly)
		}
	}
	t.Logf("120 damaged files: %v", counts)
	if counts["damaged"] == 0 {
		t.Error("no damage was found at all")
	}
}

// An empty file is a new state: read as empty, created by a write.
func TestEmptyFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, path, Options{ReadOnly: true}); !errors.Is(err, store.ErrNoState) || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("read-only open of an empty file: %v, want ErrNoState naming it empty", err)
	}
	db := openRW(t, path)
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.Put(store.Providers, []byte("p"), []byte(`{}`)) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := useAll(ctx, path, true); err != nil {
		t.Fatal(err)
	}
}

// A panic that is not bbolt's nor a memory fault is a bug: guard lets it
// through rather than calling the file damaged.
func TestGuardHidesNoBug(t *testing.T) {
	defer func() {
		if r := recover(); r != "a bug" {
			t.Fatalf("recovered %v, want the bug's panic", r)
		}
	}()
	_ = guard("t.db", func() error { panic("a bug") })
	t.Fatal("guard swallowed the panic")
}

func TestBackup(t *testing.T) {
	ctx := context.Background()
	f := newDamageFixture(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "t.db")
	if err := os.WriteFile(path, f.good, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	want, err := store.Summarize(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "backup.db")
	rep, err := db.Backup(ctx, dst)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Bytes != f.hwm || len(rep.Records) != len(store.Kinds) || rep.Records[0].Kind != store.Providers {
		t.Errorf("report %+v", rep)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup: %v %v", fi, err)
	}
	b, err := Open(ctx, dst, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.Summarize(ctx, b)
	b.Close()
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the backup holds %v (%v), want %v", got, err, want)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// A damaged state is not backed up, and nothing is left behind.
	bad := bytes.Clone(f.good)
	copy(bad[f.rootPage*f.pageSize:], bytes.Repeat([]byte{0xa5}, 64))
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	// The damage is found by the open's walk; a backup of a file opened
	// before it was damaged finds it in its copy.
	if _, err := Open(ctx, path, Options{ReadOnly: true}); !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("open of the damaged file: %v", err)
	}
	if err := os.WriteFile(path, f.good, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt(bytes.Repeat([]byte{0xa5}, 64), f.rootPage*f.pageSize); err != nil {
		t.Fatal(err)
	}
	w.Close()
	dst2 := filepath.Join(dir, "backup2.db")
	if _, err := db.Backup(ctx, dst2); !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("backup of a damaged file: %v, want ErrDamaged", err)
	}
	if _, err := os.Stat(dst2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a backup of a damaged file was written: %v", err)
	}

	// A record whose bytes were overwritten: the pages read, the record
	// does not; the backup sums every record and refuses.
	bad = bytes.Clone(f.good)
	copy(bad[bytes.Index(bad, []byte(`"product 77"`)):], "\x00\x01}{")
	recPath := filepath.Join(dir, "rec.db")
	if err := os.WriteFile(recPath, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	rdb, err := Open(ctx, recPath, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if _, err := rdb.Backup(ctx, dst2); !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), "products record") {
		t.Fatalf("backup of a file with a damaged record: %v, want ErrDamaged naming the record", err)
	}
	if _, err := os.Stat(dst2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a backup of a damaged file was written: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
