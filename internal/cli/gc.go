package cli

import (
	"runtime/debug"
	"time"
)

// TuneGC lets the heap of a one-shot command grow to five times its live
// size between collections (GOGC=400) unless the user set GOGC: a first
// sync of 10,000 policies ran seven collections while it decoded and wrote,
// about 30 ms of CPU on the cores doing that work, for a process that exits
// a moment later; peak memory grows by a fifth (docs/performance.md).
// `watch`, which lives on, keeps Go's default. main calls it once, before
// the command runs (restic's tweakGoGC); it returns the percentage set, or
// -1 when it left the default.
func TuneGC(args []string, getenv func(string) string) int {
	if getenv("GOGC") != "" || isWatch(args, getenv) {
		return -1
	}
	debug.SetGCPercent(400)
	return 400
}

// isWatch reports whether args run `tykportal watch`, found as cobra finds
// commands (flags and their values skipped).
func isWatch(args []string, getenv func(string) string) bool {
	root := (&App{Getenv: getenv, Now: time.Now}).rootCommand()
	cmd, _, err := root.Find(args)
	return err == nil && cmd.Name() == "watch"
}
