package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

const applySecret = "demo-admin-key-org1"

// applySetup is a fresh Dashboard and state with provider prod synced, and
// an edited export: Gold Plan's rate changed, a new plan and a new product,
// Silver Plan left out (pruned).
func applySetup(t *testing.T, bin string) (*dashboardtest.Sim, *httptest.Server, *tool, string) {
	t.Helper()
	sim, srv := seedSim(t, dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, Seed: 42})
	c := newCLI(t, bin, "TYKPORTAL_SECRET_PROD="+applySecret, "TYKPORTAL_SECRET_STORE=file")
	c.must("provider", "add", "prod", "--url", srv.URL, "--policy-tags", "portal")
	c.must("sync")
	out := c.must("export")
	doc, err := portal.ParseCatalog("x", []byte(out))
	if err != nil {
		t.Fatal(err)
	}
	p := &doc.Providers[0]
	var plans []portal.PlanDoc
	for _, pl := range *p.Plans {
		if pl.Name == "Gold Plan" {
			pl.Rate = 2000
		}
		if pl.Name != "Silver Plan" {
			plans = append(plans, pl)
		}
	}
	plans = append(plans, portal.PlanDoc{Name: "Bronze Plan", Rate: 10, Per: 60, Tags: []string{"portal"}})
	*p.Plans = plans
	*p.Products = append(*p.Products, portal.ProductDoc{Name: "Refunds Only", AuthType: "authToken", Published: true,
		APIs: []portal.APIDoc{{APIID: "refunds", Name: "Refunds"}}, Tags: []string{"portal"}})
	var buf bytes.Buffer
	if err := portal.EncodeCatalog(&buf, doc, false); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(c.dir, "cat.yaml")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return sim, srv, c, file
}

type req struct{ method, path string }

func writesOf(log []dashboardtest.RequestLog) int {
	n := 0
	for _, r := range log {
		if r.Method != "GET" {
			n++
		}
	}
	return n
}

// TestApplyFaultAtEveryRequest fails each Dashboard request of an apply in
// turn: the apply exits 1 and says what was applied, the journal accounts
// for everything created, the secret appears nowhere, and a re-run
// finishes the job (after which a third run writes nothing).
func TestApplyFaultAtEveryRequest(t *testing.T) {
	bin := buildBinary(t)

	// A clean run gives the request sequence and the expected result.
	sim, srv, c, file := applySetup(t, bin)
	n0 := len(sim.Requests())
	c.must("apply", "-f", file, "--prune", "--yes")
	var seq []req
	for _, r := range sim.Requests()[n0:] {
		seq = append(seq, req{r.Method, r.Path})
	}
	want := strings.ReplaceAll(c.must("export"), srv.URL, "URL")
	if writesOf(sim.Requests()[n0:]) != 4 {
		t.Fatalf("clean apply: want 4 writes (PUT, 2 POST, DELETE), got %v", seq)
	}
	n1 := len(sim.Requests())
	c.must("apply", "-f", file, "--prune", "--yes")
	if w := writesOf(sim.Requests()[n1:]); w != 0 {
		t.Fatalf("a second apply sent %d write requests", w)
	}

	for i, target := range seq {
		t.Run(fmt.Sprintf("%02d %s %s", i, target.method, target.path), func(t *testing.T) {
			sim, srv, c, file := applySetup(t, bin)
			prior := 0
			for _, r := range seq[:i] {
				if r == target {
					prior++
				}
			}
			for k := 0; k < prior; k++ {
				sim.SetFault(target.method, target.path, 0, dashboardtest.Fault{Times: 1})
			}
			sim.SetFault(target.method, target.path, 0, dashboardtest.Fault{Status: 500}) // every retry too
			r := c.run("apply", "-f", file, "--prune", "--yes", "-o", "json")
			if r.code != 1 {
				t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
			}
			for _, s := range []string{r.stdout, r.stderr} {
				if strings.Contains(s, applySecret) {
					t.Fatal("the secret is in the output")
				}
			}
			if strings.Contains(r.stdout, `"status"`) {
				// Half-way: the document lists what was and was not applied.
				var res portal.Plan
				if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
					t.Fatalf("stdout is not the result: %v\n%s", err, r.stdout)
				}
				failed := 0
				for _, ch := range res.Providers[0].Changes {
					if ch.Status == portal.StatusFailed {
						failed++
					}
				}
				if failed != 1 || !strings.Contains(r.stderr, "run the same apply again") {
					t.Fatalf("%d failed changes; stderr %s", failed, r.stderr)
				}
			} else if strings.TrimSpace(r.stdout) != "" {
				t.Fatalf("stdout holds something else: %s", r.stdout)
			}
			if target.method == "POST" {
				doc := c.run("doctor", "-o", "json")
				if !strings.Contains(doc.stdout, `"command": "apply"`) {
					t.Fatalf("the journal does not hold the failed create: %s", doc.stdout)
				}
			}
			sim.ClearFaults()
			c.must("apply", "-f", file, "--prune", "--yes")
			if got := strings.ReplaceAll(c.must("export"), srv.URL, "URL"); got != want {
				t.Fatalf("after the re-run the catalogue differs:\n%s\n---\n%s", got, want)
			}
			n := len(sim.Requests())
			c.must("apply", "-f", file, "--prune", "--yes")
			if w := writesOf(sim.Requests()[n:]); w != 0 {
				t.Fatalf("a third apply sent %d write requests", w)
			}
			doc := c.run("doctor", "-o", "json")
			if !strings.Contains(doc.stdout, `"orphans": 0`) {
				t.Fatalf("doctor finds orphans after the re-run: %s", doc.stdout)
			}
			if data, err := os.ReadFile(c.dbPath()); err == nil && bytes.Contains(data, []byte(applySecret)) {
				t.Fatal("the secret is in the state file")
			}
		})
	}
}

