// Package watch is the refresh loop behind `tykportal watch`: a sync of every
// provider at start, then one per provider on the interval. Providers are
// isolated: each has its own timeline, and one that fails backs off
// (exponential, capped at the interval, jittered) without delaying the others.
package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strconv"
	gosync "sync"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	tpsync "github.com/tykportal/tykportal/pkg/sync"
)

// DefaultInterval is the Tyk portal's default refresh interval.
const DefaultInterval = 10 * time.Minute

// ErrBadInterval marks an invalid interval setting.
var ErrBadInterval = errors.New("invalid refresh interval")

// Interval picks the refresh interval: the flag when given, else
// TYK_PORTAL_REFRESHINTERVAL, else PORTAL_REFRESHINTERVAL (whole minutes, as
// the Tyk portal reads them; the TYK_PORTAL_ name wins), else 10 minutes.
// It returns where the value came from.
func Interval(flag time.Duration, flagSet bool, getenv func(string) string) (time.Duration, string, error) {
	if flagSet {
		if flag < MinInterval {
			return 0, "", fmt.Errorf("%w: --interval must be at least %s, e.g. 5m", ErrBadInterval, MinInterval)
		}
		return flag, "--interval", nil
	}
	for _, name := range []string{"TYK_PORTAL_REFRESHINTERVAL", "PORTAL_REFRESHINTERVAL"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 100000 {
			return 0, "", fmt.Errorf("%w: %s=%q must be a positive whole number of minutes", ErrBadInterval, name, v)
		}
		return time.Duration(n) * time.Minute, name, nil
	}
	return DefaultInterval, "default", nil
}

// MinInterval is the shortest interval: below it a loop would hammer the
// Dashboards (an interval of 1ns ran 30 syncs in 5 s).
const MinInterval = 100 * time.Millisecond

// Syncer syncs named providers (the sync engine).
type Syncer interface {
	Sync(ctx context.Context, names []string, opts tpsync.Options) ([]catalog.SyncResult, error)
}

// Clock lets tests drive time. The loop waits for absolute deadlines: a
// deadline computed from one reading of the clock stays right even if time
// moves before the wait begins (a relative wait would then end late).
type Clock interface {
	Now() time.Time
	Until(deadline time.Time) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) Until(deadline time.Time) <-chan time.Time {
	return time.After(time.Until(deadline))
}

// Config of a watch loop.
type Config struct {
	Interval time.Duration
	// Providers lists the providers to watch now; called at every wake, so
	// providers added or removed while watch runs are picked up.
	Providers func(ctx context.Context) ([]string, error)
	Syncer    Syncer
	Options   tpsync.Options
	Clock     Clock          // nil: the real clock
	Jitter    func() float64 // in [0,1); nil: no jitter (tests)
	Trigger   <-chan struct{}
	// OnResult is called after each provider sync with the delay until its next one.
	OnResult func(r catalog.SyncResult, next time.Duration)
	// OnDeferred is called when another instance had the provider (its
	// result's Deferred says why), with the delay until this one looks again.
	OnDeferred func(r catalog.SyncResult, next time.Duration)
	Logger     *slog.Logger
}

type state struct {
	next     time.Time
	failures int
	running  bool
}

type outcome struct {
	name   string
	result catalog.SyncResult
	err    error
}

// Backoff is the delay after n consecutive failures: from min(interval/8,
// 30s), doubling, capped at the interval, with ±20% jitter (j in [0,1)).
func Backoff(interval time.Duration, failures int, j float64) time.Duration {
	base := min(interval/8, 30*time.Second)
	if base <= 0 {
		base = interval
	}
	d := time.Duration(float64(base) * math.Pow(2, float64(failures-1)))
	if d > interval || d <= 0 {
		d = interval
	}
	d = time.Duration(float64(d) * (0.8 + 0.4*j))
	return min(d, interval)
}

