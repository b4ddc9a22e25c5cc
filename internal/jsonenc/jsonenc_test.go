package jsonenc

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStringFloatTimeMatchMarshal(t *testing.T) {
	for _, s := range []string{"", "plain", "a\"b", "back\\slash", "<&>", "\n\r\t\b\f\x00\x1f", "\x7f", "é日本", "\xff", "\u2028\u2029"} {
		if got, want := String(nil, s), marshal(t, s); !bytes.Equal(got, want) {
			t.Errorf("String(%q) = %s, want %s", s, got, want)
		}
	}
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 60, 0.5, 1e-6, 9.999e-7, 1e-7, 1e20, 1e21, 1.5e300, 999999999999999, 1e15, 123456789012345678, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		got, err := Float(nil, f)
		if want := marshal(t, f); err != nil || !bytes.Equal(got, want) {
			t.Errorf("Float(%v) = %s (%v), want %s", f, got, err, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := Float(nil, f); err == nil {
			t.Errorf("Float(%v): no error", f)
		}
	}
	times := []time.Time{
		{}, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2000, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 100, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(1600, 3, 1, 0, 0, 0, 120000000, time.UTC), time.Date(2026, 12, 1, 19, 0, 0, 0, time.FixedZone("", -7*3600)),
		time.Date(2026, 12, 1, 19, 0, 0, 5, time.FixedZone("UTC", 0)), time.Now(), time.Now().UTC(),
	}
	for _, tm := range times {
		got, err := Time(nil, tm)
		if want := marshal(t, tm); err != nil || !bytes.Equal(got, want) {
			t.Errorf("Time(%v) = %s (%v), want %s", tm, got, err, want)
		}
	}
	for _, tm := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, err := Time(nil, tm); err == nil {
			t.Errorf("Time(%v): no error", tm)
		}
	}
}

// FuzzTime covers every day of the years 0-9999 and beyond, in UTC (the
// hand-written path) and in a fixed zone (time's own).
func FuzzTime(f *testing.F) {
	f.Add(int64(0), int64(0))
	f.Add(int64(-62167219200), int64(1))
	f.Add(int64(253402300799), int64(999999999))
	f.Fuzz(func(t *testing.T, sec, nsec int64) {
		for _, tm := range []time.Time{time.Unix(sec, nsec%1e9).UTC(), time.Unix(sec, nsec%1e9).In(time.FixedZone("", 3600))} {
			want, werr := json.Marshal(tm)
			got, gerr := Time(nil, tm)
			if (werr == nil) != (gerr == nil) || werr == nil && !bytes.Equal(got, want) {
				t.Fatalf("Time(%v) = %s (%v), json.Marshal %s (%v)", tm, got, gerr, want, werr)
			}
		}
	})
}

func FuzzFloat(f *testing.F) {
	f.Add(1.5)
	f.Add(1e-7)
	f.Fuzz(func(t *testing.T, v float64) {
		want, werr := json.Marshal(v)
		got, gerr := Float(nil, v)
		if (werr == nil) != (gerr == nil) || werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("Float(%v) = %s (%v), json.Marshal %s (%v)", v, got, gerr, want, werr)
		}
	})
}
