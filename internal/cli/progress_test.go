package cli

import (
	"errors"
	"testing"

	"github.com/tykportal/tykportal/pkg/output"
	"github.com/tykportal/tykportal/pkg/progress"
)

func TestShowsProgressOnlyToAPersonAtATerminal(t *testing.T) {
	tests := []struct {
		name   string
		errTTY bool
		quiet  bool
		format output.Format
		term   string
		want   bool
	}{
		{"terminal, table", true, false, output.FormatTable, "xterm", true},
		{"a pipe", false, false, output.FormatTable, "xterm", false},
		{"--quiet", true, true, output.FormatTable, "xterm", false},
		{"-o json", true, false, output.FormatJSON, "xterm", false},
		{"-o yaml", true, false, output.FormatYAML, "xterm", false},
		{"TERM=dumb", true, false, output.FormatTable, "dumb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, _ := testApp(map[string]string{"TERM": tt.term})
			a.IO.ErrTTY, a.Quiet, a.format = tt.errTTY, tt.quiet, tt.format
			if got := a.showsProgress(); got != tt.want {
				t.Fatalf("showsProgress = %v, want %v", got, tt.want)
			}
			var reporter progress.Reporter
			sentinel := errors.New("the work's own error")
			err := a.withProgress("sync", func(r progress.Reporter) error {
				reporter = r
				return sentinel
			})
			if !errors.Is(err, sentinel) {
				t.Fatalf("withProgress returned %v, not the work's error", err)
			}
			if _, isLine := reporter.(*progress.Line); isLine != tt.want {
				t.Fatalf("reporter %T, want a progress line: %v", reporter, tt.want)
			}
			if a.progress != nil {
				t.Fatal("the progress line outlived its work")
			}
		})
	}
}
