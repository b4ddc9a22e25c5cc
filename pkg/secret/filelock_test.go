package secret

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"
)

// Many writers at once, each with its own File as separate processes
// would have: every secret is kept, and the file stays 0600.
func TestFileConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	path := FilePath(filepath.Join(t.TempDir(), "state", "t.db"))
	const n = 24
	var wg gosync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := NewFile(path, nil)
			errs[i] = f.Set(ctx, fmt.Sprintf("p%d", i), fmt.Sprintf("secret-%d", i))
			if i%3 == 0 && errs[i] == nil {
				// Deletes of other names interleave with the writes.
				errs[i] = NewFile(path, nil).Delete(ctx, "nobody")
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	f := NewFile(path, nil)
	for i := range n {
		got, err := f.Get(ctx, fmt.Sprintf("p%d", i))
		if err != nil || got != fmt.Sprintf("secret-%d", i) {
			t.Errorf("p%d: %q, %v", i, got, err)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode: %v %v", fi, err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".secrets-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// A change waits for another process's change, but not forever.
func TestFileLockTimeout(t *testing.T) {
	ctx := context.Background()
	path := FilePath(filepath.Join(t.TempDir(), "state", "t.db"))
	holder := NewFile(path, nil)
	unlock, err := holder.lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := &File{Path: path, LockTimeout: 100 * time.Millisecond}
	start := time.Now()
	err = f.Set(ctx, "prod", "s1")
	if !errors.Is(err, ErrFileBusy) {
		t.Fatalf("Set while locked: %v, want ErrFileBusy", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("waited %v", took)
	}
	if err := f.Delete(ctx, "prod"); !errors.Is(err, ErrFileBusy) {
		t.Errorf("Delete while locked: %v, want ErrFileBusy", err)
	}
	// Released, the waiting change goes through.
	done := make(chan error, 1)
	f.LockTimeout = 5 * time.Second
	go func() { done <- f.Set(ctx, "prod", "s2") }()
	time.Sleep(50 * time.Millisecond)
	unlock()
	if err := <-done; err != nil {
		t.Fatalf("Set after the release: %v", err)
	}
	if s, err := f.Get(ctx, "prod"); err != nil || s != "s2" {
		t.Errorf("Get: %q, %v", s, err)
	}
	// A cancelled wait ends at once.
	unlock, err = holder.lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := f.Set(cctx, "prod", "s3"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Set: %v", err)
	}
}
