package portal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/policy"
	"github.com/tykportal/tykportal/pkg/progress"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// Planning what `apply` does with a catalogue document: per provider, the
// changes that make the local catalogue and the Dashboard match the file.
// `diff` prints the plan; `apply` carries it out. The plan is computed from
// the file, the state and the Dashboard as they are now, with nothing
// written; every input error (an API that cannot be mapped, mixed auth
// methods, a policy of the wrong kind) is found here, before any write.

// Change actions.
const (
	ActionCreateProvider = "create-provider" // the provider is added to the state (secret from the environment)
	ActionCreate         = "create"          // a new policy and its local record
	ActionAdopt          = "adopt"           // a local record for a policy the Dashboard has
	ActionUpdate         = "update"          // fields of the policy and/or the local record
	ActionPublish        = "publish"
	ActionUnpublish      = "unpublish"
	ActionDeletePolicy   = "delete-policy" // --prune: the policy and the local record are deleted
)

// Change statuses in an apply result.
const (
	StatusApplied    = "applied"
	StatusFailed     = "failed"
	StatusNotApplied = "not_applied"
)

// ApplyOptions are `diff` and `apply`.
type ApplyOptions struct {
	File string      // for messages
	Doc  *CatalogDoc // the parsed document
	// ProviderMap applies the file's provider SRC to the local provider DST.
	ProviderMap map[string]string
	// APIMap maps an API id of the file to one of the target Dashboard.
	APIMap map[string]string
	Prune  bool // delete the items of the file's providers and kinds that it does not list
	Force  bool // overwrite policies changed in the Dashboard since the export
	DryRun bool
	// Confirm is asked, with the deletes listed, before anything is written
	// when the plan deletes; an error stops the apply.
	Confirm func(deletes []Change) error
	// Progress hears each provider's stage (reading the Dashboard,
	// planning, change i of n); nil: nobody.
	Progress progress.Reporter
}

// Plan is what diff prints and apply returns: the changes per provider and,
// after an apply, what became of each.
type Plan struct {
	DryRun    bool           `json:"dry_run"`
	Pending   int            `json:"changes_pending"`
	Applied   int            `json:"changes_applied"`
	Providers []ProviderPlan `json:"providers"`
}

// ProviderPlan is the changes of one target provider.
type ProviderPlan struct {
	Provider string   `json:"provider"`
	Source   string   `json:"source"` // the file's provider name
	Changes  []Change `json:"changes"`

	p      provider.Provider
	c      *dashboard.Client
	create bool // the provider is added first
	steps  []*itemStep
}

// Change is one change of one item. Fields say, field by field, what it
// changes (old is null for a create).
type Change struct {
	Action   string        `json:"action"`
	Kind     string        `json:"kind"` // product, plan or provider
	Key      string        `json:"key"`
	Name     string        `json:"name"`
	ID       *uint64       `json:"id"` // local id; null when the record is new
	PolicyID string        `json:"policy_id"`
	Fields   []FieldChange `json:"fields"`
	// Conflict says why the policy counts as changed in the Dashboard since
	// the export ("" when it does not); apply refuses it unless --force.
	Conflict string `json:"conflict,omitempty"`
	Status   string `json:"status,omitempty"`
	Error    string `json:"error,omitempty"`
}

// FieldChange is one field's old and new value.
type FieldChange struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// itemStep is what apply does for one item: at most one Dashboard write
// (create, or a patch of the policy) and one local write, or a delete.
type itemStep struct {
	kind    repo.ItemKind
	changes []int // indexes into the provider's Changes

	// desired
	name, displayName, description string
	published                      bool
	apis                           []catalog.API
	limits                         catalog.Limits
	tags                           []string

	product *catalog.Product // the local record, when there is one
	plan    *catalog.Plan
	live    *dashboard.Policy // the policy, when the Dashboard has it
	remote  bool              // the policy's fields change
	delete  uint64            // --prune: delete this local item
}

// Diff plans an apply of the document and writes nothing.
func (s *Service) Diff(ctx context.Context, o ApplyOptions) (*Plan, error) {
	o.DryRun = true
	return s.plan(ctx, o)
}

