package pgstore

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
)

func TestJSONBOrder(t *testing.T) {
	deep := func(n int, inner string) string { return strings.Repeat("[", n) + inner + strings.Repeat("]", n) }
	for _, tc := range []struct{ name, in, want string }{
		{"struct order to jsonb's", `{"id":1,"provider":"p","name":"n","apis":[]}`, `{"id":1,"apis":[],"name":"n","provider":"p"}`},
		{"same length by bytes", `{"bb":1,"ba":2,"a":3}`, `{"a":3,"ba":2,"bb":1}`},
		{"nested objects, arrays kept in order", `{"zz":[{"name":"b","api_id":"x"},{"name":"a","api_id":"y"}],"a":{"cc":1,"b":2}}`,
			`{"a":{"b":2,"cc":1},"zz":[{"name":"b","api_id":"x"},{"name":"a","api_id":"y"}]}`},
		{"scalars as written", `{"n":2.592e+06,"s":"a\"\u00e9\\","t":true,"z":null}`, `{"n":2.592e+06,"s":"a\"\u00e9\\","t":true,"z":null}`},
		{"empty ones", `{"b":{},"a":[]}`, `{"a":[],"b":{}}`},
		{"not an object", `[3,"x",{"bb":1,"a":2}]`, `[3,"x",{"a":2,"bb":1}]`},
		{"a repeated key keeps its place after the other", `{"k":1,"a":0,"k":2}`, `{"a":0,"k":1,"k":2}`},
		{"spaces go", "{ \"bb\" : 1 ,\n \"a\" : [ 1 , 2 ] }", `{"a":[1,2],"bb":1}`},
		{"invalid: sent as it is", `{"a":1,`, `{"a":1,`},
		{"trailing data: sent as it is", `{"b":1,"a":2} {}`, `{"b":1,"a":2} {}`},
		{"empty: sent as it is", ``, ``},
		{"escaped quotes and backslashes", `{"b\\":"\\\"","a":"\\"}`, `{"a":"\\","b\\":"\\\""}`},
		{"control character: moved, still refused", "{\"b\":\"\x01\",\"a\":1}", "{\"a\":1,\"b\":\"\x01\"}"},
		{"nested to the limit", deep(maxDepth-1, `{"bb":1,"a":2}`), deep(maxDepth-1, `{"a":2,"bb":1}`)},
		{"nested past the limit: sent as it is", deep(maxDepth, `{"bb":1,"a":2}`), deep(maxDepth, `{"bb":1,"a":2}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o jsonbOrderer
			got := o.reorder([]byte(tc.in))
			if string(got) != tc.want {
				t.Errorf("reorder(%s)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}

// Every record the store writes, and every Dashboard answer of the wire
// fixtures, comes out the same JSON in meaning, in jsonb's order, and
// unchanged by a second pass; one orderer serves them all in turn.
func TestJSONBOrderKeepsMeaning(t *testing.T) {
	var values [][]byte
	for _, r := range benchRecords(t, 3) {
		values = append(values, r.Value)
	}
	result, err := store.Encode(catalog.SyncResult{Provider: "p", Status: catalog.SyncOK, Changes: []catalog.Change{{Action: catalog.ActionCreate, Kind: "product", Name: "x",
		Fields: []catalog.FieldChange{{Field: "name", Old: "a", New: "b"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	values = append(values, result)
	fixtures, _ := filepath.Glob("../../../testdata/wire/*.json")
	if len(fixtures) < 20 {
		t.Fatalf("%d wire fixtures found", len(fixtures))
	}
	for _, f := range fixtures {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		values = append(values, raw)
	}
	var o jsonbOrderer
	for _, v := range values {
		got := o.reorder(v)
		var want, have any
		if err := json.Unmarshal(v, &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got, &have); err != nil {
			t.Fatalf("reordered %.60s... does not parse: %v", v, err)
		}
		if !reflect.DeepEqual(want, have) {
			t.Errorf("reordered %.60s... means something else:\n%s", v, got)
		}
		if again := o.reorder(got); !bytes.Equal(again, got) {
			t.Errorf("a second pass changed %.60s...", got)
		}
		for _, keys := range keyRuns(t, got) {
			for i := 1; i < len(keys); i++ {
				if a, b := keys[i-1], keys[i]; len(a) > len(b) || len(a) == len(b) && a > b {
					t.Errorf("%q before %q in %.60s...", a, b, got)
				}
			}
		}
	}
}

// The order is jsonb's own: PostgreSQL prints the stored value's members
// in the order given.
func TestJSONBOrderIsPostgreSQLs(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	var o jsonbOrderer
	for _, r := range benchRecords(t, 2) {
		got := o.reorder(r.Value)
		var printed string
		if err := db.pool.QueryRow(ctx, "SELECT $1::jsonb::text", string(r.Value)).Scan(&printed); err != nil {
			t.Fatal(err)
		}
		if a, b := keyRuns(t, got), keyRuns(t, []byte(printed)); !reflect.DeepEqual(a, b) {
			t.Errorf("members in the order\n%v\nPostgreSQL keeps\n%v", a, b)
		}
	}
}

// keyRuns lists the keys of each object of v in the order they come, the
// objects in the order they end.
func keyRuns(t *testing.T, v []byte) [][]string {
	t.Helper()
	dec := jsontext.NewDecoder(bytes.NewReader(v), jsontext.AllowDuplicateNames(true))
	var runs [][]string
	var open [][]string
	for {
		tok, err := dec.ReadToken()
		if errors.Is(err, io.EOF) {
			return runs
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok.Kind() {
		case '{':
			open = append(open, []string{})
		case '}':
			runs, open = append(runs, open[len(open)-1]), open[:len(open)-1]
		case '"':
			if len(open) > 0 && isName(dec) {
				open[len(open)-1] = append(open[len(open)-1], tok.String())
			}
		}
	}
}

// isName tells whether the string token just read was an object's name:
// in an object, names are the odd reads (1st, 3rd, ...).
func isName(dec *jsontext.Decoder) bool {
	kind, length := dec.StackIndex(dec.StackDepth())
	return kind == '{' && length%2 == 1
}

// FuzzJSONBOrder compares the orderer with the same rewrite done through
// jsontext.Decoder, which the orderer replaced for speed: on valid JSON
// the two give the same bytes; on anything else the orderer's result is
// no more valid than its input, so the server refuses it as it would
// have refused the input.
func FuzzJSONBOrder(f *testing.F) {
	recs := benchRecords(f, 2)
	for _, r := range recs {
		f.Add(r.Value)
	}
	for _, s := range []string{`{"bb":1,"a":[{"cc":true,"b":null}]}`, `{"a\"":1,"a":2}`, `[1,{"b":"\\","a":-0.5e+3}]`,
		`{"a":1,`, `{"a" 1}`, "{\"a\":\"\x01\",\"\":2}", `{"b":1,"a":2} x`, `{"a":01}`, `"\"`, ` [ ] `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		var o jsonbOrderer
		got := o.reorder(v)
		// The same orderer again, its order of a large object's keys left
		// by a record first and then by v itself: the same bytes.
		o.reorder(recs[0].Value)
		if again := o.reorder(v); !bytes.Equal(again, got) {
			t.Fatalf("reorder(%q) by a used orderer\n got %q\nthen %q", v, got, again)
		}
		if again := o.reorder(v); !bytes.Equal(again, got) {
			t.Fatalf("reorder(%q) a third time\n got %q\nthen %q", v, got, again)
		}
		if valid(v) {
			if want := referenceReorder(v); !bytes.Equal(got, want) {
				t.Fatalf("reorder(%q)\n got %q\nwant %q", v, got, want)
			}
			return
		}
		if valid(got) {
			t.Fatalf("invalid %q came out valid: %q", v, got)
		}
	})
}

// valid is JSON as the orderer reads it: repeated keys and invalid UTF-8
// allowed (jsonb keeps the last of a key; the server checks the UTF-8).
func valid(v []byte) bool {
	return jsontext.Value(v).IsValid(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
}

// referenceReorder is the orderer as first written, on jsontext.Decoder.
func referenceReorder(v []byte) []byte {
	dec := jsontext.NewDecoder(bytes.NewReader(v), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	var arena []byte
	type span struct{ key, keyEnd, val, valEnd int }
	var spans []span
	var value func() (start, end int, ok bool)
	value = func() (start, end int, ok bool) {
		switch dec.PeekKind() {
		case '{', '[':
			open, err := dec.ReadToken()
			if err != nil {
				return 0, 0, false
			}
			isObject, closing := open.Kind() == '{', jsontext.Kind(']')
			if isObject {
				closing = '}'
			}
			first := len(spans)
			for dec.PeekKind() != closing {
				var s span
				if isObject {
					name, err := dec.ReadValue()
					if err != nil {
						return 0, 0, false
					}
					s.key = len(arena)
					arena = append(arena, name...)
					s.keyEnd = len(arena)
				}
				if s.val, s.valEnd, ok = value(); !ok {
					return 0, 0, false
				}
				spans = append(spans, s)
			}
			if _, err := dec.ReadToken(); err != nil {
				return 0, 0, false
			}
			items := spans[first:]
			if isObject {
				slices.SortStableFunc(items, func(a, b span) int {
					ka, kb := arena[a.key:a.keyEnd], arena[b.key:b.keyEnd]
					if c := cmp.Compare(len(ka), len(kb)); c != 0 {
						return c
					}
					return bytes.Compare(ka, kb)
				})
			}
			start = len(arena)
			arena = append(arena, byte(open.Kind()))
			for i, s := range items {
				if i > 0 {
					arena = append(arena, ',')
				}
				if isObject {
					arena = append(arena, arena[s.key:s.keyEnd]...)
					arena = append(arena, ':')
				}
				arena = append(arena, arena[s.val:s.valEnd]...)
			}
			arena = append(arena, byte(closing))
			spans = spans[:first]
			return start, len(arena), true
		case 0:
			return 0, 0, false
		default:
			raw, err := dec.ReadValue()
			if err != nil {
				return 0, 0, false
			}
			start = len(arena)
			arena = append(arena, raw...)
			return start, len(arena), true
		}
	}
	start, end, ok := value()
	if !ok || dec.PeekKind() != 0 {
		return v
	}
	return arena[start:end]
}
