//go:build unix

package harden

import "golang.org/x/sys/unix"

// zeroCoreLimit sets the soft core size limit to 0; the hard limit stays,
// so nothing that tykportal starts is harmed beyond what it inherits.
func zeroCoreLimit() error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		return err
	}
	lim.Cur = 0
	return unix.Setrlimit(unix.RLIMIT_CORE, &lim)
}