// plan computes the changes; input errors of the whole file are reported
// together, before anything is written.
func (s *Service) plan(ctx context.Context, o ApplyOptions) (*Plan, error) {
	doc := o.Doc
	pl := &Plan{DryRun: o.DryRun, Providers: []ProviderPlan{}}
	inFile := map[string]bool{}
	for _, pd := range doc.Providers {
		inFile[pd.Name] = true
	}
	targets := map[string]string{}
	for src, dst := range o.ProviderMap {
		if !inFile[src] {
			return nil, fmt.Errorf("%w: --provider-map %s=%s: the file has no provider %q", catalog.ErrInvalid, src, dst, src)
		}
		if err := provider.ValidateName(dst); err != nil {
			return nil, fmt.Errorf("--provider-map %s=%s: %w", src, dst, err)
		}
	}
	var errs []string
	for _, pd := range doc.Providers {
		dst := pd.Name
		if m, ok := o.ProviderMap[pd.Name]; ok {
			dst = m
		}
		if other, dup := targets[dst]; dup {
			return nil, fmt.Errorf("%w: providers %q and %q of the file both apply to provider %q; map them to different providers", catalog.ErrInvalid, other, pd.Name, dst)
		}
		targets[dst] = pd.Name
		pp, perrs, err := s.planProvider(ctx, o, pd, dst)
		if err != nil {
			return nil, err
		}
		errs = append(errs, perrs...)
		pl.Providers = append(pl.Providers, *pp)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %s; nothing was changed", catalog.ErrInvalid, strings.Join(errs, "; "))
	}
	sort.SliceStable(pl.Providers, func(i, j int) bool { return pl.Providers[i].Provider < pl.Providers[j].Provider })
	for _, pp := range pl.Providers {
		pl.Pending += len(pp.Changes)
	}
	return pl, nil
}

