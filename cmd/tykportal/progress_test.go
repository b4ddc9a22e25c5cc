package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// runWithTTYStderr runs the binary with its stderr on a new pseudo-terminal
// (stdout on a pipe) and returns what each received and the exit code.
func (c *tool) runWithTTYStderr(args ...string) (stdout, terminal string, code int) {
	c.t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		c.t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(c.env[:len(c.env):len(c.env)], "TERM=xterm")
	var out bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), &out, tty
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	tty.Close() // the child holds it now; EOF on ptmx when it exits
	var seen bytes.Buffer
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, err := io.Copy(&seen, ptmx)
		// Linux answers the last read of a closed terminal with EIO.
		if err != nil && !errors.Is(err, syscall.EIO) && !errors.Is(err, os.ErrClosed) {
			c.t.Errorf("read the terminal: %v", err)
		}
	}()
	err = cmd.Wait()
	<-copied
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	return out.String(), seen.String(), code
}

// A sync that takes longer than a second shows on a terminal's stderr what
// each provider does, erases it before the table, and never shows it with
// -o json or -q or on a pipe.
func TestProgressOnlyOnATerminal(t *testing.T) {
	bin := buildBinary(t)
	sim, srv := seedSim(t, dashboardtest.Defaults())
	c := newCLI(t, bin, "TYKPORTAL_SECRET_PROD="+applySecret, "TYKPORTAL_SECRET_STORE=file")
	c.must("provider", "add", "prod", "--url", srv.URL, "--policy-tags", "portal")
	slow := func() {
		sim.ClearFaults()
		sim.SetFault("GET", "/api/portal/policies", 0, dashboardtest.Fault{Latency: 1800 * time.Millisecond})
	}

	slow()
	stdout, terminal, code := c.runWithTTYStderr("sync")
	if code != 0 {
		t.Fatalf("sync: exit %d; terminal:\n%q", code, terminal)
	}
	if !strings.Contains(terminal, "sync: prod fetching") {
		t.Fatalf("no progress on the terminal:\n%q", terminal)
	}
	if !strings.HasSuffix(terminal, "\r\x1b[K") && !strings.Contains(terminal, "\r\x1b[K\r\n") {
		t.Errorf("the progress line was not erased at the end:\n%q", terminal)
	}
	if strings.Contains(stdout, "fetching") || !strings.Contains(stdout, "prod") {
		t.Errorf("stdout holds progress or lacks the table:\n%s", stdout)
	}

	for _, args := range [][]string{{"sync", "-o", "json"}, {"sync", "-q"}, {"sync", "-o", "yaml"}} {
		slow()
		_, terminal, code := c.runWithTTYStderr(args...)
		if code != 0 || strings.Contains(terminal, "fetching") || strings.Contains(terminal, "\x1b[K") {
			t.Errorf("%v: exit %d, progress shown:\n%q", args, code, terminal)
		}
	}

	slow()
	r := c.run("sync")
	if r.code != 0 || strings.Contains(r.stderr, "fetching") || strings.Contains(r.stderr, "\r") {
		t.Errorf("sync with stderr on a pipe: exit %d, stderr %q", r.code, r.stderr)
	}
}
