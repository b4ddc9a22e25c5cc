package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/pgstore"
	"github.com/tykportal/tykportal/pkg/store/pgstore/pgtest"
)

// Three `watch` instances, as on three hosts (each its own HOME and
// environment), share one PostgreSQL catalogue of six providers with a one
// second interval. Between them each provider is synced about once per
// interval, counted at its own Dashboard, not three times; each instance
// syncs some of them; and when one is killed with SIGKILL the others take
// its providers over within an interval. The catalogue stays consistent.
func TestWatchInstancesShareProviders(t *testing.T) {
	srv := pgtest.Shared(t)
	url := srv.NewDatabase(t)
	if _, _, err := pgstore.Migrate(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	const providers, interval = 6, time.Second
	sims := make([]*dashboardtest.Sim, providers)
	env := []string{"TYKPORTAL_DB=" + url}
	admin := newCLI(t, bin, env...)
	for i := range sims {
		sim, httpSrv := seedSim(t, dashboardtest.Defaults())
		sims[i] = sim
		name := fmt.Sprintf("p%d", i)
		env = append(env, fmt.Sprintf("TYKPORTAL_SECRET_P%d=demo-admin-key-org1", i))
		admin.env = append(admin.env, fmt.Sprintf("TYKPORTAL_SECRET_P%d=demo-admin-key-org1", i))
		admin.must("provider", "add", name, "--url", httpSrv.URL, "--policy-tags", "portal", "--skip-check", "--org-id", "5fd08e0f69710900018bc195", "-q")
	}
	listRequests := func() []int {
		n := make([]int, providers)
		for i, s := range sims {
			for _, r := range s.Requests() {
				if strings.HasPrefix(r.Path, "/api/portal/policies") {
					n[i]++
				}
			}
		}
		return n
	}

	type line struct {
		Provider string `json:"provider"`
		Status   string `json:"status"`
		Instance string `json:"instance"`
	}
	var mu gosync.Mutex
	syncedBy := map[string]map[string]int{} // instance -> provider -> syncs
	var cmds []*exec.Cmd
	for w := 1; w <= 3; w++ {
		inst := fmt.Sprintf("host-%d", w)
		c := newCLI(t, bin, append(env, "TYKPORTAL_INSTANCE="+inst)...)
		cmd := exec.Command(c.bin, "watch", "--interval", interval.String(), "-o", "json")
		cmd.Env = c.env
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		counts := map[string]int{}
		mu.Lock()
		syncedBy[inst] = counts
		mu.Unlock()
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				var l line
				if json.Unmarshal(sc.Bytes(), &l) == nil && l.Status == "ok" {
					mu.Lock()
					counts[l.Provider]++
					mu.Unlock()
				}
			}
		}()
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("%s stderr:\n%s", inst, stderr.String())
			}
		})
	}

	// Let them settle, then count a window of whole intervals.
	time.Sleep(2 * interval)
	before := listRequests()
	const window = 5
	time.Sleep(window * interval)
	after := listRequests()
	for i := range after {
		n := after[i] - before[i]
		// Once per interval between them (a turn may slip by up to a tenth
		// of an interval); three uncoordinated instances would make ~15.
		if n < window-2 || n > window+1 {
			t.Errorf("provider p%d was fetched %d times in %d intervals, want about %d", i, n, window, window)
		}
	}
	mu.Lock()
	working := 0
	for inst, ps := range syncedBy {
		if len(ps) > 0 {
			working++
		}
		t.Logf("%s synced %v", inst, ps)
	}
	mu.Unlock()
	if working < 2 {
		t.Errorf("only %d of 3 instances synced anything: the providers are not spread", working)
	}

	// Kill one instance: the others take its providers within an interval.
	if err := cmds[0].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmds[0].Wait()
	killed := time.Now()
	time.Sleep(interval / 2)
	before = listRequests()
	time.Sleep(3 * interval)
	after = listRequests()
	for i := range after {
		if n := after[i] - before[i]; n < 2 || n > 4 {
			t.Errorf("after the kill, provider p%d was fetched %d times in 3 intervals, want about 3", i, n)
		}
	}

	// The catalogue is consistent: every provider's last sync succeeded
	// after the kill, and each holds the seed's products.
	var rows []struct {
		Name           string  `json:"name"`
		LastSyncAt     *string `json:"last_sync_at"`
		LastSyncStatus *string `json:"last_sync_status"`
		Products       struct {
			Total int `json:"total"`
		} `json:"products"`
	}
	if err := json.Unmarshal([]byte(admin.must("status", "-o", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	want := -1
	for _, r := range rows {
		if r.LastSyncStatus == nil || *r.LastSyncStatus != "ok" || r.LastSyncAt == nil {
			t.Errorf("%s: last sync %v", r.Name, r.LastSyncStatus)
			continue
		}
		at, _ := time.Parse(time.RFC3339, *r.LastSyncAt)
		if at.Before(killed.Add(-time.Second)) {
			t.Errorf("%s: last synced at %s, before the kill at %s", r.Name, at, killed.UTC().Format(time.RFC3339))
		}
		if want == -1 {
			want = r.Products.Total
		}
		if r.Products.Total != want || want == 0 {
			t.Errorf("%s: %d products, want %d like the others", r.Name, r.Products.Total, want)
		}
	}
	if len(rows) != providers {
		t.Fatalf("%d providers in status", len(rows))
	}
}

// A second watch on one bbolt file is refused, naming the one that owns it;
// a sync from cron with --no-wait names the instance syncing the provider.
func TestWatchOwnsBboltFile(t *testing.T) {
	bin := buildBinary(t)
	_, httpSrv := seedSim(t, dashboardtest.Defaults())
	c := newCLI(t, bin, "TYKPORTAL_SECRET_PROD=demo-admin-key-org1", "TYKPORTAL_INSTANCE=first-watch")
	c.must("provider", "add", "prod", "--url", httpSrv.URL, "--policy-tags", "portal", "-q")
	first := c.start("", nil, "watch", "--interval", "1h")
	t.Cleanup(func() { _ = first.Process.Signal(syscall.SIGTERM); _ = first.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r := c.run("status", "-o", "json"); strings.Contains(r.stdout, `"last_sync_status": "ok"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first watch never synced")
		}
		time.Sleep(50 * time.Millisecond)
	}
	r := c.run("watch", "--interval", "1h")
	if r.code != 1 || !strings.Contains(r.stderr, "another tykportal watch owns the state file") || !strings.Contains(r.stderr, "first-watch") {
		t.Fatalf("second watch: exit %d: %s", r.code, r.stderr)
	}

	// A provider being synced elsewhere: --no-wait fails at once naming
	// the holder; --wait waits for it and then syncs.
	lease, err := boltstore.Leases{Path: c.dbPath()}.Acquire(context.Background(), "prod", "cron-host/7", 0)
	if err != nil {
		t.Fatal(err)
	}
	r = c.run("sync", "--no-wait", "-o", "json")
	if r.code != 1 || !strings.Contains(r.stderr, `provider "prod" is being synced by cron-host/7`) || !strings.Contains(r.stdout, `"status": "failed"`) {
		t.Fatalf("sync --no-wait: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	go func() { time.Sleep(300 * time.Millisecond); lease.Release() }()
	if r = c.run("sync", "--wait", "10s"); r.code != 0 {
		t.Fatalf("sync --wait: exit %d: %s", r.code, r.stderr)
	}
}
