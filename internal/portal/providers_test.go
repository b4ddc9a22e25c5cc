package portal

import (
	"context"
	"errors"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/secret"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// holdState opens the state file for writing, as another tykportal process
// would, and gives the service a short lock timeout. The returned function
// releases it (so does the end of the test).
func (f *fixture) holdState() (release func()) {
	f.t.Helper()
	f.svc.OpenStore = func(ctx context.Context, readOnly bool) (store.Store, error) {
		return boltstore.Open(ctx, f.dbPath, boltstore.Options{ReadOnly: readOnly, LockTimeout: 100 * time.Millisecond})
	}
	st, err := boltstore.Open(context.Background(), f.dbPath, boltstore.Options{LockTimeout: time.Second})
	if err != nil {
		f.t.Fatal(err)
	}
	var once gosync.Once
	release = func() { once.Do(func() { st.Close() }) }
	f.t.Cleanup(release)
	return release
}

// provider reads a provider straight from the state.
func (f *fixture) provider(name string) (provider.Provider, bool) {
	f.t.Helper()
	var p provider.Provider
	var err error
	f.view(func(tx store.Tx) error {
		p, err = repo.GetProvider(tx, name)
		return nil
	})
	return p, err == nil
}

func (f *fixture) storedSecret(name string) (string, bool) {
	f.secrets.mu.Lock()
	defer f.secrets.mu.Unlock()
	s, ok := f.secrets.m[name]
	return s, ok
}

// dashboardRequests counts the requests the simulator answered.
func (f *fixture) dashboardRequests() int { return len(f.sim.Requests()) }

type fault struct {
	method, path string
	fault        dashboardtest.Fault
}

var (
	userFault500     = &fault{"GET", "/api/users/me", dashboardtest.Fault{Status: 500}}
	userFault403     = &fault{"GET", "/api/users/me", dashboardtest.Fault{Status: 403}}
	userFaultGarbage = &fault{"GET", "/api/users/me", dashboardtest.Fault{Garbage: true}}
	// A Dashboard that wants a session cookie on /api/users/me (its spec
	// says so) answers the API secret alone 401 there.
	userFault401 = &fault{"GET", "/api/users/me", dashboardtest.Fault{Status: 401}}
)

func wantError(t *testing.T, err error, text string, code catalog.Code) {
	t.Helper()
	switch {
	case text == "" && code == "":
		if err != nil {
			t.Fatalf("error %v", err)
		}
	case err == nil:
		t.Fatalf("no error, want %q (%s)", text, code)
	case !strings.Contains(err.Error(), text):
		t.Fatalf("error %q, want it to contain %q", err, text)
	case code != "" && catalog.CodeOf(err) != code:
		t.Fatalf("error %q has code %s, want %s", err, catalog.CodeOf(err), code)
	}
}

func TestAddProvider(t *testing.T) {
	tests := []struct {
		name      string
		add       string // provider name; default "prod"
		url       string // default the simulator's
		orgID     string
		secret    string // default the org 1 admin key
		fromEnv   bool
		secretErr error
		skipCheck bool
		insecure  bool
		fault     *fault
		before    func(f *fixture)
		// unwritable: the store new secrets go to cannot save (no keyring).
		unwritable error
		// hold: the state is held by another open "before" the use case,
		// or "during" it (once the secret is stored, before the save).
		hold string
		// meanwhile runs from the secret callback: another process's
		// change after the name check, before the save.
		meanwhile func(f *fixture)

		wantErr    string
		wantCode   catalog.Code
		wantAsked  bool
		wantOrg    string
		wantSource string
		wantWarn   string
	}{
		{name: "the org id comes from the secret's user", wantAsked: true, wantOrg: seedOrg, wantSource: "keyring"},
		{name: "a matching org id", orgID: seedOrg, wantAsked: true, wantOrg: seedOrg, wantSource: "keyring"},
		{name: "the portal user's secret", secret: "demo-portal-key-org1", wantAsked: true, wantOrg: seedOrg, wantSource: "keyring"},
		{name: "a secret from the environment is not stored", fromEnv: true, wantAsked: true, wantOrg: seedOrg, wantSource: "env"},
		{name: "skip-check saves an unchecked secret, org id left out", secret: "wrong-secret", skipCheck: true, wantAsked: true, wantOrg: "", wantSource: "keyring"},
		{name: "403: the user is unreadable, the secret accepted: saved with a warning", secret: "demo-no-users-key-org1", fault: userFault403,
			wantAsked: true, wantOrg: "", wantSource: "keyring", wantWarn: "could not read the Dashboard user"},
		{name: "401 on /api/users/me: the user is read from /api/users, and that is said", fault: userFault401,
			wantAsked: true, wantOrg: seedOrg, wantSource: "keyring", wantWarn: "read the Dashboard user from /api/users (/api/users/me: it answered 401"},
		{name: "TLS verification off is warned about", insecure: true, wantAsked: true, wantOrg: seedOrg, wantSource: "keyring", wantWarn: "TLS certificate verification is off"},

		{name: "401: a wrong secret", secret: "wrong-secret", wantAsked: true,
			wantErr: "the Dashboard refused the secret (401", wantCode: catalog.CodeRemoteRefused},
		{name: "401: an inactive user", secret: "demo-inactive-key-org1", wantAsked: true,
			wantErr: "nothing was saved; fix it, or pass --skip-check", wantCode: catalog.CodeRemoteRefused},
		{name: "500 on the check", fault: userFault500, wantAsked: true, wantErr: "the Dashboard failed (500", wantCode: catalog.CodeRemoteFailed},
		{name: "garbage on the check", fault: userFaultGarbage, wantAsked: true, wantErr: "cannot be read", wantCode: catalog.CodeRemoteFailed},
		{name: "unreachable", url: "http://127.0.0.1:1", wantAsked: true, wantErr: "unreachable", wantCode: catalog.CodeRemoteFailed},
		{name: "a wrong org id", orgID: "not-my-org", wantAsked: true, wantErr: "org id not-my-org does not match the org " + seedOrg},
		{name: "the other org's admin", secret: "demo-admin-key-org2", orgID: seedOrg, wantAsked: true, wantErr: "does not match the org"},
		{name: "a duplicate name is refused before the secret is asked", add: "other", wantErr: `provider already exists: "other"`, wantCode: catalog.CodeExists},
		{name: "a name sharing the secret variable", add: "oth-er", before: func(f *fixture) { f.withProvider("oth_er") },
			wantErr: "would share the variable TYKPORTAL_SECRET_OTH_ER", wantCode: catalog.CodeInvalid},
		{name: "a name sharing the secret variable, added meanwhile", add: "oth-er", skipCheck: true, wantAsked: true,
			meanwhile: func(f *fixture) { f.withProvider("oth_er") },
			wantErr:   "would share the variable TYKPORTAL_SECRET_OTH_ER", wantCode: catalog.CodeInvalid},
		{name: "the same name, added meanwhile: its secret is kept", add: "prod", skipCheck: true, wantAsked: true, secret: "demo-portal-key-org1",
			meanwhile: func(f *fixture) { f.withProvider("prod") },
			wantErr:   `provider already exists: "prod"`, wantCode: catalog.CodeExists},
		{name: "an invalid name", add: "Bad Name", wantErr: "is not allowed", wantCode: catalog.CodeInvalid},
		{name: "no secret given", secretErr: catalog.Errorf(catalog.CodeInvalid, "no secret for provider"), wantAsked: true,
			wantErr: "no secret for provider", wantCode: catalog.CodeInvalid},
		{name: "in use: refused before the secret is asked", hold: "before",
			wantErr: "in use by another tykportal process", wantCode: catalog.CodeInUse},
		{name: "in use at the save: the stored secret is deleted again", skipCheck: true, hold: "during",
			wantAsked: true, wantErr: `save provider "prod"`, wantCode: catalog.CodeInUse},
		{name: "no usable keyring: refused before the secret is asked", unwritable: secret.ErrUnavailable,
			wantErr: "the OS keyring is unavailable"},
		{name: "no usable keyring, the secret from the environment: nothing to store", unwritable: secret.ErrUnavailable,
			before: func(f *fixture) { f.secrets.env = adminKey }, fromEnv: true, wantAsked: true, wantOrg: seedOrg, wantSource: "env"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.withProvider("other")
			if tc.before != nil {
				tc.before(f)
			}
			f.secrets.unwritable = tc.unwritable
			if tc.fault != nil {
				f.sim.SetFault(tc.fault.method, tc.fault.path, 0, tc.fault.fault)
			}
			name, url, sec := cmp(tc.add, "prod"), cmp(tc.url, f.sim.URL), cmp(tc.secret, adminKey)
			asked := false
			p := provider.Provider{Name: name, URL: url, OrgID: tc.orgID, InsecureSkipVerify: tc.insecure}
			state := f.stateBytes()
			release := func() {}
			if tc.hold == "before" {
				release = f.holdState()
			}
			if tc.hold == "during" {
				f.secrets.afterSave = func() { release = f.holdState() }
			}
			got, err := f.svc.AddProvider(context.Background(), AddProviderOptions{Provider: p, SkipCheck: tc.skipCheck,
				Secret: func() (SecretInput, error) {
					asked = true
					if tc.meanwhile != nil {
						tc.meanwhile(f)
						state = f.stateBytes()
					}
					return SecretInput{Value: sec, FromEnv: tc.fromEnv}, tc.secretErr
				}})
			release()
			wantError(t, err, tc.wantErr, tc.wantCode)
			if asked != tc.wantAsked {
				t.Errorf("secret asked: %v, want %v", asked, tc.wantAsked)
			}
			if tc.wantWarn != "" && !slices.ContainsFunc(f.warnings, func(w string) bool { return strings.Contains(w, tc.wantWarn) }) {
				t.Errorf("warnings %q, want %q", f.warnings, tc.wantWarn)
			}
			if tc.skipCheck && f.dashboardRequests() != 0 {
				t.Errorf("--skip-check asked the Dashboard: %+v", f.sim.Requests())
			}
			if err != nil {
				if after := f.stateBytes(); after != state {
					t.Errorf("a refused add changed the state:\n%s\nwant\n%s", after, state)
				}
				s, ok := f.storedSecret(name)
				switch {
				case tc.meanwhile != nil && name == "prod":
					// The provider added meanwhile keeps its own secret.
					if s != adminKey {
						t.Errorf("the provider added meanwhile has the secret %q, want its own", s)
					}
				case ok && name != "other" && name != "oth_er":
					t.Errorf("a refused add left the secret %q stored", s)
				}
				return
			}
			saved, ok := f.provider(name)
			if !ok {
				t.Fatal("not saved")
			}
			want := provider.Provider{Name: name, Type: provider.TypeTykPro, URL: url, OrgID: tc.wantOrg, PolicyTags: []string{},
				InsecureSkipVerify: tc.insecure, SecretSource: tc.wantSource, Status: provider.StatusUnknown, CreatedAt: f.svc.now()}
			if !equalProviders(saved, want) || !equalProviders(got, want) {
				t.Errorf("saved %+v\nreturned %+v\nwant %+v", saved, got, want)
			}
			if s, stored := f.storedSecret(name); stored != !tc.fromEnv || stored && s != sec {
				t.Errorf("stored secret %q (%v), want stored: %v", s, stored, !tc.fromEnv)
			}
		})
	}
}

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func equalProviders(a, b provider.Provider) bool {
	return a.Name == b.Name && a.Type == b.Type && a.URL == b.URL && a.GatewayURL == b.GatewayURL && a.OrgID == b.OrgID &&
		slices.Equal(a.PolicyTags, b.PolicyTags) && (a.PolicyTags == nil) == (b.PolicyTags == nil) &&
		a.InsecureSkipVerify == b.InsecureSkipVerify && a.CAFile == b.CAFile &&
		a.SecretSource == b.SecretSource && a.Status == b.Status && a.CreatedAt.Equal(b.CreatedAt)
}

