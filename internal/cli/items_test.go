package cli

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/catalog"
)

// testApp is an App on buffers whose environment is env.
func testApp(env map[string]string) (*App, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	a := &App{IO: Streams{In: &bytes.Buffer{}, Out: &out, Err: &errOut}, Getenv: func(k string) string { return env[k] }, Now: time.Now}
	return a, &out, &errOut
}

// The flags of `products list` / `plans list` parse into the use case's
// options without running it (gh's runF).
func TestItemListFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    portal.ListOptions
		wantErr catalog.Code
	}{
		{nil, portal.ListOptions{}, ""},
		{[]string{"--provider", "prod"}, portal.ListOptions{Provider: "prod"}, ""},
		{[]string{"--hidden"}, portal.ListOptions{Visibility: catalog.HiddenOnly}, ""},
		{[]string{"--all", "--provider", "x"}, portal.ListOptions{Provider: "x", Visibility: catalog.AllItems}, ""},
		{[]string{"--all", "--hidden"}, portal.ListOptions{}, catalog.CodeInvalid},
	}
	for _, tc := range tests {
		a, _, _ := testApp(nil)
		var got *itemListOptions
		cmd := newItemListCmd(a, productView, func(_ context.Context, o *itemListOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		err := cmd.Execute()
		if tc.wantErr != "" {
			if catalog.CodeOf(err) != tc.wantErr || got != nil {
				t.Errorf("%v: %v (ran: %v), want a %s error", tc.args, err, got != nil, tc.wantErr)
			}
			continue
		}
		if err != nil || got == nil || got.ListOptions != tc.want {
			t.Errorf("%v: %+v %v, want %+v", tc.args, got, err, tc.want)
		}
	}
}

func TestItemIDArguments(t *testing.T) {
	tests := []struct {
		args    []string
		want    uint64
		wantErr bool
	}{
		{[]string{"7"}, 7, false},
		{[]string{"0"}, 0, true},
		{[]string{"x"}, 0, true},
		{[]string{"1.5"}, 0, true},
	}
	for _, tc := range tests {
		for _, mk := range []func(func(context.Context, uint64) error) interface {
			SetArgs([]string)
			Execute() error
		}{
			func(f func(context.Context, uint64) error) interface {
				SetArgs([]string)
				Execute() error
			} {
				a, _, _ := testApp(nil)
				return newItemShowCmd(a, planView, f)
			},
			func(f func(context.Context, uint64) error) interface {
				SetArgs([]string)
				Execute() error
			} {
				a, _, _ := testApp(nil)
				return newPublishCmd(a, productView, true, f)
			},
		} {
			var got uint64
			cmd := mk(func(_ context.Context, id uint64) error { got = id; return nil })
			cmd.SetArgs(tc.args)
			err := cmd.Execute()
			if (err != nil) != tc.wantErr || got != tc.want || (err != nil && ExitCode(err) != 2) {
				t.Errorf("%v: id %d, err %v", tc.args, got, err)
			}
		}
	}
}
