package dashboard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

const (
	org      = "5fd08e0f69710900018bc195"
	adminKey = "demo-admin-key-org1"
)

func sim(t *testing.T, opts dashboardtest.Options) *dashboardtest.Server {
	t.Helper()
	s := dashboardtest.NewServer(t, opts)
	if err := s.LoadDir("../../testdata/dashboard"); err != nil {
		t.Fatal(err)
	}
	return s
}

func client(t *testing.T, url, secret string) *dashboard.Client {
	t.Helper()
	c, err := dashboard.New(dashboard.Config{BaseURL: url, Secret: secret, OrgID: org, Timeout: 2 * time.Second, RetryBaseDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestListPoliciesPaging(t *testing.T) {
	for _, n := range []int{0, 1, 9, 10, 11, 95} {
		for _, legacy := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d policies legacy=%v", n, legacy), func(t *testing.T) {
				s := dashboardtest.NewServer(t, dashboardtest.Options{PageSize: 10, Legacy: legacy})
				key := s.AddUser(dashboardtest.User{OrgID: "o", Active: true})
				for i := 0; i < n; i++ {
					s.AddPolicy("o", map[string]any{"name": fmt.Sprintf("p%03d", i)})
				}
				got, err := client(t, s.URL, key).ListPolicies(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != n {
					t.Fatalf("%d policies, want %d", len(got), n)
				}
				for i, p := range got {
					if p.Name != fmt.Sprintf("p%03d", i) {
						t.Fatalf("item %d is %q: Dashboard order lost", i, p.Name)
					}
				}
				if legacy && n > 10 {
					pages := 0
					for _, r := range s.Requests() {
						if r.Path == "/api/portal/policies" {
							pages++
						}
					}
					if want := (n + 9) / 10; pages != want {
						t.Fatalf("%d requests, want %d", pages, want)
					}
				}
			})
		}
	}
}

func TestFaultsOnEveryPage(t *testing.T) {
	faults := []struct {
		name  string
		fault dashboardtest.Fault
		want  error
	}{
		{"401", dashboardtest.Fault{Status: 401}, dashboard.ErrUnauthorized},
		{"403", dashboardtest.Fault{Status: 403}, dashboard.ErrForbidden},
		{"404", dashboardtest.Fault{Status: 404}, dashboard.ErrNotFound},
		{"429", dashboardtest.Fault{Status: 429}, dashboard.ErrRateLimited},
		{"500", dashboardtest.Fault{Status: 500}, dashboard.ErrServer},
		{"503", dashboardtest.Fault{Status: 503}, dashboard.ErrServer},
		{"garbage", dashboardtest.Fault{Garbage: true}, dashboard.ErrBadResponse},
		{"truncated", dashboardtest.Fault{Truncated: true}, nil}, // bad response or network: either is a typed failure
		{"reset", dashboardtest.Fault{Reset: true}, dashboard.ErrNetwork},
		{"timeout", dashboardtest.Fault{Latency: 3 * time.Second}, dashboard.ErrTimeout},
		{"redirect", dashboardtest.Fault{RedirectTo: "http://127.0.0.2:1/steal"}, dashboard.ErrBadResponse},
	}
	for _, f := range faults {
		for _, page := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%s page %d", f.name, page), func(t *testing.T) {
				s := dashboardtest.NewServer(t, dashboardtest.Options{PageSize: 10, Legacy: true})
				key := s.AddUser(dashboardtest.User{OrgID: "o", Active: true})
				for i := 0; i < 25; i++ {
					s.AddPolicy("o", map[string]any{"name": fmt.Sprint(i)})
				}
				s.SetFault("GET", "/api/portal/policies", page, f.fault)
				c, _ := dashboard.New(dashboard.Config{BaseURL: s.URL, Secret: key, Timeout: time.Second, RetryBaseDelay: time.Millisecond, MaxRetries: 1})
				got, err := c.ListPolicies(context.Background())
				if err == nil || got != nil {
					t.Fatalf("a fault on page %d gave %d policies and %v", page, len(got), err)
				}
				var de *dashboard.Error
				if !errors.As(err, &de) {
					t.Fatalf("untyped error %v", err)
				}
				if f.want != nil && !errors.Is(err, f.want) {
					t.Fatalf("error %v, want %v", err, f.want)
				}
				if de.Page != page {
					t.Fatalf("error names page %d, want %d: %v", de.Page, page, err)
				}
				if strings.Contains(err.Error(), key) {
					t.Fatal("the secret is in the error")
				}
			})
		}
	}
}

func TestRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		switch r.URL.Path {
		case "/api/portal/policies":
			if r.Method == http.MethodPost {
				w.WriteHeader(503)
				return
			}
			w.WriteHeader(500)
		case "/api/apis":
			w.WriteHeader(400)
			fmt.Fprint(w, `{"Status":"Error","Message":"bad","Meta":null}`)
		case "/api/users/me":
			if calls.Load() == 1 {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(429)
				return
			}
			fmt.Fprint(w, `{"id":"u","org_id":"o","user_permissions":{}}`)
		}
	}))
	defer srv.Close()
	c, _ := dashboard.New(dashboard.Config{BaseURL: srv.URL, Secret: "s", MaxRetries: 2, RetryBaseDelay: time.Millisecond})
	ctx := context.Background()
	tests := []struct {
		name  string
		call  func() error
		calls int32
		want  error
	}{
		{"GET 5xx retried to the bound", func() error { _, err := c.ListPolicies(ctx); return err }, 3, dashboard.ErrServer},
		{"4xx never retried", func() error { _, err := c.ListAPIs(ctx); return err }, 1, dashboard.ErrRejected},
		{"writes never retried", func() error { _, err := c.CreatePolicy(ctx, &dashboard.Policy{Name: "x"}); return err }, 1, dashboard.ErrServer},
		{"429 with Retry-After retried", func() error { _, err := c.CurrentUser(ctx); return err }, 2, nil},
	}
	for _, tc := range tests {
		calls.Store(0)
		err := tc.call()
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
		if calls.Load() != tc.calls {
			t.Errorf("%s: %d calls, want %d", tc.name, calls.Load(), tc.calls)
		}
	}
}

// TestUpdateKeepsUnknownFields is the patch-only guarantee: a policy read,
// renamed and written back keeps every field the client does not model.
func TestUpdateKeepsUnknownFields(t *testing.T) {
	s := sim(t, dashboardtest.Defaults())
	c := client(t, s.URL, adminKey)
	ctx := context.Background()
	var mid string
	for _, p := range s.Policies(org) {
		if p["name"] == "Path Based Product" {
			mid = p["_id"].(string)
		}
	}
	before, _ := s.Policy(mid)
	pol, err := c.GetPolicy(ctx, mid)
	if err != nil {
		t.Fatal(err)
	}
	pol.Name = "Renamed"
	if err := c.UpdatePolicy(ctx, pol); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Policy(mid)
	delete(before, "last_updated")
	delete(after, "last_updated")
	before["name"] = "Renamed"
	if !reflect.DeepEqual(normal(t, before), normal(t, after)) {
		b, _ := json.Marshal(before)
		a, _ := json.Marshal(after)
		t.Fatalf("fields changed by a rename:\nbefore %s\nafter  %s", b, a)
	}
}

func normal(t *testing.T, v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCreatePolicyReadsMessage(t *testing.T) {
	s := sim(t, dashboardtest.Defaults())
	c := client(t, s.URL, adminKey)
	p := &dashboard.Policy{Name: "Created", Tags: []string{"portal"}, Partitions: dashboard.Partitions{ACL: true}}
	mid, err := c.CreatePolicy(context.Background(), p)
	if err != nil || len(mid) != 24 || p.MID != mid {
		t.Fatalf("mid %q err %v", mid, err)
	}
	if _, ok := s.Policy(mid); !ok {
		t.Fatal("the simulator has no policy with the returned id")
	}
	_, err = c.CreatePolicy(context.Background(), &dashboard.Policy{Name: "Created"})
	if !errors.Is(err, dashboard.ErrRejected) || !strings.Contains(err.Error(), "already been used") {
		t.Fatalf("duplicate name: %v", err)
	}
}

func TestStatusNotOK(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			w.WriteHeader(403)
			fmt.Fprint(w, `{"Status":"Error","Message":"Request body malformed.","Meta":null}`)
			return
		}
		fmt.Fprint(w, `{"Status":"Error","Message":"Failure creating data","Meta":null}`)
	}))
	defer srv.Close()
	c, _ := dashboard.New(dashboard.Config{BaseURL: srv.URL, Secret: "s"})
	if _, err := c.CreatePolicy(context.Background(), &dashboard.Policy{Name: "x"}); !errors.Is(err, dashboard.ErrRejected) || !strings.Contains(err.Error(), "Failure creating data") {
		t.Fatalf("200 with Status Error: %v", err)
	}
	if err := c.UpdatePolicy(context.Background(), &dashboard.Policy{MID: "abc", Name: "x"}); !errors.Is(err, dashboard.ErrRejected) {
		t.Fatalf("403 malformed is a rejected request, not a permission: %v", err)
	}
}

