package harden

import "golang.org/x/sys/unix"

// On Linux the process is also made non-dumpable, which stops core files
// even for a core_pattern pipe that ignores RLIMIT_CORE, and keeps other
// processes of the same user from reading its memory through /proc.
func noCoreDumps() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return err
	}
	return zeroCoreLimit()
}
