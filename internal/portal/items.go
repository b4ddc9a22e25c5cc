package portal

import (
	"context"
	"fmt"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// Products and Plans share their use cases: one generic code path lists,
// shows, publishes and deletes both, with their differences (where they are
// kept, what they are called) as data in repo.ItemKind. T is catalog.Product
// or catalog.Plan.

// Entry is the pointer type of T with the shared fields.
type Entry[T any] interface {
	*T
	Base() *catalog.Item
	Times() *catalog.History
}

// ListOptions select the items a list shows.
type ListOptions struct {
	Provider   string // "" for all
	Visibility catalog.Visibility
}

// ListItems returns the items of a kind in id order; never nil. A
// provider that does not exist is an input error.
func ListItems[T any, P Entry[T]](ctx context.Context, s *Service, opts ListOptions) ([]T, error) {
	k := kindOf[T]()
	items := []T{}
	err := s.view(ctx, func(tx store.Tx) error {
		if err := checkProvider(tx, opts.Provider); err != nil {
			return err
		}
		var err error
		items, err = repo.ListItems[T, P](tx, k, opts.Provider, opts.Visibility)
		return err
	})
	return items, noStateOK(err, opts.Provider)
}

// ShowItem reads one item.
func ShowItem[T any](ctx context.Context, s *Service, id uint64) (T, error) {
	k := kindOf[T]()
	var it T
	err := s.view(ctx, func(tx store.Tx) error {
		var err error
		it, err = repo.GetItem[T](tx, k, id)
		return err
	})
	if isNoState(err) {
		return it, fmt.Errorf("%s %d: %w (no state file yet)", k.Name, id, catalog.ErrUnknown)
	}
	return it, err
}

// SetPublished publishes or unpublishes an item (local only; a hidden one
// cannot be published) and returns it as written.
func SetPublished[T any, P Entry[T]](ctx context.Context, s *Service, id uint64, publish bool) (T, error) {
	k := kindOf[T]()
	var it T
	err := s.update(ctx, func(tx store.Tx) error {
		var err error
		if it, err = repo.GetItem[T](tx, k, id); err != nil {
			return err
		}
		if err := P(&it).Base().SetPublished(k.Name, publish); err != nil {
			return err
		}
		P(&it).Times().UpdatedAt = s.now()
		return repo.PutItem[T, P](tx, k, &it)
	})
	return it, err
}

// kindOf is where items of type T are kept and how they are named.
func kindOf[T any]() repo.ItemKind {
	var zero T
	if _, ok := any(zero).(catalog.Plan); ok {
		return repo.PlanKind
	}
	return repo.ProductKind
}

// checkProvider makes a named provider that does not exist an input error.
func checkProvider(tx store.Tx, name string) error {
	if name == "" {
		return nil
	}
	if err := provider.ValidateName(name); err != nil {
		return err
	}
	_, err := repo.GetProvider(tx, name)
	return err
}

// noStateOK treats a missing state as empty, except that a named provider
// cannot exist in it.
func noStateOK(err error, providerName string) error {
	if isNoState(err) {
		if providerName != "" {
			return fmt.Errorf("%w %q: no provider has been added yet", provider.ErrUnknown, providerName)
		}
		return nil
	}
	return err
}
