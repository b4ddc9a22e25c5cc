package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The policy codec keeps every field it does not model, raw, and writes it
// back untouched: an update is then a patch of the modelled fields only.
// Numbers are read tolerantly because the Dashboard sends integers as floats
// (2.592e+06) and some versions send numeric strings.

var policyFields = map[string]bool{
	"_id": true, "id": true, "name": true, "org_id": true, "rate": true, "per": true,
	"quota_max": true, "quota_renewal_rate": true, "throttle_interval": true, "throttle_retry_limit": true,
	"key_expires_in": true, "access_rights": true, "active": true, "is_inactive": true, "state": true,
	"tags": true, "partitions": true, "meta_data": true, "last_updated": true, "auth_type": true,
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Policy) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	*p = Policy{}
	var err error
	field := func(name string, dst func(json.RawMessage) error) {
		if err != nil {
			return
		}
		if v, ok := raw[name]; ok && !isNull(v) {
			if e := dst(v); e != nil {
				err = fmt.Errorf("policy field %q: %w", name, e)
			}
		}
	}
	field("_id", func(v json.RawMessage) error { return decodeObjectID(v, &p.MID) })
	field("id", func(v json.RawMessage) error { return json.Unmarshal(v, &p.ID) })
	field("name", func(v json.RawMessage) error { return json.Unmarshal(v, &p.Name) })
	field("org_id", func(v json.RawMessage) error { return json.Unmarshal(v, &p.OrgID) })
	field("rate", func(v json.RawMessage) error { return decodeFloat(v, &p.Rate) })
	field("per", func(v json.RawMessage) error { return decodeFloat(v, &p.Per) })
	field("quota_max", func(v json.RawMessage) error { return decodeInt(v, &p.QuotaMax) })
	field("quota_renewal_rate", func(v json.RawMessage) error { return decodeInt(v, &p.QuotaRenewalRate) })
	field("throttle_interval", func(v json.RawMessage) error { return decodeFloat(v, &p.ThrottleInterval) })
	field("throttle_retry_limit", func(v json.RawMessage) error { return decodeInt(v, &p.ThrottleRetryLimit) })
	field("key_expires_in", func(v json.RawMessage) error { return decodeInt(v, &p.KeyExpiresIn) })
	field("access_rights", func(v json.RawMessage) error { return json.Unmarshal(v, &p.AccessRights) })
	field("active", func(v json.RawMessage) error { return json.Unmarshal(v, &p.Active) })
	field("is_inactive", func(v json.RawMessage) error { return json.Unmarshal(v, &p.IsInactive) })
	field("state", func(v json.RawMessage) error { return json.Unmarshal(v, &p.State) })
	field("tags", func(v json.RawMessage) error { return json.Unmarshal(v, &p.Tags) })
	field("partitions", func(v json.RawMessage) error { return json.Unmarshal(v, &p.Partitions) })
	field("meta_data", func(v json.RawMessage) error { return json.Unmarshal(v, &p.MetaData) })
	field("last_updated", func(v json.RawMessage) error { return decodeStringOrNumber(v, &p.LastUpdated) })
	field("auth_type", func(v json.RawMessage) error { return json.Unmarshal(v, &p.AuthType) })
	if err != nil {
		return err
	}
	p.readAPIs = strings.Join(sortedKeys(p.AccessRights), ",")
	for k, v := range raw {
		if !policyFields[k] {
			if p.extra == nil {
				p.extra = map[string]json.RawMessage{}
			}
			p.extra[k] = v
		}
	}
	return nil
}

// MarshalJSON implements json.Marshaler: the modelled fields from the
// struct, every other field as it was read.
func (p Policy) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(p.extra)+len(policyFields))
	for k, v := range p.extra {
		out[k] = v
	}
	if p.MID != "" {
		out["_id"] = p.MID
	}
	out["id"] = p.ID
	out["name"] = p.Name
	out["org_id"] = p.OrgID
	out["rate"] = p.Rate
	out["per"] = p.Per
	out["quota_max"] = p.QuotaMax
	out["quota_renewal_rate"] = p.QuotaRenewalRate
	out["throttle_interval"] = p.ThrottleInterval
	out["throttle_retry_limit"] = p.ThrottleRetryLimit
	out["key_expires_in"] = p.KeyExpiresIn
	ar := p.AccessRights
	if ar == nil {
		ar = map[string]AccessDefinition{}
	}
	out["access_rights"] = ar
	out["active"] = p.Active
	out["is_inactive"] = p.IsInactive
	if p.State != "" {
		out["state"] = p.State
	}
	tags := p.Tags
	if tags == nil {
		tags = []string{}
	}
	out["tags"] = tags
	out["partitions"] = p.Partitions
	md := p.MetaData
	if md == nil {
		md = map[string]any{}
	}
	out["meta_data"] = md
	if p.LastUpdated != "" {
		out["last_updated"] = p.LastUpdated
	}
	if p.AuthType != "" {
		out["auth_type"] = p.AuthType
	}
	// access_rights_array, when present, mirrors access_rights; after a
	// change of APIs a stale copy would contradict it, so it is rebuilt.
	if _, ok := p.extra["access_rights_array"]; ok && strings.Join(sortedKeys(ar), ",") != p.readAPIs {
		arr := make([]AccessDefinition, 0, len(ar))
		for _, k := range sortedKeys(ar) {
			arr = append(arr, ar[k])
		}
		out["access_rights_array"] = arr
	}
	return json.Marshal(out)
}

