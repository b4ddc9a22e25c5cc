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
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// Creating, editing and deleting products and plans. The Dashboard owns a
// policy's name, APIs and limits: they are written to the policy first and
// then recorded locally. Display name, description and the publish state
// are local. As for reads, one generic path serves both kinds; what differs
// (the APIs of a product, the limits of a plan) is passed in as functions.

// ItemFields are what a new product or plan is given besides its APIs or
// limits.
type ItemFields struct {
	Provider    string
	Name        string // also the policy's name in the Dashboard
	DisplayName string
	Description string
}

// CreateProductOptions describe a new product.
type CreateProductOptions struct {
	ItemFields
	APIs []string // API ids; all must use one auth method
}

// CreatePlanOptions describe a new plan.
type CreatePlanOptions struct {
	ItemFields
	Limits catalog.Limits
}

// CreateProduct creates a product's access policy in the Dashboard and
// then its local record, as one journaled create.
func (s *Service) CreateProduct(ctx context.Context, o CreateProductOptions) (catalog.Product, error) {
	var apis []catalog.API
	return createItem(ctx, s, o.ItemFields, newItem[*catalog.Product]{
		policy: func(ctx context.Context, c *dashboard.Client, p provider.Provider) (*dashboard.Policy, error) {
			var err error
			if apis, err = checkAPIs(ctx, c, p, o.APIs); err != nil {
				return nil, err
			}
			return policy.ForProduct(o.Name, p.OrgID, p.PolicyTags, apis), nil
		},
		record: func(prod *catalog.Product, _ *dashboard.Policy) { prod.SetAPIs(apis) },
	})
}

// CreatePlan creates a plan's limit policy in the Dashboard and then its
// local record, as one journaled create.
func (s *Service) CreatePlan(ctx context.Context, o CreatePlanOptions) (catalog.Plan, error) {
	return createItem(ctx, s, o.ItemFields, newItem[*catalog.Plan]{
		check: o.Limits.Validate,
		policy: func(_ context.Context, _ *dashboard.Client, p provider.Provider) (*dashboard.Policy, error) {
			return policy.ForPlan(o.Name, p.OrgID, p.PolicyTags, o.Limits), nil
		},
		record: func(plan *catalog.Plan, pol *dashboard.Policy) { plan.Limits = policy.LimitsOf(pol) },
	})
}

// newItem is what creating one kind of item does beyond the shared fields.
type newItem[P any] struct {
	// check judges the kind's input before anything is asked (may be nil).
	check func() error
	// policy builds the new policy; it may ask the Dashboard.
	policy func(ctx context.Context, c *dashboard.Client, p provider.Provider) (*dashboard.Policy, error)
	// record copies the kind's Dashboard-owned fields into the new item.
	record func(it P, pol *dashboard.Policy)
}

func createItem[T any, P Entry[T]](ctx context.Context, s *Service, o ItemFields, n newItem[P]) (T, error) {
	k := kindOf[T]()
	var it T
	if err := validateFields(&o.Name, &o.DisplayName, &o.Description); err != nil {
		return it, err
	}
	if n.check != nil {
		if err := n.check(); err != nil {
			return it, err
		}
	}
	p, c, err := s.providerAndClient(ctx, o.Provider)
	if err != nil {
		return it, err
	}
	pol, err := n.policy(ctx, c, p)
	if err != nil {
		return it, err
	}
	now := s.now()
	b := P(&it).Base()
	*b = catalog.Item{Provider: p.Name, Name: o.Name, DisplayName: o.DisplayName, Description: o.Description}
	*P(&it).Times() = catalog.History{CreatedAt: now, UpdatedAt: now}
	n.record(P(&it), pol)
	err = s.runJournaled(ctx, journaled{
		Op: catalog.Operation{Provider: p.Name, Command: k.Plural + " create", Object: catalog.ObjectPolicy, Name: pol.Name},
		Create: func(ctx context.Context, marker string) (created, error) {
			pol.MetaData = catalog.Mark(pol.MetaData, marker)
			mid, err := c.CreatePolicy(ctx, pol)
			if err != nil {
				return created{}, fmt.Errorf("create policy %q in provider %q: %w", pol.Name, p.Name, err)
			}
			return created{
				What: fmt.Sprintf("policy %s (%q)", mid, pol.Name),
				Undo: func(ctx context.Context) error { return c.DeletePolicy(ctx, mid) },
			}, nil
		},
		Save: func(tx store.Tx) error {
			b.PolicyID, b.PolicyMID = pol.Identity(), pol.MID
			return repo.CreateItem[T, P](tx, k, &it)
		},
	})
	return it, err
}

