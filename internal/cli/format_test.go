package cli

import (
	"testing"

	"github.com/tykportal/tykportal/pkg/catalog"
)

func TestHumanUnits(t *testing.T) {
	tests := []struct{ got, want string }{
		{secondsText(2592000), "30d"},
		{secondsText(86400 + 3600), "1d1h"},
		{secondsText(5400), "1h30m"},
		{secondsText(90), "1m30s"},
		{secondsText(60), "1m"},
		{secondsText(1), "1s"},
		{secondsText(1.5), "1.5s"},
		{secondsText(0.25), "0.25s"},
		{rateText(1000, 60), "1000 / 1m"},
		{rateText(5, 1), "5 / 1s"},
		{rateText(-1, 60), "unlimited"},
		{rateText(0, 0), "-"},
		{quotaText(1000000, 2592000), "1000000 / 30d"},
		{quotaText(-1, 0), "unlimited"},
		{quotaText(0, 3600), "-"},
		{expiryText(2592000), "30d"},
		{expiryText(0), "never"},
		{expiryText(-1), "never"},
		{plural(1, "placeholder", "placeholders"), "1 placeholder"},
		{plural(0, "placeholder", "placeholders"), "0 placeholders"},
		{plural(2, "placeholder", "placeholders"), "2 placeholders"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestChangeCountsInWordsAndCompact(t *testing.T) {
	c := catalog.ChangeCounts{Created: 2, Updated: 1, Unchanged: 40}
	if got := countWords(c); got != "2 created, 1 updated, 40 unchanged" {
		t.Errorf("countWords = %q", got)
	}
	if got := countWords(catalog.ChangeCounts{}); got != "none" {
		t.Errorf("countWords of nothing = %q", got)
	}
	if got := counts(c); got != "+2 ~1 -0 ^0 =40" {
		t.Errorf("counts = %q", got)
	}
}

func TestFieldValues(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		{[]string{"a", "b"}, "[a, b]"}, {"x\x1by", `"x\x1by"`}, {float64(-1), "unlimited"}, {int64(-1), "unlimited"},
		{float64(2.5), "2.5"}, {int64(3600), "3600"}, {true, "true"},
	} {
		if got := fieldValue(tt.v); got != tt.want {
			t.Errorf("fieldValue(%#v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
