package catalog

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/store"
)

// An Operation is a Dashboard write that creates an object (a policy, a key,
// an OAuth client), journaled around the call: it is committed before the
// request goes out and deleted in the same transaction that writes the
// object's local record. A process killed in between (or a Dashboard whose
// answer was lost) leaves the operation behind, so `tykportal doctor` can
// look for the object by its marker instead of it being silently orphaned.
type Operation struct {
	ID           uint64 `json:"id"`
	Provider     string `json:"provider"`
	Command      string `json:"command"` // e.g. "credentials issue"
	Object       string `json:"object"`  // ObjectPolicy, ObjectKey, ObjectOAuthClient
	Name         string `json:"name"`    // the policy's name or the key's alias
	Marker       string `json:"marker"`  // meta_data[MarkerField] of the object
	APIID        string `json:"api_id,omitempty"`
	CredentialID uint64 `json:"credential_id,omitempty"` // rotate: the credential getting the new key
	// Stale is set once the new object is recorded and an old one must go
	// (rotate's old key hash): the operation then ends when it is deleted.
	Stale     string    `json:"stale,omitempty"`
	StartedAt time.Time `json:"started_at"`
}

// Objects an operation creates.
const (
	ObjectPolicy      = "policy"
	ObjectKey         = "key"
	ObjectOAuthClient = "oauth_client"
)

// MarkerField is the meta_data field that ties a Dashboard object to the
// operation that created it. It stays on the object as an audit trail.
// The list decoder of package dashboard keeps only this field of a policy's
// meta_data.
const MarkerField = dashboard.OperationMarkerField

// NewMarker returns a random marker; random rather than the operation id so
// that two state files writing to one Dashboard never share one.
func NewMarker() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make an operation marker: %w", err)
	}
	return "op-" + hex.EncodeToString(b), nil
}

// Mark sets the marker in a meta_data map, creating the map when nil.
func Mark(meta map[string]any, marker string) map[string]any {
	if meta == nil {
		meta = map[string]any{}
	}
	meta[MarkerField] = marker
	return meta
}

// MarkerOf returns the marker in a meta_data map, or "".
func MarkerOf(meta map[string]any) string {
	s, _ := meta[MarkerField].(string)
	return s
}

// BeginOperation journals op, giving it an id.
func BeginOperation(tx *store.Tx, op *Operation) error {
	id, err := tx.NextID(store.Operations)
	if err != nil {
		return err
	}
	op.ID = id
	return tx.Put(store.Operations, store.IDKey(id), op)
}

// PutOperation rewrites a journaled operation (e.g. to set Stale).
func PutOperation(tx *store.Tx, op Operation) error {
	return tx.Put(store.Operations, store.IDKey(op.ID), op)
}

// FinishOperation removes a journaled operation; a missing one is no error.
func FinishOperation(tx *store.Tx, id uint64) error {
	return tx.Delete(store.Operations, store.IDKey(id))
}

// ListOperations returns the journaled operations of provider (all when
// empty) in id order.
func ListOperations(tx *store.Tx, provider string) ([]Operation, error) {
	all, err := store.List[Operation](tx, store.Operations)
	if err != nil || provider == "" {
		return all, err
	}
	out := make([]Operation, 0, len(all))
	for _, op := range all {
		if op.Provider == provider {
			out = append(out, op)
		}
	}
	return out, nil
}
