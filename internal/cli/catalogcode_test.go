package cli

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tykportal/tykportal/internal/portal"
)

func TestExportFlags(t *testing.T) {
	tests := []struct {
		args []string
		want exportOptions
	}{
		{nil, exportOptions{}},
		{[]string{"--provider", "a", "--provider", "b", "--hidden", "-f", "cat.yaml"}, exportOptions{ExportOptions: portal.ExportOptions{Providers: []string{"a", "b"}, Hidden: true}, File: "cat.yaml"}},
	}
	for _, tc := range tests {
		a, _, _ := testApp(nil)
		var got *exportOptions
		cmd := newExportCmd(a, func(_ context.Context, o exportOptions) error { got = &o; return nil })
		cmd.SetArgs(tc.args)
		if err := cmd.Execute(); err != nil || got == nil || !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("%v: %+v %v, want %+v", tc.args, got, err, tc.want)
		}
	}
}

// diff and apply check the maps and the file before anything runs: every
// problem is a usage error.
func TestApplyAndDiffFlags(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "cat.yaml")
	if err := os.WriteFile(good, []byte("version: 1\nproviders: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 99\nproviders: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args    []string
		wantErr bool
		check   func(portal.ApplyOptions) bool
	}{
		{[]string{"-f", good}, false, func(o portal.ApplyOptions) bool { return o.Doc != nil }},
		{[]string{"-f", good, "--provider-map", "staging=prod", "--api-map", "a=b"}, false, func(o portal.ApplyOptions) bool {
			return o.ProviderMap["staging"] == "prod" && o.APIMap["a"] == "b"
		}},
		{nil, true, nil},
		{[]string{"-f", filepath.Join(dir, "missing.yaml")}, true, nil},
		{[]string{"-f", bad}, true, nil},
		{[]string{"-f", good, "--provider-map", "staging"}, true, nil},
		{[]string{"-f", good, "--api-map", "=b"}, true, nil},
	}
	for _, tc := range tests {
		a, _, _ := testApp(nil)
		var diffGot *portal.ApplyOptions
		diff := newDiffCmd(a, func(_ context.Context, o portal.ApplyOptions) error { diffGot = &o; return nil })
		diff.SetArgs(tc.args)
		derr := diff.Execute()
		var applyGot *applyOptions
		apply := newApplyCmd(a, func(_ context.Context, o applyOptions) error { applyGot = &o; return nil })
		apply.SetArgs(append(append([]string{}, tc.args...), "--dry-run", "--prune", "--yes"))
		aerr := apply.Execute()
		if tc.wantErr {
			if derr == nil || ExitCode(derr) != 2 || diffGot != nil || aerr == nil || ExitCode(aerr) != 2 || applyGot != nil {
				t.Errorf("%v: diff %v, apply %v: want usage errors before anything runs", tc.args, derr, aerr)
			}
			continue
		}
		if derr != nil || diffGot == nil || !tc.check(*diffGot) || aerr != nil || applyGot == nil || !tc.check(applyGot.ApplyOptions) ||
			!applyGot.DryRun || !applyGot.Prune || !applyGot.Yes {
			t.Errorf("%v: diff %+v %v; apply %+v %v", tc.args, diffGot, derr, applyGot, aerr)
		}
	}
}