func (s *Service) planProvider(ctx context.Context, o ApplyOptions, pd ProviderDoc, dst string) (*ProviderPlan, []string, error) {
	pp := &ProviderPlan{Provider: dst, Source: pd.Name, Changes: []Change{}}
	promoted := dst != pd.Name
	p, err := s.Provider(ctx, dst)
	switch {
	case err == nil:
		if pp.c, err = s.client(ctx, p); err != nil {
			return nil, nil, err
		}
	case errors.Is(err, provider.ErrUnknown) && !promoted:
		sec, ok := s.Secrets.FromEnv(pd.Name)
		if !ok {
			return nil, nil, fmt.Errorf("%w %q: add it first (`tykportal provider add %s --url %s`), or set TYKPORTAL_SECRET_... for it so that apply adds it from the file", provider.ErrUnknown, pd.Name, pd.Name, pd.URL)
		}
		// As provider add: a name whose secret variable another provider's
		// name maps to (prod-1, prod_1) would take that provider's secret.
		if err := s.checkNameFree(ctx, pd.Name); err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", o.File, pd.line, err)
		}
		p = provider.Provider{Name: pd.Name, Type: pd.Type, URL: pd.URL, GatewayURL: pd.GatewayURL, OrgID: pd.OrgID,
			PolicyTags: sortedSet(pd.PolicyTags), InsecureSkipVerify: pd.InsecureSkipVerify, CAFile: pd.CAFile,
			SecretSource: "env", Status: provider.StatusUnknown, CreatedAt: s.now().Truncate(1e9)}
		if p.Type == "" {
			p.Type = provider.TypeTykPro
		}
		if p.URL == "" {
			return nil, nil, fmt.Errorf("%w: %s:%d: provider %q has no url", catalog.ErrInvalid, o.File, pd.line, pd.Name)
		}
		if pp.c, err = s.newClient(p, sec); err != nil {
			return nil, nil, err
		}
		pp.create = true
		pp.Changes = append(pp.Changes, Change{Action: ActionCreateProvider, Kind: "provider", Key: p.Name, Name: p.Name,
			Fields: []FieldChange{{"url", nil, p.URL}, {"org_id", nil, p.OrgID}, {"policy_tags", nil, p.PolicyTags}}})
	default:
		if promoted && errors.Is(err, provider.ErrUnknown) {
			return nil, nil, fmt.Errorf("--provider-map %s=%s: %w (add it first with `tykportal provider add %s ...`)", pd.Name, dst, err, dst)
		}
		return nil, nil, err
	}
	pp.p = p

	var products []catalog.Product
	var plans []catalog.Plan
	if !pp.create {
		err = s.view(ctx, func(tx store.Tx) error {
			var err error
			if products, err = repo.ListProducts(tx, p.Name, catalog.AllItems); err != nil {
				return err
			}
			plans, err = repo.ListPlans(tx, p.Name, catalog.AllItems)
			return err
		})
		if err != nil && !isNoState(err) {
			return nil, nil, err
		}
	}
	report := progress.Or(o.Progress)
	report.Report(p.Name, "reading the Dashboard")
	live, err := pp.c.ListPolicies(ctx)
	if err != nil {
		return nil, nil, remote(fmt.Errorf("list the policies of provider %q: %w", p.Name, err))
	}
	report.Report(p.Name, progress.Count(len(live))+" policies decoded; planning")
	byMID := map[string]*dashboard.Policy{}
	byName := map[string]*dashboard.Policy{}
	for i := range live {
		byMID[live[i].MID] = &live[i]
		byName[live[i].Name] = &live[i]
	}
	var apis []dashboard.API
	if len(deref(pd.Products)) > 0 {
		if apis, err = providerAPIs(ctx, pp.c, p); err != nil {
			return nil, nil, err
		}
	}
	tagsFor := func(fileTags []string) []string {
		var out []string
		for _, t := range fileTags {
			if !slices.Contains(pd.PolicyTags, t) {
				out = append(out, t)
			}
		}
		return sortedSet(append(out, p.PolicyTags...))
	}
	var errs []string
	conflict := func(fp string, pol *dashboard.Policy) string {
		if promoted || o.Force || fp == "" || pol == nil || Fingerprint(pol) == fp {
			return ""
		}
		return fmt.Sprintf("policy %s (%q) of provider %q changed in the Dashboard since the file was exported (fingerprint %s, now %s)", pol.MID, pol.Name, p.Name, fp, Fingerprint(pol))
	}

	matchedProducts := map[uint64]bool{}
	for _, d := range deref(pd.Products) {
		if d.Hidden {
			if it := findItem(products, d.key(), d.Name); it != nil {
				matchedProducts[it.ID] = true
			}
			continue
		}
		resolved, rerrs := resolveAPIs(d, apis, o.APIMap, p.Name)
		if len(rerrs) > 0 {
			for _, e := range rerrs {
				errs = append(errs, fmt.Sprintf("%s:%d: product %q: %s", o.File, d.line, d.Name, e))
			}
			continue
		}
		ids := make([]string, len(resolved))
		for i, a := range resolved {
			ids[i] = a.ID
		}
		if _, err := catalog.CheckProductAPIs(ids, policy.APIs(apis)); err != nil {
			errs = append(errs, fmt.Sprintf("%s:%d: product %q: %s", o.File, d.line, d.Name, unwrapInvalid(err)))
			continue
		}
		if resolved[0].AuthType != d.AuthType {
			errs = append(errs, fmt.Sprintf("%s:%d: product %q has auth_type %s, but its APIs in provider %q use %s", o.File, d.line, d.Name, d.AuthType, p.Name, resolved[0].AuthType))
			continue
		}
		st := &itemStep{kind: repo.ProductKind, name: d.Name, displayName: d.DisplayName, description: d.Description,
			published: d.Published, apis: resolved, tags: tagsFor(d.Tags)}
		if it := findItem(products, d.key(), d.Name); it != nil {
			matchedProducts[it.ID] = true
			cp := *it
			st.product = &cp
			st.live = byMID[it.PolicyMID]
		}
		if st.live == nil {
			st.live = byName[d.Name]
			if st.live != nil && st.product == nil && !st.live.Partitions.ACL {
				errs = append(errs, fmt.Sprintf("%s:%d: product %q: provider %q has a policy of that name that is not a product's access policy; rename one of them", o.File, d.line, d.Name, p.Name))
				continue
			}
		}
		var fields []FieldChange
		if st.live != nil {
			fields = productFields(st.live, st)
		}
		var local *catalog.Item
		if st.product != nil {
			local = &st.product.Item
		}
		pp.addStep(st, d.key(), fields, local, conflict(d.Fingerprint, st.live))
	}

	matchedPlans := map[uint64]bool{}
	for _, d := range deref(pd.Plans) {
		if d.Hidden {
			if it := findItem(plans, d.key(), d.Name); it != nil {
				matchedPlans[it.ID] = true
			}
			continue
		}
		st := &itemStep{kind: repo.PlanKind, name: d.Name, displayName: d.DisplayName, description: d.Description,
			published: d.Published, limits: d.Limits(), tags: tagsFor(d.Tags)}
		if it := findItem(plans, d.key(), d.Name); it != nil {
			matchedPlans[it.ID] = true
			cp := *it
			st.plan = &cp
			st.live = byMID[it.PolicyMID]
		}
		if st.live == nil {
			st.live = byName[d.Name]
			if st.live != nil && st.plan == nil && st.live.Partitions.ACL {
				errs = append(errs, fmt.Sprintf("%s:%d: plan %q: provider %q has a policy of that name that is not a plan's limit policy; rename one of them", o.File, d.line, d.Name, p.Name))
				continue
			}
		}
		var fields []FieldChange
		if st.live != nil {
			fields = planFields(st.live, st)
		}
		var local *catalog.Item
		if st.plan != nil {
			local = &st.plan.Item
		}
		pp.addStep(st, d.key(), fields, local, conflict(d.Fingerprint, st.live))
	}

	if o.Prune {
		if pd.Products != nil {
			for _, it := range products {
				if !it.Hidden && !matchedProducts[it.ID] {
					pp.addDelete(repo.ProductKind, it.Item)
				}
			}
		}
		if pd.Plans != nil {
			for _, it := range plans {
				if !it.Hidden && !matchedPlans[it.ID] {
					pp.addDelete(repo.PlanKind, it.Item)
				}
			}
		}
		if err := s.checkNoLiveCredentials(ctx, pp); err != nil {
			return nil, nil, err
		}
	}
	return pp, errs, nil
}

