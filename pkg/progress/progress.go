// Package progress tells a person at a terminal how long work is going:
// each subject (a provider) reports what it is doing, and a Line shows the
// latest of each on one line of stderr once the work has run longer than a
// delay. Nothing is shown before the delay, so quick commands stay quiet.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Reporter hears how the work goes: subject is what the work is for (a
// provider's name), status what it does now ("fetching", "1,234 policies
// decoded", "writing"). It is called from several goroutines.
type Reporter interface {
	Report(subject, status string)
}

// Nop reports nowhere: the default when nothing is to be shown.
type Nop struct{}

// Report does nothing.
func (Nop) Report(string, string) {}

// Or gives r, or Nop when r is nil, so callers need no nil checks.
func Or(r Reporter) Reporter {
	if r == nil {
		return Nop{}
	}
	return r
}

// Line draws the latest status of every subject on one terminal line,
// redrawn in place with a carriage return, from Delay after Start until
// Stop, which erases it. Writes of other messages go through Writer so they
// never land in the middle of the line.
type Line struct {
	Out   io.Writer
	Title string        // e.g. "sync"
	Delay time.Duration // nothing is drawn before this; 0 draws at once
	Every time.Duration // redraw period; 0: 100ms
	Width func() int    // terminal width; nil or <= 0: 80

	mu       sync.Mutex
	order    []string
	status   map[string]string
	drawn    bool // the line is on the screen now
	paused   bool
	stopped  bool
	stop     chan struct{}
	finished chan struct{}
}

// Start begins drawing after the delay in a goroutine of its own.
func (l *Line) Start() {
	l.mu.Lock()
	l.stop, l.finished = make(chan struct{}), make(chan struct{})
	l.mu.Unlock()
	go l.run()
}

func (l *Line) run() {
	defer close(l.finished)
	every := l.Every
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	delay := time.NewTimer(l.Delay)
	defer delay.Stop()
	select {
	case <-l.stop:
		return
	case <-delay.C:
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		l.Draw()
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
	}
}

// Report records subject's status; the next draw shows it.
func (l *Line) Report(subject, status string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.status == nil {
		l.status = map[string]string{}
	}
	if _, ok := l.status[subject]; !ok {
		l.order = append(l.order, subject)
	}
	l.status[subject] = status
}

// Draw writes the line now (Start calls it on its schedule).
func (l *Line) Draw() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped || l.paused || len(l.order) == 0 {
		return
	}
	fmt.Fprint(l.Out, "\r\x1b[K"+l.text())
	l.drawn = true
}

// text is the line: "sync: prod fetching · staging 1,234 policies decoded",
// cut to the terminal's width with an ellipsis (the cursor's column stays
// free so the terminal does not wrap).
func (l *Line) text() string {
	parts := make([]string, 0, len(l.order))
	for _, s := range l.order {
		parts = append(parts, s+" "+l.status[s])
	}
	t := strings.Join(parts, " · ")
	if l.Title != "" {
		t = l.Title + ": " + t
	}
	width := 80
	if l.Width != nil {
		if w := l.Width(); w > 0 {
			width = w
		}
	}
	if max := width - 1; utf8.RuneCountInString(t) > max && max > 1 {
		r := []rune(t)
		t = string(r[:max-1]) + "…"
	}
	return t
}

// Writer is a writer for other messages while the line may be shown: it
// erases the line first; the next draw puts it back under the message.
func (l *Line) Writer() io.Writer { return lineWriter{l} }

type lineWriter struct{ l *Line }

func (w lineWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	w.l.eraseLocked()
	return w.l.Out.Write(p)
}

func (l *Line) eraseLocked() {
	if l.drawn {
		fmt.Fprint(l.Out, "\r\x1b[K")
		l.drawn = false
	}
}

// Pause erases the line and draws nothing until Resume: for a question
// to the person at the terminal.
func (l *Line) Pause() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.paused = true
	l.eraseLocked()
}

// Resume lets the line be drawn again.
func (l *Line) Resume() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.paused = false
}

// Stop ends the drawing and erases the line, so what the command prints
// next starts on a clean line. It waits for the drawing goroutine.
func (l *Line) Stop() {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return
	}
	l.stopped = true
	stop, finished := l.stop, l.finished
	l.mu.Unlock()
	if stop != nil {
		close(stop)
		<-finished
	}
	l.mu.Lock()
	l.eraseLocked()
	l.mu.Unlock()
}

// Count writes n with thousands separators: 12345 → "12,345".
func Count(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
