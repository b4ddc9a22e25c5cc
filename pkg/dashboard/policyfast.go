package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
)

// The list path decodes each policy in one pass into flat wire structs:
// sync only reads lists, so it needs the modelled fields but not the raw
// copy of every other field that the patch-only codec keeps. Policies
// decoded this way are marked partial, and UpdatePolicy refuses them: an
// update must start from GetPolicy.

// flexFloat accepts a JSON number or a numeric string.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	var v float64
	if err := decodeFloat(b, &v); err != nil {
		return err
	}
	*f = flexFloat(v)
	return nil
}

// flexString accepts a JSON string or number.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	var v string
	if err := decodeStringOrNumber(b, &v); err != nil {
		return err
	}
	*s = flexString(v)
	return nil
}

// objectID accepts "hex" or {"$oid":"hex"}.
type objectID string

func (o *objectID) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		return nil
	}
	var v string
	if err := decodeObjectID(b, &v); err != nil {
		return err
	}
	*o = objectID(v)
	return nil
}

type accessWire struct {
	APIID                      string          `json:"api_id"`
	APIName                    string          `json:"api_name"`
	Versions                   []string        `json:"versions"`
	MCPPrimitives              json.RawMessage `json:"mcp_primitives"`
	MCPAccessRights            json.RawMessage `json:"mcp_access_rights"`
	JSONRPCMethods             json.RawMessage `json:"json_rpc_methods"`
	JSONRPCMethodsAccessRights json.RawMessage `json:"json_rpc_methods_access_rights"`
}

type policyWire struct {
	MID                objectID              `json:"_id"`
	ID                 string                `json:"id"`
	Name               string                `json:"name"`
	OrgID              string                `json:"org_id"`
	Rate               flexFloat             `json:"rate"`
	Per                flexFloat             `json:"per"`
	QuotaMax           flexFloat             `json:"quota_max"`
	QuotaRenewalRate   flexFloat             `json:"quota_renewal_rate"`
	ThrottleInterval   flexFloat             `json:"throttle_interval"`
	ThrottleRetryLimit flexFloat             `json:"throttle_retry_limit"`
	KeyExpiresIn       flexFloat             `json:"key_expires_in"`
	AccessRights       map[string]accessWire `json:"access_rights"`
	Active             bool                  `json:"active"`
	IsInactive         bool                  `json:"is_inactive"`
	State              string                `json:"state"`
	Tags               []string              `json:"tags"`
	Partitions         Partitions            `json:"partitions"`
	LastUpdated        flexString            `json:"last_updated"`
	AuthType           string                `json:"auth_type"`
	MetaData           markerMeta            `json:"meta_data"`
	// rights holds the access rights as the Policy keeps them when the
	// scanner read them (AccessRights is then nil); encoding/json, which
	// skips unexported fields, fills AccessRights instead.
	rights map[string]AccessDefinition
}

// OperationMarkerField is the meta_data field in which tykportal marks the
// objects it creates (see catalog.Operation). The list path keeps only it
// of a policy's meta_data.
const OperationMarkerField = "tykportal_operation"

// markerMeta keeps the operation marker of a meta_data object and ignores
// anything else, including a meta_data that is not an object at all.
type markerMeta string

func (m *markerMeta) UnmarshalJSON(b []byte) error {
	if !bytes.Contains(b, []byte(OperationMarkerField)) {
		return nil // nearly every policy: no nested decode
	}
	var v struct {
		Marker json.RawMessage `json:"tykportal_operation"`
	}
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	var s string
	if json.Unmarshal(v.Marker, &s) == nil {
		*m = markerMeta(s)
	}
	return nil
}

func (w *policyWire) policy() Policy {
	p := Policy{
		MID: string(w.MID), ID: w.ID, Name: w.Name, OrgID: w.OrgID,
		Rate: float64(w.Rate), Per: float64(w.Per), QuotaMax: roundInt(w.QuotaMax), QuotaRenewalRate: roundInt(w.QuotaRenewalRate),
		ThrottleInterval: float64(w.ThrottleInterval), ThrottleRetryLimit: roundInt(w.ThrottleRetryLimit), KeyExpiresIn: roundInt(w.KeyExpiresIn),
		Active: w.Active, IsInactive: w.IsInactive, State: w.State, Tags: w.Tags, Partitions: w.Partitions,
		LastUpdated: string(w.LastUpdated), AuthType: w.AuthType, partial: true,
	}
	if w.MetaData != "" {
		p.MetaData = map[string]any{OperationMarkerField: string(w.MetaData)}
	}
	switch {
	case w.rights != nil:
		p.AccessRights = w.rights
	case len(w.AccessRights) > 0:
		p.AccessRights = make(map[string]AccessDefinition, len(w.AccessRights))
		for k, a := range w.AccessRights {
			p.AccessRights[k] = AccessDefinition{APIID: a.APIID, APIName: a.APIName, Versions: a.Versions,
				MCPPrimitives: a.MCPPrimitives, MCPAccessRights: a.MCPAccessRights,
				JSONRPCMethods: a.JSONRPCMethods, JSONRPCMethodsAccessRights: a.JSONRPCMethodsAccessRights}
		}
	}
	return p
}

func roundInt(f flexFloat) int64 {
	if f >= 0 {
		return int64(f + 0.5)
	}
	return int64(f - 0.5)
}

// errPartialPolicy is returned by UpdatePolicy for a policy from a list.
var errPartialPolicy = errors.New("this policy came from a list, which does not keep every field; read it with GetPolicy before updating it")