func ptr[T any](v T) *T { return &v }

func TestEditProvider(t *testing.T) {
	tests := []struct {
		name      string
		edit      string // default "prod"
		changes   ProviderChanges
		secret    string // a new secret, "" none
		fromEnv   bool
		skipCheck bool
		fault     *fault
		before    func(f *fixture)
		hold      bool // the state is held by another open

		wantErr    string
		wantCode   catalog.Code
		wantAsked  bool
		wantCheck  bool // the Dashboard was asked
		want       func(p *provider.Provider)
		wantSecret string // the stored secret after, "" none
		wantWarn   string
	}{
		{name: "tags only: no check", changes: ProviderChanges{PolicyTags: ptr([]string{"a", "b"})},
			want: func(p *provider.Provider) { p.PolicyTags = []string{"a", "b"} }, wantSecret: adminKey},
		{name: "gateway url only: no check", changes: ProviderChanges{GatewayURL: ptr("https://gw.example.com")},
			want: func(p *provider.Provider) { p.GatewayURL = "https://gw.example.com" }, wantSecret: adminKey},
		{name: "org id cleared: checked, filled from the user", changes: ProviderChanges{OrgID: ptr("")}, wantCheck: true, wantSecret: adminKey},
		{name: "a new url, skip-check", changes: ProviderChanges{URL: ptr("https://elsewhere.example.com")}, skipCheck: true,
			want: func(p *provider.Provider) { p.URL = "https://elsewhere.example.com" }, wantSecret: adminKey},
		{name: "a new secret, checked and stored", secret: "demo-portal-key-org1", wantAsked: true, wantCheck: true,
			want: func(p *provider.Provider) { p.SecretSource = "keyring" }, wantSecret: "demo-portal-key-org1"},
		{name: "a secret from the environment: the stored one is deleted", secret: adminKey, fromEnv: true, wantAsked: true, wantCheck: true,
			before: func(f *fixture) { f.setSource("prod", "keyring") }, want: func(p *provider.Provider) { p.SecretSource = "env" }},
		{name: "TLS verification turned off is warned about", changes: ProviderChanges{InsecureSkipVerify: ptr(true)}, wantCheck: true,
			want: func(p *provider.Provider) { p.InsecureSkipVerify = true }, wantSecret: adminKey, wantWarn: "TLS certificate verification is off"},

		{name: "401: a wrong new secret changes nothing", secret: "wrong-secret", wantAsked: true, wantCheck: true,
			wantErr: "refused the secret", wantCode: catalog.CodeRemoteRefused, wantSecret: adminKey},
		{name: "500 on the check", changes: ProviderChanges{OrgID: ptr(seedOrg + "x")}, fault: userFault500, wantCheck: true,
			wantErr: "the Dashboard failed", wantCode: catalog.CodeRemoteFailed, wantSecret: adminKey},
		{name: "a wrong org id", changes: ProviderChanges{OrgID: ptr("someone-else")}, wantCheck: true,
			wantErr: "org id someone-else does not match", wantSecret: adminKey},
		{name: "a new url that does not answer", changes: ProviderChanges{URL: ptr("http://127.0.0.1:1")},
			wantErr: "unreachable", wantCode: catalog.CodeRemoteFailed, wantSecret: adminKey},
		{name: "the secret to check with is missing", changes: ProviderChanges{OrgID: ptr("")},
			before: func(f *fixture) { delete(f.secrets.m, "prod") }, wantErr: `read the secret of provider "prod"`},
		{name: "unknown provider: nothing asked", edit: "nosuch", secret: adminKey, wantErr: `unknown provider "nosuch"`, wantCode: catalog.CodeUnknown, wantSecret: adminKey},
		{name: "no usable keyring: a new secret is refused before it is asked", secret: "demo-portal-key-org1",
			before: func(f *fixture) { f.secrets.unwritable = secret.ErrUnavailable }, wantErr: "the OS keyring is unavailable", wantSecret: adminKey},
		{name: "in use", changes: ProviderChanges{PolicyTags: ptr([]string{})}, hold: true,
			wantErr: "in use by another tykportal process", wantCode: catalog.CodeInUse, wantSecret: adminKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.withProvider("prod")
			if tc.before != nil {
				tc.before(f)
			}
			if tc.fault != nil {
				f.sim.SetFault(tc.fault.method, tc.fault.path, 0, tc.fault.fault)
			}
			before, _ := f.provider("prod")
			state := f.stateBytes()
			opts := EditProviderOptions{Name: cmp(tc.edit, "prod"), Changes: tc.changes, SkipCheck: tc.skipCheck}
			asked := false
			if tc.secret != "" {
				opts.Secret = func() (SecretInput, error) {
					asked = true
					return SecretInput{Value: tc.secret, FromEnv: tc.fromEnv}, nil
				}
			}
			release := func() {}
			if tc.hold {
				release = f.holdState()
			}
			got, err := f.svc.EditProvider(context.Background(), opts)
			release()
			wantError(t, err, tc.wantErr, tc.wantCode)
			if asked != tc.wantAsked {
				t.Errorf("secret asked: %v, want %v", asked, tc.wantAsked)
			}
			if checked := f.dashboardRequests() > 0; checked != tc.wantCheck {
				t.Errorf("Dashboard asked: %v, want %v", checked, tc.wantCheck)
			}
			if tc.wantWarn != "" && !slices.ContainsFunc(f.warnings, func(w string) bool { return strings.Contains(w, tc.wantWarn) }) {
				t.Errorf("warnings %q, want %q", f.warnings, tc.wantWarn)
			}
			if s, _ := f.storedSecret("prod"); s != tc.wantSecret {
				t.Errorf("stored secret %q, want %q", s, tc.wantSecret)
			}
			if err != nil {
				if after := f.stateBytes(); after != state {
					t.Errorf("a refused edit changed the state")
				}
				return
			}
			want := before
			if tc.want != nil {
				tc.want(&want)
			}
			saved, _ := f.provider("prod")
			if !equalProviders(saved, want) || !equalProviders(got, want) {
				t.Errorf("saved %+v\nreturned %+v\nwant %+v", saved, got, want)
			}
		})
	}
}

