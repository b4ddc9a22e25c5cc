package portal

import (
	"context"
	"fmt"
	"strings"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
	tpsync "github.com/tykportal/tykportal/pkg/sync"
	"github.com/tykportal/tykportal/pkg/watch"
)

// Syncer is the sync engine over this service's state and Dashboards; watch
// runs it in its loop.
func (s *Service) Syncer() *tpsync.Engine {
	return &tpsync.Engine{
		OpenDB: s.OpenStore,
		SourceFor: func(ctx context.Context, p provider.Provider) (tpsync.Source, error) {
			return s.client(ctx, p)
		},
		Now:      s.Now,
		Leases:   s.Leases,
		Instance: s.Instance,
	}
}

// Sync syncs the named providers (all when none is named): one result per
// provider, also for those that failed. Names are checked before any request.
func (s *Service) Sync(ctx context.Context, names []string, opts tpsync.Options) ([]catalog.SyncResult, error) {
	for _, n := range names {
		if err := provider.ValidateName(n); err != nil {
			return nil, err
		}
	}
	results, err := s.Syncer().Sync(ctx, names, opts)
	if results == nil && err == nil {
		results = []catalog.SyncResult{}
	}
	return results, err
}

// FailedSyncs is the error of a sync run in which some providers failed,
// naming each with its error; nil when all succeeded.
func FailedSyncs(results []catalog.SyncResult) error {
	var failed []string
	for _, r := range results {
		if r.Status == catalog.SyncFailed {
			failed = append(failed, fmt.Sprintf("%s (%s)", r.Provider, r.Error))
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return fmt.Errorf("sync failed for %s", strings.Join(failed, "; "))
}

// Watched lists the providers a watch syncs now: the named ones that exist
// (all when none is named), in name order.
func (s *Service) Watched(ctx context.Context, names []string) ([]string, error) {
	var all []provider.Provider
	err := s.view(ctx, func(tx store.Tx) error {
		var err error
		all, err = repo.ListProviders(tx)
		return err
	})
	if err != nil && !isNoState(err) {
		return nil, err
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []string
	for _, p := range all {
		if len(names) == 0 || want[p.Name] {
			out = append(out, p.Name)
		}
	}
	return out, nil
}

// Counts counts a provider's products and plans by state (for metrics).
func (s *Service) Counts(ctx context.Context, name string) (products, plans watch.CatalogCounts, err error) {
	err = s.view(ctx, func(tx store.Tx) error {
		ps, err := repo.ListProducts(tx, name, catalog.AllItems)
		if err != nil {
			return err
		}
		for _, p := range ps {
			tally(&products, p.Item)
		}
		pl, err := repo.ListPlans(tx, name, catalog.AllItems)
		if err != nil {
			return err
		}
		for _, p := range pl {
			tally(&plans, p.Item)
		}
		return nil
	})
	return products, plans, err
}

func tally(c *watch.CatalogCounts, it catalog.Item) { c.Count(it.Hidden, it.Published) }
