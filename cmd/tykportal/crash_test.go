package main

import (
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// TestKillDuringCreateAndIssue kills `products create` and `credentials
// issue` with SIGKILL at seeded random points while the Dashboard is slow
// before and after it acts, so the kill lands before the request takes
// effect, while the answer is held (object created, answer lost) or after
// the local write. After every run the state file opens, and every object
// tykportal created in the Dashboard either has its local record or is
// reported by `doctor` as an orphan; `doctor --repair` then leaves the
// Dashboard and the state file agreeing exactly.
func TestKillDuringCreateAndIssue(t *testing.T) {
	runs := 24
	if testing.Short() {
		runs = 8
	}
	bin := buildBinary(t)
	sim, srv := seedSim(t, dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, Seed: 17})
	c := newCLI(t, bin, "TYKPORTAL_SECRET_PROD=demo-admin-key-org1", "TYKPORTAL_LOCK_TIMEOUT=5s")
	must := c.must
	must("provider", "add", "prod", "--url", srv.URL, "--policy-tags", "portal")
	must("sync")
	var products []struct {
		ID        uint64 `json:"id"`
		Name      string `json:"name"`
		PolicyMID string `json:"policy_mid"`
	}
	var plans []struct {
		ID   uint64 `json:"id"`
		Name string `json:"name"`
	}
	decode(t, must("products", "list", "-o", "json"), &products)
	decode(t, must("plans", "list", "-o", "json"), &plans)
	pay, gold := idNamed(t, products, "Payments Product"), idNamed(t, plans, "Gold Plan")
	must("products", "publish", fmt.Sprint(pay))
	must("plans", "publish", fmt.Sprint(gold))

	// Slow before the Dashboard acts and after it: 150 ms each.
	for _, path := range []string{"/api/keys", "/api/portal/policies"} {
		sim.SetFault("POST", path, 0, dashboardtest.Fault{Latency: 150 * time.Millisecond, Hold: 150 * time.Millisecond})
	}
	rng := mrand.New(mrand.NewPCG(23, 5))
	var before, lost, completed int
	for i := 0; i < runs; i++ {
		args := []string{"credentials", "issue", "--product", fmt.Sprint(pay), "--plan", fmt.Sprint(gold), "--consumer", fmt.Sprintf("c%d@example.com", i)}
		if i%2 == 1 {
			args = []string{"products", "create", "--provider", "prod", "--name", fmt.Sprintf("Crash %d", i), "--api", "payments"}
		}
		marked := markedObjects(sim)
		cmd := c.start("", nil, args...)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(killDelay(rng, i)):
			_ = cmd.Process.Kill()
			<-done
		}
		// Let a request the killed process left in flight finish, as a
		// Dashboard would, before looking.
		time.Sleep(350 * time.Millisecond)
		created := len(markedObjects(sim)) > len(marked)
		orphans := checkEveryObjectAccounted(t, c, sim)
		switch {
		case !created:
			before++
		case orphans > 0:
			lost++
			must("doctor", "--repair", "--grace", "0s")
		default:
			completed++
		}
	}
	sim.ClearFaults()
	must("doctor", "--repair", "--grace", "0s")
	if orphans := checkEveryObjectAccounted(t, c, sim); orphans != 0 {
		t.Fatalf("%d orphans after doctor --repair", orphans)
	}
	if r := c.run("doctor"); !strings.Contains(r.stderr, "No interrupted operations") {
		t.Fatalf("journal not empty after repair: %s", r.stderr)
	}
	t.Logf("kill -9 during create/issue: %d runs: %d killed before the Dashboard acted, %d killed after it created the object (found and repaired by doctor), %d completed",
		runs, before, lost, completed)
	if lost == 0 {
		t.Error("no run was killed between the Dashboard's create and the local write: the test did not exercise the case it exists for")
	}
}

// killDelay spreads the kills: every third run within the first 60 ms
// (start-up, reading the provider, journaling the operation), the others
// over the whole command.
func killDelay(rng *mrand.Rand, run int) time.Duration {
	if run%3 == 0 {
		return time.Duration(rng.IntN(60)) * time.Millisecond
	}
	return time.Duration(rng.IntN(500)) * time.Millisecond
}

func decode(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
}

func idNamed[T any](t *testing.T, items []T, name string) uint64 {
	t.Helper()
	for _, it := range items {
		raw, _ := json.Marshal(it)
		var v struct {
			ID   uint64 `json:"id"`
			Name string `json:"name"`
		}
		_ = json.Unmarshal(raw, &v)
		if v.Name == name {
			return v.ID
		}
	}
	t.Fatalf("no item named %q", name)
	return 0
}

// markedObjects maps the Dashboard id of every key and policy that carries
// a tykportal operation marker to the marker.
func markedObjects(sim *dashboardtest.Sim) map[string]string {
	out := map[string]string{}
	add := func(id string, meta any) {
		if m, ok := meta.(map[string]any); ok {
			if op, ok := m["tykportal_operation"].(string); ok {
				out[id] = op
			}
		}
	}
	for _, k := range sim.Keys("") {
		add(k["key_hash"].(string), k["meta_data"])
	}
	for _, p := range sim.Policies("") {
		add(p["_id"].(string), p["meta_data"])
	}
	return out
}

// checkEveryObjectAccounted fails the test unless the state file opens and
// every marked Dashboard object has a local record or is a doctor orphan;
// it returns the number of orphans.
func checkEveryObjectAccounted(t *testing.T, c *tool, sim *dashboardtest.Sim) int {
	t.Helper()
	if r := c.run("status", "-o", "json"); r.code != 0 {
		t.Fatalf("the state file does not open after kill -9: %s", r.stderr)
	}
	local := map[string]bool{}
	out := c.run("credentials", "list", "-o", "json").stdout
	var creds []struct {
		KeyHash string `json:"key_hash"`
	}
	decode(t, out, &creds)
	for _, c := range creds {
		local[c.KeyHash] = true
	}
	out = c.run("products", "list", "--all", "-o", "json").stdout
	var prods []struct {
		PolicyMID string `json:"policy_mid"`
	}
	decode(t, out, &prods)
	for _, p := range prods {
		local[p.PolicyMID] = true
	}
	r := c.run("doctor", "-o", "json")
	if r.code > 1 {
		t.Fatalf("doctor: exit %d: %s", r.code, r.stderr)
	}
	out = r.stdout
	var report struct {
		Operations []struct {
			State    string `json:"state"`
			ObjectID string `json:"object_id"`
		} `json:"operations"`
	}
	decode(t, out, &report)
	reported := map[string]bool{}
	orphans := 0
	for _, f := range report.Operations {
		if f.State == "orphan" {
			reported[f.ObjectID] = true
			orphans++
		}
	}
	for id := range markedObjects(sim) {
		if !local[id] && !reported[id] {
			t.Fatalf("Dashboard object %s has no local record and doctor does not report it: %s", id, out)
		}
	}
	return orphans
}
