//go:build keyring

package secret

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"
)

// TestRealKeyring round-trips a secret through the real OS keyring
// (gnome-keyring in CI, via scripts/keyring-test.sh).
func TestRealKeyring(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no D-Bus session: run scripts/keyring-test.sh")
	}
	ctx := context.Background()
	k := NewKeyring(10 * time.Second)
	name := fmt.Sprintf("itest-%d", time.Now().UnixNano())
	secret := "real-keyring-canary-" + name
	if err := k.Set(ctx, name, secret); err != nil {
		t.Fatalf("set: %v", err)
	}
	t.Cleanup(func() { _ = k.Delete(context.Background(), name) })
	got, err := k.Get(ctx, name)
	if err != nil || got != secret {
		t.Fatalf("get: %v (match %v)", err, got == secret)
	}
	if err := k.Delete(ctx, name); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := k.Get(ctx, name); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
}
