package main

import (
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// TestEightProcesses runs 8 processes at once, syncing, listing and editing
// one state file, several rounds: each either succeeds or fails with the
// "in use" message within the lock timeout, and the file is never damaged.
func TestEightProcesses(t *testing.T) {
	sim, srv := seedSim(t, dashboardtest.Options{UsersMe: true, Seed: 5})
	sim.Generate("5fd08e0f69710900018bc195", 2000, 200, 2)
	tp := newCLI(t, buildBinary(t), "TYKPORTAL_SECRET_PROD=demo-admin-key-org1", "TYKPORTAL_LOCK_TIMEOUT=2s")
	run := func(args ...string) (string, int, time.Duration) {
		r := tp.run(args...)
		return r.stderr, r.code, r.took
	}
	if stderr, code, _ := run("provider", "add", "prod", "--url", srv.URL, "--skip-check"); code != 0 {
		t.Fatal(stderr)
	}
	if stderr, code, _ := run("sync", "--allow-mass-hide"); code != 0 {
		t.Fatal(stderr)
	}
	workloads := [][]string{
		{"sync"}, {"products", "list", "-o", "json"}, {"plans", "list"}, {"status"},
		{"products", "edit", "1", "--display-name", "edited"}, {"products", "publish", "2"},
		{"sync", "--dry-run"}, {"provider", "list"},
	}
	ok, locked := 0, 0
	for round := 0; round < 3; round++ {
		var wg gosync.WaitGroup
		var mu gosync.Mutex
		for i, w := range workloads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				stderr, code, took := run(w...)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case code == 0:
					ok++
				case code == 1 && strings.Contains(stderr, "in use by another tykportal process"):
					locked++
					if took > 10*time.Second {
						t.Errorf("process %d waited %v for the lock", i, took)
					}
				default:
					t.Errorf("process %d %v: exit %d: %s", i, w, code, stderr)
				}
			}()
		}
		wg.Wait()
	}
	if stderr, code, _ := run("status", "-o", "json"); code != 0 {
		t.Fatalf("the state file does not open after the run: %s", stderr)
	}
	if stderr, code, _ := run("sync"); code != 0 {
		t.Fatalf("a sync after the run failed: %s", stderr)
	}
	t.Logf("8 processes x 3 rounds: %d succeeded, %d got the in-use message", ok, locked)
	if ok == 0 {
		t.Fatal("nothing succeeded")
	}
}
