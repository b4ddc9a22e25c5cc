package cli

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/provider"
)

// The flags of `provider add` parse into the use case's options without
// running it (gh's runF).
func TestProviderAddFlags(t *testing.T) {
	tests := []struct {
		args     []string
		want     provider.Provider
		skip     bool
		wantErr  string
		wantCode catalog.Code
	}{
		{args: []string{"prod", "--url", "HTTPS://Dash.Example.COM:3000/"}, want: provider.Provider{Name: "prod", URL: "https://dash.example.com:3000"}},
		{args: []string{"prod", "--url", "https://d.example.com", "--gateway-url", "https://gw.example.com/", "--org-id", "org1",
			"--policy-tags", "portal,public", "--insecure-skip-verify", "--skip-check"},
			want: provider.Provider{Name: "prod", URL: "https://d.example.com", GatewayURL: "https://gw.example.com", OrgID: "org1",
				PolicyTags: []string{"portal", "public"}, InsecureSkipVerify: true}, skip: true},
		{args: []string{"prod"}, wantErr: "--url is required", wantCode: catalog.CodeInvalid},
		{args: []string{"Prod", "--url", "https://d.example.com"}, wantErr: `provider name "Prod" is not allowed`, wantCode: catalog.CodeInvalid},
		{args: []string{"prod", "--url", "ftp://d.example.com"}, wantErr: "must start with http:// or https://", wantCode: catalog.CodeInvalid},
		{args: []string{"prod", "--url", "https://d.example.com", "--gateway-url", "gw"}, wantErr: "--gateway-url", wantCode: catalog.CodeInvalid},
		{args: []string{"prod", "--url", "https://d.example.com", "--policy-tags", "a, b"}, wantErr: "contains a space", wantCode: catalog.CodeInvalid},
		{args: []string{"prod", "--url", "https://d.example.com", "--policy-tags", "a,,b"}, wantErr: "empty item at position 2", wantCode: catalog.CodeInvalid},
		{args: []string{"prod", "--url", "https://d.example.com", "--org-id", "my org"}, wantErr: "contains spaces", wantCode: catalog.CodeInvalid},
		{args: []string{"prod", "--url", "https://d.example.com", "--ca-file", "/nonexistent/ca.pem"}, wantErr: "cannot be read", wantCode: catalog.CodeInvalid},
	}
	for _, tc := range tests {
		a, _, _ := testApp(nil)
		var got *portal.AddProviderOptions
		cmd := newProviderAddCmd(a, func(_ context.Context, o *portal.AddProviderOptions) error { got = o; return nil })
		quiet(cmd).SetArgs(tc.args)
		err := cmd.Execute()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || catalog.CodeOf(err) != tc.wantCode || got != nil {
				t.Errorf("%v: %v (ran: %v), want %q (%s)", tc.args, err, got != nil, tc.wantErr, tc.wantCode)
			}
			continue
		}
		if err != nil || got == nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		p := got.Provider
		if p.Name != tc.want.Name || p.URL != tc.want.URL || p.GatewayURL != tc.want.GatewayURL || p.OrgID != tc.want.OrgID ||
			!slices.Equal(p.PolicyTags, tc.want.PolicyTags) || p.InsecureSkipVerify != tc.want.InsecureSkipVerify || got.SkipCheck != tc.skip || got.Secret == nil {
			t.Errorf("%v: %+v, want %+v (skip-check %v)", tc.args, got, tc.want, tc.skip)
		}
	}
}

