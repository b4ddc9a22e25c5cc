package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

const hostileSecret = "demo-admin-key-org1"

// hostileCLI is a tool with provider prod on a fresh seeded simulator.
func hostileCLI(t *testing.T, bin string, opts dashboardtest.Options, env ...string) (*dashboardtest.Sim, *tool) {
	t.Helper()
	sim, srv := seedSim(t, opts)
	tp := newCLI(t, bin, append([]string{"TYKPORTAL_SECRET_PROD=" + hostileSecret}, env...)...)
	tp.must("provider", "add", "prod", "--url", srv.URL, "--policy-tags", "portal")
	return sim, tp
}

// TestHostileEndlessAnswerMemory: an answer that never ends stops at the
// 256 MiB body cap, and the process's peak RSS stays within about twice
// the cap.
func TestHostileEndlessAnswerMemory(t *testing.T) {
	bin := buildBinary(t)
	for _, kind := range []string{"string", "list"} {
		t.Run(kind, func(t *testing.T) {
			sim, tp := hostileCLI(t, bin, dashboardtest.Defaults())
			sim.SetFault("GET", "/api/portal/policies", 0, dashboardtest.Fault{Endless: kind})
			cmd := tp.start("", nil, "sync")
			polled := pollPeakRSS(cmd.Process.Pid)
			err := cmd.Wait()
			// The rusage's maxrss is an upper bound only: Linux carries the
			// forking process's own high-water mark into the child across
			// exec (a race-instrumented test process is over 1 GiB). The
			// child's own mm high-water mark (VmHWM), read while it ran, is
			// the figure when the bound is above the goal.
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			peak := ru.Maxrss << 10 // KiB on Linux
			if hwm := <-polled; hwm > 0 && hwm < peak {
				peak = hwm
			}
			t.Logf("endless %s: exit %v, peak RSS %d MiB (rusage bound %d MiB)", kind, err, peak>>20, (ru.Maxrss<<10)>>20)
			if cmd.ProcessState.ExitCode() != 1 {
				t.Fatalf("exit %d, want 1", cmd.ProcessState.ExitCode())
			}
			if peak > 512<<20 {
				t.Fatalf("peak RSS %d MiB, want within ~2x the 256 MiB cap", peak>>20)
			}
		})
	}
}

// pollPeakRSS reads /proc/PID/status's VmHWM (the process's own peak
// resident set, in bytes) every 2 ms until the process is gone, and sends
// the highest value read.
func pollPeakRSS(pid int) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		for {
			data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			if err != nil {
				break
			}
			for _, line := range strings.Split(string(data), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil {
						peak = max(peak, kb<<10)
					}
				}
			}
			if strings.Contains(string(data), "State:\tZ") {
				break // exited, not yet waited for: its figures are final
			}
			time.Sleep(2 * time.Millisecond)
		}
		out <- peak
	}()
	return out
}

