package portal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/policy"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// OAuth credentials. A Tyk OAuth client names one policy, and the gateway
// builds its tokens' sessions from that policy alone, so a client bound to
// the product's access policy would get no limits at all (its rate and
// quota are -1). Each OAuth credential is bound instead to the combined
// policy of its product and plan (package policy: the product's access
// rights, the plan's limits, unpartitioned), created by the first issue of
// the pair, reused by the next and deleted when the pair's last client is
// revoked.
//
// The combined policy's create is journaled like any other (object policy,
// its marker in meta_data) and stays in the journal until the OAuth client
// bound to it is recorded: the transaction that records the credential also
// finishes it. A failure between the two leaves the policy in the journal
// for `doctor`, and the next issue of the pair finds it by its tags and uses
// it, which doctor then reports as adopted.

// issueOAuth creates an OAuth client for prod and plan bound to their
// combined policy and records it in ic.
func (s *Service) issueOAuth(ctx context.Context, p provider.Provider, c *dashboard.Client, prod catalog.Product, plan catalog.Plan, redirectURI string, meta map[string]any, ic *Issued) error {
	combined, err := findCombined(ctx, c, prod.PolicyID, plan.PolicyID)
	if err != nil {
		return remote(fmt.Errorf("look for the combined OAuth policy of product %d and plan %d in provider %q: %w", prod.ID, plan.ID, p.Name, err))
	}
	var polOp *catalog.Operation // the journaled create of the combined policy, when this issue makes it
	if combined == nil {
		if combined, polOp, err = s.createCombined(ctx, p, c, prod, plan); err != nil {
			return err
		}
	}
	ic.PolicyMID = combined.MID

	var undone bool // the client was deleted again after a failed local write
	err = s.runJournaled(ctx, journaled{
		Op: catalog.Operation{Provider: p.Name, Command: "credentials issue", Object: catalog.ObjectOAuthClient, Name: ic.Alias, APIID: ic.APIID},
		Create: func(ctx context.Context, marker string) (created, error) {
			client, err := c.CreateOAuthClient(ctx, ic.APIID, dashboard.OAuthClientRequest{
				PolicyID: combined.Identity(), RedirectURI: redirectURI, Description: ic.Alias, MetaData: catalog.Mark(meta, marker),
			})
			if err != nil {
				return created{}, fmt.Errorf("create OAuth client in provider %q: %w", p.Name, err)
			}
			ic.ClientID, ic.ClientSecret = client.ClientID, client.Secret
			return created{What: "OAuth client " + client.ClientID, Undo: func(ctx context.Context) error {
				err := c.DeleteOAuthClient(ctx, ic.APIID, client.ClientID)
				undone = err == nil
				return err
			}}, nil
		},
		Save: func(tx store.Tx) error {
			if err := repo.CreateCredential(tx, &ic.Credential); err != nil {
				return err
			}
			if polOp != nil {
				return repo.FinishOperation(tx, polOp.ID)
			}
			return nil
		},
	})
	if err == nil || polOp == nil {
		return err
	}
	if catalog.CodeOf(err) != catalog.CodeRemoteRefused && !undone {
		// The client may exist, bound to the new policy: both stay in the
		// journal for doctor.
		return err
	}
	// No client was made: the new combined policy goes again.
	if derr := c.DeletePolicy(context.WithoutCancel(ctx), combined.MID); derr != nil && !errors.Is(derr, dashboard.ErrNotFound) {
		return fmt.Errorf("%w; the combined OAuth policy %s created for it could not be deleted again (%v): run `tykportal doctor --repair`", err, combined.MID, derr)
	}
	s.finishOperation(ctx, *polOp)
	return err
}

