package policy

import (
	"testing"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
)

func TestApplyLimitsPartitions(t *testing.T) {
	p := ForPlan("gold", "org", []string{"portal"}, catalog.Limits{Rate: 10, Per: 60})
	if p.Partitions.ACL || !p.Partitions.RateLimit || p.Partitions.Quota || p.QuotaMax != -1 || p.ThrottleInterval != -1 {
		t.Fatalf("%+v", p)
	}
	p = ForProduct("prod", "org", []string{"portal"}, []catalog.API{{ID: "a", Name: "A", AuthType: "jwt"}})
	if !p.Partitions.ACL || p.Partitions.Quota || p.Partitions.RateLimit || p.AccessRights["a"].APIName != "A" || p.AuthType != "jwt" {
		t.Fatalf("%+v", p)
	}
}

func TestLimitsRoundTrip(t *testing.T) {
	tests := []struct {
		in, want catalog.Limits
	}{
		{catalog.Limits{Rate: 10, Per: 60}, catalog.Limits{Rate: 10, Per: 60, QuotaMax: -1, QuotaRenewalRate: -1, ThrottleInterval: -1, ThrottleRetryLimit: -1}},
		{catalog.Limits{Rate: -1, QuotaMax: 5, QuotaRenewalRate: 9, KeyExpiresIn: 30}, catalog.Limits{Rate: -1, Per: -1, QuotaMax: 5, QuotaRenewalRate: 9, ThrottleInterval: -1, ThrottleRetryLimit: -1, KeyExpiresIn: 30}},
		{catalog.Limits{Rate: 1, Per: 1, QuotaMax: -1, ThrottleInterval: 2, ThrottleRetryLimit: 3}, catalog.Limits{Rate: 1, Per: 1, QuotaMax: -1, QuotaRenewalRate: -1, ThrottleInterval: 2, ThrottleRetryLimit: 3}},
	}
	for _, tc := range tests {
		p := &dashboard.Policy{}
		ApplyLimits(p, tc.in)
		if got := LimitsOf(p); got != tc.want {
			t.Errorf("%+v: read back %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestSetAPIsKeepsExistingEntries(t *testing.T) {
	p := &dashboard.Policy{AccessRights: map[string]dashboard.AccessDefinition{
		"a": {APIID: "a", AllowedURLs: []dashboard.AccessSpec{{URL: "/x", Methods: []string{"GET"}}}},
		"b": {APIID: "b"},
	}}
	SetAPIs(p, []catalog.API{{ID: "a", Name: "A"}, {ID: "c", Name: "C"}})
	if len(p.AccessRights) != 2 || len(p.AccessRights["a"].AllowedURLs) != 1 || p.AccessRights["c"].Versions[0] != "Default" {
		t.Fatalf("%+v", p.AccessRights)
	}
}

// The journal's marker field and the one the list decoder keeps are one.
func TestMarkerFieldAgrees(t *testing.T) {
	if catalog.MarkerField != dashboard.OperationMarkerField {
		t.Fatalf("catalog.MarkerField %q != dashboard.OperationMarkerField %q", catalog.MarkerField, dashboard.OperationMarkerField)
	}
}
