package sync

import (
	"context"
	"errors"
	"fmt"
	"sort"
	gosync "sync"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/progress"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// Source is where a provider's policies and APIs come from: its Dashboard.
type Source interface {
	ListPolicies(ctx context.Context) ([]dashboard.Policy, error)
	ListAPIs(ctx context.Context) ([]dashboard.API, error)
}

// Engine syncs providers. The state file is opened per phase and held only
// briefly, never across a network call: read the providers, fetch every
// provider concurrently, then one short write transaction per provider.
type Engine struct {
	OpenDB      func(ctx context.Context, readOnly bool) (store.Store, error)
	SourceFor   func(ctx context.Context, p provider.Provider) (Source, error)
	Now         func() time.Time
	HistorySize int // per provider; 0: 50
	// Leases, when set, keep two syncs of one provider from running at
	// once across processes and hosts; Instance names this one in them and
	// in every result.
	Leases   store.Leases
	Instance string
}

// Options of one sync run.
type Options struct {
	DryRun        bool
	AllowMassHide bool
	// LeaseWait is how long to wait for a provider another instance is
	// syncing (0: not at all; the result then says who holds it).
	LeaseWait time.Duration
	// FreshWithin, when set, leaves alone a provider whose last successful
	// sync (by any instance) started less than this ago: watch instances
	// sharing a catalogue sync each provider once per interval between them.
	FreshWithin time.Duration
	// Progress hears each provider's stage (fetching, policies decoded,
	// writing, done); nil: nobody.
	Progress progress.Reporter
}

type fetched struct {
	p        provider.Provider
	started  time.Time
	took     time.Duration // the fetch's own time, not the wait for others
	policies []dashboard.Policy
	apis     []dashboard.API
	err      error
	lease    store.Lease
	deferred string    // catalog.DeferredBusy or DeferredFresh: nothing fetched
	last     time.Time // deferred fresh: when the last sync started
	lastBy   string    // and which instance ran it
}

// Sync syncs the named providers (all when names is empty), each isolated
// from the others, and returns one result per provider in name order, also
// when some failed. The error is only for what stops everything: the state
// file cannot be opened, or a name is unknown (checked before any request).
func (e *Engine) Sync(ctx context.Context, names []string, opts Options) ([]catalog.SyncResult, error) {
	providers, err := e.providers(ctx, names)
	if err != nil {
		return nil, err
	}
	if len(providers) == 0 {
		return []catalog.SyncResult{}, nil
	}
	results := make([]fetched, len(providers))
	var wg gosync.WaitGroup
	for i, p := range providers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.fetch(ctx, p, opts)
		}()
	}
	// Meanwhile read the local catalogues: the network wait is free time.
	var pre preloaded
	wg.Add(1)
	go func() {
		defer wg.Done()
		pre = e.preload(ctx, providers)
	}()
	wg.Wait()
	// Every lease goes when this returns, whichever way it does.
	defer func() {
		for i := range results {
			if results[i].lease != nil {
				results[i].lease.Release()
			}
		}
	}()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if pre.locked != nil {
		return nil, pre.locked
	}

	db, err := e.OpenDB(ctx, opts.DryRun)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	out := make([]catalog.SyncResult, 0, len(results))
	for i, f := range results {
		r, err := e.apply(ctx, db, f, pre, opts)
		if err != nil {
			// The local write itself failed: report it as this provider's
			// failure, with the fetch's own error when that failed first.
			save := fmt.Errorf("sync provider %q: save: %w", f.p.Name, err)
			if f.err != nil {
				save = fmt.Errorf("%w; and its outcome could not be saved: %w", f.err, err)
			}
			fetched, matched := r.PoliciesFetched, r.PoliciesMatched
			r = e.failed(f, save, opts)
			r.PoliciesFetched, r.PoliciesMatched = max(fetched, len(f.policies)), matched
		}
		if f.lease != nil {
			f.lease.Release()
			results[i].lease = nil
		}
		r.Instance, r.Deferred = e.Instance, f.deferred
		if f.deferred == catalog.DeferredFresh {
			// The result stands for the last sync, by whoever ran it.
			r.Instance = f.lastBy
		}
		out = append(out, r)
	}
	return out, nil
}

