package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/repo"
	tpsync "github.com/tykportal/tykportal/pkg/sync"
)

// The credential use cases run against a catalogue synced from the seed
// data by the real sync engine: providers prod and other on one simulator
// (org 1), prod's Payments and Accounts OAuth products and Gold and Silver
// plans published, other's Payments product published, prod's Weather
// product left unpublished and its Quota Only plan hidden.

type credFixture struct {
	*fixture
	ids map[string]uint64 // "provider/name" of products and plans
}

// newCredFixture builds the synced fixture on a simulator with opts
// (dashboardtest.Defaults() when nil).
func newCredFixture(t *testing.T, opts *dashboardtest.Options) *credFixture {
	t.Helper()
	f := newFixture(t)
	if opts != nil {
		f.sim = dashboardtest.NewServer(t, *opts)
		if err := f.sim.LoadDir("../../testdata/dashboard"); err != nil {
			t.Fatal(err)
		}
	}
	f.withProvider("prod")
	f.withProvider("other")
	ctx := context.Background()
	e := &tpsync.Engine{
		OpenDB:    f.svc.OpenStore,
		SourceFor: func(ctx context.Context, p provider.Provider) (tpsync.Source, error) { return f.svc.client(ctx, p) },
		Now:       f.svc.Now,
	}
	results, err := e.Sync(ctx, nil, tpsync.Options{})
	if err != nil || len(results) != 2 || results[0].Status != "ok" || results[1].Status != "ok" {
		t.Fatalf("sync: %v %+v", err, results)
	}
	c := &credFixture{fixture: f, ids: map[string]uint64{}}
	products, err := ListItems[catalog.Product](ctx, f.svc, ListOptions{Visibility: catalog.AllItems})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range products {
		c.ids[p.Provider+"/"+p.Name] = p.ID
	}
	plans, err := ListItems[catalog.Plan](ctx, f.svc, ListOptions{Visibility: catalog.AllItems})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		c.ids[p.Provider+"/"+p.Name] = p.ID
	}
	for _, name := range []string{"prod/Payments Product", "prod/Accounts OAuth Product", "other/Payments Product"} {
		if _, err := SetPublished[catalog.Product](ctx, f.svc, c.id(name), true); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"prod/Gold Plan", "prod/Silver Plan"} {
		if _, err := SetPublished[catalog.Plan](ctx, f.svc, c.id(name), true); err != nil {
			t.Fatal(err)
		}
	}
	f.update(func(tx store.Tx) error {
		p, err := repo.GetPlan(tx, c.id("prod/Quota Only Plan"))
		if err != nil {
			return err
		}
		p.Hidden = true
		return repo.PutPlan(tx, p)
	})
	return c
}

func (c *credFixture) id(name string) uint64 {
	c.t.Helper()
	id, ok := c.ids[name]
	if !ok {
		c.t.Fatalf("no product or plan %q in the synced catalogue", name)
	}
	return id
}

// keyOpts issues a key of prod's Payments product on the Gold plan.
func (c *credFixture) keyOpts() IssueOptions {
	return IssueOptions{ProductID: c.id("prod/Payments Product"), PlanID: c.id("prod/Gold Plan"), Consumer: "dev@example.com"}
}

// oauthOpts issues an OAuth client of prod's Accounts product.
func (c *credFixture) oauthOpts() IssueOptions {
	return IssueOptions{ProductID: c.id("prod/Accounts OAuth Product"), PlanID: c.id("prod/Gold Plan"), Consumer: "app@example.com", RedirectURI: "https://app.example.com/cb"}
}

// issue issues a credential that a test needs to exist.
func (c *credFixture) issue(o IssueOptions) Issued {
	c.t.Helper()
	ic, err := c.svc.IssueCredential(context.Background(), o)
	if err != nil {
		c.t.Fatalf("issue: %v", err)
	}
	return ic
}

func (c *credFixture) credentials() []catalog.Credential {
	c.t.Helper()
	var creds []catalog.Credential
	c.view(func(tx store.Tx) error {
		var err error
		creds, err = store.List[catalog.Credential](tx, store.Credentials)
		return err
	})
	return creds
}

func (c *credFixture) credential(id uint64) catalog.Credential {
	c.t.Helper()
	var cred catalog.Credential
	c.view(func(tx store.Tx) error {
		var err error
		cred, err = repo.GetCredential(tx, id)
		return err
	})
	return cred
}

// keyHashes are the hashes of the keys in the Dashboard, in order.
func (c *credFixture) keyHashes() []string {
	var out []string
	for _, k := range c.sim.Keys(seedOrg) {
		out = append(out, k["key_hash"].(string))
	}
	return out
}

