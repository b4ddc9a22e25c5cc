package cli

import (
	"runtime/debug"
	"testing"
)

// A one-shot sync collects less often, unless the user chose GOGC.
func TestLessGCForOneShot(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	lessGCForOneShot()
	if got := debug.SetGCPercent(100); got != 400 {
		t.Errorf("GOGC unset: GC percent %d, want 400", got)
	}
	t.Setenv("GOGC", "50")
	lessGCForOneShot()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=50 set by the user: GC percent changed to %d", got)
	}
}
