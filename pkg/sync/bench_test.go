package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	gosync "sync"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// The figures of issue 9, each measured in the same run as what it is
// compared with. Run them with scripts/bench.sh (they take a while at 20 ms
// of latency per request); the ordinary test suite does not.

const benchOrg = "bench-org"

func benchSim(b *testing.B, legacy bool, latency time.Duration, policies, apis int) *dashboardtest.Server {
	s := dashboardtest.NewServer(b, dashboardtest.Options{Latency: latency, Legacy: legacy, PageSize: 10, Seed: 1})
	s.Generate(benchOrg, policies, apis, 1)
	s.AddUser(dashboardtest.User{OrgID: benchOrg, AccessKey: "bench-key", Active: true})
	return s
}

func benchEngine(b *testing.B, url string, concurrency int) (*Engine, string) {
	dir := b.TempDir()
	path := filepath.Join(dir, "bench.db")
	open := func(ctx context.Context, ro bool) (store.Store, error) {
		return boltstore.Open(ctx, path, boltstore.Options{ReadOnly: ro})
	}
	db, err := open(context.Background(), false)
	if err != nil {
		b.Fatal(err)
	}
	err = db.Update(context.Background(), func(tx store.Tx) error {
		return repo.PutProvider(tx, provider.Provider{Name: "bench", URL: url, OrgID: benchOrg, Status: provider.StatusUnknown})
	})
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	e := &Engine{
		OpenDB: open,
		SourceFor: func(ctx context.Context, p provider.Provider) (Source, error) {
			return dashboard.New(dashboard.Config{BaseURL: p.URL, Secret: "bench-key", Concurrency: concurrency})
		},
	}
	return e, path
}

func mustSync(b *testing.B, e *Engine) catalog.SyncResult {
	rs, err := e.Sync(context.Background(), nil, Options{AllowMassHide: true})
	if err != nil || len(rs) != 1 || rs[0].Status != catalog.SyncOK {
		b.Fatalf("%v %+v", err, rs)
	}
	return rs[0]
}