// The secret comes from --secret-stdin, else (not on a terminal) the
// environment, else the command fails naming the three ways; asking is
// the use case's call, so the flags only choose the reader.
func TestProviderSecretInput(t *testing.T) {
	tests := []struct {
		args     []string
		stdin    string
		env      map[string]string
		want     portal.SecretInput
		wantErr  string
		wantCode catalog.Code
	}{
		{args: []string{"--secret-stdin"}, stdin: "s3cret\nrest", want: portal.SecretInput{Value: "s3cret"}},
		{args: []string{"--secret-stdin"}, stdin: "s3cret\r\n", want: portal.SecretInput{Value: "s3cret"}},
		{args: []string{"--secret-stdin"}, stdin: "from-stdin\n", env: map[string]string{"TYKPORTAL_SECRET_MY_DASH": "from-env"}, want: portal.SecretInput{Value: "from-stdin"}},
		{env: map[string]string{"TYKPORTAL_SECRET_MY_DASH": "from-env"}, want: portal.SecretInput{Value: "from-env", FromEnv: true}},
		{args: []string{"--secret-stdin"}, wantErr: "--secret-stdin: stdin is empty", wantCode: catalog.CodeInvalid},
		{args: []string{"--secret-stdin"}, stdin: strings.Repeat("x", 3000), wantErr: "longer than 2048 bytes", wantCode: catalog.CodeInvalid},
		{args: []string{"--secret-stdin"}, stdin: "a\x01b\n", wantErr: "control characters", wantCode: catalog.CodeInvalid},
		{env: map[string]string{"TYKPORTAL_SECRET_MY_DASH": "a\tb"}, wantErr: "TYKPORTAL_SECRET_MY_DASH: invalid secret", wantCode: catalog.CodeInvalid},
		{wantErr: `no secret for provider "my-dash": pass --secret-stdin and pipe it in, run on a terminal to be prompted, or set TYKPORTAL_SECRET_MY_DASH`, wantCode: catalog.CodeInvalid},
	}
	for _, tc := range tests {
		a, _, _ := testApp(tc.env)
		a.IO.In = strings.NewReader(tc.stdin)
		var got *portal.AddProviderOptions
		cmd := newProviderAddCmd(a, func(_ context.Context, o *portal.AddProviderOptions) error { got = o; return nil })
		quiet(cmd).SetArgs(append([]string{"my-dash", "--url", "https://d.example.com"}, tc.args...))
		if err := cmd.Execute(); err != nil || got == nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		in, err := got.Secret()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || catalog.CodeOf(err) != tc.wantCode {
				t.Errorf("%v %q: %v, want %q (%s)", tc.args, tc.stdin, err, tc.wantErr, tc.wantCode)
			}
			continue
		}
		if err != nil || in != tc.want {
			t.Errorf("%v %q: %+v %v, want %+v", tc.args, tc.stdin, in, err, tc.want)
		}
	}
}

func TestProviderEditFlags(t *testing.T) {
	empty, gw := []string{}, "https://gw.example.com"
	tests := []struct {
		args       []string
		want       portal.ProviderChanges
		skip       bool
		wantSecret bool
		wantErr    string
	}{
		{args: []string{"prod", "--policy-tags", ""}, want: portal.ProviderChanges{PolicyTags: &empty}},
		{args: []string{"prod", "--gateway-url", "https://GW.example.com/", "--skip-check"}, want: portal.ProviderChanges{GatewayURL: &gw}, skip: true},
		{args: []string{"prod", "--secret-stdin"}, wantSecret: true},
		{args: []string{"prod", "--skip-check"}, skip: true},
		{args: []string{"prod"}, wantErr: "nothing to change: give at least one flag"},
		{args: []string{"prod", "--url", "notaurl", "--skip-check"}, wantErr: "must start with http"},
		{args: []string{"prod", "--policy-tags", "x y"}, wantErr: "contains a space"},
	}
	for _, tc := range tests {
		a, _, _ := testApp(nil)
		var got *portal.EditProviderOptions
		cmd := newProviderEditCmd(a, func(_ context.Context, o *portal.EditProviderOptions) error { got = o; return nil })
		quiet(cmd).SetArgs(tc.args)
		err := cmd.Execute()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || ExitCode(err) != 2 || got != nil {
				t.Errorf("%v: %v (ran: %v), want %q", tc.args, err, got != nil, tc.wantErr)
			}
			continue
		}
		if err != nil || got == nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		c := got.Changes
		if got.Name != "prod" || got.SkipCheck != tc.skip || (got.Secret != nil) != tc.wantSecret ||
			c.URL != nil || c.OrgID != nil || c.CAFile != nil || c.InsecureSkipVerify != nil ||
			!samePtr(c.GatewayURL, tc.want.GatewayURL) || (c.PolicyTags == nil) != (tc.want.PolicyTags == nil) ||
			c.PolicyTags != nil && (!slices.Equal(*c.PolicyTags, *tc.want.PolicyTags) || *c.PolicyTags == nil) {
			t.Errorf("%v: %+v", tc.args, got)
		}
	}
}

func samePtr(a, b *string) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func TestProviderRemoveFlags(t *testing.T) {
	for _, tc := range []struct {
		args        []string
		wantConfirm bool
	}{
		{[]string{"prod", "--yes"}, false},
		{[]string{"prod", "-y"}, false},
		{[]string{"prod"}, true},
	} {
		a, _, _ := testApp(nil)
		var got *portal.RemoveProviderOptions
		cmd := newProviderRemoveCmd(a, func(_ context.Context, o *portal.RemoveProviderOptions) error { got = o; return nil })
		quiet(cmd).SetArgs(tc.args)
		if err := cmd.Execute(); err != nil || got == nil || got.Name != "prod" || (got.Confirm != nil) != tc.wantConfirm {
			t.Fatalf("%v: %+v %v", tc.args, got, err)
		}
		// Without a terminal the confirmation refuses: a script must say --yes.
		if got.Confirm != nil {
			err := got.Confirm(provider.Provider{Name: "prod"})
			if err == nil || !strings.Contains(err.Error(), `Remove provider "prod" with its local products, plans and credential records: refusing without confirmation; pass --yes`) || ExitCode(err) != 2 {
				t.Errorf("confirm without a terminal: %v", err)
			}
		}
	}
}

