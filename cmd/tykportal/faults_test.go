package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// TestFaultMatrix runs every command that calls the Dashboard against every
// fault, on the first, a middle and the last page where the command pages:
// exit 1, one sentence on stderr naming the provider, no secret anywhere,
// and the catalogue unchanged (a failed sync records only its outcome).
func TestFaultMatrix(t *testing.T) {
	// The matrix runs the binary ~150 times, some with 50 MB answers: a
	// build without the race detector keeps it CI-fast.
	bin := buildBinary(t)
	redirectTarget := httptest.NewServer(nil) // another host for the redirect fault
	defer redirectTarget.Close()
	faults := []struct {
		name  string
		fault dashboardtest.Fault
	}{
		{"401", dashboardtest.Fault{Status: 401}}, {"403", dashboardtest.Fault{Status: 403}},
		{"404", dashboardtest.Fault{Status: 404}}, {"429", dashboardtest.Fault{Status: 429, RetryAfter: 0}},
		{"500", dashboardtest.Fault{Status: 500}}, {"503", dashboardtest.Fault{Status: 503}},
		{"timeout", dashboardtest.Fault{Latency: 2 * time.Second}}, {"reset", dashboardtest.Fault{Reset: true}},
		{"garbage", dashboardtest.Fault{Garbage: true}}, {"truncated", dashboardtest.Fault{Truncated: true}},
		{"50MB body", dashboardtest.Fault{Huge: 50 << 20}}, {"wrong content type", dashboardtest.Fault{Garbage: true, ContentType: "text/plain"}},
		{"redirect to another host", dashboardtest.Fault{RedirectTo: redirectTarget.URL + "/api/portal/policies"}},
	}
	type command struct {
		name   string
		method string
		path   string
		pages  []int // 0: not paged
		args   []string
		syncs  bool // a failed sync records its outcome; compare the catalogue, not the bytes
	}
	commands := []command{
		{"sync", "GET", "/api/portal/policies", []int{1, 2, 4}, []string{"sync"}, true},
		{"sync (APIs)", "GET", "/api/apis", []int{1, 2}, []string{"sync"}, true},
		{"provider test", "GET", "/api/portal/policies", []int{0}, []string{"provider", "test", "prod"}, false},
		{"provider test (user)", "GET", "/api/users/me", []int{0}, []string{"provider", "test", "prod"}, false},
		{"apis list", "GET", "/api/apis", []int{0}, []string{"apis", "list", "--provider", "prod"}, false},
		{"products create", "POST", "/api/portal/policies", []int{0}, []string{"products", "create", "--provider", "prod", "--name", "New", "--api", "payments"}, false},
		{"plans create", "POST", "/api/portal/policies", []int{0}, []string{"plans", "create", "--provider", "prod", "--name", "New", "--rate", "1", "--per", "1"}, false},
		{"products edit", "GET", "", []int{0}, nil, false},         // filled below: the policy path needs its id
		{"doctor", "GET", "", []int{0}, []string{"doctor"}, false}, // filled below: the key list of the interrupted issue's API
		{"credentials issue", "POST", "/api/keys", []int{0}, []string{"credentials", "issue", "--product", "1", "--plan", "1", "--consumer", "dev@example.com"}, false},
	}
	const secret = "demo-admin-key-org1"
	var mu gosync.Mutex
	total, passed := 0, 0
	for _, c := range commands {
		for _, f := range faults {
			for _, page := range c.pages {
				name := fmt.Sprintf("%s/%s/page%d", c.name, f.name, page)
				c, f, page := c, f, page
				total++
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					sim, srv := seedSim(t, dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, Legacy: true, PageSize: 5, Seed: 3})
					tp := newCLI(t, bin, "TYKPORTAL_SECRET_PROD="+secret, "TYKPORTAL_LOCK_TIMEOUT=5s")
					run := func(args ...string) (string, string, int) {
						r := tp.run(args...)
						return r.stdout, r.stderr, r.code
					}
					for _, setup := range [][]string{
						{"provider", "add", "prod", "--url", srv.URL, "--policy-tags", "portal"},
						{"sync"}, {"products", "publish", "1"}, {"plans", "publish", "1"},
					} {
						if _, stderr, code := run(setup...); code != 0 {
							t.Fatalf("setup %v: %s", setup, stderr)
						}
					}
					args, path := c.args, c.path
					if c.name == "products edit" {
						p, _ := sim.Policy(policyMID(t, run, "1"))
						path = "/api/portal/policies/" + p["_id"].(string)
						args = []string{"products", "edit", "1", "--name", "Renamed"}
					}
					if c.name == "doctor" {
						// An issue whose answer was unreadable leaves its operation.
						sim.SetFault("POST", "/api/keys", 0, dashboardtest.Fault{Garbage: true})
						if _, stderr, _ := run("credentials", "issue", "--product", "1", "--plan", "1", "--consumer", "lost@example.com"); !strings.Contains(stderr, "tykportal doctor") {
							t.Fatalf("setup: the lost answer was not reported: %s", stderr)
						}
						sim.ClearFaults()
						out, _, _ := run("doctor", "-o", "json")
						var report struct {
							Operations []struct {
								Operation struct {
									APIID string `json:"api_id"`
								} `json:"operation"`
							} `json:"operations"`
						}
						if err := json.Unmarshal([]byte(out), &report); err != nil || len(report.Operations) != 1 {
							t.Fatalf("setup: doctor: %v %s", err, out)
						}
						path = "/api/apis/" + report.Operations[0].Operation.APIID + "/keys"
					}
					listBefore, _, _ := run("products", "list", "--all", "-o", "json")
					plansBefore, _, _ := run("plans", "list", "--all", "-o", "json")
					credsBefore, _, _ := run("credentials", "list", "-o", "json")
					dbBefore, _ := os.ReadFile(tp.dbPath())
					sim.SetFault(c.method, path, page, f.fault)

					// A short per-request timeout for the faulted command only.
					stdout, stderr, code := run(append([]string{"--timeout", "400ms"}, args...)...)
					if c.name == "provider test (user)" && (f.fault.Status == 401 || f.fault.Status == 403 || f.fault.Status == 404) {
						// Not a failure: the client falls back to the user list
						// (a 401 there is what a Dashboard wanting a session
						// cookie on /api/users/me answers the secret alone).
						if code != 0 {
							t.Fatalf("users/me %d: the fallback to the user list failed: %s", f.fault.Status, stderr)
						}
						mu.Lock()
						passed++
						mu.Unlock()
						return
					}

					if code != 1 {
						t.Fatalf("exit %d, want 1; stderr %q", code, stderr)
					}
					lines := strings.Split(strings.TrimSpace(stderr), "\n")
					last := lines[len(lines)-1]
					if !strings.HasPrefix(last, "tykportal: ") || !strings.Contains(last, `"prod"`) && !strings.Contains(last, "prod (") {
						t.Fatalf("stderr does not end in one sentence naming the provider: %q", stderr)
					}
					if strings.Contains(stdout+stderr, secret) {
						t.Fatal("the secret was printed")
					}
					sim.ClearFaults()
					if c.syncs {
						listAfter, _, _ := run("products", "list", "--all", "-o", "json")
						plansAfter, _, _ := run("plans", "list", "--all", "-o", "json")
						if listAfter != listBefore || plansAfter != plansBefore {
							t.Fatal("a failed sync changed the catalogue")
						}
						status, _, _ := run("status", "-o", "json")
						if !strings.Contains(status, `"last_sync_status": "failed"`) {
							t.Fatalf("the failed outcome was not recorded: %s", status)
						}
					} else {
						dbAfter, _ := os.ReadFile(tp.dbPath())
						if !bytes.Equal(dbBefore, dbAfter) {
							a, _, _ := run("products", "list", "--all", "-o", "json")
							b, _, _ := run("plans", "list", "--all", "-o", "json")
							cr, _, _ := run("credentials", "list", "-o", "json")
							if a != listBefore || b != plansBefore || cr != credsBefore {
								t.Fatal("the state file changed")
							}
						}
					}
					mu.Lock()
					passed++
					mu.Unlock()
				})
			}
		}
	}
	t.Cleanup(func() { t.Logf("fault matrix: %d cases, %d passed", total, passed) })
}

func policyMID(t *testing.T, run func(...string) (string, string, int), productID string) string {
	out, _, code := run("products", "show", productID, "-o", "json")
	if code != 0 {
		t.Fatalf("products show: %d", code)
	}
	const key = `"policy_mid": "`
	i := strings.Index(out, key)
	if i < 0 {
		t.Fatalf("no policy_mid in %s", out)
	}
	rest := out[i+len(key):]
	return rest[:strings.IndexByte(rest, '"')]
}
