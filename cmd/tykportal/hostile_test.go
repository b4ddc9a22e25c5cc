package main

import (
	"syscall"
	"testing"

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
