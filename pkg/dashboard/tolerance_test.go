package dashboard

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The Dashboard's wire format varies by version: integers sent as floats,
// numbers as strings, Mongo ids as objects. Both the list and the whole
// read of a policy must take every variant.
func TestTolerantPolicyFields(t *testing.T) {
	tests := []struct {
		name, json string
		want       func(*Policy) any
		wantValue  any
	}{
		{"float into int", `"quota_max":1e3`, func(p *Policy) any { return p.QuotaMax }, int64(1000)},
		{"decimal into int", `"quota_max":100.0`, func(p *Policy) any { return p.QuotaMax }, int64(100)},
		{"exponent into int", `"key_expires_in":2.592e+06`, func(p *Policy) any { return p.KeyExpiresIn }, int64(2592000)},
		{"half rounds away from zero", `"quota_renewal_rate":2.5,"throttle_retry_limit":-2.5`, func(p *Policy) any { return [2]int64{p.QuotaRenewalRate, p.ThrottleRetryLimit} }, [2]int64{3, -3}},
		{"numeric string into int", `"quota_max":"100"`, func(p *Policy) any { return p.QuotaMax }, int64(100)},
		{"numeric string into float", `"rate":"60","per":"1e1"`, func(p *Policy) any { return [2]float64{p.Rate, p.Per} }, [2]float64{60, 10}},
		{"negative", `"rate":-1,"quota_max":-1`, func(p *Policy) any { return [2]any{p.Rate, p.QuotaMax} }, [2]any{-1.0, int64(-1)}},
		{"last_updated as string", `"last_updated":"1607598779"`, func(p *Policy) any { return p.LastUpdated }, "1607598779"},
		{"last_updated as number", `"last_updated":1607598779`, func(p *Policy) any { return p.LastUpdated }, "1607598779"},
		{"last_updated as float", `"last_updated":1.6e9`, func(p *Policy) any { return p.LastUpdated }, "1.6e9"},
		{"_id as string", `"_id":"5fd202b669710900018bc19c"`, func(p *Policy) any { return p.MID }, "5fd202b669710900018bc19c"},
		{"_id as $oid", `"_id":{"$oid":"5fd202b669710900018bc19c"}`, func(p *Policy) any { return p.MID }, "5fd202b669710900018bc19c"},
		{"id beside _id", `"_id":"a","id":"b"`, func(p *Policy) any { return [2]string{p.MID, p.ID} }, [2]string{"a", "b"}},
		{"nulls read as absent", `"_id":null,"name":null,"rate":null,"quota_max":null,"tags":null,"access_rights":null,"partitions":null,"last_updated":null,"active":null`,
			func(p *Policy) any {
				return [6]any{p.MID, p.Name, p.Rate, p.QuotaMax, p.Tags == nil, p.AccessRights == nil}
			}, [6]any{"", "", 0.0, int64(0), true, true}},
		{"null access entry", `"access_rights":{"a":null}`, func(p *Policy) any { _, ok := p.AccessRights["a"]; return ok }, true},
		{"escaped strings", `"name":"a\"b\\c\u00e9","tags":["t\u00e9"]`, func(p *Policy) any { return [2]any{p.Name, p.Tags[0]} }, [2]any{"a\"b\\cé", "té"}},
		{"the last of duplicates", `"name":"a","name":"b"`, func(p *Policy) any { return p.Name }, "b"},
	}
	for _, tc := range tests {
		body := `{` + tc.json + `}`
		var whole Policy
		if err := json.Unmarshal([]byte(body), &whole); err != nil {
			t.Errorf("%s: read whole: %v", tc.name, err)
		} else if got := tc.want(&whole); !reflect.DeepEqual(got, tc.wantValue) {
			t.Errorf("%s: read whole: %#v, want %#v", tc.name, got, tc.wantValue)
		}
		listed, _, err := decodeList[Policy](strings.NewReader(`{"Data":[`+body+`]}`), "Data")
		if err != nil || len(listed) != 1 {
			t.Errorf("%s: list: %v", tc.name, err)
		} else if got := tc.want(&listed[0]); !reflect.DeepEqual(got, tc.wantValue) {
			t.Errorf("%s: list: %#v, want %#v", tc.name, got, tc.wantValue)
		}
	}
	for _, bad := range []string{`"rate":"x"`, `"rate":true`, `"quota_max":"1x"`, `"rate":"NaN"`, `"rate":1e400`, `"last_updated":true`, `"name":5`, `"tags":[1]`, `"_id":5`} {
		body := `{` + bad + `}`
		var p Policy
		if err := json.Unmarshal([]byte(body), &p); err == nil {
			t.Errorf("%s: read whole without an error", bad)
		}
		if _, _, err := decodeList[Policy](strings.NewReader(`{"Data":[`+body+`]}`), "Data"); err == nil {
			t.Errorf("%s: listed without an error", bad)
		}
	}
}

