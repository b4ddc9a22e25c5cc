package portal

import (
	"context"
	"fmt"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/policy"
	"github.com/tykportal/tykportal/pkg/progress"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// Apply makes the local catalogue and the Dashboards match the document.
// It plans first (every input error and, unless Force, every conflict
// stops it before anything is written), asks Confirm when it deletes, and
// then carries the plan out item by item: a new policy through the
// journaled create, a changed one patch-only (every field tykportal does not
// own is kept), then the local record. Nothing is deleted unless Prune. A
// second apply of the same file finds nothing to do and sends no write.
//
// When a step fails, Apply stops: the plan it returns says which changes
// were applied, which failed and which were not attempted, the journal
// holds what a lost answer may have created, and running it again
// finishes the job (what is already done plans as nothing to do).
func (s *Service) Apply(ctx context.Context, o ApplyOptions) (*Plan, error) {
	pl, err := s.plan(ctx, o)
	if err != nil {
		return nil, err
	}
	var conflicts []string
	var deletes []Change
	for _, pp := range pl.Providers {
		for _, c := range pp.Changes {
			if c.Conflict != "" {
				conflicts = append(conflicts, c.Conflict+changedFields(c))
			}
			if c.Action == ActionDeletePolicy {
				deletes = append(deletes, c)
			}
		}
	}
	if len(conflicts) > 0 && !o.Force {
		return pl, catalog.Errorf(catalog.CodeConflict, "%s; export again and redo your edits, or pass --force to overwrite; nothing was changed", joinSemi(conflicts))
	}
	if o.DryRun || pl.Pending == 0 {
		return pl, nil
	}
	if len(deletes) > 0 && o.Confirm != nil {
		if err := o.Confirm(deletes); err != nil {
			return pl, err
		}
	}
	for i := range pl.Providers {
		for j := range pl.Providers[i].Changes {
			pl.Providers[i].Changes[j].Status = StatusNotApplied
		}
	}
	for i := range pl.Providers {
		pp := &pl.Providers[i]
		if err := s.applyProvider(ctx, pp, pl, progress.Or(o.Progress)); err != nil {
			return pl, fmt.Errorf("%w; %d of %d change(s) were applied (see the list); run the same apply again to finish", err, pl.Applied, pl.Pending)
		}
	}
	return pl, nil
}

func changedFields(c Change) string {
	if len(c.Fields) == 0 {
		return ""
	}
	s := "; the file and the Dashboard differ in"
	for i, f := range c.Fields {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(" %s (Dashboard %v, file %v)", f.Field, f.Old, f.New)
	}
	return s
}

func joinSemi(list []string) string {
	out := ""
	for i, s := range list {
		if i > 0 {
			out += "; "
		}
		out += s
	}
	return out
}

func (s *Service) applyProvider(ctx context.Context, pp *ProviderPlan, pl *Plan, report progress.Reporter) error {
	mark := func(idx []int, err error) {
		for _, i := range idx {
			if err != nil {
				pp.Changes[i].Status, pp.Changes[i].Error = StatusFailed, err.Error()
				continue
			}
			pp.Changes[i].Status = StatusApplied
			pl.Applied++
		}
	}
	if pp.create {
		err := s.update(ctx, func(tx store.Tx) error {
			if _, err := repo.GetProvider(tx, pp.p.Name); err == nil {
				return nil
			}
			// Checked in the saving transaction, as provider add does.
			existing, err := repo.ListProviders(tx)
			if err != nil {
				return err
			}
			if err := nameFree(existing, pp.p.Name); err != nil {
				return err
			}
			return repo.PutProvider(tx, pp.p)
		})
		mark([]int{0}, err)
		if err != nil {
			return fmt.Errorf("add provider %q: %w", pp.p.Name, err)
		}
	}
	for n, st := range pp.steps {
		report.Report(pp.p.Name, fmt.Sprintf("change %d of %d", n+1, len(pp.steps)))
		var err error
		switch {
		case st.delete != 0 && st.kind == repo.ProductKind:
			_, err = DeleteItem[catalog.Product](ctx, s, DeleteOptions{ID: st.delete})
		case st.delete != 0:
			_, err = DeleteItem[catalog.Plan](ctx, s, DeleteOptions{ID: st.delete})
		case st.live == nil:
			err = s.applyCreate(ctx, pp, st)
		default:
			err = s.applyUpdate(ctx, pp, st)
		}
		mark(st.changes, err)
		if err != nil {
			report.Report(pp.p.Name, "failed")
			return fmt.Errorf("apply %s %q to provider %q: %w", st.kind.Name, st.name, pp.p.Name, err)
		}
	}
	report.Report(pp.p.Name, "done")
	return nil
}

// newPolicy builds the policy of a new item.
func (st *itemStep) newPolicy(pp *ProviderPlan) *dashboard.Policy {
	var pol *dashboard.Policy
	if st.kind == repo.ProductKind {
		pol = policy.ForProduct(st.name, pp.p.OrgID, st.tags, st.apis)
	} else {
		pol = policy.ForPlan(st.name, pp.p.OrgID, st.tags, st.limits)
	}
	return pol
}

// applyCreate creates the item's policy as a journaled create; the local
// record (new, or the existing one whose policy was gone) is written in
// the transaction that ends the operation.
func (s *Service) applyCreate(ctx context.Context, pp *ProviderPlan, st *itemStep) error {
	pol := st.newPolicy(pp)
	c := pp.c
	return s.runJournaled(ctx, journaled{
		Op: catalog.Operation{Provider: pp.p.Name, Command: "apply", Object: catalog.ObjectPolicy, Name: pol.Name},
		Create: func(ctx context.Context, marker string) (created, error) {
			pol.MetaData = catalog.Mark(pol.MetaData, marker)
			mid, err := c.CreatePolicy(ctx, pol)
			if err != nil {
				return created{}, fmt.Errorf("create policy %q in provider %q: %w", pol.Name, pp.p.Name, err)
			}
			return created{
				What: fmt.Sprintf("policy %s (%q)", mid, pol.Name),
				Undo: func(ctx context.Context) error { return c.DeletePolicy(ctx, mid) },
			}, nil
		},
		Save: func(tx store.Tx) error { return s.saveItem(tx, pp, st, pol) },
	})
}

// applyUpdate patches the policy when its fields change, then writes the
// local record (adopting the policy when there was none).
func (s *Service) applyUpdate(ctx context.Context, pp *ProviderPlan, st *itemStep) error {
	pol := st.live
	if st.remote {
		var err error
		pol, err = patchPolicy(ctx, pp.c, pp.p.Name, st.live.MID, func(p *dashboard.Policy) error {
			p.Name, p.Tags = st.name, append([]string{}, st.tags...)
			if st.kind == repo.ProductKind {
				policy.SetAPIs(p, st.apis)
			} else {
				policy.ApplyLimits(p, st.limits)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	err := s.update(ctx, func(tx store.Tx) error {
		if err := s.saveItem(tx, pp, st, pol); err != nil {
			return err
		}
		// A policy an interrupted create made and this apply adopts ends
		// its operation in the journal.
		if marker := catalog.MarkerOf(pol.MetaData); marker != "" && st.product == nil && st.plan == nil {
			ops, err := repo.ListOperations(tx, pp.p.Name)
			if err != nil {
				return err
			}
			for _, op := range ops {
				if op.Marker == marker && op.Stale == "" {
					if err := repo.FinishOperation(tx, op.ID); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil && st.remote {
		return fmt.Errorf("the policy was updated in the Dashboard, but saving locally failed: %w; run the apply again to finish", err)
	}
	if err == nil && st.remote {
		s.propagateCombined(ctx, pp.c, pp.p.Name, st.kind, pol)
	}
	return err
}

// saveItem writes the item's local record from the policy as written and
// the file's local fields.
func (s *Service) saveItem(tx store.Tx, pp *ProviderPlan, st *itemStep, pol *dashboard.Policy) error {
	now := s.now()
	fill := func(b *catalog.Item, h *catalog.History) {
		b.Provider, b.Name = pp.p.Name, pol.Name
		b.PolicyID, b.PolicyMID = pol.Identity(), pol.MID
		b.DisplayName, b.Description, b.Published = st.displayName, st.description, st.published
		b.Hidden, b.HiddenSince, b.Placeholder = false, nil, false
		if h.CreatedAt.IsZero() {
			h.CreatedAt = now
		}
		h.UpdatedAt = now
	}
	if st.kind == repo.ProductKind {
		it := catalog.Product{}
		if st.product != nil {
			it = *st.product
		}
		fill(&it.Item, &it.History)
		it.SetAPIs(st.apis)
		if st.product == nil {
			return repo.CreateItem[catalog.Product](tx, repo.ProductKind, &it)
		}
		return repo.PutItem[catalog.Product](tx, repo.ProductKind, &it)
	}
	it := catalog.Plan{}
	if st.plan != nil {
		it = *st.plan
	}
	fill(&it.Item, &it.History)
	it.Limits = policy.LimitsOf(pol)
	if st.plan == nil {
		return repo.CreateItem[catalog.Plan](tx, repo.PlanKind, &it)
	}
	return repo.PutItem[catalog.Plan](tx, repo.PlanKind, &it)
}
