package fastrecord

import (
	"reflect"
	"testing"
)

type rec struct {
	Name string
	N    int64
	F    float64
	Tags []string
	Sub  map[string]rec
}

var table *Table[rec]

func init() {
	table = NewTable(map[string]func(*Scanner, *rec) bool{
		"name": func(s *Scanner, r *rec) bool { return s.String(&r.Name) },
		"n":    func(s *Scanner, r *rec) bool { return s.Int(&r.N) },
		"f":    func(s *Scanner, r *rec) bool { return s.Float(&r.F) },
		"tags": func(s *Scanner, r *rec) bool { return s.Strings(&r.Tags) },
		"sub":  func(s *Scanner, r *rec) bool { return Map(s, table, &r.Sub) },
	})
}

func TestDecode(t *testing.T) {
	tests := []struct {
		in   string
		want rec
		ok   bool
	}{
		{`{"name":"a","n":-12,"f":1.5e3,"tags":["x","y"]}`, rec{Name: "a", N: -12, F: 1500, Tags: []string{"x", "y"}}, true},
		{` { "name" : "a\"b\\" , "x" : [ "]}\"" , {"y":[1,{}]} , null ] , "n" : 0 } `, rec{Name: `a"b\`}, true},
		{`{"sub":{"k":{"name":"v"}},"skipped":{"name":"no"},"t":true,"u":-1.5e-3}`, rec{Sub: map[string]rec{"k": {Name: "v"}}}, true},
		{`{"name":null,"tags":null,"sub":null}`, rec{}, true},
		{`null`, rec{}, true},
		{`{"name":"\u00e9"}`, rec{Name: "é"}, true},
		// Given up: the library decides.
		{`{"Name":"a"}`, rec{}, false},            // a case variant
		{`{"na\u006de":"a"}`, rec{}, false},       // an escaped name
		{`{"name":"a","name":"b"}`, rec{}, false}, // a duplicate
		{`{"n":1.0}`, rec{}, false},               // not an integer
		{`{"n":1234567890123456}`, rec{}, false},  // not exact as a float64
		{`{"name":5}`, rec{}, false},              // a type the library rejects
		{`{"sub":{"k":null}}`, rec{}, false},      // a null record
		{`{"sub":{"k":{},"k":{}}}`, rec{}, false}, // a duplicate key
		{"{\"name\":\"\xff\"}", rec{}, false},     // invalid UTF-8
		{"{\"tag\u017f\":[\"a\"]}", rec{}, false}, // may fold to tags (long s)
		{`[]`, rec{}, false},
	}
	for _, tc := range tests {
		var got rec
		var s Scanner
		ok := Decode(&s, []byte(tc.in), table, &got)
		if ok != tc.ok || ok && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v %+v, want %v %+v", tc.in, ok, got, tc.ok, tc.want)
		}
	}
}
