package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Leases keep two syncs of one provider from running at once, across
// processes and hosts: a `sync` from cron and a `watch` elsewhere, or
// several `watch` instances sharing one PostgreSQL catalogue. A lease is
// held from before the fetch until the provider's write is committed; a
// process that dies loses it (a closed connection, a closed file).
type Leases interface {
	// Acquire takes the lease of provider for instance, waiting at most
	// wait for another holder to let go (0: not at all). A lease held
	// elsewhere past the wait is a *BusyError naming the holder.
	Acquire(ctx context.Context, provider, instance string, wait time.Duration) (Lease, error)
}

// Lease is one held lease.
type Lease interface {
	Release()
}

// ErrBusy marks a provider being synced elsewhere.
var ErrBusy = errors.New("is being synced by another tykportal")

// BusyError says who holds a provider's lease.
type BusyError struct {
	Provider string
	Holder   string    // the holder's instance, "" when it cannot be told
	Since    time.Time // zero when it cannot be told
}

func (e *BusyError) Error() string {
	who := "another tykportal"
	if e.Holder != "" {
		who = e.Holder
	}
	msg := fmt.Sprintf("provider %q is being synced by %s", e.Provider, who)
	if !e.Since.IsZero() {
		msg += " since " + e.Since.UTC().Format(time.RFC3339)
	}
	return msg
}

// Is makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// PollLease tries take until it succeeds, fails otherwise, or wait is
// over, sleeping a little more each time: advisory locks and file locks
// both offer a try, not a wait with a deadline.
func PollLease(ctx context.Context, wait time.Duration, take func() (Lease, error)) (Lease, error) {
	deadline := time.Now().Add(wait)
	pause := 50 * time.Millisecond
	for {
		l, err := take()
		if err == nil || !errors.Is(err, ErrBusy) || !time.Now().Before(deadline) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(pause, time.Until(deadline))):
		}
		pause = min(pause*2, time.Second)
	}
}