// claim takes p's lease and checks whether the sync is still due; a
// deferred fetch carries the reason and holds no lease.
func (e *Engine) claim(ctx context.Context, f *fetched, opts Options) bool {
	if e.Leases == nil {
		return true
	}
	lease, err := e.Leases.Acquire(ctx, f.p.Name, e.Instance, opts.LeaseWait)
	if err != nil {
		f.err = err
		if errors.Is(err, store.ErrBusy) {
			f.deferred = catalog.DeferredBusy
		}
		return false
	}
	f.lease = lease
	if opts.FreshWithin <= 0 {
		return true
	}
	// Another instance may have synced it while this one waited: read
	// its last sync as committed now.
	var cur provider.Provider
	db, err := e.OpenDB(ctx, true)
	if err == nil {
		err = db.View(ctx, func(tx store.Tx) error {
			cur, err = repo.GetProvider(tx, f.p.Name)
			return err
		})
		db.Close()
	}
	if err == nil && cur.LastSyncAt != nil && e.now().Sub(*cur.LastSyncAt) < opts.FreshWithin {
		lease.Release()
		f.lease, f.deferred, f.last = nil, catalog.DeferredFresh, *cur.LastSyncAt
		if cur.LastSync != nil {
			f.lastBy = cur.LastSync.Instance
		}
		return false
	}
	return true
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Engine) providers(ctx context.Context, names []string) ([]provider.Provider, error) {
	var all []provider.Provider
	db, err := e.OpenDB(ctx, true)
	switch {
	case errors.Is(err, store.ErrNoState):
	case err != nil:
		return nil, err
	default:
		err = db.View(ctx, func(tx store.Tx) error {
			all, err = repo.ListProviders(tx)
			return err
		})
		db.Close()
		if err != nil {
			return nil, err
		}
	}
	if len(names) == 0 {
		return all, nil
	}
	byName := map[string]provider.Provider{}
	for _, p := range all {
		byName[p.Name] = p
	}
	var out []provider.Provider
	seen := map[string]bool{}
	for _, n := range names {
		p, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("%w %q: see `tykportal provider list`", provider.ErrUnknown, n)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// fetch reads a provider's policies and APIs in parallel. Any failure, at
// any page, fails the whole fetch: a partial list must never hide anything.
func (e *Engine) fetch(ctx context.Context, p provider.Provider, opts Options) fetched {
	f := fetched{p: p, started: e.now()}
	report := progress.Or(opts.Progress)
	// A provider's duration is its own work: its fetch here, its write
	// later, never the wait for slower providers in between.
	finish := func() fetched {
		f.took = e.now().Sub(f.started)
		return f
	}
	if e.Leases != nil {
		report.Report(p.Name, "taking its lease")
	}
	if !e.claim(ctx, &f, opts) {
		if f.deferred != "" {
			report.Report(p.Name, "synced elsewhere")
		}
		return finish()
	}
	report.Report(p.Name, "fetching")
	src, err := e.SourceFor(ctx, p)
	if err != nil {
		f.err = fmt.Errorf("sync provider %q: %w", p.Name, err)
		return finish()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg gosync.WaitGroup
	var apiErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		f.apis, apiErr = src.ListAPIs(ctx)
		if apiErr != nil {
			cancel()
		}
	}()
	// A Dashboard that pages its answer tells how far the list has come.
	listCtx := dashboard.WithListProgress(ctx, func(n int) {
		report.Report(p.Name, progress.Count(n)+" policies received")
	})
	f.policies, err = src.ListPolicies(listCtx)
	if err != nil {
		cancel()
	}
	wg.Wait()
	switch {
	case err != nil && !(errors.Is(err, context.Canceled) && apiErr != nil):
		f.err = fmt.Errorf("sync provider %q: list policies: %w", p.Name, err)
	case apiErr != nil:
		f.err = fmt.Errorf("sync provider %q: list APIs: %w", p.Name, apiErr)
	}
	f = finish()
	if f.err == nil {
		report.Report(p.Name, progress.Count(len(f.policies))+" policies decoded")
	}
	return f
}

func (e *Engine) failed(f fetched, err error, opts Options) catalog.SyncResult {
	progress.Or(opts.Progress).Report(f.p.Name, "failed")
	took := f.took
	if took == 0 {
		took = e.now().Sub(f.started)
	}
	return catalog.SyncResult{
		Provider: f.p.Name, Status: catalog.SyncFailed, Error: err.Error(), DryRun: opts.DryRun, Instance: e.Instance,
		StartedAt: f.started.Truncate(time.Millisecond), DurationMS: took.Milliseconds(),
		Skipped: []catalog.SkippedItem{}, Changes: []catalog.Change{},
	}
}

// preloaded is the local catalogue of each provider as read during the
// fetch, and the transaction it was read in.
type preloaded struct {
	revision uint64
	local    map[string]Local
	locked   error // the state file stayed in use past the lock timeout
}

// errNoRevision: the backend cannot tell whether anything was committed
// since a read, so apply reads the local catalogue itself.
var errNoRevision = errors.New("the store tells no revisions")

// preload reads every provider's local catalogue in one read transaction.
// A failure only means apply reads it itself, except a file held by another
// process past the lock timeout: opening it again would wait that long once
// more before failing the same way.
func (e *Engine) preload(ctx context.Context, providers []provider.Provider) preloaded {
	db, err := e.OpenDB(ctx, true)
	if errors.Is(err, store.ErrLocked) {
		return preloaded{locked: err}
	}
	if err != nil {
		return preloaded{}
	}
	defer db.Close()
	var pre preloaded
	err = db.View(ctx, func(tx store.Tx) error {
		rev, ok := tx.Revision()
		if !ok {
			return errNoRevision
		}
		pre = preloaded{revision: rev, local: map[string]Local{}}
		for _, p := range providers {
			l, err := localState(tx, p.Name)
			if err != nil {
				return err
			}
			pre.local[p.Name] = l
		}
		return nil
	})
	if err != nil {
		return preloaded{}
	}
	return pre
}

// localFor returns the provider's catalogue as of tx: the preloaded one when
// nothing was committed since it was read, else read now.
func (pre preloaded) localFor(tx store.Tx, name string) (Local, error) {
	current, known := tx.Revision()
	if l, ok := pre.local[name]; ok && known && current == pre.revision {
		return l, nil
	}
	return localState(tx, name)
}

// apply plans against the fresh local state and writes one provider's
// changes and outcome in one transaction (a view in a dry run).
func (e *Engine) apply(ctx context.Context, db store.Store, f fetched, pre preloaded, opts Options) (catalog.SyncResult, error) {
	switch f.deferred {
	case catalog.DeferredFresh:
		// Not this instance's turn: nothing fetched, nothing recorded.
		return catalog.SyncResult{Provider: f.p.Name, Status: catalog.SyncOK, StartedAt: f.last,
			Skipped: []catalog.SkippedItem{}, Changes: []catalog.Change{}}, nil
	case catalog.DeferredBusy:
		// Another instance is at it; its result will be recorded, not this.
		return e.failed(f, f.err, opts), nil
	}
	if f.err != nil {
		r := e.failed(f, f.err, opts)
		if opts.DryRun {
			return r, nil
		}
		return r, db.Update(ctx, func(tx store.Tx) error {
			return e.recordOutcome(tx, f.p.Name, r, provider.StatusDown, nil)
		})
	}
	var result catalog.SyncResult
	writeStart := e.now()
	if opts.DryRun {
		progress.Or(opts.Progress).Report(f.p.Name, "planning")
	} else {
		progress.Or(opts.Progress).Report(f.p.Name, "writing")
	}
	run := func(tx store.Tx) error {
		// A provider removed while its policies were fetched gets nothing
		// written: a provider added again under its name starts empty.
		if _, err := repo.GetProvider(tx, f.p.Name); errors.Is(err, provider.ErrUnknown) {
			return fmt.Errorf("provider %q was removed while it was synced; nothing was written", f.p.Name)
		} else if err != nil {
			return err
		}
		local, err := pre.localFor(tx, f.p.Name)
		if err != nil {
			return err
		}
		plan := Compute(f.p, f.policies, f.apis, local, e.now())
		if plan.MassHide != nil && !opts.AllowMassHide {
			result = e.failed(f, fmt.Errorf("sync provider %q: %w", f.p.Name, plan.MassHide), opts)
			result.PoliciesFetched, result.PoliciesMatched, result.Skipped = plan.Fetched, plan.Matched, plan.Skipped
			if opts.DryRun {
				return nil
			}
			return e.recordOutcome(tx, f.p.Name, result, provider.StatusUp, nil)
		}
		resultOf := func() catalog.SyncResult {
			r := plan.Result()
			r.Instance, r.DryRun, r.StartedAt = e.Instance, opts.DryRun, f.started.Truncate(time.Millisecond)
			return r
		}
		if opts.DryRun {
			result = resultOf()
			result.DurationMS = (f.took + e.now().Sub(writeStart)).Milliseconds()
			return nil
		}
		recs, err := reserveIDs(tx, plan)
		if err != nil {
			return err
		}
		// The result is known once the creates have their ids; its history
		// record (a megabyte after a first sync) is encoded while the
		// changes are written, which is mostly a wait on the database.
		history := repo.EncodeHistory(resultOf())
		if err := store.PutRecords(tx, recs); err != nil {
			return err
		}
		durationMS := (f.took + e.now().Sub(writeStart)).Milliseconds()
		result = history.WithDuration(durationMS)
		return e.recordOutcome(tx, f.p.Name, result, provider.StatusUp, history)
	}
	var err error
	if opts.DryRun {
		err = db.View(ctx, run)
	} else {
		err = db.Update(ctx, run)
	}
	if err == nil && result.Status == catalog.SyncOK {
		progress.Or(opts.Progress).Report(f.p.Name, "done")
	}
	return result, err
}

func localState(tx store.Tx, name string) (Local, error) {
	products, err := repo.ListProducts(tx, name, catalog.AllItems)
	if err != nil {
		return Local{}, err
	}
	plans, err := repo.ListPlans(tx, name, catalog.AllItems)
	if err != nil {
		return Local{}, err
	}
	return Local{Products: products, Plans: plans}, nil
}

// reserveIDs gives the plan's creates their ids, reserved at once per
// kind, and returns the records of every change to write.
func reserveIDs(tx store.Tx, plan *Changeset) ([]store.Record, error) {
	// Ids for the creates, in change order, reserved at once per kind.
	var products, plans int
	for _, c := range plan.Changes {
		if c.Action == catalog.ActionCreate {
			if c.Product != nil {
				products++
			} else {
				plans++
			}
		}
	}
	reserve := func(k store.Kind, n int) (uint64, error) {
		if n == 0 {
			return 0, nil
		}
		return tx.NextIDs(k, n)
	}
	nextProduct, err := reserve(store.Products, products)
	if err != nil {
		return nil, err
	}
	nextPlan, err := reserve(store.Plans, plans)
	if err != nil {
		return nil, err
	}
	recs := make([]store.Record, 0, len(plan.Changes))
	for _, c := range plan.Changes {
		switch {
		case c.Product != nil:
			if c.Action == catalog.ActionCreate {
				c.Product.ID, nextProduct = nextProduct, nextProduct+1
			}
			recs = append(recs, store.Record{Kind: store.Products, Key: store.IDKey(c.Product.ID), Value: c.Product})
		case c.Plan != nil:
			if c.Action == catalog.ActionCreate {
				c.Plan.ID, nextPlan = nextPlan, nextPlan+1
			}
			recs = append(recs, store.Record{Kind: store.Plans, Key: store.IDKey(c.Plan.ID), Value: c.Plan})
		}
	}
	return recs, nil
}

// recordOutcome writes the result on the provider (status, last sync) and
// appends it to the bounded sync history; history, when not nil, is r's
// record encoded ahead.
func (e *Engine) recordOutcome(tx store.Tx, name string, r catalog.SyncResult, status string, history *repo.HistoryEncoding) error {
	p, err := repo.GetProvider(tx, name)
	if err != nil {
		// Removed while the sync ran: nothing to record it on.
		if errors.Is(err, provider.ErrUnknown) {
			return nil
		}
		return err
	}
	p.Status = status
	p.LastSync = &r
	if r.Status == catalog.SyncOK {
		t := r.StartedAt
		p.LastSyncAt = &t
	}
	if history != nil {
		return repo.RecordEncodedSync(tx, &p, history, r.DurationMS, e.historySize())
	}
	return repo.RecordSync(tx, &p, r, e.historySize())
}

func (e *Engine) historySize() int {
	if e.HistorySize > 0 {
		return e.HistorySize
	}
	return 50
}
