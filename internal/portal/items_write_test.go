package portal

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	gosync "sync"
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

const policiesPath = "/api/portal/policies"

// syncedFixture is a fixture whose provider prod has been synced: every
// portal-tagged policy of org 1 is a local product or plan.
func syncedFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	f.withProvider("prod")
	e := &tpsync.Engine{
		OpenDB:    f.svc.OpenStore,
		SourceFor: func(ctx context.Context, p provider.Provider) (tpsync.Source, error) { return f.svc.client(ctx, p) },
		Now:       f.svc.Now,
	}
	res, err := e.Sync(context.Background(), nil, tpsync.Options{})
	if err != nil || len(res) != 1 || res[0].Status != catalog.SyncOK {
		t.Fatalf("sync: %+v %v", res, err)
	}
	return f
}

// itemNamed returns the local product or plan named name.
func itemNamed[T any, P Entry[T]](f *fixture, name string) T {
	f.t.Helper()
	items, err := ListItems[T, P](context.Background(), f.svc, ListOptions{Visibility: catalog.AllItems})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, it := range items {
		if P(&it).Base().Name == name {
			return it
		}
	}
	f.t.Fatalf("no %s named %q", kindOf[T]().Name, name)
	panic("unreachable")
}

func (f *fixture) productID(name string) uint64 { return itemNamed[catalog.Product](f, name).ID }

func (f *fixture) planID(name string) uint64 { return itemNamed[catalog.Plan](f, name).ID }

// simPolicy returns the simulator's policy named name, nil when there is none.
func (f *fixture) simPolicy(name string) map[string]any {
	for _, p := range f.sim.Policies("") {
		if p["name"] == name {
			return p
		}
	}
	return nil
}

func (f *fixture) policyCount() int { return len(f.sim.Policies("")) }

// shortLock makes the service give up on a state held elsewhere after 100ms.
func (f *fixture) shortLock() {
	f.svc.OpenStore = func(ctx context.Context, readOnly bool) (store.Store, error) {
		return boltstore.Open(ctx, f.dbPath, boltstore.Options{ReadOnly: readOnly, LockTimeout: 100 * time.Millisecond})
	}
}

