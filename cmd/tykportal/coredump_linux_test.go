package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
)

// TestCrashRevealsNoSecret crashes `credentials issue` with SIGQUIT and
// GOTRACEBACK=crash at the moment it holds both the Dashboard secret and a
// freshly issued key in memory (the key is created, the local write waits
// for the state file). The goroutine dump on stderr names neither, the
// process runs with a core size limit of 0, and no core file is written
// where a core-dumping control process in the same place does write one.
func TestCrashRevealsNoSecret(t *testing.T) {
	const canarySecret = "canary-secret-3c1f9e-never-in-a-trace"
	const org = "5fd08e0f69710900018bc195"
	bin := buildBinary(t)
	// Allow core files for the children, as a careless shell would.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_CORE, &lim); err != nil {
		t.Fatal(err)
	}
	saved := lim
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_CORE, &lim); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_CORE, &saved)

	sim, srv := seedSim(t, dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, Seed: 31})
	sim.AddUser(dashboardtest.User{OrgID: org, Email: "canary@example.com", AccessKey: canarySecret, Active: true})
	c := newCLI(t, bin, "TYKPORTAL_SECRET_PROD="+canarySecret, "TYKPORTAL_LOCK_TIMEOUT=20s", "GOTRACEBACK=crash")
	dbPath, must := c.dbPath(), c.must
	must("provider", "add", "prod", "--url", srv.URL, "--policy-tags", "portal")
	must("sync")
	var products, plans []struct {
		ID   uint64 `json:"id"`
		Name string `json:"name"`
	}
	decode(t, must("products", "list", "-o", "json"), &products)
	decode(t, must("plans", "list", "-o", "json"), &plans)
	pay, gold := idNamed(t, products, "Payments Product"), idNamed(t, plans, "Gold Plan")
	must("products", "publish", itoa(pay))
	must("plans", "publish", itoa(gold))

	// The key is created, then its answer waits 1 s; meanwhile this test
	// takes the state file, so the command then waits holding the key.
	sim.SetFault("POST", "/api/keys", 0, dashboardtest.Fault{Hold: time.Second})
	crashDir := t.TempDir()
	var stderr bytes.Buffer
	cmd := c.start(crashDir, &stderr, "credentials", "issue", "--product", itoa(pay), "--plan", itoa(gold), "--consumer", "dev@example.com")
	for deadline := time.Now().Add(10 * time.Second); len(sim.Keys("")) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the key was never created")
		}
	}
	db, err := boltstore.Open(context.Background(), dbPath, boltstore.Options{LockTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	time.Sleep(1500 * time.Millisecond) // the answer arrives; the write waits for the file

	limits, err := os.ReadFile(filepath.Join("/proc", itoa(uint64(cmd.Process.Pid)), "limits"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^Max core file size\s+0\s`).Match(limits) {
		t.Fatalf("tykportal runs with a core size limit:\n%s", limits)
	}
	if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	trace := stderr.String()
	if !strings.Contains(trace, "goroutine ") {
		t.Fatalf("no goroutine dump on stderr: %q", trace)
	}
	if strings.Contains(trace, canarySecret) {
		t.Fatal("the secret is in the crash trace")
	}
	if m := regexp.MustCompile(org + `[0-9a-f]{32}`).FindString(trace); m != "" {
		t.Fatal("a plaintext key is in the crash trace")
	}
	if cores := coreFiles(t, crashDir); len(cores) > 0 {
		t.Fatalf("tykportal left a core file: %v", cores)
	}

	// Control: a process that does not refuse core dumps, same limit, same
	// kind of directory. Where it leaves no core either, this machine sends
	// cores elsewhere and the check above proved only the limit.
	controlDir := t.TempDir()
	ctl := exec.Command("sleep", "30")
	ctl.Dir = controlDir
	if err := ctl.Start(); err != nil {
		t.Skipf("no control process: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	_ = ctl.Process.Signal(syscall.SIGQUIT)
	_ = ctl.Wait()
	if len(coreFiles(t, controlDir)) == 0 {
		pattern, _ := os.ReadFile("/proc/sys/kernel/core_pattern")
		t.Logf("the control process left no core here either (core_pattern %q): the core size limit is what was checked", strings.TrimSpace(string(pattern)))
		return
	}
	t.Logf("a control process left a core file; tykportal, crashed holding a secret and a key, left none")
}

func coreFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() == "core" || strings.HasPrefix(e.Name(), "core.") {
			out = append(out, e.Name())
		}
	}
	return out
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
