package sync

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/provider"
)

var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func access(mid string, apis ...string) dashboard.Policy {
	ar := map[string]dashboard.AccessDefinition{}
	for _, a := range apis {
		ar[a] = dashboard.AccessDefinition{APIID: a, APIName: a}
	}
	return dashboard.Policy{MID: mid, Name: "access " + mid, Tags: []string{"portal"}, Active: true, State: "active",
		AccessRights: ar, Partitions: dashboard.Partitions{ACL: true}}
}

func limit(mid string, rate, per float64) dashboard.Policy {
	return dashboard.Policy{MID: mid, Name: "limit " + mid, Tags: []string{"portal"}, Active: true, State: "active",
		Rate: rate, Per: per, QuotaMax: -1, QuotaRenewalRate: -1, Partitions: dashboard.Partitions{RateLimit: true}}
}

func with(p dashboard.Policy, f func(*dashboard.Policy)) dashboard.Policy { f(&p); return p }

var prov = provider.Provider{Name: "prod", PolicyTags: []string{"portal"}, OrgID: "org1"}

func TestClassifyAndSkip(t *testing.T) {
	mcp := access("m", "mcp1")
	ad := mcp.AccessRights["mcp1"]
	ad.MCPAccessRights = []byte(`{"tools":{"allowed":["x"]}}`)
	mcp.AccessRights["mcp1"] = ad
	tests := []struct {
		name   string
		policy dashboard.Policy
		want   string // "product", "plan", a skip reason, or "" (not retrieved)
	}{
		{"access only", access("a", "api1"), catalog.KindProduct},
		{"rate limit only", limit("b", 10, 1), catalog.KindPlan},
		{"quota only", with(limit("c", 0, 0), func(p *dashboard.Policy) { p.Partitions = dashboard.Partitions{Quota: true}; p.QuotaMax = 5 }), catalog.KindPlan},
		{"limit policy naming an API is still a plan", with(limit("d", 1, 1), func(p *dashboard.Policy) { p.AccessRights = access("x", "api1").AccessRights }), catalog.KindPlan},
		{"not partitioned", with(limit("e", 1, 1), func(p *dashboard.Policy) { p.Partitions = dashboard.Partitions{} }), ReasonNotPartitioned},
		{"complexity only", with(limit("e2", 1, 1), func(p *dashboard.Policy) { p.Partitions = dashboard.Partitions{Complexity: true} }), ReasonNotPartitioned},
		{"access and limits", with(access("f", "api1"), func(p *dashboard.Policy) { p.Partitions.Quota = true }), ReasonAccessAndLimits},
		{"per-API limits", with(access("g", "api1"), func(p *dashboard.Policy) { p.Partitions.PerAPI = true }), ReasonPerAPILimits},
		{"MCP proxy", mcp, ReasonMCPProxy},
		{"inactive flag", with(access("h", "api1"), func(p *dashboard.Policy) { p.IsInactive = true }), ReasonInactive},
		{"state deny", with(limit("i", 1, 1), func(p *dashboard.Policy) { p.State = "deny" }), ReasonInactive},
		{"access without APIs", access("j"), ReasonNoAPIs},
		// A combined OAuth policy grants access and sets limits, unpartitioned:
		// it is tykportal's own, neither a product nor a plan.
		{"combined OAuth policy", with(access("n", "api1"), func(p *dashboard.Policy) {
			p.Partitions = dashboard.Partitions{}
			p.Rate, p.Per = 10, 1
			p.Tags = append(p.Tags, "tykportal-oauth-combined", "tykportal-oauth:a+b")
		}), ReasonOAuthCombined},
		{"tag not matching", with(access("k", "api1"), func(p *dashboard.Policy) { p.Tags = []string{"internal"} }), ""},
		{"no tags on the policy", with(access("l", "api1"), func(p *dashboard.Policy) { p.Tags = nil }), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl := Compute(prov, []dashboard.Policy{tc.policy}, nil, Local{}, now)
			got := ""
			switch {
			case pl.Products.Created == 1:
				got = catalog.KindProduct
			case pl.Plans.Created == 1:
				got = catalog.KindPlan
			case len(pl.Skipped) == 1:
				got = pl.Skipped[0].Reason
				if pl.Skipped[0].PolicyID != tc.policy.MID || pl.Skipped[0].Name != tc.policy.Name {
					t.Errorf("skip names %+v", pl.Skipped[0])
				}
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if wantMatched := map[bool]int{true: 1, false: 0}[tc.want != ""]; pl.Matched != wantMatched || pl.Fetched != 1 {
				t.Errorf("fetched %d matched %d", pl.Fetched, pl.Matched)
			}
		})
	}
	// No tags on the provider: every policy is retrieved.
	pl := Compute(provider.Provider{Name: "all"}, []dashboard.Policy{with(access("k", "api1"), func(p *dashboard.Policy) { p.Tags = nil })}, nil, Local{}, now)
	if pl.Products.Created != 1 {
		t.Fatal("a provider without tags did not import an untagged policy")
	}
}