// The secret prompt reads the App's own input, not the process's stdin.
func TestPromptReadsInjectedInput(t *testing.T) {
	a, _, errOut := testApp(nil)
	a.IO.In = strings.NewReader("prompted-secret\n")
	a.IO.InTTY = true
	in, err := a.readSecret(context.Background(), "prod", false)
	if err != nil || in.Value != "prompted-secret" || !strings.Contains(errOut.String(), "input hidden") {
		t.Fatalf("%+v %v %q", in, err, errOut.String())
	}
}

// The secret's three ways, in their order: --secret-stdin, then
// TYKPORTAL_SECRET_<NAME> without asking, then the prompt on a terminal.
func TestReadSecretSources(t *testing.T) {
	tests := []struct {
		name     string
		env      string
		stdin    bool
		tty      bool
		input    string
		quiet    bool
		want     portal.SecretInput
		wantErr  string
		wantCode int
		wantErrOut,
		notErrOut string
	}{
		{name: "the variable on a terminal: used, nothing asked", env: "from-env", tty: true, input: "typed\n",
			want: portal.SecretInput{Value: "from-env", FromEnv: true}, wantErrOut: "using TYKPORTAL_SECRET_PROD; nothing stored", notErrOut: "input hidden"},
		{name: "the variable with --quiet: used silently", env: "from-env", tty: true, quiet: true,
			want: portal.SecretInput{Value: "from-env", FromEnv: true}, notErrOut: "TYKPORTAL_SECRET_PROD"},
		{name: "the variable without a terminal", env: "from-env", want: portal.SecretInput{Value: "from-env", FromEnv: true}},
		{name: "--secret-stdin wins over the variable", env: "from-env", stdin: true, input: "piped\n", want: portal.SecretInput{Value: "piped"}},
		{name: "a terminal without the variable: prompted", tty: true, input: "typed\n", want: portal.SecretInput{Value: "typed"}, wantErrOut: "input hidden"},
		{name: "an empty answer at the prompt", tty: true, input: "\n", wantErr: `no secret given for provider "prod"`, wantCode: 2},
		{name: "nothing at all", wantErr: "run on a terminal to be prompted, or set TYKPORTAL_SECRET_PROD", wantCode: 2},
		{name: "an invalid variable", env: "a\x01b", wantErr: "TYKPORTAL_SECRET_PROD: invalid secret", wantCode: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, out, errOut := testApp(map[string]string{"TYKPORTAL_SECRET_PROD": tc.env})
			a.IO.In, a.IO.InTTY, a.Quiet = strings.NewReader(tc.input), tc.tty, tc.quiet
			got, err := a.readSecret(context.Background(), "prod", tc.stdin)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || ExitCode(err) != tc.wantCode {
					t.Fatalf("%v (exit %d), want %q (exit %d)", err, ExitCode(err), tc.wantErr, tc.wantCode)
				}
			} else if err != nil || got != tc.want {
				t.Fatalf("%+v %v, want %+v", got, err, tc.want)
			}
			if !strings.Contains(errOut.String(), tc.wantErrOut) || tc.notErrOut != "" && strings.Contains(errOut.String(), tc.notErrOut) {
				t.Errorf("stderr %q, want %q and not %q", errOut, tc.wantErrOut, tc.notErrOut)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q", out)
			}
		})
	}
}

// A signal ends a prompt at once, without waiting for Enter, and the
// command's error is the interruption (exit 130).
func TestPromptsEndOnSignal(t *testing.T) {
	prompts := map[string]func(context.Context, *App) error{
		"secret": func(ctx context.Context, a *App) error { _, err := a.readSecret(ctx, "prod", false); return err },
		"secret-stdin": func(ctx context.Context, a *App) error {
			_, err := a.readSecret(ctx, "prod", true)
			return err
		},
		"confirmation": func(ctx context.Context, a *App) error { return a.confirm(ctx, "Remove it", "--yes") },
	}
	for name, prompt := range prompts {
		t.Run(name, func(t *testing.T) {
			a, _, _ := testApp(nil)
			r, w := io.Pipe() // nobody ever types
			defer w.Close()
			a.IO.In, a.IO.InTTY = r, true
			ctx, cancel := context.WithCancelCause(context.Background())
			time.AfterFunc(20*time.Millisecond, func() { cancel(&Interrupted{Signal: syscall.SIGINT}) })
			done := make(chan error, 1)
			go func() { done <- prompt(ctx, a) }()
			select {
			case err := <-done:
				var intr *Interrupted
				if !errors.As(err, &intr) || ExitCode(err) != 130 {
					t.Fatalf("%v (exit %d), want interrupted, exit 130", err, ExitCode(err))
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the prompt still waits for a line after the signal")
			}
		})
	}
}