// deferredDelay is when to look again at a provider another instance had.
// Synced by another (fresh): one interval after that sync started, plus up
// to a tenth of an interval at random, so that instances sharing a
// catalogue take turns rather than one doing all. Being synced (busy):
// soon, a quarter interval, by when that sync has made it fresh.
func deferredDelay(r catalog.SyncResult, interval time.Duration, now time.Time, j float64) time.Duration {
	if r.Deferred == catalog.DeferredFresh {
		d := r.StartedAt.Add(interval).Sub(now)
		return max(d, 0) + time.Duration(j*float64(interval)/10)
	}
	return time.Duration(float64(interval/4) * (0.8 + 0.4*j))
}

// Run runs the loop until ctx is cancelled, then waits for the syncs in
// flight (which see the cancellation and never cut a transaction) and
// returns nil.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Interval <= 0 {
		return fmt.Errorf("%w: %v", ErrBadInterval, cfg.Interval)
	}
	clock := cfg.Clock
	if clock == nil {
		clock = realClock{}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	jitter := cfg.Jitter
	if jitter == nil {
		jitter = func() float64 { return 0.5 }
	}
	states := map[string]*state{}
	results := make(chan outcome)
	var wg gosync.WaitGroup
	defer wg.Wait()

	refresh := func() {
		names, err := cfg.Providers(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("could not read the providers; keeping the current list", "error", err.Error())
			}
			return
		}
		seen := map[string]bool{}
		for _, n := range names {
			seen[n] = true
			if states[n] == nil {
				states[n] = &state{next: clock.Now()}
				log.Info("watching provider", "provider", n)
			}
		}
		for n, st := range states {
			if !seen[n] && !st.running {
				delete(states, n)
				log.Info("provider removed; no longer watched", "provider", n)
			}
		}
	}
	start := func(name string) {
		states[name].running = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs, err := cfg.Syncer.Sync(ctx, []string{name}, cfg.Options)
			var r catalog.SyncResult
			if err == nil && len(rs) == 1 {
				r = rs[0]
			} else if err == nil {
				err = fmt.Errorf("sync provider %q: no result", name)
			}
			select {
			case results <- outcome{name: name, result: r, err: err}:
			case <-ctx.Done():
			}
		}()
	}

	refresh()
	for {
		now := clock.Now()
		names := make([]string, 0, len(states))
		for n := range states {
			names = append(names, n)
		}
		sort.Strings(names)
		wake := cfg.Interval // re-read the provider list at least once an interval
		for _, n := range names {
			st := states[n]
			if st.running {
				continue
			}
			if !st.next.After(now) {
				start(n)
				continue
			}
			wake = min(wake, st.next.Sub(now))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-cfg.Trigger:
			log.Info("sync requested (SIGHUP)")
			refresh()
			for _, st := range states {
				st.next = clock.Now()
			}
		case o := <-results:
			st := states[o.name]
			if st == nil {
				st = &state{}
				states[o.name] = st
			}
			st.running = false
			if errors.Is(o.err, context.Canceled) && ctx.Err() != nil {
				return nil
			}
			if o.err == nil && o.result.Deferred != "" {
				next := deferredDelay(o.result, cfg.Interval, clock.Now(), jitter())
				st.next = clock.Now().Add(next)
				if cfg.OnDeferred != nil {
					cfg.OnDeferred(o.result, next)
				}
				refresh()
				continue
			}
			failed := o.err != nil || o.result.Status == catalog.SyncFailed
			var next time.Duration
			if failed {
				st.failures++
				next = Backoff(cfg.Interval, st.failures, jitter())
			} else {
				st.failures = 0
				next = cfg.Interval
			}
			st.next = clock.Now().Add(next)
			if o.err != nil {
				o.result = catalog.SyncResult{Provider: o.name, Status: catalog.SyncFailed, Error: o.err.Error(),
					StartedAt: clock.Now().UTC(), Skipped: []catalog.SkippedItem{}, Changes: []catalog.Change{}}
			}
			if cfg.OnResult != nil {
				cfg.OnResult(o.result, next)
			}
			refresh()
		case <-clock.Until(now.Add(wake)):
			refresh()
		}
	}
}