// TestApplyPromotionAcrossDashboards exports from one simulator and applies
// to another whose APIs have other ids: the products get the APIs of the
// same names; an API without a counterpart is exit 2 before any write on
// either side.
func TestApplyPromotionAcrossDashboards(t *testing.T) {
	bin := buildBinary(t)
	_, stagingSrv := seedSim(t, dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, Seed: 1})
	prod := dashboardtest.New(dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, Seed: 2})
	prod.AddUser(dashboardtest.User{OrgID: "5fd08e0f69710900018bc195", Email: "ops@example.com", AccessKey: "prod-admin-key", Active: true})
	for id, name := range map[string]string{"pay-prod": "Payments", "ref-prod": "Refunds"} {
		prod.AddAPI("5fd08e0f69710900018bc195", map[string]any{"api_id": id, "name": name, "use_standard_auth": true})
	}
	prodSrv := httptest.NewServer(prod.Handler())
	t.Cleanup(prodSrv.Close)

	c := newCLI(t, bin, "TYKPORTAL_SECRET_STAGING="+applySecret, "TYKPORTAL_SECRET_PROD=prod-admin-key", "TYKPORTAL_SECRET_STORE=file")
	c.must("provider", "add", "staging", "--url", stagingSrv.URL, "--policy-tags", "portal")
	c.must("provider", "add", "prod", "--url", prodSrv.URL, "--policy-tags", "live")
	c.must("sync", "staging")
	all := filepath.Join(c.dir, "all.yaml")
	c.must("export", "--provider", "staging", "-f", all)

	before, _ := os.ReadFile(c.dbPath())
	r := c.run("apply", "-f", all, "--provider-map", "staging=prod")
	if r.code != 2 || !strings.Contains(r.stderr, `API "orders"`) || !strings.Contains(r.stderr, "--api-map orders=") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(c.dbPath()); !bytes.Equal(before, after) {
		t.Fatal("the state changed")
	}
	if writesOf(prod.Requests()) != 0 || len(prod.Policies("")) != 0 {
		t.Fatal("something was written to prod")
	}

	// Only the payments product and the plans: every API maps by name.
	doc, err := portal.ParseCatalog("all.yaml", []byte(c.must("export", "--provider", "staging")))
	if err != nil {
		t.Fatal(err)
	}
	p := &doc.Providers[0]
	var keep []portal.ProductDoc
	for _, it := range *p.Products {
		if it.Name == "Payments Product" {
			keep = append(keep, it)
		}
	}
	*p.Products = keep
	var buf bytes.Buffer
	if err := portal.EncodeCatalog(&buf, doc, false); err != nil {
		t.Fatal(err)
	}
	some := filepath.Join(c.dir, "some.yaml")
	if err := os.WriteFile(some, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	r = c.run("diff", "-f", some, "--provider-map", "staging=prod")
	if r.code != 3 {
		t.Fatalf("diff exit %d: %s", r.code, r.stderr)
	}
	c.must("apply", "-f", some, "--provider-map", "staging=prod")
	var pay map[string]any
	for _, pol := range prod.Policies("") {
		if pol["name"] == "Payments Product" {
			pay = pol
		}
	}
	ar, _ := pay["access_rights"].(map[string]any)
	if len(ar) != 2 || ar["pay-prod"] == nil || ar["ref-prod"] == nil {
		t.Fatalf("prod's product has access rights %v", ar)
	}
	if len(prod.Policies("")) != 1+len(*p.Plans) {
		t.Fatalf("prod has %d policies", len(prod.Policies("")))
	}
	out := c.must("products", "list", "--provider", "prod", "-o", "json")
	if !strings.Contains(out, `"api_id": "pay-prod"`) {
		t.Fatalf("local product on prod: %s", out)
	}
	w := writesOf(prod.Requests())
	if r := c.run("diff", "-f", some, "--provider-map", "staging=prod"); r.code != 0 {
		t.Fatalf("diff after promotion exit %d: %s", r.code, r.stdout)
	}
	c.must("apply", "-f", some, "--provider-map", "staging=prod")
	if writesOf(prod.Requests()) != w {
		t.Fatal("a second promotion wrote")
	}
}
