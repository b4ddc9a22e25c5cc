package catalog

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
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
	CredentialID uint64 `json:"credential_id,omitzero"` // rotate: the credential getting the new key
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
// meta_data (dashboard.OperationMarkerField; a test keeps the two equal).
const MarkerField = "tykportal_operation"

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
