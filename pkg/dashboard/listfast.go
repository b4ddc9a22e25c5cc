package dashboard

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/tykportal/tykportal/pkg/dashboard/internal/fastrecord"
)

// The fast path of the two big lists: the field tables by which fastrecord
// reads the usual listed policy and API entry as the library reads them
// (a policy in its listed form, listedPolicy); a record it cannot read so
// is left to the library. A table that lacks a field of the library's form
// is nil and reads nothing (see fastTable): a field added to Policy is
// then read by the library until the table has it too, and TestFastPathOn
// fails meanwhile.

type scanner = fastrecord.Scanner

var (
	fastPartitions = fastTable[Partitions](map[string]func(*scanner, *Partitions) bool{
		"quota":      func(s *scanner, p *Partitions) bool { return s.Bool(&p.Quota) },
		"rate_limit": func(s *scanner, p *Partitions) bool { return s.Bool(&p.RateLimit) },
		"complexity": func(s *scanner, p *Partitions) bool { return s.Bool(&p.Complexity) },
		"acl":        func(s *scanner, p *Partitions) bool { return s.Bool(&p.ACL) },
		"per_api":    func(s *scanner, p *Partitions) bool { return s.Bool(&p.PerAPI) },
	})

	fastAccess = fastTable[listedAccess](map[string]func(*scanner, *AccessDefinition) bool{
		"api_id":                         func(s *scanner, a *AccessDefinition) bool { return s.String(&a.APIID) },
		"api_name":                       func(s *scanner, a *AccessDefinition) bool { return s.String(&a.APIName) },
		"versions":                       func(s *scanner, a *AccessDefinition) bool { return s.Strings(&a.Versions) },
		"allowed_urls":                   func(s *scanner, a *AccessDefinition) bool { _, ok := s.Skip(); return ok },
		"limit":                          func(s *scanner, a *AccessDefinition) bool { _, ok := s.Skip(); return ok },
		"mcp_primitives":                 func(s *scanner, a *AccessDefinition) bool { return raw(s, &a.MCPPrimitives) },
		"mcp_access_rights":              func(s *scanner, a *AccessDefinition) bool { return raw(s, &a.MCPAccessRights) },
		"json_rpc_methods":               func(s *scanner, a *AccessDefinition) bool { return raw(s, &a.JSONRPCMethods) },
		"json_rpc_methods_access_rights": func(s *scanner, a *AccessDefinition) bool { return raw(s, &a.JSONRPCMethodsAccessRights) },
	})

	fastPolicy = fastTable[listedPolicy](map[string]func(*scanner, *Policy) bool{
		"_id":                  func(s *scanner, p *Policy) bool { return s.String(&p.MID) },
		"id":                   func(s *scanner, p *Policy) bool { return s.String(&p.ID) },
		"name":                 func(s *scanner, p *Policy) bool { return s.String(&p.Name) },
		"org_id":               func(s *scanner, p *Policy) bool { return s.String(&p.OrgID) },
		"rate":                 func(s *scanner, p *Policy) bool { return s.Float(&p.Rate) },
		"per":                  func(s *scanner, p *Policy) bool { return s.Float(&p.Per) },
		"quota_max":            func(s *scanner, p *Policy) bool { return s.Int(&p.QuotaMax) },
		"quota_renewal_rate":   func(s *scanner, p *Policy) bool { return s.Int(&p.QuotaRenewalRate) },
		"throttle_interval":    func(s *scanner, p *Policy) bool { return s.Float(&p.ThrottleInterval) },
		"throttle_retry_limit": func(s *scanner, p *Policy) bool { return s.Int(&p.ThrottleRetryLimit) },
		"key_expires_in":       func(s *scanner, p *Policy) bool { return s.Int(&p.KeyExpiresIn) },
		"access_rights":        func(s *scanner, p *Policy) bool { return fastrecord.Map(s, fastAccess, &p.AccessRights) },
		"active":               func(s *scanner, p *Policy) bool { return s.Bool(&p.Active) },
		"is_inactive":          func(s *scanner, p *Policy) bool { return s.Bool(&p.IsInactive) },
		"state":                func(s *scanner, p *Policy) bool { return s.String(&p.State) },
		"tags":                 func(s *scanner, p *Policy) bool { return s.Strings(&p.Tags) },
		"partitions":           func(s *scanner, p *Policy) bool { return fastrecord.Object(s, fastPartitions, &p.Partitions) },
		"meta_data":            readMarker,
		"last_updated": func(s *scanner, p *Policy) bool {
			if num, ok := s.Number(); ok {
				if num != nil {
					p.LastUpdated = string(num)
				}
				return true
			}
			return s.String(&p.LastUpdated)
		},
		"auth_type": func(s *scanner, p *Policy) bool { return s.String(&p.AuthType) },
	})

	fastAPIDefinition = fastTable[apiDefinition](map[string]func(*scanner, *apiDefinition) bool{
		"id":                         func(s *scanner, d *apiDefinition) bool { return s.String(&d.ID) },
		"api_id":                     func(s *scanner, d *apiDefinition) bool { return s.String(&d.APIID) },
		"name":                       func(s *scanner, d *apiDefinition) bool { return s.String(&d.Name) },
		"org_id":                     func(s *scanner, d *apiDefinition) bool { return s.String(&d.OrgID) },
		"active":                     func(s *scanner, d *apiDefinition) bool { return s.Bool(&d.Active) },
		"is_oas":                     func(s *scanner, d *apiDefinition) bool { return s.Bool(&d.IsOAS) },
		"use_keyless":                func(s *scanner, d *apiDefinition) bool { return s.Bool(&d.UseKeyless) },
		"use_standard_auth":          func(s *scanner, d *apiDefinition) bool { return s.Bool(&d.UseStandardAuth) },
		"use_oauth2":                 func(s *scanner, d *apiDefinition) bool { return s.Bool(&d.UseOAuth2) },
		"use_openid":                 func(s *scanner, d *apiDefinition) bool { return s.Bool(&d.UseOpenID) },
		"use_basic_auth":             func(s *scanner, d *apiDefinition) bool { return s.Bool(&d.UseBasicAuth) },
		"enable_jwt":                 func(s *scanner, d *apiDefinition) bool { return s.Bool(&d.EnableJWT) },
		"enable_signature_checking":  func(s *scanner, d *apiDefinition) bool { return s.Bool(&d.EnableSignatureChecking) },
		"use_mutual_tls_auth":        func(s *scanner, d *apiDefinition) bool { return s.Bool(&d.UseMutualTLSAuth) },
		"custom_plugin_auth_enabled": func(s *scanner, d *apiDefinition) bool { return s.Bool(&d.CustomPluginAuthEnabled) },
		"use_go_plugin_auth":         func(s *scanner, d *apiDefinition) bool { return s.Bool(&d.UseGoPluginAuth) },
		"enable_coprocess_auth":      func(s *scanner, d *apiDefinition) bool { return s.Bool(&d.EnableCoprocessAuth) },
		"external_oauth":             func(s *scanner, d *apiDefinition) bool { return raw(s, &d.ExternalOAuth) },
		"base_identity_provided_by":  func(s *scanner, d *apiDefinition) bool { return s.String(&d.BaseIdentityProvidedBy) },
		"proxy":                      func(s *scanner, d *apiDefinition) bool { return fastrecord.Object(s, fastAPIProxy, &d.Proxy) },
	})

	fastAPIProxy = fastTable[apiProxy](map[string]func(*scanner, *apiProxy) bool{
		"listen_path": func(s *scanner, p *apiProxy) bool { return s.String(&p.ListenPath) },
	})

	fastAPI = fastTable[apiWrapper](map[string]func(*scanner, *apiWrapper) bool{
		"api_definition": func(s *scanner, w *apiWrapper) bool { return fastrecord.Object(s, fastAPIDefinition, &w.Def) },
		"oas":            func(s *scanner, w *apiWrapper) bool { return raw(s, &w.OAS) },
	})

	fastMarker = fastrecord.NewTable(map[string]func(*scanner, *string) bool{
		OperationMarkerField: func(s *scanner, m *string) bool {
			if s.Kind() == '"' {
				return s.String(m)
			}
			_, ok := s.Skip() // not a string: no marker
			return ok
		},
	})
)

