package provider

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
)

// The last sync result is kept whole in the history, the provider record
// holds it without its lists; WithLastSync gives it back whole, a record
// written the old way (whole, no pointer) reads unchanged, and Delete
// removes the pointer.
func TestLastSyncKeptApart(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := catalog.SyncResult{Provider: "a", Status: catalog.SyncOK,
		Changes: []catalog.Change{{Action: catalog.ActionCreate, Kind: catalog.KindProduct, Name: "x"}},
		Skipped: []catalog.SkippedItem{{PolicyID: "p", Reason: "inactive"}}}
	err = db.Update(ctx, func(tx *store.Tx) error {
		p := Provider{Name: "a"}
		if err := tx.Put(store.SyncHistory, store.IDKey(7), r); err != nil {
			return err
		}
		if err := SetLastSync(tx, &p, r, store.IDKey(7)); err != nil {
			return err
		}
		if len(p.LastSync.Changes) != 0 || len(p.LastSync.Skipped) != 0 || p.LastSync.Status != catalog.SyncOK {
			t.Errorf("slim copy: %+v", p.LastSync)
		}
		old := Provider{Name: "b", LastSync: &r} // as written before the split
		if err := Put(tx, old); err != nil {
			return err
		}
		return Put(tx, p)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		for _, name := range []string{"a", "b"} {
			p, err := Get(tx, name)
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
	if err := db.Update(ctx, func(tx *store.Tx) error { return Delete(tx, "a") }); err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		_, err := tx.GetRaw(store.LastSyncs, []byte("a"))
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the last sync outlived its provider: %v", err)
	}
}