// findCombined returns the active combined policy of a product and a plan
// policy (by identity), or nil. Two of them (two issues racing) are no
// error: the first by database id is used, always the same one.
func findCombined(ctx context.Context, c *dashboard.Client, productID, planID string) (*dashboard.Policy, error) {
	pols, err := c.ListPolicies(ctx)
	if err != nil {
		return nil, err
	}
	var found []*dashboard.Policy
	for i := range pols {
		pr, pl, ok := policy.CombinedPair(&pols[i])
		if ok && pr == productID && pl == planID && !pols[i].IsInactive && pols[i].State != "deny" {
			found = append(found, &pols[i])
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	slices.SortFunc(found, func(a, b *dashboard.Policy) int { return strings.Compare(a.MID, b.MID) })
	return found[0], nil
}

// createCombined creates the combined policy of prod and plan, journaled;
// the operation it returns is finished by whoever records its first client.
func (s *Service) createCombined(ctx context.Context, p provider.Provider, c *dashboard.Client, prod catalog.Product, plan catalog.Plan) (*dashboard.Policy, *catalog.Operation, error) {
	prodPol, err := c.GetPolicy(ctx, prod.PolicyMID)
	if err != nil {
		return nil, nil, remote(fmt.Errorf("read policy %s of product %d in provider %q: %w", prod.PolicyMID, prod.ID, p.Name, err))
	}
	pol := policy.ForOAuth(prodPol, prod.Name, plan.Name, plan.PolicyID, p.OrgID, p.PolicyTags, plan.Limits)
	op, err := s.beginOperation(ctx, catalog.Operation{Provider: p.Name, Command: "credentials issue", Object: catalog.ObjectPolicy, Name: pol.Name})
	if err != nil {
		return nil, nil, err
	}
	pol.MetaData = catalog.Mark(pol.MetaData, op.Marker)
	if _, err := c.CreatePolicy(ctx, pol); err != nil {
		if refused(err) {
			// Another issue of the pair (another admin, another host) may
			// have created it since the list was read: its name is taken.
			if other, ferr := findCombined(ctx, c, prod.PolicyID, plan.PolicyID); ferr == nil && other != nil {
				s.finishOperation(ctx, op)
				return other, nil, nil
			}
		}
		err = fmt.Errorf("create the combined OAuth policy %q of product %d and plan %d in provider %q: %w", pol.Name, prod.ID, plan.ID, p.Name, err)
		if refused(err) {
			s.finishOperation(ctx, op)
			return nil, nil, catalog.WithCode(catalog.CodeRemoteRefused, err)
		}
		return nil, nil, catalog.Errorf(catalog.CodeRemoteFailed, "%w; the Dashboard may have created the policy anyway: run `tykportal doctor` to check (operation %d)", err, op.ID)
	}
	return pol, &op, nil
}

// releaseCombined deletes the combined policy of a revoked OAuth credential
// once nothing uses it: no live local credential and no OAuth client of
// the API in the Dashboard (another state file's, or one made by hand).
// The revoke has succeeded either way; a failure here is a warning.
func (s *Service) releaseCombined(ctx context.Context, c *dashboard.Client, cred catalog.Credential) {
	mid := cred.PolicyMID
	inUse := false
	err := s.view(ctx, func(tx store.Tx) error {
		creds, err := repo.ListCredentials(tx, repo.CredentialFilter{Provider: cred.Provider})
		for _, o := range creds {
			inUse = inUse || (o.ID != cred.ID && !o.Revoked && o.PolicyMID == mid)
		}
		return err
	})
	if err != nil || inUse {
		return
	}
	clients, err := c.ListOAuthClients(ctx, cred.APIID)
	if err != nil {
		s.warn("credential %d is revoked, but whether its combined OAuth policy %s is still used could not be read (%v); it was kept", cred.ID, mid, err)
		return
	}
	for _, cl := range clients {
		if cl.PolicyID == mid {
			return
		}
	}
	if err := c.DeletePolicy(ctx, mid); err != nil && !errors.Is(err, dashboard.ErrNotFound) {
		s.warn("credential %d is revoked, but its combined OAuth policy %s, now unused, could not be deleted (%v); delete it in the Dashboard", cred.ID, mid, err)
	}
}

// propagateCombined brings the combined OAuth policies of an edited
// product or plan in step with its policy pol as just written: a product's
// access rights, a plan's limits. Only the policies the local OAuth
// credentials of the item are bound to are touched (no policy list is
// read). A failure is a warning: the edit itself is done.
func (s *Service) propagateCombined(ctx context.Context, c *dashboard.Client, providerName string, k repo.ItemKind, pol *dashboard.Policy) {
	var mids []string
	err := s.view(ctx, func(tx store.Tx) error {
		var id uint64
		if k == repo.ProductKind {
			items, err := repo.ListProducts(tx, providerName, catalog.AllItems)
			if err != nil {
				return err
			}
			for _, it := range items {
				if it.PolicyMID == pol.MID {
					id = it.ID
				}
			}
		} else {
			items, err := repo.ListPlans(tx, providerName, catalog.AllItems)
			if err != nil {
				return err
			}
			for _, it := range items {
				if it.PolicyMID == pol.MID {
					id = it.ID
				}
			}
		}
		if id == 0 {
			return nil
		}
		creds, err := repo.ListCredentials(tx, repo.CredentialFilter{Provider: providerName})
		for _, cr := range creds {
			ofItem := (k == repo.ProductKind && cr.ProductID == id) || (k != repo.ProductKind && cr.PlanID == id)
			if ofItem && !cr.Revoked && cr.PolicyMID != "" && !slices.Contains(mids, cr.PolicyMID) {
				mids = append(mids, cr.PolicyMID)
			}
		}
		return err
	})
	if err != nil {
		s.warn("could not read which combined OAuth policies %s %q feeds (%v); they keep what they had", k.Name, pol.Name, err)
		return
	}
	what := "access rights"
	if k != repo.ProductKind {
		what = "limits"
	}
	for _, mid := range mids {
		_, err := patchPolicy(ctx, c, providerName, mid, func(cp *dashboard.Policy) error {
			if k == repo.ProductKind {
				policy.SetCombinedAccess(cp, pol)
			} else {
				policy.SetCombinedLimits(cp, policy.LimitsOf(pol))
			}
			return nil
		})
		if err != nil {
			s.warn("the combined OAuth policy %s still has the old %s of %s %q (%v): its OAuth clients keep them until the edit is run again", mid, what, k.Name, pol.Name, err)
		}
	}
}
