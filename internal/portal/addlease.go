package portal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
)

// addWait is how long `provider add` waits for another add of a name with
// the same secret variable: the other holds it only for a read of the
// providers, the secret's store and one write.
const addWait = 10 * time.Second

// reserveName serializes, across processes and hosts, the adds of provider
// names that share a secret variable (prod, or prod-1 and prod_1) from
// before the secret is stored until the provider is saved or refused. The
// store's transaction alone keeps one provider of them, but both adds
// would store a secret under the same name first: the second would
// replace the first's, and, refused, delete it. The reservation is a lease
// named "add." and the name with '-' as '_' (provider names hold no '.',
// so it never is a sync's lease); nil Leases reserve nothing.
func (s *Service) reserveName(ctx context.Context, name string) (release func(), err error) {
	if s.Leases == nil {
		return func() {}, nil
	}
	key := "add." + strings.ReplaceAll(name, "-", "_")
	l, err := s.Leases.Acquire(ctx, key, s.Instance, addWait)
	if errors.Is(err, store.ErrBusy) {
		var busy *store.BusyError
		who := "another tykportal"
		if errors.As(err, &busy) && busy.Holder != "" {
			who = busy.Holder
		}
		return nil, catalog.Errorf(catalog.CodeInUse, "%s is adding provider %q, or one that shares its secret variable, since more than %s; try again", who, name, addWait)
	}
	if err != nil {
		return nil, fmt.Errorf("reserve the provider name %q: %w", name, err)
	}
	return l.Release, nil
}