// hold opens the state as another process would, until release or the
// end of the test.
func (f *fixture) hold() (release func()) {
	f.t.Helper()
	st, err := boltstore.Open(context.Background(), f.dbPath, boltstore.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	var once gosync.Once
	release = func() { once.Do(func() { st.Close() }) }
	f.t.Cleanup(release)
	return release
}

// heldAtWrite makes the nth write transaction from now on find the state
// held by another open (released right after), so that this write fails.
func (f *fixture) heldAtWrite(n int) {
	f.shortLock()
	open, writes := f.svc.OpenStore, 0
	f.svc.OpenStore = func(ctx context.Context, readOnly bool) (store.Store, error) {
		if !readOnly {
			if writes++; writes == n {
				defer f.hold()()
			}
		}
		return open(ctx, readOnly)
	}
}

func withSecret(secret string) func(*fixture) {
	return func(f *fixture) { f.secrets.m["prod"] = secret }
}

func withFault(method, path string, fault dashboardtest.Fault) func(*fixture) {
	return func(f *fixture) { f.sim.SetFault(method, path, 0, fault) }
}

// inUse makes the state held by another open when the use case starts: its
// first open fails, and the state is released after it.
func inUse(f *fixture) {
	f.shortLock()
	release, open := f.hold(), f.svc.OpenStore
	f.svc.OpenStore = func(ctx context.Context, readOnly bool) (store.Store, error) {
		defer release()
		return open(ctx, readOnly)
	}
}

// Every way a create of a product or plan ends: what it returns, the
// journal, the local state and the policies in the Dashboard after it.
func TestCreateItems(t *testing.T) {
	type createFunc func(context.Context, *Service) (catalog.Item, error)
	product := func(name string, apis ...string) createFunc {
		return func(ctx context.Context, s *Service) (catalog.Item, error) {
			p, err := s.CreateProduct(ctx, CreateProductOptions{ItemFields: ItemFields{Provider: "prod", Name: name, DisplayName: "Shown", Description: "About it"}, APIs: apis})
			return p.Item, err
		}
	}
	plan := func(name string, l catalog.Limits) createFunc {
		return func(ctx context.Context, s *Service) (catalog.Item, error) {
			p, err := s.CreatePlan(ctx, CreatePlanOptions{ItemFields: ItemFields{Provider: "prod", Name: name}, Limits: l})
			return p.Item, err
		}
	}
	withFields := func(fields ItemFields) createFunc {
		return func(ctx context.Context, s *Service) (catalog.Item, error) {
			p, err := s.CreateProduct(ctx, CreateProductOptions{ItemFields: fields, APIs: []string{"payments"}})
			return p.Item, err
		}
	}
	bundle, bronze := product("Bundle", "payments", "refunds"), plan("Bronze", catalog.Limits{Rate: 10, Per: 60})
	tests := []struct {
		name     string
		setup    func(*fixture)
		create   createFunc
		code     catalog.Code // "": success
		err      string
		ops      int  // operations the journal keeps
		policies int  // policies the Dashboard gains
		held     bool // the state is in use when the create starts
	}{
		{name: "product", create: bundle, policies: 1},
		{name: "plan", create: bronze, policies: 1},
		{name: "product, wrong secret (401)", setup: withSecret("wrong"), create: bundle,
			code: catalog.CodeRemoteRefused, err: `list the APIs of provider "prod"`},
		{name: "plan, wrong secret (401)", setup: withSecret("wrong"), create: bronze,
			code: catalog.CodeRemoteRefused, err: `create policy "Bronze" in provider "prod": POST /api/portal/policies: the Dashboard refused the secret (401`},
		{name: "product, no policies permission (403)", setup: withSecret("demo-no-policies-key-org1"), create: bundle,
			code: catalog.CodeRemoteRefused, err: `lacks the "policies" permission`},
		{name: "plan, no policies permission (403)", setup: withSecret("demo-no-policies-key-org1"), create: bronze,
			code: catalog.CodeRemoteRefused, err: `lacks the "policies" permission`},
		{name: "product, name taken (400)", create: product("Payments Product", "payments"),
			code: catalog.CodeRemoteRefused, err: "already been used"},
		{name: "product, Dashboard fails (500): may exist, journal kept", setup: withFault("POST", policiesPath, dashboardtest.Fault{Status: 500}), create: bundle,
			code: catalog.CodeRemoteFailed, err: "the Dashboard may have created the policy anyway: run `tykportal doctor` to check (operation 1)", ops: 1},
		{name: "plan, Dashboard fails (500)", setup: withFault("POST", policiesPath, dashboardtest.Fault{Status: 500}), create: bronze,
			code: catalog.CodeRemoteFailed, err: "run `tykportal doctor`", ops: 1},
		{name: "product, garbage answer: created, journal kept", setup: withFault("POST", policiesPath, dashboardtest.Fault{Garbage: true}), create: bundle,
			code: catalog.CodeRemoteFailed, err: "run `tykportal doctor`", ops: 1, policies: 1},
		{name: "plan, garbage answer", setup: withFault("POST", policiesPath, dashboardtest.Fault{Garbage: true}), create: bronze,
			code: catalog.CodeRemoteFailed, err: "cannot be read", ops: 1, policies: 1},
		{name: "product, local write fails: policy deleted again", setup: func(f *fixture) { f.heldAtWrite(2) }, create: bundle,
			code: catalog.CodeInUse, err: `save the new policy locally: open state file`},
		{name: "plan, local write fails: policy deleted again", setup: func(f *fixture) { f.heldAtWrite(2) }, create: bronze,
			code: catalog.CodeInUse, err: `created in the Dashboard was deleted again`},
		{name: "state in use", held: true, create: bundle, code: catalog.CodeInUse, err: "in use by another tykportal process"},
		{name: "unknown provider", create: withFields(ItemFields{Provider: "nope", Name: "x"}), code: catalog.CodeUnknown, err: `"nope"`},
		{name: "invalid provider name", create: withFields(ItemFields{Provider: "No Way", Name: "x"}), code: catalog.CodeInvalid},
		{name: "empty name", create: withFields(ItemFields{Provider: "prod", Name: " "}), code: catalog.CodeInvalid, err: "--name is empty"},
		{name: "display name of two lines", create: withFields(ItemFields{Provider: "prod", Name: "x", DisplayName: "a\nb"}), code: catalog.CodeInvalid, err: "--display-name must be one line"},
		{name: "control characters in the description", create: withFields(ItemFields{Provider: "prod", Name: "x", Description: "a\x1b[31m"}), code: catalog.CodeInvalid, err: "--description contains control characters"},
		{name: "mixed auth methods", create: product("Mixed", "payments", "orders"),
			code: catalog.CodeInvalid, err: "every API of a product must use the same auth method, but orders uses jwt; payments uses authToken"},
		{name: "unknown API", create: product("Ghost", "nosuch"), code: catalog.CodeInvalid, err: `the provider has no API "nosuch"`},
		{name: "no API", create: product("Empty"), code: catalog.CodeInvalid, err: "at least one --api"},
		{name: "API listed twice", create: product("Twice", "payments", "payments"), code: catalog.CodeInvalid, err: "listed twice"},
		{name: "no limits", create: plan("Nothing", catalog.Limits{}), code: catalog.CodeInvalid, err: "needs a rate limit"},
		{name: "rate without period", create: plan("Bad", catalog.Limits{Rate: 10}), code: catalog.CodeInvalid, err: "--per must be a positive"},
		{name: "negative quota", create: plan("Bad", catalog.Limits{QuotaMax: -5, QuotaRenewalRate: 1}), code: catalog.CodeInvalid, err: "--quota must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.withProvider("prod")
			before, policies := f.stateBytes(), f.policyCount()
			if tc.setup != nil {
				tc.setup(f)
			}
			if tc.held {
				inUse(f)
			}
			it, err := tc.create(context.Background(), f.svc)
			checkErr(t, err, tc.code, tc.err)
			f.sim.ClearFaults()
			if got := f.policyCount() - policies; got != tc.policies {
				t.Errorf("the Dashboard gained %d policies, want %d", got, tc.policies)
			}
			ops := f.operations()
			if len(ops) != tc.ops {
				t.Fatalf("the journal holds %+v, want %d operations", ops, tc.ops)
			}
			if tc.code == "" {
				if it.ID != 1 || it.PolicyMID == "" || it.PolicyID != it.PolicyMID || it.Placeholder || it.Published {
					t.Errorf("created %+v", it)
				}
				pol := f.simPolicy(it.Name)
				if pol == nil || pol["_id"] != it.PolicyMID || !reflect.DeepEqual(pol["tags"], []any{"portal"}) || pol["org_id"] != seedOrg {
					t.Errorf("policy in the Dashboard: %v", pol)
				}
				if m, _ := pol["meta_data"].(map[string]any); !strings.HasPrefix(catalog.MarkerOf(m), "op-") {
					t.Errorf("the policy does not carry its operation's marker: %v", pol["meta_data"])
				}
				return
			}
			if tc.ops == 0 {
				if f.stateBytes() != before {
					t.Error("a failed create changed the state")
				}
				return
			}
			op := ops[0]
			if op.Provider != "prod" || op.Object != catalog.ObjectPolicy || !strings.HasSuffix(op.Command, " create") {
				t.Errorf("journaled %+v", op)
			}
			if tc.policies == 1 {
				// Created although the answer was lost: doctor finds it by
				// the operation's marker.
				var found bool
				for _, p := range f.sim.Policies("") {
					m, _ := p["meta_data"].(map[string]any)
					found = found || catalog.MarkerOf(m) == op.Marker
				}
				if !found {
					t.Errorf("no policy carries the marker %s", op.Marker)
				}
			}
		})
	}
}

