package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/doctor"
)

func TestDoctorFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    portal.DoctorOptions
		wantErr string
	}{
		{nil, portal.DoctorOptions{Grace: doctor.DefaultGrace}, ""},
		{[]string{"--provider", "prod"}, portal.DoctorOptions{Provider: "prod", Grace: doctor.DefaultGrace}, ""},
		{[]string{"--repair", "--grace", "0s"}, portal.DoctorOptions{Repair: true}, ""},
		{[]string{"--repair", "--grace", "90s"}, portal.DoctorOptions{Repair: true, Grace: 90 * time.Second}, ""},
		{[]string{"--repair", "--grace", "-1s"}, portal.DoctorOptions{}, "--grace must not be negative"},
	}
	for _, tc := range tests {
		a, _, _ := testApp(nil)
		var got *portal.DoctorOptions
		cmd := newDoctorCmd(a, func(_ context.Context, o portal.DoctorOptions) error { got = &o; return nil })
		quiet(cmd).SetArgs(tc.args)
		err := cmd.Execute()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || ExitCode(err) != 2 || got != nil {
				t.Errorf("%v: %v (ran: %v), want %q", tc.args, err, got != nil, tc.wantErr)
			}
			continue
		}
		if err != nil || got == nil || *got != tc.want {
			t.Errorf("%v: %+v %v, want %+v", tc.args, got, err, tc.want)
		}
	}
}

// quiet keeps cobra's error and usage text of a command run alone (as the
// root, without tykportal's silencing) out of the test output.
func quiet(cmd *cobra.Command) *cobra.Command {
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd
}
