package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

type rec struct {
	Name string `json:"name"`
	N    int    `json:"n"`
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

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openRW(t, filepath.Join(t.TempDir(), "s", "t.db"))
	var ids []uint64
	err := db.Update(ctx, func(tx *Tx) error {
		for i := 0; i < 300; i++ {
			id, err := tx.NextID(Products)
			if err != nil {
				return err
			}
			ids = append(ids, id)
			if err := tx.Put(Products, IDKey(id), rec{Name: fmt.Sprint("p", id), N: i}); err != nil {
				return err
			}
		}
		return tx.Put(Providers, []byte("prod"), rec{Name: "prod"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != 1 || ids[299] != 300 {
		t.Fatalf("ids %d..%d, want 1..300", ids[0], ids[299])
	}
	err = db.View(ctx, func(tx *Tx) error {
		list, err := List[rec](tx, Products)
		if err != nil {
			return err
		}
		for i, r := range list { // key order is numeric order (256 > 255)
			if r.N != i {
				return fmt.Errorf("item %d has n %d", i, r.N)
			}
		}
		if tx.Count(Products) != 300 {
			return fmt.Errorf("count %d", tx.Count(Products))
		}
		p, err := Get[rec](tx, Providers, []byte("prod"))
		if err != nil || p.Name != "prod" {
			return fmt.Errorf("get: %v %v", p, err)
		}
		if _, err := Get[rec](tx, Providers, []byte("nope")); !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("missing key: %v", err)
		}
		empty, err := List[rec](tx, Credentials)
		if err != nil || empty == nil || len(empty) != 0 {
			return fmt.Errorf("empty list: %#v %v", empty, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx *Tx) error {
		if err := tx.Delete(Providers, []byte("prod")); err != nil {
			return err
		}
		return tx.Delete(Providers, []byte("never-there"))
	}); err != nil {
		t.Fatal(err)
	}
}

func TestIDKeyOrder(t *testing.T) {
	for _, pair := range [][2]uint64{{1, 2}, {255, 256}, {65535, 65536}, {1 << 40, 1<<40 + 1}} {
		if bytes.Compare(IDKey(pair[0]), IDKey(pair[1])) >= 0 {
			t.Errorf("IDKey(%d) does not sort before IDKey(%d)", pair[0], pair[1])
		}
		if KeyID(IDKey(pair[0])) != pair[0] {
			t.Errorf("KeyID(IDKey(%d)) round trip", pair[0])
		}
	}
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
		return tx.Bucket([]byte(Meta)).Put([]byte(versionKey), IDKey(SchemaVersion+1))
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
		{"missing read-only", filepath.Join(dir, "missing.db"), true, ErrNoState},
		{"foreign bbolt rw", foreign, false, ErrForeign},
		{"foreign bbolt ro", foreign, true, ErrForeign},
		{"corrupt rw", corrupt, false, ErrCorrupt},
		{"corrupt ro", corrupt, true, ErrCorrupt},
		{"too short", short, false, ErrCorrupt},
		{"newer schema", newer, false, ErrNewerSchema},
		{"a directory", dir, false, ErrCorrupt},
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
	_ = ob.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte(Meta)).Put([]byte(versionKey), IDKey(0)) })
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

func TestCancelledContext(t *testing.T) {
	db := openRW(t, filepath.Join(t.TempDir(), "t.db"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	if err := db.Update(ctx, func(*Tx) error { called = true; return nil }); !errors.Is(err, context.Canceled) || called {
		t.Fatalf("update on a cancelled context: %v, called %v", err, called)
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
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("readOnly=%v: err %v, want ErrLocked", ro, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v to give up", d)
		}
	}
}

// Large buckets are decoded on every core: the order is still key order,
// and a bad record is reported by the first bad key, as a serial decode would.
func TestListLargeBucketInOrder(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{parallelDecodeMin - 1, parallelDecodeMin, 3001} {
		db := openRW(t, filepath.Join(t.TempDir(), "t.db"))
		if err := db.Update(ctx, func(tx *Tx) error {
			for i := 1; i <= n; i++ {
				if err := tx.Put(Products, IDKey(uint64(i)), rec{Name: fmt.Sprint(i), N: i}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.View(ctx, func(tx *Tx) error {
			list, err := List[rec](tx, Products)
			if err != nil {
				return err
			}
			if len(list) != n {
				return fmt.Errorf("%d records, want %d", len(list), n)
			}
			for i, r := range list {
				if r.N != i+1 {
					return fmt.Errorf("record %d holds %d: order lost", i, r.N)
				}
			}
			return nil
		}); err != nil {
			t.Fatalf("%d records: %v", n, err)
		}
		if err := db.Update(ctx, func(tx *Tx) error {
			if err := tx.PutRaw(Products, IDKey(uint64(n-3)), []byte("{bad")); err != nil {
				return err
			}
			return tx.PutRaw(Products, IDKey(uint64(n)), []byte("[]"))
		}); err != nil {
			t.Fatal(err)
		}
		err := db.View(ctx, func(tx *Tx) error {
			_, err := List[rec](tx, Products)
			return err
		})
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(fmt.Sprintf("%x", IDKey(uint64(n-3))))) {
			t.Fatalf("%d records: error %v does not name the first bad record", n, err)
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
	if err := db.Update(context.Background(), func(tx *Tx) error { return tx.Put(Products, IDKey(1), map[string]int{"id": 1}) }); err != nil {
		t.Fatal(err)
	}
}

// NextIDs reserves what n calls of NextID would return.
func TestNextIDs(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(context.Background(), func(tx *Tx) error {
		steps := []struct {
			n    int
			want uint64
		}{{3, 1}, {0, 4}, {1, 4}, {2, 5}}
		for _, st := range steps {
			if got, err := tx.NextIDs(Products, st.n); err != nil || got != st.want {
				t.Errorf("NextIDs(%d) = %d, %v; want %d", st.n, got, err, st.want)
			}
		}
		if got, err := tx.NextID(Products); err != nil || got != 7 {
			t.Errorf("NextID after the reservations = %d, %v; want 7", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type appended struct{ N int }

// AppendJSON writes what json.Marshal would, as JSONAppender requires.
func (a appended) AppendJSON(b []byte) ([]byte, error) {
	if a.N < 0 {
		return nil, errors.New("negative")
	}
	return fmt.Appendf(b, `{"N":%d}`, a.N), nil
}

// PutRecords writes every record, interleaved buckets and both encoders,
// on the parallel path too; an encoding error fails the call.
func TestPutRecords(t *testing.T) {
	for _, n := range []int{1, parallelDecodeMin - 1, 3 * parallelDecodeMin} {
		db, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		recs := make([]Record, n)
		for i := range recs {
			b, v := Products, any(appended{N: i})
			if i%3 == 0 {
				b, v = Plans, map[string]int{"N": i}
			}
			recs[i] = Record{Bucket: b, Key: IDKey(uint64(i + 1)), Value: v}
		}
		if err := db.Update(context.Background(), func(tx *Tx) error { return tx.PutRecords(recs) }); err != nil {
			t.Fatal(err)
		}
		err = db.View(context.Background(), func(tx *Tx) error {
			for i, r := range recs {
				got, err := Get[appended](tx, r.Bucket, r.Key)
				if err != nil || got.N != i {
					t.Fatalf("%d records: record %d is %+v, %v", n, i, got, err)
				}
			}
			if got := tx.Count(Products) + tx.Count(Plans); got != n {
				t.Fatalf("%d records: %d stored", n, got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		recs[n/2].Value = appended{N: -1}
		err = db.Update(context.Background(), func(tx *Tx) error { return tx.PutRecords(recs) })
		if err == nil || !strings.Contains(err.Error(), "encode") {
			t.Fatalf("%d records with a bad one: %v", n, err)
		}
		db.Close()
	}
}
