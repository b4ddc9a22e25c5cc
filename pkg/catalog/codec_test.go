package catalog

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
)

func sampleRecords() (Product, Plan) {
	now := time.Date(2026, 11, 30, 12, 34, 56, 789000000, time.UTC)
	later := now.Add(90 * time.Minute).In(time.FixedZone("x", 5*3600+1800))
	prod := Product{ID: 42, Provider: "prod", PolicyID: "5fd202b669710900018bc19c", PolicyMID: "5fd202b669710900018bc19c",
		Name: "payments", DisplayName: "Payments <API> & \"more\"", Description: "line\nbreak\ttab \u2028 é \x01",
		Published: true, HiddenSince: &later, Placeholder: true, AuthType: "authToken",
		APIs:      []APIRef{{APIID: "a1", Name: "A"}, {APIID: "b2", Name: "B\\"}},
		CreatedAt: now, UpdatedAt: later, LastSyncedAt: &now, PublishedBeforeHide: true}
	plan := Plan{ID: 7, Provider: "prod", PolicyID: "gold", PolicyMID: "665d", Name: "gold", DisplayName: "Gold",
		Rate: 100.5, Per: 60, QuotaMax: -1, QuotaRenewalRate: 2592000, ThrottleInterval: 1e-7, ThrottleRetryLimit: 3,
		KeyExpiresIn: 86400, CreatedAt: now, UpdatedAt: now}
	return prod, plan
}

// The hand-written encoders write exactly json.Marshal's bytes: every
// record ever written stays readable by encoding/json, and a record's
// bytes do not depend on which path wrote it.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	prod, plan := sampleRecords()
	empty := Product{APIs: []APIRef{}}
	floats := []float64{0, -1, 1, 1e20, 1e21, 123456789012345678, 1e-6, 9.99e-7, 0.1, -2.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Copysign(0, -1)}
	var plans []Plan
	for _, f := range floats {
		p := plan
		p.Rate, p.Per, p.ThrottleInterval = f, -f, f/3
		plans = append(plans, p)
	}
	id := uint64(9)
	result := SyncResult{Provider: "prod", Status: SyncOK, Error: "a <b> \"c\"", DryRun: true, StartedAt: time.Date(2026, 12, 1, 1, 2, 3, 4000, time.UTC),
		DurationMS: 1234, PoliciesFetched: 10, PoliciesMatched: 8, Products: ChangeCounts{1, 2, 3, 4, 5}, Plans: ChangeCounts{Created: 6},
		Skipped: []SkippedItem{{PolicyID: "p", Name: "n\u00e9", Reason: "inactive"}},
		Changes: []Change{{Action: ActionCreate, Kind: KindProduct, ID: &id, PolicyID: "p1", Name: "x"}, {Action: ActionHide, Kind: KindPlan, PolicyID: "p2", Name: "y&z"}}}
	cases := []any{prod, Product{}, empty, plan, Plan{}, result, SyncResult{}, SyncResult{Skipped: []SkippedItem{}, Changes: []Change{}}}
	for _, p := range plans {
		cases = append(cases, p)
	}
	bad := []string{"\xff\xfe", "a\u2029b", "<script>", "\x00\x1f\x7f", "日本語", "\\\"/"}
	for _, s := range bad {
		p := prod
		p.Name, p.APIs = s, []APIRef{{APIID: s, Name: s}}
		cases = append(cases, p)
	}
	for _, c := range cases {
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.(interface{ AppendJSON([]byte) ([]byte, error) }).AppendJSON([]byte("prefix"))
		if err != nil || !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("AppendJSON differs from json.Marshal (%v):\n got %s\nwant prefix%s", err, got, want)
		}
	}
}