// requests counts the Dashboard requests with this method whose path
// starts with prefix.
func (c *credFixture) requests(method, prefix string) int {
	n := 0
	for _, r := range c.sim.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// onWrite runs fn when the state is opened for writing for the nth time
// from now; an error from fn is that open's error. Later opens pass.
func (c *credFixture) onWrite(n int, fn func() error) {
	open := c.svc.OpenStore
	count := 0
	c.svc.OpenStore = func(ctx context.Context, readOnly bool) (store.Store, error) {
		if !readOnly {
			count++
			if count == n {
				if err := fn(); err != nil {
					return nil, err
				}
			}
		}
		return open(ctx, readOnly)
	}
}

// holdState holds the state file as another process would (an open for
// writing) and gives the service a short lock timeout; release ends it.
func (c *credFixture) holdState() (release func()) {
	c.t.Helper()
	c.shortLockTimeout()
	held, err := boltstore.Open(context.Background(), c.dbPath, boltstore.Options{LockTimeout: time.Second})
	if err != nil {
		c.t.Fatal(err)
	}
	return func() { held.Close() }
}

func (c *credFixture) shortLockTimeout() {
	c.svc.OpenStore = func(ctx context.Context, readOnly bool) (store.Store, error) {
		return boltstore.Open(ctx, c.dbPath, boltstore.Options{ReadOnly: readOnly, LockTimeout: 200 * time.Millisecond})
	}
}

// heldDuringWrite makes the nth write open find the state held by another
// process; the hold ends right after, so the undo can write.
func (c *credFixture) heldDuringWrite(n int) {
	c.shortLockTimeout()
	c.onWrite(n, func() error {
		held, err := boltstore.Open(context.Background(), c.dbPath, boltstore.Options{LockTimeout: time.Second})
		if err != nil {
			return err
		}
		defer held.Close()
		st, err := boltstore.Open(context.Background(), c.dbPath, boltstore.Options{LockTimeout: 200 * time.Millisecond})
		if err == nil {
			st.Close()
			return errors.New("the state was not held")
		}
		return err
	})
}

// checkErr checks an error's code and text.
func checkErr(t *testing.T, err error, code catalog.Code, text string) {
	t.Helper()
	if code == "" && text == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %s %q", code, text)
	}
	if code != "" && catalog.CodeOf(err) != code {
		t.Errorf("error code %s, want %s: %v", catalog.CodeOf(err), code, err)
	}
	if !strings.Contains(err.Error(), text) {
		t.Errorf("error %q does not say %q", err, text)
	}
	if strings.Contains(err.Error(), adminKey) {
		t.Errorf("the secret is in the error: %v", err)
	}
}

func TestIssueCredential(t *testing.T) {
	ctx := context.Background()
	t.Run("key", func(t *testing.T) {
		c := newCredFixture(t, nil)
		ic, err := c.svc.IssueCredential(ctx, c.keyOpts())
		if err != nil {
			t.Fatal(err)
		}
		now := c.svc.now()
		expires := now.Add(30 * 24 * time.Hour) // Gold Plan's key_expires_in
		if ic.ID != 1 || ic.Kind != catalog.KindKey || ic.Provider != "prod" || ic.Alias != "dev@example.com" || ic.Consumer != "dev@example.com" ||
			!strings.HasPrefix(ic.Key, seedOrg) || ic.KeyHash == "" || ic.ClientSecret != "" || !ic.CreatedAt.Equal(now) ||
			ic.ExpiresAt == nil || !ic.ExpiresAt.Equal(expires) {
			t.Fatalf("issued %+v", ic)
		}
		if got := c.credentials(); len(got) != 1 || !same(got[0], ic.Credential) {
			t.Fatalf("records %+v, want %+v", got, ic.Credential)
		}
		if ops := c.operations(); len(ops) != 0 {
			t.Fatalf("journal %+v", ops)
		}
		keys := c.sim.Keys(seedOrg)
		if len(keys) != 1 || keys[0]["key_hash"] != ic.KeyHash || keys[0]["alias"] != "dev@example.com" {
			t.Fatalf("Dashboard keys %v", keys)
		}
		var prod catalog.Product
		var plan catalog.Plan
		c.view(func(tx store.Tx) error {
			prod, _ = repo.GetProduct(tx, ic.ProductID)
			plan, _ = repo.GetPlan(tx, ic.PlanID)
			return nil
		})
		pols, _ := json.Marshal(keys[0]["apply_policies"])
		if want, _ := json.Marshal([]string{prod.PolicyID, plan.PolicyID}); !bytes.Equal(pols, want) {
			t.Errorf("apply_policies %s, want %s", pols, want)
		}
		meta, _ := keys[0]["meta_data"].(map[string]any)
		if meta["tykportal_consumer"] != "dev@example.com" || meta["tykportal_plan"] != "Gold Plan" || !strings.HasPrefix(catalog.MarkerOf(meta), "op-") {
			t.Errorf("meta_data %v", meta)
		}
		if exp, _ := keys[0]["expires"].(float64); int64(exp) != expires.Unix() {
			t.Errorf("expires %v, want %d", keys[0]["expires"], expires.Unix())
		}
		// The key itself is printed once and stored nowhere.
		raw, err := os.ReadFile(c.dbPath)
		if err != nil || bytes.Contains(raw, []byte(ic.Key)) || strings.Contains(c.stateBytes(), ic.Key) {
			t.Fatalf("the key is in the state file (%v)", err)
		}
	})
	t.Run("key with alias", func(t *testing.T) {
		c := newCredFixture(t, nil)
		o := c.keyOpts()
		o.Alias = "ops-key"
		o.PlanID = c.id("prod/Silver Plan")
		ic := c.issue(o)
		if ic.Alias != "ops-key" || ic.Consumer != "dev@example.com" || ic.ExpiresAt != nil {
			t.Fatalf("issued %+v", ic)
		}
		if keys := c.sim.Keys(seedOrg); len(keys) != 1 || keys[0]["alias"] != "ops-key" {
			t.Fatalf("Dashboard keys %v", keys)
		}
	})
	t.Run("OAuth client", func(t *testing.T) {
		c := newCredFixture(t, nil)
		ic := c.issue(c.oauthOpts())
		if ic.Kind != catalog.KindOAuthClient || ic.APIID != "accounts" || ic.ClientID == "" || ic.ClientSecret == "" || ic.Key != "" || ic.KeyHash != "" {
			t.Fatalf("issued %+v", ic)
		}
		clients := c.sim.OAuthClients("accounts")
		if len(clients) != 1 || clients[0]["redirect_uri"] != "https://app.example.com/cb" || clients[0]["description"] != "app@example.com" {
			t.Fatalf("Dashboard OAuth clients %v", clients)
		}
		if got := c.credentials(); len(got) != 1 || !same(got[0], ic.Credential) {
			t.Fatalf("records %+v", got)
		}
		if strings.Contains(c.stateBytes(), ic.ClientSecret) {
			t.Fatal("the client secret is in the state")
		}
		if len(c.operations()) != 0 || len(c.sim.Keys(seedOrg)) != 0 {
			t.Fatal("journal or keys left")
		}
	})
}

