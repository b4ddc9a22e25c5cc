package harden

import (
	"os"
	"regexp"
	"testing"

	"golang.org/x/sys/unix"
)

func TestNoCoreDumps(t *testing.T) {
	if err := NoCoreDumps(); err != nil {
		t.Fatal(err)
	}
	dumpable, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	if err != nil || dumpable != 0 {
		t.Fatalf("dumpable %d (%v), want 0", dumpable, err)
	}
	limits, err := os.ReadFile("/proc/self/limits")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^Max core file size\s+0\s`).Match(limits) {
		t.Fatalf("core size limit not 0:\n%s", limits)
	}
}
