// Package sync is the synchronisation engine: it turns a provider's
// Dashboard policies into the local catalogue's Products and Plans.
// Compute is pure (policies and local state in, a change list out); the
// Engine fetches, then applies each provider's changes in one transaction.
package sync

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/internal/parallel"
	"github.com/tykportal/tykportal/pkg/policy"
	"github.com/tykportal/tykportal/pkg/provider"
)

// Skip reasons of policies that become neither a Product nor a Plan.
const (
	ReasonInactive        = "inactive"
	ReasonMCPProxy        = "mcp_proxy"
	ReasonPerAPILimits    = "per_api_limits"
	ReasonAccessAndLimits = "access_and_limits"
	ReasonNotPartitioned  = "not_partitioned"
	ReasonNoAPIs          = "no_apis"
	ReasonDuplicateID     = "duplicate_id"
	// ReasonOAuthCombined: the policy tykportal made for OAuth clients of
	// one product and plan (policy.CombinedTag); it is neither.
	ReasonOAuthCombined = "oauth_combined"
)

// ErrMassHide marks a sync refused because it would hide too much.
var ErrMassHide = errors.New("refusing to hide most of the provider's products and plans")

// Local is one provider's current catalogue.
type Local struct {
	Products []catalog.Product
	Plans    []catalog.Plan
}

// Pending is one change a sync will make; Product or Plan is the record after it.
type Pending struct {
	Action  string
	Kind    string
	Product *catalog.Product
	Plan    *catalog.Plan
	Fields  []catalog.FieldChange // for updates and restores: the Dashboard-owned fields that changed
}

// Changeset is the outcome of Compute for one provider: every change a sync
// of it makes, with the counts and skips of its result.
type Changeset struct {
	Provider string
	Fetched  int
	Matched  int
	Changes  []Pending
	Products catalog.ChangeCounts
	Plans    catalog.ChangeCounts
	Skipped  []catalog.SkippedItem
	// MassHide is set when the plan would hide more than half of the
	// provider's visible items (and at least 5).
	MassHide error
}

// classify decides what a retrieved policy becomes: "product", "plan", or
// a skip reason.
func classify(p *dashboard.Policy) string {
	switch {
	case policy.IsCombined(p):
		return ReasonOAuthCombined
	case p.IsInactive || p.State == "deny":
		return ReasonInactive
	}
	for _, ar := range p.AccessRights {
		if ar.IsMCP() {
			return ReasonMCPProxy
		}
	}
	pt := p.Partitions
	switch {
	case pt.PerAPI:
		return ReasonPerAPILimits
	case pt.ACL && (pt.Quota || pt.RateLimit):
		return ReasonAccessAndLimits
	case pt.ACL && len(p.AccessRights) == 0:
		return ReasonNoAPIs
	case pt.ACL:
		return catalog.KindProduct
	case pt.Quota || pt.RateLimit:
		return catalog.KindPlan
	}
	return ReasonNotPartitioned
}

