package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/output"
	"github.com/tykportal/tykportal/pkg/policy"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// textFlags are the local fields products and plans share.
type textFlags struct {
	name, displayName, description string
}

func (f *textFlags) register(cmd *cobra.Command, nameHelp string) {
	cmd.Flags().StringVar(&f.name, "name", "", nameHelp)
	cmd.Flags().StringVar(&f.displayName, "display-name", "", "catalogue display name (local)")
	cmd.Flags().StringVar(&f.description, "description", "", "short description (local)")
}

func (f *textFlags) validate(cmd *cobra.Command) error {
	if cmd.Flags().Changed("name") {
		if err := catalog.ValidateName("--name", f.name); err != nil {
			return err
		}
	}
	if err := catalog.ValidateLine("--display-name", f.displayName, 200); err != nil {
		return err
	}
	return catalog.ValidateText("--description", f.description, 2000)
}

func (a *App) productsWriteCommands() []*cobra.Command {
	return []*cobra.Command{a.productsCreateCommand(), a.productsEditCommand(), a.deleteCommand(catalog.KindProduct)}
}

func (a *App) plansWriteCommands() []*cobra.Command {
	return []*cobra.Command{a.plansCreateCommand(), a.plansEditCommand(), a.deleteCommand(catalog.KindPlan)}
}

// providerAndClient reads a provider and builds its Dashboard client.
func (a *App) providerAndClient(ctx context.Context, name string) (provider.Provider, *dashboard.Client, error) {
	if err := provider.ValidateName(name); err != nil {
		return provider.Provider{}, nil, err
	}
	p, err := a.getProvider(ctx, name)
	if err != nil {
		return p, nil, err
	}
	c, err := a.clientFor(ctx, p)
	return p, c, err
}

func (a *App) productsCreateCommand() *cobra.Command {
	var tf textFlags
	var providerName string
	var apiIDs []string
	cmd := &cobra.Command{
		Use:   "create --provider P --name N --api API_ID [--api API_ID...]",
		Short: "Create a product and its access policy in the Dashboard",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if providerName == "" || !cmd.Flags().Changed("name") {
				return usageErrorf("--provider and --name are required")
			}
			if err := tf.validate(cmd); err != nil {
				return err
			}
			p, c, err := a.providerAndClient(ctx, providerName)
			if err != nil {
				return err
			}
			available, err := c.ListAPIs(ctx)
			if err != nil {
				return fmt.Errorf("list the APIs of provider %q: %w", p.Name, err)
			}
			apis, err := catalog.CheckProductAPIs(apiIDs, policy.APIs(available))
			if err != nil {
				return err
			}
			pol := policy.ForProduct(tf.name, p.OrgID, p.PolicyTags, apis)
			now := a.Now().UTC()
			prod := catalog.Product{Item: catalog.Item{Provider: p.Name, Name: tf.name, DisplayName: tf.displayName, Description: tf.description}, AuthType: apis[0].AuthType, APIs: catalog.APIRefs(apis), History: catalog.History{CreatedAt: now, UpdatedAt: now}}
			err = a.createWithPolicy(ctx, c, pol, p.Name, "products create", func(tx store.Tx) error {
				prod.PolicyID, prod.PolicyMID = pol.Identity(), pol.MID
				return repo.CreateItem(tx, repo.ProductKind, &prod)
			})
			if err != nil {
				return err
			}
			a.info("Created product %d %q with policy %s in provider %q.", prod.ID, prod.Name, prod.PolicyID, p.Name)
			return a.printer().Print(prod, func() output.Table { return productTable(prod) })
		},
	}
	tf.register(cmd, "product name (also the policy name in the Dashboard)")
	cmd.Flags().StringVar(&providerName, "provider", "", "provider the product belongs to")
	cmd.Flags().StringArrayVar(&apiIDs, "api", nil, "API id (repeat for several; all must use one auth method)")
	return cmd
}

