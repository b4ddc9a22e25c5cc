package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// The Go-driven end-to-end tests (fault matrix, bad input, crashes,
// concurrency) run the real binary many times: they build it once, without
// the race detector, and drive it through a tool.

// buildBinary builds tykportal into a temporary directory.
func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tykportal")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// seedSim serves a simulator with the seed data on 127.0.0.1.
func seedSim(t testing.TB, opts dashboardtest.Options) (*dashboardtest.Sim, *httptest.Server) {
	t.Helper()
	sim := dashboardtest.New(opts)
	if err := sim.LoadDir("../../testdata/dashboard"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return sim, srv
}

// tool runs the binary with a state file of its own in dir.
type tool struct {
	t   testing.TB
	bin string
	dir string
	env []string
}

// newCLI gives a tool whose state file lives in a fresh directory; env adds
// to (and overrides) the test's environment.
func newCLI(t testing.TB, bin string, env ...string) *tool {
	dir := t.TempDir()
	base := append(os.Environ(), "TYKPORTAL_DB="+filepath.Join(dir, "state", "t.db"), "HOME="+dir, "NO_COLOR=1")
	return &tool{t: t, bin: bin, dir: dir, env: append(base, env...)}
}

func (c *tool) dbPath() string { return filepath.Join(c.dir, "state", "t.db") }

// result is what one run left.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

// runIn runs the binary with stdin in a working directory ("" for the
// test's own) and returns how it ended; only a failure to start it fails
// the test.
func (c *tool) runIn(dir, stdin string, args ...string) result {
	cmd := exec.Command(c.bin, args...)
	cmd.Env, cmd.Dir = c.env, dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// run runs the binary without input.
func (c *tool) run(args ...string) result { return c.runIn("", "", args...) }

// must runs the binary and fails the test unless it exits 0; it returns stdout.
func (c *tool) must(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
	}
	return r.stdout
}

// start starts the binary in the background in dir ("" for the test's
// own), its stderr into stderr when given.
func (c *tool) start(dir string, stderr *bytes.Buffer, args ...string) *exec.Cmd {
	cmd := exec.Command(c.bin, args...)
	cmd.Env, cmd.Dir = c.env, dir
	if stderr != nil {
		cmd.Stderr = stderr
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	return cmd
}
