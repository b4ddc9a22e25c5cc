package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/tykportal/tykportal/pkg/dashboard/internal/fastrecord"
)

// FuzzDecodePolicy: decoding never panics, and decode → encode → decode is
// stable (the patch-only codec loses nothing on a second round).
func FuzzDecodePolicy(f *testing.F) {
	f.Add([]byte(`{"_id":"5fd202b669710900018bc19c","id":"","name":"p","rate":1e3,"key_expires_in":2.592e+06,"last_updated":"1607598779","x":{"y":[1,2]},"access_rights":{"a":{"api_id":"a","allowed_urls":[{"url":"/x","methods":["GET"]}],"endpoints":[]}}}`))
	f.Add([]byte(`{"_id":{"$oid":"5fd202b669710900018bc19c"},"quota_max":"100","last_updated":1607598779}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Policy
		if err := json.Unmarshal(data, &p); err != nil {
			return
		}
		once, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		var q Policy
		if err := json.Unmarshal(once, &q); err != nil {
			t.Fatalf("re-decode %s: %v", once, err)
		}
		twice, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		_ = json.Unmarshal(once, &a)
		_ = json.Unmarshal(twice, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("not stable:\n%s\n%s", once, twice)
		}
	})
}

// FuzzDecodeList: the streaming list decoder never panics, returns items or
// an error, and decodes every answer the token-by-token reference decoder
// accepts to the same items and page count.
func FuzzDecodeList(f *testing.F) {
	f.Add([]byte(`{"Data":[{"name":"a"},{"name":"b"}],"Pages":2}`))
	f.Add([]byte(`{"apis":[{"api_definition":{"api_id":"x","use_keyless":true}}],"pages":1}`))
	f.Add([]byte(`{"Data":null}`))
	f.Add([]byte(`{"x":{"y":["]}\\\"",1e5,null]},"Data":[{"name":"a\"]}","tags":["t"]}],"pages":"3"}`))
	f.Add([]byte(`{"Pages":1.0, "DATA" : [ ] }`))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, pages, err := decodeList[Policy](bytes.NewReader(data), "Data")
		if err == nil && items == nil {
			t.Fatal("nil items without an error")
		}
		ref, refPages, refErr := referenceDecodeList[Policy](bytes.NewReader(data), "Data")
		if refErr == nil {
			if err != nil {
				t.Fatalf("the reference decodes %q, decodeList fails: %v", data, err)
			}
			if pages != refPages || !reflect.DeepEqual(items, ref) {
				t.Fatalf("decodeList differs from the reference on %q:\n%+v %d\n%+v %d", data, items, pages, ref, refPages)
			}
		}
		_, _, _ = decodeList[apiWrapper](bytes.NewReader(data), "apis")
	})
}

// FuzzListedPolicy: a policy of a list has the modelled fields of the same
// policy read whole, but for what a list leaves out (path permissions,
// limits, meta_data other than the marker), so a field added to Policy is
// in both; and a list fails on a policy only where the whole read fails.
func FuzzListedPolicy(f *testing.F) {
	f.Add([]byte(`{"_id":"5fd202b669710900018bc19c","id":"","name":"p","org_id":"o","rate":1e3,"per":"60","quota_max":-1,"key_expires_in":2.592e+06,"access_rights":{"a":{"api_id":"a","api_name":"A","versions":["Default"],"allowed_urls":[{"url":"/x","methods":["GET"]}],"limit":{"rate":1,"x":2},"mcp_primitives":null,"json_rpc_methods":[{"x":1}]}},"active":true,"is_inactive":false,"state":"active","tags":["portal","t\u00e9"],"partitions":{"acl":true,"quota":null},"last_updated":1607598779,"auth_type":"authToken","meta_data":{"tykportal_operation":"op-1"},"x":[1,{"y":"z"}]}`))
	f.Add([]byte(`{"_id":{"$oid":"5fd202b669710900018bc19c"},"Name":"case","NAME":"x"}`))
	f.Add([]byte(`{"name":"a","name":"b","tags":null,"access_rights":null,"partitions":null,"rate":2,"rate":null}`))
	f.Add([]byte(`{"rate":"x"}`))
	f.Add([]byte(`{"tags":[1]}  `))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"a":tru}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var whole, listed Policy
		errWhole := json.Unmarshal(data, &whole)
		errListed := jsonv2.Unmarshal(data, &listed, listOptions)
		if errWhole == nil && errListed != nil {
			t.Fatalf("%q: read whole, but not in a list: %v", data, errListed)
		}
		if errWhole != nil {
			return
		}
		if m, ok := whole.MetaData[OperationMarkerField].(string); ok && m != "" {
			whole.MetaData = map[string]any{OperationMarkerField: m}
		} else {
			whole.MetaData = nil
		}
		for k, a := range whole.AccessRights {
			a.AllowedURLs, a.Limit, a.extra = nil, nil, nil
			whole.AccessRights[k] = a
		}
		whole.extra, whole.readAPIs, whole.partial = nil, "", true
		if !reflect.DeepEqual(whole, listed) {
			t.Fatalf("%q:\nwhole  %+v\nlisted %+v", data, whole, listed)
		}
	})
}

// FuzzFastPolicy: whatever the fast path of a list reads, it reads as the
// library does. The fuzzed member goes into a usual listed policy, at the
// top or in one of its objects, so that most inputs reach the fast path.
func FuzzFastPolicy(f *testing.F) {
	for _, seed := range []struct {
		where       uint8
		name, value string
	}{
		{0, "name", `"p \"q\" \u00e9 \ud800"`}, {0, "rate", `1e3`}, {0, "quota_max", `2.5`}, {0, "quota_max", `"1"`},
		{0, "_id", `{"$oid":"x"}`}, {0, "Name", `"x"`}, {0, "tags", `["a",null]`}, {0, "last_updated", `-1.5e3`},
		{0, "access_rights", `{"b":null}`}, {0, "partitions", `null`}, {0, "unknown", `[{"a":"]}"}]`},
		{1, "limit", `{"rate":"x"}`}, {1, "mcp_primitives", `{ "a" : [1] }`}, {1, "versions", `null`},
		{2, "acl", `true`}, {2, "ACL", `false`}, {3, OperationMarkerField, `"op-2"`}, {3, OperationMarkerField, `7`},
	} {
		f.Add(seed.where, seed.name, []byte(seed.value))
	}
	f.Fuzz(func(t *testing.T, where uint8, name string, value []byte) {
		member := string(jsontext.Value(`"`+name+`"`)) + ":" + string(value)
		objects := []string{"", "", "", ""}
		objects[where%4] = "," + member
		raw := []byte(`{"_id":"5fd202b669710900018bc19c","name":"p","rate":-1,"quota_max":-1,"tags":["portal"],"state":"active",` +
			`"access_rights":{"a":{"api_id":"a","api_name":"A","versions":["Default"],"allowed_urls":[]` + objects[1] + `}},` +
			`"partitions":{"quota":false` + objects[2] + `},"meta_data":{"tykportal_operation":"op-1"` + objects[3] + `}` + objects[0] + `}`)
		if !jsontext.Value(raw).IsValid(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)) {
			return // the list reader would have failed
		}
		var s fastrecord.Scanner
		fast := Policy{partial: true}
		if !fastrecord.Decode(&s, raw, fastPolicy, &fast) {
			return
		}
		var lib Policy
		if err := jsonv2.Unmarshal(raw, &lib, listOptions); err != nil {
			t.Fatalf("%s: the fast path reads it, the library fails: %v", raw, err)
		}
		if !reflect.DeepEqual(fast, lib) {
			t.Fatalf("%s:\nfast    %+v\nlibrary %+v", raw, fast, lib)
		}
	})
}

// The fast path has a table for every record it reads, each covering every
// field the library reads: a field added to Policy and missing from
// listfast.go's tables turns the fast path off.
func TestFastPathOn(t *testing.T) {
	if fastPolicy == nil || fastAccess == nil || fastPartitions == nil || fastAPI == nil || fastAPIDefinition == nil {
		t.Fatalf("a fast table lacks a field of its record: policy %v, access %v, partitions %v, API %v, API definition %v",
			fastPolicy != nil, fastAccess != nil, fastPartitions != nil, fastAPI != nil, fastAPIDefinition != nil)
	}
	var s fastrecord.Scanner
	p := Policy{partial: true}
	item := `{"_id":"5fd202b669710900018bc19c","id":"","name":"policy-1","org_id":"o","rate":-1,"per":-1,"quota_max":-1,"quota_renewal_rate":-1,"throttle_interval":-1,"throttle_retry_limit":-1,"key_expires_in":0,"tags":["portal"],"partitions":{"acl":true,"quota":false,"rate_limit":false,"complexity":false,"per_api":false},"access_rights":{"api1":{"api_id":"api1","api_name":"API","versions":["Default"],"allowed_urls":[],"limit":null}},"meta_data":{"tykportal_operation":"op-1"},"active":true,"is_inactive":false,"state":"active","last_updated":"1700000000","date_created":"2024-01-01T00:00:00Z","max_query_depth":-1,"graphql_access_rights":{}}`
	if !fastrecord.Decode(&s, []byte(item), fastPolicy, &p) || p.Name != "policy-1" || p.MetaData[OperationMarkerField] != "op-1" || p.AccessRights["api1"].Versions[0] != "Default" {
		t.Fatalf("the usual listed policy is not read by the fast path: %+v", p)
	}
}

// FuzzAPIEntry: an entry of the API list decodes, by the fast path or the
// library, exactly as encoding/json decodes it: the same value, and an
// error whenever it errs.
func FuzzAPIEntry(f *testing.F) {
	f.Add([]byte(`{"api_definition":{"id":"5fd202b669710900018bc19c","api_id":"a1","name":"n","org_id":"o","active":true,"use_standard_auth":true,"proxy":{"listen_path":"/x/"},"external_oauth":{"enabled":true},"base_identity_provided_by":"auth_token"},"categories":[],"created_at":"2024-01-01T00:00:00Z","user_owners":[]}`))
	f.Add([]byte(`{"api_definition":{"is_oas":true,"name":"o\u00e9"},"oas":{"x-tyk-api-gateway":{"info":{"name":"n","id":"i"}}}}`))
	f.Add([]byte(`{"api_definition":null,"oas":null}`))
	f.Add([]byte(`{"API_DEFINITION":{"Use_Keyless":true}}`))
	f.Add([]byte(`{"api_definition":{"active":"yes"}}`))
	f.Add([]byte(`{"api_definition":{"name":"a"},"api_definition":{"api_id":"b","name":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return // the list reader fails first
		}
		var got, ref apiWrapper
		err := decodeListItem(new(fastrecord.Scanner), bytes.TrimSpace(data), &got)
		errRef := json.Unmarshal(data, &ref)
		if (err == nil) != (errRef == nil) {
			t.Fatalf("%q: error %v, encoding/json error %v", data, err, errRef)
		}
		if errRef == nil && !reflect.DeepEqual(got, ref) {
			t.Fatalf("%q:\ngot  %+v\njson %+v", data, got, ref)
		}
	})
}

// Lists longer than a batch are decoded by workers; the order, the values
// and the first error must be those of a serial decode.
func TestDecodeListBatches(t *testing.T) {
	for _, n := range []int{0, 1, batchItems - 1, batchItems, batchItems + 1, 5*batchItems + 7, 3000} {
		var b strings.Builder
		b.WriteString(`{"Pages":1,"Data":[`)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(",\n ")
			}
			fmt.Fprintf(&b, `{"_id":"%024x","name":"p \"%d\" \\","rate":%d,"tags":["a","b]"],"meta_data":{"tykportal_operation":"op-%d"}}`, i, i, i, i)
		}
		b.WriteString(`]}`)
		items, pages, err := decodeList[Policy](strings.NewReader(b.String()), "Data")
		if err != nil || pages != 1 || len(items) != n {
			t.Fatalf("%d items: %d decoded, pages %d, %v", n, len(items), pages, err)
		}
		for i, it := range items {
			if it.Name != fmt.Sprintf(`p "%d" \`, i) || int(it.Rate) != i || it.MetaData[OperationMarkerField] != fmt.Sprintf("op-%d", i) {
				t.Fatalf("%d items: item %d is %+v", n, i, it)
			}
		}
		ref, _, err := referenceDecodeList[Policy](strings.NewReader(b.String()), "Data")
		if err != nil || !reflect.DeepEqual(ref, items) {
			t.Fatalf("%d items: differs from the reference (%v)", n, err)
		}
		if n < 2 {
			continue
		}
		// A bad item deep in the list: an error, never a partial list.
		bad := strings.Replace(b.String(), fmt.Sprintf(`"rate":%d,`, n-2), `"rate":"x",`, 1)
		if items, _, err := decodeList[Policy](strings.NewReader(bad), "Data"); err == nil || items != nil {
			t.Fatalf("%d items with a bad one: %d items, %v", n, len(items), err)
		}
		// Truncated anywhere: an error.
		for _, cut := range []int{1, len(b.String()) / 2, len(b.String()) - 1} {
			if _, _, err := decodeList[Policy](strings.NewReader(b.String()[:cut]), "Data"); err == nil {
				t.Fatalf("%d items cut at %d: no error", n, cut)
			}
		}
	}
}

// BenchmarkListPolicies10k decodes a 10,000-policy p=-2 answer over HTTP.
func BenchmarkListPolicies10k(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"Data":[`)
	for i := 0; i < 10000; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"_id":"%024x","id":"","name":"policy-%d","org_id":"o","rate":-1,"per":-1,"quota_max":-1,"quota_renewal_rate":-1,"throttle_interval":-1,"throttle_retry_limit":-1,"key_expires_in":0,"tags":["portal"],"partitions":{"acl":true,"quota":false,"rate_limit":false,"complexity":false,"per_api":false},"access_rights":{"api%d":{"api_id":"api%d","api_name":"API","versions":["Default"],"allowed_urls":[],"limit":null}},"meta_data":{},"active":true,"is_inactive":false,"state":"active","last_updated":"1700000000","date_created":"2024-01-01T00:00:00Z","max_query_depth":-1,"graphql_access_rights":{}}`, i, i, i%2000, i%2000)
	}
	buf.WriteString(`],"Pages":1}`)
	body := buf.Bytes()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL, Secret: "s"})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		ps, err := c.ListPolicies(context.Background())
		if err != nil || len(ps) != 10000 {
			b.Fatal(len(ps), err)
		}
	}
}

// referenceDecodeList is the token-by-token decoder decodeList replaced:
// the fuzz target checks that every answer it accepts decodes the same way.
// It walks {"<itemsKey>":[...],"<pages>":N} token by token with
// encoding/json, decoding one item at a time as a list item.
func referenceDecodeList[T any](r io.Reader, itemsKey string) ([]T, int, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, 0, err
	}
	items := make([]T, 0)
	pages := 0
	sawItems := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, 0, err
		}
		key, _ := tok.(string)
		switch {
		case strings.EqualFold(key, itemsKey):
			sawItems = true
			tok, err := dec.Token()
			if err != nil {
				return nil, 0, err
			}
			if tok == nil { // "Data": null
				continue
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return nil, 0, fmt.Errorf("%q is not a list", key)
			}
			for dec.More() {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, 0, err
				}
				var item T
				if err := jsonv2.Unmarshal(raw, &item, listOptions); err != nil {
					return nil, 0, err
				}
				items = append(items, item)
			}
			if _, err := dec.Token(); err != nil {
				return nil, 0, err
			}
		case strings.EqualFold(key, "pages"):
			var n json.Number
			if err := dec.Decode(&n); err != nil {
				return nil, 0, err
			}
			f, err := n.Float64()
			if err != nil {
				return nil, 0, err
			}
			pages = pageCount(f)
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, 0, err
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, 0, err
	}
	if !sawItems {
		return nil, 0, fmt.Errorf("the answer has no %q list", itemsKey)
	}
	return items, pages, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, found %v", want, tok)
	}
	return nil
}
