package portal

import (
	"context"
	"fmt"
	"sort"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// APIUse is one line of `apis list`: a Dashboard API and the local products
// that grant access to it.
type APIUse struct {
	APIID    string   `json:"api_id"`
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	AuthType string   `json:"auth_type"`
	IsOAS    bool     `json:"is_oas"`
	Active   bool     `json:"active"`
	Products []uint64 `json:"products"`
}

// ListAPIs lists a provider's APIs live from its Dashboard, sorted by name,
// each with the ids of the local products (hidden ones included) that use
// it; never nil.
func (s *Service) ListAPIs(ctx context.Context, providerName string) ([]APIUse, error) {
	p, c, err := s.providerAndClient(ctx, providerName)
	if err != nil {
		return nil, err
	}
	apis, err := providerAPIs(ctx, c, p)
	if err != nil {
		return nil, err
	}
	var products []catalog.Product
	err = s.view(ctx, func(tx store.Tx) error {
		var err error
		products, err = repo.ListProducts(tx, p.Name, catalog.AllItems)
		return err
	})
	if err != nil && !isNoState(err) {
		return nil, err
	}
	return apiUsage(apis, products), nil
}

// providerAPIs lists the APIs of provider p.
func providerAPIs(ctx context.Context, c *dashboard.Client, p provider.Provider) ([]dashboard.API, error) {
	apis, err := c.ListAPIs(ctx)
	if err != nil {
		return nil, remote(fmt.Errorf("list the APIs of provider %q: %w", p.Name, err))
	}
	return apis, nil
}

// apiUsage joins a provider's APIs with the products using each, sorted by
// name, then id.
func apiUsage(apis []dashboard.API, products []catalog.Product) []APIUse {
	users := map[string][]uint64{}
	for _, p := range products {
		for _, a := range p.APIs {
			users[a.APIID] = append(users[a.APIID], p.ID)
		}
	}
	out := make([]APIUse, 0, len(apis))
	for _, a := range apis {
		ids := users[a.APIID]
		if ids == nil {
			ids = []uint64{}
		}
		out = append(out, APIUse{APIID: a.APIID, ID: a.ID, Name: a.Name, AuthType: a.AuthType, IsOAS: a.IsOAS, Active: a.Active, Products: ids})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].APIID < out[j].APIID
	})
	return out
}
