package store

import "testing"

func TestOwnerOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"provider":"prod","x":1}`, "prod"},
		{`{"provider":"prod"}`, "prod"},
		{`{"provider":"a\"b","x":1}`, `a"b`},
		{`{"id":3,"provider":"late"}`, "late"},
		{`{"id":3}`, ""},
	}
	for _, tc := range tests {
		got, err := OwnerOf([]byte(tc.in))
		if got != tc.want || err != nil {
			t.Errorf("OwnerOf(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := OwnerOf([]byte(`{"provider":"prodx"`)); err == nil {
		t.Error("a truncated record has an owner")
	}
}