// Every way an issue fails: its error, and what it leaves in the journal,
// the Dashboard and the records.
func TestIssueCredentialFails(t *testing.T) {
	ctx := context.Background()
	noHash := dashboardtest.Defaults()
	noHash.HashKeys = false
	tests := []struct {
		name  string
		sim   *dashboardtest.Options
		opts  func(c *credFixture) IssueOptions
		setup func(c *credFixture)
		code  catalog.Code
		err   string
		ops   int // operations left in the journal
		keys  int // keys (or OAuth clients) in the Dashboard after
		// unchanged: the state's records are as they were before.
		unchanged bool
	}{
		{name: "unknown product", opts: func(c *credFixture) IssueOptions { o := c.keyOpts(); o.ProductID = 999; return o },
			code: catalog.CodeUnknown, err: "product 999: not found", unchanged: true},
		{name: "unknown plan", opts: func(c *credFixture) IssueOptions { o := c.keyOpts(); o.PlanID = 999; return o },
			code: catalog.CodeUnknown, err: "plan 999: not found", unchanged: true},
		{name: "product not published", opts: func(c *credFixture) IssueOptions {
			o := c.keyOpts()
			o.ProductID = c.id("prod/Weather Product")
			return o
		}, code: catalog.CodeInvalid, err: "is not published; publish it first", unchanged: true},
		{name: "plan hidden", opts: func(c *credFixture) IssueOptions { o := c.keyOpts(); o.PlanID = c.id("prod/Quota Only Plan"); return o },
			code: catalog.CodeInvalid, err: "is hidden", unchanged: true},
		{name: "product of another provider", opts: func(c *credFixture) IssueOptions {
			o := c.keyOpts()
			o.ProductID = c.id("other/Payments Product")
			return o
		}, code: catalog.CodeInvalid, err: "of the same provider", unchanged: true},
		{name: "consumer not an e-mail", opts: func(c *credFixture) IssueOptions { o := c.keyOpts(); o.Consumer = "Dev <dev@example.com>"; return o },
			code: catalog.CodeInvalid, err: "not a valid e-mail address", unchanged: true},
		{name: "no consumer", opts: func(c *credFixture) IssueOptions { o := c.keyOpts(); o.Consumer = ""; return o },
			code: catalog.CodeInvalid, err: "--consumer is required", unchanged: true},
		{name: "alias on two lines", opts: func(c *credFixture) IssueOptions { o := c.keyOpts(); o.Alias = "a\nb"; return o },
			code: catalog.CodeInvalid, err: "--alias", unchanged: true},
		{name: "bad redirect URI", opts: func(c *credFixture) IssueOptions { o := c.oauthOpts(); o.RedirectURI = "app.example.com/cb"; return o },
			code: catalog.CodeInvalid, err: "--redirect-uri", unchanged: true},
		{name: "no plan id", opts: func(c *credFixture) IssueOptions { o := c.keyOpts(); o.PlanID = 0; return o },
			code: catalog.CodeInvalid, err: "--product and --plan are required", unchanged: true},
		{name: "401: wrong secret", setup: func(c *credFixture) { c.secrets.m["prod"] = "not-the-secret" },
			code: catalog.CodeRemoteRefused, err: `create key in provider "prod": POST /api/keys: the Dashboard refused the secret (401`, unchanged: true},
		{name: "403: no keys permission", setup: func(c *credFixture) { c.secrets.m["prod"] = "demo-no-keys-key-org1" },
			code: catalog.CodeRemoteRefused, err: `lacks the "keys" permission`, unchanged: true},
		{name: "no secret", setup: func(c *credFixture) { delete(c.secrets.m, "prod") },
			err: `read the secret of provider "prod"`, unchanged: true},
		{name: "500 on the create: may exist, journal kept",
			setup: func(c *credFixture) { c.sim.SetFault("POST", "/api/keys", 0, dashboardtest.Fault{Status: 500}) },
			code:  catalog.CodeRemoteFailed, err: "the Dashboard may have created the key anyway: run `tykportal doctor` to check (operation 1)", ops: 1},
		{name: "garbage answer: created, journal kept",
			setup: func(c *credFixture) { c.sim.SetFault("POST", "/api/keys", 0, dashboardtest.Fault{Garbage: true}) },
			code:  catalog.CodeRemoteFailed, err: "run `tykportal doctor` to check", ops: 1, keys: 1},
		{name: "truncated answer: created, journal kept",
			setup: func(c *credFixture) { c.sim.SetFault("POST", "/api/keys", 0, dashboardtest.Fault{Truncated: true}) },
			code:  catalog.CodeRemoteFailed, err: "run `tykportal doctor` to check", ops: 1, keys: 1},
		{name: "OAuth: 500 on the create", opts: (*credFixture).oauthOpts,
			setup: func(c *credFixture) {
				c.sim.SetFault("POST", "/api/apis/oauth/accounts", 0, dashboardtest.Fault{Status: 500})
			},
			// The combined policy was made, the client may have been: both
			// stay journaled for doctor.
			code: catalog.CodeRemoteFailed, err: "may have created the OAuth client anyway", ops: 2},
		{name: "OAuth: 400 on the create: journal cleared", opts: (*credFixture).oauthOpts,
			setup: func(c *credFixture) {
				c.sim.SetFault("POST", "/api/apis/oauth/accounts", 0, dashboardtest.Fault{Status: 400})
			},
			code: catalog.CodeRemoteRefused, err: `create OAuth client in provider "prod"`, unchanged: true},
		{name: "no key hash: the key is named, journal kept", sim: &noHash,
			code: catalog.CodeRemoteFailed, err: "returned no key hash (key hashing is off in the Dashboard)", ops: 1, keys: 1},
		{name: "local write fails after the create: key deleted again",
			setup: func(c *credFixture) { c.onWrite(2, func() error { return errors.New("disk full") }) },
			err:   "save the new key locally: disk full (the key with hash", unchanged: true},
		{name: "local write and undo fail: named, journal kept",
			setup: func(c *credFixture) {
				c.onWrite(2, func() error {
					c.sim.SetFault("DELETE", "/api/keys/"+c.keyHashes()[0], 0, dashboardtest.Fault{Status: 500})
					return errors.New("disk full")
				})
			},
			err: "could not be deleted again", ops: 1, keys: 1},
		{name: "OAuth: local write fails after the create: client deleted again", opts: (*credFixture).oauthOpts,
			// Writes: the combined policy's operation, the client's, the record.
			setup: func(c *credFixture) { c.onWrite(3, func() error { return errors.New("disk full") }) },
			err:   "(the OAuth client ", unchanged: true},
		{name: "state in use during the save: key deleted again",
			setup: func(c *credFixture) { c.heldDuringWrite(2) },
			code:  catalog.CodeInUse, err: "in use by another tykportal process", unchanged: true},
		{name: "state in use from the start: nothing sent",
			setup: func(c *credFixture) { c.t.Cleanup(c.holdState()) },
			code:  catalog.CodeInUse, err: "in use by another tykportal process", unchanged: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCredFixture(t, tc.sim)
			opts := c.keyOpts()
			if tc.opts != nil {
				opts = tc.opts(c)
			}
			before := c.stateBytes()
			posts := c.requests("POST", "/api/")
			if tc.setup != nil {
				tc.setup(c)
			}
			ic, err := c.svc.IssueCredential(ctx, opts)
			checkErr(t, err, tc.code, tc.err)
			if ic != (Issued{}) {
				t.Errorf("a failed issue returned %+v", ic)
			}
			c.shortLockTimeout() // the state is read below; a hold has ended
			if tc.name == "state in use from the start: nothing sent" {
				if n := c.requests("POST", "/api/"); n != posts {
					t.Errorf("%d requests sent while the state was held", n-posts)
				}
				return
			}
			if ops := c.operations(); len(ops) != tc.ops {
				t.Errorf("journal holds %d operations, want %d: %+v", len(ops), tc.ops, ops)
			}
			if n := len(c.sim.Keys(seedOrg)) + len(c.sim.OAuthClients("accounts")); n != tc.keys {
				t.Errorf("%d keys/clients in the Dashboard, want %d", n, tc.keys)
			}
			if creds := c.credentials(); len(creds) != 0 {
				t.Errorf("records written: %+v", creds)
			}
			if tc.unchanged && c.stateBytes() != before {
				t.Error("the state changed")
			}
		})
	}
	t.Run("no state file", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.IssueCredential(ctx, IssueOptions{ProductID: 1, PlanID: 1, Consumer: "dev@example.com"})
		checkErr(t, err, catalog.CodeUnknown, "product 1: not found")
	})
}

