package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runMain(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"TYKPORTAL_DB": t.TempDir() + "/t.db", "HOME": t.TempDir()}
	code = Main(context.Background(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, func(k string) string { return env[k] }, BuildInfo{})
	return out.String(), errb.String(), code
}

// A command that reads only the local state lists no Dashboard flag in its
// help, and still accepts one from a script that passes it everywhere.
func TestLocalCommandsHideTheDashboardFlags(t *testing.T) {
	tests := []struct {
		args  []string
		shown bool
	}{
		{[]string{"status", "--help"}, false},
		{[]string{"products", "list", "--help"}, false},
		{[]string{"credentials", "list", "--help"}, false},
		{[]string{"sync", "--help"}, true},
		{[]string{"provider", "test", "--help"}, true},
		{[]string{"credentials", "issue", "--help"}, true},
	}
	for _, tt := range tests {
		out, _, code := runMain(t, tt.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d", tt.args, code)
		}
		for _, flag := range []string{"--timeout", "--concurrency"} {
			if got := strings.Contains(out, flag); got != tt.shown {
				t.Errorf("%v: %s shown %v, want %v", tt.args, flag, got, tt.shown)
			}
		}
	}
	if _, stderr, code := runMain(t, "status", "--timeout", "5s", "--concurrency", "2"); code != 0 {
		t.Fatalf("status with the global flags: exit %d: %s", code, stderr)
	}
}

// "Did you mean" keeps cobra's line breaks: the error on one line, then
// the suggestion on lines of its own.
func TestDidYouMeanKeepsItsLines(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"sycn"}, "tykportal: unknown command \"sycn\" for \"tykportal\" (see `tykportal --help`)\n\nDid you mean this?\n\tsync\n"},
		{[]string{"provider", "sohw"}, "tykportal: unknown command \"sohw\" for \"tykportal provider\" (see `tykportal provider --help`)\n\nDid you mean this?\n\tshow\n"},
		{[]string{"frobnicate"}, "tykportal: unknown command \"frobnicate\" for \"tykportal\" (see `tykportal --help`)\n"},
	} {
		_, stderr, code := runMain(t, tt.args...)
		if code != 2 || stderr != tt.want {
			t.Errorf("%v: exit %d, stderr\n%q\nwant\n%q", tt.args, code, stderr, tt.want)
		}
	}
}
