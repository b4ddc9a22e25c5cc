package portal

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	tpsync "github.com/tykportal/tykportal/pkg/sync"
	"github.com/tykportal/tykportal/pkg/watch"
)

func TestSync(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		setup     func(f *fixture)
		opts      tpsync.Options
		names     []string
		wantErr   catalog.Code // of the call itself
		wantFail  string       // in the one result's error
		unchanged bool         // nothing but the outcome may change
	}{
		{name: "ok", setup: func(*fixture) {}},
		{name: "dry run writes nothing", opts: tpsync.Options{DryRun: true}, unchanged: true},
		{name: "wrong secret", setup: func(f *fixture) { f.secrets.m["prod"] = "wrong" }, wantFail: "refused the secret", unchanged: true},
		{name: "Dashboard fails", setup: func(f *fixture) {
			f.sim.SetFault("GET", "/api/portal/policies", 0, dashboardtest.Fault{Status: 500})
		}, wantFail: "the Dashboard failed", unchanged: true},
		{name: "garbage answer", setup: func(f *fixture) {
			f.sim.SetFault("GET", "/api/portal/policies", 0, dashboardtest.Fault{Garbage: true})
		}, wantFail: "cannot be read", unchanged: true},
		{name: "unknown provider", names: []string{"nope"}, wantErr: catalog.CodeUnknown, unchanged: true},
		{name: "bad name", names: []string{"Bad Name"}, wantErr: catalog.CodeInvalid, unchanged: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.withProvider("prod")
			if tc.setup != nil {
				tc.setup(f)
			}
			before := catalogueBytes(f)
			results, err := f.svc.Sync(ctx, tc.names, tc.opts)
			if tc.wantErr != "" {
				if catalog.CodeOf(err) != tc.wantErr {
					t.Fatalf("error %v, want code %s", err, tc.wantErr)
				}
			} else {
				if err != nil || len(results) != 1 {
					t.Fatalf("%+v %v", results, err)
				}
				r := results[0]
				if tc.wantFail != "" {
					if r.Status != catalog.SyncFailed || !strings.Contains(r.Error, tc.wantFail) {
						t.Fatalf("result %s %q, want a failure with %q", r.Status, r.Error, tc.wantFail)
					}
					if err := FailedSyncs(results); err == nil || !strings.Contains(err.Error(), "sync failed for prod") {
						t.Fatalf("FailedSyncs: %v", err)
					}
				} else if r.Status != catalog.SyncOK || r.Products.Created == 0 || FailedSyncs(results) != nil {
					t.Fatalf("result %+v", r)
				}
			}
			if after := catalogueBytes(f); tc.unchanged && after != before {
				t.Fatal("the catalogue changed")
			} else if !tc.unchanged && after == before {
				t.Fatal("the catalogue did not change")
			}
		})
	}
}

// catalogueBytes are the products and plans only (a failed sync records
// its outcome on the provider).
func catalogueBytes(f *fixture) string {
	var b strings.Builder
	err := f.svc.view(context.Background(), func(tx store.Tx) error {
		for _, k := range []store.Kind{store.Products, store.Plans} {
			_ = tx.ForEach(k, func(key, v []byte) error { b.Write(key); b.Write(v); return nil })
		}
		return nil
	})
	if err != nil && !isNoState(err) {
		f.t.Fatal(err)
	}
	return b.String()
}

// A sync while another process holds the state fails clearly and changes nothing.
func TestSyncStateInUse(t *testing.T) {
	f := newFixture(t)
	f.withProvider("prod")
	open := f.svc.OpenStore
	f.svc.OpenStore = func(ctx context.Context, ro bool) (store.Store, error) {
		return boltstore.Open(ctx, f.dbPath, boltstore.Options{ReadOnly: ro, LockTimeout: 100 * time.Millisecond})
	}
	held, err := open(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Sync(context.Background(), nil, tpsync.Options{})
	held.Close()
	if !errors.Is(err, store.ErrLocked) || catalog.CodeOf(err) != catalog.CodeInUse {
		t.Fatalf("error %v, want the in-use error", err)
	}
	if catalogueBytes(f) != "" {
		t.Fatal("the catalogue changed")
	}
}

func TestWatchedAndCounts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if got, err := f.svc.Watched(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("no state: %v %v", got, err)
	}
	f.withProvider("prod")
	f.withProvider("edge")
	if got, _ := f.svc.Watched(ctx, nil); strings.Join(got, ",") != "edge,prod" {
		t.Fatalf("all: %v", got)
	}
	if got, _ := f.svc.Watched(ctx, []string{"prod", "gone"}); strings.Join(got, ",") != "prod" {
		t.Fatalf("named: %v", got)
	}
	if _, err := f.svc.Sync(ctx, []string{"prod"}, tpsync.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := SetPublished[catalog.Product](ctx, f.svc, 1, true); err != nil {
		t.Fatal(err)
	}
	// Hide one product: its policy goes from the Dashboard.
	all, err := ListItems[catalog.Product](ctx, f.svc, ListOptions{Provider: "prod", Visibility: catalog.VisibleOnly})
	if err != nil || len(all) < 2 {
		t.Fatalf("products %v %v", all, err)
	}
	if err := f.sim.DeletePolicy(all[len(all)-1].PolicyMID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Sync(ctx, []string{"prod"}, tpsync.Options{}); err != nil {
		t.Fatal(err)
	}
	products, plans, err := f.svc.Counts(ctx, "prod")
	if err != nil || products.Published != 1 || products.Hidden != 1 || products.Unpublished == 0 || plans.Unpublished == 0 {
		t.Fatalf("counts %+v %+v %v", products, plans, err)
	}
	// The states partition the items: each is counted once.
	allProducts, err := ListItems[catalog.Product](ctx, f.svc, ListOptions{Provider: "prod", Visibility: catalog.AllItems})
	if err != nil {
		t.Fatal(err)
	}
	allPlans, err := ListItems[catalog.Plan](ctx, f.svc, ListOptions{Provider: "prod", Visibility: catalog.AllItems})
	if err != nil {
		t.Fatal(err)
	}
	for kind, c := range map[string]watch.CatalogCounts{"products": products, "plans": plans} {
		n := map[string]int{"products": len(allProducts), "plans": len(allPlans)}[kind]
		if sum := c.Published + c.Unpublished + c.Hidden; sum != n {
			t.Errorf("%s: states sum to %d (%+v), the provider has %d", kind, sum, c, n)
		}
	}
	if p, _, _ := f.svc.Counts(ctx, "edge"); p != (watch.CatalogCounts{}) {
		t.Fatalf("edge counts %+v", p)
	}
}