func TestListCredentials(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if got, err := f.svc.ListCredentials(ctx, repo.CredentialFilter{}); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("no state: %v %v", got, err)
	}
	if _, err := f.svc.ListCredentials(ctx, repo.CredentialFilter{Provider: "prod"}); catalog.CodeOf(err) != catalog.CodeUnknown {
		t.Fatalf("no state, named provider: %v", err)
	}
	c := newCredFixture(t, nil)
	key := c.issue(c.keyOpts())
	oauth := c.issue(c.oauthOpts())
	c.update(func(tx store.Tx) error {
		p, err := repo.GetProduct(tx, key.ProductID)
		if err != nil {
			return err
		}
		p.Hidden = true
		return repo.PutProduct(tx, p)
	})
	tests := []struct {
		f    repo.CredentialFilter
		ids  []uint64
		code catalog.Code
	}{
		{repo.CredentialFilter{}, []uint64{key.ID, oauth.ID}, ""},
		{repo.CredentialFilter{ProductID: oauth.ProductID}, []uint64{oauth.ID}, ""},
		{repo.CredentialFilter{Consumer: "DEV@example.com"}, []uint64{key.ID}, ""},
		{repo.CredentialFilter{Consumer: "nobody@example.com"}, nil, ""},
		{repo.CredentialFilter{Provider: "other"}, nil, ""},
		{repo.CredentialFilter{Provider: "prod", ProductID: key.ProductID}, []uint64{key.ID}, ""},
		{repo.CredentialFilter{Provider: "nosuch"}, nil, catalog.CodeUnknown},
		{repo.CredentialFilter{Provider: "Bad Name"}, nil, catalog.CodeInvalid},
	}
	for _, tc := range tests {
		got, err := c.svc.ListCredentials(ctx, tc.f)
		if tc.code != "" {
			if catalog.CodeOf(err) != tc.code {
				t.Errorf("%+v: %v, want a %s error", tc.f, err, tc.code)
			}
			continue
		}
		var ids []uint64
		for _, v := range got {
			ids = append(ids, v.ID)
			if v.ProductHidden != (v.ID == key.ID) || v.PlanHidden {
				t.Errorf("%+v: hidden flags of %d: %+v", tc.f, v.ID, v)
			}
		}
		if err != nil || got == nil || !equalIDs(ids, tc.ids) {
			t.Errorf("%+v: %v %v, want %v", tc.f, ids, err, tc.ids)
		}
	}
}