// findItem is the local item with the key as its name, else the name.
func findItem[T any, P Entry[T]](items []T, key, name string) *T {
	var found *T
	for _, n := range []string{key, name} {
		for i := range items {
			b := P(&items[i]).Base()
			if b.Name == n && (found == nil || P(found).Base().Hidden) {
				found = &items[i]
			}
		}
		if found != nil {
			return found
		}
	}
	return nil
}

// addStep records an item's changes: a create, an adopt, an update of the
// policy's and the local fields, a publish or unpublish.
func (pp *ProviderPlan) addStep(st *itemStep, key string, remoteFields []FieldChange, local *catalog.Item, conflict string) {
	base := Change{Kind: st.kind.Name, Key: key, Name: st.name, Fields: []FieldChange{}}
	if local != nil {
		id := local.ID
		base.ID = &id
	}
	if st.live != nil {
		base.PolicyID = st.live.Identity()
	}
	add := func(c Change) {
		st.changes = append(st.changes, len(pp.Changes))
		pp.Changes = append(pp.Changes, c)
	}
	if st.live == nil {
		c := base
		c.Action = ActionCreate
		c.Fields = append(c.Fields, createFields(st)...)
		add(c)
		pp.steps = append(pp.steps, st)
		return
	}
	st.remote = len(remoteFields) > 0
	var localFields []FieldChange
	published := false
	if local == nil {
		c := base
		c.Action = ActionAdopt
		c.Fields = []FieldChange{{"display_name", nil, st.displayName}, {"description", nil, st.description}, {"published", nil, st.published}}
		add(c)
	} else {
		if local.DisplayName != st.displayName {
			localFields = append(localFields, FieldChange{"display_name", local.DisplayName, st.displayName})
		}
		if local.Description != st.description {
			localFields = append(localFields, FieldChange{"description", local.Description, st.description})
		}
		if local.Hidden {
			localFields = append(localFields, FieldChange{"hidden", true, false})
		}
		published = local.Published != st.published
	}
	if st.remote || len(localFields) > 0 {
		c := base
		c.Action = ActionUpdate
		c.Fields = append(append([]FieldChange{}, remoteFields...), localFields...)
		if st.remote {
			c.Conflict = conflict
		}
		add(c)
	}
	if published {
		c := base
		c.Action = ActionUnpublish
		if st.published {
			c.Action = ActionPublish
		}
		c.Fields = []FieldChange{{"published", !st.published, st.published}}
		add(c)
	}
	if len(st.changes) > 0 {
		pp.steps = append(pp.steps, st)
	}
}