func TestLifecycle(t *testing.T) {
	hiddenAt := now.Add(-time.Hour)
	apis := []dashboard.API{{APIID: "api1", Name: "Payments", AuthType: "authToken"}, {APIID: "api2", Name: "Refunds", AuthType: "authToken"}}
	localProduct := catalog.Product{Item: catalog.Item{ID: 1, Provider: "prod", PolicyID: "a", PolicyMID: "a", Name: "access a", DisplayName: "Shown", Description: "kept", Published: true}, AuthType: "authToken", APIs: []catalog.APIRef{{APIID: "api1", Name: "Payments"}}}
	localPlan := catalog.Plan{Item: catalog.Item{ID: 1, Provider: "prod", PolicyID: "b", PolicyMID: "b", Name: "limit b", Published: true}, Limits: catalog.Limits{Rate: 10, Per: 1, QuotaMax: -1, QuotaRenewalRate: -1}}
	tests := []struct {
		name     string
		policies []dashboard.Policy
		local    Local
		check    func(t *testing.T, pl *Changeset)
	}{
		{"new policy becomes an unpublished placeholder", []dashboard.Policy{access("a", "api1")}, Local{}, func(t *testing.T, pl *Changeset) {
			p := pl.Changes[0].Product
			if pl.Changes[0].Action != catalog.ActionCreate || !p.Placeholder || p.Published || p.Name != "access a" || p.AuthType != "authToken" ||
				!reflect.DeepEqual(p.APIs, []catalog.APIRef{{APIID: "api1", Name: "Payments"}}) {
				t.Fatalf("%+v", p)
			}
		}},
		{"known and unchanged writes nothing", []dashboard.Policy{access("a", "api1"), limit("b", 10, 1)}, Local{Products: []catalog.Product{localProduct}, Plans: []catalog.Plan{localPlan}}, func(t *testing.T, pl *Changeset) {
			if len(pl.Changes) != 0 || pl.Products.Unchanged != 1 || pl.Plans.Unchanged != 1 {
				t.Fatalf("%+v", pl)
			}
		}},
		{"Dashboard fields updated, local fields kept", []dashboard.Policy{with(access("a", "api1", "api2"), func(p *dashboard.Policy) { p.Name = "renamed" })}, Local{Products: []catalog.Product{localProduct}}, func(t *testing.T, pl *Changeset) {
			c := pl.Changes[0]
			if c.Action != catalog.ActionUpdate || c.Product.Name != "renamed" || len(c.Product.APIs) != 2 || c.Product.DisplayName != "Shown" ||
				c.Product.Description != "kept" || !c.Product.Published || !reflect.DeepEqual(c.Fields, []catalog.FieldChange{
				{Field: "name", Old: "access a", New: "renamed"}, {Field: "apis", Old: []string{"api1"}, New: []string{"api1", "api2"}}}) {
				t.Fatalf("%+v %v", c.Product, c.Fields)
			}
		}},
		{"not retrieved: hidden and unpublished, config kept", nil, Local{Products: []catalog.Product{localProduct}}, func(t *testing.T, pl *Changeset) {
			p := pl.Changes[0].Product
			if pl.Changes[0].Action != catalog.ActionHide || !p.Hidden || p.Published || !p.PublishedBeforeHide || p.HiddenSince == nil || p.DisplayName != "Shown" {
				t.Fatalf("%+v", p)
			}
		}},
		{"already hidden and still missing: nothing", nil, Local{Products: []catalog.Product{with2(localProduct, func(p *catalog.Product) { p.Hidden, p.HiddenSince = true, &hiddenAt })}}, func(t *testing.T, pl *Changeset) {
			if len(pl.Changes) != 0 {
				t.Fatalf("%+v", pl.Changes)
			}
		}},
		{"back again: restored with its publish state", []dashboard.Policy{access("a", "api1")}, Local{Products: []catalog.Product{with2(localProduct, func(p *catalog.Product) {
			p.Hidden, p.HiddenSince, p.Published, p.PublishedBeforeHide = true, &hiddenAt, false, true
		})}}, func(t *testing.T, pl *Changeset) {
			p := pl.Changes[0].Product
			if pl.Changes[0].Action != catalog.ActionRestore || p.Hidden || p.HiddenSince != nil || !p.Published || p.DisplayName != "Shown" {
				t.Fatalf("%+v", p)
			}
		}},
		{"inactive counts as not retrieved", []dashboard.Policy{with(access("a", "api1"), func(p *dashboard.Policy) { p.IsInactive = true })}, Local{Products: []catalog.Product{localProduct}}, func(t *testing.T, pl *Changeset) {
			if pl.Products.Hidden != 1 || pl.Skipped[0].Reason != ReasonInactive {
				t.Fatalf("%+v", pl)
			}
		}},
		{"a skipped policy counts as not retrieved", []dashboard.Policy{with(access("a", "api1"), func(p *dashboard.Policy) { p.Partitions.Quota = true })}, Local{Products: []catalog.Product{localProduct}}, func(t *testing.T, pl *Changeset) {
			if pl.Products.Hidden != 1 {
				t.Fatalf("%+v", pl)
			}
		}},
		{"every limit is compared: key expiry alone", []dashboard.Policy{with(limit("b", 10, 1), func(p *dashboard.Policy) { p.KeyExpiresIn = 3600 })}, Local{Plans: []catalog.Plan{localPlan}}, func(t *testing.T, pl *Changeset) {
			if pl.Plans.Updated != 1 || !reflect.DeepEqual(pl.Changes[0].Fields, []catalog.FieldChange{{Field: "key_expires_in", Old: int64(0), New: int64(3600)}}) || pl.Changes[0].Plan.KeyExpiresIn != 3600 {
				t.Fatalf("%+v", pl.Changes)
			}
		}},
		{"throttle alone", []dashboard.Policy{with(limit("b", 10, 1), func(p *dashboard.Policy) { p.ThrottleInterval, p.ThrottleRetryLimit = 2, 3 })}, Local{Plans: []catalog.Plan{localPlan}}, func(t *testing.T, pl *Changeset) {
			if pl.Plans.Updated != 1 || len(pl.Changes[0].Fields) != 2 {
				t.Fatalf("%+v", pl.Changes)
			}
		}},
		{"meta data alone is not a change and loses nothing", []dashboard.Policy{with(limit("b", 10, 1), func(p *dashboard.Policy) { p.MetaData = map[string]any{"x": 1} })}, Local{Plans: []catalog.Plan{localPlan}}, func(t *testing.T, pl *Changeset) {
			if len(pl.Changes) != 0 || pl.Plans.Unchanged != 1 {
				t.Fatalf("%+v", pl.Changes)
			}
		}},
		{"custom id set later: same product, not a new one (id vs _id)", []dashboard.Policy{with(access("a", "api1"), func(p *dashboard.Policy) { p.ID = "custom" })}, Local{Products: []catalog.Product{localProduct}}, func(t *testing.T, pl *Changeset) {
			if pl.Products.Created != 0 || pl.Products.Hidden != 0 || pl.Changes[0].Product.PolicyID != "custom" || pl.Changes[0].Product.ID != 1 {
				t.Fatalf("%+v", pl.Changes)
			}
		}},
		{"identity is the custom id, never _id", []dashboard.Policy{with(access("zz", "api1"), func(p *dashboard.Policy) { p.ID = "my-id" })}, Local{}, func(t *testing.T, pl *Changeset) {
			if p := pl.Changes[0].Product; p.PolicyID != "my-id" || p.PolicyMID != "zz" {
				t.Fatalf("%+v", p)
			}
		}},
		{"a product whose policy comes in another order is never lost", []dashboard.Policy{limit("b", 10, 1), access("a", "api1")}, Local{Products: []catalog.Product{localProduct}, Plans: []catalog.Plan{localPlan}}, func(t *testing.T, pl *Changeset) {
			if pl.Products.Hidden+pl.Plans.Hidden != 0 {
				t.Fatalf("%+v", pl.Changes)
			}
		}},
		{"a product whose APIs change is updated, not lost", []dashboard.Policy{access("a", "api2")}, Local{Products: []catalog.Product{localProduct}}, func(t *testing.T, pl *Changeset) {
			if pl.Products.Hidden != 0 || pl.Products.Updated != 1 || pl.Changes[0].Product.APIs[0].APIID != "api2" {
				t.Fatalf("%+v", pl.Changes)
			}
		}},
		{"a plan policy turned into a product: plan hidden, product created", []dashboard.Policy{access("b", "api1")}, Local{Plans: []catalog.Plan{localPlan}}, func(t *testing.T, pl *Changeset) {
			if pl.Plans.Hidden != 1 || pl.Products.Created != 1 {
				t.Fatalf("%+v", pl)
			}
		}},
		{"duplicate identity: second skipped", []dashboard.Policy{with(access("x1", "api1"), func(p *dashboard.Policy) { p.ID = "dup" }), with(access("x2", "api1"), func(p *dashboard.Policy) { p.ID = "dup" })}, Local{}, func(t *testing.T, pl *Changeset) {
			if pl.Products.Created != 1 || len(pl.Skipped) != 1 || pl.Skipped[0].Reason != ReasonDuplicateID {
				t.Fatalf("%+v", pl)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, Compute(prov, tc.policies, apis, tc.local, now))
		})
	}
}