func equalIDs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestShowCredential(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, err := f.svc.ShowCredential(ctx, 1)
	checkErr(t, err, catalog.CodeUnknown, "credential 1: not found")

	tests := []struct {
		name      string
		oauth     bool
		setup     func(c *credFixture, ic Issued)
		state     string
		liveError string
	}{
		{name: "active key", state: LiveActive},
		{name: "active OAuth client", oauth: true, state: LiveActive},
		{name: "key gone", setup: func(c *credFixture, ic Issued) { c.deleteKey(ic.KeyHash) }, state: LiveGone},
		{name: "OAuth client gone", oauth: true, setup: func(c *credFixture, ic Issued) {
			cl, _ := c.svc.client(ctx, c.provider("prod"))
			if err := cl.DeleteOAuthClient(ctx, ic.APIID, ic.ClientID); err != nil {
				c.t.Fatal(err)
			}
		}, state: LiveGone},
		{name: "key expired", setup: func(c *credFixture, ic Issued) {
			later := ic.ExpiresAt.Add(time.Hour)
			c.svc.Now = func() time.Time { return later }
		}, state: LiveExpired},
		{name: "401: wrong secret", setup: func(c *credFixture, ic Issued) { c.secrets.m["prod"] = "not-the-secret" },
			state: LiveUnknown, liveError: "the Dashboard refused the secret (401"},
		{name: "403: no keys permission", setup: func(c *credFixture, ic Issued) { c.secrets.m["prod"] = "demo-no-keys-key-org1" },
			state: LiveUnknown, liveError: `lacks the "keys" permission`},
		{name: "500", setup: func(c *credFixture, ic Issued) {
			c.sim.SetFault("GET", "/api/keys/"+ic.KeyHash, 0, dashboardtest.Fault{Status: 500})
		}, state: LiveUnknown, liveError: "the Dashboard failed (500"},
		{name: "garbage answer", setup: func(c *credFixture, ic Issued) {
			c.sim.SetFault("GET", "/api/keys/"+ic.KeyHash, 0, dashboardtest.Fault{Garbage: true})
		}, state: LiveUnknown, liveError: "cannot be read"},
		{name: "no secret", setup: func(c *credFixture, ic Issued) { delete(c.secrets.m, "prod") },
			state: LiveUnknown, liveError: `read the secret of provider "prod"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCredFixture(t, nil)
			o := c.keyOpts()
			if tc.oauth {
				o = c.oauthOpts()
			}
			ic := c.issue(o)
			if tc.setup != nil {
				tc.setup(c, ic)
			}
			before := c.stateBytes()
			got, err := c.svc.ShowCredential(ctx, ic.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !same(got.Credential, ic.Credential) || got.LiveState != tc.state || tc.liveError == "" && got.LiveError != "" ||
				!strings.Contains(got.LiveError, tc.liveError) || strings.Contains(got.LiveError, adminKey) {
				t.Fatalf("show: %+v, want state %q error %q", got, tc.state, tc.liveError)
			}
			if c.stateBytes() != before {
				t.Error("show changed the state")
			}
		})
	}
	t.Run("inactive key", func(t *testing.T) {
		c := newCredFixture(t, nil)
		hash := c.postKey(map[string]any{"is_inactive": true})
		cred := catalog.Credential{Provider: "prod", ProductID: c.id("prod/Payments Product"), PlanID: c.id("prod/Gold Plan"),
			Consumer: "dev@example.com", Alias: "dev@example.com", Kind: catalog.KindKey, KeyHash: hash, CreatedAt: c.svc.now()}
		c.update(func(tx store.Tx) error { return repo.CreateCredential(tx, &cred) })
		got, err := c.svc.ShowCredential(ctx, cred.ID)
		if err != nil || got.LiveState != LiveInactive || got.LiveError != "" {
			t.Fatalf("show: %+v %v", got, err)
		}
	})
	t.Run("deleted plan flagged", func(t *testing.T) {
		c := newCredFixture(t, nil)
		ic := c.issue(c.keyOpts())
		c.update(func(tx store.Tx) error { return repo.DeleteItem(tx, repo.PlanKind, ic.PlanID) })
		got, err := c.svc.ShowCredential(ctx, ic.ID)
		if err != nil || got.ProductHidden || !got.PlanHidden || got.LiveState != LiveActive {
			t.Fatalf("show: %+v %v", got, err)
		}
	})
	t.Run("unknown id", func(t *testing.T) {
		c := newCredFixture(t, nil)
		c.issue(c.keyOpts())
		_, err := c.svc.ShowCredential(ctx, 7)
		checkErr(t, err, catalog.CodeUnknown, "credential 7: not found")
	})
}

func (c *credFixture) provider(name string) provider.Provider {
	c.t.Helper()
	p, err := c.svc.Provider(context.Background(), name)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

// deleteKey deletes a key in the Dashboard behind tykportal's back.
func (c *credFixture) deleteKey(hash string) {
	c.t.Helper()
	cl, err := c.svc.client(context.Background(), c.provider("prod"))
	if err == nil {
		err = cl.DeleteKey(context.Background(), hash)
	}
	if err != nil {
		c.t.Fatal(err)
	}
}

// postKey creates a key in the Dashboard with a raw request (for session
// fields tykportal never sets) and returns its hash.
func (c *credFixture) postKey(session map[string]any) string {
	c.t.Helper()
	body, _ := json.Marshal(session)
	req, _ := http.NewRequest(http.MethodPost, c.sim.URL+"/api/keys", bytes.NewReader(body))
	req.Header.Set("Authorization", adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		KeyID   string `json:"key_id"`
		KeyHash string `json:"key_hash"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || answer.KeyID == "" {
		c.t.Fatalf("create key: %d %v", resp.StatusCode, err)
	}
	if answer.KeyHash == "" { // a Dashboard that does not hash keys
		return answer.KeyID
	}
	return answer.KeyHash
}

// same reports whether two records are the same as JSON (times and
// pointers compared by value).
func same(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func TestRevokeCredential(t *testing.T) {
	ctx := context.Background()
	noDeleteByHash := dashboardtest.Defaults()
	noDeleteByHash.DeleteByHash = false
	refuse := errors.New("cancelled: nothing was changed")
	tests := []struct {
		name    string
		sim     *dashboardtest.Options
		oauth   bool
		setup   func(c *credFixture, ic Issued)
		confirm error // what the confirmation answers
		code    catalog.Code
		err     string
		revoked bool   // the record is revoked after
		gone    bool   // the key or client is gone from the Dashboard after
		warning string // a warning given
	}{
		{name: "key", revoked: true, gone: true},
		{name: "OAuth client", oauth: true, revoked: true, gone: true},
		{name: "confirmation refused: nothing changed", confirm: refuse, err: "cancelled"},
		{name: "key already gone in the Dashboard", setup: func(c *credFixture, ic Issued) { c.deleteKey(ic.KeyHash) },
			revoked: true, gone: true, warning: "the Dashboard no longer had credential 1's key; marking it revoked"},
		{name: "delete by hash disabled: named, record kept", sim: &noDeleteByHash,
			code: catalog.CodeRemoteRefused, err: "enable_delete_key_by_hash: true in the Dashboard's configuration"},
		{name: "401: wrong secret", setup: func(c *credFixture, ic Issued) { c.secrets.m["prod"] = "not-the-secret" },
			code: catalog.CodeRemoteRefused, err: "revoke credential 1: DELETE /api/keys/"},
		{name: "403: no keys permission", setup: func(c *credFixture, ic Issued) { c.secrets.m["prod"] = "demo-no-keys-key-org1" },
			code: catalog.CodeRemoteRefused, err: `lacks the "keys" permission`},
		{name: "500", setup: func(c *credFixture, ic Issued) {
			c.sim.SetFault("DELETE", "/api/keys/"+ic.KeyHash, 0, dashboardtest.Fault{Status: 500})
		}, code: catalog.CodeRemoteFailed, err: "(the record was left as it was)"},
		{name: "local write fails after the delete", setup: func(c *credFixture, ic Issued) {
			c.onWrite(1, func() error { return errors.New("disk full") })
		}, err: "the key was deleted in the Dashboard, but marking credential 1 revoked failed: disk full", gone: true},
		{name: "state in use after the delete", setup: func(c *credFixture, ic Issued) { c.heldDuringWrite(1) },
			code: catalog.CodeInUse, err: "marking credential 1 revoked failed", gone: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCredFixture(t, tc.sim)
			o := c.keyOpts()
			if tc.oauth {
				o = c.oauthOpts()
			}
			ic := c.issue(o)
			if tc.setup != nil {
				tc.setup(c, ic)
			}
			deletes := c.requests("DELETE", "/api/")
			var asked []string
			err := c.svc.RevokeCredential(ctx, ic.ID, func(q string) error {
				asked = append(asked, q)
				// Asked before the Dashboard is called.
				if n := c.requests("DELETE", "/api/"); n != deletes {
					t.Errorf("asked after %d deletes", n-deletes)
				}
				return tc.confirm
			})
			checkErr(t, err, tc.code, tc.err)
			if len(asked) != 1 || asked[0] != "Revoke credential 1 of "+ic.Consumer+" (the key stops working at once)" {
				t.Errorf("asked %q", asked)
			}
			c.shortLockTimeout()
			if got := c.credential(ic.ID); got.Revoked != tc.revoked {
				t.Errorf("record revoked %v, want %v", got.Revoked, tc.revoked)
			}
			present := len(c.sim.Keys(seedOrg)) + len(c.sim.OAuthClients("accounts"))
			if (present == 0) != tc.gone {
				t.Errorf("%d keys/clients left in the Dashboard, want gone %v", present, tc.gone)
			}
			if tc.confirm != nil && c.requests("DELETE", "/api/") != deletes {
				t.Error("a refused confirmation called the Dashboard")
			}
			if tc.warning != "" && (len(c.warnings) != 1 || c.warnings[0] != tc.warning) {
				t.Errorf("warnings %q, want %q", c.warnings, tc.warning)
			}
		})
	}
	t.Run("already revoked: not asked", func(t *testing.T) {
		c := newCredFixture(t, nil)
		ic := c.issue(c.keyOpts())
		if err := c.svc.RevokeCredential(ctx, ic.ID, nil); err != nil {
			t.Fatal(err)
		}
		before := c.stateBytes()
		err := c.svc.RevokeCredential(ctx, ic.ID, func(string) error { t.Error("asked"); return nil })
		checkErr(t, err, catalog.CodeInvalid, "credential 1 is already revoked")
		if c.stateBytes() != before {
			t.Error("the state changed")
		}
	})
	t.Run("unknown id", func(t *testing.T) {
		f := newFixture(t)
		checkErr(t, f.svc.RevokeCredential(ctx, 3, nil), catalog.CodeUnknown, "credential 3: not found")
		c := newCredFixture(t, nil)
		checkErr(t, c.svc.RevokeCredential(ctx, 3, nil), catalog.CodeUnknown, "credential 3: not found")
	})
}

func TestRotateCredential(t *testing.T) {
	ctx := context.Background()
	t.Run("new key recorded and shown before the old one is deleted", func(t *testing.T) {
		c := newCredFixture(t, nil)
		old := c.issue(c.keyOpts())
		oldSession := c.sim.Keys(seedOrg)[0]
		later := c.svc.now().Add(time.Hour)
		c.svc.Now = func() time.Time { return later }
		var shown []Issued
		ic, err := c.svc.RotateCredential(ctx, old.ID, func(ic Issued) error {
			shown = append(shown, ic)
			if hashes := c.keyHashes(); len(hashes) != 2 {
				t.Errorf("shown with %d keys in the Dashboard, want the old and the new", len(hashes))
			}
			if got := c.credential(old.ID); got.KeyHash != ic.KeyHash {
				t.Errorf("shown before it was recorded: %+v", got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(shown) != 1 || !same(shown[0], ic) {
			t.Fatalf("shown %+v, returned %+v", shown, ic)
		}
		if ic.Key == "" || ic.Key == old.Key || ic.KeyHash == old.KeyHash || ic.ID != old.ID || ic.Alias != old.Alias {
			t.Fatalf("rotated %+v (old %+v)", ic, old)
		}
		rec := c.credential(old.ID)
		if rec.KeyHash != ic.KeyHash || !rec.CreatedAt.Equal(later.Truncate(time.Second)) || rec.Revoked {
			t.Errorf("record %+v", rec)
		}
		keys := c.sim.Keys(seedOrg)
		if len(keys) != 1 || keys[0]["key_hash"] != ic.KeyHash {
			t.Fatalf("Dashboard keys %v, want only the new one", keys)
		}
		a, _ := json.Marshal(keys[0]["apply_policies"])
		b, _ := json.Marshal(oldSession["apply_policies"])
		if !bytes.Equal(a, b) || keys[0]["expires"] != oldSession["expires"] || keys[0]["alias"] != oldSession["alias"] {
			t.Errorf("new key %v, old %v", keys[0], oldSession)
		}
		newMeta, _ := keys[0]["meta_data"].(map[string]any)
		oldMeta, _ := oldSession["meta_data"].(map[string]any)
		if newMeta["tykportal_consumer"] != "dev@example.com" || catalog.MarkerOf(newMeta) == catalog.MarkerOf(oldMeta) {
			t.Errorf("meta_data %v (old %v)", newMeta, oldMeta)
		}
		if ops := c.operations(); len(ops) != 0 {
			t.Errorf("journal %+v", ops)
		}
		if strings.Contains(c.stateBytes(), ic.Key) {
			t.Error("the new key is in the state")
		}
	})
	t.Run("without a hook", func(t *testing.T) {
		c := newCredFixture(t, nil)
		old := c.issue(c.keyOpts())
		ic, err := c.svc.RotateCredential(ctx, old.ID, nil)
		if err != nil || ic.Key == "" || c.keyHashes()[0] != ic.KeyHash {
			t.Fatalf("%+v %v", ic, err)
		}
	})

	noDeleteByHash := dashboardtest.Defaults()
	noDeleteByHash.DeleteByHash = false
	noHash := dashboardtest.Defaults()
	noHash.HashKeys = false
	hookErr := errors.New("write /dev/stdout: broken pipe")
	tests := []struct {
		name  string
		sim   *dashboardtest.Options
		setup func(c *credFixture, old Issued)
		cred  func(c *credFixture) uint64 // the credential rotated; nil: the key issued
		hook  error                       // what the hook returns
		code  catalog.Code
		err   string
		// recorded: the new key is recorded (and returned with the error);
		// otherwise the record and the old key are as they were.
		recorded bool
		ops      int // operations left in the journal
		keys     int // keys in the Dashboard after
	}{
		{name: "an OAuth client is not rotated", cred: func(c *credFixture) uint64 { return c.issue(c.oauthOpts()).ID },
			code: catalog.CodeInvalid, err: "is an OAuth client; rotate its secret in the Dashboard", keys: 1},
		{name: "a revoked credential is not rotated", setup: func(c *credFixture, old Issued) {
			if err := c.svc.RevokeCredential(ctx, old.ID, nil); err != nil {
				c.t.Fatal(err)
			}
		}, code: catalog.CodeInvalid, err: "credential 1 is revoked; issue a new one", keys: 0},
		{name: "unknown id", cred: func(*credFixture) uint64 { return 9 }, code: catalog.CodeUnknown, err: "credential 9: not found", keys: 1},
		{name: "its plan deleted locally", setup: func(c *credFixture, old Issued) {
			c.update(func(tx store.Tx) error { return repo.DeleteItem(tx, repo.PlanKind, old.PlanID) })
		}, code: catalog.CodeUnknown, err: "credential 1: plan ", keys: 1},
		{name: "old key gone in the Dashboard", setup: func(c *credFixture, old Issued) { c.deleteKey(old.KeyHash) },
			code: catalog.CodeRemoteRefused, err: "read the current key of credential 1: GET /api/keys/", keys: 0},
		{name: "401: wrong secret", setup: func(c *credFixture, old Issued) { c.secrets.m["prod"] = "not-the-secret" },
			code: catalog.CodeRemoteRefused, err: "the Dashboard refused the secret (401", keys: 1},
		{name: "403: no keys permission", setup: func(c *credFixture, old Issued) { c.secrets.m["prod"] = "demo-no-keys-key-org1" },
			code: catalog.CodeRemoteRefused, err: `lacks the "keys" permission`, keys: 1},
		{name: "400 on the create: journal cleared", setup: func(c *credFixture, old Issued) {
			c.sim.SetFault("POST", "/api/keys", 0, dashboardtest.Fault{Status: 400})
		}, code: catalog.CodeRemoteRefused, err: "create the new key of credential 1: POST /api/keys", keys: 1},
		{name: "500 on the create: journal kept", setup: func(c *credFixture, old Issued) {
			c.sim.SetFault("POST", "/api/keys", 0, dashboardtest.Fault{Status: 500})
		}, code: catalog.CodeRemoteFailed, err: "(the old key still works); the Dashboard may have created the key anyway", ops: 1, keys: 1},
		{name: "garbage answer: created, journal kept", setup: func(c *credFixture, old Issued) {
			c.sim.SetFault("POST", "/api/keys", 0, dashboardtest.Fault{Garbage: true})
		}, code: catalog.CodeRemoteFailed, err: "run `tykportal doctor` to check", ops: 1, keys: 2},
		{name: "local write fails after the create: new key deleted again", setup: func(c *credFixture, old Issued) {
			c.onWrite(2, func() error { return errors.New("disk full") })
		}, err: "save the new key locally: disk full (the new key with hash", keys: 1},
		{name: "state in use during the save: new key deleted again", setup: func(c *credFixture, old Issued) { c.heldDuringWrite(2) },
			code: catalog.CodeInUse, err: "in use by another tykportal process", keys: 1},
		{name: "old key not deleted (500): new key returned, journal kept", setup: func(c *credFixture, old Issued) {
			c.sim.SetFault("DELETE", "/api/keys/"+old.KeyHash, 0, dashboardtest.Fault{Status: 500})
		}, code: catalog.CodeRemoteFailed, err: "credential 1 has its new key, but the old key with hash ", recorded: true, ops: 1, keys: 2},
		{name: "delete by hash disabled: named, journal kept", sim: &noDeleteByHash,
			code: catalog.CodeRemoteRefused, err: "enable_delete_key_by_hash", recorded: true, ops: 1, keys: 2},
		{name: "the hook fails: its error, old key kept", hook: hookErr, err: hookErr.Error(), recorded: true, ops: 1, keys: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCredFixture(t, tc.sim)
			old := c.issue(c.keyOpts())
			id := old.ID
			if tc.cred != nil {
				id = tc.cred(c)
			}
			if tc.setup != nil {
				tc.setup(c, old)
			}
			before := c.credential(old.ID)
			shown := 0
			ic, err := c.svc.RotateCredential(ctx, id, func(Issued) error { shown++; return tc.hook })
			checkErr(t, err, tc.code, tc.err)
			if tc.hook != nil && !errors.Is(err, tc.hook) {
				t.Errorf("the hook's error was not returned: %v", err)
			}
			c.shortLockTimeout()
			rec := c.credential(old.ID)
			if tc.recorded {
				if ic.Key == "" || ic.KeyHash == old.KeyHash || rec.KeyHash != ic.KeyHash || shown != 1 {
					t.Errorf("returned %+v, record %+v, shown %d: want the new key recorded and shown", ic, rec, shown)
				}
			} else if ic != (Issued{}) || !same(rec, before) || shown != 0 {
				t.Errorf("returned %+v, record %+v (before %+v), shown %d", ic, rec, before, shown)
			}
			ops := c.operations()
			if len(ops) != tc.ops {
				t.Fatalf("journal holds %d operations, want %d: %+v", len(ops), tc.ops, ops)
			}
			if tc.ops == 1 && tc.recorded && (ops[0].Stale != old.KeyHash || ops[0].CredentialID != old.ID) {
				t.Errorf("operation %+v, want stale %s", ops[0], old.KeyHash)
			}
			if n := len(c.sim.Keys(seedOrg)); n != tc.keys {
				t.Errorf("%d keys in the Dashboard, want %d", n, tc.keys)
			}
			if tc.recorded && !strings.Contains(strings.Join(c.keyHashes(), " "), old.KeyHash) {
				t.Error("the old key was deleted")
			}
		})
	}
	t.Run("no key hash: named, journal kept", func(t *testing.T) {
		c := newCredFixture(t, &noHash)
		// A record of a key made while the Dashboard still hashed keys.
		cred := catalog.Credential{Provider: "prod", ProductID: c.id("prod/Payments Product"), PlanID: c.id("prod/Gold Plan"),
			Consumer: "dev@example.com", Alias: "dev@example.com", Kind: catalog.KindKey, KeyHash: c.postKey(map[string]any{}), CreatedAt: c.svc.now()}
		c.update(func(tx store.Tx) error { return repo.CreateCredential(tx, &cred) })
		// A Dashboard with hashing off refuses the lookup by hash (400)
		// before anything is created.
		ic, err := c.svc.RotateCredential(ctx, cred.ID, nil)
		checkErr(t, err, catalog.CodeRemoteRefused, "a Dashboard with key hashing off refuses lookups by hash")
		if ic != (Issued{}) || len(c.operations()) != 0 || !same(c.credential(cred.ID), cred) {
			t.Fatalf("%+v %+v", ic, c.operations())
		}
	})
}

// A Dashboard error keeps its kind through the use cases' wrapping.
func TestCredentialErrorsKeepTheirKind(t *testing.T) {
	c := newCredFixture(t, nil)
	c.secrets.m["prod"] = "not-the-secret"
	_, err := c.svc.IssueCredential(context.Background(), c.keyOpts())
	if !errors.Is(err, dashboard.ErrUnauthorized) {
		t.Fatalf("%v is not dashboard.ErrUnauthorized", err)
	}
}
