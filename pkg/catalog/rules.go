package catalog

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// SetPublished publishes or unpublishes an item. A hidden item cannot be
// published: its policy was not retrieved by the last sync, so consumers
// could not use it. Publishing ends placeholder status (an admin has taken
// the item on).
func (it *Item) SetPublished(kind string, publish bool) error {
	if publish && it.Hidden {
		return fmt.Errorf("%w: %s %d is hidden (its policy was not retrieved by the last sync) and cannot be published; restore the policy's tag in the Dashboard and sync", ErrInvalid, kind, it.ID)
	}
	it.Published = publish
	if publish {
		it.Placeholder = false
	}
	return nil
}

// API is one API of a provider, as a product's rules see it.
type API struct {
	ID       string
	Name     string
	AuthType string
}

// CheckProductAPIs checks that every wanted API exists in the provider and
// that all share one auth method (one credential must work for all of them),
// and returns them in the order given.
func CheckProductAPIs(wanted []string, available []API) ([]API, error) {
	if len(wanted) == 0 {
		return nil, fmt.Errorf("%w: a product needs at least one --api", ErrInvalid)
	}
	byID := make(map[string]API, len(available))
	for _, a := range available {
		byID[a.ID] = a
	}
	var out []API
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
		methods[a.AuthType] = append(methods[a.AuthType], a.ID)
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

// APIRefs returns a product's API list, sorted by id.
func APIRefs(apis []API) []APIRef {
	refs := make([]APIRef, 0, len(apis))
	for _, a := range apis {
		refs = append(refs, APIRef{APIID: a.ID, Name: a.Name})
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].APIID < refs[j].APIID })
	return refs
}

// SetAPIs gives the product its APIs and their (one) auth method.
func (p *Product) SetAPIs(apis []API) {
	p.APIs = APIRefs(apis)
	if len(apis) > 0 {
		p.AuthType = apis[0].AuthType
	}
}

// Limits are a Plan's Dashboard-owned fields. -1 means unlimited (rate,
// per, quota, quota renewal), as in Tyk; KeyExpiresIn 0 means never.
type Limits struct {
	Rate               float64 `json:"rate"`
	Per                float64 `json:"per"`
	QuotaMax           int64   `json:"quota_max"`
	QuotaRenewalRate   int64   `json:"quota_renewal_rate"`
	ThrottleInterval   float64 `json:"throttle_interval"`
	ThrottleRetryLimit int64   `json:"throttle_retry_limit"`
	KeyExpiresIn       int64   `json:"key_expires_in"`
}

// NamedLimit is one limit by its JSON name.
type NamedLimit struct {
	Name  string
	Value any
}

// Named lists the limits by their JSON names, always in the same order:
// every place that compares or shows limits goes through one list, so a
// new limit cannot be forgotten in one of them.
func (l Limits) Named() []NamedLimit {
	return []NamedLimit{
		{"rate", l.Rate}, {"per", l.Per}, {"quota_max", l.QuotaMax}, {"quota_renewal_rate", l.QuotaRenewalRate},
		{"throttle_interval", l.ThrottleInterval}, {"throttle_retry_limit", l.ThrottleRetryLimit}, {"key_expires_in", l.KeyExpiresIn},
	}
}

// LimitChanges lists every limit that differs from old to new, each with
// both values.
func LimitChanges(old, new Limits) []FieldChange {
	var out []FieldChange
	o, n := old.Named(), new.Named()
	for i := range o {
		if o[i].Value != n[i].Value {
			out = append(out, FieldChange{Field: o[i].Name, Old: o[i].Value, New: n[i].Value})
		}
	}
	return out
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

// Normalized returns the limits as a Dashboard policy carries them: Tyk's
// -1 for every part that is unlimited or off.
func (l Limits) Normalized() Limits {
	n := l
	if l.Rate == -1 || !l.HasRate() {
		n.Per = -1
	}
	if !l.HasRate() {
		n.Rate = -1
	}
	if l.QuotaMax == -1 || !l.HasQuota() {
		n.QuotaRenewalRate = -1
	}
	if !l.HasQuota() {
		n.QuotaMax = -1
	}
	if l.ThrottleInterval == 0 {
		n.ThrottleInterval, n.ThrottleRetryLimit = -1, -1
	}
	return n
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