// A list reads its envelope as encoding/json did: keys in any case, the
// page count as a number or a numeric string, null for no items.
func TestListEnvelope(t *testing.T) {
	tests := []struct {
		body      string
		items     int
		pages     int
		wantError bool
	}{
		{`{"Data":[{"name":"a"},{"name":"b"}],"Pages":2}`, 2, 2, false},
		{`{"data":[{"name":"a"}],"pages":1}`, 1, 1, false},
		{`{"Pages":1.0, "DATA" : [ ] }`, 0, 1, false},
		{`{"Data":[],"Pages":"3"}`, 0, 3, false},
		{`{"Data":null}`, 0, 0, false},
		{`{"Data":[{"name":"a"}],"Data":[{"name":"b"}]}`, 2, 0, false},
		{`{"x":{"y":["]}\\\"",1e5,null]},"Data":[{"name":"a\"]}"}],"Meta":null}`, 1, 0, false},
		{`{"Pages":1}`, 0, 0, true},
		{`{"Data":5}`, 0, 0, true},
		{`{"Data":{}}`, 0, 0, true},
		{`{"Data":[],"Pages":null}`, 0, 0, true},
		{`{"Data":[],"Pages":"x"}`, 0, 0, true},
		{`[]`, 0, 0, true},
		{``, 0, 0, true},
		{`{"Data":[{"name":"a"}`, 0, 0, true},
		{`{"Data":[{"name":"a"},]}`, 0, 0, true},
	}
	for _, tc := range tests {
		items, pages, err := decodeList[Policy](strings.NewReader(tc.body), "Data")
		if tc.wantError {
			if err == nil || items != nil {
				t.Errorf("%s: %d items, %v; want an error", tc.body, len(items), err)
			}
			continue
		}
		if err != nil || items == nil || len(items) != tc.items || pages != tc.pages {
			t.Errorf("%s: %d items, %d pages, %v; want %d, %d", tc.body, len(items), pages, err, tc.items, tc.pages)
		}
	}
}

// The patch-only guarantee at every level: a policy read and written back
// unchanged keeps every member it does not model, at the top, in each
// access_rights entry and in each entry's limit, with its value.
func TestRoundTripKeepsUnknownMembers(t *testing.T) {
	in := `{"_id":"5fd202b669710900018bc19c","id":"","name":"p","org_id":"o","rate":-1,"per":-1,"quota_max":-1,
	"quota_renewal_rate":-1,"throttle_interval":-1,"throttle_retry_limit":-1,"key_expires_in":0,"active":true,"is_inactive":false,
	"state":"active","tags":["portal"],"partitions":{"quota":false,"rate_limit":false,"complexity":false,"acl":true,"per_api":true},
	"meta_data":{"owner":"team","cost":42,"nested":{"a":[1,"b",null]}},"last_updated":"1607598779","auth_type":"authToken",
	"graphql_access_rights":{"a":{"types":[]}},"max_query_depth":-1,"hmac_enabled":false,"smoothing":null,
	"access_rights":{"a":{"api_id":"a","api_name":"A","versions":["Default"],"allowed_urls":[{"url":"/x","methods":["GET"]}],
		"restricted_types":[],"field_access_rights":[],"allowance_scope":"per_api","disable_introspection":true,
		"mcp_primitives":{"tools":{"allowed":["t"]}},
		"limit":{"rate":10,"per":1,"throttle_interval":-1,"throttle_retry_limit":-1,"quota_max":100,"quota_renewal_rate":3600,
			"set_by_policy":true,"smoothing":{"enabled":true,"threshold":5},"max_query_depth":-1}}}}`
	var p Policy
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal([]byte(in), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the policy:\nin  %s\nout %s", in, out)
	}
}
