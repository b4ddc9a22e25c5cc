package dashboard

import (
	"context"
	"sync/atomic"
)

type listProgressKey struct{}

// WithListProgress returns a context under which a list request calls fn
// with the number of items received so far, after each page (a Dashboard
// that answers a list whole calls it once). Like net/http/httptrace, the
// hook travels with the request's context, so one client serves callers
// that want it and callers that do not. fn may be called from several
// goroutines at once.
func WithListProgress(ctx context.Context, fn func(items int)) context.Context {
	return context.WithValue(ctx, listProgressKey{}, fn)
}

// listCounter adds up a list's items across its pages for the hook.
type listCounter struct {
	fn  func(int)
	sum atomic.Int64
}

func newListCounter(ctx context.Context) *listCounter {
	fn, _ := ctx.Value(listProgressKey{}).(func(int))
	return &listCounter{fn: fn}
}

func (c *listCounter) add(n int) {
	if c.fn == nil {
		return
	}
	c.fn(int(c.sum.Add(int64(n))))
}
