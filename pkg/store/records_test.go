package store

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tykportal/tykportal/pkg/catalog"
)

func sampleRecords() (catalog.Product, catalog.Plan) {
	now := time.Date(2026, 11, 30, 12, 34, 56, 789000000, time.UTC)
	later := now.Add(90 * time.Minute).In(time.FixedZone("x", 5*3600+1800))
	prod := catalog.Product{
		Item: catalog.Item{ID: 42, Provider: "prod", PolicyID: "5fd202b669710900018bc19c", PolicyMID: "5fd202b669710900018bc19c",
			Name: "payments", DisplayName: "Payments <API> & \"more\"", Description: "line\nbreak\ttab \u2028 é \x01",
			Published: true, HiddenSince: &later, Placeholder: true},
		AuthType: "authToken",
		APIs:     []catalog.APIRef{{APIID: "a1", Name: "A"}, {APIID: "b2", Name: "B\\"}},
		History:  catalog.History{CreatedAt: now, UpdatedAt: later, LastSyncedAt: &now, PublishedBeforeHide: true},
	}
	plan := catalog.Plan{
		Item:    catalog.Item{ID: 7, Provider: "prod", PolicyID: "gold", PolicyMID: "665d", Name: "gold", DisplayName: "Gold"},
		Limits:  catalog.Limits{Rate: 100.5, Per: 60, QuotaMax: -1, QuotaRenewalRate: 2592000, ThrottleInterval: 1e-7, ThrottleRetryLimit: 3, KeyExpiresIn: 86400},
		History: catalog.History{CreatedAt: now, UpdatedAt: now},
	}
	return prod, plan
}

// Records are written exactly as encoding/json wrote them into state files
// before json/v2 (and as the hand-written encoders before that did): a
// record rewritten unchanged keeps its bytes, and a state file written by
// this version reads with older code.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	prod, plan := sampleRecords()
	floats := []float64{0, -1, 1, 1e20, 1e21, 123456789012345678, 1e-6, 9.99e-7, 0.1, -2.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Copysign(0, -1)}
	cases := []any{prod, catalog.Product{}, catalog.Product{APIs: []catalog.APIRef{}}, plan, catalog.Plan{}}
	for _, f := range floats {
		p := plan
		p.Rate, p.Per, p.ThrottleInterval = f, -f, f/3
		cases = append(cases, p)
	}
	for _, s := range []string{"a\u2029b", "<script>", "\x00\x1f\x7f", "日本語", "\\\"/"} {
		p := prod
		p.Name, p.APIs = s, []catalog.APIRef{{APIID: s, Name: s}}
		cases = append(cases, p)
	}
	id := uint64(9)
	cases = append(cases,
		catalog.SyncResult{Provider: "prod", Status: catalog.SyncOK, Error: "a <b> \"c\"", DryRun: true, StartedAt: time.Date(2026, 12, 1, 1, 2, 3, 4000, time.UTC),
			DurationMS: 1234, PoliciesFetched: 10, PoliciesMatched: 8, Products: catalog.ChangeCounts{Created: 1, Updated: 2, Hidden: 3, Restored: 4, Unchanged: 5},
			Skipped: []catalog.SkippedItem{{PolicyID: "p", Name: "n\u00e9", Reason: "inactive"}},
			Changes: []catalog.Change{{Action: catalog.ActionCreate, Kind: catalog.KindProduct, ID: &id, PolicyID: "p1", Name: "x"}}},
		catalog.SyncResult{},
		catalog.Credential{ID: 3, Provider: "p", Consumer: "a@b.c", Kind: catalog.KindKey, KeyHash: "h", CreatedAt: prod.CreatedAt},
		catalog.Operation{ID: 1, Provider: "p", Command: "credentials issue", Object: catalog.ObjectKey, Marker: "op-1", StartedAt: prod.CreatedAt},
		map[string]any{"z": 1, "a": []any{nil, "x"}},
	)
	for _, c := range cases {
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Encode(c)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%T:\nEncode        %s (%v)\njson.Marshal  %s", c, got, err, want)
		}
	}
	// One difference, in strings that are not UTF-8 (nothing tykportal
	// reads gives one: both JSON decoders and the flag checks replace or
	// refuse them): encoding/json writes the replacement character escaped,
	// json/v2 as it is. Both read back as the same record.
	p := prod
	p.Name = "\xff\xfe"
	got, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	var back catalog.Product
	if err := Decode(got, &back); err != nil || back.Name != "\uFFFD\uFFFD" {
		t.Fatalf("invalid UTF-8 read back as %q (%v)", back.Name, err)
	}
}

// Decode reads what encoding/json wrote exactly as json.Unmarshal did.
func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	f.Add("payments", "Payments <API>", 100.5, int64(-1), int64(42), true, "a1")
	f.Add("\xff", "", math.MaxFloat64, int64(0), int64(0), false, "")
	f.Fuzz(func(t *testing.T, name, display string, rate float64, quota, id int64, published bool, apiID string) {
		if math.IsNaN(rate) || math.IsInf(rate, 0) {
			return
		}
		if !utf8.ValidString(name) || !utf8.ValidString(display) || !utf8.ValidString(apiID) {
			return // see TestEncodeMatchesEncodingJSON
		}
		prod, plan := sampleRecords()
		prod.ID, prod.Name, prod.DisplayName, prod.Published = uint64(id), name, display, published
		prod.APIs = append(prod.APIs, catalog.APIRef{APIID: apiID, Name: name})
		plan.Rate, plan.QuotaMax, plan.Name = rate, quota, display
		for _, v := range []any{&prod, &plan} {
			raw, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if enc, err := Encode(v); err != nil || !bytes.Equal(enc, raw) {
				t.Fatalf("Encode %s (%v), json.Marshal %s", enc, err, raw)
			}
			want := reflect.New(reflect.TypeOf(v).Elem())
			got := reflect.New(reflect.TypeOf(v).Elem())
			if err := json.Unmarshal(raw, want.Interface()); err != nil {
				t.Fatal(err)
			}
			if err := Decode(raw, got.Interface()); err != nil {
				t.Fatalf("Decode %s: %v", raw, err)
			}
			if !reflect.DeepEqual(got.Interface(), want.Interface()) {
				t.Fatalf("%s:\nDecode        %+v\njson.Unmarshal %+v", raw, got.Elem(), want.Elem())
			}
		}
	})
}

func TestIDKeyOrder(t *testing.T) {
	for _, pair := range [][2]uint64{{1, 2}, {255, 256}, {65535, 65536}, {1 << 40, 1<<40 + 1}} {
		if bytes.Compare(IDKey(pair[0]), IDKey(pair[1])) >= 0 {
			t.Errorf("IDKey(%d) does not sort before IDKey(%d)", pair[0], pair[1])
		}
		if KeyID(IDKey(pair[0])) != pair[0] {
			t.Errorf("KeyID(IDKey(%d)) round trip", pair[0])
		}
	}
	if KeyID([]byte("short")) != 0 {
		t.Error("KeyID of a name is not 0")
	}
}
