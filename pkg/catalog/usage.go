package catalog

import (
	"sort"

	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/store"
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

// APIUsage joins a provider's APIs with the products using each, sorted by name.
func APIUsage(apis []dashboard.API, products []Product) []APIUse {
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

// LiveCredentials counts the credentials that are not revoked and use the
// product or plan id.
func LiveCredentials(tx *store.Tx, kind string, id uint64) (int, error) {
	creds, err := store.List[Credential](tx, store.Credentials)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range creds {
		if c.Revoked {
			continue
		}
		if (kind == KindProduct && c.ProductID == id) || (kind == KindPlan && c.PlanID == id) {
			n++
		}
	}
	return n, nil
}
