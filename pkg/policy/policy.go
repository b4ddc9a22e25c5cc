// Package policy translates between the catalogue and the Tyk Dashboard
// policies behind it: it builds the policy of a new Product or Plan, applies
// an edit to a fetched policy (touching only the fields tykportal owns), and
// reads a Plan's limits back from a policy.
package policy

import (
	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
)

// APIs converts the Dashboard's API list to what the catalogue's rules need.
func APIs(list []dashboard.API) []catalog.API {
	out := make([]catalog.API, len(list))
	for i, a := range list {
		out[i] = catalog.API{ID: a.APIID, Name: a.Name, AuthType: a.AuthType}
	}
	return out
}

// ForProduct builds the access policy behind a new Product: partitioned to
// access rights only, granting the APIs, tagged with the provider's tags so
// the next sync keeps it.
func ForProduct(name, orgID string, tags []string, apis []catalog.API) *dashboard.Policy {
	p := newPolicy(name, orgID, tags)
	p.Partitions = dashboard.Partitions{ACL: true}
	p.Rate, p.Per, p.QuotaMax, p.QuotaRenewalRate, p.ThrottleInterval, p.ThrottleRetryLimit = -1, -1, -1, -1, -1, -1
	SetAPIs(p, apis)
	return p
}

// ForPlan builds the limit policy behind a new Plan.
func ForPlan(name, orgID string, tags []string, l catalog.Limits) *dashboard.Policy {
	p := newPolicy(name, orgID, tags)
	ApplyLimits(p, l)
	return p
}

func newPolicy(name, orgID string, tags []string) *dashboard.Policy {
	return &dashboard.Policy{
		Name: name, OrgID: orgID, Active: true, State: "active",
		Tags:         append([]string{}, tags...),
		MetaData:     map[string]any{},
		AccessRights: map[string]dashboard.AccessDefinition{},
	}
}

// SetAPIs replaces a policy's access rights by apis, keeping the existing
// entry (with its path-based permissions, versions and limits) of every API
// that stays.
func SetAPIs(p *dashboard.Policy, apis []catalog.API) {
	next := make(map[string]dashboard.AccessDefinition, len(apis))
	for _, a := range apis {
		if cur, ok := p.AccessRights[a.ID]; ok {
			cur.APIName = a.Name
			next[a.ID] = cur
			continue
		}
		next[a.ID] = dashboard.AccessDefinition{APIID: a.ID, APIName: a.Name, Versions: []string{"Default"}}
	}
	p.AccessRights = next
	if len(apis) > 0 {
		p.AuthType = apis[0].AuthType
	}
}

// ApplyLimits writes limits onto a policy and partitions it as a Plan: rate
// limit and/or quota, never access.
func ApplyLimits(p *dashboard.Policy, l catalog.Limits) {
	n := l.Normalized()
	p.Rate, p.Per = n.Rate, n.Per
	p.QuotaMax, p.QuotaRenewalRate = n.QuotaMax, n.QuotaRenewalRate
	p.ThrottleInterval, p.ThrottleRetryLimit = n.ThrottleInterval, n.ThrottleRetryLimit
	p.KeyExpiresIn = n.KeyExpiresIn
	p.Partitions.ACL = false
	p.Partitions.PerAPI = false
	p.Partitions.RateLimit = l.HasRate()
	p.Partitions.Quota = l.HasQuota()
}

// LimitsOf reads back the limits a policy carries, as sync stores them.
func LimitsOf(p *dashboard.Policy) catalog.Limits {
	return catalog.Limits{
		Rate: p.Rate, Per: p.Per, QuotaMax: p.QuotaMax, QuotaRenewalRate: p.QuotaRenewalRate,
		ThrottleInterval: p.ThrottleInterval, ThrottleRetryLimit: p.ThrottleRetryLimit, KeyExpiresIn: p.KeyExpiresIn,
	}
}
