package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A command a signal ended exits 128 + its number and says "interrupted",
// not the error it stopped with ("context canceled").
func TestMainInterrupted(t *testing.T) {
	tests := []struct {
		name  string
		cause error
		want  int
	}{
		{"Ctrl-C", &Interrupted{Signal: syscall.SIGINT}, 130},
		{"SIGTERM", &Interrupted{Signal: syscall.SIGTERM}, 143},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, w := io.Pipe() // a secret that never comes
			defer w.Close()
			var out, errOut bytes.Buffer
			env := map[string]string{"TYKPORTAL_DB": filepath.Join(t.TempDir(), "t.db"), "TYKPORTAL_SECRET_STORE": "file"}
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(tc.cause)
			code := Main(ctx, []string{"provider", "add", "prod", "--url", "http://127.0.0.1:1", "--secret-stdin", "--skip-check"},
				Streams{In: r, Out: &out, Err: &errOut}, func(k string) string { return env[k] }, BuildInfo{})
			if code != tc.want || strings.TrimSpace(errOut.String()) != "tykportal: interrupted" || out.Len() != 0 {
				t.Fatalf("exit %d, stderr %q, stdout %q; want exit %d, tykportal: interrupted", code, errOut.String(), out.String(), tc.want)
			}
		})
	}
	// A command that failed on its own, with the context alive, keeps its
	// own error and code.
	var errOut bytes.Buffer
	code := Main(context.Background(), []string{"provider", "show", "Bad Name"}, Streams{In: strings.NewReader(""), Out: io.Discard, Err: &errOut},
		func(string) string { return "" }, BuildInfo{})
	if code == 130 || strings.Contains(errOut.String(), "interrupted") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestWithInterruption(t *testing.T) {
	sigint := &Interrupted{Signal: syscall.SIGINT}
	interrupted, cancel := context.WithCancelCause(context.Background())
	cancel(sigint)
	timedOut, cancel2 := context.WithTimeout(context.Background(), 0)
	defer cancel2()
	own := fmt.Errorf("%w; the Dashboard may have created the policy anyway: run `tykportal doctor` to check (operation 1)", sigint)
	tests := []struct {
		name     string
		ctx      context.Context
		err      error
		want     string
		wantCode int
	}{
		{"no error", interrupted, nil, "", 0},
		{"a request cancelled by the signal", interrupted, fmt.Errorf("GET /api/portal/policies: %w", context.Canceled), "interrupted", 130},
		{"an error that says it with what to do", interrupted, own, own.Error(), 130},
		{"no signal: the error as it is", context.Background(), errors.New("the Dashboard failed (500)"), "the Dashboard failed (500)", 1},
		{"a timeout is no interruption", timedOut, context.DeadlineExceeded, "context deadline exceeded", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := withInterruption(tc.ctx, tc.err)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want || ExitCode(err) != tc.wantCode {
				t.Fatalf("%q (exit %d), want %q (exit %d)", got, ExitCode(err), tc.want, tc.wantCode)
			}
		})
	}
}