// createWithPolicy creates pol in the Dashboard, then runs save in one write
// transaction. The create is journaled (see catalog.Operation) and marked in
// the policy's meta_data, so that a crash between the two leaves evidence for
// `tykportal doctor`. If the local write fails, the policy is deleted again;
// if that fails too, the error names the policy to remove and the journal
// entry stays, so nothing is orphaned silently.
func (a *App) createWithPolicy(ctx context.Context, c *dashboard.Client, pol *dashboard.Policy, providerName, command string, save func(store.Tx) error) error {
	op := catalog.Operation{Provider: providerName, Command: command, Object: catalog.ObjectPolicy, Name: pol.Name}
	if err := a.beginOperation(ctx, &op); err != nil {
		return err
	}
	pol.MetaData = catalog.Mark(pol.MetaData, op.Marker)
	mid, err := c.CreatePolicy(ctx, pol)
	if err != nil {
		return a.createFailed(ctx, op, fmt.Errorf("create policy %q in provider %q: %w", pol.Name, providerName, err))
	}
	pol.MID = mid
	err = a.update(ctx, func(tx store.Tx) error {
		if err := save(tx); err != nil {
			return err
		}
		return repo.FinishOperation(tx, op.ID)
	})
	if err != nil {
		cleanup := context.WithoutCancel(ctx)
		if derr := c.DeletePolicy(cleanup, mid); derr != nil {
			return fmt.Errorf("save the new record locally: %w; the policy %s (%q) created in provider %q could not be deleted again (%v): delete it in the Dashboard, or run `tykportal doctor --repair`", err, mid, pol.Name, providerName, derr)
		}
		a.finishOperation(ctx, op)
		return fmt.Errorf("save the new record locally: %w (the policy created in the Dashboard was deleted again)", err)
	}
	return nil
}

func (a *App) productsEditCommand() *cobra.Command {
	var tf textFlags
	var apiIDs []string
	cmd := &cobra.Command{
		Use:   "edit ID [--name N] [--display-name S] [--description S] [--api API_ID...]",
		Short: "Edit a product; name and APIs are written to its policy first (patch-only)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if cmd.Flags().NFlag() == 0 {
				return usageErrorf("nothing to change: give --name, --display-name, --description or --api")
			}
			if err := tf.validate(cmd); err != nil {
				return err
			}
			prod, err := a.readProduct(ctx, args[0])
			if err != nil {
				return err
			}
			if prod.Hidden {
				return fmt.Errorf("%w: product %d is hidden (its policy was not retrieved by the last sync); it cannot be edited until it is restored", catalog.ErrInvalid, prod.ID)
			}
			remote := cmd.Flags().Changed("name") || cmd.Flags().Changed("api")
			if remote {
				p, c, err := a.providerAndClient(ctx, prod.Provider)
				if err != nil {
					return err
				}
				var apis []catalog.API
				if cmd.Flags().Changed("api") {
					available, err := c.ListAPIs(ctx)
					if err != nil {
						return fmt.Errorf("list the APIs of provider %q: %w", p.Name, err)
					}
					if apis, err = catalog.CheckProductAPIs(apiIDs, policy.APIs(available)); err != nil {
						return err
					}
				}
				err = a.patchPolicy(ctx, c, p.Name, prod.PolicyMID, func(pol *dashboard.Policy) {
					if cmd.Flags().Changed("name") {
						pol.Name = tf.name
					}
					if apis != nil {
						policy.SetAPIs(pol, apis)
					}
				})
				if err != nil {
					return err
				}
				if cmd.Flags().Changed("name") {
					prod.Name = tf.name
				}
				if apis != nil {
					prod.SetAPIs(apis)
				}
			}
			if cmd.Flags().Changed("display-name") {
				prod.DisplayName = tf.displayName
			}
			if cmd.Flags().Changed("description") {
				prod.Description = tf.description
			}
			prod.Placeholder = false
			prod.UpdatedAt = a.Now().UTC()
			if err := a.update(ctx, func(tx store.Tx) error { return repo.PutProduct(tx, prod) }); err != nil {
				return a.localAfterRemote(remote, err)
			}
			a.info("Updated product %d.", prod.ID)
			return a.printer().Print(prod, func() output.Table { return productTable(prod) })
		},
	}
	tf.register(cmd, "new name (renames the policy in the Dashboard)")
	cmd.Flags().StringArrayVar(&apiIDs, "api", nil, "replace the APIs (repeat; all must use one auth method)")
	return cmd
}

