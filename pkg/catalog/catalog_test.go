package catalog

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard"
)

func TestLimitsValidate(t *testing.T) {
	tests := []struct {
		name string
		l    Limits
		err  string
	}{
		{"rate", Limits{Rate: 10, Per: 60}, ""},
		{"quota", Limits{QuotaMax: 100, QuotaRenewalRate: 3600}, ""},
		{"unlimited both", Limits{Rate: -1, Per: -1, QuotaMax: -1, QuotaRenewalRate: -1}, ""},
		{"throttle with rate", Limits{Rate: 10, Per: 1, ThrottleInterval: 2, ThrottleRetryLimit: 3}, ""},
		{"nothing", Limits{}, "needs a rate limit"},
		{"rate without per", Limits{Rate: 10}, "--per must be a positive"},
		{"per without rate", Limits{QuotaMax: 1, QuotaRenewalRate: 1, Per: 5}, "--per needs --rate"},
		{"negative rate", Limits{Rate: -3, Per: 1}, "--rate must be positive"},
		{"quota without period", Limits{QuotaMax: 5}, "--quota-period must be a positive"},
		{"throttle without retries", Limits{Rate: 1, Per: 1, ThrottleInterval: 2}, "--throttle-retries must be positive"},
		{"throttle without rate", Limits{QuotaMax: 1, QuotaRenewalRate: 1, ThrottleInterval: 2, ThrottleRetryLimit: 2}, "set --rate and --per"},
		{"negative key expiry", Limits{Rate: 1, Per: 1, KeyExpiresIn: -5}, "--key-expires"},
	}
	for _, tc := range tests {
		err := tc.l.Validate()
		if (tc.err == "") != (err == nil) || (err != nil && (!strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrInvalid))) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestApplyLimitsPartitions(t *testing.T) {
	p := PlanPolicy("gold", "org", []string{"portal"}, Limits{Rate: 10, Per: 60})
	if p.Partitions.ACL || !p.Partitions.RateLimit || p.Partitions.Quota || p.QuotaMax != -1 || p.ThrottleInterval != -1 {
		t.Fatalf("%+v", p)
	}
	p = ProductPolicy("prod", "org", []string{"portal"}, []dashboard.API{{APIID: "a", Name: "A", AuthType: "jwt"}})
	if !p.Partitions.ACL || p.Partitions.Quota || p.Partitions.RateLimit || p.AccessRights["a"].APIName != "A" || p.AuthType != "jwt" {
		t.Fatalf("%+v", p)
	}
}

func TestSetPolicyAPIsKeepsExistingEntries(t *testing.T) {
	p := &dashboard.Policy{AccessRights: map[string]dashboard.AccessDefinition{
		"a": {APIID: "a", AllowedURLs: []dashboard.AccessSpec{{URL: "/x", Methods: []string{"GET"}}}},
		"b": {APIID: "b"},
	}}
	SetPolicyAPIs(p, []dashboard.API{{APIID: "a", Name: "A"}, {APIID: "c", Name: "C"}})
	if len(p.AccessRights) != 2 || len(p.AccessRights["a"].AllowedURLs) != 1 || p.AccessRights["c"].Versions[0] != "Default" {
		t.Fatalf("%+v", p.AccessRights)
	}
}

func TestCheckProductAPIs(t *testing.T) {
	apis := []dashboard.API{{APIID: "a", AuthType: "authToken"}, {APIID: "b", AuthType: "authToken"}, {APIID: "j", AuthType: "jwt"}}
	tests := []struct {
		ids []string
		err string
	}{
		{[]string{"a", "b"}, ""},
		{nil, "at least one --api"},
		{[]string{"a", "a"}, "listed twice"},
		{[]string{"a", "zz"}, `has no API "zz"`},
		{[]string{"a", "j"}, "same auth method"},
	}
	for _, tc := range tests {
		_, err := CheckProductAPIs(tc.ids, apis)
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%v: %v, want %q", tc.ids, err, tc.err)
		}
	}
}

func TestConsumerAndIssuable(t *testing.T) {
	for email, ok := range map[string]bool{"dev@example.com": true, "a.b+c@sub.example.org": true, "": false, "dev": false,
		"Dev <dev@example.com>": false, "dev@localhost": false, "dev@example.com\n": false} {
		if err := ValidateConsumer(email); (err == nil) != ok {
			t.Errorf("%q: %v", email, err)
		}
	}
	prod := Product{ID: 1, Provider: "p", Published: true, APIs: []APIRef{{APIID: "a"}}}
	plan := Plan{ID: 2, Provider: "p", Published: true}
	tests := []struct {
		name string
		mut  func(*Product, *Plan)
		err  string
	}{
		{"ok", func(*Product, *Plan) {}, ""},
		{"other provider", func(_ *Product, pl *Plan) { pl.Provider = "q" }, "same provider"},
		{"hidden product", func(p *Product, _ *Plan) { p.Hidden = true }, "product 1 is hidden"},
		{"hidden plan", func(_ *Product, pl *Plan) { pl.Hidden = true }, "plan 2 is hidden"},
		{"unpublished product", func(p *Product, _ *Plan) { p.Published = false }, "not published"},
		{"unpublished plan", func(_ *Product, pl *Plan) { pl.Published = false }, "not published"},
	}
	for _, tc := range tests {
		p, pl := prod, plan
		tc.mut(&p, &pl)
		err := CheckIssuable(p, pl)
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if KeyExpiry(Plan{KeyExpiresIn: 0}, now) != nil || !KeyExpiry(Plan{KeyExpiresIn: 60}, now).Equal(now.Add(time.Minute)) {
		t.Error("KeyExpiry")
	}
}

func TestSetPublished(t *testing.T) {
	pub, ph := false, true
	if err := SetPublished(&pub, &ph, true, true, KindProduct, 3); !errors.Is(err, ErrInvalid) || pub {
		t.Fatalf("a hidden item was published: %v", err)
	}
	if err := SetPublished(&pub, &ph, false, true, KindProduct, 3); err != nil || !pub || ph {
		t.Fatalf("publish: %v %v %v", err, pub, ph)
	}
}
