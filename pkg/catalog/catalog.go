// Package catalog holds the local catalogue's models, Products, Plans and
// Credentials, and the rules that apply to them. It imports no infrastructure.
package catalog

import "time"

// Product is a set of APIs consumers get access to, backed by an access policy.
type Product struct {
	ID           uint64     `json:"id"`
	Provider     string     `json:"provider"`
	PolicyID     string     `json:"policy_id"`  // the policy's identity: custom id, else _id
	PolicyMID    string     `json:"policy_mid"` // the policy's database _id, for REST paths
	Name         string     `json:"name"`
	DisplayName  string     `json:"display_name"`
	Description  string     `json:"description"`
	Published    bool       `json:"published"`
	Hidden       bool       `json:"hidden"`
	HiddenSince  *time.Time `json:"hidden_since"`
	Placeholder  bool       `json:"placeholder"`
	AuthType     string     `json:"auth_type"`
	APIs         []APIRef   `json:"apis"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	LastSyncedAt *time.Time `json:"last_synced_at"`
	// PublishedBeforeHide remembers the publish state a sync took away, so a
	// restore gives it back.
	PublishedBeforeHide bool `json:"published_before_hide"`
}

// APIRef names one API of a Product.
type APIRef struct {
	APIID string `json:"api_id"`
	Name  string `json:"name"`
}

// Plan is the rate limit, quota, throttling and key expiry a consumer gets,
// backed by a limit policy. -1 means unlimited, as in Tyk.
type Plan struct {
	ID                  uint64     `json:"id"`
	Provider            string     `json:"provider"`
	PolicyID            string     `json:"policy_id"`
	PolicyMID           string     `json:"policy_mid"`
	Name                string     `json:"name"`
	DisplayName         string     `json:"display_name"`
	Description         string     `json:"description"`
	Published           bool       `json:"published"`
	Hidden              bool       `json:"hidden"`
	HiddenSince         *time.Time `json:"hidden_since"`
	Placeholder         bool       `json:"placeholder"`
	Rate                float64    `json:"rate"`
	Per                 float64    `json:"per"`
	QuotaMax            int64      `json:"quota_max"`
	QuotaRenewalRate    int64      `json:"quota_renewal_rate"`
	ThrottleInterval    float64    `json:"throttle_interval"`
	ThrottleRetryLimit  int64      `json:"throttle_retry_limit"`
	KeyExpiresIn        int64      `json:"key_expires_in"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	LastSyncedAt        *time.Time `json:"last_synced_at"`
	PublishedBeforeHide bool       `json:"published_before_hide"`
}

// Credential kinds.
const (
	KindKey         = "key"
	KindOAuthClient = "oauth_client"
)

// Credential is what a consumer calls the APIs with. The key or client
// secret itself is never stored: only its hash or the client id.
type Credential struct {
	ID        uint64     `json:"id"`
	Provider  string     `json:"provider"`
	ProductID uint64     `json:"product_id"`
	PlanID    uint64     `json:"plan_id"`
	Consumer  string     `json:"consumer"`
	Alias     string     `json:"alias"`
	Kind      string     `json:"kind"`
	KeyHash   string     `json:"key_hash,omitempty"`
	ClientID  string     `json:"client_id,omitempty"`
	APIID     string     `json:"api_id,omitempty"` // the API an OAuth client was created under
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	Revoked   bool       `json:"revoked"`
}
