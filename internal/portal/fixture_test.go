package portal

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// The use cases are tested as helm tests its actions: each test gets a
// fixture with a real state backend in a temporary directory, the
// in-process Dashboard simulator over real HTTP with the seed data, secrets
// from a map (the environment store's rules), and a fixed clock.

const (
	seedOrg   = "5fd08e0f69710900018bc195"
	adminKey  = "demo-admin-key-org1"
	fixedTime = "2026-12-02T10:00:00Z"
)

type fixture struct {
	t        *testing.T
	svc      *Service
	sim      *dashboardtest.Server
	dbPath   string
	secrets  *mapSecrets
	warnings []string
	mu       sync.Mutex
}

// newFixture starts a seeded simulator and a service over a fresh state file.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	sim := dashboardtest.NewServer(t, dashboardtest.Defaults())
	if err := sim.LoadDir("../../testdata/dashboard"); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, sim: sim, dbPath: filepath.Join(t.TempDir(), "state", "t.db"), secrets: &mapSecrets{m: map[string]string{}}}
	now, _ := time.Parse(time.RFC3339, fixedTime)
	f.svc = &Service{
		OpenStore: func(ctx context.Context, readOnly bool) (store.Store, error) {
			return boltstore.Open(ctx, f.dbPath, boltstore.Options{ReadOnly: readOnly, LockTimeout: 2 * time.Second})
		},
		Secrets: f.secrets,
		Dashboard: func(p provider.Provider, sec string) (*dashboard.Client, error) {
			return dashboard.New(dashboard.Config{BaseURL: p.URL, Secret: sec, OrgID: p.OrgID, Timeout: 5 * time.Second, UserAgent: "tykportal/test", Concurrency: 4})
		},
		Now: func() time.Time { return now },
		Warn: func(format string, args ...any) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.warnings = append(f.warnings, fmt.Sprintf(format, args...))
		},
	}
	return f
}

// withProvider saves a provider named name pointing at the simulator, with
// the portal tag and the org 1 admin secret, straight into the state.
func (f *fixture) withProvider(name string) provider.Provider {
	f.t.Helper()
	p := provider.Provider{Name: name, Type: provider.TypeTykPro, URL: f.sim.URL, OrgID: seedOrg,
		PolicyTags: []string{"portal"}, SecretSource: "env", Status: provider.StatusUnknown}
	f.secrets.m[name] = adminKey
	f.update(func(tx store.Tx) error { return repo.PutProvider(tx, p) })
	return p
}

func (f *fixture) update(fn func(tx store.Tx) error) {
	f.t.Helper()
	if err := f.svc.update(context.Background(), fn); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) view(fn func(tx store.Tx) error) {
	f.t.Helper()
	if err := f.svc.view(context.Background(), fn); err != nil {
		f.t.Fatal(err)
	}
}

// operations returns the journal.
func (f *fixture) operations() []catalog.Operation {
	f.t.Helper()
	var ops []catalog.Operation
	f.view(func(tx store.Tx) error {
		var err error
		ops, err = repo.ListOperations(tx, "")
		return err
	})
	return ops
}

// stateBytes is every record of the state, to compare before and after a
// use case that must change nothing.
func (f *fixture) stateBytes() string {
	f.t.Helper()
	var b strings.Builder
	err := f.svc.view(context.Background(), func(tx store.Tx) error {
		for _, k := range store.Kinds {
			if err := tx.ForEach(k, func(key, v []byte) error {
				fmt.Fprintf(&b, "%s %x %s\n", k, key, v)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !isNoState(err) {
		f.t.Fatal(err)
	}
	return b.String()
}

// mapSecrets keeps secrets in memory, like the environment store: nothing
// reaches a keyring in unit tests.
type mapSecrets struct {
	mu sync.Mutex
	m  map[string]string
	// afterSave, when set, runs after each Save: another process's
	// change between the secret's store and the provider's save.
	afterSave func()
	// unwritable, when set, is the error of a store that cannot save.
	unwritable error
	// env is TYKPORTAL_SECRET_<NAME>'s value for every provider; "": unset.
	env string
}

func (s *mapSecrets) Resolve(_ context.Context, p provider.Provider) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[p.Name]
	if !ok {
		return "", fmt.Errorf("no secret for provider %q", p.Name)
	}
	return v, nil
}

func (s *mapSecrets) FromEnv(name string) (string, bool) { return s.env, s.env != "" }

func (s *mapSecrets) CheckWritable(context.Context, string) error { return s.unwritable }

func (s *mapSecrets) Save(_ context.Context, name, sec string) (string, error) {
	s.mu.Lock()
	s.m[name] = sec
	after := s.afterSave
	s.mu.Unlock()
	if after != nil {
		after()
	}
	return "keyring", nil
}

func (s *mapSecrets) Delete(_ context.Context, name, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, name)
	return nil
}
