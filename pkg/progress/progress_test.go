package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the drawing goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNothingBeforeTheDelay(t *testing.T) {
	var out syncBuffer
	l := &Line{Out: &out, Title: "sync", Delay: time.Hour}
	l.Start()
	l.Report("prod", "fetching")
	l.Stop()
	if out.String() != "" {
		t.Fatalf("a line stopped before its delay wrote %q", out.String())
	}
}

func TestDrawnAfterTheDelayAndErasedOnStop(t *testing.T) {
	var out syncBuffer
	l := &Line{Out: &out, Title: "sync", Delay: time.Millisecond, Every: time.Millisecond}
	l.Report("prod", "fetching")
	l.Start()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "sync: prod fetching") {
		if time.Now().After(deadline) {
			t.Fatalf("the line was never drawn; output %q", out.String())
		}
		time.Sleep(time.Millisecond)
	}
	l.Report("prod", "1,000 policies decoded")
	l.Stop()
	got := out.String()
	if !strings.HasSuffix(got, "\r\x1b[K") {
		t.Fatalf("Stop left the line on the screen: %q", got)
	}
	drawnAfterStop := len(got)
	l.Draw()
	if len(out.String()) != drawnAfterStop {
		t.Fatal("Draw after Stop wrote")
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name    string
		title   string
		width   int
		reports [][2]string
		want    string
	}{
		{"one provider", "sync", 80, [][2]string{{"prod", "fetching"}}, "sync: prod fetching"},
		{"latest status per provider, in first-report order", "sync", 80,
			[][2]string{{"prod", "fetching"}, {"dev", "fetching"}, {"prod", "12,000 policies decoded"}},
			"sync: prod 12,000 policies decoded · dev fetching"},
		{"cut to the width with an ellipsis", "apply", 20,
			[][2]string{{"production", "change 3 of 70"}}, "apply: production …"},
		{"unknown width is 80", "", 0, [][2]string{{"p", strings.Repeat("x", 100)}}, "p " + strings.Repeat("x", 76) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &Line{Title: tt.title, Width: func() int { return tt.width }}
			for _, r := range tt.reports {
				l.Report(r[0], r[1])
			}
			if got := l.text(); got != tt.want {
				t.Fatalf("text = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWriterErasesTheLineFirst(t *testing.T) {
	var out syncBuffer
	l := &Line{Out: &out}
	l.Report("prod", "writing")
	l.Draw()
	if _, err := l.Writer().Write([]byte("warning: x\n")); err != nil {
		t.Fatal(err)
	}
	want := "\r\x1b[Kprod writing" + "\r\x1b[K" + "warning: x\n"
	if out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
	// Nothing drawn: the message goes straight through.
	var plain syncBuffer
	if _, err := (&Line{Out: &plain}).Writer().Write([]byte("hi\n")); err != nil || plain.String() != "hi\n" {
		t.Fatalf("output %q, %v", plain.String(), err)
	}
}

func TestPauseHidesTheLineUntilResume(t *testing.T) {
	var out syncBuffer
	l := &Line{Out: &out}
	l.Report("prod", "planning")
	l.Draw()
	l.Pause()
	before := out.String()
	if !strings.HasSuffix(before, "\r\x1b[K") {
		t.Fatalf("Pause left the line: %q", before)
	}
	l.Draw()
	if out.String() != before {
		t.Fatal("drawn while paused")
	}
	l.Resume()
	l.Draw()
	if !strings.HasSuffix(out.String(), "prod planning") {
		t.Fatalf("not drawn after Resume: %q", out.String())
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 12345: "12,345", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestOr(t *testing.T) {
	if _, ok := Or(nil).(Nop); !ok {
		t.Fatal("Or(nil) is not Nop")
	}
	l := &Line{}
	if Or(l) != l {
		t.Fatal("Or changed a reporter")
	}
}
