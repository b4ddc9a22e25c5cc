package policy

import (
	"maps"
	"strings"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
)

// A Tyk OAuth client names exactly one policy (policy_id), and the gateway
// builds every token's session from that one policy alone. A key can apply
// a product's access policy and a plan's limit policy together; an OAuth
// client cannot. So an OAuth credential is bound to a combined policy: the
// product's access rights and the plan's limits in one unpartitioned policy,
// one per product and plan, shared by every OAuth client of that pair.

// CombinedTag marks a combined OAuth policy. Sync never imports a policy
// carrying it as a Product or Plan (skip reason oauth_combined).
const CombinedTag = "tykportal-oauth-combined"

// pairTagPrefix starts the tag naming a combined policy's product and plan
// policies: "tykportal-oauth:PRODUCT+PLAN" with their identities. A tag,
// not meta_data, because policy lists keep tags.
const pairTagPrefix = "tykportal-oauth:"

// Meta data fields of a combined policy: the identities of the product's
// and the plan's policies it combines (for people reading the Dashboard).
const (
	CombinedProductField = "tykportal_oauth_product"
	CombinedPlanField    = "tykportal_oauth_plan"
)

// PairTag is the tag of the combined policy of a product and a plan policy.
func PairTag(productIdentity, planIdentity string) string {
	return pairTagPrefix + productIdentity + "+" + planIdentity
}

// IsCombined reports whether a policy is a combined OAuth policy.
func IsCombined(p *dashboard.Policy) bool {
	for _, t := range p.Tags {
		if t == CombinedTag {
			return true
		}
	}
	return false
}

// CombinedPair returns the product and plan policy identities a combined
// policy names in its pair tag.
func CombinedPair(p *dashboard.Policy) (product, plan string, ok bool) {
	if !IsCombined(p) {
		return "", "", false
	}
	for _, t := range p.Tags {
		if rest, found := strings.CutPrefix(t, pairTagPrefix); found {
			product, plan, ok = strings.Cut(rest, "+")
			return product, plan, ok
		}
	}
	return "", "", false
}

// CombinedName is the name of the combined policy of a product and a plan.
func CombinedName(productName, planName string) string {
	return productName + " + " + planName + " (tykportal OAuth)"
}

// ForOAuth builds the combined policy of a product's live policy and a
// plan's limits, tagged with the provider's tags (so every tykportal of the
// provider sees it, and skips it), CombinedTag and its pair tag.
func ForOAuth(product *dashboard.Policy, productName, planName, planIdentity, orgID string, tags []string, l catalog.Limits) *dashboard.Policy {
	p := newPolicy(CombinedName(productName, planName), orgID, tags)
	p.Tags = append(p.Tags, CombinedTag, PairTag(product.Identity(), planIdentity))
	p.MetaData[CombinedProductField] = product.Identity()
	p.MetaData[CombinedPlanField] = planIdentity
	SetCombinedAccess(p, product)
	SetCombinedLimits(p, l)
	return p
}

// SetCombinedAccess copies a product policy's access rights (path-based
// permissions, versions and all) onto a combined policy.
func SetCombinedAccess(p, product *dashboard.Policy) {
	p.AccessRights = maps.Clone(product.AccessRights)
	if p.AccessRights == nil {
		p.AccessRights = map[string]dashboard.AccessDefinition{}
	}
	p.AuthType = product.AuthType
}

// SetCombinedLimits writes a plan's limits onto a combined policy. It is not
// partitioned: the gateway then applies all of it, access and limits.
func SetCombinedLimits(p *dashboard.Policy, l catalog.Limits) {
	ApplyLimits(p, l)
	p.Partitions = dashboard.Partitions{}
}
