package repo

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
)

// The last sync result is kept whole in the history, the provider record
// holds it without its lists; WithLastSync gives it back whole, a record
// written the old way (whole, no pointer) reads unchanged, and Delete
// removes the pointer.
func TestLastSyncKeptApart(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	r := catalog.SyncResult{Provider: "a", Status: catalog.SyncOK,
		Changes: []catalog.Change{{Action: catalog.ActionCreate, Kind: catalog.KindProduct, Name: "x"}},
		Skipped: []catalog.SkippedItem{{PolicyID: "p", Reason: "inactive"}}}
	err := db.Update(ctx, func(tx store.Tx) error {
		p := provider.Provider{Name: "a"}
		if err := store.Put(tx, store.SyncHistory, store.IDKey(7), r); err != nil {
			return err
		}
		if err := SetLastSync(tx, &p, r, store.IDKey(7)); err != nil {
			return err
		}
		if len(p.LastSync.Changes) != 0 || len(p.LastSync.Skipped) != 0 || p.LastSync.Status != catalog.SyncOK {
			t.Errorf("slim copy: %+v", p.LastSync)
		}
		old := provider.Provider{Name: "b", LastSync: &r} // as written before the split
		if err := PutProvider(tx, old); err != nil {
			return err
		}
		return PutProvider(tx, p)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx store.Tx) error {
		for _, name := range []string{"a", "b"} {
			p, err := GetProvider(tx, name)
			if err != nil {
				return err
			}
			if err := WithLastSync(tx, &p); err != nil {
				return err
			}
			if len(p.LastSync.Changes) != 1 || len(p.LastSync.Skipped) != 1 {
				t.Errorf("%s: last sync not whole: %+v", name, p.LastSync)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return DeleteProvider(tx, "a") }); err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx store.Tx) error {
		_, err := store.GetRaw(tx, store.LastSyncs, []byte("a"))
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the last sync outlived its provider: %v", err)
	}
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	db, err := boltstore.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DeleteProvider removes every record of the provider and nothing of
// another; the history keeps a bounded number of results per provider.
func TestDeleteProviderAndHistory(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.Update(ctx, func(tx store.Tx) error {
		for _, name := range []string{"a", "b"} {
			p := provider.Provider{Name: name}
			for i := 0; i < 5; i++ {
				if err := RecordSync(tx, &p, catalog.SyncResult{Provider: name, Status: catalog.SyncOK}, 3); err != nil {
					return err
				}
			}
			prod := catalog.Product{Item: catalog.Item{Provider: name, Name: "p-" + name}}
			if err := CreateItem(tx, ProductKind, &prod); err != nil {
				return err
			}
			plan := catalog.Plan{Item: catalog.Item{Provider: name, Name: "l-" + name}}
			if err := CreateItem(tx, PlanKind, &plan); err != nil {
				return err
			}
			c := catalog.Credential{Provider: name, ProductID: prod.ID, PlanID: plan.ID}
			if err := CreateCredential(tx, &c); err != nil {
				return err
			}
			op := catalog.Operation{Provider: name}
			if err := BeginOperation(tx, &op); err != nil {
				return err
			}
		}
		return nil
	}))
	count := func(tx store.Tx, k store.Kind) int {
		n, err := tx.Count(k)
		must(err)
		return n
	}
	must(db.View(ctx, func(tx store.Tx) error {
		if n := count(tx, store.SyncHistory); n != 6 {
			t.Errorf("history holds %d results, want 3 per provider", n)
		}
		return nil
	}))
	must(db.Update(ctx, func(tx store.Tx) error { return DeleteProvider(tx, "a") }))
	must(db.View(ctx, func(tx store.Tx) error {
		for _, k := range []store.Kind{store.Providers, store.Products, store.Plans, store.Credentials, store.Operations, store.LastSyncs} {
			if n := count(tx, k); n != 1 {
				t.Errorf("%s: %d records left, want provider b's one", k, n)
			}
		}
		if n := count(tx, store.SyncHistory); n != 3 {
			t.Errorf("history: %d, want b's 3", n)
		}
		b, err := ListProducts(tx, "", catalog.AllItems)
		if err != nil || len(b) != 1 || b[0].Provider != "b" {
			t.Errorf("products left: %+v %v", b, err)
		}
		return nil
	}))
	must(db.View(ctx, func(tx store.Tx) error {
		if _, err := GetProvider(tx, "a"); !errors.Is(err, provider.ErrUnknown) || catalog.CodeOf(err) != catalog.CodeUnknown {
			t.Errorf("removed provider: %v", err)
		}
		if _, err := GetProduct(tx, 1); !errors.Is(err, catalog.ErrUnknown) {
			t.Errorf("removed product: %v", err)
		}
		return nil
	}))
}

// A history record encoded ahead, its duration set when recorded, is the
// bytes RecordSync writes for the same result, whatever the strings
// before the duration hold; the provider gets the same slim last sync.
func TestRecordEncodedSync(t *testing.T) {
	ctx := context.Background()
	id := uint64(3)
	started := time.Date(2026, 12, 3, 4, 5, 6, 7e6, time.UTC)
	for _, tc := range []struct {
		name     string
		r        catalog.SyncResult
		duration int64
	}{
		{"first sync", catalog.SyncResult{Provider: "a", Status: catalog.SyncOK, StartedAt: started, PoliciesFetched: 2,
			Changes: []catalog.Change{{Action: catalog.ActionCreate, Kind: catalog.KindProduct, ID: &id, PolicyID: "p", Name: `,"duration_ms":0,`}}}, 1234},
		{"duration 0", catalog.SyncResult{Provider: "a", Status: catalog.SyncOK, StartedAt: started}, 0},
		{"look-alike in the error", catalog.SyncResult{Provider: "a", Status: catalog.SyncFailed, Error: `x","duration_ms":0,"y`, StartedAt: started}, 98765432109},
		{"look-alike in the name", catalog.SyncResult{Provider: `b","duration_ms":0,"`, Status: catalog.SyncOK, Instance: "h", StartedAt: started}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.r
			want.DurationMS = tc.duration
			record := func(encodeAhead bool) ([]byte, provider.Provider) {
				db := openStore(t)
				p := provider.Provider{Name: tc.r.Provider}
				var raw []byte
				err := db.Update(ctx, func(tx store.Tx) error {
					var err error
					if encodeAhead {
						h := EncodeHistory(tc.r)
						if got := h.WithDuration(tc.duration); !reflect.DeepEqual(got, want) {
							t.Errorf("WithDuration: %+v, want %+v", got, want)
						}
						err = RecordEncodedSync(tx, &p, h, tc.duration, 10)
					} else {
						err = RecordSync(tx, &p, want, 10)
					}
					if err != nil {
						return err
					}
					raw, err = store.GetRaw(tx, store.SyncHistory, store.IDKey(1))
					raw = bytes.Clone(raw)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				return raw, p
			}
			ahead, pa := record(true)
			plain, pp := record(false)
			if !bytes.Equal(ahead, plain) {
				t.Errorf("encoded ahead:\n%s\nencoded at once:\n%s", ahead, plain)
			}
			if !reflect.DeepEqual(pa, pp) || pa.LastSync.DurationMS != tc.duration {
				t.Errorf("provider %+v, want %+v", pa.LastSync, pp.LastSync)
			}
		})
	}
}
