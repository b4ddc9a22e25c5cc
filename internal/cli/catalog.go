package cli

import (
	"context"
	"fmt"

	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// Legacy helpers of the commands that do not yet go through internal/portal
// (credentials, doctor); portal has their equivalents.

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

// providerAndClient reads a provider and builds its Dashboard client.
func (a *App) providerAndClient(ctx context.Context, name string) (provider.Provider, *dashboard.Client, error) {
	if err := provider.ValidateName(name); err != nil {
		return provider.Provider{}, nil, err
	}
	p, err := a.getProvider(ctx, name)
	if err != nil {
		return p, nil, err
	}
	c, err := a.clientFor(ctx, p)
	return p, c, err
}
