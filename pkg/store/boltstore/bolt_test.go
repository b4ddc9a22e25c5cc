package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openRW(t, filepath.Join(t.TempDir(), "s", "t.db"))
	})
}

func openRW(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "t.db")
	openRW(t, path).Close()
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %o, want %o", p, fi.Mode().Perm(), want)
		}
	}
	// A file loosened by hand is tightened on the next read-write open.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	openRW(t, path).Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %o after reopen, want 600", fi.Mode().Perm())
	}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	foreign := filepath.Join(dir, "foreign.db")
	fb, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := fb.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("x"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	fb.Close()
	newer := filepath.Join(dir, "newer.db")
	openRW(t, newer).Close()
	nb, _ := bolt.Open(newer, 0o600, nil)
	_ = nb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(meta)).Put([]byte(versionKey), store.IDKey(SchemaVersion+1))
	})
	nb.Close()
	corrupt := filepath.Join(dir, "corrupt.db")
	garbage := bytes.Repeat([]byte("not a database at all\n"), 400)
	if err := os.WriteFile(corrupt, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short.db")
	if err := os.WriteFile(short, []byte("hi"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		path     string
		readOnly bool
		want     error
	}{
		{"missing read-only", filepath.Join(dir, "missing.db"), true, store.ErrNoState},
		{"foreign bbolt rw", foreign, false, store.ErrForeign},
		{"foreign bbolt ro", foreign, true, store.ErrForeign},
		{"corrupt rw", corrupt, false, store.ErrCorrupt},
		{"corrupt ro", corrupt, true, store.ErrCorrupt},
		{"too short", short, false, store.ErrCorrupt},
		{"newer schema", newer, false, store.ErrNewerSchema},
		{"a directory", dir, false, store.ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before []byte
			if fi, err := os.Stat(tc.path); err == nil && !fi.IsDir() {
				before, _ = os.ReadFile(tc.path)
			}
			db, err := Open(ctx, tc.path, Options{ReadOnly: tc.readOnly, LockTimeout: 200 * time.Millisecond})
			if err == nil {
				db.Close()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if before != nil {
				after, _ := os.ReadFile(tc.path)
				if !bytes.Equal(before, after) {
					t.Fatal("the refused file was modified")
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !os.IsNotExist(err) {
		t.Error("a read-only open created the file")
	}
}

func TestMigrationHook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	openRW(t, path).Close()
	ob, _ := bolt.Open(path, 0o600, nil)
	_ = ob.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte(meta)).Put([]byte(versionKey), store.IDKey(0)) })
	ob.Close()

	ran := 0
	saved := migrations
	migrations = []Migration{{To: 1, Apply: func(tx *bolt.Tx) error { ran++; return nil }}}
	t.Cleanup(func() { migrations = saved })

	if _, err := Open(context.Background(), path, Options{ReadOnly: true}); err == nil {
		t.Fatal("a read-only open of an older schema should ask for a write command")
	}
	openRW(t, path).Close()
	openRW(t, path).Close()
	if ran != 1 {
		t.Fatalf("migration ran %d times, want 1", ran)
	}
}

// TestHelperHoldLock is not a test: the lock test runs it in a child process
// to hold the state file open.
func TestHelperHoldLock(t *testing.T) {
	path := os.Getenv("STORE_TEST_HOLD")
	if path == "" {
		t.Skip("helper process only")
	}
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(3)
	}
	defer db.Close()
	fmt.Println("holding")
	time.Sleep(10 * time.Second)
}

func TestSecondProcessGetsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	openRW(t, path).Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$", "-test.v")
	cmd.Env = append(os.Environ(), "STORE_TEST_HOLD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	buf := make([]byte, 4096)
	var seen []byte
	for !bytes.Contains(seen, []byte("holding")) {
		n, err := out.Read(buf)
		if err != nil {
			t.Fatalf("helper did not start: %s %v", seen, err)
		}
		seen = append(seen, buf[:n]...)
	}
	for _, ro := range []bool{false, true} {
		start := time.Now()
		_, err = Open(context.Background(), path, Options{ReadOnly: ro, LockTimeout: 300 * time.Millisecond})
		if !errors.Is(err, store.ErrLocked) {
			t.Fatalf("readOnly=%v: err %v, want ErrLocked", ro, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v to give up", d)
		}
	}
}

// A new state file has 16 KB pages; a file created with bbolt's default
// (the OS page size) opens and keeps its own.
func TestPageSize(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "new.db")
	db, err := Open(context.Background(), fresh, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := db.bolt.Info().PageSize; got != pageSize {
		t.Errorf("new file: page size %d, want %d", got, pageSize)
	}
	db.Close()

	old := filepath.Join(dir, "old.db")
	b, err := bolt.Open(old, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	osPage := b.Info().PageSize
	b.Close()
	db, err = Open(context.Background(), old, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.bolt.Info().PageSize; got != osPage {
		t.Errorf("existing file: page size %d, want its own %d", got, osPage)
	}
	if err := db.Update(context.Background(), func(tx store.Tx) error { return store.Put(tx, store.Products, store.IDKey(1), map[string]int{"id": 1}) }); err != nil {
		t.Fatal(err)
	}
}
