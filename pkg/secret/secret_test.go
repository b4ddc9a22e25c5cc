package secret

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const canary = "canary-secret-7f3a9c"

func TestEnvName(t *testing.T) {
	for in, want := range map[string]string{
		"prod": "TYKPORTAL_SECRET_PROD", "prod-eu": "TYKPORTAL_SECRET_PROD_EU", "a.b": "TYKPORTAL_SECRET_A_B", "x_1": "TYKPORTAL_SECRET_X_1",
	} {
		if got := EnvName(in); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"abc", nil}, {"", ErrInvalid}, {"a\nb", ErrInvalid}, {"\x1b[31m", ErrInvalid},
		{string([]byte{0xff}), ErrInvalid}, {strings.Repeat("x", MaxLen), nil}, {strings.Repeat("x", MaxLen+1), ErrTooLong},
	}
	for _, tc := range tests {
		if err := Validate(tc.in); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("Validate(%.10q) = %v, want %v", tc.in, err, tc.want)
		}
	}
}

func TestFileStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var warn bytes.Buffer
	f := NewFile(FilePath(filepath.Join(dir, "state", "t.db")), &warn)
	if _, err := f.Get(ctx, "prod"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty store: %v", err)
	}
	if err := f.Set(ctx, "prod", canary); err != nil {
		t.Fatal(err)
	}
	if err := f.Set(ctx, "other", "x"); err != nil {
		t.Fatal(err)
	}
	if got, err := f.Get(ctx, "prod"); err != nil || got != canary {
		t.Fatalf("Get = %q, %v", got, err)
	}
	fi, err := os.Stat(f.Path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", fi.Mode(), err)
	}
	if n := strings.Count(warn.String(), "plain text"); n != 1 {
		t.Fatalf("warned %d times, want once: %q", n, warn.String())
	}
	if err := f.Delete(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	if err := f.Delete(ctx, "prod"); err != nil {
		t.Fatal("deleting a missing secret:", err)
	}
	if _, err := f.Get(ctx, "prod"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := os.Chmod(f.Path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = f.Get(ctx, "other")
	if !errors.Is(err, ErrInsecureFile) || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("group-readable file: %v", err)
	}
	if err := f.Set(ctx, "other", "y"); !errors.Is(err, ErrInsecureFile) {
		t.Fatalf("write to a group-readable file: %v", err)
	}
}

func TestResolvePrecedence(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "t.db")
	f := NewFile(FilePath(dbPath), nil)
	if err := f.Set(ctx, "prod", "from-file"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if s, err := (Stores{Getenv: getenv, DBPath: dbPath}).Resolve(ctx, "prod", SourceFile); err != nil || s != "from-file" {
		t.Fatalf("file: %q %v", s, err)
	}
	env["TYKPORTAL_SECRET_PROD"] = "from-env"
	for _, src := range []string{SourceFile, SourceKeyring, SourceEnv} {
		if s, err := (Stores{Getenv: getenv, DBPath: dbPath}).Resolve(ctx, "prod", src); err != nil || s != "from-env" {
			t.Fatalf("env over %s: %q %v", src, s, err)
		}
	}
	delete(env, "TYKPORTAL_SECRET_PROD")
	if _, err := (Stores{Getenv: getenv, DBPath: dbPath}).Resolve(ctx, "prod", SourceEnv); err == nil || !strings.Contains(err.Error(), "TYKPORTAL_SECRET_PROD") {
		t.Fatalf("env source without the variable: %v", err)
	}
}

func TestForWriting(t *testing.T) {
	for v, want := range map[string]string{"": SourceKeyring, "keyring": SourceKeyring, "file": SourceFile, "FILE": SourceFile} {
		st, err := (Stores{Getenv: func(string) string { return v }, DBPath: "/x/t.db"}).ForWriting()
		if err != nil || st.Source() != want {
			t.Errorf("%q: %v %v", v, st, err)
		}
	}
	if _, err := (Stores{Getenv: func(string) string { return "vault" }, DBPath: "/x/t.db"}).ForWriting(); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown store: %v", err)
	}
}

func TestKeyringFailures(t *testing.T) {
	ctx := context.Background()
	block := make(chan struct{})
	defer close(block)
	tests := []struct {
		name string
		get  func(string, string) (string, error)
		want error
	}{
		{"hung D-Bus", func(string, string) (string, error) { <-block; return "", nil }, ErrUnavailable},
		{"no secret service", func(string, string) (string, error) {
			return "", errors.New("The name org.freedesktop.secrets was not provided by any .service files")
		}, ErrUnavailable},
		{"locked collection", func(string, string) (string, error) {
			return "", errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'")
		}, ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := NewKeyring(50 * time.Millisecond)
			k.get = tc.get
			k.set = func(string, string, string) error { _, err := tc.get("", ""); return err }
			_, err := k.Get(ctx, "prod")
			if !errors.Is(err, tc.want) {
				t.Fatalf("Get: %v", err)
			}
			for _, part := range []string{"TYKPORTAL_SECRET_PROD", "TYKPORTAL_SECRET_STORE=file"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not name %s", err, part)
				}
			}
			err = k.Set(ctx, "prod", canary)
			if !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), canary) {
				t.Fatalf("Set: %v", err)
			}
		})
	}
}