// Compute plans one provider's sync. It is pure and deterministic: the same
// input gives the same change list, in policy id order.
func Compute(p provider.Provider, policies []dashboard.Policy, apis []dashboard.API, local Local, now time.Time) *Changeset {
	now = now.UTC()
	// At most one change per policy and per local item: sized once, as a
	// first sync of 10,000 policies grew the list a dozen times.
	pl := &Changeset{Provider: p.Name, Fetched: len(policies), Skipped: []catalog.SkippedItem{},
		Changes: make([]Pending, 0, len(policies)+len(local.Products)+len(local.Plans))}
	apiByID := make(map[string]dashboard.API, len(apis))
	for _, a := range apis {
		apiByID[a.APIID] = a
	}

	// Retrieved products and plans, in identity order.
	products, plans := make([]retrieved, 0, len(policies)), make([]retrieved, 0, len(policies)/2)
	// In identity order, first come first in a tie (the duplicate rule); the
	// identities are computed once, not in every comparison.
	type keyed struct {
		id  string
		at  int
		pol *dashboard.Policy
	}
	byID := make([]keyed, len(policies))
	for i := range policies {
		byID[i] = keyed{id: policies[i].Identity(), at: i, pol: &policies[i]}
	}
	slices.SortFunc(byID, func(a, b keyed) int {
		if c := strings.Compare(a.id, b.id); c != 0 {
			return c
		}
		return a.at - b.at
	})
	// What each policy becomes depends on it alone: decided on every core
	// (a product's API list was the largest part of the planner).
	judged := make([]retrieved, len(byID))
	_ = parallel.Chunks(len(byID), 1024, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			k := byID[i]
			r := retrieved{id: k.id, pol: k.pol}
			if !provider.MatchesTags(p.PolicyTags, k.pol.Tags) {
				judged[i] = r // kind "": not matched
				continue
			}
			r.kind = classify(k.pol)
			if r.kind == catalog.KindProduct {
				r.apis, r.auth = productAPIs(k.pol, apiByID)
			}
			judged[i] = r
		}
		return nil
	})
	lastID, haveLast := "", false
	for _, r := range judged {
		if r.kind == "" {
			continue
		}
		pl.Matched++
		// Sorted by identity, a duplicate follows the policy it repeats.
		if haveLast && r.id == lastID {
			pl.Skipped = append(pl.Skipped, catalog.SkippedItem{PolicyID: r.id, Name: r.pol.Name, Reason: ReasonDuplicateID})
			continue
		}
		lastID, haveLast = r.id, true
		switch r.kind {
		case catalog.KindProduct:
			products = append(products, r)
		case catalog.KindPlan:
			plans = append(plans, r)
		default:
			pl.Skipped = append(pl.Skipped, catalog.SkippedItem{PolicyID: r.id, Name: r.pol.Name, Reason: r.kind})
		}
	}

	visible := 0
	for _, x := range local.Products {
		if !x.Hidden {
			visible++
		}
	}
	for _, x := range local.Plans {
		if !x.Hidden {
			visible++
		}
	}

	pl.planProducts(products, local.Products, now)
	pl.planPlans(plans, local.Plans, now)

	hiding := pl.Products.Hidden + pl.Plans.Hidden
	if hiding >= 5 && hiding*2 > visible {
		pl.MassHide = massHideError(p, hiding, visible, pl.Fetched, pl.Matched)
	}
	return pl
}

// retrieved is a policy the sync keeps, with its identity, what it
// becomes (a kind or a skip reason) and, for a product, its APIs.
type retrieved struct {
	id   string
	pol  *dashboard.Policy
	kind string
	apis []catalog.APIRef
	auth string
}

func massHideError(p provider.Provider, hiding, visible, fetched, matched int) error {
	var cause string
	switch {
	case fetched == 0:
		cause = "the Dashboard answered with no policies at all (wrong org id, or a user that sees nothing?)"
	case matched == 0 && len(p.PolicyTags) > 0:
		cause = fmt.Sprintf("none of the %d policies carries the tags %s (a tag typo?)", fetched, strings.Join(p.PolicyTags, ","))
	case len(p.PolicyTags) > 0:
		cause = fmt.Sprintf("only %d of %d policies carry the tags %s (a tag typo, or the wrong org id %q?)", matched, fetched, strings.Join(p.PolicyTags, ","), p.OrgID)
	default:
		cause = fmt.Sprintf("most policies are gone from the Dashboard (the wrong org id %q, or another Dashboard at this URL?)", p.OrgID)
	}
	return fmt.Errorf("%w: it would hide %d of %d visible products and plans: %s; check, then run again with --allow-mass-hide if it is right", ErrMassHide, hiding, visible, cause)
}

func productAPIs(pol *dashboard.Policy, apiByID map[string]dashboard.API) ([]catalog.APIRef, string) {
	refs := make([]catalog.APIRef, 0, len(pol.AccessRights))
	auth := ""
	for _, id := range sortedKeys(pol.AccessRights) {
		ar := pol.AccessRights[id]
		apiID := ar.APIID
		if apiID == "" {
			apiID = id
		}
		name := ar.APIName
		if a, ok := apiByID[apiID]; ok {
			name = a.Name
			if auth == "" {
				auth = a.AuthType
			}
		}
		if name == "" {
			name = apiID
		}
		refs = append(refs, catalog.APIRef{APIID: apiID, Name: name})
	}
	if auth == "" {
		auth = pol.AuthType
	}
	return refs, auth
}

// hide: hidden and unpublished, the publish state remembered for a restore.
// Products and Plans follow this one rule, and settle's.
func hide(it *catalog.Item, h *catalog.History, now time.Time) {
	it.Hidden, it.HiddenSince = true, &now
	h.PublishedBeforeHide, it.Published = it.Published, false
	h.UpdatedAt = now
}