// What a created product or plan holds, locally and in its policy.
func TestCreatedItemRecords(t *testing.T) {
	f := newFixture(t)
	f.withProvider("prod")
	ctx := context.Background()
	prod, err := f.svc.CreateProduct(ctx, CreateProductOptions{ItemFields: ItemFields{Provider: "prod", Name: "Bundle", DisplayName: "Payments", Description: "Cards"},
		APIs: []string{"refunds", "payments"}})
	if err != nil {
		t.Fatal(err)
	}
	now := f.svc.now()
	want := catalog.Product{Item: catalog.Item{ID: 1, Provider: "prod", PolicyID: prod.PolicyMID, PolicyMID: prod.PolicyMID, Name: "Bundle", DisplayName: "Payments", Description: "Cards"},
		AuthType: "authToken", APIs: []catalog.APIRef{{APIID: "payments", Name: "Payments"}, {APIID: "refunds", Name: "Refunds"}},
		History: catalog.History{CreatedAt: now, UpdatedAt: now}}
	if !reflect.DeepEqual(prod, want) {
		t.Errorf("product\n got %+v\nwant %+v", prod, want)
	}
	if stored, err := ShowItem[catalog.Product](ctx, f.svc, 1); err != nil || !reflect.DeepEqual(stored, prod) {
		t.Errorf("stored %+v %v", stored, err)
	}
	pol := f.simPolicy("Bundle")
	ar, _ := pol["access_rights"].(map[string]any)
	if !reflect.DeepEqual(pol["partitions"], map[string]any{"acl": true, "quota": false, "rate_limit": false, "complexity": false, "per_api": false}) ||
		len(ar) != 2 || ar["refunds"] == nil || pol["auth_type"] != "authToken" {
		t.Errorf("product policy: %v", pol)
	}

	plan, err := f.svc.CreatePlan(ctx, CreatePlanOptions{ItemFields: ItemFields{Provider: "prod", Name: "Bronze"}, Limits: catalog.Limits{Rate: 10, Per: 60, KeyExpiresIn: 3600}})
	if err != nil {
		t.Fatal(err)
	}
	// The plan holds its limits as the policy does: Tyk's -1 for what is off.
	if wantL := (catalog.Limits{Rate: 10, Per: 60, QuotaMax: -1, QuotaRenewalRate: -1, ThrottleInterval: -1, ThrottleRetryLimit: -1, KeyExpiresIn: 3600}); plan.ID != 1 || plan.Limits != wantL {
		t.Errorf("plan %+v, want limits %+v", plan, wantL)
	}
	pol = f.simPolicy("Bronze")
	if p, _ := pol["partitions"].(map[string]any); p["acl"] != false || p["rate_limit"] != true || p["quota"] != false || pol["key_expires_in"] != 3600.0 {
		t.Errorf("plan policy: %v", pol)
	}
	if ops := f.operations(); len(ops) != 0 {
		t.Errorf("journal after two creates: %+v", ops)
	}
}