// TestHostileWatchSoak: watch over ~200 syncs, with 64 file descriptors,
// holds its sockets and goroutines flat: one Dashboard client per provider for the loop's life,
// not a new connection pool (and its idle sockets) per sync.
func TestHostileWatchSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("a 200-sync soak")
	}
	bin := buildBinary(t)
	_, tp := hostileCLI(t, bin, dashboardtest.Defaults())
	// Under `ulimit -n 64`, as in the report: a leak of ~2 sockets per
	// sync failed every sync after the 28th with "too many open files".
	cmd := exec.Command("sh", "-c", `ulimit -n 64 && exec "$0" "$@"`,
		tp.bin, "watch", "--interval", "100ms", "-o", "json", "--health-addr", "127.0.0.1:0", "--log-format", "json")
	cmd.Env = tp.env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Addr != "" {
				addr <- line.Addr
			}
		}
	}()
	var metricsURL string
	select {
	case a := <-addr:
		metricsURL = "http://" + a + "/metrics"
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not say where it serves /metrics")
	}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	goroutines := func() int {
		res, err := hc.Get(metricsURL)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
				n, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatal(err)
				}
				return int(n)
			}
		}
		t.Fatal("no go_goroutines in /metrics")
		return 0
	}
	fds := func() int {
		ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	type sample struct{ syncs, fds, goroutines int }
	var samples []sample
	syncs := 0
	sc := bufio.NewScanner(stdout)
	for syncs < 200 && sc.Scan() {
		var r struct {
			Status string `json:"status"`
			Error  string `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("not a sync result: %q", sc.Text())
		}
		if r.Status != "ok" {
			t.Fatalf("sync %d: %s %s", syncs+1, r.Status, r.Error)
		}
		syncs++
		if syncs == 20 || syncs%60 == 0 || syncs == 200 {
			samples = append(samples, sample{syncs, fds(), goroutines()})
		}
	}
	if syncs < 200 {
		t.Fatalf("only %d syncs", syncs)
	}
	t.Logf("syncs, open fds, goroutines: %v", samples)
	warm := samples[0]
	for _, s := range samples[1:] {
		if s.fds > warm.fds+4 || s.goroutines > warm.goroutines+6 {
			t.Fatalf("after %d syncs %d fds and %d goroutines; after %d: %d and %d (all: %v)", s.syncs, s.fds, s.goroutines, warm.syncs, warm.fds, warm.goroutines, samples)
		}
	}
}

// runWithin runs the binary as tool.run does, but kills it after d and
// fails the test: a hostile Dashboard could keep a build without the
// bounds running for ever.
func runWithin(tp *tool, d time.Duration, args ...string) result {
	tp.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, tp.bin, args...)
	cmd.Env = tp.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		tp.t.Fatalf("%v still running after %v: killed", args, d)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		tp.t.Fatal(err)
	}
	return r
}

// failedFetch checks that a sync against a hostile Dashboard failed as a
// fetch: exit 1, the last stderr line one sentence naming the provider
// and holding want, the catalogue as it was, the failure recorded.
func failedFetch(t *testing.T, tp *tool, r result, before, want string) {
	t.Helper()
	t.Logf("stderr: %s", r.stderr)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "tykportal: ") || !strings.Contains(last, "prod") || !strings.Contains(r.stderr, want) {
		t.Fatalf("stderr %q: want one sentence naming prod with %q", r.stderr, want)
	}
	if after := tp.must("products", "list", "--all", "-o", "json"); after != before {
		t.Fatalf("the failed sync changed the catalogue:\n%s\nwas\n%s", after, before)
	}
	if status := tp.must("status", "-o", "json"); !strings.Contains(status, `"last_sync_status": "failed"`) {
		t.Fatalf("the failed outcome was not recorded: %s", status)
	}
}

// listRequests counts the simulator's policy list requests.
func listRequests(sim *dashboardtest.Sim) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Method == "GET" && r.Path == "/api/portal/policies" {
			n++
		}
	}
	return n
}

// TestHostileClaimsPages: a Dashboard claiming a billion pages (of one
// answer, or paged) is refused at its first answer, not asked page after
// page for ever; one claiming more pages than it has fails at the first
// page short of the claim.
func TestHostileClaimsPages(t *testing.T) {
	bin := buildBinary(t)
	tests := []struct {
		name     string
		legacy   bool
		pages    int
		want     string
		maxCalls int
	}{
		{"a billion pages, one answer", false, 1e9, "claims more items than a list may hold", 1},
		{"a billion pages, paged", true, 1e9, "claims more items than a list may hold", 1},
		{"40,000 pages, paged", true, 40_000, "the Dashboard's pages do not add up", 1 + 3*8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim, tp := hostileCLI(t, bin, dashboardtest.Options{UsersMe: true, Legacy: tc.legacy, PageSize: 5})
			tp.must("sync")
			before := tp.must("products", "list", "--all", "-o", "json")
			calls := listRequests(sim)
			sim.SetFault("GET", "/api/portal/policies", 0, dashboardtest.Fault{ClaimPages: tc.pages})
			r := runWithin(tp, 10*time.Second, "sync")
			if n := listRequests(sim) - calls; n > tc.maxCalls {
				t.Fatalf("%d list requests, want at most %d", n, tc.maxCalls)
			}
			sim.ClearFaults()
			failedFetch(t, tp, r, before, tc.want)
		})
	}
}

// TestHostileSignalWhilePaging: SIGTERM ends a sync within a second,
// whether the Dashboard claims a billion pages or its pages hang.
func TestHostileSignalWhilePaging(t *testing.T) {
	bin := buildBinary(t)
	tests := []struct {
		name   string
		faults map[int]dashboardtest.Fault
	}{
		{"a billion pages", map[int]dashboardtest.Fault{0: {ClaimPages: 1e9}}},
		{"40,000 pages that hang", map[int]dashboardtest.Fault{1: {ClaimPages: 40_000}, 0: {ClaimPages: 40_000, Latency: time.Minute}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim, tp := hostileCLI(t, bin, dashboardtest.Options{UsersMe: true, Legacy: true, PageSize: 5})
			for _, page := range []int{1, 0} { // page 1's rule first: rules match in order
				if f, ok := tc.faults[page]; ok {
					sim.SetFault("GET", "/api/portal/policies", page, f)
				}
			}
			cmd := tp.start("", nil, "sync")
			time.Sleep(time.Second)
			_ = cmd.Process.Signal(syscall.SIGTERM)
			signalled := time.Now()
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
			if took := time.Since(signalled); took > time.Second {
				t.Fatalf("the sync ended %v after SIGTERM, want within a second", took)
			}
			if code := cmd.ProcessState.ExitCode(); code == 0 {
				t.Fatal("exit 0: the sync cannot have succeeded")
			}
		})
	}
}

// TestHostileShortPage: a Dashboard that ignores p<0 and answers a page
// short (empty, null, or claiming another page count) fails the fetch:
// nothing hidden, exit 1, where it once gave status ok and hid the
// products of the missing page.
func TestHostileShortPage(t *testing.T) {
	bin := buildBinary(t)
	tests := []struct {
		name  string
		page  int
		fault dashboardtest.Fault
	}{
		{"page 2 empty", 2, dashboardtest.Fault{ShortPage: "empty"}},
		{"page 2 null", 2, dashboardtest.Fault{ShortPage: "null"}},
		{"page 2 claims 1 page", 2, dashboardtest.Fault{ClaimPages: 1}},
		{"page 2 empty, claims 2 pages", 2, dashboardtest.Fault{ShortPage: "empty", ClaimPages: 2}},
		{"page 3 claims 3 pages", 3, dashboardtest.Fault{ClaimPages: 3}},
		{"last page empty", 4, dashboardtest.Fault{ShortPage: "empty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// 19 policies in pages of 5: 5, 5, 5, 4.
			sim, tp := hostileCLI(t, bin, dashboardtest.Options{UsersMe: true, Legacy: true, PageSize: 5})
			tp.must("sync")
			before := tp.must("products", "list", "--all", "-o", "json")
			sim.SetFault("GET", "/api/portal/policies", tc.page, tc.fault)
			r := runWithin(tp, 10*time.Second, "sync")
			sim.ClearFaults()
			failedFetch(t, tp, r, before, "the Dashboard's pages do not add up")
		})
	}
}

// TestHostileRetryAfter: a 429 asking to retry after an hour fails the
// sync within --timeout, saying what was asked, instead of waiting
// 3 x 30 s.
func TestHostileRetryAfter(t *testing.T) {
	bin := buildBinary(t)
	sim, tp := hostileCLI(t, bin, dashboardtest.Defaults())
	tp.must("sync")
	before := tp.must("products", "list", "--all", "-o", "json")
	sim.SetFault("GET", "/api/portal/policies", 0, dashboardtest.Fault{Status: 429, RetryAfter: 3600})
	r := runWithin(tp, 30*time.Second, "--timeout", "2s", "sync")
	sim.ClearFaults()
	if r.took > 4*time.Second {
		t.Fatalf("the sync took %v with --timeout 2s", r.took)
	}
	failedFetch(t, tp, r, before, "asks to retry after 1h0m0s, past the 2s request timeout")
}

// TestHostileEchoesSecret: a Dashboard that puts the secret into its error
// bodies, verbatim, base64, hex or URL-encoded, never gets it printed, by
// any command, in any output format.
func TestHostileEchoesSecret(t *testing.T) {
	bin := buildBinary(t)
	const secret = "s3cr3t/k+y=&?x~é"
	b := []byte(secret)
	forms := []string{
		secret, base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		hex.EncodeToString(b), url.QueryEscape(secret),
	}
	sim, srv := seedSim(t, dashboardtest.Defaults())
	sim.AddUser(dashboardtest.User{OrgID: "5fd08e0f69710900018bc195", AccessKey: secret, Active: true})
	tp := newCLI(t, bin, "TYKPORTAL_SECRET_PROD="+secret)
	tp.must("provider", "add", "prod", "--url", srv.URL, "--policy-tags", "portal")
	type run struct {
		status int
		args   []string
	}
	runs := []run{{400, []string{"sync"}}, {400, []string{"sync", "-o", "json"}}, {400, []string{"provider", "test", "prod"}},
		{400, []string{"apis", "list", "--provider", "prod"}}, {500, []string{"sync"}}} // a 500 is retried first
	for _, enc := range []string{"verbatim", "base64", "hex", "url"} {
		for _, rn := range runs {
			status, args := rn.status, rn.args
			sim.ClearFaults()
			sim.SetFault("", "/api/portal/policies", 0, dashboardtest.Fault{EchoSecret: enc, Status: status})
			sim.SetFault("", "/api/apis", 0, dashboardtest.Fault{EchoSecret: enc, Status: status})
			r := runWithin(tp, 30*time.Second, args...)
			if r.code == 0 {
				t.Fatalf("%s %d %v: exit 0", enc, status, args)
			}
			if !strings.Contains(r.stdout+r.stderr, "[secret]") {
				t.Fatalf("%s %d %v: the echoed message is not shown scrubbed: %s%s", enc, status, args, r.stdout, r.stderr)
			}
			for _, f := range forms {
				if strings.Contains(strings.ToLower(r.stdout+r.stderr), strings.ToLower(f)) {
					t.Fatalf("%s %d %v: the secret is printed (%s):\n%s%s", enc, status, args, f, r.stdout, r.stderr)
				}
			}
		}
	}
	// and nothing of it reached the state file
	db, err := os.ReadFile(tp.dbPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range forms {
		if bytes.Contains(db, []byte(f)) {
			t.Fatalf("the state file holds the secret (%s)", f)
		}
	}
}

// TestHostileProxyIgnored: HTTPS_PROXY and HTTP_PROXY (either case) are
// not used: the secret goes to the Dashboard only, never to a proxy that
// the environment names. The provider's host does not resolve, so a
// client that used the proxy would reach it (and it counts connections);
// tykportal instead fails to reach the Dashboard.
func TestHostileProxyIgnored(t *testing.T) {
	bin := buildBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conn.Close()
		}
	}()
	proxy := "http://" + ln.Addr().String()
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			accepted.Store(0)
			tp := newCLI(t, bin, "TYKPORTAL_SECRET_PROD="+hostileSecret,
				"HTTPS_PROXY="+proxy, "HTTP_PROXY="+proxy, "https_proxy="+proxy, "http_proxy="+proxy,
				"ALL_PROXY="+proxy, "NO_PROXY=", "no_proxy=")
			tp.must("provider", "add", "prod", "--url", scheme+"://dashboard.invalid:8443", "--skip-check")
			r := runWithin(tp, 30*time.Second, "--timeout", "2s", "sync")
			if r.code != 1 {
				t.Fatalf("exit %d, want 1 (the Dashboard's host does not resolve): %s", r.code, r.stderr)
			}
			if n := accepted.Load(); n != 0 {
				t.Fatalf("the proxy from the environment was connected to %d times", n)
			}
		})
	}
}
