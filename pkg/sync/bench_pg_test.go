package sync

import (
	"context"
	"errors"
	"runtime/debug"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/pgstore"
	"github.com/tykportal/tykportal/pkg/store/pgstore/pgtest"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// The PostgreSQL figures beside the bbolt ones, each measured in the same
// run as what it is compared with. The benchmarks start a throwaway server
// of their own (pgtest) and skip without the binaries. Run them with
// scripts/bench.sh; the ordinary test suite does not.

// benchPG starts a throwaway server for one benchmark.
func benchPG(b *testing.B) *pgtest.Server {
	b.Helper()
	srv, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrNoBinaries) {
		b.Skip("SKIP: the PostgreSQL benchmarks need initdb and pg_ctl (apt-get install -y postgresql)")
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Stop)
	return srv
}

// pgBenchEngine is benchEngine on a new, migrated database of srv.
func pgBenchEngine(b *testing.B, srv *pgtest.Server, url string, concurrency int) *Engine {
	b.Helper()
	ctx := context.Background()
	dbURL, drop, err := srv.CreateDatabase()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(drop)
	if _, _, err := pgstore.Migrate(ctx, dbURL); err != nil {
		b.Fatal(err)
	}
	// One pool for the whole run, as the binary keeps one per process.
	pool, err := pgstore.Open(ctx, dbURL, pgstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pool.Close() })
	open := func(ctx context.Context, ro bool) (store.Store, error) {
		return pgstore.Shared(pool, ro), nil
	}
	db, err := open(ctx, false)
	if err != nil {
		b.Fatal(err)
	}
	err = db.Update(ctx, func(tx store.Tx) error {
		return repo.PutProvider(tx, provider.Provider{Name: "bench", URL: url, OrgID: benchOrg, Status: provider.StatusUnknown})
	})
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	return &Engine{
		OpenDB: open,
		SourceFor: func(ctx context.Context, p provider.Provider) (Source, error) {
			return dashboard.New(dashboard.Config{BaseURL: p.URL, Secret: "bench-key", Concurrency: concurrency})
		},
	}
}

// BenchmarkFullSync10kPostgres: the first sync of 10,000 policies and
// 2,000 APIs at 20 ms latency (BENCH_LATENCY) and the cron resync (the
// next sync, nothing changed), on PostgreSQL and on bbolt in the same
// rounds, beside the transfer lower bound. Goals: PostgreSQL within 2x of
// bbolt, its first sync within 2x the bound. Each iteration measures 7
// rounds (the backends' order alternating) and reports the medians and the
// median of each round's own ratios.
func BenchmarkFullSync10kPostgres(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	lat := latencyFromEnv()
	s := benchSim(b, false, lat, 10000, 2000)
	srv := benchPG(b)
	const rounds = 7
	for b.Loop() {
		var bounds, boltFirst, boltAgain, pgFirst, pgAgain []time.Duration
		items := 0
		for round := range rounds {
			bolt, _ := benchEngine(b, s.URL, 8)
			pg := pgBenchEngine(b, srv, s.URL, 8)
			bounds = append(bounds, lowerBound(b, s.URL))
			measure := func(e *Engine, first, again *[]time.Duration) {
				start := time.Now()
				r := mustSync(b, e)
				*first = append(*first, time.Since(start))
				items = r.Products.Created + r.Plans.Created
				start = time.Now()
				r = mustSync(b, e)
				*again = append(*again, time.Since(start))
				if len(r.Changes) != 0 {
					b.Fatalf("the resync changed %d items", len(r.Changes))
				}
			}
			if round%2 == 0 {
				measure(bolt, &boltFirst, &boltAgain)
				measure(pg, &pgFirst, &pgAgain)
			} else {
				measure(pg, &pgFirst, &pgAgain)
				measure(bolt, &boltFirst, &boltAgain)
			}
		}
		bound := median(bounds)
		bf, ba, pf, pa := median(boltFirst), median(boltAgain), median(pgFirst), median(pgAgain)
		b.ReportMetric(float64(bound.Milliseconds()), "bound_ms")
		b.ReportMetric(float64(items), "items")
		b.ReportMetric(float64(bf.Milliseconds()), "bolt_sync_ms")
		b.ReportMetric(float64(pf.Milliseconds()), "pg_sync_ms")
		b.ReportMetric(medianRatio(pgFirst, boltFirst), "pg_x_bolt")
		b.ReportMetric(medianRatio(pgFirst, bounds), "pg_x_bound")
		b.ReportMetric(medianRatio(boltFirst, bounds), "bolt_x_bound")
		b.ReportMetric(float64(ba.Milliseconds()), "bolt_resync_ms")
		b.ReportMetric(float64(pa.Milliseconds()), "pg_resync_ms")
		b.ReportMetric(medianRatio(pgAgain, boltAgain), "pg_resync_x_bolt")
	}
}

// memPGEngine is memEngine on PostgreSQL: only local work is timed.
func memPGEngine(b *testing.B, srv *pgtest.Server, src memSource) *Engine {
	e := pgBenchEngine(b, srv, "http://unused.invalid", 8)
	e.SourceFor = func(context.Context, provider.Provider) (Source, error) { return src, nil }
	return e
}

// BenchmarkApply10kChangesPostgres: BenchmarkApply10kChanges on
// PostgreSQL: plan and write every create of a first sync of 10,000
// policies in one transaction, the network excluded.
func BenchmarkApply10kChangesPostgres(b *testing.B) {
	src := fetchAll(b, 10000)
	srv := benchPG(b)
	for b.Loop() {
		b.StopTimer()
		e := memPGEngine(b, srv, src)
		b.StartTimer()
		r := mustSync(b, e)
		if r.Products.Created+r.Plans.Created < 9000 {
			b.Fatalf("%d creates", r.Products.Created+r.Plans.Created)
		}
	}
}

// BenchmarkSecondSync10kPostgres: BenchmarkSecondSync10k on PostgreSQL:
// a sync that changes nothing reads the whole catalogue in its write
// transaction and writes only the outcome.
func BenchmarkSecondSync10kPostgres(b *testing.B) {
	src := fetchAll(b, 10000)
	srv := benchPG(b)
	e := memPGEngine(b, srv, src)
	mustSync(b, e)
	for b.Loop() {
		r := mustSync(b, e)
		if len(r.Changes) != 0 {
			b.Fatalf("%d changes", len(r.Changes))
		}
	}
}
