package dashboard

import (
	"encoding/json"

	"github.com/go-json-experiment/json/jsontext"
)

// Policy is a Tyk Dashboard security policy as /api/portal/policies returns it.
//
// Only the fields tykportal reads or owns are modelled, by their tags (see
// policyjson.go). Every other field the Dashboard sends is kept verbatim in
// extra and written back on encode, so an update never drops path-based
// permissions, GraphQL settings or fields a newer Dashboard adds (the
// reference portal lost them by overwriting whole policies).
type Policy struct {
	MID                string                      `json:"_id"` // database id, used in REST paths
	ID                 string                      `json:"id"`  // custom id; may be empty
	Name               string                      `json:"name"`
	OrgID              string                      `json:"org_id"`
	Rate               float64                     `json:"rate"`
	Per                float64                     `json:"per"`
	QuotaMax           int64                       `json:"quota_max"`
	QuotaRenewalRate   int64                       `json:"quota_renewal_rate"`
	ThrottleInterval   float64                     `json:"throttle_interval"`
	ThrottleRetryLimit int64                       `json:"throttle_retry_limit"`
	KeyExpiresIn       int64                       `json:"key_expires_in"`
	AccessRights       map[string]AccessDefinition `json:"access_rights"`
	Active             bool                        `json:"active"`
	IsInactive         bool                        `json:"is_inactive"`
	State              string                      `json:"state,omitzero"` // "active", "draft" or "deny"
	Tags               []string                    `json:"tags"`
	Partitions         Partitions                  `json:"partitions"`
	MetaData           map[string]any              `json:"meta_data"`
	LastUpdated        string                      `json:"last_updated"` // unix seconds, as a string
	AuthType           string                      `json:"auth_type,omitzero"`

	// extra holds every top-level field not modelled above, raw, so that a
	// decode/encode round trip keeps it untouched.
	extra map[string]jsontext.Value
	// readAPIs is the access_rights key set as read, to tell whether the
	// API list changed before rewriting access_rights_array.
	readAPIs string
	// partial marks a policy decoded from a list without its unmodelled fields.
	partial bool
}

// Identity is the id keys and the gateway use for a policy: the custom id when
// set, else the database id (the gateway's EnsurePolicyId rule).
func (p *Policy) Identity() string {
	if p.ID != "" {
		return p.ID
	}
	return p.MID
}

// Partitions says which parts of a policy apply to a key.
type Partitions struct {
	Quota      bool `json:"quota"`
	RateLimit  bool `json:"rate_limit"`
	Complexity bool `json:"complexity"`
	ACL        bool `json:"acl"`
	PerAPI     bool `json:"per_api"`
}

// AccessDefinition is one API's entry in a policy's access_rights.
// Unmodelled fields are preserved like Policy's.
type AccessDefinition struct {
	APIID       string       `json:"api_id"`
	APIName     string       `json:"api_name"`
	Versions    []string     `json:"versions"`
	AllowedURLs []AccessSpec `json:"allowed_urls"`
	Limit       *APILimit    `json:"limit"`
	// MCP proxies are not listed by /api/apis, so a policy's access to one is
	// known only from these entries (Tyk 5.12+).
	MCPPrimitives              json.RawMessage `json:"mcp_primitives,omitzero"`
	MCPAccessRights            json.RawMessage `json:"mcp_access_rights,omitzero"`
	JSONRPCMethods             json.RawMessage `json:"json_rpc_methods,omitzero"`
	JSONRPCMethodsAccessRights json.RawMessage `json:"json_rpc_methods_access_rights,omitzero"`

	extra map[string]jsontext.Value
}

// IsMCP reports whether this entry grants access to an MCP proxy: any MCP or
// JSON-RPC access field that is present and not empty.
func (a *AccessDefinition) IsMCP() bool {
	for _, raw := range []json.RawMessage{a.MCPPrimitives, a.MCPAccessRights, a.JSONRPCMethods, a.JSONRPCMethodsAccessRights} {
		switch string(raw) {
		case "", "null", "{}", "[]":
		default:
			return true
		}
	}
	return false
}

// AccessSpec is a path-based permission: a URL regex and its methods.
type AccessSpec struct {
	URL     string   `json:"url"`
	Methods []string `json:"methods"`
}

// APILimit is a per-API limit inside an access definition.
// Unmodelled fields are preserved like Policy's.
type APILimit struct {
	Rate               float64 `json:"rate"`
	Per                float64 `json:"per"`
	ThrottleInterval   float64 `json:"throttle_interval"`
	ThrottleRetryLimit int64   `json:"throttle_retry_limit"`
	QuotaMax           int64   `json:"quota_max"`
	QuotaRenewalRate   int64   `json:"quota_renewal_rate"`

	extra map[string]jsontext.Value
}

// OperationMarkerField is the meta_data field in which tykportal marks the
// objects it creates (see catalog.Operation). The list path keeps only it
// of a policy's meta_data.
const OperationMarkerField = "tykportal_operation"

// API is the part of a Dashboard API definition tykportal needs.
type API struct {
	ID       string `json:"id"`     // database id
	APIID    string `json:"api_id"` // public id; the key of access_rights
	Name     string `json:"name"`
	OrgID    string `json:"org_id"`
	AuthType string `json:"auth_type"` // Tyk's names: authToken, jwt, oauth, basic, hmac, mtls, oidc, custom, keyless
	IsOAS    bool   `json:"is_oas"`
	IsMCP    bool   `json:"is_mcp"` // an MCP proxy; policies granting access to one are never Products
	Active   bool   `json:"active"`
	// ListenPath is where the gateway serves the API: a classic API's
	// proxy.listen_path, an OAS API's x-tyk-api-gateway server listenPath.
	ListenPath string `json:"listen_path"`
}
