package dashboard_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// /api/users/me wants a session cookie (the spec says so): a Dashboard
// that holds to it answers 401 to the secret alone. That 401 is no verdict
// on the secret: the user is found through /api/users, and says so.
func TestCurrentUserWhenMeAnswers401(t *testing.T) {
	s := sim(t, dashboardtest.Options{UsersMe: true, UsersMeUnauthorized: true})
	tests := []struct {
		secret  string
		email   string
		wantErr error
	}{
		{secret: "demo-portal-key-org1", email: "portal@org1.example"},
		{secret: adminKey, email: "admin@org1.example"},
		{secret: "wrong", wantErr: dashboard.ErrUnauthorized},
		// Accepted (403 on the list, not 401), but no user to read.
		{secret: "demo-no-users-key-org1", wantErr: dashboard.ErrForbidden},
	}
	for _, tt := range tests {
		u, err := client(t, s.URL, tt.secret).CurrentUser(context.Background())
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: %v, want %v", tt.secret, err, tt.wantErr)
			}
			continue
		}
		if err != nil || u.Email != tt.email || u.Via != dashboard.UserViaList || !strings.Contains(u.ViaReason, "401") {
			t.Errorf("%s: %+v %v", tt.secret, u, err)
		}
	}
	// With /api/users/me working, it is used.
	on := sim(t, dashboardtest.Defaults())
	u, err := client(t, on.URL, adminKey).CurrentUser(context.Background())
	if err != nil || u.Via != dashboard.UserViaMe {
		t.Fatalf("%+v %v", u, err)
	}
}

// Empty permissions mean admin only for a user outside any user group.
func TestGroupMemberIsNoAdmin(t *testing.T) {
	for _, opts := range []dashboardtest.Options{dashboardtest.Defaults(), {UsersMe: false}} {
		s := sim(t, opts)
		u, err := client(t, s.URL, "demo-group-key-org1").CurrentUser(context.Background())
		if err != nil {
			// Without /api/users/me the member cannot list users (it has
			// no permissions): that is the simulator agreeing.
			if !opts.UsersMe && errors.Is(err, dashboard.ErrForbidden) {
				continue
			}
			t.Fatal(err)
		}
		if u.IsAdmin || u.Can("policies", "read") || u.GroupID == "" {
			t.Fatalf("group member: %+v", u)
		}
		if _, err := client(t, s.URL, "demo-group-key-org1").ListPolicies(context.Background()); !errors.Is(err, dashboard.ErrForbidden) {
			t.Fatalf("the simulator treats a group member with no permissions as admin: %v", err)
		}
		org2, err := client(t, s.URL, "demo-admin-key-org2").CurrentUser(context.Background())
		if err != nil || !org2.IsAdmin {
			t.Fatalf("empty permissions outside a group: %+v %v", org2, err)
		}
	}
}

// An OAuth client's meta_data is string to string in the Dashboard's spec;
// the simulator refuses anything else as a malformed body.
func TestOAuthMetaDataIsStrings(t *testing.T) {
	s := sim(t, dashboardtest.Defaults())
	c := client(t, s.URL, adminKey)
	meta := map[string]any{"tykportal_product_id": uint64(7), "tykportal_consumer": "a@example.com", "n": 1.5, "b": true}
	oc, err := c.CreateOAuthClient(context.Background(), "accounts", dashboard.OAuthClientRequest{RedirectURI: "https://x.example/cb", MetaData: meta})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"tykportal_product_id": "7", "tykportal_consumer": "a@example.com", "n": "1.5", "b": "true"}
	if !reflect.DeepEqual(oc.MetaData, want) {
		t.Fatalf("meta_data %v, want %v", oc.MetaData, want)
	}
	stored := s.OAuthClients("accounts")
	if len(stored) != 1 || !reflect.DeepEqual(stored[0]["meta_data"], want) {
		t.Fatalf("stored %v", stored)
	}
}

