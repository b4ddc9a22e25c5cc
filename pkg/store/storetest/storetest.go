// Package storetest is the contract every backend of package store meets:
// one suite of tests that a backend's own test runs against a fresh, empty
// store of its kind (bbolt now, PostgreSQL next).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tykportal/tykportal/pkg/store"
)

// Open returns a new, empty store for one test; the suite closes it.
type Open func(t *testing.T) store.Store

type rec struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

// Run runs the whole contract against stores made by open.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"KeyOrder", testKeyOrder},
		{"UpdateIsAllOrNothing", testAllOrNothing},
		{"ViewCannotWrite", testViewCannotWrite},
		{"Sequences", testSequences},
		{"PutRecords", testPutRecords},
		{"PutManyLongRuns", testPutManyLongRuns},
		{"PutRecordsLongRuns", testPutRecordsLongRuns},
		{"ListLargeKindInOrder", testListLarge},
		{"CancelledContext", testCancelled},
		{"Revision", testRevision},
		{"EmptyKinds", testEmptyKinds},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.Update(ctx, func(tx store.Tx) error {
		if err := store.Put(tx, store.Providers, []byte("prod"), rec{Name: "prod", N: 1}); err != nil {
			return err
		}
		return tx.Put(store.LastSyncs, []byte("prod"), store.IDKey(7))
	}))
	must(t, s.View(ctx, func(tx store.Tx) error {
		p, err := store.Get[rec](tx, store.Providers, []byte("prod"))
		if err != nil || p != (rec{Name: "prod", N: 1}) {
			return fmt.Errorf("get: %+v %v", p, err)
		}
		raw, err := store.GetRaw(tx, store.LastSyncs, []byte("prod"))
		if err != nil || store.KeyID(raw) != 7 {
			return fmt.Errorf("raw: %x %v", raw, err)
		}
		if _, err := store.Get[rec](tx, store.Providers, []byte("nope")); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("missing key: %v, want ErrNotFound", err)
		}
		if ok, err := store.Exists(tx, store.Providers, []byte("prod")); !ok || err != nil {
			return fmt.Errorf("exists: %v %v", ok, err)
		}
		return nil
	}))
	// Overwrite, delete, and delete what is not there.
	must(t, s.Update(ctx, func(tx store.Tx) error {
		if err := store.Put(tx, store.Providers, []byte("prod"), rec{Name: "prod", N: 2}); err != nil {
			return err
		}
		if err := tx.Delete(store.LastSyncs, []byte("prod")); err != nil {
			return err
		}
		return tx.Delete(store.LastSyncs, []byte("never-there"))
	}))
	must(t, s.View(ctx, func(tx store.Tx) error {
		if p, _ := store.Get[rec](tx, store.Providers, []byte("prod")); p.N != 2 {
			return fmt.Errorf("overwrite lost: %+v", p)
		}
		if ok, _ := store.Exists(tx, store.LastSyncs, []byte("prod")); ok {
			return errors.New("deleted record still there")
		}
		return nil
	}))
}

// Keys come back in byte order, so IDKey order is numeric order (256 after 255).
func testKeyOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	ids := []uint64{256, 1, 65536, 255, 2, 1 << 40}
	must(t, s.Update(ctx, func(tx store.Tx) error {
		for _, id := range ids {
			if err := store.Put(tx, store.Products, store.IDKey(id), rec{N: int(id % 1000)}); err != nil {
				return err
			}
		}
		for _, name := range []string{"b", "a-b", "a", "a_b"} {
			if err := store.Put(tx, store.Providers, []byte(name), rec{Name: name}); err != nil {
				return err
			}
		}
		return nil
	}))
	must(t, s.View(ctx, func(tx store.Tx) error {
		var got []uint64
		if err := tx.ForEach(store.Products, func(k, _ []byte) error { got = append(got, store.KeyID(k)); return nil }); err != nil {
			return err
		}
		want := []uint64{1, 2, 255, 256, 65536, 1 << 40}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("id order %v, want %v", got, want)
		}
		var names []string
		if err := tx.ForEach(store.Providers, func(k, _ []byte) error { names = append(names, string(k)); return nil }); err != nil {
			return err
		}
		if strings.Join(names, " ") != "a a-b a_b b" {
			return fmt.Errorf("name order %v, want byte order", names)
		}
		n, err := tx.Count(store.Products)
		if err != nil || n != len(ids) {
			return fmt.Errorf("count %d %v, want %d", n, err, len(ids))
		}
		return nil
	}))
}

