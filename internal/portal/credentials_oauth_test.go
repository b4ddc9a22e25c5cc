package portal

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/doctor"
	tpsync "github.com/tykportal/tykportal/pkg/sync"
)

// combinedPolicies are the simulator's combined OAuth policies.
func (c *credFixture) combinedPolicies() []map[string]any {
	var out []map[string]any
	for _, p := range c.sim.Policies(seedOrg) {
		if tags, _ := p["tags"].([]any); slices.Contains(tags, any("tykportal-oauth-combined")) {
			out = append(out, p)
		}
	}
	return out
}

func (c *credFixture) policyNamed(name string) map[string]any {
	c.t.Helper()
	for _, p := range c.sim.Policies(seedOrg) {
		if p["name"] == name {
			return p
		}
	}
	c.t.Fatalf("no policy %q", name)
	return nil
}

// An OAuth client names one policy and its tokens get that policy alone:
// the client is bound to a combined policy of the product's access and the
// plan's limits, one per product and plan, deleted with its last client.
func TestOAuthCombinedPolicy(t *testing.T) {
	ctx := context.Background()
	c := newCredFixture(t, nil)
	first := c.issue(c.oauthOpts())
	combined := c.combinedPolicies()
	if len(combined) != 1 {
		t.Fatalf("%d combined policies after the first issue, want 1", len(combined))
	}
	pol := combined[0]
	mid := pol["_id"].(string)
	prod, plan := c.policyNamed("Accounts OAuth Product"), c.policyNamed("Gold Plan")
	if !reflect.DeepEqual(pol["access_rights"], prod["access_rights"]) {
		t.Errorf("access rights %v, want the product's %v", pol["access_rights"], prod["access_rights"])
	}
	for _, f := range []string{"rate", "per", "quota_max", "quota_renewal_rate"} {
		if pol[f] != plan[f] {
			t.Errorf("%s = %v, want the plan's %v", f, pol[f], plan[f])
		}
	}
	if pt := pol["partitions"].(map[string]any); pt["acl"] != false || pt["quota"] != false || pt["rate_limit"] != false || pt["per_api"] != false {
		t.Errorf("partitions %v: a combined policy applies whole", pt)
	}
	tags := pol["tags"].([]any)
	if !slices.Contains(tags, any("portal")) || !slices.Contains(tags, any("tykportal-oauth:"+prod["_id"].(string)+"+"+plan["_id"].(string))) {
		t.Errorf("tags %v", tags)
	}
	if pol["name"] != "Accounts OAuth Product + Gold Plan (tykportal OAuth)" {
		t.Errorf("name %v", pol["name"])
	}
	clients := c.sim.OAuthClients("accounts")
	if len(clients) != 1 || clients[0]["policy_id"] != mid || first.PolicyMID != mid || c.credential(first.ID).PolicyMID != mid {
		t.Fatalf("client %v, credential %+v: want both bound to %s", clients, first.Credential, mid)
	}
	if ops := c.operations(); len(ops) != 0 {
		t.Fatalf("journal %+v", ops)
	}

	// The second of the pair reuses it; another plan gets its own.
	policies := len(c.sim.Policies(seedOrg))
	second := c.issue(c.oauthOpts())
	if second.PolicyMID != mid || len(c.sim.Policies(seedOrg)) != policies {
		t.Fatalf("second issue: policy %s, %d policies (was %d)", second.PolicyMID, len(c.sim.Policies(seedOrg)), policies)
	}
	silver := c.oauthOpts()
	silver.PlanID = c.id("prod/Silver Plan")
	third := c.issue(silver)
	if third.PolicyMID == mid || len(c.combinedPolicies()) != 2 {
		t.Fatalf("another plan shares the policy: %s", third.PolicyMID)
	}

	// Sync imports none of them.
	results, err := c.svc.Sync(ctx, []string{"prod"}, tpsync.Options{})
	if err != nil || results[0].Status != "ok" {
		t.Fatalf("sync: %v %+v", err, results)
	}
	skipped := 0
	for _, s := range results[0].Skipped {
		if s.Reason == tpsync.ReasonOAuthCombined {
			skipped++
		}
	}
	if skipped != 2 || results[0].Products.Created != 0 || results[0].Plans.Created != 0 {
		t.Fatalf("sync: %d skipped as oauth_combined, want 2; %+v", skipped, results[0])
	}

	// Revoked: the policy stays while a client uses it, goes with the last.
	if err := c.svc.RevokeCredential(ctx, first.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.sim.Policy(mid); !ok {
		t.Fatal("the combined policy went while a client still uses it")
	}
	if err := c.svc.RevokeCredential(ctx, second.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.sim.Policy(mid); ok {
		t.Fatal("the combined policy outlived its last client")
	}
	if len(c.combinedPolicies()) != 1 {
		t.Fatal("revoking one pair's clients touched another pair's policy")
	}
}

// A failure between the combined policy and its client leaves both in the
// journal; doctor finds the policy, and the next issue of the pair uses it,
// which doctor then reports adopted.
func TestOAuthCombinedHalfWay(t *testing.T) {
	ctx := context.Background()
	c := newCredFixture(t, nil)
	c.sim.SetFault("POST", "/api/apis/oauth/accounts", 0, dashboardtest.Fault{Status: 500, Times: 1})
	_, err := c.svc.IssueCredential(ctx, c.oauthOpts())
	checkErr(t, err, catalog.CodeRemoteFailed, "may have created the OAuth client anyway")
	if n := len(c.combinedPolicies()); n != 1 || len(c.operations()) != 2 {
		t.Fatalf("%d combined policies, journal %+v", n, c.operations())
	}
	mid := c.combinedPolicies()[0]["_id"].(string)
	states := func() map[string]doctor.State {
		r, err := c.svc.Doctor(ctx, DoctorOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]doctor.State{}
		for _, f := range r.Operations {
			out[f.Operation.Object] = f.State
			if f.Operation.Object == catalog.ObjectPolicy && f.ObjectID != mid {
				t.Errorf("doctor names policy %q, want %s", f.ObjectID, mid)
			}
		}
		return out
	}
	if got := states(); got[catalog.ObjectPolicy] != doctor.Orphan || got[catalog.ObjectOAuthClient] != doctor.Absent {
		t.Fatalf("doctor: %v", got)
	}
	again := c.issue(c.oauthOpts())
	if again.PolicyMID != mid || len(c.combinedPolicies()) != 1 {
		t.Fatalf("the retry did not use the policy left behind: %s", again.PolicyMID)
	}
	if got := states(); got[catalog.ObjectPolicy] != doctor.Adopted {
		t.Fatalf("doctor after the retry: %v", got)
	}
	r, err := c.svc.Doctor(ctx, DoctorOptions{Repair: true})
	if err != nil || r.Err() != nil || len(c.operations()) != 0 {
		t.Fatalf("repair: %+v %v, journal %+v", r, err, c.operations())
	}
	if _, ok := c.sim.Policy(mid); !ok {
		t.Fatal("doctor --repair deleted an adopted combined policy")
	}
}

// A client create the Dashboard refuses made nothing: the combined policy
// made for it goes again, and the journal is clear.
func TestOAuthCombinedRefused(t *testing.T) {
	c := newCredFixture(t, nil)
	c.sim.SetFault("POST", "/api/apis/oauth/accounts", 0, dashboardtest.Fault{Status: 400})
	_, err := c.svc.IssueCredential(context.Background(), c.oauthOpts())
	checkErr(t, err, catalog.CodeRemoteRefused, "create OAuth client")
	if n := len(c.combinedPolicies()); n != 0 || len(c.operations()) != 0 {
		t.Fatalf("%d combined policies left, journal %+v", n, c.operations())
	}
	if !strings.Contains(err.Error(), `provider "prod"`) {
		t.Fatal(err)
	}
}

// A plan edited later carries its new limits into the combined policies
// its OAuth credentials are bound to; a product's into their access rights.
func TestOAuthCombinedFollowsEdits(t *testing.T) {
	ctx := context.Background()
	c := newCredFixture(t, nil)
	ic := c.issue(c.oauthOpts())
	_, err := c.svc.EditPlan(ctx, EditPlanOptions{ItemChanges: ItemChanges{ID: c.id("prod/Gold Plan")},
		Limits: func(l *catalog.Limits) error { l.Rate, l.Per, l.QuotaMax = 7, 1, 77; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	pol, _ := c.sim.Policy(ic.PolicyMID)
	if pol["rate"] != 7.0 || pol["per"] != 1.0 || pol["quota_max"] != 77.0 {
		t.Fatalf("combined policy after the plan edit: rate %v per %v quota %v", pol["rate"], pol["per"], pol["quota_max"])
	}
	if pt := pol["partitions"].(map[string]any); pt["rate_limit"] != false || pt["quota"] != false {
		t.Fatalf("the propagation partitioned the combined policy: %v", pt)
	}
	// Another plan's edit leaves it alone.
	if _, err := c.svc.EditPlan(ctx, EditPlanOptions{ItemChanges: ItemChanges{ID: c.id("prod/Silver Plan")},
		Limits: func(l *catalog.Limits) error { l.Rate = 3; return nil }}); err != nil {
		t.Fatal(err)
	}
	if again, _ := c.sim.Policy(ic.PolicyMID); again["rate"] != 7.0 {
		t.Fatalf("another plan's edit changed it: %v", again["rate"])
	}
	if len(c.warnings) != 0 {
		t.Fatalf("warnings %v", c.warnings)
	}
}

// Two first issues of one pair at once: the one whose create is refused
// (the name is taken) uses the other's combined policy.
func TestOAuthCombinedRace(t *testing.T) {
	c := newCredFixture(t, nil)
	prod, plan := c.policyNamed("Accounts OAuth Product"), c.policyNamed("Gold Plan")
	// The policy list is answered as it was before the other issue's
	// create, which lands while the answer is on its way.
	c.sim.SetFault("GET", "/api/portal/policies", 0, dashboardtest.Fault{Hold: 300 * time.Millisecond, Times: 1})
	var other string
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(100 * time.Millisecond)
		other = c.sim.AddPolicy(seedOrg, map[string]any{"name": "Accounts OAuth Product + Gold Plan (tykportal OAuth)", "active": true,
			"tags":          []any{"portal", "tykportal-oauth-combined", "tykportal-oauth:" + prod["_id"].(string) + "+" + plan["_id"].(string)},
			"access_rights": prod["access_rights"], "rate": plan["rate"], "per": plan["per"]})
	}()
	ic := c.issue(c.oauthOpts())
	<-done
	if ic.PolicyMID != other || len(c.combinedPolicies()) != 1 || len(c.operations()) != 0 {
		t.Fatalf("bound to %s, want the other issue's %s; %d combined policies, journal %+v", ic.PolicyMID, other, len(c.combinedPolicies()), c.operations())
	}
}

// apply carries a plan's new limits into its combined policies too.
func TestOAuthCombinedFollowsApply(t *testing.T) {
	ctx := context.Background()
	c := newCredFixture(t, nil)
	ic := c.issue(c.oauthOpts())
	doc := exported(t, c.fixture)
	// The fixture's "other" provider is the same Dashboard: change prod's.
	for i := range doc.Providers {
		if doc.Providers[i].Name != "prod" {
			continue
		}
		for j := range *doc.Providers[i].Plans {
			if pl := &(*doc.Providers[i].Plans)[j]; pl.Name == "Gold Plan" {
				pl.Rate = 9
			}
		}
	}
	if _, err := c.svc.Apply(ctx, ApplyOptions{File: "cat.yaml", Doc: doc}); err != nil {
		t.Fatal(err)
	}
	if pol, _ := c.sim.Policy(ic.PolicyMID); pol["rate"] != 9.0 {
		t.Fatalf("combined policy rate %v after the apply, want 9", pol["rate"])
	}
}

// A product's new APIs go into its combined policies' access rights.
func TestOAuthCombinedFollowsProductAPIs(t *testing.T) {
	ctx := context.Background()
	c := newCredFixture(t, nil)
	ic := c.issue(c.oauthOpts())
	c.sim.AddAPI(seedOrg, map[string]any{"api_id": "accounts2", "name": "Accounts 2", "use_oauth2": true})
	if _, err := c.svc.EditProduct(ctx, EditProductOptions{ItemChanges: ItemChanges{ID: c.id("prod/Accounts OAuth Product")}, APIs: []string{"accounts", "accounts2"}}); err != nil {
		t.Fatal(err)
	}
	pol, _ := c.sim.Policy(ic.PolicyMID)
	ar := pol["access_rights"].(map[string]any)
	if len(ar) != 2 || ar["accounts2"] == nil || !reflect.DeepEqual(ar, c.policyNamed("Accounts OAuth Product")["access_rights"]) {
		t.Fatalf("combined access rights %v, want the product's", ar)
	}
	if pol["rate"] != 1000.0 {
		t.Fatalf("the product edit changed the limits: rate %v", pol["rate"])
	}
}
