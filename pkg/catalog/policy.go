package catalog

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/tykportal/tykportal/pkg/dashboard"
)

// CheckProductAPIs checks that every wanted API exists in the provider and
// that all share one auth method (one credential must work for all of them),
// and returns them in the order given.
func CheckProductAPIs(wanted []string, available []dashboard.API) ([]dashboard.API, error) {
	if len(wanted) == 0 {
		return nil, fmt.Errorf("%w: a product needs at least one --api", ErrInvalid)
	}
	byID := make(map[string]dashboard.API, len(available))
	for _, a := range available {
		byID[a.APIID] = a
	}
	var out []dashboard.API
	var missing []string
	seen := map[string]bool{}
	for _, id := range wanted {
		if seen[id] {
			return nil, fmt.Errorf("%w: API %q is listed twice", ErrInvalid, id)
		}
		seen[id] = true
		a, ok := byID[id]
		if !ok {
			missing = append(missing, id)
			continue
		}
		out = append(out, a)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: the provider has no API %s (see `tykportal apis list --provider ...`)", ErrInvalid, strings.Join(quoteAll(missing), ", "))
	}
	methods := map[string][]string{}
	for _, a := range out {
		methods[a.AuthType] = append(methods[a.AuthType], a.APIID)
	}
	if len(methods) > 1 {
		var parts []string
		for m, ids := range methods {
			parts = append(parts, fmt.Sprintf("%s uses %s", strings.Join(ids, ", "), m))
		}
		sort.Strings(parts)
		return nil, fmt.Errorf("%w: every API of a product must use the same auth method, but %s", ErrInvalid, strings.Join(parts, "; "))
	}
	return out, nil
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

// ProductPolicy builds the access policy behind a new Product: partitioned
// to access rights only, granting the APIs, tagged with the provider's tags
// so the next sync keeps it.
func ProductPolicy(name, orgID string, tags []string, apis []dashboard.API) *dashboard.Policy {
	p := &dashboard.Policy{
		Name: name, OrgID: orgID, Active: true, State: "active",
		Tags:         append([]string{}, tags...),
		Partitions:   dashboard.Partitions{ACL: true},
		MetaData:     map[string]any{},
		AccessRights: map[string]dashboard.AccessDefinition{},
		Rate:         -1, Per: -1, QuotaMax: -1, QuotaRenewalRate: -1, ThrottleInterval: -1, ThrottleRetryLimit: -1,
	}
	SetPolicyAPIs(p, apis)
	return p
}

// SetPolicyAPIs replaces a policy's access rights by apis, keeping the
// existing entry (with its path-based permissions and versions) of every API
// that stays.
func SetPolicyAPIs(p *dashboard.Policy, apis []dashboard.API) {
	next := make(map[string]dashboard.AccessDefinition, len(apis))
	for _, a := range apis {
		if cur, ok := p.AccessRights[a.APIID]; ok {
			cur.APIName = a.Name
			next[a.APIID] = cur
			continue
		}
		next[a.APIID] = dashboard.AccessDefinition{APIID: a.APIID, APIName: a.Name, Versions: []string{"Default"}}
	}
	p.AccessRights = next
	if len(apis) > 0 {
		p.AuthType = apis[0].AuthType
	}
}

// Limits are a Plan's Dashboard-owned fields. -1 means unlimited (rate,
// per, quota, quota renewal), as in Tyk; KeyExpiresIn 0 means never.
type Limits struct {
	Rate               float64
	Per                float64
	QuotaMax           int64
	QuotaRenewalRate   int64
	ThrottleInterval   float64
	ThrottleRetryLimit int64
	KeyExpiresIn       int64
}

// LimitsOf returns a plan's limits.
func LimitsOf(p Plan) Limits {
	return Limits{p.Rate, p.Per, p.QuotaMax, p.QuotaRenewalRate, p.ThrottleInterval, p.ThrottleRetryLimit, p.KeyExpiresIn}
}

// HasRate reports whether the limits set a rate (a number or unlimited).
func (l Limits) HasRate() bool { return l.Rate != 0 }

// HasQuota reports whether the limits set a quota (a number or unlimited).
func (l Limits) HasQuota() bool { return l.QuotaMax != 0 }

// Validate checks that the limits make a sensible plan.
func (l Limits) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	for _, f := range []float64{l.Rate, l.Per, l.ThrottleInterval} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return bad("limits must be finite numbers")
		}
	}
	switch {
	case !l.HasRate() && !l.HasQuota():
		return bad("a plan needs a rate limit (--rate and --per, or --unlimited-rate) or a quota (--quota and --quota-period, or --unlimited-quota)")
	case l.Rate < 0 && l.Rate != -1:
		return bad("--rate must be positive (or -1 for unlimited)")
	case l.Rate > 0 && l.Per <= 0:
		return bad("--per must be a positive number of seconds when --rate is set")
	case l.Rate == 0 && l.Per > 0:
		return bad("--per needs --rate")
	case l.QuotaMax < 0 && l.QuotaMax != -1:
		return bad("--quota must be positive (or -1 for unlimited)")
	case l.QuotaMax > 0 && l.QuotaRenewalRate <= 0:
		return bad("--quota-period must be a positive number of seconds when --quota is set")
	case l.QuotaMax == 0 && l.QuotaRenewalRate > 0:
		return bad("--quota-period needs --quota")
	case l.ThrottleInterval < 0 && l.ThrottleInterval != -1:
		return bad("--throttle-interval must be positive")
	case l.ThrottleRetryLimit < 0 && l.ThrottleRetryLimit != -1:
		return bad("--throttle-retries must be positive")
	case l.ThrottleInterval > 0 && l.ThrottleRetryLimit <= 0:
		return bad("--throttle-retries must be positive when --throttle-interval is set")
	case l.ThrottleRetryLimit > 0 && l.ThrottleInterval <= 0:
		return bad("--throttle-interval must be positive when --throttle-retries is set")
	case l.ThrottleInterval > 0 && !l.HasRate():
		return bad("throttling applies to the rate limit: set --rate and --per too")
	case l.KeyExpiresIn < 0:
		return bad("--key-expires must be a positive number of seconds (0 or -1: keys never expire)")
	}
	return nil
}