// A failing Update writes nothing, sequences included.
func testAllOrNothing(t *testing.T, s store.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.NextIDs(store.Products, 5); err != nil {
			return err
		}
		if err := store.Put(tx, store.Products, store.IDKey(1), rec{N: 1}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("update returned %v, want the function's error", err)
	}
	must(t, s.Update(ctx, func(tx store.Tx) error {
		if n, _ := tx.Count(store.Products); n != 0 {
			return fmt.Errorf("%d records after a failed update", n)
		}
		id, err := store.NextID(tx, store.Products)
		if err != nil || id != 1 {
			return fmt.Errorf("sequence after a failed update: %d %v, want 1", id, err)
		}
		return nil
	}))
}

func testViewCannotWrite(t *testing.T, s store.Store) {
	ctx := context.Background()
	err := s.View(ctx, func(tx store.Tx) error {
		if tx.Writable() {
			return errors.New("a view transaction says it is writable")
		}
		if err := store.Put(tx, store.Providers, []byte("x"), rec{}); err == nil {
			return errors.New("a view transaction wrote")
		}
		return nil
	})
	must(t, err)
	must(t, s.Update(ctx, func(tx store.Tx) error {
		if !tx.Writable() {
			return errors.New("an update transaction says it is not writable")
		}
		return nil
	}))
}

// NextIDs reserves what n calls of a counter from 1 would give; each kind
// has its own sequence, and reservations persist across transactions.
func testSequences(t *testing.T, s store.Store) {
	ctx := context.Background()
	steps := []struct {
		kind store.Kind
		n    int
		want uint64
	}{{store.Products, 3, 1}, {store.Products, 1, 4}, {store.Plans, 1, 1}, {store.Products, 2, 5}, {store.Credentials, 10, 1}}
	for _, st := range steps {
		must(t, s.Update(ctx, func(tx store.Tx) error {
			got, err := tx.NextIDs(st.kind, st.n)
			if err != nil || got != st.want {
				return fmt.Errorf("NextIDs(%s, %d) = %d, %v; want %d", st.kind, st.n, got, err, st.want)
			}
			return nil
		}))
	}
	must(t, s.Update(ctx, func(tx store.Tx) error {
		if got, err := store.NextID(tx, store.Products); err != nil || got != 7 {
			return fmt.Errorf("NextID after the reservations = %d, %v; want 7", got, err)
		}
		if _, err := tx.NextIDs(store.Products, 0); err == nil {
			return errors.New("NextIDs(0) reserved nothing without an error")
		}
		if v, err := tx.Sequence(store.Products); err != nil || v != 7 {
			return fmt.Errorf("Sequence = %d, %v; want 7", v, err)
		}
		if v, err := tx.Sequence(store.SyncHistory); err != nil || v != 0 {
			return fmt.Errorf("Sequence of an unused kind = %d, %v; want 0", v, err)
		}
		return tx.SetSequence(store.Plans, 41)
	}))
	must(t, s.Update(ctx, func(tx store.Tx) error {
		if got, err := store.NextID(tx, store.Plans); err != nil || got != 42 {
			return fmt.Errorf("NextID after SetSequence(41) = %d, %v; want 42", got, err)
		}
		return nil
	}))
}

type failing struct{ N int }

func (f failing) MarshalJSON() ([]byte, error) {
	if f.N < 0 {
		return nil, errors.New("negative")
	}
	return fmt.Appendf(nil, `{"N":%d}`, f.N), nil
}

// PutRecords writes every record, interleaved kinds, on the parallel path
// too; an encoding error fails the call and writes nothing.
func testPutRecords(t *testing.T, s store.Store) {
	ctx := context.Background()
	for round, n := range []int{1, 511, 1600} {
		base := uint64(round * 10000)
		recs := make([]store.Record, n)
		for i := range recs {
			k, v := store.Products, any(failing{N: i})
			if i%3 == 0 {
				k, v = store.Plans, map[string]int{"N": i}
			}
			recs[i] = store.Record{Kind: k, Key: store.IDKey(base + uint64(i+1)), Value: v}
		}
		must(t, s.Update(ctx, func(tx store.Tx) error { return store.PutRecords(tx, recs) }))
		must(t, s.View(ctx, func(tx store.Tx) error {
			for i, r := range recs {
				got, err := store.Get[struct{ N int }](tx, r.Kind, r.Key)
				if err != nil || got.N != i {
					return fmt.Errorf("%d records: record %d is %+v, %v", n, i, got, err)
				}
			}
			return nil
		}))
		recs[n/2].Value = failing{N: -1}
		for i := range recs {
			recs[i].Key = store.IDKey(base + 5000 + uint64(i))
		}
		err := s.Update(ctx, func(tx store.Tx) error { return store.PutRecords(tx, recs) })
		if err == nil || !strings.Contains(err.Error(), "encode") {
			t.Fatalf("%d records with a bad one: %v", n, err)
		}
		must(t, s.View(ctx, func(tx store.Tx) error {
			if ok, _ := store.Exists(tx, recs[0].Kind, recs[0].Key); ok {
				return errors.New("a failed PutRecords wrote a record")
			}
			return nil
		}))
	}
}