func raw(s *scanner, dst *json.RawMessage) bool {
	b, ok := s.Skip()
	*dst = bytes.Clone(b)
	return ok
}

// readMarker reads the operation marker of meta_data, which may be any
// value; like the library, it looks for one only in a value that holds its
// name.
func readMarker(s *scanner, p *Policy) bool {
	meta, ok := s.Skip()
	if !ok || !bytes.Contains(meta, []byte(OperationMarkerField)) {
		return ok
	}
	if meta[0] != '{' {
		return true
	}
	var m string
	var sub scanner
	if !fastrecord.Decode(&sub, meta, fastMarker, &m) {
		return false
	}
	if m != "" {
		p.MetaData = map[string]any{OperationMarkerField: m}
	}
	return true
}

// fastTable builds the table of a record read in the library's form W,
// or nil when the table lacks one of W's fields.
func fastTable[W, T any](fields map[string]func(*scanner, *T) bool) *fastrecord.Table[T] {
	want := jsonNames(reflect.TypeFor[W](), nil)
	slices.Sort(want)
	got := slices.Sorted(maps.Keys(fields))
	if !slices.Equal(got, want) {
		return nil
	}
	return fastrecord.NewTable(fields)
}

// jsonNames appends the JSON member names of struct type t's fields, those
// of embedded structs included.
func jsonNames(t reflect.Type, names []string) []string {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case !f.IsExported() || name == "-":
		case opts == "embed" || f.Anonymous && name == "":
			if ft.Kind() == reflect.Struct {
				names = jsonNames(ft, names)
			}
		case name == "":
			names = append(names, f.Name)
		case !slices.Contains(names, name):
			names = append(names, name)
		}
	}
	return names
}
