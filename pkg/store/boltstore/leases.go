package boltstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
)

// Leases of a bbolt state are exclusive locks on small files beside it,
// one per provider ("t.db.sync-prod.lock"), held for a sync: the operating
// system drops a dead process's lock. The holder writes its instance and
// the time into the file for the others to name.
type Leases struct {
	Path string // the state file
}

var _ store.Leases = Leases{}

// Acquire takes provider's lease, polling for at most wait.
func (l Leases) Acquire(ctx context.Context, provider, instance string, wait time.Duration) (store.Lease, error) {
	path := l.Path + ".sync-" + provider + ".lock"
	// `provider add` reserves its name before the first write has made
	// the state's directory.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("take the lease %q: %w", provider, err)
	}
	return store.PollLease(ctx, wait, func() (store.Lease, error) {
		f, err := tryLock(path, instance)
		if errors.Is(err, errHeld) {
			b := &store.BusyError{Provider: provider}
			b.Holder, b.Since = readHolder(path)
			return nil, b
		}
		if err != nil {
			return nil, fmt.Errorf("take the sync lease of provider %q: %w", provider, err)
		}
		return fileLease{f}, nil
	})
}

type fileLease struct{ f *os.File }

func (l fileLease) Release() { unlock(l.f) }

// errHeld: another process holds the lock.
var errHeld = errors.New("held by another process")

// tryLock opens path (0600) and takes its exclusive lock without waiting,
// then records who holds it.
func tryLock(path, instance string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(instance+"\n"+time.Now().UTC().Format(time.RFC3339)+"\n"), 0)
	}
	return f, nil
}

func unlock(f *os.File) {
	unlockFile(f)
	f.Close()
}

func readHolder(path string) (string, time.Time) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", time.Time{}
	}
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 2 {
		return "", time.Time{}
	}
	t, _ := time.Parse(time.RFC3339, lines[1])
	return lines[0], t
}

// ErrWatched: another watch owns the state file.
var ErrWatched = catalog.NewError(catalog.CodeInUse, "another tykportal watch owns the state file")

// LockWatch makes this process the one `watch` of the state file at path:
// one loop per bbolt file (a shared catalogue for several instances is the
// PostgreSQL backend's). The lock goes with the process.
func LockWatch(path, instance string) (release func(), err error) {
	lockPath := path + ".watch.lock"
	f, err := tryLock(lockPath, instance)
	if errors.Is(err, errHeld) {
		holder, since := readHolder(lockPath)
		who := "another process"
		if holder != "" {
			who = holder
		}
		if !since.IsZero() {
			who += " since " + since.Format(time.RFC3339)
		}
		return nil, fmt.Errorf("%w %s (%s): stop it first, or share a PostgreSQL catalogue (--db postgres://...) to run several", ErrWatched, path, who)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s for watch: %w", lockPath, err)
	}
	return func() { unlock(f) }, nil
}
