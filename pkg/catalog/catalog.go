// Package catalog is tykportal's domain: the local catalogue's models
// (Products, Plans, Credentials, the operation journal, sync results) and
// the rules that apply to them, with the error codes those rules return. It
// imports nothing of the project: storage, the Dashboard and the command
// line all depend on it, never the reverse.
package catalog

import (
	"fmt"
	"strconv"
	"time"
)

// Kinds of catalogue item.
const (
	KindProduct = "product"
	KindPlan    = "plan"
)

// Item is what Products and Plans share before their own fields: the
// policy behind them and their state in the catalogue. The JSON field
// order (Item, the kind's fields, History) is the contract's.
type Item struct {
	ID          uint64     `json:"id"`
	Provider    string     `json:"provider"`
	PolicyID    string     `json:"policy_id"`  // the policy's identity: custom id, else _id
	PolicyMID   string     `json:"policy_mid"` // the policy's database _id, for REST paths
	Name        string     `json:"name"`
	DisplayName string     `json:"display_name"`
	Description string     `json:"description"`
	Published   bool       `json:"published"`
	Hidden      bool       `json:"hidden"`
	HiddenSince *time.Time `json:"hidden_since"`
	Placeholder bool       `json:"placeholder"`
}

// History is what Products and Plans share after their own fields: when
// the item was created, changed and last seen by a sync.
type History struct {
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	LastSyncedAt *time.Time `json:"last_synced_at"`
	// PublishedBeforeHide remembers the publish state a sync took away, so a
	// restore gives it back.
	PublishedBeforeHide bool `json:"published_before_hide"`
}

// Product is a set of APIs consumers get access to, backed by an access policy.
type Product struct {
	Item
	AuthType string   `json:"auth_type"`
	APIs     []APIRef `json:"apis"`
	History
}

// APIRef names one API of a Product.
type APIRef struct {
	APIID string `json:"api_id"`
	Name  string `json:"name"`
}

// Plan is the rate limit, quota, throttling and key expiry a consumer gets,
// backed by a limit policy.
type Plan struct {
	Item
	Limits
	History
}

// Entry gives the shared parts of a Product or a Plan, so that one code
// path lists, shows, publishes and deletes both.
type Entry interface {
	*Product | *Plan
	Base() *Item
	Times() *History
}

// Base returns the product's shared fields.
func (p *Product) Base() *Item { return &p.Item }

// Times returns the product's history fields.
func (p *Product) Times() *History { return &p.History }

// Base returns the plan's shared fields.
func (p *Plan) Base() *Item { return &p.Item }

// Times returns the plan's history fields.
func (p *Plan) Times() *History { return &p.History }

// Credential kinds.
const (
	KindKey         = "key"
	KindOAuthClient = "oauth_client"
)

// Credential is what a consumer calls the APIs with. The key or client
// secret itself is never stored: only its hash or the client id.
type Credential struct {
	ID        uint64 `json:"id"`
	Provider  string `json:"provider"`
	ProductID uint64 `json:"product_id"`
	PlanID    uint64 `json:"plan_id"`
	Consumer  string `json:"consumer"`
	Alias     string `json:"alias"`
	Kind      string `json:"kind"`
	KeyHash   string `json:"key_hash,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	APIID     string `json:"api_id,omitempty"` // the API an OAuth client was created under
	// PolicyMID is the database id of the combined policy an OAuth client
	// is bound to (the product's access and the plan's limits in one).
	PolicyMID string     `json:"policy_mid,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	Revoked   bool       `json:"revoked"`
}

// CredentialView is a credential with the state of its product and plan.
type CredentialView struct {
	Credential
	ProductHidden bool `json:"product_hidden"`
	PlanHidden    bool `json:"plan_hidden"`
}

// Visibility selects which items a list shows.
type Visibility int

// By default lists show visible items; --hidden only hidden ones; --all both.
const (
	VisibleOnly Visibility = iota
	HiddenOnly
	AllItems
)

// Keep reports whether an item that is hidden (or not) is shown.
func (v Visibility) Keep(hidden bool) bool {
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

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
