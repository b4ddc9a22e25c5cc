package catalog

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/tykportal/tykportal/pkg/store"
)

// Visibility selects which items a list shows.
type Visibility int

// By default lists show visible items; --hidden only hidden ones; --all both.
const (
	VisibleOnly Visibility = iota
	HiddenOnly
	AllItems
)

func (v Visibility) keep(hidden bool) bool {
	switch v {
	case HiddenOnly:
		return hidden
	case AllItems:
		return true
	}
	return !hidden
}

// ParseID parses a product, plan or credential id given on the command line.
func ParseID(kind, s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("%w: %s id %q is not a positive whole number", ErrInvalid, kind, truncate(s))
	}
	return id, nil
}

// ListProducts returns the products of provider (all when empty) in id order.
func ListProducts(tx *store.Tx, provider string, v Visibility) ([]Product, error) {
	all, err := store.List[Product](tx, store.Products)
	if err != nil {
		return nil, err
	}
	out := make([]Product, 0, len(all))
	for _, p := range all {
		if (provider == "" || p.Provider == provider) && v.keep(p.Hidden) {
			out = append(out, p)
		}
	}
	return out, nil
}

// ListPlans returns the plans of provider (all when empty) in id order.
func ListPlans(tx *store.Tx, provider string, v Visibility) ([]Plan, error) {
	all, err := store.List[Plan](tx, store.Plans)
	if err != nil {
		return nil, err
	}
	out := make([]Plan, 0, len(all))
	for _, p := range all {
		if (provider == "" || p.Provider == provider) && v.keep(p.Hidden) {
			out = append(out, p)
		}
	}
	return out, nil
}

// GetProduct reads one product; an unknown id is ErrUnknown.
func GetProduct(tx *store.Tx, id uint64) (Product, error) {
	p, err := store.Get[Product](tx, store.Products, store.IDKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return p, fmt.Errorf("product %d: %w (see `tykportal products list --all`)", id, ErrUnknown)
	}
	return p, err
}

// GetPlan reads one plan; an unknown id is ErrUnknown.
func GetPlan(tx *store.Tx, id uint64) (Plan, error) {
	p, err := store.Get[Plan](tx, store.Plans, store.IDKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return p, fmt.Errorf("plan %d: %w (see `tykportal plans list --all`)", id, ErrUnknown)
	}
	return p, err
}

// PutProduct writes a product record.
func PutProduct(tx *store.Tx, p Product) error { return tx.Put(store.Products, store.IDKey(p.ID), p) }

// PutPlan writes a plan record.
func PutPlan(tx *store.Tx, p Plan) error { return tx.Put(store.Plans, store.IDKey(p.ID), p) }

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
