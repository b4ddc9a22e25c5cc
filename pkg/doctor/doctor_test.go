package doctor

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/policy"
)

const (
	org    = "5fd08e0f69710900018bc195"
	secret = "demo-admin-key-org1"
)

// world is a simulator with the seed data and a client for it.
func world(t *testing.T, opts dashboardtest.Options) (*dashboardtest.Sim, *dashboard.Client) {
	t.Helper()
	opts.Seed = 9
	sim := dashboardtest.New(opts)
	if err := sim.LoadDir("../../testdata/dashboard"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	c, err := dashboard.New(dashboard.Config{BaseURL: srv.URL, Secret: secret, OrgID: org, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

func emptyKnown() Known {
	return Known{PolicyMIDs: map[string]bool{}, KeyHashes: map[string]bool{}, ClientIDs: map[string]bool{}}
}

func mustMarker(t *testing.T) string {
	t.Helper()
	m, err := catalog.NewMarker()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// createKey creates a marked key for the payments API and returns its hash.
func createKey(t *testing.T, c *dashboard.Client, marker string) string {
	t.Helper()
	pols, err := c.ListPolicies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ref string
	for _, p := range pols {
		if _, ok := p.AccessRights["payments"]; ok {
			ref = p.Identity()
			break
		}
	}
	if ref == "" {
		t.Fatal("the seed has no policy granting payments")
	}
	k, err := c.CreateKey(context.Background(), dashboard.KeyRequest{
		ApplyPolicies: []string{ref}, Alias: "a@example.com", MetaData: catalog.Mark(nil, marker),
	})
	if err != nil {
		t.Fatal(err)
	}
	if k.KeyHash != "" {
		return k.KeyHash
	}
	return k.Key
}

func TestCheckAndRepair(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		opts      dashboardtest.Options
		object    string
		create    bool // create the marked object in the Dashboard
		known     bool // and give it a local record
		want      State
		wantID    bool // the finding names the object
		repairErr string
		detail    string // in the finding's detail
	}{
		{name: "policy orphan", opts: dashboardtest.Defaults(), object: catalog.ObjectPolicy, create: true, want: Orphan, wantID: true},
		{name: "policy adopted by a sync", opts: dashboardtest.Defaults(), object: catalog.ObjectPolicy, create: true, known: true, want: Adopted, wantID: true},
		{name: "policy never created", opts: dashboardtest.Defaults(), object: catalog.ObjectPolicy, want: Absent},
		{name: "key orphan", opts: dashboardtest.Defaults(), object: catalog.ObjectKey, create: true, want: Orphan, wantID: true},
		// Keys with a local record are not read (a Dashboard may hold many).
		{name: "key recorded", opts: dashboardtest.Defaults(), object: catalog.ObjectKey, create: true, known: true, want: Absent},
		{name: "key never created", opts: dashboardtest.Defaults(), object: catalog.ObjectKey, want: Absent},
		// 404 "Could not retrieve keys.": hashed keys, hashed listing
		// disabled (the Dashboard's spec), not "the API is gone".
		{name: "key list refused (hashed listing off)", opts: dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, NoHashedKeyListing: true},
			object: catalog.ObjectKey, create: true, want: Unverified, detail: `set enable_hashed_keys_listing: true in its configuration, or look for a key with alias "X"`},
		// Hashing off: the list holds the keys themselves, and a lookup by
		// hash is refused (400).
		{name: "key lookups refused, hashing off", opts: dashboardtest.Options{UsersMe: true},
			object: catalog.ObjectKey, create: true, want: Unverified, detail: `key hashing off refuses it with 400): look for a key with alias "X"`},
		{name: "OAuth client orphan", opts: dashboardtest.Defaults(), object: catalog.ObjectOAuthClient, create: true, want: Orphan, wantID: true},
		{name: "OAuth client never created", opts: dashboardtest.Defaults(), object: catalog.ObjectOAuthClient, want: Absent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := world(t, tt.opts)
			op := catalog.Operation{ID: 1, Provider: "prod", Object: tt.object, Name: "X", Marker: mustMarker(t), StartedAt: time.Now()}
			known := emptyKnown()
			var id string
			switch tt.object {
			case catalog.ObjectPolicy:
				if tt.create {
					pol := policy.ForPlan("Lost plan", org, []string{"portal"}, catalog.Limits{Rate: 1, Per: 1})
					pol.MetaData = catalog.Mark(pol.MetaData, op.Marker)
					mid, err := c.CreatePolicy(ctx, pol)
					if err != nil {
						t.Fatal(err)
					}
					id = mid
					known.PolicyMIDs[mid] = tt.known
				}
			case catalog.ObjectKey:
				op.APIID = "payments"
				if tt.create {
					id = createKey(t, c, op.Marker)
					known.KeyHashes[id] = tt.known
				}
			case catalog.ObjectOAuthClient:
				op.APIID = "accounts"
				if tt.create {
					oc, err := c.CreateOAuthClient(ctx, "accounts", dashboard.OAuthClientRequest{MetaData: catalog.Mark(nil, op.Marker)})
					if err != nil {
						t.Fatal(err)
					}
					id = oc.ClientID
				}
			}
			// Another, unmarked key and policy must not confuse the search.
			createKey(t, c, "")

			findings := Check(ctx, c, org, []catalog.Operation{op}, known)
			if len(findings) != 1 {
				t.Fatalf("%d findings", len(findings))
			}
			f := findings[0]
			if f.State != tt.want {
				t.Fatalf("state %q (%s), want %q", f.State, f.Detail, tt.want)
			}
			if !strings.Contains(f.Detail, tt.detail) {
				t.Fatalf("detail %q, want %q in it", f.Detail, tt.detail)
			}
			if tt.wantID && f.ObjectID != id {
				t.Fatalf("object id %q, want %q", f.ObjectID, id)
			}
			if !tt.wantID && f.ObjectID != "" {
				t.Fatalf("object id %q, want none", f.ObjectID)
			}
			if strings.HasPrefix(id, org) && strings.Contains(f.Detail+f.ObjectID, id) {
				t.Fatal("a plaintext key went into the finding")
			}

			err := Repair(ctx, c, &f)
			switch {
			case tt.repairErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.repairErr) {
					t.Fatalf("repair: %v, want %q", err, tt.repairErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if f.Repaired != (tt.want == Orphan) {
				t.Fatalf("repaired %v for state %s", f.Repaired, tt.want)
			}
			now := op.StartedAt.Add(time.Minute)
			if got := f.Settled(now, 0); got != (tt.want != Unverified) {
				t.Fatalf("settled %v for state %s", got, tt.want)
			}
			if tt.want == Absent && f.Settled(now, time.Hour) {
				t.Fatal("an absent object of a young operation counts as settled: its request may still be on its way")
			}
			if tt.want == Orphan {
				// Gone from the Dashboard: a second check finds nothing.
				again := Check(ctx, c, org, []catalog.Operation{op}, known)
				if again[0].State != Absent {
					t.Fatalf("after repair: %s", again[0].State)
				}
			}
		})
	}
}

func TestStaleKeyOfARotation(t *testing.T) {
	ctx := context.Background()
	_, c := world(t, dashboardtest.Defaults())
	old := createKey(t, c, "")
	op := catalog.Operation{ID: 1, Provider: "prod", Object: catalog.ObjectKey, Command: "credentials rotate", Marker: mustMarker(t), APIID: "payments", Stale: old}
	f := Check(ctx, c, org, []catalog.Operation{op}, emptyKnown())[0]
	if f.State != Orphan || f.ObjectID != old {
		t.Fatalf("%+v", f)
	}
	if err := Repair(ctx, c, &f); err != nil {
		t.Fatal(err)
	}
	if f = Check(ctx, c, org, []catalog.Operation{op}, emptyKnown())[0]; f.State != Absent {
		t.Fatalf("after repair: %+v", f)
	}
}

func TestUnknownObjectKindIsUnverified(t *testing.T) {
	_, c := world(t, dashboardtest.Defaults())
	f := Check(context.Background(), c, org, []catalog.Operation{{Object: "webhook"}}, emptyKnown())[0]
	if f.State != Unverified || f.Settled(time.Now(), 0) {
		t.Fatalf("%+v", f)
	}
}

// A replaced key whose lookup by hash is refused (hashing turned off since
// the rotation) is unverified, and says why.
func TestHashedLookupRefused(t *testing.T) {
	ctx := context.Background()
	_, c := world(t, dashboardtest.Options{UsersMe: true})
	op := catalog.Operation{ID: 2, Provider: "prod", Object: catalog.ObjectKey, Name: "a@example.com", Marker: mustMarker(t), APIID: "payments", Stale: "0011"}
	f := Check(ctx, c, org, []catalog.Operation{op}, emptyKnown())[0]
	if f.State != Unverified || !strings.Contains(f.Detail, "key hashing off refuses it with 400") {
		t.Fatalf("%s: %s", f.State, f.Detail)
	}
}