func TestCurrentUser(t *testing.T) {
	for _, me := range []bool{true, false} {
		s := sim(t, dashboardtest.Options{UsersMe: me})
		u, err := client(t, s.URL, "demo-portal-key-org1").CurrentUser(context.Background())
		if err != nil || u.Email != "portal@org1.example" || u.OrgID != org || u.IsAdmin || !u.Can("policies", "write") || !u.Can("users", "read") || u.Can("users", "write") {
			t.Fatalf("users/me=%v: %+v %v", me, u, err)
		}
		admin, err := client(t, s.URL, adminKey).CurrentUser(context.Background())
		if err != nil || !admin.IsAdmin || !admin.Can("anything", "write") {
			t.Fatalf("admin: %+v %v", admin, err)
		}
		if _, err := client(t, s.URL, "wrong").CurrentUser(context.Background()); !errors.Is(err, dashboard.ErrUnauthorized) {
			t.Fatalf("wrong secret: %v", err)
		}
	}
}

func TestForbiddenNamesPermission(t *testing.T) {
	s := sim(t, dashboardtest.Defaults())
	_, err := client(t, s.URL, "demo-no-policies-key-org1").ListPolicies(context.Background())
	var de *dashboard.Error
	if !errors.As(err, &de) || de.Kind != dashboard.KindForbidden || de.Permission != "policies" || !strings.Contains(err.Error(), `"policies" permission`) {
		t.Fatalf("%v", err)
	}
}

func TestListAPIsAuthTypes(t *testing.T) {
	s := sim(t, dashboardtest.Defaults())
	apis, err := client(t, s.URL, adminKey).ListAPIs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range apis {
		got[a.APIID] = a.AuthType
	}
	want := map[string]string{"payments": "authToken", "weather": "keyless", "orders": "jwt", "accounts": "oauth", "legacy": "basic",
		"ledger": "hmac", "partners": "mtls", "identity": "oidc", "plugins": "custom", "catalogue-oas": "jwt", "search-oas": "authToken"}
	for id, auth := range want {
		if got[id] != auth {
			t.Errorf("%s: auth %q, want %q", id, got[id], auth)
		}
	}
	// Listen paths: a classic API's proxy.listen_path, an OAS API's
	// x-tyk-api-gateway server listenPath (promotion maps APIs by it).
	paths := map[string]string{}
	for _, a := range apis {
		paths[a.APIID] = a.ListenPath
	}
	for id, lp := range map[string]string{"payments": "/payments/", "weather": "/weather/", "catalogue-oas": "/catalogue/", "search-oas": "/search/"} {
		if paths[id] != lp {
			t.Errorf("%s: listen path %q, want %q", id, paths[id], lp)
		}
	}
}

func TestKeysAndOAuth(t *testing.T) {
	s := sim(t, dashboardtest.Defaults())
	c := client(t, s.URL, adminKey)
	ctx := context.Background()
	var gold string
	for _, p := range s.Policies(org) {
		if p["name"] == "Gold Plan" {
			gold = p["_id"].(string)
		}
	}
	k, err := c.CreateKey(ctx, dashboard.KeyRequest{ApplyPolicies: []string{"custom-refunds-policy", gold}, Alias: "a", MetaData: map[string]any{"x": "y"}})
	if err != nil || k.Key == "" || k.KeyHash == "" || k.Key == k.KeyHash {
		t.Fatalf("%+v %v", k, err)
	}
	info, err := c.GetKey(ctx, k.KeyHash)
	if err != nil || info.Alias != "a" || len(info.ApplyPolicies) != 2 {
		t.Fatalf("%+v %v", info, err)
	}
	if err := c.DeleteKey(ctx, k.KeyHash); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetKey(ctx, k.KeyHash); !errors.Is(err, dashboard.ErrNotFound) {
		t.Fatalf("deleted key: %v", err)
	}
	oc, err := c.CreateOAuthClient(ctx, "accounts", dashboard.OAuthClientRequest{PolicyID: gold, RedirectURI: "https://x.example/cb"})
	if err != nil || oc.ClientID == "" || oc.Secret == "" {
		t.Fatalf("%+v %v", oc, err)
	}
	if err := c.DeleteOAuthClient(ctx, "accounts", oc.ClientID); err != nil {
		t.Fatal(err)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":"u","org_id":"o","user_permissions":{}}`)
	}))
	defer srv.Close()
	caFile := t.TempDir() + "/ca.pem"
	writePEM(t, caFile, srv.Certificate().Raw)
	tests := []struct {
		name string
		cfg  dashboard.Config
		ok   bool
	}{
		{"unknown CA refused", dashboard.Config{}, false},
		{"with --ca-file", dashboard.Config{CAFile: caFile}, true},
		{"with --insecure-skip-verify", dashboard.Config{InsecureSkipVerify: true}, true},
	}
	for _, tc := range tests {
		cfg := tc.cfg
		cfg.BaseURL, cfg.Secret, cfg.MaxRetries = srv.URL, "secret-canary-123", -1
		c, err := dashboard.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.CurrentUser(context.Background())
		if tc.ok != (err == nil) {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !tc.ok && (!errors.Is(err, dashboard.ErrTLS) || !strings.Contains(err.Error(), "--ca-file") || !strings.Contains(err.Error(), "--insecure-skip-verify")) {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
}

func TestSecretNeverInErrors(t *testing.T) {
	const canary = "canary-secret-4242"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		fmt.Fprintf(w, `{"Status":"Error","Message":"bad key %s","Meta":null}`, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	c, _ := dashboard.New(dashboard.Config{BaseURL: srv.URL, Secret: canary, MaxRetries: -1})
	_, err := c.ListPolicies(context.Background())
	if err == nil || strings.Contains(err.Error(), canary) {
		t.Fatalf("%v", err)
	}
}

func TestRedirectNeverCarriesTheSecret(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Store(true)
		}
	}))
	defer other.Close()
	s := sim(t, dashboardtest.Defaults())
	s.SetFault("", "/api/portal/policies", 0, dashboardtest.Fault{RedirectTo: other.URL + "/api/portal/policies"})
	_, err := client(t, s.URL, adminKey).ListPolicies(context.Background())
	if !errors.Is(err, dashboard.ErrBadResponse) || leaked.Load() {
		t.Fatalf("err %v, leaked %v", err, leaked.Load())
	}
}

