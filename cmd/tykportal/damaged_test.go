package main

import (
	"bytes"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// TestDamagedStateFile damages a synced state file 72 ways (cut off,
// bytes overwritten in a run, scattered, or in page headers) and runs a
// command on each (reads, a sync, a publish, a backup): every run either
// works (the damage was in free space)
// or exits 1 saying that the state file is damaged and how to restore it,
// leaving the file as it was; never a crash, a stack trace or exit 2. The
// backup `db backup` made before then restores the catalogue exactly. An
// empty file is a new state.
func TestDamagedStateFile(t *testing.T) {
	bin := buildBinary(t)
	sim, srv := seedSim(t, dashboardtest.Options{UsersMe: true, Seed: 9})
	sim.Generate("5fd08e0f69710900018bc195", 1500, 100, 4)
	c := newCLI(t, bin, "TYKPORTAL_SECRET_PROD=demo-admin-key-org1", "TYKPORTAL_LOCK_TIMEOUT=5s")
	c.must("provider", "add", "prod", "--url", srv.URL)
	c.must("sync", "--allow-mass-hide")
	db := c.dbPath()
	backup := filepath.Join(c.dir, "backups", "t.db")
	if err := os.MkdirAll(filepath.Dir(backup), 0o700); err != nil {
		t.Fatal(err)
	}
	c.must("db", "backup", backup)
	want := c.must("products", "list", "--all", "-o", "json")
	good, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	hwm, pageSize := pagesInUse(t, db)

	rng := mrand.New(mrand.NewPCG(72, 5))
	commands := [][]string{{"provider", "list"}, {"products", "list", "-o", "json"}, {"sync"}, {"status", "-o", "json"},
		{"products", "publish", "3"}, {"db", "backup"}}
	counts := map[string]int{}
	runs := 72
	if testing.Short() {
		runs = 24
	}
	for i := range runs {
		bad := bytes.Clone(good)
		var what string
		switch i % 4 {
		case 0:
			n := rng.Int64N(hwm)
			bad, what = bad[:n], fmt.Sprintf("cut to %d bytes", n)
		case 1:
			at := rng.Int64N(hwm - 512)
			for j := range int64(512) {
				bad[at+j] = byte(rng.UintN(256))
			}
			what = fmt.Sprintf("512 bytes overwritten at %d", at)
		case 2:
			for range 30 {
				bad[rng.Int64N(hwm)] = byte(rng.UintN(256))
			}
			what = "30 bytes overwritten"
		case 3:
			page := 2 + rng.Int64N(hwm/pageSize-2)
			for j := range pageSize / 8 {
				bad[page*pageSize+j] = byte(rng.UintN(256))
			}
			what = fmt.Sprintf("the start of page %d overwritten", page)
		}
		if err := os.WriteFile(db, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		args := commands[i%len(commands)]
		var copyTo string
		if args[0] == "db" {
			copyTo = filepath.Join(c.dir, "backups", fmt.Sprintf("run%d.db", i))
			args = []string{"db", "backup", copyTo}
		}
		r := c.run(args...)
		for _, crash := range []string{"goroutine ", "panic", "SIGBUS", "SIGSEGV", "fatal error", "bad file descriptor"} {
			if strings.Contains(r.stderr, crash) {
				t.Fatalf("run %d (%s), %v: crashed (%q):\n%s", i, what, args, crash, r.stderr)
			}
		}
		switch {
		case r.code == 0:
			counts["worked"]++
			continue
		case r.code == 1 && strings.Contains(r.stderr, "the state file "+db+" is damaged") &&
			strings.Contains(r.stderr, "tykportal db backup FILE") && strings.Count(strings.TrimSpace(r.stderr), "\n") == 0:
			counts["damaged"]++
		default:
			t.Errorf("run %d (%s), %v: exit %d: %s", i, what, args, r.code, r.stderr)
		}
		if after, _ := os.ReadFile(db); !bytes.Equal(after, bad) {
			t.Errorf("run %d (%s), %v: the damaged file was changed", i, what, args)
		}
		if copyTo != "" {
			if _, err := os.Stat(copyTo); err == nil {
				t.Errorf("run %d (%s): a backup of the damaged file was written", i, what)
			}
		}
	}
	t.Logf("%d damaged state files: %v", runs, counts)
	if counts["damaged"] < runs/4 {
		t.Errorf("only %d of %d damaged files were found damaged", counts["damaged"], runs)
	}

	// The backup restores the catalogue.
	restored, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, restored, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := c.must("products", "list", "--all", "-o", "json"); got != want {
		t.Error("the restored backup does not list the products the state file held")
	}
	c.must("sync")

	// An empty file (a crash before the first write) is a new state.
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"provider", "list", "-o", "json"}, {"status"}} {
		if r := c.run(args...); r.code != 0 {
			t.Errorf("%v on an empty state file: exit %d: %s", args, r.code, r.stderr)
		}
	}
	c.must("provider", "add", "prod", "--url", srv.URL)
	if out := c.must("provider", "list"); !strings.Contains(out, "prod") {
		t.Errorf("provider list after an add into an empty file:\n%s", out)
	}
}

// pagesInUse reads a bbolt file's high water mark in bytes and page size.
func pagesInUse(t *testing.T, path string) (hwm, pageSize int64) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_ = b.View(func(tx *bolt.Tx) error {
		hwm, pageSize = tx.Size(), int64(b.Info().PageSize)
		return nil
	})
	return hwm, pageSize
}