// settle applies a retrieved, known item's sync and returns its action: a
// restore when it was hidden (with the publish state it had before), an
// update when Dashboard-owned fields changed, else "" (nothing to write).
func settle(it *catalog.Item, h *catalog.History, changed bool, now time.Time) string {
	action := catalog.ActionUpdate
	switch {
	case it.Hidden:
		it.Hidden, it.HiddenSince, it.Published = false, nil, h.PublishedBeforeHide
		h.PublishedBeforeHide = false
		action = catalog.ActionRestore
	case !changed:
		return ""
	}
	h.UpdatedAt, h.LastSyncedAt = now, &now
	return action
}

// matcher finds the local item of a retrieved policy: by identity, else by
// database _id (the reference portal confused the two when a custom id was
// set later: it is the same policy, so the same item). Each local item
// matches at most once.
type matcher struct {
	byID, byMID map[string]int
	matched     []bool
}

func newMatcher(n int, keys func(i int) (id, mid string)) *matcher {
	m := &matcher{byID: make(map[string]int, n), byMID: make(map[string]int, n), matched: make([]bool, n)}
	for i := 0; i < n; i++ {
		id, mid := keys(i)
		m.byID[id] = i
		if mid != "" {
			m.byMID[mid] = i
		}
	}
	return m
}

func (m *matcher) match(id, mid string) (int, bool) {
	i, ok := m.byID[id]
	if !ok {
		i, ok = m.byMID[mid]
	}
	if !ok || m.matched[i] {
		return 0, false
	}
	m.matched[i] = true
	return i, true
}

func (pl *Changeset) record(action, kind string, prod *catalog.Product, plan *catalog.Plan, fields []catalog.FieldChange) {
	counts := &pl.Products
	if kind == catalog.KindPlan {
		counts = &pl.Plans
	}
	switch action {
	case catalog.ActionCreate:
		counts.Created++
	case catalog.ActionUpdate:
		counts.Updated++
	case catalog.ActionRestore:
		counts.Restored++
	case catalog.ActionHide:
		counts.Hidden++
	default:
		counts.Unchanged++
		return
	}
	pl.Changes = append(pl.Changes, Pending{Action: action, Kind: kind, Product: prod, Plan: plan, Fields: fields})
}

// retarget moves an item to the policy's current identity.
func retarget(policyID, policyMID *string, id, mid string, fields []catalog.FieldChange) []catalog.FieldChange {
	if *policyID != id || *policyMID != mid {
		fields = append(fields, catalog.FieldChange{Field: "policy_id", Old: *policyID, New: id})
		*policyID, *policyMID = id, mid
	}
	return fields
}

// apiIDs are the ids of a product's APIs, as a field change shows them.
func apiIDs(apis []catalog.APIRef) []string {
	ids := make([]string, len(apis))
	for i, a := range apis {
		ids[i] = a.APIID
	}
	return ids
}

func (pl *Changeset) planProducts(kept []retrieved, local []catalog.Product, now time.Time) {
	m := newMatcher(len(local), func(i int) (string, string) { return local[i].PolicyID, local[i].PolicyMID })
	for _, r := range kept {
		id, pol, apis, auth := r.id, r.pol, r.apis, r.auth
		i, ok := m.match(id, pol.MID)
		if !ok {
			prod := catalog.Product{
				Item:     catalog.Item{Provider: pl.Provider, PolicyID: id, PolicyMID: pol.MID, Name: pol.Name, Placeholder: true},
				AuthType: auth, APIs: apis,
				History: catalog.History{CreatedAt: now, UpdatedAt: now, LastSyncedAt: &now},
			}
			pl.record(catalog.ActionCreate, catalog.KindProduct, &prod, nil, nil)
			continue
		}
		prod := local[i]
		fields := retarget(&prod.PolicyID, &prod.PolicyMID, id, pol.MID, nil)
		if prod.Name != pol.Name {
			fields = append(fields, catalog.FieldChange{Field: "name", Old: prod.Name, New: pol.Name})
			prod.Name = pol.Name
		}
		if !slices.Equal(prod.APIs, apis) {
			fields = append(fields, catalog.FieldChange{Field: "apis", Old: apiIDs(prod.APIs), New: apiIDs(apis)})
			prod.APIs = apis
		}
		if prod.AuthType != auth {
			fields = append(fields, catalog.FieldChange{Field: "auth_type", Old: prod.AuthType, New: auth})
			prod.AuthType = auth
		}
		action := settle(&prod.Item, &prod.History, len(fields) > 0, now)
		pl.record(action, catalog.KindProduct, &prod, nil, fields)
	}
	for i, x := range local {
		if m.matched[i] || x.Hidden {
			continue
		}
		prod := x
		hide(&prod.Item, &prod.History, now)
		pl.record(catalog.ActionHide, catalog.KindProduct, &prod, nil, nil)
	}
}