// Key answers as the Dashboard's spec gives them: with hashing off, the
// list of an API's keys holds the keys themselves and a lookup ?hashed=true
// is refused (400, the gateway's "key hashing is not enabled"); with hashed
// keys and hashed listing disabled, the list is 404 "Could not retrieve keys.".
func TestKeyAnswers(t *testing.T) {
	ctx := context.Background()
	off := sim(t, dashboardtest.Options{UsersMe: true})
	c := client(t, off.URL, adminKey)
	k, err := c.CreateKey(ctx, dashboard.KeyRequest{ApplyPolicies: []string{"custom-refunds-policy"}, Alias: "a"})
	if err != nil || k.KeyHash != "" {
		t.Fatalf("%+v %v", k, err)
	}
	ids, err := c.ListAPIKeys(ctx, "refunds")
	if err != nil || len(ids) != 1 || ids[0] != k.Key {
		t.Fatalf("list with hashing off: %d ids, %v", len(ids), err)
	}
	if _, err := c.GetKey(ctx, k.Key); !errors.Is(err, dashboard.ErrRejected) || !strings.Contains(err.Error(), "key hashing is not enabled") {
		t.Fatalf("lookup by hash with hashing off: %v", err)
	}

	hashed := sim(t, dashboardtest.Options{UsersMe: true, HashKeys: true, NoHashedKeyListing: true})
	hc := client(t, hashed.URL, adminKey)
	if _, err := hc.CreateKey(ctx, dashboard.KeyRequest{ApplyPolicies: []string{"custom-refunds-policy"}, Alias: "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := hc.ListAPIKeys(ctx, "refunds"); !errors.Is(err, dashboard.ErrNotFound) || !strings.Contains(err.Error(), "Could not retrieve keys.") {
		t.Fatalf("hashed listing disabled: %v", err)
	}
}

// The auth method of Tyk OAS APIs, from x-tyk-api-gateway's
// server.authentication (apidef/oas Authentication).
func TestOASAuthentication(t *testing.T) {
	oas := func(auth string, schemes string) map[string]any {
		server := `"authentication":` + auth
		if a, certs, ok := strings.Cut(auth, "|"); ok {
			server = `"authentication":` + a + `,"clientCertificates":` + certs
		}
		raw := `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"components":{"securitySchemes":` + schemes + `},
			"x-tyk-api-gateway":{"info":{"name":"t","id":"t-id"},"server":{"listenPath":{"value":"/t/"},` + server + `}}}`
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name, auth, schemes, want string
	}{
		{"OIDC only", `{"enabled":true,"oidc":{"enabled":true}}`, `{}`, "oidc"},
		{"custom plugin", `{"enabled":true,"custom":{"enabled":true}}`, `{}`, "custom"},
		{"Go plugin (older versions)", `{"enabled":true,"goPlugin":{"enabled":true}}`, `{}`, "custom"},
		{"no customPluginAuthentication key in Tyk", `{"enabled":true,"customPluginAuthentication":{"enabled":true},"securitySchemes":{"k":{"enabled":true}}}`, `{"k":{"type":"apiKey","in":"header","name":"Authorization"}}`, "authToken"},
		// Without it the first scheme by name ("j", the JWT) would decide.
		{"base identity provider decides", `{"enabled":true,"baseIdentityProvider":"auth_token","securitySchemes":{"k":{"enabled":true},"j":{"enabled":true}}}`,
			`{"k":{"type":"apiKey","in":"header","name":"Authorization"},"j":{"type":"http","scheme":"bearer","bearerFormat":"JWT"}}`, "authToken"},
		{"certificate auth", `{"enabled":true,"certificateAuth":{"enabled":true}}`, `{}`, "mtls"},
		// "authentication|clientCertificates"
		{"client certificates (classic use_mutual_tls_auth)", `{"enabled":true}|{"enabled":true,"allowlist":["c1"]}`, `{}`, "mtls"},
		{"client certificates beside a key", `{"enabled":true,"securitySchemes":{"k":{"enabled":true}}}|{"enabled":true}`, `{"k":{"type":"apiKey","in":"header","name":"Authorization"}}`, "authToken"},
		{"HMAC", `{"enabled":true,"hmac":{"enabled":true}}`, `{}`, "hmac"},
		{"disabled", `{"enabled":false,"oidc":{"enabled":true}}`, `{}`, "keyless"},
		{"a disabled OIDC is not OIDC", `{"enabled":true,"oidc":{"enabled":false},"securitySchemes":{"b":{"enabled":true}}}`, `{"b":{"type":"http","scheme":"basic"}}`, "basic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := dashboardtest.NewServer(t, dashboardtest.Defaults())
			key := s.AddUser(dashboardtest.User{OrgID: org, Active: true})
			s.AddOASAPI(org, map[string]any{"api_id": "t-id", "name": "t"}, oas(tt.auth, tt.schemes))
			apis, err := client(t, s.URL, key).ListAPIs(context.Background())
			if err != nil || len(apis) != 1 {
				t.Fatalf("%v %v", apis, err)
			}
			if apis[0].AuthType != tt.want {
				t.Fatalf("auth %q, want %q", apis[0].AuthType, tt.want)
			}
		})
	}
}

// A rename writes back every member of a per-API limit tykportal does not
// model (gateway user/session.go APILimit: smoothing, set_by_policy,
// max_query_depth, quota_renews, quota_remaining).
func TestRenameKeepsPerAPILimitFields(t *testing.T) {
	s := sim(t, dashboardtest.Defaults())
	c := client(t, s.URL, adminKey)
	ctx := context.Background()
	limit := map[string]any{"rate": 5.0, "per": 1.0, "throttle_interval": -1.0, "throttle_retry_limit": -1.0, "quota_max": 100.0,
		"quota_renewal_rate": 60.0, "quota_renews": 1716980105.0, "quota_remaining": 42.0, "max_query_depth": -1.0, "set_by_policy": true,
		"smoothing": map[string]any{"enabled": true, "threshold": 500.0, "trigger": 0.8, "step": 100.0, "delay": 30.0}}
	mid := s.AddPolicy(org, map[string]any{"name": "Per API", "active": true, "tags": []any{"portal"},
		"partitions":    map[string]any{"acl": true, "per_api": true},
		"access_rights": map[string]any{"payments": map[string]any{"api_id": "payments", "api_name": "Payments", "versions": []any{"Default"}, "limit": limit}}})
	pol, err := c.GetPolicy(ctx, mid)
	if err != nil {
		t.Fatal(err)
	}
	pol.Name = "Per API renamed"
	if err := c.UpdatePolicy(ctx, pol); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Policy(mid)
	got := after["access_rights"].(map[string]any)["payments"].(map[string]any)["limit"]
	if !reflect.DeepEqual(got, limit) {
		t.Fatalf("limit after a rename:\n got %v\nwant %v", got, limit)
	}
}
