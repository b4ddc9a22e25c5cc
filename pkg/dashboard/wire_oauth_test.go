package dashboard_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/dashboard/wiretest"
)

// Differences the golden fixtures exposed that branch oauth fixed (merged
// before this one): written against the fixtures, failing before that merge.

// OAS APIs whose auth is OIDC (server.authentication.oidc) or chosen by
// baseIdentityProvider among several schemes (OAS authentication.go).
func TestWireOASAuth(t *testing.T) {
	_, c := wireServer(t, wiretest.Route{Method: "GET", Path: "/api/apis", Status: 200, File: "apis_oas_auth.json"})
	apis, err := c.ListAPIs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"OIDC OAS API": "oidc", "Multi-auth OAS API": "jwt"}
	for _, a := range apis {
		if a.AuthType != want[a.Name] {
			t.Errorf("%s: auth %q, want %q", a.Name, a.AuthType, want[a.Name])
		}
	}
}

// SW's OAuthClient and NewClientRequest type meta_data as string to string.
func TestWireOAuthMetaDataStrings(t *testing.T) {
	fs, c := wireServer(t)
	const api = "b84fe1a04e5648927971c0557971565c"
	_, err := c.CreateOAuthClient(context.Background(), api, dashboard.OAuthClientRequest{PolicyID: wireMID, RedirectURI: "https://app.example.com/callback",
		MetaData: map[string]any{"seats": 5, "trial": true, "consumer": "acme"}})
	if err != nil {
		t.Fatal(err)
	}
	sent := wireBody(t, fs, http.MethodPost, "/api/apis/oauth/"+api).(map[string]any)
	meta, _ := sent["meta_data"].(map[string]any)
	for k, v := range meta {
		if _, ok := v.(string); !ok {
			t.Errorf("meta_data.%s sent as %T, want a string", k, v)
		}
	}
}

// SW: /api/users/me needs a session cookie, so a Dashboard may answer the
// API secret with 401 there while /api/users accepts it.
func TestWireUsersMe401(t *testing.T) {
	_, c := wireServer(t,
		wiretest.Route{Method: "GET", Path: "/api/users/me", Status: 401, File: "error_401.json"},
		wiretest.Route{Method: "GET", Path: "/api/users", Status: 200, File: "users_list.json"})
	u, err := c.CurrentUser(context.Background())
	if err != nil {
		t.Fatalf("CurrentUser: %v, want the /api/users fallback", err)
	}
	if u.ID != "66498cd1e2fcd1000184ecb5" {
		t.Errorf("user %+v", u)
	}
}
