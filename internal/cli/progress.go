package cli

import (
	"io"
	"time"

	"golang.org/x/term"

	"github.com/tykportal/tykportal/pkg/output"
	"github.com/tykportal/tykportal/pkg/progress"
)

// progressDelay is how long work runs before its progress is shown: a
// quick sync prints its table and nothing else.
const progressDelay = time.Second

// showsProgress tells whether progress may be drawn: on a terminal's
// stderr, for a person reading tables; never on a pipe, with -q or with a
// machine format.
func (a *App) showsProgress() bool {
	return a.IO.ErrTTY && !a.Quiet && a.format == output.FormatTable && a.Getenv("TERM") != "dumb"
}

// withProgress runs work with a progress line titled title on stderr when
// showsProgress, else with a reporter that shows nothing. While the line
// may be on the screen, other messages on stderr erase it first.
func (a *App) withProgress(title string, work func(progress.Reporter) error) error {
	if !a.showsProgress() {
		return work(progress.Nop{})
	}
	errOut := a.IO.Err
	line := &progress.Line{Out: errOut, Title: title, Delay: progressDelay, Width: func() int { return termWidth(errOut) }}
	a.IO.Err = line.Writer()
	a.progress = line
	line.Start()
	defer func() {
		line.Stop()
		a.IO.Err, a.progress = errOut, nil
	}()
	return work(line)
}

// printList prints a list and, when it is empty and shown as a table to a
// person, says on stderr what to do next (scripts reading -o json get []).
func (a *App) printList(items any, n int, emptyHint string, table func() output.Table) error {
	if err := a.printer().Print(items, table); err != nil {
		return err
	}
	if n == 0 && a.format == output.FormatTable {
		a.info("%s", emptyHint)
	}
	return nil
}

// providersHint is what to do when there is no provider yet.
const providersHint = "no providers: add one with `tykportal provider add NAME --url DASHBOARD_URL`"

// pauseProgress hides the progress line, if one is shown, for a question;
// the function it returns shows it again.
func (a *App) pauseProgress() (resume func()) {
	if a.progress == nil {
		return func() {}
	}
	line := a.progress
	line.Pause()
	return line.Resume
}

// termWidth is the width of the terminal w writes to (0: unknown).
func termWidth(w io.Writer) int {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return cols
}