// localAfterRemote explains a local write failure after the Dashboard was
// already changed: the next sync brings the Dashboard's fields back.
func (a *App) localAfterRemote(remote bool, err error) error {
	if remote {
		return fmt.Errorf("the policy was updated in the Dashboard, but saving locally failed: %w; run `tykportal sync` to bring the local record in step", err)
	}
	return err
}

// patchPolicy reads a policy, changes only what mutate touches and writes
// it back whole: every field tykportal does not model is kept as it was.
func (a *App) patchPolicy(ctx context.Context, c *dashboard.Client, providerName, mid string, mutate func(*dashboard.Policy)) error {
	pol, err := c.GetPolicy(ctx, mid)
	if err != nil {
		return fmt.Errorf("read policy %s of provider %q: %w", mid, providerName, err)
	}
	mutate(pol)
	if err := c.UpdatePolicy(ctx, pol); err != nil {
		return fmt.Errorf("update policy %s of provider %q: %w", mid, providerName, err)
	}
	return nil
}

// limitFlags are a plan's limit flags.
type limitFlags struct {
	rate, per, throttleInterval                 float64
	quota, quotaPeriod, throttleRetries, keyExp int64
	unlimitedRate, unlimitedQuota               bool
}

func (f *limitFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Float64Var(&f.rate, "rate", 0, "requests allowed per --per seconds (-1: unlimited)")
	fl.Float64Var(&f.per, "per", 0, "rate limit window in seconds")
	fl.BoolVar(&f.unlimitedRate, "unlimited-rate", false, "no rate limit (rate -1)")
	fl.Int64Var(&f.quota, "quota", 0, "requests allowed per --quota-period (-1: unlimited)")
	fl.Int64Var(&f.quotaPeriod, "quota-period", 0, "quota renewal period in seconds")
	fl.BoolVar(&f.unlimitedQuota, "unlimited-quota", false, "no quota (quota -1)")
	fl.Float64Var(&f.throttleInterval, "throttle-interval", 0, "seconds between retries when rate limited")
	fl.Int64Var(&f.throttleRetries, "throttle-retries", 0, "retries when rate limited")
	fl.Int64Var(&f.keyExp, "key-expires", 0, "seconds until a key issued on this plan expires (0 or -1: never)")
}