// ItemChanges are the shared fields an edit changes; nil leaves a field as
// it is.
type ItemChanges struct {
	ID          uint64
	Name        *string // renames the policy in the Dashboard
	DisplayName *string
	Description *string
	// Force overwrites a Dashboard-owned field the edit changes although
	// it changed in the Dashboard since the last sync.
	Force bool
}

// EditProductOptions change a product.
type EditProductOptions struct {
	ItemChanges
	// APIs replace the product's APIs when not nil.
	APIs []string
}

// EditPlanOptions change a plan.
type EditPlanOptions struct {
	ItemChanges
	// Limits, when not nil, changes the plan's current limits in place (the
	// command line merges its limit flags onto them); the result must be
	// valid.
	Limits func(*catalog.Limits) error
}

// EditProduct changes a product: its name and APIs in its policy first
// (patch-only), then the local record.
func (s *Service) EditProduct(ctx context.Context, o EditProductOptions) (catalog.Product, error) {
	var apis []catalog.API
	return editItem(ctx, s, o.ItemChanges, itemEdit[*catalog.Product]{
		changes: o.APIs != nil,
		prepare: func(ctx context.Context, c *dashboard.Client, p provider.Provider) error {
			var err error
			apis, err = checkAPIs(ctx, c, p, o.APIs)
			return err
		},
		patch: func(pol *dashboard.Policy) { policy.SetAPIs(pol, apis) },
		drift: func(prod *catalog.Product, pol *dashboard.Policy) []string {
			live := make([]string, 0, len(pol.AccessRights))
			for id := range pol.AccessRights {
				live = append(live, id)
			}
			sort.Strings(live)
			local := make([]string, 0, len(prod.APIs))
			for _, a := range prod.APIs {
				local = append(local, a.APIID)
			}
			sort.Strings(local)
			if !slices.Equal(live, local) {
				return []string{"apis"}
			}
			return nil
		},
		record: func(prod *catalog.Product, _ *dashboard.Policy) {
			if apis != nil {
				prod.SetAPIs(apis)
			}
		},
	})
}

// EditPlan changes a plan: its name and limits in its policy first
// (patch-only), then the local record, which takes the limits as the
// policy now holds them.
func (s *Service) EditPlan(ctx context.Context, o EditPlanOptions) (catalog.Plan, error) {
	var l catalog.Limits
	return editItem(ctx, s, o.ItemChanges, itemEdit[*catalog.Plan]{
		changes: o.Limits != nil,
		check: func(plan *catalog.Plan) error {
			l = plan.Limits
			if err := o.Limits(&l); err != nil {
				return err
			}
			return l.Validate()
		},
		patch: func(pol *dashboard.Policy) { policy.ApplyLimits(pol, l) },
		drift: func(plan *catalog.Plan, pol *dashboard.Policy) []string {
			if policy.LimitsOf(pol) != plan.Limits {
				return []string{"limits"}
			}
			return nil
		},
		record: func(plan *catalog.Plan, pol *dashboard.Policy) { plan.Limits = policy.LimitsOf(pol) },
	})
}

// itemEdit is what an edit of one kind changes beyond the shared fields:
// its own Dashboard-owned fields.
type itemEdit[P any] struct {
	changes bool // whether the kind's own fields change
	// check judges the change against the item before the Dashboard is
	// asked; prepare once its client is there. Either may be nil; they run
	// only when the kind's fields change, as does patch.
	check   func(it P) error
	prepare func(ctx context.Context, c *dashboard.Client, p provider.Provider) error
	patch   func(pol *dashboard.Policy)
	// drift names the kind's fields the live policy holds otherwise than
	// the item as last synced.
	drift func(it P, pol *dashboard.Policy) []string
	// record copies the kind's fields from the updated policy into the item.
	record func(it P, pol *dashboard.Policy)
}

