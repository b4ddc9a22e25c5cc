package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
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

// FuzzDecodeList: the streaming list decoder never panics and either
// returns items or an error.
func FuzzDecodeList(f *testing.F) {
	f.Add([]byte(`{"Data":[{"name":"a"},{"name":"b"}],"Pages":2}`))
	f.Add([]byte(`{"apis":[{"api_definition":{"api_id":"x","use_keyless":true}}],"pages":1}`))
	f.Add([]byte(`{"Data":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if items, _, err := decodeList[Policy](bytes.NewReader(data), "Data"); err == nil && items == nil {
			t.Fatal("nil items without an error")
		}
		_, _, _ = decodeList[apiWrapper](bytes.NewReader(data), "apis")
	})
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