// apply merges the given flags onto l.
func (f *limitFlags) apply(cmd *cobra.Command, l *catalog.Limits) error {
	ch := cmd.Flags().Changed
	if f.unlimitedRate && (ch("rate") || ch("per")) {
		return usageErrorf("--unlimited-rate cannot be combined with --rate or --per")
	}
	if f.unlimitedQuota && (ch("quota") || ch("quota-period")) {
		return usageErrorf("--unlimited-quota cannot be combined with --quota or --quota-period")
	}
	if ch("rate") {
		l.Rate = f.rate
		if f.rate == -1 {
			l.Per = -1
		}
	}
	if ch("per") {
		l.Per = f.per
	}
	if f.unlimitedRate {
		l.Rate, l.Per = -1, -1
	}
	if ch("quota") {
		l.QuotaMax = f.quota
		if f.quota == -1 {
			l.QuotaRenewalRate = -1
		}
	}
	if ch("quota-period") {
		l.QuotaRenewalRate = f.quotaPeriod
	}
	if f.unlimitedQuota {
		l.QuotaMax, l.QuotaRenewalRate = -1, -1
	}
	if ch("throttle-interval") {
		l.ThrottleInterval = f.throttleInterval
	}
	if ch("throttle-retries") {
		l.ThrottleRetryLimit = f.throttleRetries
	}
	if ch("key-expires") {
		l.KeyExpiresIn = f.keyExp
		if f.keyExp == -1 {
			l.KeyExpiresIn = 0
		}
	}
	// A synced plan carries Tyk's -1 for "off" in fields a plan edit may
	// not mention: read those as off (0), so that validation judges only
	// what is really set.
	if l.ThrottleInterval == -1 && l.ThrottleRetryLimit == -1 {
		l.ThrottleInterval, l.ThrottleRetryLimit = 0, 0
	}
	if l.Rate == 0 && l.Per == -1 {
		l.Per = 0
	}
	if l.QuotaMax == 0 && l.QuotaRenewalRate == -1 {
		l.QuotaRenewalRate = 0
	}
	return l.Validate()
}

func (a *App) plansCreateCommand() *cobra.Command {
	var tf textFlags
	var lf limitFlags
	var providerName string
	cmd := &cobra.Command{
		Use:   "create --provider P --name N [--rate R --per S] [--quota Q --quota-period S] ...",
		Short: "Create a plan and its limit policy in the Dashboard",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if providerName == "" || !cmd.Flags().Changed("name") {
				return usageErrorf("--provider and --name are required")
			}
			if err := tf.validate(cmd); err != nil {
				return err
			}
			var l catalog.Limits
			if err := lf.apply(cmd, &l); err != nil {
				return err
			}
			p, c, err := a.providerAndClient(ctx, providerName)
			if err != nil {
				return err
			}
			pol := policy.ForPlan(tf.name, p.OrgID, p.PolicyTags, l)
			now := a.Now().UTC()
			plan := catalog.Plan{Item: catalog.Item{Provider: p.Name, Name: tf.name, DisplayName: tf.displayName, Description: tf.description}, History: catalog.History{CreatedAt: now, UpdatedAt: now}}
			plan.Limits = policy.LimitsOf(pol)
			err = a.createWithPolicy(ctx, c, pol, p.Name, "plans create", func(tx store.Tx) error {
				plan.PolicyID, plan.PolicyMID = pol.Identity(), pol.MID
				return repo.CreateItem(tx, repo.PlanKind, &plan)
			})
			if err != nil {
				return err
			}
			a.info("Created plan %d %q with policy %s in provider %q.", plan.ID, plan.Name, plan.PolicyID, p.Name)
			return a.printer().Print(plan, func() output.Table { return planTable(plan) })
		},
	}
	tf.register(cmd, "plan name (also the policy name in the Dashboard)")
	lf.register(cmd)
	cmd.Flags().StringVar(&providerName, "provider", "", "provider the plan belongs to")
	return cmd
}