func with2(p catalog.Product, f func(*catalog.Product)) catalog.Product { f(&p); return p }

func TestMassHideGuard(t *testing.T) {
	var local Local
	var policies []dashboard.Policy
	for i := 0; i < 10; i++ {
		mid := fmt.Sprintf("p%02d", i)
		local.Products = append(local.Products, catalog.Product{Item: catalog.Item{ID: uint64(i + 1), Provider: "prod", PolicyID: mid, PolicyMID: mid, Name: "access " + mid}})
		policies = append(policies, access(mid, "api1"))
	}
	tests := []struct {
		name      string
		keep      int
		tags      []string
		refuse    bool
		causePart string
	}{
		{"hides 4 of 10 (fewer than 5)", 6, []string{"portal"}, false, ""},
		{"hides 5 of 10 (not more than half)", 5, []string{"portal"}, false, ""},
		{"hides 6 of 10", 4, []string{"portal"}, true, "only 4 of 4 policies carry"},
		{"empty answer", 0, []string{"portal"}, true, "no policies at all"},
		{"tag typo", -1, []string{"portl"}, true, "tag typo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := policies
			if tc.keep >= 0 {
				ps = policies[:tc.keep]
			}
			p := prov
			p.PolicyTags = tc.tags
			pl := Compute(p, ps, nil, local, now)
			if (pl.MassHide != nil) != tc.refuse {
				t.Fatalf("MassHide = %v", pl.MassHide)
			}
			if tc.refuse && (!errors.Is(pl.MassHide, ErrMassHide) || !strings.Contains(pl.MassHide.Error(), tc.causePart)) {
				t.Fatalf("%v, want %q", pl.MassHide, tc.causePart)
			}
		})
	}
}

