package wiretest

import (
	"reflect"
	"testing"
)

func TestDiffs(t *testing.T) {
	tests := []struct {
		name      string
		want, got string
		value     []string
		shape     []string
	}{
		{"same in meaning", `{"a":2.592e+06,"b":[1,{"c":null}]}`, `{"b":[1,{"c":null}],"a":2592000}`, nil, nil},
		{"null vs absent", `{"a":null}`, `{}`, []string{"$.a: missing"}, []string{"$.a: missing"}},
		{"added member", `{}`, `{"a":1}`, []string{"$.a: not expected"}, []string{"$.a: not expected"}},
		{"other value, same kind", `{"a":"x"}`, `{"a":"y"}`, []string{"$.a: y where x is wanted"}, nil},
		{"other kind", `{"a":"1"}`, `{"a":1}`, []string{"$.a: number where string is wanted"}, []string{"$.a: number where string is wanted"}},
		{"null vs object", `{"l":{"rate":1}}`, `{"l":null}`, []string{"$.l: null where object is wanted"}, []string{"$.l: null where object is wanted"}},
		{"array items", `[{"a":1},{"a":2}]`, `[{"a":3},{"a":4},{"b":5}]`, []string{"$: 3 items where 2 are wanted"}, []string{"$[2].a: missing", "$[2].b: not expected"}},
		{"items where none", `{"x":[]}`, `{"x":[1]}`, []string{"$.x: 1 items where 0 are wanted"}, []string{"$.x[*]: items where an empty list is wanted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Decode([]byte(tt.want))
			if err != nil {
				t.Fatal(err)
			}
			g, err := Decode([]byte(tt.got))
			if err != nil {
				t.Fatal(err)
			}
			if d := ValueDiff(w, g); !reflect.DeepEqual(d, tt.value) {
				t.Errorf("ValueDiff = %q, want %q", d, tt.value)
			}
			if d := ShapeDiff(w, g, nil); !reflect.DeepEqual(d, tt.shape) {
				t.Errorf("ShapeDiff = %q, want %q", d, tt.shape)
			}
		})
	}
}
