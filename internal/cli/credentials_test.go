package cli

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// The credentials commands' flags parse into the use cases' options
// without running them (gh's runF); bad input is a usage error (exit 2)
// before anything runs.

func TestCredIssueFlags(t *testing.T) {
	base := []string{"--product", "3", "--plan", "4", "--consumer", "dev@example.com"}
	tests := []struct {
		name string
		args []string
		want portal.IssueOptions
		err  string // a usage error saying this
	}{
		{"all flags", append(base, "--alias", "ops-key", "--redirect-uri", "https://app.example.com/cb"),
			portal.IssueOptions{ProductID: 3, PlanID: 4, Consumer: "dev@example.com", Alias: "ops-key", RedirectURI: "https://app.example.com/cb"}, ""},
		{"alias left to the use case", base, portal.IssueOptions{ProductID: 3, PlanID: 4, Consumer: "dev@example.com"}, ""},
		{"no product", []string{"--plan", "4", "--consumer", "dev@example.com"}, portal.IssueOptions{}, "--product and --plan are required"},
		{"no plan", []string{"--product", "3", "--consumer", "dev@example.com"}, portal.IssueOptions{}, "--product and --plan are required"},
		{"product id 0", []string{"--product", "0", "--plan", "4", "--consumer", "dev@example.com"}, portal.IssueOptions{}, `product id "0" is not a positive whole number`},
		{"plan id not a number", []string{"--product", "3", "--plan", "gold", "--consumer", "dev@example.com"}, portal.IssueOptions{}, `plan id "gold" is not a positive whole number`},
		{"no consumer", []string{"--product", "3", "--plan", "4"}, portal.IssueOptions{}, "--consumer is required"},
		{"consumer not an e-mail", []string{"--product", "3", "--plan", "4", "--consumer", "not-an-email"}, portal.IssueOptions{}, "not a valid e-mail address"},
		{"consumer with a name", []string{"--product", "3", "--plan", "4", "--consumer", "Dev <dev@example.com>"}, portal.IssueOptions{}, "not a valid e-mail address"},
		{"blank alias", append(base, "--alias", "  "), portal.IssueOptions{}, "--alias is empty"},
		{"redirect URI without a scheme", append(base, "--redirect-uri", "app.example.com/cb"), portal.IssueOptions{}, "--redirect-uri"},
		{"a positional argument", append(base, "extra"), portal.IssueOptions{}, "unknown command"},
		{"an unknown flag", append(base, "--key", "k"), portal.IssueOptions{}, "unknown flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _, _ := testApp(nil)
			var got *portal.IssueOptions
			cmd := newCredIssueCmd(a, func(_ context.Context, o portal.IssueOptions) error { got = &o; return nil })
			err := execute(cmd, tc.args)
			if tc.err != "" {
				checkUsageError(t, err, tc.err)
				if got != nil {
					t.Errorf("ran with %+v", *got)
				}
				return
			}
			if err != nil || got == nil || *got != tc.want {
				t.Fatalf("%v: %+v, want %+v", err, got, tc.want)
			}
		})
	}
}

func TestCredListFlags(t *testing.T) {
	tests := []struct {
		args []string
		want repo.CredentialFilter
		err  string
	}{
		{nil, repo.CredentialFilter{}, ""},
		{[]string{"--product", "5", "--consumer", "dev@example.com", "--provider", "prod"}, repo.CredentialFilter{ProductID: 5, Consumer: "dev@example.com", Provider: "prod"}, ""},
		{[]string{"--product", "x"}, repo.CredentialFilter{}, `product id "x" is not a positive whole number`},
		{[]string{"--product", "-1"}, repo.CredentialFilter{}, "is not a positive whole number"},
		{[]string{"extra"}, repo.CredentialFilter{}, "unknown command"},
	}
	for _, tc := range tests {
		a, _, _ := testApp(nil)
		var got *repo.CredentialFilter
		cmd := newCredListCmd(a, func(_ context.Context, f repo.CredentialFilter) error { got = &f; return nil })
		err := execute(cmd, tc.args)
		if tc.err != "" {
			checkUsageError(t, err, tc.err)
			if got != nil {
				t.Errorf("%v: ran with %+v", tc.args, *got)
			}
			continue
		}
		if err != nil || got == nil || *got != tc.want {
			t.Errorf("%v: %+v %v, want %+v", tc.args, got, err, tc.want)
		}
	}
}

