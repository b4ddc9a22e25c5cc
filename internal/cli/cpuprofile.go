package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tykportal/tykportal/pkg/store/pgstore"
)

// openProfile opens the --cpuprofile file for writing, emptied. It refuses
// the state file (by name, through a symlink or a hard link) and any other
// file that holds something but a CPU profile: a mistyped path must never
// overwrite the catalogue or anything else with a profile. An earlier
// profile or an empty file is replaced.
func openProfile(path, statePath string) (*os.File, error) {
	if lfi, err := os.Lstat(path); err == nil && lfi.Mode()&os.ModeSymlink != 0 {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			// Creating through it would create its target, which may be
			// where the state file is about to be.
			return nil, fmt.Errorf("%s is a symbolic link to a missing file; give the profile's own path", path)
		}
	}
	// Not O_TRUNC: nothing is lost before the file is known to be a profile.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot write the CPU profile: %w", err)
	}
	if err := checkProfileFile(f, statePath); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot write the CPU profile: %w", err)
	}
	return f, nil
}

// checkProfileFile refuses an open file that is the state file or holds
// anything but a CPU profile.
func checkProfileFile(f *os.File, statePath string) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("cannot write the CPU profile: %w", err)
	}
	if statePath != "" && !pgstore.IsURL(statePath) {
		if sfi, err := os.Stat(statePath); err == nil && os.SameFile(fi, sfi) {
			return fmt.Errorf("%s is the state file %s; give the profile another path", f.Name(), statePath)
		}
	}
	if fi.Size() == 0 {
		return nil
	}
	if !isCPUProfile(f) {
		return fmt.Errorf("%s exists and is not a CPU profile; refusing to overwrite it (remove it or give another path)", f.Name())
	}
	return nil
}

// isCPUProfile tells a profile runtime/pprof wrote: gzip-compressed
// protocol buffers of the Profile message (profile.proto), whose fields are
// numbered 1 to 14 and are varints or length-delimited. The first 64 KB
// must read as such fields; any text or other gzip content fails at once.
func isCPUProfile(r io.ReaderAt) bool {
	head := make([]byte, 2)
	if _, err := r.ReadAt(head, 0); err != nil || !bytes.Equal(head, []byte{0x1f, 0x8b}) {
		return false
	}
	zr, err := gzip.NewReader(io.NewSectionReader(r, 0, 1<<30))
	if err != nil {
		return false
	}
	const window = 64 << 10
	data, err := io.ReadAll(io.LimitReader(zr, window))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false
	}
	whole := len(data) < window
	fields := 0
	for len(data) > 0 {
		key, n := binary.Uvarint(data)
		if n <= 0 {
			return !whole && n == 0 && fields > 0
		}
		data = data[n:]
		field, wire := key>>3, key&7
		if field < 1 || field > 14 {
			return false
		}
		switch wire {
		case 0:
			_, n = binary.Uvarint(data)
			if n < 0 || (n == 0 && whole) {
				return false
			}
			if n == 0 {
				return fields > 0
			}
			data = data[n:]
		case 2:
			size, n := binary.Uvarint(data)
			if n < 0 || (n == 0 && whole) {
				return false
			}
			if n == 0 || uint64(len(data)-n) < size {
				// A value running past the window is fine; past the end is not.
				return !whole && fields > 0
			}
			data = data[n+int(size):]
		default:
			return false
		}
		fields++
	}
	return fields > 0
}
