package dashboard_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/dashboard/wiretest"
)

// The golden fixtures of testdata/wire are answers shaped as Tyk's own
// swagger and Go types give them (see its README.md), served by a plain
// file server, not by our simulator: these tests fail when our client
// misreads what a real Dashboard sends, even where the simulator agrees.

const (
	wireDir    = "../../testdata/wire"
	wireSecret = "wire-fixture-secret" // users_me.json's access_key
	wireOrg    = "5e9d9544a1dcd60001d0ed20"
	wireMID    = "66570989d98dd00001da17f1" // policy_get.json
)

// wireServer serves testdata/wire by its routes.txt, or by routes if given.
func wireServer(t *testing.T, routes ...wiretest.Route) (*wiretest.Server, *dashboard.Client) {
	t.Helper()
	var fs *wiretest.Server
	if len(routes) > 0 {
		fs = wiretest.NewWithRoutes(wireDir, wireSecret, routes)
	} else {
		var err error
		if fs, err = wiretest.New(wireDir, wireSecret); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	c, err := dashboard.New(dashboard.Config{BaseURL: srv.URL, Secret: wireSecret, OrgID: wireOrg, Timeout: 2 * time.Second, RetryBaseDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return fs, c
}

func wireFile(t *testing.T, name string) any {
	t.Helper()
	v, err := wiretest.DecodeFile(filepath.Join(wireDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wireBody(t *testing.T, fs *wiretest.Server, method, path string) any {
	t.Helper()
	r, ok := fs.Last(method, path)
	if !ok {
		t.Fatalf("no %s %s was sent; sent: %+v", method, path, fs.Requests())
	}
	v, err := wiretest.Decode(r.Body)
	if err != nil {
		t.Fatalf("%s %s body: %v", method, path, err)
	}
	return v
}

// Every fixture file is valid JSON and named by routes.txt or by a test
// here; every route names an existing file.
func TestWireFixturesAreValid(t *testing.T) {
	routes, err := wiretest.LoadRoutes(wireDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if _, err := os.Stat(filepath.Join(wireDir, r.File)); err != nil {
			t.Errorf("route %s %s: %v", r.Method, r.Path, err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(wireDir, "*.json"))
	if len(files) < 20 {
		t.Fatalf("%d fixtures, want the full set", len(files))
	}
	for _, f := range files {
		wireFile(t, filepath.Base(f))
	}
}

func TestWireListPolicies(t *testing.T) {
	fs, c := wireServer(t)
	got, err := c.ListPolicies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := fs.Last(http.MethodGet, "/api/portal/policies"); r.Query != "p=-2" || r.Auth != wireSecret {
		t.Errorf("list sent query %q, Authorization %q; want p=-2 and the raw secret", r.Query, r.Auth)
	}
	if len(got) != 4 {
		t.Fatalf("%d policies, want 4", len(got))
	}
	full, plan, oas, oauth := got[0], got[1], got[2], got[3]
	fullAccess := full.AccessRights["8ddd91f3cda9453442c477b06c4e2da4"]
	tests := []struct {
		name      string
		got, want any
	}{
		{"full _id", full.MID, wireMID},
		{"full identity falls back to _id", full.Identity(), wireMID},
		{"full rate", full.Rate, 1000.0},
		{"full key_expires_in 2.592e+06", full.KeyExpiresIn, int64(2592000)},
		{"full quota_max", full.QuotaMax, int64(10000)},
		{"full throttle_retry_limit", full.ThrottleRetryLimit, int64(10)},
		{"full tags", full.Tags, []string{"portal", "security"}},
		{"full partitions", full.Partitions, dashboard.Partitions{ACL: true}},
		{"full state", full.State, "active"},
		{"full auth_type", full.AuthType, "authToken"},
		{"full last_updated", full.LastUpdated, "1716980105"},
		{"full api name", full.AccessRights["8ddd91f3cda9453442c477b06c4e2da4"].APIName, "Itachi API"},
		{"full not MCP (empty MCP fields)", fullAccess.IsMCP(), false},
		{"$oid _id", plan.MID, "66570989d98dd00001da17f2"},
		{"custom id is the identity", plan.Identity(), "gold-plan"},
		{"fractional rate", plan.Rate, 16.5},
		{"quota_max 1e6", plan.QuotaMax, int64(1000000)},
		{"null access_rights", len(plan.AccessRights), 0},
		{"null meta_data", plan.MetaData == nil, true},
		{"plan partitions", plan.Partitions, dashboard.Partitions{Quota: true, RateLimit: true}},
		{"draft state", oas.State, "draft"},
		{"absent fields read as zero", oas.ThrottleInterval, 0.0},
		{"oas api in access_rights", oas.AccessRights["d1dfc6a927a046c54c0ed470f19757cc"].Versions, []string{"Default"}},
		{"oauth auth_type", oauth.AuthType, "oauth"},
		{"empty tags", oauth.Tags, []string{}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
}

// A policy read with GetPolicy and written back unchanged says exactly what
// the Dashboard sent: every field of Tyk's Policy, AccessDefinition and
// APILimit types, and the Dashboard's own, survives in meaning.
func TestWireGetPolicyRoundTrip(t *testing.T) {
	fs, c := wireServer(t)
	p, err := c.GetPolicy(context.Background(), wireMID)
	if err != nil {
		t.Fatal(err)
	}
	ad := p.AccessRights["8ddd91f3cda9453442c477b06c4e2da4"]
	if ad.Limit == nil || ad.Limit.Rate != 100 || ad.Limit.ThrottleInterval != 2.5 || ad.Limit.QuotaRenewalRate != 86400 {
		t.Errorf("access_rights limit = %+v", ad.Limit)
	}
	if len(ad.AllowedURLs) != 2 || ad.AllowedURLs[1].URL != "/users/{id}" {
		t.Errorf("allowed_urls = %+v", ad.AllowedURLs)
	}
	if p.MetaData["tier"] != 3.0 {
		t.Errorf("meta_data.tier = %#v", p.MetaData["tier"])
	}
	if err := c.UpdatePolicy(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if d := wiretest.ValueDiff(wireFile(t, "policy_get.json"), wireBody(t, fs, http.MethodPut, "/api/portal/policies/"+wireMID)); len(d) > 0 {
		t.Errorf("the PUT body differs from the policy read:\n%s", wiretest.Report(d))
	}
}

func TestWirePolicyWrites(t *testing.T) {
	fs, c := wireServer(t)
	ctx := context.Background()
	p := &dashboard.Policy{Name: "New Product", Active: true, Tags: []string{"portal"}, Partitions: dashboard.Partitions{ACL: true},
		AccessRights: map[string]dashboard.AccessDefinition{"8ddd91f3cda9453442c477b06c4e2da4": {APIID: "8ddd91f3cda9453442c477b06c4e2da4", APIName: "Itachi API", Versions: []string{"Default"}}}}
	mid, err := c.CreatePolicy(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if mid != "663b4bbd5715ec323b424dca" || p.MID != mid {
		t.Errorf("created id %q (p.MID %q), want the Message of policy_create.json", mid, p.MID)
	}
	sent := wireBody(t, fs, http.MethodPost, "/api/portal/policies").(map[string]any)
	if _, ok := sent["_id"]; ok {
		t.Errorf("POST body carries _id %v", sent["_id"])
	}
	if sent["org_id"] != wireOrg || sent["name"] != "New Product" {
		t.Errorf("POST body org_id %v name %v", sent["org_id"], sent["name"])
	}
	if err := c.DeletePolicy(ctx, mid); err != nil {
		t.Fatal(err)
	}
	if _, ok := fs.Last(http.MethodDelete, "/api/portal/policies/"+mid); !ok {
		t.Error("no DELETE by _id was sent")
	}
}

// Error bodies and status codes as the swagger gives them map to the
// client's error kinds, with the Dashboard's message kept.
func TestWireErrors(t *testing.T) {
	type call func(*dashboard.Client) error
	getPolicy := func(c *dashboard.Client) error { _, err := c.GetPolicy(context.Background(), wireMID); return err }
	tests := []struct {
		name   string
		route  wiretest.Route
		call   call
		secret string
		want   error
		perm   string
	}{
		{"401 not authorised", wiretest.Route{Method: "GET", Path: "/api/portal/policies", Status: 200, File: "policies_list.json"},
			func(c *dashboard.Client) error { _, err := c.ListPolicies(context.Background()); return err }, "wrong", dashboard.ErrUnauthorized, ""},
		{"403 permission", wiretest.Route{Method: "GET", Path: "/api/portal/policies", Status: 403, File: "error_403_policies.json"},
			func(c *dashboard.Client) error { _, err := c.ListPolicies(context.Background()); return err }, "", dashboard.ErrForbidden, "policies"},
		{"403 malformed body is a rejection", wiretest.Route{Method: "POST", Path: "/api/portal/policies", Status: 403, File: "error_403_malformed.json"},
			func(c *dashboard.Client) error {
				_, err := c.CreatePolicy(context.Background(), &dashboard.Policy{Name: "x"})
				return err
			}, "", dashboard.ErrRejected, ""},
		{"400 duplicate name", wiretest.Route{Method: "POST", Path: "/api/portal/policies", Status: 400, File: "policy_400_duplicate_name.json"},
			func(c *dashboard.Client) error {
				_, err := c.CreatePolicy(context.Background(), &dashboard.Policy{Name: "x"})
				return err
			}, "", dashboard.ErrRejected, ""},
		{"400 invalid id", wiretest.Route{Method: "GET", Path: "/api/portal/policies/*", Status: 400, File: "policy_400_invalid_id.json"}, getPolicy, "", dashboard.ErrRejected, ""},
		{"404 policy", wiretest.Route{Method: "GET", Path: "/api/portal/policies/*", Status: 404, File: "policy_404.json"}, getPolicy, "", dashboard.ErrNotFound, ""},
		{"404 policy delete", wiretest.Route{Method: "DELETE", Path: "/api/portal/policies/*", Status: 404, File: "policy_delete_404.json"},
			func(c *dashboard.Client) error { return c.DeletePolicy(context.Background(), wireMID) }, "", dashboard.ErrNotFound, ""},
		{"404 key", wiretest.Route{Method: "GET", Path: "/api/keys/*", Status: 404, File: "key_404.json"},
			func(c *dashboard.Client) error { _, err := c.GetKey(context.Background(), "nohash"); return err }, "", dashboard.ErrNotFound, ""},
		{"404 oauth client", wiretest.Route{Method: "GET", Path: "/api/apis/oauth/b84fe1a04e5648927971c0557971565c/*", Status: 404, File: "oauth_404.json"},
			func(c *dashboard.Client) error {
				_, err := c.GetOAuthClient(context.Background(), "b84fe1a04e5648927971c0557971565c", "nope")
				return err
			}, "", dashboard.ErrNotFound, ""},
		{"404 api keys list", wiretest.Route{Method: "GET", Path: "/api/apis/8ddd91f3cda9453442c477b06c4e2da4/keys", Status: 404, File: "api_keys_404.json"},
			func(c *dashboard.Client) error {
				_, err := c.ListAPIKeys(context.Background(), "8ddd91f3cda9453442c477b06c4e2da4")
				return err
			}, "", dashboard.ErrNotFound, ""},
		{"400 oauth api reference", wiretest.Route{Method: "GET", Path: "/api/apis/oauth/*", Status: 400, File: "oauth_400_api.json"},
			func(c *dashboard.Client) error {
				_, err := c.ListOAuthClients(context.Background(), "nope")
				return err
			}, "", dashboard.ErrRejected, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := wiretest.NewWithRoutes(wireDir, wireSecret, []wiretest.Route{tt.route})
			srv := httptest.NewServer(fs)
			defer srv.Close()
			secret := wireSecret
			if tt.secret != "" {
				secret = tt.secret
			}
			c, err := dashboard.New(dashboard.Config{BaseURL: srv.URL, Secret: secret, OrgID: wireOrg, Timeout: 2 * time.Second, RetryBaseDelay: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			err = tt.call(c)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var de *dashboard.Error
			if !errors.As(err, &de) {
				t.Fatalf("err %T is no *dashboard.Error", err)
			}
			file := tt.route.File
			if tt.secret != "" {
				file = "error_401.json"
			}
			want := wireFile(t, file).(map[string]any)["Message"]
			if de.Message != want || de.Permission != tt.perm {
				t.Errorf("Message %q Permission %q, want %q and %q", de.Message, de.Permission, want, tt.perm)
			}
		})
	}
}

func TestWireListAPIs(t *testing.T) {
	fs, c := wireServer(t)
	got, err := c.ListAPIs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := fs.Last(http.MethodGet, "/api/apis"); r.Query != "p=-2" {
		t.Errorf("list sent query %q, want p=-2", r.Query)
	}
	want := []dashboard.API{
		{ID: "66596520c7f5720001b22558", APIID: "8ddd91f3cda9453442c477b06c4e2da4", Name: "Itachi API", OrgID: wireOrg, AuthType: "authToken", Active: true, ListenPath: "/itachi/"},
		{ID: "66596520c7f5720001b22559", APIID: "b84fe1a04e5648927971c0557971565c", Name: "Tyk Test API", OrgID: wireOrg, AuthType: "oauth", Active: true, ListenPath: "/tyk-api-test/"},
		{ID: "66596520c7f5720001b2255a", APIID: "0f3a3c7e1a2b4c5d8e9f00112233aabb", Name: "JWT API", OrgID: wireOrg, AuthType: "jwt", Active: true, ListenPath: "/jwt/"},
		{ID: "66596520c7f5720001b2255b", APIID: "aa11bb22cc33dd44ee55ff6600778899", Name: "Open API", OrgID: wireOrg, AuthType: "keyless", Active: false, ListenPath: "/open/"},
		{ID: "66596520c7f5720001b2255c", APIID: "d1dfc6a927a046c54c0ed470f19757cc", Name: "Orders OAS API", OrgID: wireOrg, AuthType: "authToken", IsOAS: true, Active: true, ListenPath: "/orders/"},
	}
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.MarshalIndent(got, "", " ")
		t.Errorf("APIs:\n%s", gj)
	}
}

func TestWireKeys(t *testing.T) {
	fs, c := wireServer(t)
	ctx := context.Background()
	ck, err := c.CreateKey(ctx, dashboard.KeyRequest{ApplyPolicies: []string{wireMID, "gold-plan"}, Alias: "acme-prod", MetaData: map[string]any{"consumer": "acme"}})
	if err != nil {
		t.Fatal(err)
	}
	if ck.Key != "5e9d9544a1dcd60001d0ed20e7f75f9e03534825b7aef9df749582e5" || ck.KeyHash != "41c5cb1e" || ck.Expires != 1735689600 {
		t.Errorf("created key = %+v", ck)
	}
	sent := wireBody(t, fs, http.MethodPost, "/api/keys").(map[string]any)
	if !reflect.DeepEqual(sent["apply_policies"], []any{wireMID, "gold-plan"}) || sent["org_id"] != wireOrg {
		t.Errorf("POST /api/keys body = %v", sent)
	}
	ki, err := c.GetKey(ctx, "41c5cb1e")
	if err != nil {
		t.Fatal(err)
	}
	if ki.Alias != "acme-prod" || !reflect.DeepEqual(ki.ApplyPolicies, []string{wireMID, "gold-plan"}) || ki.MetaData["seats"] != 5.0 || ki.Expires != 1735689600 {
		t.Errorf("key = %+v", ki)
	}
	if r, _ := fs.Last(http.MethodGet, "/api/keys/41c5cb1e"); r.Query != "hashed=true" {
		t.Errorf("GET key query %q, want hashed=true", r.Query)
	}
	if err := c.DeleteKey(ctx, "41c5cb1e"); err != nil {
		t.Fatal(err)
	}
	keys, err := c.ListAPIKeys(ctx, "8ddd91f3cda9453442c477b06c4e2da4")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(keys, []string{"41c5cb1e", "9a0b1c2d"}) {
		t.Errorf("keys = %v", keys)
	}
}

func TestWireOAuthClients(t *testing.T) {
	fs, c := wireServer(t)
	ctx := context.Background()
	const api = "b84fe1a04e5648927971c0557971565c"
	oc, err := c.CreateOAuthClient(ctx, api, dashboard.OAuthClientRequest{PolicyID: wireMID, RedirectURI: "https://app.example.com/callback", Description: "acme client"})
	if err != nil {
		t.Fatal(err)
	}
	want := dashboard.OAuthClient{ClientID: "2a06b398c17f46908de3dffcb71ef87d", Secret: "MmQwNTI5NGQtYjU0YS00NjMyLWIwZjktNTZjY2M1ZjhjYWY0",
		PolicyID: wireMID, RedirectURI: "https://app.example.com/callback", Description: "acme client",
		MetaData: map[string]any{"user_id": "362b3fb9a1d5e4f00017226f5", "tykportal_operation": "op-2"}}
	if !reflect.DeepEqual(*oc, want) {
		t.Errorf("created client = %+v", oc)
	}
	sent := wireBody(t, fs, http.MethodPost, "/api/apis/oauth/"+api).(map[string]any)
	if sent["policy_id"] != wireMID || sent["redirect_uri"] != "https://app.example.com/callback" {
		t.Errorf("POST body = %v", sent)
	}
	got, err := c.GetOAuthClient(ctx, api, want.ClientID)
	if err != nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("get = %+v, %v", got, err)
	}
	list, err := c.ListOAuthClients(ctx, api)
	if err != nil || len(list) != 2 || list[0].ClientID != want.ClientID || list[1].PolicyID != "" {
		t.Errorf("list = %+v, %v", list, err)
	}
	if err := c.DeleteOAuthClient(ctx, api, want.ClientID); err != nil {
		t.Fatal(err)
	}
}

func TestWireCurrentUser(t *testing.T) {
	t.Run("users/me", func(t *testing.T) {
		_, c := wireServer(t)
		u, err := c.CurrentUser(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != "66498cd1e2fcd1000184ecb5" || u.OrgID != wireOrg || u.Email != "multi-org-user@example.org" || !u.IsAdmin || len(u.Permissions) != 0 {
			t.Errorf("user = %+v", u)
		}
	})
	t.Run("users list fallback", func(t *testing.T) {
		_, c := wireServer(t, wiretest.Route{Method: "GET", Path: "/api/users", Status: 200, File: "users_list.json"})
		u, err := c.CurrentUser(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != "66498cd1e2fcd1000184ecb5" || !u.IsAdmin {
			t.Errorf("user = %+v", u)
		}
	})
}

// The single-object fixtures the client reads only inside a list or by a
// second id form: the $oid plan by GetPolicy, and the API wrappers of
// GET /api/apis/{id} as list items.
func TestWireSingleObjects(t *testing.T) {
	fs, c := wireServer(t)
	p, err := c.GetPolicy(context.Background(), "66570989d98dd00001da17f2")
	if err != nil {
		t.Fatal(err)
	}
	if p.MID != "66570989d98dd00001da17f2" || p.Identity() != "gold-plan" || p.Rate != 16.5 || p.MetaData != nil {
		t.Errorf("plan = %+v", p)
	}
	if err := c.UpdatePolicy(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	// Written back, the plan says what it said; the id and the nil maps take
	// the forms docs/dashboard-api.md names ("write-back of nulls").
	want := wireFile(t, "policy_get_plan.json").(map[string]any)
	want["_id"], want["access_rights"], want["meta_data"] = "66570989d98dd00001da17f2", map[string]any{}, map[string]any{}
	delete(want, "auth_type")
	if d := wiretest.ValueDiff(want, wireBody(t, fs, http.MethodPut, "/api/portal/policies/66570989d98dd00001da17f2")); len(d) > 0 {
		t.Errorf("the plan written back differs:\n%s", wiretest.Report(d))
	}

	list := map[string]any{"apis": []any{wireFile(t, "api_get.json"), wireFile(t, "api_get_oas.json")}, "pages": 1}
	raw, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "apis.json"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(wiretest.NewWithRoutes(dir, wireSecret, []wiretest.Route{{Method: "GET", Path: "/api/apis", Status: 200, File: "apis.json"}}))
	defer srv.Close()
	c2, err := dashboard.New(dashboard.Config{BaseURL: srv.URL, Secret: wireSecret, OrgID: wireOrg, Timeout: 2 * time.Second, RetryBaseDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	apis, err := c2.ListAPIs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(apis) != 2 || apis[0].APIID != "8ddd91f3cda9453442c477b06c4e2da4" || apis[0].AuthType != "authToken" ||
		!apis[1].IsOAS || apis[1].Name != "Orders OAS API" || apis[1].ListenPath != "/orders/" {
		t.Errorf("apis = %+v", apis)
	}
}
