package portal

import (
	"context"
	"fmt"
	"sort"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/policy"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// ExportOptions select what `export` writes.
type ExportOptions struct {
	Providers []string // none: every provider
	Hidden    bool     // hidden items too
}

// Export builds the catalogue document: every selected provider (without
// its secret) with its local products and plans. Their Dashboard-owned
// fields come from the policies as the Dashboard holds them now, with each
// policy's fingerprint; their local fields from the state. The document is
// sorted (providers by name, items by key, APIs by id, tags) so that an
// unchanged catalogue exports to the same bytes.
func (s *Service) Export(ctx context.Context, o ExportOptions) (*CatalogDoc, error) {
	doc := &CatalogDoc{Version: CatalogVersion, Providers: []ProviderDoc{}}
	var provs []provider.Provider
	products := map[string][]catalog.Product{}
	plans := map[string][]catalog.Plan{}
	vis := catalog.VisibleOnly
	if o.Hidden {
		vis = catalog.AllItems
	}
	err := s.view(ctx, func(tx store.Tx) error {
		all, err := repo.ListProviders(tx)
		if err != nil {
			return err
		}
		if len(o.Providers) == 0 {
			provs = all
		}
		for _, name := range o.Providers {
			p, err := repo.GetProvider(tx, name)
			if err != nil {
				return err
			}
			provs = append(provs, p)
		}
		for _, p := range provs {
			if products[p.Name], err = repo.ListProducts(tx, p.Name, vis); err != nil {
				return err
			}
			if plans[p.Name], err = repo.ListPlans(tx, p.Name, vis); err != nil {
				return err
			}
		}
		return nil
	})
	if isNoState(err) {
		if len(o.Providers) > 0 {
			return nil, fmt.Errorf("%w %q: no provider has been added yet", provider.ErrUnknown, o.Providers[0])
		}
		return doc, nil
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(provs, func(i, j int) bool { return provs[i].Name < provs[j].Name })
	for _, p := range provs {
		pd, err := s.exportProvider(ctx, p, products[p.Name], plans[p.Name])
		if err != nil {
			return nil, err
		}
		doc.Providers = append(doc.Providers, pd)
	}
	return doc, nil
}

func (s *Service) exportProvider(ctx context.Context, p provider.Provider, products []catalog.Product, plans []catalog.Plan) (ProviderDoc, error) {
	pd := ProviderDoc{Name: p.Name, Type: p.Type, URL: p.URL, GatewayURL: p.GatewayURL, OrgID: p.OrgID,
		PolicyTags: sortedSet(p.PolicyTags), InsecureSkipVerify: p.InsecureSkipVerify, CAFile: p.CAFile}
	prods, pls := []ProductDoc{}, []PlanDoc{}
	pd.Products, pd.Plans = &prods, &pls
	if len(products) == 0 && len(plans) == 0 {
		return pd, nil
	}
	c, err := s.client(ctx, p)
	if err != nil {
		return pd, err
	}
	live, err := c.ListPolicies(ctx)
	if err != nil {
		return pd, remote(fmt.Errorf("list the policies of provider %q: %w", p.Name, err))
	}
	byMID := make(map[string]*dashboard.Policy, len(live))
	for i := range live {
		byMID[live[i].MID] = &live[i]
	}
	apiByID := map[string]dashboard.API{}
	if len(products) > 0 {
		apis, err := providerAPIs(ctx, c, p)
		if err != nil {
			return pd, err
		}
		for _, a := range apis {
			apiByID[a.APIID] = a
		}
	}
	for _, it := range products {
		d := ProductDoc{Name: it.Name, DisplayName: it.DisplayName, Description: it.Description, Published: it.Published,
			Hidden: it.Hidden, AuthType: it.AuthType, APIs: []APIDoc{}, Tags: []string{}}
		names := map[string]string{}
		ids := []string{}
		if pol := byMID[it.PolicyMID]; pol != nil {
			d.Name, d.Tags, d.Fingerprint = pol.Name, sortedSet(pol.Tags), Fingerprint(pol)
			for id, ad := range pol.AccessRights {
				ids = append(ids, id)
				names[id] = ad.APIName
			}
		} else {
			for _, a := range it.APIs {
				ids = append(ids, a.APIID)
				names[a.APIID] = a.Name
			}
		}
		sort.Strings(ids)
		for i, id := range ids {
			name, lp := names[id], ""
			if a, ok := apiByID[id]; ok {
				name, lp = a.Name, a.ListenPath
				if i == 0 {
					d.AuthType = a.AuthType
				}
			}
			d.APIs = append(d.APIs, APIDoc{APIID: id, Name: name, ListenPath: lp})
		}
		prods = append(prods, d)
	}
	for _, it := range plans {
		d := PlanDoc{Name: it.Name, DisplayName: it.DisplayName, Description: it.Description, Published: it.Published,
			Hidden: it.Hidden, Tags: []string{}}
		l := it.Limits
		if pol := byMID[it.PolicyMID]; pol != nil {
			d.Name, d.Tags, d.Fingerprint = pol.Name, sortedSet(pol.Tags), Fingerprint(pol)
			l = policy.LimitsOf(pol)
		}
		d.setLimits(l)
		pls = append(pls, d)
	}
	sort.SliceStable(prods, func(i, j int) bool { return prods[i].Name < prods[j].Name })
	sort.SliceStable(pls, func(i, j int) bool { return pls[i].Name < pls[j].Name })
	if err := uniqueNames(p.Name, "product", len(prods), func(i int) string { return prods[i].Name }); err != nil {
		return pd, err
	}
	if err := uniqueNames(p.Name, "plan", len(pls), func(i int) string { return pls[i].Name }); err != nil {
		return pd, err
	}
	return pd, nil
}

// uniqueNames refuses an export in which two items of one kind share a
// name: the document keys them by it. (sorted: duplicates are adjacent)
func uniqueNames(providerName, kind string, n int, name func(int) string) error {
	for i := 1; i < n; i++ {
		if name(i) == name(i-1) {
			return fmt.Errorf("%w: provider %q has two %ss named %q; rename one (`tykportal %ss edit ID --name ...`) and export again", catalog.ErrInvalid, providerName, kind, name(i), kind)
		}
	}
	return nil
}
