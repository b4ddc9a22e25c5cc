// Package parallel spreads work on a range of items over the cores.
package parallel

import (
	"runtime"
	"sync"
)

// Chunks runs fn over [0,n) in contiguous chunks, one per core, when n is at
// least least (below that, in one call on this goroutine, where the
// goroutines would cost more than they save), and returns the error of the
// first failing chunk in order: the one a serial run would have returned.
func Chunks(n, least int, fn func(lo, hi int) error) error {
	workers := runtime.GOMAXPROCS(0)
	if n < least || workers <= 1 {
		return fn(0, n)
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = fn(w*n/workers, (w+1)*n/workers)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