func (f *fixture) setSource(name, source string) {
	f.update(func(tx store.Tx) error {
		p, err := repo.GetProvider(tx, name)
		if err != nil {
			return err
		}
		p.SecretSource = source
		return repo.PutProvider(tx, p)
	})
}

// interrupted journals an operation of a provider as a create cut off
// before its local write would, and returns it.
func (f *fixture) interrupted(op catalog.Operation) catalog.Operation {
	f.t.Helper()
	if op.Marker == "" {
		m, err := catalog.NewMarker()
		if err != nil {
			f.t.Fatal(err)
		}
		op.Marker = m
	}
	if op.StartedAt.IsZero() {
		op.StartedAt = f.svc.now().Add(-time.Hour)
	}
	f.update(func(tx store.Tx) error { return repo.BeginOperation(tx, &op) })
	return op
}

// failingSecrets cannot delete a stored secret.
type failingSecrets struct{ *mapSecrets }

func (failingSecrets) Delete(context.Context, string, string) error {
	return errors.New("the keyring is locked")
}

func TestRemoveProvider(t *testing.T) {
	cancelled := errors.New("cancelled: nothing was changed")
	tests := []struct {
		name       string
		remove     string
		confirm    error
		secrets    func(f *fixture) Secrets
		hold       bool
		wantErr    string
		wantCode   catalog.Code
		wantAsked  bool
		wantWarn   string
		wantSecret bool // still stored after
	}{
		{name: "removed with its records, operations and secret", wantAsked: true},
		{name: "a secret that cannot be deleted is a warning", wantAsked: true, wantWarn: `could not delete the stored secret of provider "prod": the keyring is locked`,
			secrets: func(f *fixture) Secrets { return failingSecrets{f.secrets} }, wantSecret: true},
		{name: "not confirmed: nothing removed", confirm: cancelled, wantAsked: true, wantErr: "cancelled", wantSecret: true},
		{name: "unknown provider: nothing asked", remove: "nosuch", wantErr: `unknown provider "nosuch"`, wantCode: catalog.CodeUnknown, wantSecret: true},
		{name: "in use", hold: true, wantErr: "in use", wantCode: catalog.CodeInUse, wantSecret: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.seedItems() // providers prod and other
			f.setSource("prod", "keyring")
			mine := f.interrupted(catalog.Operation{Provider: "prod", Command: "credentials issue", Object: catalog.ObjectKey, Name: "lost@example.com", APIID: "payments"})
			f.interrupted(catalog.Operation{Provider: "other", Command: "products create", Object: catalog.ObjectPolicy, Name: "Other"})
			if tc.secrets != nil {
				f.svc.Secrets = tc.secrets(f)
			}
			asked := false
			state := f.stateBytes()
			release := func() {}
			if tc.hold {
				release = f.holdState()
			}
			r, err := f.svc.RemoveProvider(context.Background(), RemoveProviderOptions{Name: cmp(tc.remove, "prod"),
				Confirm: func(p provider.Provider) error {
					asked = true
					if p.Name != "prod" {
						t.Errorf("confirm asked about %q", p.Name)
					}
					return tc.confirm
				}})
			release()
			wantError(t, err, tc.wantErr, tc.wantCode)
			if asked != tc.wantAsked {
				t.Errorf("confirmation asked: %v, want %v", asked, tc.wantAsked)
			}
			if _, stored := f.storedSecret("prod"); stored != tc.wantSecret {
				t.Errorf("secret still stored: %v, want %v", stored, tc.wantSecret)
			}
			if tc.wantWarn != "" && !slices.Contains(f.warnings, tc.wantWarn) {
				t.Errorf("warnings %q, want %q", f.warnings, tc.wantWarn)
			}
			if err != nil {
				if f.stateBytes() != state {
					t.Error("a refused remove changed the state")
				}
				return
			}
			if r.Provider.Name != "prod" || len(r.Dropped) != 1 || r.Dropped[0].ID != mine.ID || r.Dropped[0].Marker != mine.Marker {
				t.Fatalf("removed %+v, want prod dropping operation %+v", r, mine)
			}
			if _, ok := f.provider("prod"); ok {
				t.Error("prod is still there")
			}
			if ops := f.operations(); len(ops) != 1 || ops[0].Provider != "other" {
				t.Errorf("journal after: %+v, want other's operation only", ops)
			}
			products, err := ListItems[catalog.Product](context.Background(), f.svc, ListOptions{Visibility: catalog.AllItems})
			if err != nil || len(products) != 1 || products[0].Provider != "other" {
				t.Errorf("products after: %+v %v", products, err)
			}
			if _, ok := f.storedSecret("other"); !ok {
				t.Error("the other provider's secret was deleted")
			}
		})
	}
}

