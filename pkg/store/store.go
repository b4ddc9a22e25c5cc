// Package store is the storage interface every backend of tykportal's state
// implements: transactions over records kept by kind and key, per-kind
// sequences, and nothing else. The use cases and the sync engine talk to it
// only; bbolt (package boltstore) is the embedded backend, and the contract
// every backend must meet is the suite in package storetest.
//
// Records are opaque bytes to a backend. This package adds the typed layer
// on top (Get, List, Put, PutRecords: JSON, decoded and encoded on every core
// for large kinds), so that a backend never sees a Go type.
package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
)

// Kind names one kind of record (a bbolt bucket, a PostgreSQL table).
type Kind string

// The kinds. Providers are keyed by name; products, plans, credentials,
// operations and sync history by IDKey(id); last_sync by provider name.
const (
	Providers   Kind = "providers"
	Products    Kind = "products"
	Plans       Kind = "plans"
	Credentials Kind = "credentials"
	SyncHistory Kind = "sync_history"
	// Operations journals Dashboard writes that create an object: a record
	// is committed before the call and removed with the object's own local
	// record, so a crash in between leaves evidence for `doctor`.
	Operations Kind = "operations"
	// LastSyncs maps a provider name to the sync history key of its last
	// result; the provider record keeps that result without its (long)
	// lists, since nearly every command reads provider records.
	LastSyncs Kind = "last_sync"
)

// Kinds lists every kind of record, in the order a copy or a check walks them.
var Kinds = []Kind{Providers, Products, Plans, Credentials, Operations, SyncHistory, LastSyncs}

// Errors every backend returns, matched with errors.Is. Each carries the
// error code that decides the exit status (see catalog.CodeOf).
var (
	ErrLocked   = catalog.NewError(catalog.CodeInUse, "the state file is in use by another tykportal process")
	ErrNoState  = errors.New("the state file does not exist yet")
	ErrNotFound = errors.New("record not found")
	ErrForeign  = errors.New("not a tykportal state file")
	ErrCorrupt  = errors.New("the state file is damaged or not a bbolt database")
	// ErrDamaged is a state file that is a bbolt database whose pages or
	// records no longer read (truncated, overwritten); such errors also
	// match ErrCorrupt.
	ErrDamaged = errors.New("the state file is damaged")
	// ErrBadRecord is a stored record that does not decode.
	ErrBadRecord   = errors.New("a stored record does not decode")
	ErrNewerSchema = errors.New("the state file was written by a newer tykportal")
)

// DefaultLockTimeout is how long an open waits for another process.
const DefaultLockTimeout = 3 * time.Second

// Store is an open state backend. View and Update run fn in one
// transaction; Update commits all of fn's writes or none. A backend checks
// the context before it starts a transaction, never in the middle of one, so
// a cancellation never cuts a transaction in half.
type Store interface {
	View(ctx context.Context, fn func(Tx) error) error
	Update(ctx context.Context, fn func(Tx) error) error
	// Location names the state for messages: a file path, or a database
	// URL without its password.
	Location() string
	Close() error
}

// Tx is one transaction. Values handed out by Get and ForEach are valid
// only until the transaction ends; the typed helpers below copy or decode
// them at once.
type Tx interface {
	// Get returns the value of key, or ErrNotFound.
	Get(k Kind, key []byte) ([]byte, error)
	// Put stores value under key.
	Put(k Kind, key, value []byte) error
	// PutMany stores many values; backends may write a bulk of mostly
	// ascending keys faster than one Put at a time.
	PutMany(recs []Raw) error
	// Delete removes key; a missing key is not an error.
	Delete(k Kind, key []byte) error
	// ForEach calls fn for every record of the kind in key order.
	ForEach(k Kind, fn func(key, value []byte) error) error
	// NextIDs reserves the kind's next n sequence numbers (n >= 1) and
	// returns the first: what n calls of a counter starting at 1 would give.
	NextIDs(k Kind, n int) (uint64, error)
	// Sequence is the kind's last reserved id (0 before any); SetSequence
	// sets it, for a copy of a whole state.
	Sequence(k Kind) (uint64, error)
	SetSequence(k Kind, v uint64) error
	// Count returns the number of records of the kind.
	Count(k Kind) (int, error)
	// Writable reports whether the transaction may write.
	Writable() bool
	// Revision identifies the last commit this transaction sees; it grows
	// with every commit. ok is false when the backend cannot tell, and then
	// a reader must not reuse what it read in an earlier transaction.
	Revision() (rev uint64, ok bool)
}

// Owned is what a backend that indexes records by their provider offers
// (PostgreSQL's provider column): the keys of a provider's records of a
// kind in key order, without reading the records. Without it a reader
// decodes each record's provider.
type Owned interface {
	KeysOf(k Kind, provider string) ([][]byte, error)
}

// Raw is one record as bytes, for PutMany.
type Raw struct {
	Kind  Kind
	Key   []byte
	Value []byte
}

// NextID reserves one sequence number of the kind.
func NextID(tx Tx, k Kind) (uint64, error) { return tx.NextIDs(k, 1) }

// IDKey encodes an id as 8 big-endian bytes, so key order is numeric order.
func IDKey(id uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, id)
	return k
}

// KeyID decodes IDKey; a key of another length gives 0.
func KeyID(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}

// wrapKind names the kind in a record's decode or encode error.
func wrapKind(verb string, k Kind, err error) error {
	return fmt.Errorf("%s %s record: %w", verb, k, err)
}