// Every way an edit of a product or plan ends: what it returns, the local
// record, and whether the policy in the Dashboard changed.
func TestEditItems(t *testing.T) {
	type editFunc func(context.Context, *fixture) (catalog.Item, catalog.History, error)
	editProduct := func(name string, o EditProductOptions) editFunc {
		return func(ctx context.Context, f *fixture) (catalog.Item, catalog.History, error) {
			o := o
			if o.ID == 0 {
				o.ID = f.productID(name)
			}
			p, err := f.svc.EditProduct(ctx, o)
			return p.Item, p.History, err
		}
	}
	editPlan := func(name string, o EditPlanOptions) editFunc {
		return func(ctx context.Context, f *fixture) (catalog.Item, catalog.History, error) {
			o := o
			o.ID = f.planID(name)
			p, err := f.svc.EditPlan(ctx, o)
			return p.Item, p.History, err
		}
	}
	rename := editProduct("Payments Product", EditProductOptions{ItemChanges: ItemChanges{Name: new("Charges")}})
	keyExpiry := func(l *catalog.Limits) error { l.KeyExpiresIn = 7200; return nil }
	tests := []struct {
		name   string
		setup  func(*fixture)
		edit   editFunc
		code   catalog.Code
		err    string
		policy string // the name of the policy after it when the policy changes
		local  bool   // the local record changes
		held   bool   // the state is in use when the edit starts
	}{
		{name: "rename a product", edit: rename, policy: "Charges", local: true},
		{name: "local fields need no Dashboard", setup: withSecret("wrong"),
			edit:  editProduct("Payments Product", EditProductOptions{ItemChanges: ItemChanges{DisplayName: new("Pay"), Description: new("")}}),
			local: true},
		{name: "replace a product's APIs", edit: editProduct("Payments Product", EditProductOptions{APIs: []string{"refunds"}}),
			policy: "Payments Product", local: true},
		{name: "change a plan's limits", edit: editPlan("Gold Plan", EditPlanOptions{Limits: keyExpiry}), policy: "Gold Plan", local: true},
		{name: "rename a plan", edit: editPlan("Gold Plan", EditPlanOptions{ItemChanges: ItemChanges{Name: new("Platinum")}}), policy: "Platinum", local: true},
		{name: "wrong secret (401)", setup: withSecret("wrong"), edit: rename,
			code: catalog.CodeRemoteRefused, err: `read policy`},
		{name: "no policies permission (403)", setup: withSecret("demo-no-policies-key-org1"), edit: rename,
			code: catalog.CodeRemoteRefused, err: `lacks the "policies" permission`},
		{name: "read-only user (403 on the update)", setup: withSecret("demo-readonly-key-org1"), edit: rename,
			code: catalog.CodeRemoteRefused, err: `update policy`},
		{name: "Dashboard fails the update (500)", setup: func(f *fixture) {
			mid := itemNamed[catalog.Product](f, "Payments Product").PolicyMID
			f.sim.SetFault("PUT", policiesPath+"/"+mid, 0, dashboardtest.Fault{Status: 500})
		}, edit: rename, code: catalog.CodeRemoteFailed, err: `update policy`},
		{name: "garbage answer to the read", setup: func(f *fixture) {
			mid := itemNamed[catalog.Product](f, "Payments Product").PolicyMID
			f.sim.SetFault("GET", policiesPath+"/"+mid, 0, dashboardtest.Fault{Garbage: true})
		}, edit: rename, code: catalog.CodeRemoteFailed, err: `read policy`},
		{name: "policy gone from the Dashboard", setup: func(f *fixture) {
			_ = f.sim.DeletePolicy(itemNamed[catalog.Product](f, "Payments Product").PolicyMID)
		}, edit: rename, code: catalog.CodeRemoteRefused, err: "not found in the Dashboard"},
		{name: "local write fails after the policy changed", setup: func(f *fixture) { f.heldAtWrite(1) }, edit: rename,
			code: catalog.CodeInUse, err: "the policy was updated in the Dashboard, but saving locally failed: open state file", policy: "Charges"},
		{name: "local-only write fails", setup: func(f *fixture) { f.heldAtWrite(1) },
			edit: editProduct("Payments Product", EditProductOptions{ItemChanges: ItemChanges{DisplayName: new("Pay")}}),
			code: catalog.CodeInUse, err: "in use by another tykportal process"},
		{name: "state in use", held: true, edit: editProduct("", EditProductOptions{ItemChanges: ItemChanges{ID: 1, Name: new("x")}}),
			code: catalog.CodeInUse, err: "in use by another tykportal process"},
		{name: "unknown product", edit: editProduct("", EditProductOptions{ItemChanges: ItemChanges{ID: 99, Name: new("x")}}),
			code: catalog.CodeUnknown, err: "product 99: not found (see `tykportal products list --all`)"},
		{name: "hidden product", setup: func(f *fixture) {
			id := f.productID("Payments Product")
			f.update(func(tx store.Tx) error {
				p, err := repo.GetProduct(tx, id)
				p.Hidden = true
				return errors.Join(err, repo.PutProduct(tx, p))
			})
		}, edit: rename, code: catalog.CodeInvalid, err: "is hidden (its policy was not retrieved by the last sync); it cannot be edited until it is restored"},
		{name: "empty name", edit: editProduct("Payments Product", EditProductOptions{ItemChanges: ItemChanges{Name: new("")}}),
			code: catalog.CodeInvalid, err: "--name is empty"},
		{name: "mixed auth methods", edit: editProduct("Payments Product", EditProductOptions{APIs: []string{"payments", "orders"}}),
			code: catalog.CodeInvalid, err: "same auth method"},
		{name: "unknown API", edit: editProduct("Payments Product", EditProductOptions{APIs: []string{"nosuch"}}),
			code: catalog.CodeInvalid, err: `has no API "nosuch"`},
		{name: "invalid limits", edit: editPlan("Gold Plan", EditPlanOptions{Limits: func(l *catalog.Limits) error { l.Per = 0; return nil }}),
			code: catalog.CodeInvalid, err: "--per must be a positive"},
		{name: "limits refused by the command line", edit: editPlan("Gold Plan", EditPlanOptions{Limits: func(*catalog.Limits) error {
			return catalog.Errorf(catalog.CodeInvalid, "--unlimited-rate cannot be combined with --rate or --per")
		}}), code: catalog.CodeInvalid, err: "cannot be combined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := syncedFixture(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			before, policies := f.stateBytes(), f.sim.Policies("")
			if tc.held {
				inUse(f)
			}
			it, times, err := tc.edit(context.Background(), f)
			checkErr(t, err, tc.code, tc.err)
			f.sim.ClearFaults()
			if remote := !reflect.DeepEqual(f.sim.Policies(""), policies); remote != (tc.policy != "") {
				t.Errorf("the policies in the Dashboard changed: %v, want %v", remote, tc.policy != "")
			}
			if tc.policy != "" && f.simPolicy(tc.policy) == nil {
				t.Errorf("no policy named %q in the Dashboard", tc.policy)
			}
			if local := f.stateBytes() != before; local != tc.local {
				t.Errorf("the local state changed: %v, want %v", local, tc.local)
			}
			if tc.code == "" && (it.Placeholder || !times.UpdatedAt.Equal(f.svc.now())) {
				t.Errorf("edited %+v %+v: want no placeholder, updated now", it, times)
			}
		})
	}
}

