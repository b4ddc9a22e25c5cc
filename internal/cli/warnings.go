package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// warnings says each warning once per command: the plain-file store's
// warning is the same for every provider and every cycle of a watch.
type warnings struct {
	mu   sync.Mutex
	said map[string]bool
}

func (w *warnings) say(a *App, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.said[msg] {
		return
	}
	if w.said == nil {
		w.said = map[string]bool{}
	}
	w.said[msg] = true
	if a.log != nil {
		a.log.Warn(msg)
		return
	}
	fmt.Fprintf(a.IO.Err, "warning: %s\n", msg)
}

// secretWarnings is where the secret stores' warnings go: through warn,
// and nowhere with --quiet (the plain-file store's warning is advice, and
// a script that chose that store asked for silence).
func (a *App) secretWarnings() io.Writer { return secretWarnWriter{a} }

type secretWarnWriter struct{ a *App }

func (w secretWarnWriter) Write(p []byte) (int, error) {
	if !w.a.Quiet {
		msg := strings.TrimPrefix(strings.TrimSpace(string(p)), "warning: ")
		w.a.warnings.say(w.a, msg)
	}
	return len(p), nil
}