func editItem[T any, P Entry[T]](ctx context.Context, s *Service, o ItemChanges, e itemEdit[P]) (T, error) {
	k := kindOf[T]()
	var it T
	if err := validateFields(o.Name, o.DisplayName, o.Description); err != nil {
		return it, err
	}
	it, err := ShowItem[T](ctx, s, o.ID)
	if err != nil {
		return it, err
	}
	b := P(&it).Base()
	if b.Hidden {
		return it, fmt.Errorf("%w: %s %d is hidden (its policy was not retrieved by the last sync); it cannot be edited until it is restored", catalog.ErrInvalid, k.Name, b.ID)
	}
	if e.changes && e.check != nil {
		if err := e.check(P(&it)); err != nil {
			return it, err
		}
	}
	remoteChange := o.Name != nil || e.changes
	var pol *dashboard.Policy
	var c *dashboard.Client
	if remoteChange {
		var p provider.Provider
		p, c, err = s.providerAndClient(ctx, b.Provider)
		if err != nil {
			return it, err
		}
		if e.changes && e.prepare != nil {
			if err := e.prepare(ctx, c, p); err != nil {
				return it, err
			}
		}
		pol, err = patchPolicy(ctx, c, p.Name, b.PolicyMID, func(pol *dashboard.Policy) error {
			if err := checkDrift(k, P(&it), pol, o, e); err != nil {
				return err
			}
			if o.Name != nil {
				pol.Name = *o.Name
			}
			if e.changes {
				e.patch(pol)
			}
			return nil
		})
		if err != nil {
			return it, err
		}
	}
	// The changes go onto the record as committed now, not as read above:
	// an edit of other fields committed meanwhile (another admin, another
	// host sharing the catalogue) is kept, not overwritten.
	now := s.now()
	err = s.update(ctx, func(tx store.Tx) error {
		cur, err := repo.GetItem[T](tx, k, o.ID)
		if err != nil {
			return err
		}
		cb := P(&cur).Base()
		if remoteChange {
			setIf(&cb.Name, o.Name)
			e.record(P(&cur), pol)
		}
		setIf(&cb.DisplayName, o.DisplayName)
		setIf(&cb.Description, o.Description)
		cb.Placeholder = false
		P(&cur).Times().UpdatedAt = now
		it = cur
		return repo.PutItem[T, P](tx, k, &cur)
	})
	if err != nil {
		if remoteChange {
			// The next sync brings the Dashboard's fields back.
			return it, fmt.Errorf("the policy was updated in the Dashboard, but saving locally failed: %w; run `tykportal sync` to bring the local record in step", err)
		}
		return it, err
	}
	if e.changes {
		s.propagateCombined(ctx, c, b.Provider, k, pol)
	}
	return it, nil
}

// checkDrift compares the live policy with the item as last synced. A
// field the edit changes that also changed in the Dashboard is not
// overwritten silently: a conflict, unless Force. Other changed fields
// are kept as the Dashboard has them (the edit is patch-only) and named.
func checkDrift[P Entry[T], T any](k repo.ItemKind, it P, pol *dashboard.Policy, o ItemChanges, e itemEdit[P]) error {
	b := it.Base()
	var changed, overwritten []string
	if pol.Name != b.Name {
		changed = append(changed, "name")
		if o.Name != nil {
			overwritten = append(overwritten, "name")
		}
	}
	if e.drift != nil {
		for _, f := range e.drift(it, pol) {
			changed = append(changed, f)
			if e.changes {
				overwritten = append(overwritten, f)
			}
		}
	}
	if len(overwritten) > 0 && !o.Force {
		return catalog.Errorf(catalog.CodeConflict, "policy %s of %s %d changed in the Dashboard since the last sync (%s): nothing was written; run `tykportal sync` to take the Dashboard's values, or pass --force to overwrite them",
			b.PolicyMID, k.Name, b.ID, strings.Join(overwritten, ", "))
	}
	return nil
}

// DeleteOptions say how an item is deleted.
type DeleteOptions struct {
	ID         uint64
	KeepPolicy bool // leave the policy in the Dashboard
	Force      bool // delete even while credentials use the item
	// Confirm, when not nil, is asked what is about to be deleted, once the
	// item is read and before anything changes; an error stops the delete
	// and is returned.
	Confirm func(what string) error
}

