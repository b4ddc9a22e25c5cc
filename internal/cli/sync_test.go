package cli

import (
	"runtime/debug"
	"testing"
)

// A one-shot command collects less often, unless the user chose GOGC or
// the command is watch.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	tests := []struct {
		args []string
		gogc string
		want int
	}{
		{[]string{"sync"}, "", 400},
		{[]string{"--db", "watch", "products", "list"}, "", 400},
		{[]string{"sync"}, "50", -1},
		{[]string{"watch", "--interval", "1m"}, "", -1},
		{[]string{"--db", "/x", "watch"}, "", -1},
		{[]string{"-q", "watch", "prod"}, "", -1},
	}
	for _, tc := range tests {
		debug.SetGCPercent(100)
		got := TuneGC(tc.args, func(k string) string {
			if k == "GOGC" {
				return tc.gogc
			}
			return ""
		})
		if got != tc.want {
			t.Errorf("%v GOGC=%q: %d, want %d", tc.args, tc.gogc, got, tc.want)
		}
		if pct := debug.SetGCPercent(100); tc.want == 400 && pct != 400 || tc.want == -1 && pct != 100 {
			t.Errorf("%v: GC percent %d", tc.args, pct)
		}
	}
}
