// Package repo keeps the catalogue's records in a store.Store: providers,
// products, plans, credentials, the operation journal and the sync history,
// each read and written through the backend-neutral transaction, so every
// backend gets the same repositories.
package repo

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
)

// ItemKind says where one kind of catalogue item is kept and how it is named.
type ItemKind struct {
	Name   string     // catalog.KindProduct or catalog.KindPlan
	Plural string     // for commands in messages: "products"
	Kind   store.Kind // where its records are
}

// The two kinds of item.
var (
	ProductKind = ItemKind{Name: catalog.KindProduct, Plural: "products", Kind: store.Products}
	PlanKind    = ItemKind{Name: catalog.KindPlan, Plural: "plans", Kind: store.Plans}
)

// entry is *catalog.Product or *catalog.Plan, as a pointer to its value type.
type entry[T any] interface {
	*T
	Base() *catalog.Item
}

// ListItems returns the items of provider (all when empty) that v keeps,
// in id order.
func ListItems[T any, P entry[T]](tx store.Tx, k ItemKind, provider string, v catalog.Visibility) ([]T, error) {
	all, err := store.List[T](tx, k.Kind)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, it := range all {
		b := P(&it).Base()
		if (provider == "" || b.Provider == provider) && v.Keep(b.Hidden) {
			out = append(out, it)
		}
	}
	return out, nil
}

// GetItem reads one item; an unknown id is catalog.ErrUnknown.
func GetItem[T any](tx store.Tx, k ItemKind, id uint64) (T, error) {
	it, err := store.Get[T](tx, k.Kind, store.IDKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return it, fmt.Errorf("%s %d: %w (see `tykportal %s list --all`)", k.Name, id, catalog.ErrUnknown, k.Plural)
	}
	return it, err
}

// PutItem writes an item record.
func PutItem[T any, P entry[T]](tx store.Tx, k ItemKind, it P) error {
	return store.Put(tx, k.Kind, store.IDKey(it.Base().ID), it)
}

// CreateItem gives a new item the next id of its kind and writes it.
func CreateItem[T any, P entry[T]](tx store.Tx, k ItemKind, it P) error {
	id, err := store.NextID(tx, k.Kind)
	if err != nil {
		return err
	}
	it.Base().ID = id
	return PutItem[T](tx, k, it)
}

// DeleteItem removes an item record.
func DeleteItem(tx store.Tx, k ItemKind, id uint64) error {
	return tx.Delete(k.Kind, store.IDKey(id))
}

// ListProducts returns the products of provider (all when empty) in id order.
func ListProducts(tx store.Tx, provider string, v catalog.Visibility) ([]catalog.Product, error) {
	return ListItems[catalog.Product](tx, ProductKind, provider, v)
}

// ListPlans returns the plans of provider (all when empty) in id order.
func ListPlans(tx store.Tx, provider string, v catalog.Visibility) ([]catalog.Plan, error) {
	return ListItems[catalog.Plan](tx, PlanKind, provider, v)
}

// GetProduct reads one product; an unknown id is catalog.ErrUnknown.
func GetProduct(tx store.Tx, id uint64) (catalog.Product, error) {
	return GetItem[catalog.Product](tx, ProductKind, id)
}

// GetPlan reads one plan; an unknown id is catalog.ErrUnknown.
func GetPlan(tx store.Tx, id uint64) (catalog.Plan, error) {
	return GetItem[catalog.Plan](tx, PlanKind, id)
}

// PutProduct writes a product record.
func PutProduct(tx store.Tx, p catalog.Product) error { return PutItem(tx, ProductKind, &p) }

// PutPlan writes a plan record.
func PutPlan(tx store.Tx, p catalog.Plan) error { return PutItem(tx, PlanKind, &p) }

// CredentialFilter selects credentials in a list.
type CredentialFilter struct {
	Provider  string
	ProductID uint64
	Consumer  string
}

// ListCredentials returns the credentials matching f, flagged when their
// product or plan is hidden or gone.
func ListCredentials(tx store.Tx, f CredentialFilter) ([]catalog.CredentialView, error) {
	creds, err := store.List[catalog.Credential](tx, store.Credentials)
	if err != nil {
		return nil, err
	}
	out := make([]catalog.CredentialView, 0, len(creds))
	for _, c := range creds {
		if (f.Provider != "" && c.Provider != f.Provider) || (f.ProductID != 0 && c.ProductID != f.ProductID) ||
			(f.Consumer != "" && !strings.EqualFold(c.Consumer, f.Consumer)) {
			continue
		}
		v := catalog.CredentialView{Credential: c}
		if v.ProductHidden, err = hiddenOrGone[catalog.Product](tx, ProductKind, c.ProductID); err != nil {
			return nil, err
		}
		if v.PlanHidden, err = hiddenOrGone[catalog.Plan](tx, PlanKind, c.PlanID); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func hiddenOrGone[T any, P entry[T]](tx store.Tx, k ItemKind, id uint64) (bool, error) {
	it, err := GetItem[T](tx, k, id)
	switch {
	case errors.Is(err, catalog.ErrUnknown):
		return true, nil
	case err != nil:
		return false, err
	}
	return P(&it).Base().Hidden, nil
}

// GetCredential reads one credential record.
func GetCredential(tx store.Tx, id uint64) (catalog.Credential, error) {
	c, err := store.Get[catalog.Credential](tx, store.Credentials, store.IDKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return c, fmt.Errorf("credential %d: %w (see `tykportal credentials list`)", id, catalog.ErrUnknown)
	}
	return c, err
}

// PutCredential writes a credential record.
func PutCredential(tx store.Tx, c catalog.Credential) error {
	return store.Put(tx, store.Credentials, store.IDKey(c.ID), c)
}

// CreateCredential gives a new credential the next id and writes it.
func CreateCredential(tx store.Tx, c *catalog.Credential) error {
	id, err := store.NextID(tx, store.Credentials)
	if err != nil {
		return err
	}
	c.ID = id
	return PutCredential(tx, *c)
}

// LiveCredentials counts the credentials that are not revoked and use the
// item of kind k with this id.
func LiveCredentials(tx store.Tx, k ItemKind, id uint64) (int, error) {
	creds, err := store.List[catalog.Credential](tx, store.Credentials)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range creds {
		if !c.Revoked && ((k == ProductKind && c.ProductID == id) || (k == PlanKind && c.PlanID == id)) {
			n++
		}
	}
	return n, nil
}

// BeginOperation journals op, giving it an id.
func BeginOperation(tx store.Tx, op *catalog.Operation) error {
	id, err := store.NextID(tx, store.Operations)
	if err != nil {
		return err
	}
	op.ID = id
	return PutOperation(tx, *op)
}

// PutOperation rewrites a journaled operation (e.g. to set Stale).
func PutOperation(tx store.Tx, op catalog.Operation) error {
	return store.Put(tx, store.Operations, store.IDKey(op.ID), op)
}

// FinishOperation removes a journaled operation; a missing one is no error.
func FinishOperation(tx store.Tx, id uint64) error {
	return tx.Delete(store.Operations, store.IDKey(id))
}

// ListOperations returns the journaled operations of provider (all when
// empty) in id order.
func ListOperations(tx store.Tx, provider string) ([]catalog.Operation, error) {
	all, err := store.List[catalog.Operation](tx, store.Operations)
	if err != nil || provider == "" {
		return all, err
	}
	out := make([]catalog.Operation, 0, len(all))
	for _, op := range all {
		if op.Provider == provider {
			out = append(out, op)
		}
	}
	return out, nil
}
