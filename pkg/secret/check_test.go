package secret

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

func TestCheckWritable(t *testing.T) {
	ctx := context.Background()
	keyringWith := func(get func(string, string) (string, error)) Store {
		k := NewKeyring(50 * time.Millisecond)
		k.get = get
		k.set = func(string, string, string) error { t.Error("Check stored a secret"); return nil }
		return k
	}
	tests := []struct {
		name    string
		store   string // TYKPORTAL_SECRET_STORE
		keyring Store
		file    os.FileMode // the secret file's mode; 0: none
		want    error
	}{
		{name: "a working keyring without the entry", keyring: keyringWith(func(string, string) (string, error) { return "", keyring.ErrNotFound })},
		{name: "a working keyring with the entry", keyring: keyringWith(func(string, string) (string, error) { return "old", nil })},
		{name: "no secret service", keyring: keyringWith(func(string, string) (string, error) { return "", errors.New("no D-Bus session") }), want: ErrUnavailable},
		{name: "the file store, no file yet", store: "file"},
		{name: "the file store, a private file", store: "file", file: 0o600},
		{name: "the file store, a file others read", store: "file", file: 0o644, want: ErrInsecureFile},
		{name: "an unknown store", store: "vault", want: ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dbPath := filepath.Join(t.TempDir(), "t.db")
			if tc.file != 0 {
				if err := os.WriteFile(FilePath(dbPath), []byte(`{}`), tc.file); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(FilePath(dbPath), tc.file); err != nil {
					t.Fatal(err)
				}
			}
			s := Stores{Getenv: func(k string) string {
				if k == "TYKPORTAL_SECRET_STORE" {
					return tc.store
				}
				return ""
			}, DBPath: dbPath, Keyring: tc.keyring}
			err := s.CheckWritable(ctx, "prod")
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("CheckWritable: %v, want %v", err, tc.want)
			}
		})
	}
}