// What json.Marshal refuses, AppendJSON refuses too.
func TestAppendJSONErrors(t *testing.T) {
	prod, plan := sampleRecords()
	plan.Rate = math.NaN()
	prod.CreatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []interface{ AppendJSON([]byte) ([]byte, error) }{plan, prod} {
		if _, err := json.Marshal(c); err == nil {
			t.Fatalf("json.Marshal accepts %+v", c)
		}
		if _, err := c.AppendJSON(nil); err == nil {
			t.Errorf("AppendJSON accepts %+v", c)
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("payments", "a<b>", uint64(3), 1.5, int64(-1), int64(0))
	f.Add("\xff", "\u2028", uint64(0), 1e21, int64(1<<62), int64(-1<<62))
	f.Fuzz(func(t *testing.T, s1, s2 string, id uint64, fl float64, i1, i2 int64) {
		prod, plan := sampleRecords()
		prod.ID, prod.Name, prod.Description, prod.APIs = id, s1, s2, []APIRef{{APIID: s2, Name: s1}}
		created := time.Unix(i1%(1<<35), i2%1e9).UTC()
		prod.CreatedAt, plan.UpdatedAt = created, created
		plan.ID, plan.DisplayName, plan.Rate, plan.Per, plan.QuotaMax, plan.KeyExpiresIn = id, s1, fl, fl*7, i1, i2
		for _, c := range []interface{ AppendJSON([]byte) ([]byte, error) }{prod, plan} {
			want, werr := json.Marshal(c)
			got, gerr := c.AppendJSON(nil)
			if (werr == nil) != (gerr == nil) || werr == nil && !bytes.Equal(got, want) {
				t.Fatalf("AppendJSON %s (%v)\njson.Marshal %s (%v)", got, gerr, want, werr)
			}
		}
	})
}

func BenchmarkAppendJSON(b *testing.B) {
	prod, plan := sampleRecords()
	prod.DisplayName, prod.Description = "Payments", ""
	var buf []byte
	b.Run("product", func(b *testing.B) {
		for b.Loop() {
			buf, _ = prod.AppendJSON(buf[:0])
		}
	})
	b.Run("product-json.Marshal", func(b *testing.B) {
		for b.Loop() {
			buf, _ = json.Marshal(prod)
		}
	})
	b.Run("plan", func(b *testing.B) {
		for b.Loop() {
			buf, _ = plan.AppendJSON(buf[:0])
		}
	})
}

// DecodeJSON gives exactly what json.Unmarshal gives: on the records
// AppendJSON writes, and on anything else (FuzzDecodeJSON).
func TestDecodeJSONMatchesUnmarshal(t *testing.T) {
	prod, plan := sampleRecords()
	inputs := [][]byte{}
	for _, v := range []interface{ AppendJSON([]byte) ([]byte, error) }{prod, plan, Product{}, Plan{}, Product{APIs: []APIRef{}}} {
		b, err := v.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b)
	}
	inputs = append(inputs, decodeSeeds...)
	for _, in := range inputs {
		checkDecode(t, in)
	}
}

var decodeSeeds = [][]byte{
	[]byte(`{"id":1,"created_at":"2026-02-29T00:00:00Z"}`),
	[]byte(`{"id":1,"created_at":"2024-02-29T23:59:59.5Z","hidden_since":null,"apis":null}`),
	[]byte(`{"ID":1,"Name":"x"}`),
	[]byte(`{"id":-1}`),
	[]byte(`{"id":1.0,"rate":1e3,"per":-0,"quota_max":-5}`),
	[]byte(`{"rate":123456789012345678,"quota_max":99999999999999999999}`),
	[]byte(`{"name":"a","name":"b"}`),
	[]byte(`{"apis":[{"api_id":"a","name":"A","x":1},null]}`),
	[]byte(`{"apis":[{"api_id":"a\u00e9"}],"created_at":"2026-11-30T12:34:56+01:00"}`),
	[]byte(`{"updated_at":"2026-11-30T12:34:56.1234567891Z","last_synced_at":"2026-13-01T00:00:00Z"}`),
	[]byte(` {"published": true , "hidden":null} `),
	[]byte(`{"published":"yes"}`),
	[]byte(`[]`),
	[]byte(`{"id":1}x`),
}

func checkDecode(t *testing.T, in []byte) {
	t.Helper()
	var fp, rp Product
	ferr, rerr := fp.DecodeJSON(in), json.Unmarshal(in, &rp)
	if (ferr == nil) != (rerr == nil) || rerr == nil && !reflect.DeepEqual(fp, rp) {
		t.Fatalf("product %s:\nDecodeJSON %+v (%v)\nUnmarshal  %+v (%v)", in, fp, ferr, rp, rerr)
	}
	var fl, rl Plan
	ferr, rerr = fl.DecodeJSON(in), json.Unmarshal(in, &rl)
	if (ferr == nil) != (rerr == nil) || rerr == nil && !reflect.DeepEqual(fl, rl) {
		t.Fatalf("plan %s:\nDecodeJSON %+v (%v)\nUnmarshal  %+v (%v)", in, fl, ferr, rl, rerr)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	prod, plan := sampleRecords()
	for _, v := range []interface{ AppendJSON([]byte) ([]byte, error) }{prod, plan} {
		b, _ := v.AppendJSON(nil)
		f.Add(b)
	}
	for _, s := range decodeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkDecode(t, in) })
}
