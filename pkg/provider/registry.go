package provider

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
)

// Lookup errors; the CLI exits 2 on both (the name is the user's input).
var (
	ErrUnknown = errors.New("unknown provider")
	ErrExists  = errors.New("provider already exists")
)

// Get reads one provider record.
func Get(tx *store.Tx, name string) (Provider, error) {
	p, err := store.Get[Provider](tx, store.Providers, []byte(name))
	if errors.Is(err, store.ErrNotFound) {
		return Provider{}, fmt.Errorf("%w %q: see `tykportal provider list`", ErrUnknown, name)
	}
	return p, err
}

// List returns every provider in name order.
func List(tx *store.Tx) ([]Provider, error) {
	return store.List[Provider](tx, store.Providers)
}

// WithLastSync gives p its whole last sync result, change and skip lists
// included (see SetLastSync). A record written before results were kept
// apart already holds it whole.
func WithLastSync(tx *store.Tx, p *Provider) error {
	key, err := tx.GetRaw(store.LastSyncs, []byte(p.Name))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	r, err := store.Get[catalog.SyncResult](tx, store.SyncHistory, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil // pruned: the slim copy is all there is
	}
	if err != nil {
		return fmt.Errorf("read the last sync of provider %q: %w", p.Name, err)
	}
	p.LastSync = &r
	return nil
}

// SetLastSync makes r, kept in the sync history under historyKey, p's last
// sync: the provider record gets it without its change and skip lists,
// which after a first sync of 10,000 policies are megabytes that every
// command reading the provider would decode, and the last_sync bucket
// points to the whole result. The caller writes p.
func SetLastSync(tx *store.Tx, p *Provider, r catalog.SyncResult, historyKey []byte) error {
	r.Changes, r.Skipped = nil, nil
	p.LastSync = &r
	return tx.PutRaw(store.LastSyncs, []byte(p.Name), historyKey)
}

// Put writes a provider record.
func Put(tx *store.Tx, p Provider) error {
	return tx.Put(store.Providers, []byte(p.Name), p)
}

// Delete removes a provider and every local record that belongs to it:
// products, plans, credential records, sync history and interrupted
// operations (the caller reports those first: they may name objects left in
// the Dashboard). It never touches the Dashboard.
func Delete(tx *store.Tx, name string) error {
	if _, err := Get(tx, name); err != nil {
		return err
	}
	for _, b := range []store.Bucket{store.Products, store.Plans, store.Credentials, store.SyncHistory, store.Operations} {
		var doomed [][]byte
		err := tx.ForEach(b, func(k, v []byte) error {
			var owner struct {
				Provider string `json:"provider"`
			}
			if err := json.Unmarshal(v, &owner); err != nil {
				return fmt.Errorf("read %s record: %w", b, err)
			}
			if owner.Provider == name {
				doomed = append(doomed, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range doomed {
			if err := tx.Delete(b, k); err != nil {
				return err
			}
		}
	}
	if err := tx.Delete(store.LastSyncs, []byte(name)); err != nil {
		return err
	}
	return tx.Delete(store.Providers, []byte(name))
}
