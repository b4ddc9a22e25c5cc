package cli

import (
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/provider"
)

// One Dashboard client per provider for the command's life: the same one
// while the provider and its secret stay, a new one when either changes.
func TestNewClientPerProvider(t *testing.T) {
	a := &App{Timeout: time.Second, Concurrency: 2}
	prod := provider.Provider{Name: "prod", URL: "http://127.0.0.1:1"}
	first, err := a.newClient(prod, "s1")
	if err != nil {
		t.Fatal(err)
	}
	moved := prod
	moved.URL = "http://127.0.0.1:2"
	tests := []struct {
		name   string
		p      provider.Provider
		secret string
		same   bool
	}{
		{"same provider and secret", prod, "s1", true},
		{"another provider", provider.Provider{Name: "other", URL: prod.URL}, "s1", false},
		{"the secret rotated", prod, "s2", false},
		{"the URL changed", moved, "s2", false},
	}
	prev := first
	for _, tc := range tests {
		c, err := a.newClient(tc.p, tc.secret)
		if err != nil {
			t.Fatal(err)
		}
		if tc.p.Name == "prod" && (c == prev) != tc.same {
			t.Errorf("%s: same client %v, want %v", tc.name, c == prev, tc.same)
		}
		if tc.p.Name != "prod" && c == prev {
			t.Errorf("%s: shares prod's client", tc.name)
		}
		if tc.p.Name == "prod" {
			prev = c
		}
	}
	if len(a.clients) != 2 {
		t.Fatalf("%d clients kept, want one per provider", len(a.clients))
	}
	a.closeClients()
	if len(a.clients) != 0 {
		t.Fatalf("%d clients left after closeClients", len(a.clients))
	}
}
