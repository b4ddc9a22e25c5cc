// Package secret keeps provider secrets out of the state file: in the OS
// keyring, in the environment (TYKPORTAL_SECRET_<NAME>, which wins over all),
// or in an explicit opt-in plain file. A secret never appears in an error.
package secret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/zalando/go-keyring"

	"github.com/tykportal/tykportal/pkg/catalog"
)

// Service is the keyring service; the keyring user is the provider name.
const Service = "tykportal"

// Where a provider's secret comes from.
const (
	SourceKeyring = "keyring"
	SourceFile    = "file"
	SourceEnv     = "env"
)

// MaxLen is below Windows' (~2.5 KB) and macOS' (~3 KB for service, user and
// password together) keyring limits, so a secret that works here works there.
const MaxLen = 2048

// Errors.
var (
	ErrNotFound     = errors.New("no secret is stored for this provider")
	ErrUnavailable  = errors.New("the OS keyring is unavailable")
	ErrTooLong      = catalog.NewError(catalog.CodeInvalid, "the secret is too long")
	ErrInsecureFile = errors.New("the secret file is readable by others")
	ErrInvalid      = catalog.NewError(catalog.CodeInvalid, "invalid secret")
)

// Store keeps secrets by provider name.
type Store interface {
	Source() string
	Get(ctx context.Context, provider string) (string, error)
	Set(ctx context.Context, provider, secret string) error
	Delete(ctx context.Context, provider string) error
}

// EnvName is the environment variable holding a provider's secret.
func EnvName(provider string) string {
	var b strings.Builder
	b.WriteString("TYKPORTAL_SECRET_")
	for _, r := range strings.ToUpper(provider) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// FromEnv reads a provider's secret from the environment.
func FromEnv(getenv func(string) string, provider string) (string, bool) {
	s := getenv(EnvName(provider))
	return s, s != ""
}

// Validate checks a secret: not empty, one line, no control characters, at
// most MaxLen bytes.
func Validate(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: the secret is empty", ErrInvalid)
	case len(s) > MaxLen:
		return fmt.Errorf("%w: the secret is longer than %d bytes", ErrTooLong, MaxLen)
	case !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: the secret contains control characters or invalid UTF-8", ErrInvalid)
	}
	return nil
}

// Keyring is the OS keyring. Every call runs with a timeout: a Secret
// Service waiting for an unlock prompt, or a hung D-Bus, must not hang the
// tool.
type Keyring struct {
	Timeout time.Duration

	// The go-keyring calls, replaceable in tests.
	set func(service, user, password string) error
	get func(service, user string) (string, error)
	del func(service, user string) error
}

// NewKeyring returns the OS keyring with a per-call timeout (0: 5s).
func NewKeyring(timeout time.Duration) *Keyring {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return &Keyring{Timeout: timeout, set: keyring.Set, get: keyring.Get, del: keyring.Delete}
}

// Source implements Store.
func (k *Keyring) Source() string { return SourceKeyring }

// Get implements Store.
func (k *Keyring) Get(ctx context.Context, provider string) (string, error) {
	var s string
	err := k.call(ctx, func() error {
		var err error
		s, err = k.get(Service, provider)
		return err
	}, provider)
	return s, err
}

// Set implements Store.
func (k *Keyring) Set(ctx context.Context, provider, secret string) error {
	if err := Validate(secret); err != nil {
		return err
	}
	return k.call(ctx, func() error { return k.set(Service, provider, secret) }, provider)
}

// Delete implements Store.
func (k *Keyring) Delete(ctx context.Context, provider string) error {
	err := k.call(ctx, func() error { return k.del(Service, provider) }, provider)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

func (k *Keyring) call(ctx context.Context, fn func() error, provider string) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(k.Timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return k.mapErr(err, provider)
	case <-timer.C:
		return unavailable(provider, fmt.Sprintf("no answer within %s", k.Timeout))
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (k *Keyring) mapErr(err error, provider string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("provider %q: %w in the OS keyring", provider, ErrNotFound)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("provider %q: %w for this platform's keyring", provider, ErrTooLong)
	}
	// Everything else (unsupported platform, no D-Bus, no Secret Service,
	// a locked collection) means the keyring cannot be used here. The cause
	// is go-keyring's or D-Bus's text, which never holds the secret.
	return unavailable(provider, shortCause(err))
}

func unavailable(provider, cause string) error {
	return fmt.Errorf("%w (%s): set %s for provider %q, or opt in to the plain file store with TYKPORTAL_SECRET_STORE=file",
		ErrUnavailable, cause, EnvName(provider), provider)
}

func shortCause(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

// File is the explicit opt-in plain file store: a JSON object of provider
// name to secret, mode 0600. It warns once that secrets are in plain text.
type File struct {
	Path string
	Warn io.Writer
	// LockTimeout bounds the wait for another process's change of the
	// file (0: DefaultFileLockTimeout).
	LockTimeout time.Duration

	once gosync.Once
}

// NewFile returns the file store at path.
func NewFile(path string, warn io.Writer) *File { return &File{Path: path, Warn: warn} }

// FilePath is the file store's path: secrets.json next to the state file.
func FilePath(dbPath string) string { return filepath.Join(filepath.Dir(dbPath), "secrets.json") }

// Source implements Store.
func (f *File) Source() string { return SourceFile }

func (f *File) warn() {
	f.once.Do(func() {
		if f.Warn != nil {
			fmt.Fprintf(f.Warn, "warning: provider secrets are stored in plain text in %s (TYKPORTAL_SECRET_STORE=file); prefer the OS keyring or TYKPORTAL_SECRET_<NAME>\n", f.Path)
		}
	})
}

func (f *File) read() (map[string]string, error) {
	fi, err := os.Stat(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %o; run `chmod 600 %s`", ErrInsecureFile, f.Path, fi.Mode().Perm(), f.Path)
	}
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			// Not the decoder's message: it could quote part of a secret.
			return nil, fmt.Errorf("the secret file %s is not valid JSON", f.Path)
		}
	}
	return m, nil
}

