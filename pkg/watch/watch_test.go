package watch

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	tpsync "github.com/tykportal/tykportal/pkg/sync"
)

func TestInterval(t *testing.T) {
	tests := []struct {
		name    string
		flag    time.Duration
		flagSet bool
		env     map[string]string
		want    time.Duration
		source  string
		bad     bool
	}{
		{"default", 0, false, nil, 10 * time.Minute, "default", false},
		{"flag wins", 30 * time.Second, true, map[string]string{"TYK_PORTAL_REFRESHINTERVAL": "5", "PORTAL_REFRESHINTERVAL": "7"}, 30 * time.Second, "--interval", false},
		{"TYK_PORTAL_ wins over PORTAL_", 0, false, map[string]string{"TYK_PORTAL_REFRESHINTERVAL": "5", "PORTAL_REFRESHINTERVAL": "7"}, 5 * time.Minute, "TYK_PORTAL_REFRESHINTERVAL", false},
		{"PORTAL_ alone", 0, false, map[string]string{"PORTAL_REFRESHINTERVAL": "7"}, 7 * time.Minute, "PORTAL_REFRESHINTERVAL", false},
		{"not a whole number", 0, false, map[string]string{"PORTAL_REFRESHINTERVAL": "1.5"}, 0, "", true},
		{"zero minutes", 0, false, map[string]string{"TYK_PORTAL_REFRESHINTERVAL": "0"}, 0, "", true},
		{"a duration is not minutes", 0, false, map[string]string{"TYK_PORTAL_REFRESHINTERVAL": "10m"}, 0, "", true},
		{"negative flag", -time.Second, true, nil, 0, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, src, err := Interval(tc.flag, tc.flagSet, func(k string) string { return tc.env[k] })
			if tc.bad {
				if !errors.Is(err, ErrBadInterval) {
					t.Fatalf("err %v", err)
				}
				return
			}
			if err != nil || got != tc.want || src != tc.source {
				t.Fatalf("got %v from %q, %v", got, src, err)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	iv := 10 * time.Minute
	prev := time.Duration(0)
	for f := 1; f <= 10; f++ {
		d := Backoff(iv, f, 0.5) // 0.5 means no jitter
		if d > iv || d < prev {
			t.Fatalf("failure %d: %v (previous %v)", f, d, prev)
		}
		prev = d
	}
	if Backoff(iv, 1, 0.5) != 30*time.Second || prev != iv {
		t.Fatalf("first %v, last %v", Backoff(iv, 1, 0.5), prev)
	}
	if lo, hi := Backoff(iv, 2, 0), Backoff(iv, 2, 0.999); lo != 48*time.Second || hi < 71*time.Second {
		t.Fatalf("jitter range %v..%v", lo, hi)
	}
}

// fakeClock fires timers only when the test advances it.
type fakeClock struct {
	mu      gosync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Until(deadline time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !deadline.After(c.now) {
		ch <- c.now // already passed: fire at once, as a real timer would
		return ch
	}
	c.waiters = append(c.waiters, waiter{deadline, ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var keep []waiter
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			keep = append(keep, w)
		}
	}
	c.waiters = keep
	c.mu.Unlock()
}

// fakeSyncer records syncs and fails providers on demand.
type fakeSyncer struct {
	mu    gosync.Mutex
	calls map[string]int
	fail  map[string]bool
	block chan struct{}
	done  chan string
}

func (f *fakeSyncer) Sync(ctx context.Context, names []string, _ tpsync.Options) ([]catalog.SyncResult, error) {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	name := names[0]
	f.calls[name]++
	status := catalog.SyncOK
	if f.fail[name] {
		status = catalog.SyncFailed
	}
	f.mu.Unlock()
	defer func() { f.done <- name }()
	return []catalog.SyncResult{{Provider: name, Status: status}}, nil
}

func (f *fakeSyncer) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

type harness struct {
	clock    *fakeClock
	syncer   *fakeSyncer
	mu       gosync.Mutex
	names    []string
	nexts    map[string][]time.Duration
	trigger  chan struct{}
	recorded int // results the loop has recorded (OnResult ran: next time set)
	expected int // results the test has waited for so far
	cancel   context.CancelFunc
	finished chan error
}

func start(t *testing.T, interval time.Duration, names ...string) *harness {
	return startFailing(t, interval, nil, names...)
}

// startFailing starts the loop with the providers in failing failing from
// their first sync: set before the loop runs, since it syncs at once.
func startFailing(t *testing.T, interval time.Duration, failing []string, names ...string) *harness {
	fail := map[string]bool{}
	for _, n := range failing {
		fail[n] = true
	}
	h := &harness{
		clock:   &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		syncer:  &fakeSyncer{calls: map[string]int{}, fail: fail, done: make(chan string, 100)},
		names:   names,
		nexts:   map[string][]time.Duration{},
		trigger: make(chan struct{}),
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.finished = make(chan error, 1)
	go func() {
		h.finished <- Run(ctx, Config{
			Interval: interval, Syncer: h.syncer, Clock: h.clock, Trigger: h.trigger,
			Providers: func(context.Context) ([]string, error) {
				h.mu.Lock()
				defer h.mu.Unlock()
				return append([]string(nil), h.names...), nil
			},
			OnResult: func(r catalog.SyncResult, next time.Duration) {
				h.mu.Lock()
				h.nexts[r.Provider] = append(h.nexts[r.Provider], next)
				h.recorded++
				h.mu.Unlock()
			},
		})
	}()
	t.Cleanup(func() { cancel() })
	return h
}

// waitSyncs waits until the loop has recorded n more sync results, so that
// each provider's next time is set from the clock before it is advanced
// (waiting only for the syncs to return would race with that).
func (h *harness) waitSyncs(t *testing.T, n int) {
	t.Helper()
	// A running total, not "recorded now + n": results may be recorded
	// before this is called.
	h.expected += n
	target := h.expected
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.mu.Lock()
		got := h.recorded
		h.mu.Unlock()
		if got >= target {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d sync results, got %d", n, got-(target-n))
		}
		time.Sleep(time.Millisecond)
	}
	for len(h.syncer.done) > 0 {
		<-h.syncer.done
	}
	time.Sleep(5 * time.Millisecond) // let the loop reach its select; a late Advance is still safe
}

func TestTicks(t *testing.T) {
	h := start(t, time.Minute, "a", "b")
	h.waitSyncs(t, 2) // the sync at start
	for i := 0; i < 3; i++ {
		h.clock.Advance(time.Minute)
		h.waitSyncs(t, 2)
	}
	if h.syncer.count("a") != 4 || h.syncer.count("b") != 4 {
		t.Fatalf("3 ticks gave %d and %d syncs, want 4 each", h.syncer.count("a"), h.syncer.count("b"))
	}
	h.cancel()
	if err := <-h.finished; err != nil {
		t.Fatal(err)
	}
}

func TestFailingProviderBacksOffAndRecovers(t *testing.T) {
	h := startFailing(t, 8*time.Minute, []string{"bad"}, "bad", "good")
	h.waitSyncs(t, 2)
	// bad retries after 30s, 60s, ...; good is not delayed by it
	h.clock.Advance(30 * time.Second)
	h.waitSyncs(t, 1)
	h.clock.Advance(60 * time.Second)
	h.waitSyncs(t, 1)
	if h.syncer.count("good") != 1 || h.syncer.count("bad") != 3 {
		t.Fatalf("good %d bad %d", h.syncer.count("good"), h.syncer.count("bad"))
	}
	h.syncer.mu.Lock()
	h.syncer.fail["bad"] = false
	h.syncer.mu.Unlock()
	h.clock.Advance(2 * time.Minute)
	h.waitSyncs(t, 1)
	h.mu.Lock()
	got := h.nexts["bad"]
	h.mu.Unlock()
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 8 * time.Minute}
	if len(got) != len(want) {
		t.Fatalf("nexts %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("nexts %v, want %v", got, want)
		}
	}
	// good keeps its own timeline
	h.clock.Advance(8*time.Minute - 3*time.Minute - 30*time.Second)
	h.waitSyncs(t, 1)
	if h.syncer.count("good") != 2 {
		t.Fatalf("good synced %d times", h.syncer.count("good"))
	}
}

func TestProviderAddedAndRemoved(t *testing.T) {
	h := start(t, time.Minute, "a")
	h.waitSyncs(t, 1)
	h.mu.Lock()
	h.names = []string{"b"}
	h.mu.Unlock()
	h.clock.Advance(time.Minute)
	h.waitSyncs(t, 1)
	if h.syncer.count("b") != 1 {
		t.Fatalf("b synced %d times", h.syncer.count("b"))
	}
	h.clock.Advance(time.Minute)
	h.waitSyncs(t, 1)
	if h.syncer.count("a") != 1 || h.syncer.count("b") != 2 {
		t.Fatalf("a %d b %d: a removed provider kept syncing", h.syncer.count("a"), h.syncer.count("b"))
	}
}

func TestTriggerSyncsNow(t *testing.T) {
	h := start(t, time.Hour, "a")
	h.waitSyncs(t, 1)
	h.trigger <- struct{}{}
	h.waitSyncs(t, 1)
	if h.syncer.count("a") != 2 {
		t.Fatalf("%d syncs", h.syncer.count("a"))
	}
}

func TestCancelDuringSlowSync(t *testing.T) {
	h := start(t, time.Hour, "a")
	h.waitSyncs(t, 1)
	h.syncer.block = make(chan struct{})
	h.trigger <- struct{}{}
	time.Sleep(20 * time.Millisecond)
	h.cancel()
	select {
	case <-h.finished:
		t.Fatal("Run returned while a sync was still in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(h.syncer.block)
	select {
	case err := <-h.finished:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the sync finished")
	}
}

func TestHealthAndMetrics(t *testing.T) {
	m := NewMetrics("test-instance")
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("before any sync: %d", code)
	}
	m.Observe(catalog.SyncResult{Provider: "a", Status: catalog.SyncFailed, DurationMS: 20})
	m.Observe(catalog.SyncResult{Provider: "b", Status: catalog.SyncOK, DurationMS: 40, StartedAt: time.Unix(1700000000, 0)})
	m.SetCatalog("b", CatalogCounts{Published: 2, Unpublished: 1, Hidden: 1}, CatalogCounts{Unpublished: 2})
	if code, body := get("/healthz"); code != 200 || !strings.Contains(body, `"a":"failed"`) {
		t.Fatalf("one failing: %d %s", code, body)
	}
	m.Observe(catalog.SyncResult{Provider: "b", Status: catalog.SyncFailed})
	code, body := get("/healthz")
	var h struct{ Status string }
	_ = json.Unmarshal([]byte(body), &h)
	if code != 503 || h.Status != "failing" {
		t.Fatalf("all failing: %d %s", code, body)
	}
	_, metrics := get("/metrics")
	for _, want := range []string{
		`tykportal_syncs_total{provider="a",status="failed"} 1`,
		`tykportal_syncs_total{provider="b",status="ok"} 1`,
		`tykportal_sync_duration_seconds_count{provider="b"} 2`,
		`tykportal_catalog_items{kind="product",provider="b",state="hidden"} 1`,
		`tykportal_catalog_items{kind="product",provider="b",state="published"} 2`,
		`tykportal_catalog_items{kind="product",provider="b",state="unpublished"} 1`,
		`tykportal_catalog_items{kind="plan",provider="b",state="unpublished"} 2`,
		`tykportal_last_success_timestamp_seconds{provider="b"} 1.7e+09`,
		"\ngo_goroutines ", "\nprocess_open_fds ",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// over a real listener too
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	real := &http.Server{Handler: m.Handler()}
	go real.Serve(ln)
	defer real.Close()
	res, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("%v %v", res, err)
	}
	res.Body.Close()
}