func TestCredIDArguments(t *testing.T) {
	commands := map[string]func(a *App, ran func(id uint64)) *cobra.Command{
		"show": func(a *App, ran func(uint64)) *cobra.Command {
			return newCredShowCmd(a, func(_ context.Context, id uint64) error { ran(id); return nil })
		},
		"rotate": func(a *App, ran func(uint64)) *cobra.Command {
			return newCredRotateCmd(a, func(_ context.Context, id uint64) error { ran(id); return nil })
		},
		"revoke": func(a *App, ran func(uint64)) *cobra.Command {
			return newCredRevokeCmd(a, func(_ context.Context, o credRevokeOptions) error { ran(o.id); return nil })
		},
	}
	tests := []struct {
		args []string
		want uint64
		err  string
	}{
		{[]string{"7"}, 7, ""},
		{[]string{"0"}, 0, `credential id "0" is not a positive whole number`},
		{[]string{"x"}, 0, `credential id "x" is not a positive whole number`},
		{[]string{"1.5"}, 0, "is not a positive whole number"},
		{nil, 0, "accepts 1 arg(s), received 0"},
		{[]string{"1", "2"}, 0, "accepts 1 arg(s), received 2"},
	}
	for name, mk := range commands {
		for _, tc := range tests {
			a, _, _ := testApp(nil)
			var got uint64
			ran := false
			cmd := mk(a, func(id uint64) { got, ran = id, true })
			err := execute(cmd, tc.args)
			if tc.err != "" {
				checkUsageError(t, err, tc.err)
				if ran {
					t.Errorf("%s %v: ran", name, tc.args)
				}
				continue
			}
			if err != nil || got != tc.want {
				t.Errorf("%s %v: id %d, err %v", name, tc.args, got, err)
			}
		}
	}
}

func TestCredRevokeFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want credRevokeOptions
	}{
		{[]string{"3"}, credRevokeOptions{id: 3}},
		{[]string{"3", "--yes"}, credRevokeOptions{id: 3, yes: true}},
		{[]string{"-y", "3"}, credRevokeOptions{id: 3, yes: true}},
	} {
		a, _, _ := testApp(nil)
		var got *credRevokeOptions
		cmd := newCredRevokeCmd(a, func(_ context.Context, o credRevokeOptions) error { got = &o; return nil })
		if err := execute(cmd, tc.args); err != nil || got == nil || *got != tc.want {
			t.Errorf("%v: %+v %v, want %+v", tc.args, got, err, tc.want)
		}
	}
}

// execute runs a command as the root does: cobra's own argument and flag
// errors become usage errors.
func execute(cmd *cobra.Command, args []string) error {
	wrapArgs(cmd)
	cmd.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageErrorf("%v", err) })
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.Execute()
}

func checkUsageError(t *testing.T, err error, text string) {
	t.Helper()
	if err == nil || ExitCode(err) != 2 || !strings.Contains(err.Error(), text) {
		t.Errorf("error %v (exit %d), want a usage error saying %q", err, ExitCode(err), text)
	}
}

// Through the whole command line, bad input exits 2 with one sentence and
// opens nothing: the state file is not even created.
func TestCredBadInputOpensNothing(t *testing.T) {
	db := t.TempDir() + "/state/t.db"
	for _, args := range [][]string{
		{"credentials", "issue", "--product", "1", "--plan", "1", "--consumer", "not-an-email"},
		{"credentials", "issue", "--product", "1", "--consumer", "dev@example.com"},
		{"credentials", "list", "--product", "one"},
		{"credentials", "show", "0"},
		{"credentials", "revoke", "x", "--yes"},
		{"credentials", "rotate", "1", "2"},
	} {
		a, out, errOut := testApp(map[string]string{"TYKPORTAL_DB": db})
		if code := Main(context.Background(), args, a.IO, a.Getenv, BuildInfo{}); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
		}
		if out.Len() != 0 || strings.Count(errOut.String(), "\n") != 1 || !strings.HasPrefix(errOut.String(), "tykportal: ") {
			t.Errorf("%v: stdout %q stderr %q", args, out, errOut)
		}
		if _, err := os.Stat(db); !os.IsNotExist(err) {
			t.Fatalf("%v: the state file was created (%v)", args, err)
		}
	}
}