// PutRecords in long runs of one kind, as a sync writes them (on
// PostgreSQL each run is a COPY fed while the records are encoded): new
// keys, the same keys again, keys apart, then a run with a bad record halfway,
// which fails the call and writes nothing of it.
func testPutRecordsLongRuns(t *testing.T, s store.Store) {
	ctx := context.Background()
	const products, plans = 1000, 600
	records := func(base, stride uint64, tag int) []store.Record {
		var recs []store.Record
		for i := range products + plans {
			k := store.Products
			if i >= products {
				k = store.Plans
			}
			recs = append(recs, store.Record{Kind: k, Key: store.IDKey(base + stride*uint64(i)), Value: rec{Name: fmt.Sprint(tag), N: i}})
		}
		return recs
	}
	check := func(recs []store.Record, tag int) {
		t.Helper()
		must(t, s.View(ctx, func(tx store.Tx) error {
			for i, r := range recs {
				got, err := store.Get[rec](tx, r.Kind, r.Key)
				if err != nil || got.N != i || got.Name != fmt.Sprint(tag) {
					return fmt.Errorf("record %d is %+v, %v; want round %d", i, got, err, tag)
				}
			}
			return nil
		}))
	}
	// New keys in one range, the same again, new keys apart (not a
	// range), and keys apart of which some are stored.
	for round, recs := range [][]store.Record{records(1, 1, 1), records(1, 1, 2), records(50000, 3, 3), records(2, 2, 4)} {
		must(t, s.Update(ctx, func(tx store.Tx) error { return store.PutRecords(tx, recs) }))
		check(recs, round+1)
	}
	bad := records(100000, 1, 5)
	bad[products/2].Value = failing{N: -1}
	err := s.Update(ctx, func(tx store.Tx) error { return store.PutRecords(tx, bad) })
	if err == nil || !strings.Contains(err.Error(), "encode") {
		t.Fatalf("a run with a bad record: %v", err)
	}
	must(t, s.View(ctx, func(tx store.Tx) error {
		for _, i := range []int{0, products/2 - 1, products + plans - 1} {
			if ok, _ := store.Exists(tx, bad[i].Kind, bad[i].Key); ok {
				return fmt.Errorf("a failed PutRecords wrote record %d", i)
			}
		}
		return nil
	}))
}

// Long runs of one kind (a sync's thousands of products, then plans) are
// written whole, new keys and existing ones alike; the last value of a key
// given twice wins.
func testPutManyLongRuns(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 1200
	write := func(round int, first uint64) {
		var recs []store.Raw
		for i := uint64(0); i < n; i++ {
			v, _ := store.Encode(rec{Name: fmt.Sprint(round), N: int(first + i)})
			recs = append(recs, store.Raw{Kind: store.Products, Key: store.IDKey(first + i), Value: v})
		}
		for i := uint64(0); i < 300; i++ {
			v, _ := store.Encode(rec{Name: fmt.Sprint(round), N: int(i)})
			recs = append(recs, store.Raw{Kind: store.Plans, Key: store.IDKey(i + 1), Value: v})
		}
		last, _ := store.Encode(rec{Name: "last", N: -1})
		recs = append(recs, store.Raw{Kind: store.Plans, Key: store.IDKey(1), Value: last})
		must(t, s.Update(ctx, func(tx store.Tx) error { return tx.PutMany(recs) }))
	}
	write(1, 1)
	write(2, n/2) // half over the first, half new
	must(t, s.View(ctx, func(tx store.Tx) error {
		list, err := store.List[rec](tx, store.Products)
		if err != nil {
			return err
		}
		if len(list) != n+n/2-1 {
			return fmt.Errorf("%d products, want %d", len(list), n+n/2-1)
		}
		for i, r := range list {
			id := i + 1
			want := "1"
			if id >= n/2 {
				want = "2"
			}
			if r.N != id || r.Name != want {
				return fmt.Errorf("product %d is %+v, want n %d from round %s", id, r, id, want)
			}
		}
		p, err := store.Get[rec](tx, store.Plans, store.IDKey(1))
		if err != nil || p.Name != "last" {
			return fmt.Errorf("plan 1 is %+v (%v): the last value of a key given twice must win", p, err)
		}
		return nil
	}))
}

