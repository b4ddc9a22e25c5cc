package provider

import (
	"encoding/json"
	"errors"
	"fmt"

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

// Put writes a provider record.
func Put(tx *store.Tx, p Provider) error {
	return tx.Put(store.Providers, []byte(p.Name), p)
}

// Delete removes a provider and every local record that belongs to it:
// products, plans, credential records and sync history. It never touches the
// Dashboard.
func Delete(tx *store.Tx, name string) error {
	if _, err := Get(tx, name); err != nil {
		return err
	}
	for _, b := range []store.Bucket{store.Products, store.Plans, store.Credentials, store.SyncHistory} {
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
	return tx.Delete(store.Providers, []byte(name))
}