// lowerBound is the transfer lower bound: plain GETs of the same p=-2
// answers, both at once, bodies discarded.
func lowerBound(b *testing.B, url string) time.Duration {
	start := time.Now()
	var wg gosync.WaitGroup
	for _, path := range []string{"/api/portal/policies?p=-2", "/api/apis?p=-2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", url+path, nil)
			req.Header.Set("Authorization", "bench-key")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// naiveSequential is what a naive client does: walk pages of 10 one after
// another and decode each.
func naiveSequential(b *testing.B, url string) time.Duration {
	start := time.Now()
	for _, ep := range []struct{ path, key string }{{"/api/portal/policies", "Data"}, {"/api/apis", "apis"}} {
		for p := 1; ; p++ {
			req, _ := http.NewRequest("GET", url+ep.path+"?p="+strconv.Itoa(p), nil)
			req.Header.Set("Authorization", "bench-key")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var page map[string]json.RawMessage
			err = json.NewDecoder(res.Body).Decode(&page)
			res.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			var items []json.RawMessage
			_ = json.Unmarshal(page[ep.key], &items)
			var pages int
			_ = json.Unmarshal(page["Pages"], &pages)
			if pages == 0 {
				_ = json.Unmarshal(page["pages"], &pages)
			}
			if p >= pages {
				break
			}
		}
	}
	return time.Since(start)
}

func latencyFromEnv() time.Duration {
	if v := os.Getenv("BENCH_LATENCY"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return 20 * time.Millisecond
}

// BenchmarkFullSync10k: 10,000 policies and 2,000 APIs at 20 ms latency,
// compared in the same run with the transfer lower bound and a naive
// sequential client (BENCH_NAIVE=0 skips the naive walk, ~25 s). Each
// iteration measures 7 rounds of bound, first sync and second sync back to
// back and reports the medians: one round alone moves by ±30% on two
// shared cores.
func BenchmarkFullSync10k(b *testing.B) {
	// As the sync command runs (internal/cli: GOGC=400 for a one-shot sync);
	// the simulator in this process gets the same.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	lat := latencyFromEnv()
	s := benchSim(b, false, lat, 10000, 2000)
	const rounds = 7
	for b.Loop() {
		var bounds, firsts, seconds []time.Duration
		var r catalog.SyncResult
		for range rounds {
			e, _ := benchEngine(b, s.URL, 8)
			bounds = append(bounds, lowerBound(b, s.URL))
			start := time.Now()
			r = mustSync(b, e)
			firsts = append(firsts, time.Since(start))
			// The cron case: the next sync, nothing changed.
			start = time.Now()
			mustSync(b, e)
			seconds = append(seconds, time.Since(start))
		}
		bound, took, again := median(bounds), median(firsts), median(seconds)
		b.ReportMetric(float64(took.Milliseconds()), "sync_ms")
		b.ReportMetric(float64(bound.Milliseconds()), "bound_ms")
		b.ReportMetric(float64(took)/float64(bound), "x_bound")
		// Each round's own ratio, bound and sync measured back to back:
		// less moved by a machine whose speed drifts during the run.
		b.ReportMetric(medianRatio(firsts, bounds), "x_bound_rounds")
		b.ReportMetric(float64(r.Products.Created+r.Plans.Created), "items")
		b.ReportMetric(float64(again.Milliseconds()), "resync_ms")
		b.ReportMetric(float64(again)/float64(bound), "resync_x_bound")
		if os.Getenv("BENCH_NAIVE") != "0" {
			naive := naiveSequential(b, s.URL)
			b.ReportMetric(float64(naive.Milliseconds()), "naive_ms")
			b.ReportMetric(float64(naive)/float64(took), "x_faster_than_naive")
		}
	}
}

func medianRatio(a, b []time.Duration) float64 {
	rs := make([]float64, len(a))
	for i := range a {
		rs[i] = float64(a[i]) / float64(b[i])
	}
	slices.Sort(rs)
	return rs[len(rs)/2]
}

func median(ds []time.Duration) time.Duration {
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

// BenchmarkLegacySync10k: a Dashboard that ignores p<0 (pages of 10 only);
// the bound is pages / concurrency × latency.
func BenchmarkLegacySync10k(b *testing.B) {
	lat := latencyFromEnv()
	s := benchSim(b, true, lat, 10000, 2000)
	const concurrency = 8
	for b.Loop() {
		e, _ := benchEngine(b, s.URL, concurrency)
		start := time.Now()
		mustSync(b, e)
		took := time.Since(start)
		pages := 10000 / 10 // the policy pages dominate; the API pages run beside them
		bound := time.Duration(float64(pages) / concurrency * float64(lat))
		b.ReportMetric(float64(took.Milliseconds()), "sync_ms")
		b.ReportMetric(float64(bound.Milliseconds()), "bound_ms")
		b.ReportMetric(float64(took)/float64(bound), "x_bound")
	}
}

// memSource serves fetched data from memory, so that only local work is timed.
type memSource struct {
	policies []dashboard.Policy
	apis     []dashboard.API
}

func (m memSource) ListPolicies(context.Context) ([]dashboard.Policy, error) { return m.policies, nil }
func (m memSource) ListAPIs(context.Context) ([]dashboard.API, error)        { return m.apis, nil }

func fetchAll(b *testing.B, n int) memSource {
	s := benchSim(b, false, 0, n, n/5)
	c, err := dashboard.New(dashboard.Config{BaseURL: s.URL, Secret: "bench-key"})
	if err != nil {
		b.Fatal(err)
	}
	ps, err := c.ListPolicies(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	as, err := c.ListAPIs(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return memSource{ps, as}
}

func memEngine(b *testing.B, src memSource) *Engine {
	e, _ := benchEngine(b, "http://unused.invalid", 8)
	e.SourceFor = func(context.Context, provider.Provider) (Source, error) { return src, nil }
	return e
}

// BenchmarkApply10kChanges: the local part of a first sync of 10,000
// policies: plan and write every create in one transaction.
func BenchmarkApply10kChanges(b *testing.B) {
	src := fetchAll(b, 10000)
	for b.Loop() {
		b.StopTimer()
		e := memEngine(b, src)
		b.StartTimer()
		r := mustSync(b, e)
		if r.Products.Created+r.Plans.Created < 9000 {
			b.Fatalf("%d creates", r.Products.Created+r.Plans.Created)
		}
	}
}

// BenchmarkSecondSync10k: the local time of a sync that changes nothing
// (the network excluded): no product or plan is written, only the outcome.
func BenchmarkSecondSync10k(b *testing.B) {
	src := fetchAll(b, 10000)
	e := memEngine(b, src)
	mustSync(b, e)
	for b.Loop() {
		r := mustSync(b, e)
		if len(r.Changes) != 0 {
			b.Fatalf("%d changes", len(r.Changes))
		}
	}
}

// BenchmarkCompute10k: the pure planner alone, nothing changed.
func BenchmarkCompute10k(b *testing.B) {
	src := fetchAll(b, 10000)
	first := Compute(provider.Provider{Name: "bench"}, src.policies, src.apis, Local{}, time.Now())
	var local Local
	for i, c := range first.Changes {
		if c.Product != nil {
			c.Product.ID = uint64(i + 1)
			local.Products = append(local.Products, *c.Product)
		} else {
			c.Plan.ID = uint64(i + 1)
			local.Plans = append(local.Plans, *c.Plan)
		}
	}
	for b.Loop() {
		pl := Compute(provider.Provider{Name: "bench"}, src.policies, src.apis, local, time.Now())
		if len(pl.Changes) != 0 {
			b.Fatal(fmt.Sprint(len(pl.Changes), " changes"))
		}
	}
}