// Large kinds are decoded on every core: the order is still key order, and
// a bad record is reported by the first bad key, as a serial decode would.
func testListLarge(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 3001
	must(t, s.Update(ctx, func(tx store.Tx) error {
		for i := 1; i <= n; i++ {
			if err := store.Put(tx, store.Products, store.IDKey(uint64(i)), rec{Name: fmt.Sprint(i), N: i}); err != nil {
				return err
			}
		}
		return nil
	}))
	must(t, s.View(ctx, func(tx store.Tx) error {
		list, err := store.List[rec](tx, store.Products)
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
		odd, err := store.ListWhere[rec](tx, store.Products, func(raw []byte) bool {
			var r rec
			return store.Decode(raw, &r) == nil && r.N%10 == 1
		})
		if err != nil || len(odd) != 301 || odd[0].N != 1 || odd[1].N != 11 {
			return fmt.Errorf("ListWhere: %d records (%v), want 301 from 1, 11", len(odd), err)
		}
		return nil
	}))
	// Records of the wrong shape: the first one in key order is named.
	must(t, s.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put(store.Products, store.IDKey(n-3), []byte(`[]`)); err != nil {
			return err
		}
		return tx.Put(store.Products, store.IDKey(n), []byte(`{"n":"x"}`))
	}))
	err := s.View(ctx, func(tx store.Tx) error {
		_, err := store.List[rec](tx, store.Products)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%x", store.IDKey(n-3))) {
		t.Fatalf("error %v does not name the first bad record", err)
	}
	// Bytes that are not JSON: a backend may refuse them (a JSON column),
	// or keep them and report them when read; never lose them silently.
	putErr := s.Update(ctx, func(tx store.Tx) error { return tx.Put(store.Products, store.IDKey(1), []byte("{bad")) })
	err = s.View(ctx, func(tx store.Tx) error {
		_, err := store.List[rec](tx, store.Products)
		return err
	})
	if putErr == nil && (err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%x", store.IDKey(1)))) {
		t.Fatalf("stored bytes that are not JSON, then listed them with %v", err)
	}
}

func testCancelled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	if err := s.Update(ctx, func(store.Tx) error { called = true; return nil }); !errors.Is(err, context.Canceled) || called {
		t.Fatalf("update on a cancelled context: %v, called %v", err, called)
	}
	if err := s.View(ctx, func(store.Tx) error { called = true; return nil }); !errors.Is(err, context.Canceled) || called {
		t.Fatalf("view on a cancelled context: %v, called %v", err, called)
	}
}

// A revision, where a backend gives one, is the same for transactions with
// no commit between them and grows with every commit.
func testRevision(t *testing.T, s store.Store) {
	ctx := context.Background()
	rev := func() (uint64, bool) {
		var r uint64
		var ok bool
		must(t, s.View(ctx, func(tx store.Tx) error { r, ok = tx.Revision(); return nil }))
		return r, ok
	}
	r1, ok := rev()
	if !ok {
		t.Skip("this backend does not tell revisions")
	}
	if r2, _ := rev(); r2 != r1 {
		t.Fatalf("revision moved without a commit: %d -> %d", r1, r2)
	}
	var inside uint64
	must(t, s.Update(ctx, func(tx store.Tx) error {
		inside, _ = tx.Revision()
		return store.Put(tx, store.Providers, []byte("a"), rec{})
	}))
	if inside != r1 {
		t.Fatalf("an update sees revision %d, the last commit was %d", inside, r1)
	}
	if r3, _ := rev(); r3 <= r1 {
		t.Fatalf("revision after a commit %d, before %d", r3, r1)
	}
}

func testEmptyKinds(t *testing.T, s store.Store) {
	must(t, s.View(context.Background(), func(tx store.Tx) error {
		for _, k := range store.Kinds {
			list, err := store.List[rec](tx, k)
			if err != nil || list == nil || len(list) != 0 {
				return fmt.Errorf("%s: %#v %v, want an empty list", k, list, err)
			}
			if n, err := tx.Count(k); n != 0 || err != nil {
				return fmt.Errorf("%s: count %d %v", k, n, err)
			}
		}
		return nil
	}))
	if s.Location() == "" {
		t.Fatal("Location is empty")
	}
}