func (pp *ProviderPlan) addDelete(k repo.ItemKind, it catalog.Item) {
	id := it.ID
	st := &itemStep{kind: k, name: it.Name, delete: id, changes: []int{len(pp.Changes)}}
	pp.Changes = append(pp.Changes, Change{Action: ActionDeletePolicy, Kind: k.Name, Key: it.Name, Name: it.Name, ID: &id,
		PolicyID: it.PolicyID, Fields: []FieldChange{}})
	pp.steps = append(pp.steps, st)
}

// checkNoLiveCredentials refuses a prune that would delete an item that
// live credentials use: they must be revoked first.
func (s *Service) checkNoLiveCredentials(ctx context.Context, pp *ProviderPlan) error {
	var msgs []string
	err := s.view(ctx, func(tx store.Tx) error {
		for _, st := range pp.steps {
			if st.delete == 0 {
				continue
			}
			n, err := repo.LiveCredentials(tx, st.kind, st.delete)
			if err != nil {
				return err
			}
			if n > 0 {
				msgs = append(msgs, fmt.Sprintf("%s %d %q has %d live credential(s)", st.kind.Name, st.delete, st.name, n))
			}
		}
		return nil
	})
	if err != nil && !isNoState(err) {
		return err
	}
	if len(msgs) > 0 {
		return fmt.Errorf("%w: --prune would delete items in use: %s; revoke their credentials first (`tykportal credentials list`); nothing was changed", catalog.ErrInvalid, strings.Join(msgs, "; "))
	}
	return nil
}

func createFields(st *itemStep) []FieldChange {
	f := []FieldChange{{"name", nil, st.name}}
	if st.kind == repo.ProductKind {
		f = append(f, FieldChange{"apis", nil, apiIDs(st.apis)}, FieldChange{"auth_type", nil, st.apis[0].AuthType})
	} else {
		f = append(f, limitFields(catalog.Limits{}, st.limits, true)...)
	}
	return append(f, FieldChange{"tags", nil, st.tags}, FieldChange{"display_name", nil, st.displayName},
		FieldChange{"description", nil, st.description}, FieldChange{"published", nil, st.published})
}

// productFields are the policy fields a product's apply changes.
func productFields(pol *dashboard.Policy, st *itemStep) []FieldChange {
	var f []FieldChange
	if pol.Name != st.name {
		f = append(f, FieldChange{"name", pol.Name, st.name})
	}
	cur := make([]string, 0, len(pol.AccessRights))
	for id := range pol.AccessRights {
		cur = append(cur, id)
	}
	sort.Strings(cur)
	if want := apiIDs(st.apis); !slices.Equal(cur, want) {
		f = append(f, FieldChange{"apis", cur, want})
	}
	if cur := sortedSet(pol.Tags); !slices.Equal(cur, st.tags) {
		f = append(f, FieldChange{"tags", cur, st.tags})
	}
	return f
}

// planFields are the policy fields a plan's apply changes; limits compare
// as the Dashboard carries them (Tyk's -1 for every part unlimited or off).
func planFields(pol *dashboard.Policy, st *itemStep) []FieldChange {
	var f []FieldChange
	if pol.Name != st.name {
		f = append(f, FieldChange{"name", pol.Name, st.name})
	}
	f = append(f, limitFields(policy.LimitsOf(pol), st.limits, false)...)
	if cur := sortedSet(pol.Tags); !slices.Equal(cur, st.tags) {
		f = append(f, FieldChange{"tags", cur, st.tags})
	}
	return f
}