func TestLeftBehind(t *testing.T) {
	op := catalog.Operation{Command: "credentials issue", Name: "gone@example.com", Object: catalog.ObjectOAuthClient,
		Marker: "op-0123456789abcdef01234567", StartedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("x", 3600))}
	want := `interrupted credentials issue of "gone@example.com" (2026-12-01T08:00:00Z) may have left a OAuth client in the Dashboard; its meta_data has tykportal_operation "op-0123456789abcdef01234567"`
	if got := LeftBehind(op); got != want {
		t.Errorf("%s\nwant %s", got, want)
	}
}

func TestTestProvider(t *testing.T) {
	type check struct{ name, status, detail string }
	tests := []struct {
		name     string
		secret   string
		noSecret bool
		test     string
		fault    *fault
		journal  bool
		wantOK   bool
		want     []check // checks that must be in the report
		wantErr  string
		wantCode catalog.Code
		failed   string // FailedChecks' error
	}{
		{name: "admin", wantOK: true, want: []check{{"reachable", "pass", ""}, {"tls", "warn", "plain http"}, {"secret", "pass", ""},
			{"org", "pass", seedOrg}, {"permissions", "pass", "admin"}, {"policies_matching_tags", "pass", "of 19 policies carry one of the tags portal"},
			{"interrupted_operations", "pass", "none"}}},
		{name: "the portal user", secret: "demo-portal-key-org1", wantOK: true, want: []check{{"permissions", "pass", "apis, certs, keys, oauth, policies (write)"}}},
		{name: "401: a wrong secret", secret: "wrong-secret", want: []check{{"secret", "fail", "refused the secret (401)"}, {"permissions", "fail", "not checked: secret failed"}},
			failed: `provider "prod" failed the checks: secret, org, permissions, policies_matching_tags (details above)`},
		{name: "403: no apis", secret: "demo-no-apis-key-org1", want: []check{{"permissions", "fail", "lacks: apis (write)"}}, failed: "failed the checks: permissions ("},
		{name: "no oauth (the OAuth client endpoints) alone is a warning", secret: "demo-no-oauth-key-org1", wantOK: true,
			want: []check{{"permissions", "warn", "lacks: oauth (write), which OAuth 2.0 products' credentials"}}},
		{name: "a group member with no permissions of its own is no admin", secret: "demo-group-key-org1",
			want: []check{{"permissions", "fail", "it is in user group 5fd0a1b2c3d4e5f601234567 and lists no permissions of its own"}}},
		{name: "401 on /api/users/me is no verdict on the secret", fault: userFault401, wantOK: true,
			want: []check{{"secret", "pass", "the user was read from /api/users (/api/users/me: it answered 401"}, {"org", "pass", seedOrg}, {"permissions", "pass", "admin"}}},
		{name: "403: no certs", secret: "demo-no-certs-key-org1", want: []check{{"permissions", "fail", "lacks: certs (write)"}}},
		{name: "403: no keys", secret: "demo-no-keys-key-org1", want: []check{{"permissions", "fail", "lacks: keys (write)"}}},
		{name: "403: no analytics", secret: "demo-no-analytics-key-org1", want: []check{{"permissions", "fail", "lacks: analytics (read)"}}},
		{name: "403: no users", secret: "demo-no-users-key-org1", want: []check{{"permissions", "fail", "lacks: users (read)"}}},
		{name: "403: no policies", secret: "demo-no-policies-key-org1", want: []check{{"permissions", "fail", "lacks: policies (write)"},
			{"policies_matching_tags", "fail", `lacks the "policies" permission`}}, failed: "permissions, policies_matching_tags"},
		{name: "500 on the policies", fault: &fault{"GET", "/api/portal/policies", dashboardtest.Fault{Status: 500}},
			want: []check{{"secret", "pass", ""}, {"policies_matching_tags", "fail", "could not list policies"}}},
		{name: "garbage on the user", fault: userFaultGarbage, want: []check{{"reachable", "fail", "cannot be read"}}},
		{name: "an interrupted create is a warning", journal: true, wantOK: true,
			want: []check{{"interrupted_operations", "warn", `1 create(s) did not finish (the last: products create "Lost" at 2026-12-02T09:00:00Z)`}}},
		{name: "unknown provider", test: "nosuch", wantErr: `unknown provider "nosuch"`, wantCode: catalog.CodeUnknown},
		{name: "no secret", noSecret: true, wantErr: `read the secret of provider "prod"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.withProvider("prod")
			if tc.secret != "" {
				f.secrets.m["prod"] = tc.secret
			}
			if tc.noSecret {
				delete(f.secrets.m, "prod")
			}
			if tc.fault != nil {
				f.sim.SetFault(tc.fault.method, tc.fault.path, 0, tc.fault.fault)
			}
			if tc.journal {
				f.interrupted(catalog.Operation{Provider: "prod", Command: "products create", Object: catalog.ObjectPolicy, Name: "Lost"})
			}
			state := f.stateBytes()
			r, err := f.svc.TestProvider(context.Background(), cmp(tc.test, "prod"))
			wantError(t, err, tc.wantErr, tc.wantCode)
			if f.stateBytes() != state {
				t.Error("provider test changed the state")
			}
			if err != nil {
				return
			}
			if r.OK != tc.wantOK || r.Provider != "prod" || len(r.Checks) != 7 {
				t.Errorf("report %+v, want ok %v and 7 checks", r, tc.wantOK)
			}
			for _, w := range tc.want {
				if !slices.ContainsFunc(r.Checks, func(c provider.Check) bool {
					return c.Name == w.name && c.Status == w.status && strings.Contains(c.Detail, w.detail)
				}) {
					t.Errorf("no check %+v in %+v", w, r.Checks)
				}
			}
			ferr := FailedChecks(r)
			if tc.wantOK != (ferr == nil) || tc.failed != "" && (ferr == nil || !strings.Contains(ferr.Error(), tc.failed)) {
				t.Errorf("FailedChecks: %v, want %q", ferr, tc.failed)
			}
		})
	}
}

// envSecrets reads some providers' secrets from "the environment".
type envSecrets struct {
	*mapSecrets
	env map[string]string
}

func (s envSecrets) FromEnv(name string) (string, bool) {
	v, ok := s.env[name]
	return v, ok
}

func TestListAndShowProviders(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if ps, err := f.svc.ListProviders(ctx); err != nil || ps == nil || len(ps) != 0 {
		t.Fatalf("no state: %v %v", ps, err)
	}
	if _, err := f.svc.ShowProvider(ctx, "prod"); catalog.CodeOf(err) != catalog.CodeUnknown || !strings.Contains(err.Error(), "no provider has been added yet") {
		t.Fatalf("show without a state: %v", err)
	}
	f.withProvider("prod")
	f.withProvider("other")
	f.setSource("prod", "keyring")
	f.setSource("other", "file")
	id := uint64(1)
	result := catalog.SyncResult{Provider: "prod", Status: catalog.SyncOK, StartedAt: f.svc.now(),
		Changes: []catalog.Change{{Action: catalog.ActionCreate, Kind: catalog.KindProduct, ID: &id, PolicyID: "p1", Name: "pay"}}}
	f.update(func(tx store.Tx) error {
		p, err := repo.GetProvider(tx, "prod")
		if err != nil {
			return err
		}
		at := f.svc.now()
		p.LastSyncAt = &at
		return repo.RecordSync(tx, &p, result, 10)
	})
	f.svc.Secrets = envSecrets{f.secrets, map[string]string{"other": "from-env"}}

	ps, err := f.svc.ListProviders(ctx)
	if err != nil || len(ps) != 2 {
		t.Fatalf("list: %+v %v", ps, err)
	}
	// name order; the environment wins over the stored source
	if ps[0].Name != "other" || ps[0].SecretSource != "env" || ps[0].LastSync != nil {
		t.Errorf("other: %+v", ps[0])
	}
	if ps[1].Name != "prod" || ps[1].SecretSource != "keyring" || ps[1].LastSync == nil || len(ps[1].LastSync.Changes) != 1 || ps[1].LastSyncAt == nil {
		t.Errorf("prod: %+v, want its whole last sync", ps[1])
	}
	for _, tc := range []struct {
		name     string
		source   string
		lastSync bool
		wantCode catalog.Code
	}{
		{"prod", "keyring", true, ""},
		{"other", "env", false, ""},
		{"nosuch", "", false, catalog.CodeUnknown},
		{"No Such", "", false, catalog.CodeInvalid},
	} {
		p, err := f.svc.ShowProvider(ctx, tc.name)
		if tc.wantCode != "" {
			if catalog.CodeOf(err) != tc.wantCode {
				t.Errorf("show %q: %v, want %s", tc.name, err, tc.wantCode)
			}
			continue
		}
		if err != nil || p.SecretSource != tc.source || (p.LastSync != nil) != tc.lastSync || tc.lastSync && len(p.LastSync.Changes) != 1 {
			t.Errorf("show %q: %+v %v", tc.name, p, err)
		}
	}

	release := f.holdState()
	defer release()
	if _, err := f.svc.ListProviders(ctx); catalog.CodeOf(err) != catalog.CodeInUse {
		t.Errorf("list of a held state: %v", err)
	}
	if _, err := f.svc.ShowProvider(ctx, "prod"); catalog.CodeOf(err) != catalog.CodeInUse {
		t.Errorf("show of a held state: %v", err)
	}
}

// A provider added on another host sharing the catalogue: show says what
// to set here, and still shows the record.
func TestShowProviderWithoutSecretHere(t *testing.T) {
	f := newFixture(t)
	p := f.withProvider("prod")
	p.SecretSource = "keyring"
	f.update(func(tx store.Tx) error { return repo.PutProvider(tx, p) })
	delete(f.secrets.m, "prod")
	got, err := f.svc.ShowProvider(context.Background(), "prod")
	if err != nil || got.Name != "prod" {
		t.Fatalf("%+v %v", got, err)
	}
	if len(f.warnings) != 1 || !strings.Contains(f.warnings[0], "set TYKPORTAL_SECRET_PROD") || !strings.Contains(f.warnings[0], "provider edit prod --secret-stdin") {
		t.Fatalf("warnings %q", f.warnings)
	}
}

// A sync's outcome committed while an edit checks the connection (another
// host's sync, a watch) is kept: the edit writes its settings onto the
// record as committed.
func TestEditProviderKeepsAConcurrentSync(t *testing.T) {
	f := newFixture(t)
	f.withProvider("prod")
	ctx := context.Background()
	build := f.svc.Dashboard
	f.svc.Dashboard = func(p provider.Provider, sec string) (*dashboard.Client, error) {
		f.update(func(tx store.Tx) error {
			cur, err := repo.GetProvider(tx, "prod")
			if err != nil {
				return err
			}
			at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
			cur.Status, cur.LastSyncAt = provider.StatusUp, &at
			return repo.PutProvider(tx, cur)
		})
		return build(p, sec)
	}
	url := f.sim.URL + "/"
	got, err := f.svc.EditProvider(ctx, EditProviderOptions{Name: "prod", Changes: ProviderChanges{URL: &url}})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := f.svc.ShowProvider(ctx, "prod")
	for _, p := range []provider.Provider{got, again} {
		if p.Status != provider.StatusUp || p.LastSyncAt == nil {
			t.Fatalf("the sync's outcome was written over: status %q, last sync %v", p.Status, p.LastSyncAt)
		}
	}
}

// Names sharing a secret variable are reserved one add at a time: the
// second waits for the first to finish; other names do not wait.
func TestReserveName(t *testing.T) {
	f := newFixture(t)
	f.svc.Leases = boltstore.Leases{Path: f.dbPath}
	f.svc.Instance = "test/1"
	ctx := context.Background()
	release, err := f.svc.reserveName(ctx, "prod-1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.svc.reserveName(ctx, "prod-2")
	if err != nil {
		t.Fatalf("another name waited: %v", err)
	}
	other()
	const held = 300 * time.Millisecond
	go func() { time.Sleep(held); release() }()
	start := time.Now()
	second, err := f.svc.reserveName(ctx, "prod_1")
	if err != nil {
		t.Fatal(err)
	}
	second()
	if took := time.Since(start); took < held {
		t.Errorf("prod_1 was reserved after %v while prod-1 was reserved for %v", took, held)
	}
}