// An edit writes back every policy field tykportal does not model: the
// seed's policy with path-based permissions, meta data and GraphQL settings
// keeps them through a rename and a change of its APIs, and a plan's policy
// keeps everything but the limit changed.
func TestEditIsPatchOnly(t *testing.T) {
	f := syncedFixture(t)
	ctx := context.Background()
	// same fails the test unless the policy kept every field but those named.
	same := func(before, after map[string]any, changed ...string) {
		t.Helper()
		for k, v := range before {
			if k != "last_updated" && !slices.Contains(changed, k) && !reflect.DeepEqual(after[k], v) {
				t.Errorf("policy field %s: %v, was %v", k, after[k], v)
			}
		}
	}
	prod := itemNamed[catalog.Product](f, "Path Based Product")
	before, _ := f.sim.Policy(prod.PolicyMID)
	if _, ok := before["graphql_access_rights"]; !ok || before["meta_data"] == nil {
		t.Fatalf("the seed changed: %v", before)
	}
	renamed, err := f.svc.EditProduct(ctx, EditProductOptions{ItemChanges: ItemChanges{ID: prod.ID, Name: new("Charges API"), DisplayName: new("Charges")}})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := f.sim.Policy(prod.PolicyMID)
	same(before, after, "name")
	if after["name"] != "Charges API" || renamed.Name != "Charges API" || renamed.DisplayName != "Charges" || !reflect.DeepEqual(renamed.APIs, prod.APIs) {
		t.Errorf("renamed: %+v, policy name %v", renamed, after["name"])
	}

	edited, err := f.svc.EditProduct(ctx, EditProductOptions{ItemChanges: ItemChanges{ID: prod.ID}, APIs: []string{"payments", "refunds"}})
	if err != nil {
		t.Fatal(err)
	}
	before, after = after, nil
	after, _ = f.sim.Policy(prod.PolicyMID)
	// access_rights_array mirrors access_rights in the Dashboard.
	same(before, after, "access_rights", "access_rights_array")
	// The entry of an API that stays is kept whole; only its name is the API's.
	ar, kept := after["access_rights"].(map[string]any), before["access_rights"].(map[string]any)["payments"].(map[string]any)
	kept["api_name"] = "Payments"
	if !reflect.DeepEqual(ar["payments"], kept) || ar["refunds"] == nil || len(after["access_rights_array"].([]any)) != 2 {
		t.Errorf("the payments entry was not kept as it was, or refunds not added: %v", after)
	}
	if edited.Name != "Charges API" || len(edited.APIs) != 2 || edited.AuthType != "authToken" {
		t.Errorf("edited product %+v", edited)
	}
	if stored, _ := ShowItem[catalog.Product](ctx, f.svc, prod.ID); !reflect.DeepEqual(stored, edited) {
		t.Errorf("stored %+v, returned %+v", stored, edited)
	}

	gold := itemNamed[catalog.Plan](f, "Gold Plan")
	before, _ = f.sim.Policy(gold.PolicyMID)
	plan, err := f.svc.EditPlan(ctx, EditPlanOptions{ItemChanges: ItemChanges{ID: gold.ID}, Limits: func(l *catalog.Limits) error { l.KeyExpiresIn = 7200; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	after, _ = f.sim.Policy(gold.PolicyMID)
	same(before, after, "key_expires_in")
	wantL := gold.Limits
	wantL.KeyExpiresIn = 7200
	if after["key_expires_in"] != 7200.0 || plan.Limits != wantL {
		t.Errorf("plan %+v, policy key_expires_in %v; want limits %+v", plan.Limits, after["key_expires_in"], wantL)
	}
}

// Every way a delete ends: the local record, the policy, the question asked.
func TestDeleteItems(t *testing.T) {
	type deleteFunc func(context.Context, *Service, DeleteOptions) (catalog.Item, error)
	product := func(ctx context.Context, s *Service, o DeleteOptions) (catalog.Item, error) {
		p, err := DeleteItem[catalog.Product](ctx, s, o)
		return p.Item, err
	}
	plan := func(ctx context.Context, s *Service, o DeleteOptions) (catalog.Item, error) {
		p, err := DeleteItem[catalog.Plan](ctx, s, o)
		return p.Item, err
	}
	refuse := errors.New("cancelled: nothing was changed")
	tests := []struct {
		name     string
		setup    func(f *fixture)
		del      deleteFunc
		item     string // the name of the item deleted; "": an unknown id
		opts     DeleteOptions
		answer   error // the confirmation's answer
		code     catalog.Code
		err      string
		question string // what is asked, "" for no question
		deleted  bool   // the local record is gone
		policy   bool   // the policy is gone
		warning  string
		held     bool // the state is in use when the delete starts
	}{
		{name: "product and its policy", del: product, item: "Payments Product",
			question: `Delete product %d "Payments Product" and its policy %s in provider prod`, deleted: true, policy: true},
		{name: "plan and its policy", del: plan, item: "Gold Plan",
			question: `Delete plan %d "Gold Plan" and its policy %s in provider prod`, deleted: true, policy: true},
		{name: "keep the policy", del: product, item: "Payments Product", opts: DeleteOptions{KeepPolicy: true},
			question: `Delete product %d "Payments Product"`, deleted: true},
		{name: "keep the policy: no Dashboard needed", setup: withSecret("wrong"), del: plan, item: "Gold Plan", opts: DeleteOptions{KeepPolicy: true},
			question: `Delete plan %d "Gold Plan"`, deleted: true},
		{name: "without a question", del: plan, item: "Gold Plan", opts: DeleteOptions{Confirm: nil}, deleted: true, policy: true},
		{name: "answered no", del: product, item: "Payments Product", answer: refuse,
			question: `Delete product %d "Payments Product" and its policy %s in provider prod`, code: catalog.CodeInternal, err: "cancelled"},
		{name: "policy already gone: a warning", setup: func(f *fixture) {
			_ = f.sim.DeletePolicy(itemNamed[catalog.Product](f, "Payments Product").PolicyMID)
		}, del: product, item: "Payments Product", deleted: true, policy: true, warning: `policy %s was already gone from provider "prod"`},
		{name: "live credentials", setup: liveCredential, del: product, item: "Payments Product",
			code: catalog.CodeInvalid, err: "has 1 live credential(s); revoke them first (`tykportal credentials list --product %d`) or pass --force"},
		{name: "live credentials of a plan", setup: liveCredential, del: plan, item: "Gold Plan",
			code: catalog.CodeInvalid, err: "plan %d has 1 live credential(s)"},
		{name: "live credentials, forced", setup: liveCredential, del: product, item: "Payments Product", opts: DeleteOptions{Force: true},
			deleted: true, policy: true},
		{name: "wrong secret (401)", setup: withSecret("wrong"), del: product, item: "Payments Product",
			code: catalog.CodeRemoteRefused, err: "refused the secret (401 Not authorised) (nothing was deleted locally)"},
		{name: "no policies permission (403)", setup: withSecret("demo-no-policies-key-org1"), del: plan, item: "Gold Plan",
			code: catalog.CodeRemoteRefused, err: `lacks the "policies" permission`},
		{name: "Dashboard fails (500)", setup: func(f *fixture) {
			f.sim.SetFault("DELETE", policiesPath+"/"+itemNamed[catalog.Product](f, "Payments Product").PolicyMID, 0, dashboardtest.Fault{Status: 500})
		}, del: product, item: "Payments Product", code: catalog.CodeRemoteFailed, err: "delete policy"},
		{name: "local delete fails after the policy went", setup: func(f *fixture) { f.heldAtWrite(1) }, del: product, item: "Payments Product",
			code: catalog.CodeInUse, err: "the policy was deleted in the Dashboard, but deleting product %d locally failed", policy: true},
		{name: "state in use", held: true, del: product, item: "Payments Product", code: catalog.CodeInUse, err: "in use by another tykportal process"},
		{name: "unknown id", del: plan, opts: DeleteOptions{ID: 99}, code: catalog.CodeUnknown, err: "plan 99: not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := syncedFixture(t)
			var it catalog.Item
			if tc.item != "" {
				if strings.HasSuffix(tc.item, "Plan") {
					it = itemNamed[catalog.Plan](f, tc.item).Item
				} else {
					it = itemNamed[catalog.Product](f, tc.item).Item
				}
			}
			sprintf := func(s string) string {
				return strings.NewReplacer("%d", fmt.Sprint(it.ID), "%s", it.PolicyMID).Replace(s)
			}
			if tc.setup != nil {
				tc.setup(f)
			}
			before, policies := f.stateBytes(), f.policyCount()
			o := tc.opts
			if o.ID == 0 {
				o.ID = it.ID
			}
			if tc.held {
				inUse(f)
			}
			var asked []string
			if tc.question != "" {
				o.Confirm = func(what string) error {
					// Asked after the item is read, before the Dashboard is.
					if f.policyCount() != policies {
						t.Error("asked after the Dashboard was called")
					}
					asked = append(asked, what)
					return tc.answer
				}
			}
			got, err := tc.del(context.Background(), f.svc, o)
			checkErr(t, err, tc.code, sprintf(tc.err))
			f.sim.ClearFaults()
			if tc.question != "" && (len(asked) != 1 || asked[0] != sprintf(tc.question)) {
				t.Errorf("asked %q, want %q", asked, sprintf(tc.question))
			}
			if tc.code == "" && got.ID != it.ID {
				t.Errorf("returned %+v", got)
			}
			_, showErr := ShowItem[catalog.Product](context.Background(), f.svc, it.ID)
			if strings.HasSuffix(tc.item, "Plan") {
				_, showErr = ShowItem[catalog.Plan](context.Background(), f.svc, it.ID)
			}
			if gone := errors.Is(showErr, catalog.ErrUnknown); it.ID != 0 && gone != tc.deleted {
				t.Errorf("local record gone: %v, want %v", gone, tc.deleted)
			}
			if !tc.deleted && f.stateBytes() != before {
				t.Error("the local state changed")
			}
			_, exists := f.sim.Policy(it.PolicyMID)
			if it.ID != 0 && exists == tc.policy {
				t.Errorf("policy still in the Dashboard: %v, want %v", exists, !tc.policy)
			}
			if !tc.policy && f.policyCount() != policies {
				t.Error("the policies in the Dashboard changed")
			}
			if want := sprintf(tc.warning); (tc.warning == "") != (len(f.warnings) == 0) || tc.warning != "" && f.warnings[0] != want {
				t.Errorf("warnings %q, want %q", f.warnings, want)
			}
		})
	}
}

// liveCredential issues a credential (locally) on Payments Product and
// Gold Plan, and a revoked one that does not count.
func liveCredential(f *fixture) {
	pay, gold := f.productID("Payments Product"), f.planID("Gold Plan")
	f.update(func(tx store.Tx) error {
		for _, revoked := range []bool{false, true} {
			c := catalog.Credential{Provider: "prod", ProductID: pay, PlanID: gold, Consumer: "dev@example.com", Kind: catalog.KindKey, KeyHash: "h", Revoked: revoked}
			if err := repo.CreateCredential(tx, &c); err != nil {
				return err
			}
		}
		return nil
	})
}

// With no state file at all, every write use case names what is missing.
func TestWriteWithoutState(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.CreateProduct(ctx, CreateProductOptions{ItemFields: ItemFields{Provider: "prod", Name: "x"}, APIs: []string{"payments"}}); !errors.Is(err, provider.ErrUnknown) {
		t.Errorf("create: %v", err)
	}
	if _, err := f.svc.EditPlan(ctx, EditPlanOptions{ItemChanges: ItemChanges{ID: 1, Name: new("x")}}); catalog.CodeOf(err) != catalog.CodeUnknown || !strings.Contains(err.Error(), "no state file yet") {
		t.Errorf("edit: %v", err)
	}
	if _, err := DeleteItem[catalog.Product](ctx, f.svc, DeleteOptions{ID: 1}); catalog.CodeOf(err) != catalog.CodeUnknown || err.Error() != "product 1: not found" {
		t.Errorf("delete: %v", err)
	}
	if f.stateBytes() != "" {
		t.Error("a state was written")
	}
}

// An edit committed by another admin between this edit's read and its
// write (here, while this one patches the Dashboard) is kept: the edit
// writes its own fields onto the record as committed, not a stale copy.
func TestEditKeepsAConcurrentEdit(t *testing.T) {
	f := syncedFixture(t)
	ctx := context.Background()
	prods, err := ListItems[catalog.Product](ctx, f.svc, ListOptions{Provider: "prod"})
	if err != nil || len(prods) == 0 {
		t.Fatal(prods, err)
	}
	id := prods[0].ID
	build := f.svc.Dashboard
	f.svc.Dashboard = func(p provider.Provider, sec string) (*dashboard.Client, error) {
		// The other admin's edit lands while this one talks to the Dashboard.
		f.update(func(tx store.Tx) error {
			cur, err := repo.GetProduct(tx, id)
			if err != nil {
				return err
			}
			cur.Description = "set by the other admin"
			return repo.PutProduct(tx, cur)
		})
		return build(p, sec)
	}
	name, display := "Renamed product", "Shown name"
	got, err := f.svc.EditProduct(ctx, EditProductOptions{ItemChanges: ItemChanges{ID: id, Name: &name, DisplayName: &display}})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := ShowItem[catalog.Product](ctx, f.svc, id)
	for _, p := range []catalog.Product{got, again} {
		if p.Name != name || p.DisplayName != display || p.Description != "set by the other admin" {
			t.Fatalf("after the edit: name %q display %q description %q; the other admin's description was lost", p.Name, p.DisplayName, p.Description)
		}
	}
}

// A field the edit changes that also changed in the Dashboard since the
// last sync is not overwritten silently: a conflict naming it, unless
// Force. An edit of other fields goes ahead and keeps the Dashboard's.
func TestEditRefusesToOverwriteADashboardChange(t *testing.T) {
	f := syncedFixture(t)
	ctx := context.Background()
	plans, err := ListItems[catalog.Plan](ctx, f.svc, ListOptions{Provider: "prod"})
	if err != nil || len(plans) == 0 {
		t.Fatal(plans, err)
	}
	plan := plans[0]
	for _, p := range plans {
		if p.Rate > 0 {
			plan = p
		}
	}
	if err := f.sim.UpdatePolicy(plan.PolicyMID, func(pol map[string]any) { pol["rate"] = float64(7); pol["name"] = "Renamed in the Dashboard" }); err != nil {
		t.Fatal(err)
	}
	setRate := func(l *catalog.Limits) error { l.Rate, l.Per = 99, 60; return nil }
	before, writes := f.stateBytes(), f.writes()
	_, err = f.svc.EditPlan(ctx, EditPlanOptions{ItemChanges: ItemChanges{ID: plan.ID}, Limits: setRate})
	if catalog.CodeOf(err) != catalog.CodeConflict || !strings.Contains(err.Error(), "changed in the Dashboard since the last sync (limits)") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("limits edit over a Dashboard change: %v", err)
	}
	name := "Mine"
	if _, err := f.svc.EditPlan(ctx, EditPlanOptions{ItemChanges: ItemChanges{ID: plan.ID, Name: &name}}); catalog.CodeOf(err) != catalog.CodeConflict || !strings.Contains(err.Error(), "(name)") {
		t.Fatalf("rename over a Dashboard rename: %v", err)
	}
	if f.stateBytes() != before || f.writes() != writes {
		t.Fatal("a refused edit wrote")
	}
	// Local fields only: no Dashboard write at all, nothing to refuse.
	display := "Shown"
	if _, err := f.svc.EditPlan(ctx, EditPlanOptions{ItemChanges: ItemChanges{ID: plan.ID, DisplayName: &display}}); err != nil {
		t.Fatalf("a local edit: %v", err)
	}
	// --force overwrites.
	got, err := f.svc.EditPlan(ctx, EditPlanOptions{ItemChanges: ItemChanges{ID: plan.ID, Force: true}, Limits: setRate})
	if err != nil || got.Rate != 99 || f.simPolicy("Renamed in the Dashboard")["rate"] != float64(99) {
		t.Fatalf("forced: %+v %v", got, err)
	}
}
