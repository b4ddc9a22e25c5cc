//go:build linux

package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// The terminal tests run the real binary (and the demo) on a pseudo-
// terminal, as a person at a shell does: the prompt, its echo, and Ctrl-C
// as the terminal's line discipline turns it into SIGINT.

// ptyRun is one process on a fresh pty. The parent keeps the terminal's
// side open, to read its settings after the process ended.
type ptyRun struct {
	t      *testing.T
	cmd    *exec.Cmd
	ptmx   *os.File // the controller: what a terminal emulator holds
	tty    *os.File // the terminal the process runs on
	mu     gosync.Mutex
	out    bytes.Buffer
	exited chan error
}

func startPTY(t *testing.T, env []string, name string, args ...string) *ptyRun {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 250}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	// Its own session with the pty as controlling terminal: the process
	// group in the foreground, which Ctrl-C signals.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &ptyRun{t: t, cmd: cmd, ptmx: ptmx, tty: tty, exited: make(chan error, 1)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			r.mu.Lock()
			r.out.Write(buf[:n])
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { r.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		tty.Close()
		ptmx.Close()
	})
	return r
}

func (r *ptyRun) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// waitFor waits until the terminal shows text.
func (r *ptyRun) waitFor(text string, timeout time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(r.output(), text) {
		if time.Now().After(deadline) {
			r.t.Fatalf("the terminal never showed %q; it shows:\n%s", text, r.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// echo reports whether the terminal echoes what is typed.
func (r *ptyRun) echo() bool {
	r.t.Helper()
	tio, err := unix.IoctlGetTermios(int(r.tty.Fd()), unix.TCGETS)
	if err != nil {
		r.t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// waitEcho waits until the terminal's echo is on (or off).
func (r *ptyRun) waitEcho(on bool, timeout time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for r.echo() != on {
		if time.Now().After(deadline) {
			r.t.Fatalf("the terminal's echo never turned %v", map[bool]string{true: "on", false: "off"}[on])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// wait waits for the process to end and returns its exit code and how
// long that took.
func (r *ptyRun) wait(timeout time.Duration) (int, time.Duration) {
	r.t.Helper()
	start := time.Now()
	select {
	case err := <-r.exited:
		took := time.Since(start)
		time.Sleep(100 * time.Millisecond) // let the reader drain the pty
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, took
		case errors.As(err, &ee):
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				r.t.Fatalf("killed by %v instead of exiting; the terminal shows:\n%s", ws.Signal(), r.output())
			}
			return ee.ExitCode(), took
		default:
			r.t.Fatal(err)
		}
	case <-time.After(timeout):
		r.t.Fatalf("still running after %s; the terminal shows:\n%s", timeout, r.output())
	}
	return -1, 0
}

// ctrlC types Ctrl-C on the terminal.
func (r *ptyRun) ctrlC() {
	r.t.Helper()
	if _, err := r.ptmx.Write([]byte{0x03}); err != nil {
		r.t.Fatal(err)
	}
}

func stateFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// slowPolicies serves the seed simulator and closes started once a sync
// asks for the policies, which the fault then holds for a minute.
func slowPolicies(t *testing.T) (url string, started <-chan struct{}) {
	sim := dashboardtest.New(dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, Seed: 42})
	if err := sim.LoadDir("../../testdata/dashboard"); err != nil {
		t.Fatal(err)
	}
	sim.SetFault("GET", "/api/portal/policies", 0, dashboardtest.Fault{Latency: time.Minute})
	ch := make(chan struct{})
	var once gosync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/portal/policies" {
			once.Do(func() { close(ch) })
		}
		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, ch
}

func TestProviderAddInTerminal(t *testing.T) {
	bin := buildBinary(t)
	_, srv := seedSim(t, dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, Seed: 42})
	secretEnv := "TYKPORTAL_SECRET_PROD=demo-admin-key-org1"

	t.Run("the secret in the environment: no prompt", func(t *testing.T) {
		c := newCLI(t, bin, "TYKPORTAL_SECRET_STORE=file", secretEnv)
		r := startPTY(t, c.env, bin, "provider", "add", "prod", "--url", srv.URL)
		code, _ := r.wait(30 * time.Second)
		out := r.output()
		if code != 0 || strings.Contains(out, "input hidden") || !strings.Contains(out, "using TYKPORTAL_SECRET_PROD; nothing stored") {
			t.Fatalf("exit %d; the terminal shows:\n%s", code, out)
		}
		if got := c.must("provider", "show", "prod", "-o", "json"); !strings.Contains(got, `"secret_source": "env"`) {
			t.Errorf("provider show: %s", got)
		}
	})

	t.Run("Ctrl-C at the secret prompt", func(t *testing.T) {
		c := newCLI(t, bin, "TYKPORTAL_SECRET_STORE=file", "TYKPORTAL_SECRET_OTHER=demo-admin-key-org1")
		c.must("provider", "add", "other", "--url", srv.URL, "--skip-check")
		before := stateFile(t, c.dbPath())
		r := startPTY(t, c.env, bin, "provider", "add", "prod", "--url", srv.URL)
		r.waitFor("input hidden", 30*time.Second)
		r.waitEcho(false, 5*time.Second)
		r.ctrlC()
		code, took := r.wait(10 * time.Second)
		out := r.output()
		if code != 130 || !strings.Contains(out, "tykportal: interrupted") {
			t.Fatalf("exit %d after %s; the terminal shows:\n%s", code, took, out)
		}
		if !r.echo() {
			t.Error("the terminal's echo is still off after the interrupted prompt")
		}
		if after := stateFile(t, c.dbPath()); !bytes.Equal(before, after) {
			t.Error("the interrupted add changed the state file")
		}
		if _, err := os.Stat(filepath.Join(c.dir, "state", "secrets.json")); err == nil {
			t.Error("the interrupted add stored a secret")
		}
	})

	t.Run("Ctrl-C at a confirmation", func(t *testing.T) {
		c := newCLI(t, bin, "TYKPORTAL_SECRET_STORE=file", secretEnv)
		c.must("provider", "add", "prod", "--url", srv.URL, "--skip-check")
		before := stateFile(t, c.dbPath())
		r := startPTY(t, c.env, bin, "provider", "remove", "prod")
		r.waitFor("[y/N]", 30*time.Second)
		r.ctrlC()
		code, took := r.wait(10 * time.Second)
		if out := r.output(); code != 130 || !strings.Contains(out, "tykportal: interrupted") {
			t.Fatalf("exit %d after %s; the terminal shows:\n%s", code, took, out)
		}
		if after := stateFile(t, c.dbPath()); !bytes.Equal(before, after) {
			t.Error("the interrupted remove changed the state file")
		}
	})

	for _, progressShown := range []bool{false, true} {
		name := "Ctrl-C during a sync"
		if progressShown {
			name += ", its progress line shown"
		}
		t.Run(name, func(t *testing.T) {
			ctrlCDuringSync(t, bin, secretEnv, progressShown)
		})
	}
}

func ctrlCDuringSync(t *testing.T, bin, secretEnv string, progressShown bool) {
	url, started := slowPolicies(t)
	c := newCLI(t, bin, "TYKPORTAL_SECRET_STORE=file", secretEnv)
	c.must("provider", "add", "prod", "--url", url, "--policy-tags", "portal")
	before := stateFile(t, c.dbPath())
	r := startPTY(t, c.env, bin, "sync")
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatalf("the sync never asked for the policies; the terminal shows:\n%s", r.output())
	}
	if progressShown {
		r.waitFor("prod fetching", 10*time.Second)
	}
	r.ctrlC()
	// The policies take a minute to come: only the interruption ends it sooner.
	code, took := r.wait(20 * time.Second)
	out := r.output()
	if code != 130 || !strings.Contains(out, "tykportal: interrupted") || strings.Contains(out, "context canceled") {
		t.Fatalf("exit %d after %s; the terminal shows:\n%s", code, took, out)
	}
	if after := stateFile(t, c.dbPath()); !bytes.Equal(before, after) {
		t.Error("the interrupted sync changed the state file")
	}
	if progressShown && !strings.HasSuffix(strings.TrimRight(out, "\r\n"), "\r\x1b[Ktykportal: interrupted") {
		t.Errorf("the progress line was not erased before the message: %q", out)
	}
	t.Logf("the sync ended %s after Ctrl-C", took)
}

// The demo runs in a terminal without asking anything: it sets the
// provider's secret in the environment.
func TestDemoInTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and runs the whole demo")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("the demo needs curl")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "TYKPORTAL_SECRET_STORE=", "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-dbus"), "TMPDIR="+t.TempDir())
	r := startPTY(t, env, "bash", filepath.Join(root, "scripts", "demo.sh"))
	code, took := r.wait(5 * time.Minute)
	out := r.output()
	if code != 0 || strings.Contains(out, "input hidden") || !strings.Contains(out, "using TYKPORTAL_SECRET_DEMO; nothing stored") {
		t.Fatalf("exit %d after %s; the terminal shows:\n%s", code, took, out)
	}
	// Each command is echoed as a shell reads it back: pasted into bash,
	// the line gives the very arguments the demo ran.
	for _, want := range [][]string{
		{"tykportal", "products", "edit", "1", "--display-name", "Weather Product (public)", "--description", "Published to partners by the demo"},
		{"curl", "-fsS", "-X", "POST", "", "-d", `{"remove":["portal"]}`},
	} {
		line := echoedLine(out, want[0]+" "+want[1]+" "+want[2])
		if line == "" {
			t.Fatalf("the demo never echoed %q; it shows:\n%s", want[:3], out)
		}
		got, err := exec.Command("bash", "-c", "for a in "+line+`; do printf '%s\n' "$a"; done`).Output()
		if err != nil {
			t.Fatalf("pasting %q: %v", line, err)
		}
		args := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
		if len(args) != len(want) {
			t.Fatalf("%q pastes as %q, want %q", line, args, want)
		}
		for i := range want {
			if want[i] != "" && args[i] != want[i] { // "" : the simulator's URL
				t.Errorf("%q pastes as %q, want %q", line, args, want)
			}
		}
	}
	t.Logf("the demo took %s", took)
}

// echoedLine finds the demo's "$ COMMAND..." line that starts with prefix
// and returns the command without the prompt and the bold escapes.
func echoedLine(out, prefix string) string {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(strings.NewReplacer("\x1b[1m", "", "\x1b[0m", "").Replace(line), "\r")
		if rest, ok := strings.CutPrefix(line, "$ "); ok && strings.HasPrefix(rest, prefix) {
			return rest
		}
	}
	return ""
}
