package parallel

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

// Every index is visited exactly once, in chunks that cover the range, and
// the error reported is that of the first failing chunk in order.
func TestChunks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, tc := range []struct{ n, least int }{{0, 1}, {1, 1}, {3, 1}, {10, 100}, {1000, 16}} {
		visits := make([]atomic.Int32, tc.n)
		var calls atomic.Int32
		err := Chunks(tc.n, tc.least, func(lo, hi int) error {
			calls.Add(1)
			for i := lo; i < hi; i++ {
				visits[i].Add(1)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range visits {
			if visits[i].Load() != 1 {
				t.Fatalf("n=%d: index %d visited %d times", tc.n, i, visits[i].Load())
			}
		}
		if tc.n < tc.least && calls.Load() != 1 {
			t.Errorf("n=%d below %d: %d calls, want 1", tc.n, tc.least, calls.Load())
		}
	}
	err := Chunks(1000, 1, func(lo, hi int) error {
		if lo > 0 {
			return fmt.Errorf("chunk at %d", lo)
		}
		return nil
	})
	if err == nil || err.Error() != "chunk at 250" {
		t.Errorf("error %v, want the first failing chunk's (at 250)", err)
	}
	if err := Chunks(5, 10, func(int, int) error { return errors.New("x") }); err == nil {
		t.Error("a serial run's error was lost")
	}
}
