// Package filelock takes and releases an exclusive advisory lock on an open
// file without waiting (flock on Unix, LockFileEx on Windows): the sync
// leases beside a bbolt state file and the plain-file secret store's lock.
package filelock

import "errors"

// ErrHeld: another process (or another open file of this one) holds the lock.
var ErrHeld = errors.New("the lock is held")
