package catalog

import (
	"regexp"
	"testing"
)

func TestMarker(t *testing.T) {
	a, err := NewMarker()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewMarker()
	if a == b || !regexp.MustCompile(`^op-[0-9a-f]{24}$`).MatchString(a) {
		t.Fatalf("markers %q %q", a, b)
	}
	meta := Mark(nil, a)
	if MarkerOf(meta) != a || MarkerOf(nil) != "" || MarkerOf(map[string]any{MarkerField: 5}) != "" {
		t.Fatal("MarkerOf")
	}
	kept := Mark(map[string]any{"tykportal_consumer": "x"}, b)
	if kept["tykportal_consumer"] != "x" || MarkerOf(kept) != b {
		t.Fatalf("Mark dropped fields: %v", kept)
	}
}
