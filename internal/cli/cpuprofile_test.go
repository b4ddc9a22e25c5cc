package cli

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"
)

func TestOpenProfile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A real profile, as --cpuprofile writes it.
	var prof bytes.Buffer
	if err := pprof.StartCPUProfile(&prof); err != nil {
		t.Skipf("cannot profile here (go test -cpuprofile?): %v", err)
	}
	pprof.StopCPUProfile()
	// A profile larger than the window isCPUProfile reads: the fields of
	// the real one many times over (repeated fields are still a Profile).
	zr, err := gzip.NewReader(bytes.NewReader(prof.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	fields, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var large bytes.Buffer
	zw := gzip.NewWriter(&large)
	for n := 0; n < 200<<10; n += len(fields) {
		zw.Write(fields)
	}
	zw.Close()
	var gzText bytes.Buffer
	zw = gzip.NewWriter(&gzText)
	zw.Write([]byte("plain text, gzipped"))
	zw.Close()

	state := write("t.db", []byte("the catalogue"))
	link := func(name, target string, hard bool) string {
		p := filepath.Join(dir, name)
		var err error
		if hard {
			err = os.Link(target, p)
		} else {
			err = os.Symlink(target, p)
		}
		if err != nil {
			t.Skip(err)
		}
		return p
	}
	tests := []struct {
		name, path string
		refused    string // "" when the profile may be written there
	}{
		{"new file", filepath.Join(dir, "new.prof"), ""},
		{"earlier profile", write("old.prof", prof.Bytes()), ""},
		{"earlier large profile", write("large.prof", large.Bytes()), ""},
		{"empty file", write("empty.prof", nil), ""},
		{"the state file", state, "is the state file"},
		{"a symlink to the state file", link("sym.prof", state, false), "is the state file"},
		{"a hard link to the state file", link("hard.prof", state, true), "is the state file"},
		{"a text file", write("notes.txt", []byte("notes\n")), "is not a CPU profile"},
		{"a gzipped text file", write("t.gz", gzText.Bytes()), "is not a CPU profile"},
		{"a dangling symlink", link("dangling.prof", filepath.Join(dir, "s", "new.db"), false), "symbolic link to a missing file"},
		{"a directory", dir, "cannot write"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := os.ReadFile(tc.path)
			f, err := openProfile(tc.path, state)
			if tc.refused == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				defer f.Close()
				if fi, _ := f.Stat(); fi.Size() != 0 {
					t.Errorf("the file was not emptied: %d bytes", fi.Size())
				}
				return
			}
			if err == nil {
				f.Close()
				t.Fatal("not refused")
			}
			if !strings.Contains(err.Error(), tc.refused) {
				t.Errorf("error %q, want it to say %q", err, tc.refused)
			}
			if after, _ := os.ReadFile(tc.path); !bytes.Equal(before, after) {
				t.Errorf("the refused file changed: %q, was %q", after, before)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "s", "new.db")); err == nil {
		t.Error("the dangling symlink's target was created")
	}
}