// DeleteItem deletes a product or plan: its policy in the Dashboard
// (unless KeepPolicy; a policy already gone is a warning), then its local
// record. It returns the item as it was.
func DeleteItem[T any, P Entry[T]](ctx context.Context, s *Service, o DeleteOptions) (T, error) {
	k := kindOf[T]()
	var it T
	var live int
	err := s.view(ctx, func(tx store.Tx) error {
		var err error
		if it, err = repo.GetItem[T](tx, k, o.ID); err != nil {
			return err
		}
		live, err = repo.LiveCredentials(tx, k, o.ID)
		return err
	})
	if isNoState(err) {
		return it, fmt.Errorf("%s %d: %w", k.Name, o.ID, catalog.ErrUnknown)
	}
	if err != nil {
		return it, err
	}
	b := P(&it).Base()
	if live > 0 && !o.Force {
		return it, fmt.Errorf("%w: %s %d has %d live credential(s); revoke them first (`tykportal credentials list --%s %d`) or pass --force", catalog.ErrInvalid, k.Name, o.ID, live, k.Name, o.ID)
	}
	if o.Confirm != nil {
		what := fmt.Sprintf("Delete %s %d %q", k.Name, o.ID, b.Name)
		if !o.KeepPolicy {
			what += " and its policy " + b.PolicyMID + " in provider " + b.Provider
		}
		if err := o.Confirm(what); err != nil {
			return it, err
		}
	}
	if !o.KeepPolicy {
		p, c, err := s.providerAndClient(ctx, b.Provider)
		if err != nil {
			return it, err
		}
		if err := c.DeletePolicy(ctx, b.PolicyMID); err != nil {
			if !errors.Is(err, dashboard.ErrNotFound) {
				return it, remote(fmt.Errorf("delete policy %s of provider %q: %w (nothing was deleted locally)", b.PolicyMID, p.Name, err))
			}
			s.warn("policy %s was already gone from provider %q", b.PolicyMID, p.Name)
		}
	}
	err = s.update(ctx, func(tx store.Tx) error { return repo.DeleteItem(tx, k, o.ID) })
	if err != nil && !o.KeepPolicy {
		return it, fmt.Errorf("the policy was deleted in the Dashboard, but deleting %s %d locally failed: %w; run the command again with --keep-policy", k.Name, o.ID, err)
	}
	return it, err
}

// patchPolicy reads a policy, changes only what mutate touches and writes
// it back whole: every field tykportal does not model is kept as it was.
// It returns the policy as written.
func patchPolicy(ctx context.Context, c *dashboard.Client, providerName, mid string, mutate func(*dashboard.Policy) error) (*dashboard.Policy, error) {
	pol, err := c.GetPolicy(ctx, mid)
	if err != nil {
		return nil, remote(fmt.Errorf("read policy %s of provider %q: %w", mid, providerName, err))
	}
	if err := mutate(pol); err != nil {
		return nil, err
	}
	if err := c.UpdatePolicy(ctx, pol); err != nil {
		return nil, remote(fmt.Errorf("update policy %s of provider %q: %w", mid, providerName, err))
	}
	return pol, nil
}

// checkAPIs checks wanted API ids against the provider's APIs: every one
// exists and all share one auth method.
func checkAPIs(ctx context.Context, c *dashboard.Client, p provider.Provider, wanted []string) ([]catalog.API, error) {
	available, err := providerAPIs(ctx, c, p)
	if err != nil {
		return nil, err
	}
	return catalog.CheckProductAPIs(wanted, policy.APIs(available))
}

// validateFields checks the shared fields that are set.
func validateFields(name, displayName, description *string) error {
	if name != nil {
		if err := catalog.ValidateName("--name", *name); err != nil {
			return err
		}
	}
	if displayName != nil {
		if err := catalog.ValidateLine("--display-name", *displayName, 200); err != nil {
			return err
		}
	}
	if description != nil {
		return catalog.ValidateText("--description", *description, 2000)
	}
	return nil
}

func setIf(field *string, v *string) {
	if v != nil {
		*field = *v
	}
}