func limitFields(old, new catalog.Limits, all bool) []FieldChange {
	o, n := old.Normalized(), new.Normalized()
	var f []FieldChange
	add := func(name string, a, b any) {
		if all {
			f = append(f, FieldChange{name, nil, b})
		} else if a != b {
			f = append(f, FieldChange{name, a, b})
		}
	}
	add("rate", o.Rate, n.Rate)
	add("per", o.Per, n.Per)
	add("quota_max", o.QuotaMax, n.QuotaMax)
	add("quota_renewal_rate", o.QuotaRenewalRate, n.QuotaRenewalRate)
	add("throttle_interval", o.ThrottleInterval, n.ThrottleInterval)
	add("throttle_retry_limit", o.ThrottleRetryLimit, n.ThrottleRetryLimit)
	add("key_expires_in", o.KeyExpiresIn, n.KeyExpiresIn)
	return f
}

func apiIDs(apis []catalog.API) []string {
	out := make([]string, len(apis))
	for i, a := range apis {
		out[i] = a.ID
	}
	sort.Strings(out)
	return out
}

// resolveAPIs finds each API of a product in the target Dashboard: by
// --api-map, else by its id, else by its name when exactly one API has it.
func resolveAPIs(d ProductDoc, available []dashboard.API, apiMap map[string]string, providerName string) ([]catalog.API, []string) {
	byID := map[string]dashboard.API{}
	byName := map[string][]dashboard.API{}
	byPath := map[string][]dashboard.API{}
	for _, a := range available {
		byID[a.APIID] = a
		byName[a.Name] = append(byName[a.Name], a)
		if a.ListenPath != "" {
			byPath[a.ListenPath] = append(byPath[a.ListenPath], a)
		}
	}
	var out []catalog.API
	var errs []string
	for _, want := range d.APIs {
		if to, ok := apiMap[want.APIID]; ok {
			a, ok := byID[to]
			if !ok {
				errs = append(errs, fmt.Sprintf("--api-map %s=%s: provider %q has no API %q", want.APIID, to, providerName, to))
				continue
			}
			out = append(out, catalog.API{ID: a.APIID, Name: a.Name, AuthType: a.AuthType})
			continue
		}
		if a, ok := byID[want.APIID]; ok {
			out = append(out, catalog.API{ID: a.APIID, Name: a.Name, AuthType: a.AuthType})
			continue
		}
		byLP := byPath[want.ListenPath]
		switch cands := byName[want.Name]; {
		case want.Name != "" && len(cands) == 1:
			a := cands[0]
			out = append(out, catalog.API{ID: a.APIID, Name: a.Name, AuthType: a.AuthType})
		case want.ListenPath != "" && len(byLP) == 1:
			// No one API of that name, but one served at the same path.
			a := byLP[0]
			out = append(out, catalog.API{ID: a.APIID, Name: a.Name, AuthType: a.AuthType})
		case len(cands) > 1:
			var ids []string
			for _, c := range cands {
				ids = append(ids, c.APIID)
			}
			sort.Strings(ids)
			errs = append(errs, fmt.Sprintf("API %q (%q) is ambiguous in provider %q: APIs %s share that name; choose one with --api-map %s=API_ID", want.APIID, want.Name, providerName, strings.Join(ids, ", "), want.APIID))
		default:
			errs = append(errs, fmt.Sprintf("API %q (%q) cannot be mapped: provider %q has no API with that id, name or listen path; map it with --api-map %s=API_ID (see `tykportal apis list --provider %s`)", want.APIID, want.Name, providerName, want.APIID, providerName))
		}
	}
	if len(errs) == 0 {
		// One API the file names twice after mapping is an error too.
		seen := map[string]bool{}
		for _, a := range out {
			if seen[a.ID] {
				errs = append(errs, fmt.Sprintf("two of its APIs map to API %q of provider %q", a.ID, providerName))
			}
			seen[a.ID] = true
		}
	}
	return out, errs
}
