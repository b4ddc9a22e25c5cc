package portal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// exported is the fixture's catalogue as a document, parsed back as apply
// reads it.
func exported(t *testing.T, f *fixture) *CatalogDoc {
	t.Helper()
	doc, err := ParseCatalog("cat.yaml", exportBytes(t, f, ExportOptions{}, false))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func planDoc(doc *CatalogDoc, name string) *PlanDoc {
	for i := range doc.Providers {
		for j := range *doc.Providers[i].Plans {
			if (*doc.Providers[i].Plans)[j].Name == name {
				return &(*doc.Providers[i].Plans)[j]
			}
		}
	}
	return nil
}

func count(pl *Plan, action string) int {
	n := 0
	for _, pp := range pl.Providers {
		for _, c := range pp.Changes {
			if c.Action == action {
				n++
			}
		}
	}
	return n
}

func TestApplyCreatesUpdatesAndIsIdempotent(t *testing.T) {
	f := syncedFixture(t)
	ctx := context.Background()
	doc := exported(t, f)
	gold := planDoc(doc, "Gold Plan")
	gold.Rate, gold.DisplayName, gold.Published = 2000, "Gold", true
	p := &doc.Providers[0]
	*p.Plans = append(*p.Plans, PlanDoc{Name: "Bronze Plan", Rate: 10, Per: 60, QuotaMax: -1, Tags: []string{"portal", "extra"}})
	*p.Products = append(*p.Products, ProductDoc{Name: "Refunds Only", AuthType: "authToken", APIs: []APIDoc{{APIID: "refunds", Name: "Refunds"}}})
	o := ApplyOptions{File: "cat.yaml", Doc: doc}

	before := f.stateBytes()
	writes := f.writes()
	d, err := f.svc.Diff(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if d.Pending != 4 || count(d, ActionCreate) != 2 || count(d, ActionUpdate) != 1 || count(d, ActionPublish) != 1 {
		t.Fatalf("diff: %+v", d.Providers)
	}
	if f.stateBytes() != before || f.writes() != writes {
		t.Fatal("diff wrote something")
	}
	var rate *FieldChange
	for _, c := range d.Providers[0].Changes {
		for i, fc := range c.Fields {
			if c.Action == ActionUpdate && fc.Field == "rate" {
				rate = &c.Fields[i]
			}
		}
	}
	if rate == nil || rate.Old != float64(1000) || rate.New != float64(2000) {
		t.Fatalf("rate change: %+v", rate)
	}

	res, err := f.svc.Apply(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != 4 {
		t.Fatalf("applied %d", res.Applied)
	}
	pol := f.simPolicy("Gold Plan")
	if pol["rate"] != float64(2000) {
		t.Fatalf("gold rate in the Dashboard: %v", pol["rate"])
	}
	if _, kept := pol["meta_data"]; !kept {
		t.Error("patch dropped meta_data")
	}
	bronze := f.simPolicy("Bronze Plan")
	if bronze == nil || catalog.MarkerOf(bronze["meta_data"].(map[string]any)) == "" {
		t.Fatalf("bronze not created through the journal: %v", bronze)
	}
	if len(f.operations()) != 0 {
		t.Fatalf("journal not empty: %+v", f.operations())
	}
	g := itemNamed[catalog.Plan](f, "Gold Plan")
	if g.DisplayName != "Gold" || !g.Published || g.Rate != 2000 {
		t.Fatalf("gold locally: %+v", g)
	}

	// Idempotent: no write request, no state change.
	writes, before = f.writes(), f.stateBytes()
	res, err = f.svc.Apply(ctx, o)
	if err != nil || res.Pending != 0 {
		t.Fatalf("second apply: %+v %v", res, err)
	}
	if f.writes() != writes || f.stateBytes() != before {
		t.Fatal("the second apply wrote")
	}
}

func TestApplyNeverDeletesWithoutPruneAndPrunesOnlyTheFilesKinds(t *testing.T) {
	f := syncedFixture(t)
	ctx := context.Background()
	doc := exported(t, f)
	p := &doc.Providers[0]
	var kept []PlanDoc
	for _, pl := range *p.Plans {
		if pl.Name != "Silver Plan" {
			kept = append(kept, pl)
		}
	}
	*p.Plans = kept
	p.Products = nil // the file says nothing about products
	o := ApplyOptions{File: "cat.yaml", Doc: doc}
	res, err := f.svc.Apply(ctx, o)
	if err != nil || res.Pending != 0 {
		t.Fatalf("apply without --prune: %+v %v", res, err)
	}
	if f.simPolicy("Silver Plan") == nil {
		t.Fatal("deleted by omission")
	}
	o.Prune = true
	var asked []Change
	o.Confirm = func(d []Change) error { asked = d; return errors.New("no") }
	if _, err := f.svc.Apply(ctx, o); err == nil || f.simPolicy("Silver Plan") == nil {
		t.Fatal("a refused confirmation deleted")
	}
	if len(asked) != 1 || asked[0].Name != "Silver Plan" || asked[0].Action != ActionDeletePolicy {
		t.Fatalf("confirmation listed %+v", asked)
	}
	products := len(f.sim.Policies(""))
	o.Confirm = nil
	if _, err := f.svc.Apply(ctx, o); err != nil {
		t.Fatal(err)
	}
	if f.simPolicy("Silver Plan") != nil || len(f.sim.Policies("")) != products-1 {
		t.Fatal("prune did not delete exactly Silver Plan")
	}
	if _, err := ListItems[catalog.Product](ctx, f.svc, ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(itemNamed[catalog.Product](f, "Payments Product").APIs) == 0 {
		t.Fatal("products touched")
	}
}

func TestApplyRefusesAConflictUnlessForced(t *testing.T) {
	f := syncedFixture(t)
	ctx := context.Background()
	doc := exported(t, f)
	mid := itemNamed[catalog.Plan](f, "Gold Plan").PolicyMID
	if err := f.sim.UpdatePolicy(mid, func(p map[string]any) { p["rate"] = 5 }); err != nil {
		t.Fatal(err)
	}
	before, writes := f.stateBytes(), f.writes()
	_, err := f.svc.Apply(ctx, ApplyOptions{File: "cat.yaml", Doc: doc})
	if catalog.CodeOf(err) != catalog.CodeConflict || !strings.Contains(err.Error(), `"Gold Plan"`) || !strings.Contains(err.Error(), "rate") {
		t.Fatalf("err = %v", err)
	}
	if f.stateBytes() != before || f.writes() != writes {
		t.Fatal("a refused apply wrote")
	}
	if _, err := f.svc.Apply(ctx, ApplyOptions{File: "cat.yaml", Doc: doc, Force: true}); err != nil {
		t.Fatal(err)
	}
	if f.simPolicy("Gold Plan")["rate"] != float64(1000) {
		t.Fatal("--force did not apply")
	}
}

// secondDashboard is another Dashboard of org 1 whose APIs have other ids
// (and one of Payments' names twice when ambiguous).
func secondDashboard(t *testing.T, f *fixture, ambiguous bool) *dashboardtest.Server {
	sim := dashboardtest.NewServer(t, dashboardtest.Defaults())
	sim.AddUser(dashboardtest.User{OrgID: seedOrg, Email: "a@example.com", AccessKey: "prod2-key", Active: true})
	auth := map[string]any{"use_standard_auth": true, "version_data": map[string]any{"not_versioned": true, "versions": map[string]any{"Default": map[string]any{"name": "Default"}}}}
	add := func(id, name string) {
		def := map[string]any{"api_id": id, "name": name}
		for k, v := range auth {
			def[k] = v
		}
		sim.AddAPI(seedOrg, def)
	}
	add("pay-v2", "Payments")
	add("ref-v2", "Refunds")
	if ambiguous {
		add("pay-v3", "Payments")
	}
	p := provider.Provider{Name: "prod", Type: provider.TypeTykPro, URL: sim.URL, OrgID: seedOrg, PolicyTags: []string{"live"}, SecretSource: "env", Status: provider.StatusUnknown}
	f.secrets.m["prod"] = "prod2-key"
	f.update(func(tx store.Tx) error { return repo.PutProvider(tx, p) })
	return sim
}

// onlyItems keeps the named products and plans of the document.
func onlyItems(doc *CatalogDoc, names ...string) {
	keep := map[string]bool{}
	for _, n := range names {
		keep[n] = true
	}
	p := &doc.Providers[0]
	var prods []ProductDoc
	for _, it := range *p.Products {
		if keep[it.Name] {
			prods = append(prods, it)
		}
	}
	var plans []PlanDoc
	for _, it := range *p.Plans {
		if keep[it.Name] {
			plans = append(plans, it)
		}
	}
	*p.Products, *p.Plans = prods, plans
}

func TestApplyPromotesToAnotherDashboard(t *testing.T) {
	f := newFixture(t)
	f.withProvider("staging")
	if _, err := f.svc.Sync(context.Background(), nil, syncOpts()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	doc := exported(t, f)
	onlyItems(doc, "Payments Product", "Gold Plan", "Orders Product")
	prod := secondDashboard(t, f, false)

	// Orders has no counterpart: exit 2 naming it, nothing written anywhere.
	before, w1 := f.stateBytes(), f.writes()
	o := ApplyOptions{File: "cat.yaml", Doc: doc, ProviderMap: map[string]string{"staging": "prod"}}
	_, err := f.svc.Apply(ctx, o)
	if catalog.CodeOf(err) != catalog.CodeInvalid || !strings.Contains(err.Error(), `API "orders"`) {
		t.Fatalf("err = %v", err)
	}
	if f.stateBytes() != before || f.writes() != w1 || len(prod.Policies("")) != 0 {
		t.Fatal("an unmappable API let something be written")
	}

	onlyItems(doc, "Payments Product", "Gold Plan")
	res, err := f.svc.Apply(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != 2 {
		t.Fatalf("applied %+v", res)
	}
	var pay, gold map[string]any
	for _, p := range prod.Policies("") {
		switch p["name"] {
		case "Payments Product":
			pay = p
		case "Gold Plan":
			gold = p
		}
	}
	ar, _ := pay["access_rights"].(map[string]any)
	if ar["pay-v2"] == nil || ar["ref-v2"] == nil || len(ar) != 2 {
		t.Fatalf("access rights on prod: %v", ar)
	}
	if tags := pay["tags"].([]any); len(tags) != 1 || tags[0] != "live" {
		t.Fatalf("tags on prod: %v (staging's tag replaced by prod's)", tags)
	}
	if gold["rate"] != float64(1000) || gold["quota_max"] != float64(1000000) {
		t.Fatalf("plan limits changed: %v", gold)
	}
	// Idempotent across Dashboards too.
	w := 0
	for _, r := range prod.Requests() {
		if r.Method != "GET" {
			w++
		}
	}
	res, err = f.svc.Apply(ctx, o)
	if err != nil || res.Pending != 0 {
		t.Fatalf("second promotion: %+v %v", res, err)
	}
	w2 := 0
	for _, r := range prod.Requests() {
		if r.Method != "GET" {
			w2++
		}
	}
	if w2 != w {
		t.Fatal("the second promotion wrote")
	}
}

func TestApplyPromotionAmbiguousAPINeedsAPIMap(t *testing.T) {
	f := newFixture(t)
	f.withProvider("staging")
	if _, err := f.svc.Sync(context.Background(), nil, syncOpts()); err != nil {
		t.Fatal(err)
	}
	doc := exported(t, f)
	onlyItems(doc, "Payments Product")
	prod := secondDashboard(t, f, true)
	o := ApplyOptions{File: "cat.yaml", Doc: doc, ProviderMap: map[string]string{"staging": "prod"}}
	_, err := f.svc.Apply(context.Background(), o)
	if catalog.CodeOf(err) != catalog.CodeInvalid || !strings.Contains(err.Error(), "ambiguous") {
		t.Fatalf("err = %v", err)
	}
	o.APIMap = map[string]string{"payments": "pay-v3"}
	if _, err := f.svc.Apply(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	ar := prod.Policies("")[0]["access_rights"].(map[string]any)
	if ar["pay-v3"] == nil {
		t.Fatalf("--api-map not used: %v", ar)
	}
}

func TestApplyFailureHalfWayIsReportedAndARerunFinishes(t *testing.T) {
	f := syncedFixture(t)
	ctx := context.Background()
	doc := exported(t, f)
	planDoc(doc, "Gold Plan").Rate = 2000
	planDoc(doc, "Silver Plan").Rate = 200
	p := &doc.Providers[0]
	*p.Plans = append(*p.Plans, PlanDoc{Name: "Bronze Plan", Rate: 10, Per: 60})
	o := ApplyOptions{File: "cat.yaml", Doc: doc}
	f.sim.SetFault("POST", "/api/portal/policies", 0, dashboardtest.Fault{Status: 500, Times: 1})
	res, err := f.svc.Apply(ctx, o)
	if err == nil || catalog.CodeOf(err) == catalog.CodeInvalid {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "run the same apply again") {
		t.Fatalf("err does not say how to finish: %v", err)
	}
	var applied, failed, not int
	for _, c := range res.Providers[0].Changes {
		switch c.Status {
		case StatusApplied:
			applied++
		case StatusFailed:
			failed++
		case StatusNotApplied:
			not++
		}
	}
	if failed != 1 || applied+failed+not != res.Pending {
		t.Fatalf("statuses: %d applied, %d failed, %d not applied of %d", applied, failed, not, res.Pending)
	}
	// The 500 may have created the policy: the journal says so.
	if ops := f.operations(); len(ops) != 1 || ops[0].Command != "apply" {
		t.Fatalf("journal: %+v", ops)
	}
	res, err = f.svc.Apply(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if f.simPolicy("Bronze Plan") == nil || f.simPolicy("Gold Plan")["rate"] != float64(2000) || f.simPolicy("Silver Plan")["rate"] != float64(200) {
		t.Fatal("the re-run did not finish")
	}
	if res, err = f.svc.Apply(ctx, o); err != nil || res.Pending != 0 {
		t.Fatalf("third run: %+v %v", res, err)
	}
}

// APIs renamed in the other Dashboard are found by their listen path when
// neither the id nor the name matches.
func TestApplyPromotionMapsByListenPath(t *testing.T) {
	f := newFixture(t)
	f.withProvider("staging")
	ctx := context.Background()
	if _, err := f.svc.Sync(ctx, nil, syncOpts()); err != nil {
		t.Fatal(err)
	}
	doc := exported(t, f)
	onlyItems(doc, "Payments Product")
	for _, a := range (*doc.Providers[0].Products)[0].APIs {
		if a.ListenPath == "" {
			t.Fatalf("the export has no listen path for API %q", a.APIID)
		}
	}
	sim := dashboardtest.NewServer(t, dashboardtest.Defaults())
	sim.AddUser(dashboardtest.User{OrgID: seedOrg, Email: "a@example.com", AccessKey: "prod3-key", Active: true})
	for _, a := range [][3]string{{"p-9", "Payments (live)", "/payments/"}, {"r-9", "Refunds (live)", "/refunds/"}} {
		sim.AddAPI(seedOrg, map[string]any{"api_id": a[0], "name": a[1], "use_standard_auth": true,
			"proxy": map[string]any{"listen_path": a[2]}})
	}
	f.secrets.m["prod"] = "prod3-key"
	f.update(func(tx store.Tx) error {
		return repo.PutProvider(tx, provider.Provider{Name: "prod", Type: provider.TypeTykPro, URL: sim.URL, OrgID: seedOrg, PolicyTags: []string{"live"}, SecretSource: "env"})
	})
	if _, err := f.svc.Apply(ctx, ApplyOptions{File: "cat.yaml", Doc: doc, ProviderMap: map[string]string{"staging": "prod"}}); err != nil {
		t.Fatal(err)
	}
	pols := sim.Policies("")
	if len(pols) != 1 {
		t.Fatalf("%d policies on prod", len(pols))
	}
	ar := pols[0]["access_rights"].(map[string]any)
	if ar["p-9"] == nil || ar["r-9"] == nil || len(ar) != 2 {
		t.Fatalf("access rights on prod: %v (want the APIs at the same listen paths)", ar)
	}
}

// A document's provider whose name shares a secret variable with a saved
// provider's (oth-er, oth_er) is refused before anything changes, as
// provider add refuses it; the same name is the saved provider itself.
func TestApplyRefusesANameSharingASecretVariable(t *testing.T) {
	f := syncedFixture(t)
	f.withProvider("oth-er")
	ctx := context.Background()
	doc := exported(t, f)
	doc.Providers[0].Name = "oth_er"
	f.secrets.env = adminKey
	before := f.stateBytes()
	for _, dry := range []bool{true, false} {
		var err error
		if dry {
			_, err = f.svc.Diff(ctx, ApplyOptions{File: "cat.yaml", Doc: doc})
		} else {
			_, err = f.svc.Apply(ctx, ApplyOptions{File: "cat.yaml", Doc: doc})
		}
		wantError(t, err, "would share the variable TYKPORTAL_SECRET_OTH_ER", catalog.CodeInvalid)
	}
	if f.stateBytes() != before {
		t.Error("a refused apply changed the state")
	}
}

// reports keeps each subject's reports in order.
type reports map[string][]string

func (r reports) Report(subject, status string) { r[subject] = append(r[subject], status) }

// Apply tells its progress per provider: reading the Dashboard, planning,
// each change in turn, done.
func TestApplyReportsItsProgress(t *testing.T) {
	f := syncedFixture(t)
	doc := exported(t, f)
	gold := planDoc(doc, "Gold Plan")
	gold.Rate = 2000
	p := &doc.Providers[0]
	*p.Plans = append(*p.Plans, PlanDoc{Name: "Bronze Plan", Rate: 10, Per: 60, QuotaMax: -1})
	seen := reports{}
	pl, err := f.svc.Apply(context.Background(), ApplyOptions{File: "cat.yaml", Doc: doc, Progress: seen})
	if err != nil {
		t.Fatal(err)
	}
	name := p.Name
	got := seen[name]
	if len(got) < 4 || got[0] != "reading the Dashboard" || !strings.HasSuffix(got[1], " policies decoded; planning") || got[len(got)-1] != "done" {
		t.Fatalf("reports of %s: %q", name, got)
	}
	steps := got[2 : len(got)-1]
	for i, s := range steps {
		if want := fmt.Sprintf("change %d of %d", i+1, len(steps)); s != want {
			t.Fatalf("report %q, want %q (all: %q)", s, want, got)
		}
	}
	if pl.Applied != 2 {
		t.Fatalf("applied %d changes, want 2", pl.Applied)
	}
}