func (pl *Changeset) planPlans(kept []retrieved, local []catalog.Plan, now time.Time) {
	m := newMatcher(len(local), func(i int) (string, string) { return local[i].PolicyID, local[i].PolicyMID })
	for _, r := range kept {
		id, pol := r.id, r.pol
		limits := policy.LimitsOf(pol)
		i, ok := m.match(id, pol.MID)
		if !ok {
			plan := catalog.Plan{
				Item:    catalog.Item{Provider: pl.Provider, PolicyID: id, PolicyMID: pol.MID, Name: pol.Name, Placeholder: true},
				Limits:  limits,
				History: catalog.History{CreatedAt: now, UpdatedAt: now, LastSyncedAt: &now},
			}
			pl.record(catalog.ActionCreate, catalog.KindPlan, nil, &plan, nil)
			continue
		}
		plan := local[i]
		fields := retarget(&plan.PolicyID, &plan.PolicyMID, id, pol.MID, nil)
		if plan.Name != pol.Name {
			fields = append(fields, catalog.FieldChange{Field: "name", Old: plan.Name, New: pol.Name})
			plan.Name = pol.Name
		}
		fields = append(fields, limitChanges(plan.Limits, limits)...)
		plan.Limits = limits
		action := settle(&plan.Item, &plan.History, len(fields) > 0, now)
		pl.record(action, catalog.KindPlan, nil, &plan, fields)
	}
	for i, x := range local {
		if m.matched[i] || x.Hidden {
			continue
		}
		plan := x
		hide(&plan.Item, &plan.History, now)
		pl.record(catalog.ActionHide, catalog.KindPlan, nil, &plan, nil)
	}
}

// limitChanges names every limit that differs: all of them count, so a
// change of only key_expires_in is not missed (a reference portal bug).
func limitChanges(a, b catalog.Limits) []catalog.FieldChange {
	var f []catalog.FieldChange
	add := func(field string, was, now any) {
		if was != now {
			f = append(f, catalog.FieldChange{Field: field, Old: was, New: now})
		}
	}
	add("rate", a.Rate, b.Rate)
	add("per", a.Per, b.Per)
	add("quota_max", a.QuotaMax, b.QuotaMax)
	add("quota_renewal_rate", a.QuotaRenewalRate, b.QuotaRenewalRate)
	add("throttle_interval", a.ThrottleInterval, b.ThrottleInterval)
	add("throttle_retry_limit", a.ThrottleRetryLimit, b.ThrottleRetryLimit)
	add("key_expires_in", a.KeyExpiresIn, b.KeyExpiresIn)
	return f
}

// Result is the plan as a sync result (ids of creates are filled by Apply).
func (pl *Changeset) Result() catalog.SyncResult {
	r := catalog.SyncResult{
		Provider: pl.Provider, Status: catalog.SyncOK, PoliciesFetched: pl.Fetched, PoliciesMatched: pl.Matched,
		Products: pl.Products, Plans: pl.Plans, Skipped: pl.Skipped, Changes: make([]catalog.Change, 0, len(pl.Changes)),
	}
	for _, c := range pl.Changes {
		ch := catalog.Change{Action: c.Action, Kind: c.Kind, Fields: c.Fields}
		var id uint64
		if c.Product != nil {
			id, ch.PolicyID, ch.Name = c.Product.ID, c.Product.PolicyID, c.Product.Name
		} else {
			id, ch.PolicyID, ch.Name = c.Plan.ID, c.Plan.PolicyID, c.Plan.Name
		}
		if id != 0 {
			ch.ID = &id
		}
		r.Changes = append(r.Changes, ch)
	}
	return r
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
