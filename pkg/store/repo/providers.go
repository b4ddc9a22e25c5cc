package repo

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
)

// GetProvider reads one provider record; an unknown name is provider.ErrUnknown.
func GetProvider(tx store.Tx, name string) (provider.Provider, error) {
	p, err := store.Get[provider.Provider](tx, store.Providers, []byte(name))
	if errors.Is(err, store.ErrNotFound) {
		return provider.Provider{}, fmt.Errorf("%w %q: see `tykportal provider list`", provider.ErrUnknown, name)
	}
	return p, err
}

// ListProviders returns every provider in name order.
func ListProviders(tx store.Tx) ([]provider.Provider, error) {
	return store.List[provider.Provider](tx, store.Providers)
}

// PutProvider writes a provider record.
func PutProvider(tx store.Tx, p provider.Provider) error {
	return store.Put(tx, store.Providers, []byte(p.Name), p)
}

// WithLastSync gives p its whole last sync result, change and skip lists
// included (see SetLastSync). A record written before results were kept
// apart already holds it whole.
func WithLastSync(tx store.Tx, p *provider.Provider) error {
	key, err := store.GetRaw(tx, store.LastSyncs, []byte(p.Name))
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
// command reading the provider would decode, and the last_sync kind points
// to the whole result. The caller writes p.
func SetLastSync(tx store.Tx, p *provider.Provider, r catalog.SyncResult, historyKey []byte) error {
	r.Changes, r.Skipped = nil, nil
	p.LastSync = &r
	return tx.Put(store.LastSyncs, []byte(p.Name), historyKey)
}

// RecordSync appends r to the sync history, makes it p's last sync (see
// SetLastSync), writes p, and keeps at most keep results of the provider.
func RecordSync(tx store.Tx, p *provider.Provider, r catalog.SyncResult, keep int) error {
	v, err := store.Encode(r)
	if err != nil {
		return fmt.Errorf("encode the sync result: %w", err)
	}
	return recordSync(tx, p, r, v, keep)
}

// A HistoryEncoding is a sync result's history record encoded on its own
// goroutine while the sync still writes its changes: after a first sync of
// 10,000 policies the record is a megabyte, which took 9 ms to encode once
// the write was done, when the client had spent most of the write waiting
// for the database. Only the duration is not known yet: the record is
// encoded with 0, and WithDuration and RecordEncodedSync set it.
type HistoryEncoding struct {
	r    catalog.SyncResult
	done chan struct{}
	v    []byte
	err  error
}

// EncodeHistory starts encoding r (its duration aside). r is not changed
// while it runs: the caller keeps r's lists as they are.
func EncodeHistory(r catalog.SyncResult) *HistoryEncoding {
	r.DurationMS = 0
	h := &HistoryEncoding{r: r, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		h.v, h.err = store.Encode(h.r)
	}()
	return h
}

// WithDuration is the result with its duration.
func (h *HistoryEncoding) WithDuration(ms int64) catalog.SyncResult {
	r := h.r
	r.DurationMS = ms
	return r
}

// encoded waits for the record and gives it with the duration set. In an
// encoding with duration 0 the first `,"duration_ms":0,` is the member
// itself: before it come only the provider's name, the status, the error,
// dry_run and started_at, and a quote within a string is escaped.
func (h *HistoryEncoding) encoded(ms int64) ([]byte, error) {
	<-h.done
	if h.err != nil {
		return nil, fmt.Errorf("encode the sync result: %w", h.err)
	}
	const zero = `,"duration_ms":0,`
	i := bytes.Index(h.v, []byte(zero))
	if i < 0 {
		return nil, errors.New("encode the sync result: no duration member in its encoding")
	}
	out := make([]byte, 0, len(h.v)+20)
	out = append(out, h.v[:i+len(zero)-2]...)
	out = strconv.AppendInt(out, ms, 10)
	return append(out, h.v[i+len(zero)-1:]...), nil
}

// RecordEncodedSync is RecordSync of h's result with its duration, from
// the record encoded ahead.
func RecordEncodedSync(tx store.Tx, p *provider.Provider, h *HistoryEncoding, durationMS int64, keep int) error {
	v, err := h.encoded(durationMS)
	if err != nil {
		return err
	}
	return recordSync(tx, p, h.WithDuration(durationMS), v, keep)
}

func recordSync(tx store.Tx, p *provider.Provider, r catalog.SyncResult, record []byte, keep int) error {
	id, err := store.NextID(tx, store.SyncHistory)
	if err != nil {
		return err
	}
	if err := tx.Put(store.SyncHistory, store.IDKey(id), record); err != nil {
		return err
	}
	if err := SetLastSync(tx, p, r, store.IDKey(id)); err != nil {
		return err
	}
	if err := PutProvider(tx, *p); err != nil {
		return err
	}
	return pruneHistory(tx, p.Name, keep)
}

func pruneHistory(tx store.Tx, name string, keep int) error {
	mine, err := keysOf(tx, store.SyncHistory, name)
	if err != nil {
		return err
	}
	for len(mine) > keep {
		if err := tx.Delete(store.SyncHistory, mine[0]); err != nil {
			return err
		}
		mine = mine[1:]
	}
	return nil
}

// keysOf returns the keys of a provider's records of a kind in key order:
// from the backend's index when it has one, else by reading each record's
// provider.
func keysOf(tx store.Tx, k store.Kind, name string) ([][]byte, error) {
	if o, ok := tx.(store.Owned); ok {
		return o.KeysOf(k, name)
	}
	var mine [][]byte
	err := tx.ForEach(k, func(key, v []byte) error {
		owner, err := store.OwnerOf(v)
		if err != nil {
			return fmt.Errorf("read %s record: %w", k, err)
		}
		if owner == name {
			mine = append(mine, bytes.Clone(key))
		}
		return nil
	})
	return mine, err
}

// DeleteProvider removes a provider and every local record that belongs to
// it: products, plans, credential records, sync history and interrupted
// operations (the caller reports those first: they may name objects left in
// the Dashboard). It never touches the Dashboard.
func DeleteProvider(tx store.Tx, name string) error {
	if _, err := GetProvider(tx, name); err != nil {
		return err
	}
	for _, k := range []store.Kind{store.Products, store.Plans, store.Credentials, store.SyncHistory, store.Operations} {
		doomed, err := keysOf(tx, k, name)
		if err != nil {
			return err
		}
		for _, key := range doomed {
			if err := tx.Delete(k, key); err != nil {
				return err
			}
		}
	}
	if err := tx.Delete(store.LastSyncs, []byte(name)); err != nil {
		return err
	}
	return tx.Delete(store.Providers, []byte(name))
}
