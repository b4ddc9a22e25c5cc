package sync

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// hookSource runs a hook before listing policies: another process's write
// landing while the sync waits for the network.
type hookSource struct {
	Source
	hook func()
}

func (h hookSource) ListPolicies(ctx context.Context) ([]dashboard.Policy, error) {
	if h.hook != nil {
		h.hook()
	}
	return h.Source.ListPolicies(ctx)
}

const seedOrg = "5fd08e0f69710900018bc195"

// engineWorld starts a simulator with the seed data and a state file
// holding the named providers, all pointing to it; it returns the
// simulator and the Engine's OpenDB.
func engineWorld(t *testing.T, names ...string) (*dashboardtest.Server, func(context.Context, bool) (store.Store, error)) {
	t.Helper()
	sim := dashboardtest.NewServer(t, dashboardtest.Defaults())
	if err := sim.LoadDir("../../testdata/dashboard"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "t.db")
	open := func(ctx context.Context, ro bool) (store.Store, error) {
		return boltstore.Open(ctx, path, boltstore.Options{ReadOnly: ro})
	}
	db, err := open(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(context.Background(), func(tx store.Tx) error {
		for _, name := range names {
			if err := repo.PutProvider(tx, provider.Provider{Name: name, URL: sim.URL, OrgID: seedOrg, PolicyTags: []string{"portal"}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sim, open
}

// The local catalogue is read while the fetch runs; a commit that lands
// after that read must not be lost: the sync plans on the fresh state.
func TestPreloadedCatalogueIsNotUsedWhenStale(t *testing.T) {
	ctx := context.Background()
	sim, open := engineWorld(t, "prod")
	var hook func()
	e := &Engine{
		OpenDB: open,
		SourceFor: func(ctx context.Context, p provider.Provider) (Source, error) {
			c, err := dashboard.New(dashboard.Config{BaseURL: p.URL, Secret: "demo-admin-key-org1", OrgID: seedOrg})
			return hookSource{Source: c, hook: hook}, err
		},
	}
	sync := func() catalog.SyncResult {
		t.Helper()
		rs, err := e.Sync(ctx, nil, Options{AllowMassHide: true})
		if err != nil || len(rs) != 1 || rs[0].Status != catalog.SyncOK {
			t.Fatalf("%v %+v", err, rs)
		}
		return rs[0]
	}
	sync()
	product := func() catalog.Product {
		t.Helper()
		db, err := open(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var out catalog.Product
		err = db.View(ctx, func(tx store.Tx) error {
			ps, err := repo.ListProducts(tx, "prod", catalog.AllItems)
			for _, p := range ps {
				if p.Name == "Payments Product" {
					out = p
				}
			}
			return err
		})
		if err != nil || out.ID == 0 {
			t.Fatalf("no Payments Product: %v", err)
		}
		return out
	}
	before := product()
	if before.Published {
		t.Fatal("published before the test publishes it")
	}
	// The Dashboard renames the policy, so the next sync rewrites the
	// product; while it fetches, another process publishes the product.
	if err := sim.UpdatePolicy(before.PolicyMID, func(p map[string]any) { p["name"] = "Payments Renamed" }); err != nil {
		t.Fatal(err)
	}
	hook = func() {
		// Let the preload read first (it opens the file at once; this waits
		// for it), so that the write lands after it.
		time.Sleep(100 * time.Millisecond)
		db, err := open(ctx, false)
		if err != nil {
			t.Error(err)
			return
		}
		defer db.Close()
		err = db.Update(ctx, func(tx store.Tx) error {
			p, err := repo.GetProduct(tx, before.ID)
			if err != nil {
				return err
			}
			p.Published = true
			return repo.PutProduct(tx, p)
		})
		if err != nil {
			t.Error(err)
		}
	}
	r := sync()
	if r.Products.Updated == 0 {
		t.Fatalf("the rename did not update the product: %+v", r.Products)
	}
	db, err := open(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(ctx, func(tx store.Tx) error {
		p, err := repo.GetProduct(tx, before.ID)
		if err != nil {
			return err
		}
		if p.Name != "Payments Renamed" || !p.Published {
			t.Errorf("after the sync: name %q, published %v: a write that landed during the fetch was lost", p.Name, p.Published)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The history keeps the last HistorySize results of each provider, also
// when one provider's name is a prefix of another's.
func TestHistoryIsBoundedPerProvider(t *testing.T) {
	ctx := context.Background()
	_, open := engineWorld(t, "a", "ab")
	e := &Engine{
		OpenDB:      open,
		HistorySize: 3,
		SourceFor: func(ctx context.Context, p provider.Provider) (Source, error) {
			return dashboard.New(dashboard.Config{BaseURL: p.URL, Secret: "demo-admin-key-org1", OrgID: seedOrg})
		},
	}
	for i := 0; i < 5; i++ {
		if _, err := e.Sync(ctx, []string{"a", "ab"}, Options{AllowMassHide: true}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Sync(ctx, []string{"ab"}, Options{}); err != nil {
		t.Fatal(err)
	}
	db, err := open(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(ctx, func(tx store.Tx) error {
		all, err := store.List[catalog.SyncResult](tx, store.SyncHistory)
		if err != nil {
			return err
		}
		count := map[string]int{}
		for _, r := range all {
			count[r.Provider]++
		}
		if count["a"] != 3 || count["ab"] != 3 || len(all) != 6 {
			t.Errorf("history per provider: %v (%d records), want 3 each", count, len(all))
		}
		// The newest record is the last sync, of "ab" alone.
		if last := all[len(all)-1]; last.Provider != "ab" {
			t.Errorf("newest record is %q's", last.Provider)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A sync that finds nothing changed writes no product or plan record (not
// even a last_synced_at): only the outcome, on the provider and in the
// history.
func TestSecondSyncWritesOnlyTheOutcome(t *testing.T) {
	ctx := context.Background()
	_, open := engineWorld(t, "prod")
	e := &Engine{
		OpenDB: open,
		SourceFor: func(ctx context.Context, p provider.Provider) (Source, error) {
			return dashboard.New(dashboard.Config{BaseURL: p.URL, Secret: "demo-admin-key-org1", OrgID: seedOrg})
		},
	}
	dump := func() (catalogue map[string]string, history int) {
		t.Helper()
		db, err := open(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		catalogue = map[string]string{}
		err = db.View(ctx, func(tx store.Tx) error {
			for _, b := range []store.Kind{store.Products, store.Plans} {
				if err := tx.ForEach(b, func(k, v []byte) error {
					catalogue[string(b)+string(k)] = string(v)
					return nil
				}); err != nil {
					return err
				}
			}
			history, _ = tx.Count(store.SyncHistory)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return catalogue, history
	}
	if _, err := e.Sync(ctx, nil, Options{}); err != nil {
		t.Fatal(err)
	}
	before, h1 := dump()
	if len(before) == 0 {
		t.Fatal("the first sync wrote no catalogue")
	}
	rs, err := e.Sync(ctx, nil, Options{})
	if err != nil || rs[0].Status != catalog.SyncOK || len(rs[0].Changes) != 0 {
		t.Fatalf("%v %+v", err, rs)
	}
	after, h2 := dump()
	if !reflect.DeepEqual(before, after) {
		t.Error("a sync that changed nothing rewrote catalogue records")
	}
	if h2 != h1+1 {
		t.Errorf("history %d -> %d, want one more record", h1, h2)
	}
}

// A state file that another process holds past the lock timeout while the
// fetch runs fails the sync once, with "in use", instead of being waited for
// a second time by the write.
func TestFileHeldDuringFetchFailsOnce(t *testing.T) {
	ctx := context.Background()
	_, open := engineWorld(t, "prod")
	var opens []bool // readOnly of each open after the provider list
	e := &Engine{
		OpenDB: func(ctx context.Context, ro bool) (store.Store, error) {
			if len(opens) > 0 || !ro {
				opens = append(opens, ro)
				return nil, fmt.Errorf("open state file: %w", store.ErrLocked)
			}
			opens = append(opens, ro)
			return open(ctx, ro)
		},
		SourceFor: func(ctx context.Context, p provider.Provider) (Source, error) {
			return dashboard.New(dashboard.Config{BaseURL: p.URL, Secret: "demo-admin-key-org1", OrgID: seedOrg})
		},
	}
	_, err := e.Sync(ctx, nil, Options{})
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("err %v, want the in-use error", err)
	}
	if len(opens) != 2 || !opens[1] {
		t.Fatalf("opens (readOnly each): %v; want the provider list and the preload only, no write open", opens)
	}
}