// ApplyLimits writes limits onto a policy and partitions it as a Plan:
// rate limit and/or quota, never access.
func ApplyLimits(p *dashboard.Policy, l Limits) {
	p.Rate, p.Per = l.Rate, l.Per
	if l.Rate == -1 {
		p.Per = -1
	}
	if !l.HasRate() {
		p.Rate, p.Per = -1, -1
	}
	p.QuotaMax, p.QuotaRenewalRate = l.QuotaMax, l.QuotaRenewalRate
	if l.QuotaMax == -1 {
		p.QuotaRenewalRate = -1
	}
	if !l.HasQuota() {
		p.QuotaMax, p.QuotaRenewalRate = -1, -1
	}
	p.ThrottleInterval, p.ThrottleRetryLimit = l.ThrottleInterval, l.ThrottleRetryLimit
	if l.ThrottleInterval == 0 {
		p.ThrottleInterval, p.ThrottleRetryLimit = -1, -1
	}
	p.KeyExpiresIn = l.KeyExpiresIn
	p.Partitions.ACL = false
	p.Partitions.PerAPI = false
	p.Partitions.RateLimit = l.HasRate()
	p.Partitions.Quota = l.HasQuota()
}

// PlanPolicy builds the limit policy behind a new Plan.
func PlanPolicy(name, orgID string, tags []string, l Limits) *dashboard.Policy {
	p := &dashboard.Policy{
		Name: name, OrgID: orgID, Active: true, State: "active",
		Tags:         append([]string{}, tags...),
		MetaData:     map[string]any{},
		AccessRights: map[string]dashboard.AccessDefinition{},
	}
	ApplyLimits(p, l)
	return p
}

// PlanLimitsFromPolicy reads back the limits a policy carries, as sync stores them.
func PlanLimitsFromPolicy(p *dashboard.Policy) Limits {
	return Limits{p.Rate, p.Per, p.QuotaMax, p.QuotaRenewalRate, p.ThrottleInterval, p.ThrottleRetryLimit, p.KeyExpiresIn}
}

// SetLimits copies limits onto a plan record.
func (p *Plan) SetLimits(l Limits) {
	p.Rate, p.Per, p.QuotaMax, p.QuotaRenewalRate = l.Rate, l.Per, l.QuotaMax, l.QuotaRenewalRate
	p.ThrottleInterval, p.ThrottleRetryLimit, p.KeyExpiresIn = l.ThrottleInterval, l.ThrottleRetryLimit, l.KeyExpiresIn
}

// APIRefs returns a product's API list from Dashboard APIs, sorted by id.
func APIRefs(apis []dashboard.API) []APIRef {
	refs := make([]APIRef, 0, len(apis))
	for _, a := range apis {
		refs = append(refs, APIRef{APIID: a.APIID, Name: a.Name})
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].APIID < refs[j].APIID })
	return refs
}

// ValidateText checks a free-text field from the command line.
func ValidateText(flag, s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalid, flag, max)
	}
	for _, r := range s {
		if r == '\uFFFD' || (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("%w: %s contains control characters or invalid UTF-8", ErrInvalid, flag)
		}
	}
	return nil
}

// ValidateLine checks a one-line text field (it may be empty).
func ValidateLine(flag, s string, max int) error {
	if strings.ContainsAny(s, "\n\r\t") {
		return fmt.Errorf("%w: %s must be one line", ErrInvalid, flag)
	}
	return ValidateText(flag, s, max)
}

// ValidateName checks a product or plan name (it becomes the policy name).
func ValidateName(flag, s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalid, flag)
	}
	return ValidateLine(flag, s, 200)
}
