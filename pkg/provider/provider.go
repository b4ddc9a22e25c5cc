// Package provider holds the Provider model, its validation, and the registry
// that keeps providers in the state file and their secrets in a secret store.
package provider

import (
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
)

// TypeTykPro is the only provider type: a Tyk Self-Managed Dashboard.
const TypeTykPro = "tyk-pro"

// Provider statuses.
const (
	StatusUp      = "up"
	StatusDown    = "down"
	StatusUnknown = "unknown"
)

// Provider is a connection to one Tyk Dashboard. The secret is not a field:
// it lives in a secret store, named by SecretSource.
type Provider struct {
	Name               string              `json:"name"`
	Type               string              `json:"type"`
	URL                string              `json:"url"`
	GatewayURL         string              `json:"gateway_url"`
	OrgID              string              `json:"org_id"`
	PolicyTags         []string            `json:"policy_tags"`
	InsecureSkipVerify bool                `json:"insecure_skip_verify"`
	CAFile             string              `json:"ca_file"`
	SecretSource       string              `json:"secret_source"` // "keyring", "file" or "env"
	Status             string              `json:"status"`        // "up", "down" or "unknown"
	LastSyncAt         *time.Time          `json:"last_sync_at"`  // last successful sync
	LastSync           *catalog.SyncResult `json:"last_sync"`
	CreatedAt          time.Time           `json:"created_at"`
}

// Lookup errors; both are about the user's input (exit 2).
var (
	ErrUnknown = catalog.NewError(catalog.CodeUnknown, "unknown provider")
	ErrExists  = catalog.NewError(catalog.CodeExists, "provider already exists")
)
