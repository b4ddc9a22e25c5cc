package portal

import (
	"context"
	"fmt"
	"strconv"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
)

// Candidate is one value a shell may complete, with what it names.
type Candidate struct {
	Value       string
	Description string
}

// What Complete lists.
const (
	CompleteProviders   = "providers"
	CompleteProducts    = "products"
	CompletePlans       = "plans"
	CompleteCredentials = "credentials"
)

// completionName is the part of a product's or plan's record a completion
// shows: decoding only these fields keeps a 10,000-item catalogue fast to
// complete, while a shell waits for each Tab.
type completionName struct {
	ID          uint64 `json:"id"`
	Provider    string `json:"provider"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Hidden      bool   `json:"hidden"`
}

type completionProvider struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

type completionCredential struct {
	ID        uint64 `json:"id"`
	Provider  string `json:"provider"`
	ProductID uint64 `json:"product_id"`
	PlanID    uint64 `json:"plan_id"`
	Consumer  string `json:"consumer"`
	Revoked   bool   `json:"revoked"`
}

// Complete lists the providers, products, plans or credentials of the
// state, in key order, for shell completion: it reads the state only (no
// Dashboard), and no state at all is no candidates.
func (s *Service) Complete(ctx context.Context, what string) ([]Candidate, error) {
	var out []Candidate
	err := s.view(ctx, func(tx store.Tx) error {
		switch what {
		case CompleteProviders:
			ps, err := store.List[completionProvider](tx, store.Providers)
			for _, p := range ps {
				out = append(out, Candidate{p.Name, p.URL})
			}
			return err
		case CompleteProducts, CompletePlans:
			kind := store.Products
			if what == CompletePlans {
				kind = store.Plans
			}
			items, err := store.List[completionName](tx, kind)
			for _, it := range items {
				out = append(out, Candidate{strconv.FormatUint(it.ID, 10), it.describe()})
			}
			return err
		case CompleteCredentials:
			cs, err := store.List[completionCredential](tx, store.Credentials)
			for _, c := range cs {
				d := fmt.Sprintf("%s (%s, product %d, plan %d)", c.Consumer, c.Provider, c.ProductID, c.PlanID)
				if c.Revoked {
					d += ", revoked"
				}
				out = append(out, Candidate{strconv.FormatUint(c.ID, 10), d})
			}
			return err
		}
		return fmt.Errorf("%w: nothing to complete named %q", catalog.ErrInvalid, what)
	})
	if isNoState(err) {
		return nil, nil
	}
	return out, err
}

// describe is the item's display name (else its name), its provider, and
// whether it is hidden.
func (it completionName) describe() string {
	name := it.DisplayName
	if name == "" {
		name = it.Name
	}
	d := name + " (" + it.Provider
	if it.Hidden {
		d += ", hidden"
	}
	return d + ")"
}
