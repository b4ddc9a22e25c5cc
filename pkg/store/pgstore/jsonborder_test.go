package pgstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
)

func TestJSONBOrder(t *testing.T) {
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