var accessFields = map[string]bool{
	"api_id": true, "api_name": true, "versions": true, "allowed_urls": true, "limit": true,
	"mcp_primitives": true, "mcp_access_rights": true, "json_rpc_methods": true, "json_rpc_methods_access_rights": true,
}

// UnmarshalJSON implements json.Unmarshaler, keeping unmodelled fields.
func (a *AccessDefinition) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("access definition: %w", err)
	}
	*a = AccessDefinition{}
	type plain struct {
		APIID       string       `json:"api_id"`
		APIName     string       `json:"api_name"`
		Versions    []string     `json:"versions"`
		AllowedURLs []AccessSpec `json:"allowed_urls"`
	}
	var pl plain
	if err := json.Unmarshal(data, &pl); err != nil {
		return fmt.Errorf("access definition: %w", err)
	}
	a.APIID, a.APIName, a.Versions, a.AllowedURLs = pl.APIID, pl.APIName, pl.Versions, pl.AllowedURLs
	if v, ok := raw["limit"]; ok && !isNull(v) {
		var l APILimit
		if err := l.decode(v); err != nil {
			return err
		}
		a.Limit = &l
	}
	a.MCPPrimitives = raw["mcp_primitives"]
	a.MCPAccessRights = raw["mcp_access_rights"]
	a.JSONRPCMethods = raw["json_rpc_methods"]
	a.JSONRPCMethodsAccessRights = raw["json_rpc_methods_access_rights"]
	for k, v := range raw {
		if !accessFields[k] {
			if a.extra == nil {
				a.extra = map[string]json.RawMessage{}
			}
			a.extra[k] = v
		}
	}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (a AccessDefinition) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(a.extra)+8)
	for k, v := range a.extra {
		out[k] = v
	}
	out["api_id"] = a.APIID
	out["api_name"] = a.APIName
	versions := a.Versions
	if versions == nil {
		versions = []string{}
	}
	out["versions"] = versions
	urls := a.AllowedURLs
	if urls == nil {
		urls = []AccessSpec{}
	}
	out["allowed_urls"] = urls
	if a.Limit != nil {
		out["limit"] = a.Limit
	} else if _, had := a.extra["limit"]; !had {
		out["limit"] = nil
	}
	for k, v := range map[string]json.RawMessage{
		"mcp_primitives": a.MCPPrimitives, "mcp_access_rights": a.MCPAccessRights,
		"json_rpc_methods": a.JSONRPCMethods, "json_rpc_methods_access_rights": a.JSONRPCMethodsAccessRights,
	} {
		if len(v) > 0 {
			out[k] = v
		}
	}
	return json.Marshal(out)
}

func (l *APILimit) decode(data json.RawMessage) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("limit: %w", err)
	}
	fields := []struct {
		name string
		f    *float64
		i    *int64
	}{
		{"rate", &l.Rate, nil}, {"per", &l.Per, nil}, {"throttle_interval", &l.ThrottleInterval, nil},
		{"throttle_retry_limit", nil, &l.ThrottleRetryLimit}, {"quota_max", nil, &l.QuotaMax}, {"quota_renewal_rate", nil, &l.QuotaRenewalRate},
	}
	for _, f := range fields {
		v, ok := raw[f.name]
		if !ok || isNull(v) {
			continue
		}
		var err error
		if f.f != nil {
			err = decodeFloat(v, f.f)
		} else {
			err = decodeInt(v, f.i)
		}
		if err != nil {
			return fmt.Errorf("limit field %q: %w", f.name, err)
		}
	}
	return nil
}

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

func decodeFloat(v json.RawMessage, dst *float64) error {
	v = bytes.TrimSpace(v)
	var s string
	switch {
	case len(v) > 0 && v[0] == '"':
		var ok bool
		if s, ok = plainString(v); !ok {
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
		}
	default:
		s = string(v)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("not a number: %.40s", string(v))
	}
	*dst = f
	return nil
}

func decodeInt(v json.RawMessage, dst *int64) error {
	var f float64
	if err := decodeFloat(v, &f); err != nil {
		return err
	}
	if f > math.MaxInt64 || f < math.MinInt64 {
		return fmt.Errorf("number out of range: %.40s", string(v))
	}
	*dst = int64(math.Round(f))
	return nil
}

// plainString returns the contents of a JSON string that needs no
// unescaping (no backslash, valid UTF-8): most strings, decoded without a
// nested json.Unmarshal. v has been validated as JSON by the caller's decoder.
func plainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	in := v[1 : len(v)-1]
	if bytes.IndexByte(in, '\\') >= 0 || !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
}

func decodeStringOrNumber(v json.RawMessage, dst *string) error {
	v = bytes.TrimSpace(v)
	if s, ok := plainString(v); ok {
		*dst = s
		return nil
	}
	if len(v) > 0 && v[0] == '"' {
		return json.Unmarshal(v, dst)
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return fmt.Errorf("not a string or number")
	}
	*dst = n.String()
	return nil
}

// decodeObjectID reads a Mongo id sent as a string or as {"$oid": "..."}.
func decodeObjectID(v json.RawMessage, dst *string) error {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '{' {
		var o struct {
			OID string `json:"$oid"`
		}
		if err := json.Unmarshal(v, &o); err != nil {
			return err
		}
		*dst = o.OID
		return nil
	}
	if s, ok := plainString(v); ok {
		*dst = s
		return nil
	}
	return json.Unmarshal(v, dst)
}
