package catalog

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
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

func TestCheckProductAPIs(t *testing.T) {
	apis := []API{{ID: "a", AuthType: "authToken"}, {ID: "b", AuthType: "authToken"}, {ID: "j", AuthType: "jwt"}}
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
	prod := Product{Item: Item{ID: 1, Provider: "p", Published: true}, APIs: []APIRef{{APIID: "a"}}}
	plan := Plan{Item: Item{ID: 2, Provider: "p", Published: true}}
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
	if KeyExpiry(Plan{Limits: Limits{KeyExpiresIn: 0}}, now) != nil || !KeyExpiry(Plan{Limits: Limits{KeyExpiresIn: 60}}, now).Equal(now.Add(time.Minute)) {
		t.Error("KeyExpiry")
	}
}

func TestSetPublished(t *testing.T) {
	it := Item{ID: 3, Hidden: true, Placeholder: true}
	if err := it.SetPublished(KindProduct, true); !errors.Is(err, ErrInvalid) || CodeOf(err) != CodeInvalid || it.Published {
		t.Fatalf("a hidden item was published: %v", err)
	}
	it.Hidden = false
	if err := it.SetPublished(KindProduct, true); err != nil || !it.Published || it.Placeholder {
		t.Fatalf("publish: %v %+v", err, it)
	}
	if err := it.SetPublished(KindProduct, false); err != nil || it.Published {
		t.Fatalf("unpublish: %v %+v", err, it)
	}
}

func TestErrorCodes(t *testing.T) {
	wrapped := fmt.Errorf("outer: %w", fmt.Errorf("%w: bad tag", ErrInvalid))
	tests := []struct {
		err  error
		want Code
	}{
		{wrapped, CodeInvalid},
		{fmt.Errorf("x: %w", ErrUnknown), CodeUnknown},
		{Errorf(CodeConflict, "policy %s changed: %w", "p1", ErrInvalid), CodeConflict},
		{WithCode(CodeRemoteFailed, errors.New("boom")), CodeRemoteFailed},
		{errors.New("plain"), CodeInternal},
		{nil, CodeInternal},
	}
	for _, tc := range tests {
		if got := CodeOf(tc.err); got != tc.want {
			t.Errorf("CodeOf(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
	if !errors.Is(wrapped, ErrInvalid) || wrapped.Error() != "outer: invalid input: bad tag" {
		t.Fatalf("wrapping: %v", wrapped)
	}
	if e := Errorf(CodeConflict, "policy changed: %w", ErrInvalid); !errors.Is(e, ErrInvalid) {
		t.Fatal("Errorf lost its %w")
	}
	if WithCode(CodeInternal, nil) != nil {
		t.Fatal("WithCode(nil) is not nil")
	}
}
