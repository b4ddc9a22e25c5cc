package secret

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// errLockHeld: another process holds the file store's lock.
var errLockHeld = errors.New("held by another process")

// ErrFileBusy: the file store's lock was not free within LockTimeout.
var ErrFileBusy = errors.New("the secret file is being changed by another tykportal process")

// DefaultFileLockTimeout is how long a change of the file store waits for
// another process's change to finish; each holds the lock for one read,
// one write and one rename.
const DefaultFileLockTimeout = 10 * time.Second

// lockPoll is how often a waiting change tries the lock again.
const lockPoll = 10 * time.Millisecond

// lock takes the file store's exclusive lock, a lock file beside the store
// (secrets.json.lock), for one read-modify-write: without it two processes
// adding providers at once each read the file, add their own secret and
// rename their copy over the other's, and one secret is lost. The lock is
// not on secrets.json itself, which every write replaces by a rename. The
// operating system releases a dead process's lock.
func (f *File) lock(ctx context.Context) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return nil, err
	}
	path := f.Path + ".lock"
	lf, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the secret file: %w", err)
	}
	timeout := f.LockTimeout
	if timeout <= 0 {
		timeout = DefaultFileLockTimeout
	}
	deadline := time.Now().Add(timeout)
	for {
		err := lockFile(lf)
		if err == nil {
			return func() { unlockFile(lf); lf.Close() }, nil
		}
		if !errors.Is(err, errLockHeld) {
			lf.Close()
			return nil, fmt.Errorf("lock the secret file %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			lf.Close()
			return nil, fmt.Errorf("%w (%s, waited %s); try again", ErrFileBusy, f.Path, timeout)
		}
		select {
		case <-ctx.Done():
			lf.Close()
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}
