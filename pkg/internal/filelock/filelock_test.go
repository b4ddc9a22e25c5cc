package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestTryLockIsExclusiveUntilUnlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	first, second := open(), open()
	if err := TryLock(first); err != nil {
		t.Fatal(err)
	}
	if err := TryLock(second); !errors.Is(err, ErrHeld) {
		t.Fatalf("a second open file took the lock: %v", err)
	}
	Unlock(first)
	if err := TryLock(second); err != nil {
		t.Fatalf("after Unlock: %v", err)
	}
}