func TestListAPIKeysAndClients(t *testing.T) {
	ctx := context.Background()
	s := sim(t, dashboardtest.Options{UsersMe: true, HashKeys: true, PageSize: 3})
	c := client(t, s.URL, adminKey)
	want := map[string]bool{}
	for i := 0; i < 7; i++ { // three pages of 3
		k, err := c.CreateKey(ctx, dashboard.KeyRequest{ApplyPolicies: []string{"custom-refunds-policy"}, Alias: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		want[k.KeyHash] = true
	}
	got, err := c.ListAPIKeys(ctx, "refunds")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 {
		t.Fatalf("%d keys, want 7", len(got))
	}
	for _, h := range got {
		if !want[h] {
			t.Fatalf("unexpected key id %q", h)
		}
	}
	if keys, err := c.ListAPIKeys(ctx, "payments"); err != nil || len(keys) != 0 {
		t.Fatalf("payments: %v %v", keys, err)
	}

	refusing := sim(t, dashboardtest.Options{UsersMe: true, HashKeys: true, NoHashedKeyListing: true})
	// The Dashboard's spec: 404 "Could not retrieve keys." for hashed keys
	// with hashed listing disabled.
	if _, err := client(t, refusing.URL, adminKey).ListAPIKeys(ctx, "refunds"); !errors.Is(err, dashboard.ErrNotFound) {
		t.Fatalf("hashed listing off: %v", err)
	}

	oc, err := c.CreateOAuthClient(ctx, "accounts", dashboard.OAuthClientRequest{MetaData: map[string]any{dashboard.OperationMarkerField: "op-1"}})
	if err != nil {
		t.Fatal(err)
	}
	clients, err := c.ListOAuthClients(ctx, "accounts")
	if err != nil || len(clients) != 1 || clients[0].ClientID != oc.ClientID || clients[0].MetaData[dashboard.OperationMarkerField] != "op-1" {
		t.Fatalf("%+v %v", clients, err)
	}
}

// The list decoder keeps the operation marker of meta_data (doctor's only
// need) and tolerates a meta_data that is not an object.
func TestListKeepsOperationMarker(t *testing.T) {
	s := sim(t, dashboardtest.Defaults())
	s.AddPolicy(org, map[string]any{"name": "marked", "meta_data": map[string]any{dashboard.OperationMarkerField: "op-abc", "other": 1}})
	s.AddPolicy(org, map[string]any{"name": "odd meta", "meta_data": "not an object"})
	s.AddPolicy(org, map[string]any{"name": "odd marker", "meta_data": map[string]any{dashboard.OperationMarkerField: 7}})
	pols, err := client(t, s.URL, adminKey).ListPolicies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, p := range pols {
		m := p.MetaData[dashboard.OperationMarkerField]
		switch p.Name {
		case "marked":
			seen++
			if m != "op-abc" || len(p.MetaData) != 1 {
				t.Fatalf("marked: %v", p.MetaData)
			}
		case "odd meta", "odd marker":
			seen++
			if m != nil {
				t.Fatalf("%s: %v", p.Name, p.MetaData)
			}
		}
	}
	if seen != 3 {
		t.Fatalf("saw %d of 3 policies", seen)
	}
}
