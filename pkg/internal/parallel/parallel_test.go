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

// Ahead visits every index once, hands each chunk over as soon as it is
// done (the consumer takes item 0 while later chunks wait for it), reports
// each chunk's own error, and no chunk runs once stop has returned.
func TestAhead(t *testing.T) {
	for _, procs := range []int{1, 4} {
		t.Run(fmt.Sprint("procs=", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			for _, tc := range []struct{ n, size int }{{0, 4}, {1, 4}, {10, 3}, {1000, 64}, {7, 0}} {
				visits := make([]atomic.Int32, tc.n)
				taken := make(chan struct{})
				ready, stop := Ahead(tc.n, tc.size, func(lo, hi int) error {
					if lo > 0 {
						<-taken // only once the consumer has the first chunk
					}
					for i := lo; i < hi; i++ {
						visits[i].Add(1)
					}
					return nil
				})
				for i := range tc.n {
					if err := ready(i); err != nil {
						t.Fatal(err)
					}
					if visits[i].Load() != 1 {
						t.Fatalf("n=%d: item %d handed over after %d visits", tc.n, i, visits[i].Load())
					}
					if i == 0 {
						close(taken)
					}
				}
				stop()
			}

			ready, stop := Ahead(100, 10, func(lo, hi int) error {
				if lo == 30 {
					return fmt.Errorf("chunk at %d", lo)
				}
				return nil
			})
			for i, want := range map[int]string{0: "<nil>", 29: "<nil>", 30: "chunk at 30", 39: "chunk at 30", 40: "<nil>"} {
				if err := ready(i); fmt.Sprint(err) != want {
					t.Errorf("item %d: error %v, want %s", i, err, want)
				}
			}
			stop()

			// A consumer that gives up after the first item: stop returns,
			// and no chunk runs after it.
			var started atomic.Int32
			ready, stop = Ahead(1000, 1, func(lo, hi int) error {
				started.Add(1)
				return nil
			})
			_ = ready(0)
			stop()
			after := started.Load()
			runtime.Gosched()
			if n := started.Load(); n != after {
				t.Errorf("%d chunks ran after stop returned", n-after)
			}
		})
	}
}
