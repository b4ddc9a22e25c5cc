package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
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
			err := cmd.Wait()
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			peak := ru.Maxrss << 10 // KiB on Linux
			t.Logf("endless %s: exit %v, peak RSS %d MiB", kind, err, peak>>20)
			if cmd.ProcessState.ExitCode() != 1 {
				t.Fatalf("exit %d, want 1", cmd.ProcessState.ExitCode())
			}
			if peak > 512<<20 {
				t.Fatalf("peak RSS %d MiB, want within ~2x the 256 MiB cap", peak>>20)
			}
		})
	}
}

// TestHostileWatchSoak: watch over ~200 syncs holds its sockets and
// goroutines flat: one Dashboard client per provider for the loop's life,
// not a new connection pool (and its idle sockets) per sync.
func TestHostileWatchSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("a 200-sync soak")
	}
	bin := buildBinary(t)
	_, tp := hostileCLI(t, bin, dashboardtest.Defaults())
	cmd := exec.Command(tp.bin, "watch", "--interval", "100ms", "-o", "json", "--health-addr", "127.0.0.1:0", "--log-format", "json")
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
