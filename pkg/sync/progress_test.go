package sync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/provider"
)

// recorder keeps every report per provider and tells when one arrives.
type recorder struct {
	mu   gosync.Mutex
	seen map[string][]string
	hear chan [2]string
}

func (r *recorder) Report(subject, status string) {
	r.mu.Lock()
	r.seen[subject] = append(r.seen[subject], status)
	r.mu.Unlock()
	select {
	case r.hear <- [2]string{subject, status}:
	default:
	}
}

// fakeClock moves only when told.
type fakeClock struct {
	mu  gosync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Each provider reports its stages in order, and its duration is its own
// work: a provider whose Dashboard takes 1.5 s does not lend that time to
// a quick one synced beside it.
func TestProgressStagesAndOwnDurations(t *testing.T) {
	ctx := context.Background()
	_, open := engineWorld(t, "quick", "slow")
	clock := &fakeClock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	rec := &recorder{seen: map[string][]string{}, hear: make(chan [2]string, 64)}
	quickDecoded := make(chan struct{})
	go func() {
		for h := range rec.hear {
			if h[0] == "quick" && strings.HasSuffix(h[1], " policies decoded") {
				close(quickDecoded)
				return
			}
		}
	}()
	e := &Engine{
		OpenDB: open,
		Now:    clock.Now,
		SourceFor: func(ctx context.Context, p provider.Provider) (Source, error) {
			c, err := dashboard.New(dashboard.Config{BaseURL: p.URL, Secret: "demo-admin-key-org1", OrgID: seedOrg})
			if p.Name != "slow" {
				return c, err
			}
			// The slow Dashboard answers only after the quick one's fetch
			// is over, 1.5 s later by the clock.
			return hookSource{Source: c, hook: func() {
				select {
				case <-quickDecoded:
				case <-time.After(30 * time.Second):
					t.Error("the quick provider never reported its policies decoded")
				}
				clock.advance(1500 * time.Millisecond)
			}}, err
		},
	}
	results, err := e.Sync(ctx, nil, Options{AllowMassHide: true, Progress: rec})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]catalog.SyncResult{}
	for _, r := range results {
		if r.Status != catalog.SyncOK {
			t.Fatalf("%s: %s %s", r.Provider, r.Status, r.Error)
		}
		byName[r.Provider] = r
	}
	if got := byName["quick"].DurationMS; got != 0 {
		t.Errorf("quick provider's duration_ms = %d, want 0: it includes the slow one's wait", got)
	}
	if got := byName["slow"].DurationMS; got != 1500 {
		t.Errorf("slow provider's duration_ms = %d, want 1500", got)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, name := range []string{"quick", "slow"} {
		n := byName[name].PoliciesFetched
		if want := []string{"fetching", fmt.Sprintf("%d policies received", n), fmt.Sprintf("%d policies decoded", n), "writing", "done"}; !slices.Equal(rec.seen[name], want) {
			t.Errorf("%s reported %q, want %q", name, rec.seen[name], want)
		}
	}
}