func (a *App) plansEditCommand() *cobra.Command {
	var tf textFlags
	var lf limitFlags
	cmd := &cobra.Command{
		Use:   "edit ID [--name N] [limits...] [--display-name S] [--description S]",
		Short: "Edit a plan; name and limits are written to its policy first (patch-only)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if cmd.Flags().NFlag() == 0 {
				return usageErrorf("nothing to change: give --name, a limit flag, --display-name or --description")
			}
			if err := tf.validate(cmd); err != nil {
				return err
			}
			plan, err := a.readPlan(ctx, args[0])
			if err != nil {
				return err
			}
			if plan.Hidden {
				return fmt.Errorf("%w: plan %d is hidden (its policy was not retrieved by the last sync); it cannot be edited until it is restored", catalog.ErrInvalid, plan.ID)
			}
			limitsChanged := false
			for _, f := range []string{"rate", "per", "unlimited-rate", "quota", "quota-period", "unlimited-quota", "throttle-interval", "throttle-retries", "key-expires"} {
				limitsChanged = limitsChanged || cmd.Flags().Changed(f)
			}
			l := plan.Limits
			if limitsChanged {
				if err := lf.apply(cmd, &l); err != nil {
					return err
				}
			}
			remote := limitsChanged || cmd.Flags().Changed("name")
			if remote {
				p, c, err := a.providerAndClient(ctx, plan.Provider)
				if err != nil {
					return err
				}
				var written catalog.Limits
				err = a.patchPolicy(ctx, c, p.Name, plan.PolicyMID, func(pol *dashboard.Policy) {
					if cmd.Flags().Changed("name") {
						pol.Name = tf.name
					}
					if limitsChanged {
						policy.ApplyLimits(pol, l)
					}
					written = policy.LimitsOf(pol)
				})
				if err != nil {
					return err
				}
				if cmd.Flags().Changed("name") {
					plan.Name = tf.name
				}
				plan.Limits = written
			}
			if cmd.Flags().Changed("display-name") {
				plan.DisplayName = tf.displayName
			}
			if cmd.Flags().Changed("description") {
				plan.Description = tf.description
			}
			plan.Placeholder = false
			plan.UpdatedAt = a.Now().UTC()
			if err := a.update(ctx, func(tx store.Tx) error { return repo.PutPlan(tx, plan) }); err != nil {
				return a.localAfterRemote(remote, err)
			}
			a.info("Updated plan %d.", plan.ID)
			return a.printer().Print(plan, func() output.Table { return planTable(plan) })
		},
	}
	tf.register(cmd, "new name (renames the policy in the Dashboard)")
	lf.register(cmd)
	return cmd
}

// deleteCommand builds products delete / plans delete.
func (a *App) deleteCommand(kind string) *cobra.Command {
	var keepPolicy, yes, force bool
	cmd := &cobra.Command{
		Use:     "delete ID",
		Aliases: []string{"rm"},
		Short:   "Delete a " + kind + " and its policy in the Dashboard (--keep-policy keeps the policy)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := catalog.ParseID(kind, args[0])
			if err != nil {
				return err
			}
			var providerName, mid, name string
			var live int
			err = a.view(ctx, func(tx store.Tx) error {
				if kind == catalog.KindProduct {
					p, err := repo.GetProduct(tx, id)
					if err != nil {
						return err
					}
					providerName, mid, name = p.Provider, p.PolicyMID, p.Name
				} else {
					p, err := repo.GetPlan(tx, id)
					if err != nil {
						return err
					}
					providerName, mid, name = p.Provider, p.PolicyMID, p.Name
				}
				live, err = repo.LiveCredentials(tx, itemKind(kind), id)
				return err
			})
			if isNoState(err) {
				return fmt.Errorf("%s %d: %w", kind, id, catalog.ErrUnknown)
			}
			if err != nil {
				return err
			}
			if live > 0 && !force {
				return fmt.Errorf("%w: %s %d has %d live credential(s); revoke them first (`tykportal credentials list --%s %d`) or pass --force", catalog.ErrInvalid, kind, id, live, kind, id)
			}
			what := fmt.Sprintf("Delete %s %d %q", kind, id, name)
			if !keepPolicy {
				what += " and its policy " + mid + " in provider " + providerName
			}
			if !yes {
				if err := a.confirm(what, "--yes"); err != nil {
					return err
				}
			}
			if !keepPolicy {
				p, c, err := a.providerAndClient(ctx, providerName)
				if err != nil {
					return err
				}
				if err := c.DeletePolicy(ctx, mid); err != nil {
					if !errors.Is(err, dashboard.ErrNotFound) {
						return fmt.Errorf("delete policy %s of provider %q: %w (nothing was deleted locally)", mid, p.Name, err)
					}
					a.warn("policy %s was already gone from provider %q", mid, p.Name)
				}
			}
			err = a.update(ctx, func(tx store.Tx) error {
				b := store.Products
				if kind == catalog.KindPlan {
					b = store.Plans
				}
				return tx.Delete(b, store.IDKey(id))
			})
			if err != nil {
				if !keepPolicy {
					return fmt.Errorf("the policy was deleted in the Dashboard, but deleting %s %d locally failed: %w; run the command again with --keep-policy", kind, id, err)
				}
				return err
			}
			msg := fmt.Sprintf("Deleted %s %d", kind, id)
			if keepPolicy {
				msg += "; its policy " + mid + " was kept (the next sync imports it again unless its tags no longer match)"
			}
			a.info("%s.", msg)
			return nil
		},
	}
	cmd.Flags().BoolVar(&keepPolicy, "keep-policy", false, "keep the policy in the Dashboard")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&force, "force", false, "delete even while credentials are live")
	return cmd
}

