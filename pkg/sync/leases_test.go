package sync

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// Two engines (two processes, two hosts) on one state: a provider whose
// lease the other holds is not synced twice at once.
func TestLeases(t *testing.T) {
	ctx := context.Background()
	sim, open := engineWorld(t, "prod")
	dir := t.TempDir()
	leases := boltstore.Leases{Path: filepath.Join(dir, "t.db")}
	engine := func(instance string) *Engine {
		return &Engine{
			OpenDB: open, Leases: leases, Instance: instance,
			SourceFor: func(ctx context.Context, p provider.Provider) (Source, error) {
				return dashboard.New(dashboard.Config{BaseURL: p.URL, Secret: "demo-admin-key-org1", OrgID: seedOrg})
			},
		}
	}
	policyRequests := func() int {
		n := 0
		for _, r := range sim.Requests() {
			if strings.HasPrefix(r.Path, "/api/portal/policies") {
				n++
			}
		}
		return n
	}
	lastSync := func() *catalog.SyncResult {
		db, err := open(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var p provider.Provider
		if err := db.View(ctx, func(tx store.Tx) error {
			var err error
			p, err = repo.GetProvider(tx, "prod")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return p.LastSync
	}

	held, err := leases.Acquire(ctx, "prod", "host-a/1", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Held elsewhere, no wait: a failed result naming the holder; nothing
	// fetched, nothing recorded.
	rs, err := engine("host-b/2").Sync(ctx, nil, Options{})
	if err != nil || len(rs) != 1 {
		t.Fatal(rs, err)
	}
	if r := rs[0]; r.Status != catalog.SyncFailed || r.Deferred != catalog.DeferredBusy || !strings.Contains(r.Error, `provider "prod" is being synced by host-a/1 since `) || r.Instance != "host-b/2" {
		t.Fatalf("busy result %+v", r)
	}
	if policyRequests() != 0 || lastSync() != nil {
		t.Fatal("a busy provider was fetched or its outcome recorded")
	}
	// With a wait, the sync goes ahead once the holder lets go.
	go func() { time.Sleep(200 * time.Millisecond); held.Release() }()
	rs, err = engine("host-b/2").Sync(ctx, nil, Options{LeaseWait: 5 * time.Second})
	if err != nil || rs[0].Status != catalog.SyncOK || rs[0].Deferred != "" {
		t.Fatalf("after the wait: %+v %v", rs, err)
	}
	if ls := lastSync(); ls == nil || ls.Instance != "host-b/2" {
		t.Fatalf("recorded: %+v", ls)
	}
	// The lease is let go after the sync: another instance takes it at once.
	if l, err := leases.Acquire(ctx, "prod", "host-c/3", 0); err != nil {
		t.Fatalf("the lease outlived the sync: %v", err)
	} else {
		l.Release()
	}
	// Synced within the interval by someone: left alone, nothing fetched.
	before := policyRequests()
	rs, err = engine("host-c/3").Sync(ctx, nil, Options{FreshWithin: time.Hour})
	if err != nil || rs[0].Deferred != catalog.DeferredFresh || rs[0].StartedAt.IsZero() {
		t.Fatalf("fresh: %+v %v", rs, err)
	}
	if policyRequests() != before || lastSync().Instance != "host-b/2" {
		t.Fatal("a fresh provider was fetched or recorded again")
	}
}

func TestBusyError(t *testing.T) {
	since := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	err := error(&store.BusyError{Provider: "prod", Holder: "web-1/42", Since: since})
	if !errors.Is(err, store.ErrBusy) || err.Error() != `provider "prod" is being synced by web-1/42 since 2026-12-02T10:00:00Z` {
		t.Fatalf("%v", err)
	}
	if (&store.BusyError{Provider: "p"}).Error() != `provider "p" is being synced by another tykportal` {
		t.Fatal("no holder")
	}
}