// write replaces the file with m atomically: a temporary file, 0600 from
// its creation, synced, renamed over the old one, so a reader (which takes
// no lock) sees the old secrets or the new ones, never half a file. The
// caller holds the lock.
func (f *File) write(m map[string]string) error {
	dir := filepath.Dir(f.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".secrets-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return err
	}
	// The rename is durable once the directory is synced; Windows cannot
	// sync a directory, and there the rename is all there is.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Get implements Store.
func (f *File) Get(ctx context.Context, provider string) (string, error) {
	f.warn()
	m, err := f.read()
	if err != nil {
		return "", err
	}
	s, ok := m[provider]
	if !ok {
		return "", fmt.Errorf("provider %q: %w in %s", provider, ErrNotFound, f.Path)
	}
	return s, nil
}

// Set implements Store.
func (f *File) Set(ctx context.Context, provider, secret string) error {
	if err := Validate(secret); err != nil {
		return err
	}
	f.warn()
	unlock, err := f.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := f.read()
	if err != nil {
		return err
	}
	m[provider] = secret
	return f.write(m)
}

// Delete implements Store.
func (f *File) Delete(ctx context.Context, provider string) error {
	unlock, err := f.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := f.read()
	if err != nil {
		return err
	}
	if _, ok := m[provider]; !ok {
		return nil
	}
	delete(m, provider)
	return f.write(m)
}

// Stores resolves, saves and deletes providers' secrets across the three
// stores, for one process: its environment (read through Getenv), the
// state file's location (the file store lives next to it) and where the
// file store's warning goes.
type Stores struct {
	Getenv func(string) string
	DBPath string
	Warn   io.Writer
	// Keyring is the OS keyring; nil: NewKeyring(0).
	Keyring Store
}

func (s Stores) keyring() Store {
	if s.Keyring != nil {
		return s.Keyring
	}
	return NewKeyring(0)
}

func (s Stores) file() Store { return NewFile(FilePath(s.DBPath), s.Warn) }

// FromEnv reads a provider's secret from TYKPORTAL_SECRET_<NAME>.
func (s Stores) FromEnv(provider string) (string, bool) { return FromEnv(s.Getenv, provider) }

// ForWriting is the store `provider add` and `edit` write to
// (TYKPORTAL_SECRET_STORE).
func (s Stores) ForWriting() (Store, error) {
	switch v := strings.ToLower(s.Getenv("TYKPORTAL_SECRET_STORE")); v {
	case "", SourceKeyring:
		return s.keyring(), nil
	case SourceFile:
		return s.file(), nil
	default:
		return nil, fmt.Errorf("%w: TYKPORTAL_SECRET_STORE=%q: use keyring or file", ErrInvalid, v)
	}
}

// Resolve reads a provider's secret: TYKPORTAL_SECRET_<NAME> wins over
// all, else the store named by source.
func (s Stores) Resolve(ctx context.Context, provider, source string) (string, error) {
	if v, ok := s.FromEnv(provider); ok {
		return v, nil
	}
	switch source {
	case SourceEnv:
		return "", fmt.Errorf("%w: provider %q takes its secret from %s, which is not set", ErrNotFound, provider, EnvName(provider))
	case SourceFile:
		return s.file().Get(ctx, provider)
	}
	return s.keyring().Get(ctx, provider)
}

// Delete removes a provider's stored secret from the store named by
// source; a secret from the environment has nothing stored.
func (s Stores) Delete(ctx context.Context, provider, source string) error {
	switch source {
	case SourceEnv, "":
		return nil
	case SourceFile:
		return s.file().Delete(ctx, provider)
	}
	return s.keyring().Delete(ctx, provider)
}

// Check reports whether the keyring can be used, without storing anything:
// it reads the provider's entry, and "not found" is a working keyring.
func (k *Keyring) Check(ctx context.Context, provider string) error {
	_, err := k.Get(ctx, provider)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Check reports whether the file store can be used: the file, if it
// exists, is private and readable.
func (f *File) Check(ctx context.Context, provider string) error {
	_, err := f.read()
	return err
}

// CheckWritable reports whether a secret for provider could be saved where
// new secrets go, without saving one: `provider add` asks it before the
// secret is typed, so that nobody types a secret that cannot be kept.
func (s Stores) CheckWritable(ctx context.Context, provider string) error {
	st, err := s.ForWriting()
	if err != nil {
		return err
	}
	if c, ok := st.(interface {
		Check(context.Context, string) error
	}); ok {
		return c.Check(ctx, provider)
	}
	return nil
}