// apisCommand lists a provider's APIs live, with the products using each.
func (a *App) apisCommand() *cobra.Command {
	var providerName string
	cmd := &cobra.Command{
		Use:     "apis",
		Aliases: []string{"api"},
		Short:   "List a provider's APIs (live from the Dashboard)",
	}
	list := &cobra.Command{
		Use:     "list --provider P",
		Aliases: []string{"ls"},
		Short:   "List a provider's APIs with their auth method and the products using them",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if providerName == "" {
				return usageErrorf("--provider is required")
			}
			p, c, err := a.providerAndClient(ctx, providerName)
			if err != nil {
				return err
			}
			apis, err := c.ListAPIs(ctx)
			if err != nil {
				return fmt.Errorf("list the APIs of provider %q: %w", p.Name, err)
			}
			var products []catalog.Product
			err = a.view(ctx, func(tx store.Tx) error {
				products, err = repo.ListProducts(tx, p.Name, catalog.AllItems)
				return err
			})
			if err != nil && !isNoState(err) {
				return err
			}
			rows := apiUsage(apis, products)
			return a.printer().Print(rows, func() output.Table {
				t := output.Table{Header: []string{"api id", "name", "auth", "type", "products"}}
				for _, r := range rows {
					kind := "classic"
					if r.IsOAS {
						kind = "oas"
					}
					ids := make([]string, len(r.Products))
					for i, id := range r.Products {
						ids[i] = fmt.Sprint(id)
					}
					t.Rows = append(t.Rows, []string{r.APIID, r.Name, r.AuthType, kind, dash(strings.Join(ids, ","))})
				}
				return t
			})
		},
	}
	list.Flags().StringVar(&providerName, "provider", "", "provider to ask")
	cmd.AddCommand(list)
	return cmd
}

func itemKind(kind string) repo.ItemKind {
	if kind == catalog.KindPlan {
		return repo.PlanKind
	}
	return repo.ProductKind
}

// APIUse is one line of `apis list`: a Dashboard API and the local products
// that grant access to it.
type APIUse struct {
	APIID    string   `json:"api_id"`
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	AuthType string   `json:"auth_type"`
	IsOAS    bool     `json:"is_oas"`
	Active   bool     `json:"active"`
	Products []uint64 `json:"products"`
}

// APIUsage joins a provider's APIs with the products using each, sorted by name.
func apiUsage(apis []dashboard.API, products []catalog.Product) []APIUse {
	users := map[string][]uint64{}
	for _, p := range products {
		for _, a := range p.APIs {
			users[a.APIID] = append(users[a.APIID], p.ID)
		}
	}
	out := make([]APIUse, 0, len(apis))
	for _, a := range apis {
		ids := users[a.APIID]
		if ids == nil {
			ids = []uint64{}
		}
		out = append(out, APIUse{APIID: a.APIID, ID: a.ID, Name: a.Name, AuthType: a.AuthType, IsOAS: a.IsOAS, Active: a.Active, Products: ids})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].APIID < out[j].APIID
	})
	return out
}