func TestComputeDeterministic(t *testing.T) {
	ps := []dashboard.Policy{access("c", "api1"), limit("a", 1, 1), access("b", "api1")}
	rev := []dashboard.Policy{ps[2], ps[1], ps[0]}
	a := Compute(prov, ps, nil, Local{}, now).Result()
	b := Compute(prov, rev, nil, Local{}, now).Result()
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("order changed the result:\n%+v\n%+v", a, b)
	}
}

// FuzzCompute checks the planner's invariants on arbitrary inputs: every
// retrieved policy maps to exactly one product, plan or skip; an item whose
// policy is retrieved as its kind is never hidden; Compute is deterministic.
func FuzzCompute(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint8(3))
	f.Add([]byte{0xff, 0, 0x10, 0x20}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, nLocal uint8) {
		var policies []dashboard.Policy
		for i, b := range data {
			mid := fmt.Sprintf("m%d", int(b)%7)
			p := dashboard.Policy{MID: mid, Name: mid, Partitions: dashboard.Partitions{ACL: b&1 != 0, Quota: b&2 != 0, RateLimit: b&4 != 0, PerAPI: b&8 != 0},
				IsInactive: b&16 != 0 && i%2 == 0, Tags: []string{[]string{"portal", "other"}[int(b>>5)%2]}}
			if b&32 != 0 {
				p.AccessRights = map[string]dashboard.AccessDefinition{"api": {APIID: "api"}}
			}
			if b&64 != 0 {
				p.ID = fmt.Sprintf("c%d", int(b)%3)
			}
			policies = append(policies, p)
		}
		var local Local
		for i := 0; i < int(nLocal%8); i++ {
			id := fmt.Sprintf("m%d", i)
			local.Products = append(local.Products, catalog.Product{Item: catalog.Item{ID: uint64(i + 1), Provider: "prod", PolicyID: id, PolicyMID: id, Hidden: i%3 == 0}})
			local.Plans = append(local.Plans, catalog.Plan{Item: catalog.Item{ID: uint64(i + 1), Provider: "prod", PolicyID: id, PolicyMID: id}})
		}
		pl := Compute(prov, policies, nil, local, now)
		if pl.Products.Created+pl.Products.Updated+pl.Products.Restored+pl.Products.Unchanged+
			pl.Plans.Created+pl.Plans.Updated+pl.Plans.Restored+pl.Plans.Unchanged+len(pl.Skipped) != pl.Matched {
			t.Fatalf("matched %d policies but accounted for a different number: %+v", pl.Matched, pl)
		}
		retrieved := map[string]string{}
		for i := range policies {
			if provider.MatchesTags(prov.PolicyTags, policies[i].Tags) {
				if _, dup := retrieved[policies[i].Identity()]; !dup {
					retrieved[policies[i].Identity()] = classify(&policies[i])
				}
			}
		}
		for _, c := range pl.Changes {
			if c.Action != catalog.ActionHide {
				continue
			}
			if c.Product != nil && retrieved[c.Product.PolicyID] == catalog.KindProduct {
				t.Fatalf("product %s hidden though its policy was retrieved", c.Product.PolicyID)
			}
			if c.Plan != nil && retrieved[c.Plan.PolicyID] == catalog.KindPlan {
				t.Fatalf("plan %s hidden though its policy was retrieved", c.Plan.PolicyID)
			}
		}
		if again := Compute(prov, policies, nil, local, now); !reflect.DeepEqual(again.Result(), pl.Result()) {
			t.Fatal("Compute is not deterministic")
		}
	})
}
