// Package parallel spreads work on a range of items over the cores.
package parallel

import (
	"fmt"
	"runtime"
	"runtime/debug"
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
			errs[w] = guarded(func() error { return fn(w*n/workers, (w+1)*n/workers) })
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

// guarded runs fn with memory faults turned into an error: the chunks may
// read a memory-mapped file (bbolt's records), where a damaged file faults,
// and a fault on this goroutine would otherwise kill the process before
// the caller, whose own goroutine is guarded, could report the damage. The
// error wraps the runtime's, whose Addr method tells it apart.
func guarded(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			fault, ok := r.(interface {
				error
				Addr() uintptr
			})
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("memory fault: %w", fault)
		}
	}()
	return fn()
}
