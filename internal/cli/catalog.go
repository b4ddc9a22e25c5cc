package cli

import (
	"context"
	"fmt"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// checkProvider makes --provider P an input error when P does not exist.
func (a *App) checkProvider(tx store.Tx, name string) error {
	if name == "" {
		return nil
	}
	if err := provider.ValidateName(name); err != nil {
		return err
	}
	_, err := repo.GetProvider(tx, name)
	return err
}

// noStateOK treats a missing state file as empty, except that a named
// provider cannot exist in it.
func (a *App) noStateOK(err error, providerName string) error {
	if isNoState(err) {
		if providerName != "" {
			return fmt.Errorf("%w %q: no provider has been added yet", provider.ErrUnknown, providerName)
		}
		return nil
	}
	return err
}

func (a *App) readProduct(ctx context.Context, idArg string) (catalog.Product, error) {
	id, err := catalog.ParseID("product", idArg)
	if err != nil {
		return catalog.Product{}, err
	}
	var p catalog.Product
	err = a.view(ctx, func(tx store.Tx) error {
		p, err = repo.GetProduct(tx, id)
		return err
	})
	if isNoState(err) {
		return p, fmt.Errorf("product %d: %w (no state file yet)", id, catalog.ErrUnknown)
	}
	return p, err
}

func (a *App) readPlan(ctx context.Context, idArg string) (catalog.Plan, error) {
	id, err := catalog.ParseID("plan", idArg)
	if err != nil {
		return catalog.Plan{}, err
	}
	var p catalog.Plan
	err = a.view(ctx, func(tx store.Tx) error {
		p, err = repo.GetPlan(tx, id)
		return err
	})
	if isNoState(err) {
		return p, fmt.Errorf("plan %d: %w (no state file yet)", id, catalog.ErrUnknown)
	}
	return p, err
}

// publishCommand builds publish/unpublish for products or plans: local only.
