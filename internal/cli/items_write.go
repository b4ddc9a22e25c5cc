package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/output"
)

// products create/edit/delete, plans create/edit/delete and apis list: as
// in items.go, one generic builder per command; what differs between
// products and plans (their APIs or limits flags, the use case called) is
// data in a createSpec or editSpec.

func (a *App) productsWriteCommands() []*cobra.Command {
	return []*cobra.Command{newItemCreateCmd(a, productView, productCreate, nil),
		newItemEditCmd(a, productView, productEdit, nil), newItemDeleteCmd(a, productView, nil)}
}

func (a *App) plansWriteCommands() []*cobra.Command {
	return []*cobra.Command{newItemCreateCmd(a, planView, planCreate, nil),
		newItemEditCmd(a, planView, planEdit, nil), newItemDeleteCmd(a, planView, nil)}
}

// writeFlags are the flags of create and edit, of either kind.
type writeFlags struct {
	provider, name, displayName, description string
	apis                                     []string
	limits                                   limitFlags
	force                                    bool
}

func (f *writeFlags) registerText(cmd *cobra.Command, nameHelp string) {
	cmd.Flags().StringVar(&f.name, "name", "", nameHelp)
	cmd.Flags().StringVar(&f.displayName, "display-name", "", "catalogue display name (local)")
	cmd.Flags().StringVar(&f.description, "description", "", "short description (local)")
}

// fields are the shared fields of a new item.
func (f *writeFlags) fields() portal.ItemFields {
	return portal.ItemFields{Provider: f.provider, Name: f.name, DisplayName: f.displayName, Description: f.description}
}

// changes are the shared fields an edit changes: the flags given.
func (f *writeFlags) changes(cmd *cobra.Command, id uint64) portal.ItemChanges {
	ch := cmd.Flags().Changed
	c := portal.ItemChanges{ID: id, Force: f.force}
	if ch("name") {
		c.Name = &f.name
	}
	if ch("display-name") {
		c.DisplayName = &f.displayName
	}
	if ch("description") {
		c.Description = &f.description
	}
	return c
}

// createSpec is how `create` differs between kinds: O is its use case's options.
type createSpec[T, O any] struct {
	use, short string
	flags      func(cmd *cobra.Command, f *writeFlags) // the kind's own flags
	options    func(cmd *cobra.Command, f *writeFlags) (O, error)
	run        func(s *portal.Service, ctx context.Context, o O) (T, error)
}

var productCreate = createSpec[catalog.Product, portal.CreateProductOptions]{
	use:   "create --provider P --name N --api API_ID [--api API_ID...]",
	short: "Create a product and its access policy in the Dashboard",
	flags: func(cmd *cobra.Command, f *writeFlags) {
		cmd.Flags().StringArrayVar(&f.apis, "api", nil, "API id (repeat for several; all must use one auth method)")
	},
	options: func(_ *cobra.Command, f *writeFlags) (portal.CreateProductOptions, error) {
		return portal.CreateProductOptions{ItemFields: f.fields(), APIs: f.apis}, nil
	},
	run: (*portal.Service).CreateProduct,
}

var planCreate = createSpec[catalog.Plan, portal.CreatePlanOptions]{
	use:   "create --provider P --name N [--rate R --per S] [--quota Q --quota-period S] ...",
	short: "Create a plan and its limit policy in the Dashboard",
	flags: func(cmd *cobra.Command, f *writeFlags) { f.limits.register(cmd) },
	options: func(cmd *cobra.Command, f *writeFlags) (portal.CreatePlanOptions, error) {
		o := portal.CreatePlanOptions{ItemFields: f.fields()}
		return o, f.limits.apply(cmd, &o.Limits)
	},
	run: (*portal.Service).CreatePlan,
}

func newItemCreateCmd[T any, P portal.Entry[T], O any](a *App, v itemView[T], spec createSpec[T, O], runF func(context.Context, O) error) *cobra.Command {
	f := &writeFlags{}
	cmd := &cobra.Command{
		Use:   spec.use,
		Short: spec.short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.provider == "" || !cmd.Flags().Changed("name") {
				return usageErrorf("--provider and --name are required")
			}
			o, err := spec.options(cmd, f)
			if err != nil {
				return err
			}
			return runItemWrite(cmd.Context(), a, v, o, runF, spec.run, func(it T) {
				b := P(&it).Base()
				a.info("Created %s %d %q with policy %s in provider %q.", v.kind, b.ID, b.Name, b.PolicyID, b.Provider)
			})
		},
	}
	f.registerText(cmd, v.kind+" name (also the policy name in the Dashboard)")
	spec.flags(cmd, f)
	cmd.Flags().StringVar(&f.provider, "provider", "", "provider the "+v.kind+" belongs to")
	return cmd
}

// editSpec is how `edit` differs between kinds: O is its use case's options.
type editSpec[T, O any] struct {
	use, short, nothing string
	flags               func(cmd *cobra.Command, f *writeFlags)
	options             func(cmd *cobra.Command, f *writeFlags, c portal.ItemChanges) (O, error)
	run                 func(s *portal.Service, ctx context.Context, o O) (T, error)
}

var productEdit = editSpec[catalog.Product, portal.EditProductOptions]{
	use:     "edit ID [--name N] [--display-name S] [--description S] [--api API_ID...]",
	short:   "Edit a product; name and APIs are written to its policy first (patch-only)",
	nothing: "nothing to change: give --name, --display-name, --description or --api",
	flags: func(cmd *cobra.Command, f *writeFlags) {
		cmd.Flags().StringArrayVar(&f.apis, "api", nil, "replace the APIs (repeat; all must use one auth method)")
	},
	options: func(cmd *cobra.Command, f *writeFlags, c portal.ItemChanges) (portal.EditProductOptions, error) {
		o := portal.EditProductOptions{ItemChanges: c}
		if cmd.Flags().Changed("api") {
			o.APIs = f.apis
		}
		return o, nil
	},
	run: (*portal.Service).EditProduct,
}

var planEdit = editSpec[catalog.Plan, portal.EditPlanOptions]{
	use:     "edit ID [--name N] [limits...] [--display-name S] [--description S]",
	short:   "Edit a plan; name and limits are written to its policy first (patch-only)",
	nothing: "nothing to change: give --name, a limit flag, --display-name or --description",
	flags:   func(cmd *cobra.Command, f *writeFlags) { f.limits.register(cmd) },
	options: func(cmd *cobra.Command, f *writeFlags, c portal.ItemChanges) (portal.EditPlanOptions, error) {
		o := portal.EditPlanOptions{ItemChanges: c}
		if f.limits.changed(cmd) {
			// The flags are merged onto the plan's limits once it is read.
			o.Limits = func(l *catalog.Limits) error { return f.limits.apply(cmd, l) }
		}
		return o, f.limits.check(cmd)
	},
	run: (*portal.Service).EditPlan,
}

func newItemEditCmd[T any, P portal.Entry[T], O any](a *App, v itemView[T], spec editSpec[T, O], runF func(context.Context, O) error) *cobra.Command {
	f := &writeFlags{}
	cmd := &cobra.Command{
		Use:   spec.use,
		Short: spec.short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().NFlag() == 0 {
				return usageErrorf("%s", spec.nothing)
			}
			id, err := catalog.ParseID(v.kind, args[0])
			if err != nil {
				return err
			}
			o, err := spec.options(cmd, f, f.changes(cmd, id))
			if err != nil {
				return err
			}
			return runItemWrite(cmd.Context(), a, v, o, runF, spec.run, func(T) { a.info("Updated %s %d.", v.kind, id) })
		},
	}
	f.registerText(cmd, "new name (renames the policy in the Dashboard)")
	cmd.Flags().BoolVar(&f.force, "force", false, "overwrite a field the policy changed in the Dashboard since the last sync")
	spec.flags(cmd, f)
	return cmd
}

// runItemWrite hands the options to runF when set; else it runs the use
// case, says what it did and prints the item it returns.
func runItemWrite[T, O any](ctx context.Context, a *App, v itemView[T], o O, runF func(context.Context, O) error,
	run func(*portal.Service, context.Context, O) (T, error), done func(T)) error {
	if runF != nil {
		return runF(ctx, o)
	}
	it, err := run(a.service(), ctx, o)
	if err != nil {
		return err
	}
	done(it)
	return a.printer().Print(it, func() output.Table { return v.detail(it) })
}

// newItemDeleteCmd builds products delete / plans delete.
func newItemDeleteCmd[T any, P portal.Entry[T]](a *App, v itemView[T], runF func(context.Context, portal.DeleteOptions) error) *cobra.Command {
	var o portal.DeleteOptions
	var yes bool
	cmd := &cobra.Command{
		Use:     "delete ID",
		Aliases: []string{"rm"},
		Short:   "Delete a " + v.kind + " and its policy in the Dashboard (--keep-policy keeps the policy)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.ID, err = catalog.ParseID(v.kind, args[0]); err != nil {
				return err
			}
			if !yes {
				o.Confirm = func(what string) error { return a.confirm(cmd.Context(), what, "--yes") }
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			it, err := portal.DeleteItem[T, P](cmd.Context(), a.service(), o)
			if err != nil {
				return err
			}
			msg := fmt.Sprintf("Deleted %s %d", v.kind, o.ID)
			if o.KeepPolicy {
				msg += "; its policy " + P(&it).Base().PolicyMID + " was kept (the next sync imports it again unless its tags no longer match)"
			}
			a.info("%s.", msg)
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.KeepPolicy, "keep-policy", false, "keep the policy in the Dashboard")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&o.Force, "force", false, "delete even while credentials are live")
	return cmd
}

// apisCommand lists a provider's APIs live, with the products using each.
func (a *App) apisCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "apis",
		Aliases: []string{"api"},
		Short:   "List a provider's APIs (live from the Dashboard)",
	}
	cmd.AddCommand(newAPIsListCmd(a, nil))
	return cmd
}

func newAPIsListCmd(a *App, runF func(ctx context.Context, provider string) error) *cobra.Command {
	var providerName string
	cmd := &cobra.Command{
		Use:     "list --provider P",
		Aliases: []string{"ls"},
		Short:   "List a provider's APIs with their auth method and the products using them",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if providerName == "" {
				return usageErrorf("--provider is required")
			}
			if runF != nil {
				return runF(cmd.Context(), providerName)
			}
			rows, err := a.service().ListAPIs(cmd.Context(), providerName)
			if err != nil {
				return err
			}
			return a.printList(rows, len(rows), "no APIs: the provider's Dashboard shows none to its secret", func() output.Table { return apisTable(rows) })
		},
	}
	cmd.Flags().StringVar(&providerName, "provider", "", "provider to ask")
	return cmd
}

func apisTable(rows []portal.APIUse) output.Table {
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
}

// limitNames are the limit flags.
var limitNames = []string{"rate", "per", "unlimited-rate", "quota", "quota-period", "unlimited-quota", "throttle-interval", "throttle-retries", "key-expires"}

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

// changed reports whether any limit flag was given.
func (f *limitFlags) changed(cmd *cobra.Command) bool {
	for _, name := range limitNames {
		if cmd.Flags().Changed(name) {
			return true
		}
	}
	return false
}

// check refuses limit flags that contradict each other.
func (f *limitFlags) check(cmd *cobra.Command) error {
	ch := cmd.Flags().Changed
	if f.unlimitedRate && (ch("rate") || ch("per")) {
		return usageErrorf("--unlimited-rate cannot be combined with --rate or --per")
	}
	if f.unlimitedQuota && (ch("quota") || ch("quota-period")) {
		return usageErrorf("--unlimited-quota cannot be combined with --quota or --quota-period")
	}
	return nil
}

// apply merges the given flags onto l (the use case validates the result).
// --key-expires -1 is 0 (never).
func (f *limitFlags) apply(cmd *cobra.Command, l *catalog.Limits) error {
	if err := f.check(cmd); err != nil {
		return err
	}
	ch := cmd.Flags().Changed
	limitPair(ch, "rate", "per", f.unlimitedRate, f.rate, f.per, &l.Rate, &l.Per)
	limitPair(ch, "quota", "quota-period", f.unlimitedQuota, f.quota, f.quotaPeriod, &l.QuotaMax, &l.QuotaRenewalRate)
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
	return nil
}

// limitPair merges a limit and its period (rate and per, quota and
// quota-period): -1 for the limit is unlimited and makes the period -1 too,
// unless the period is given; --unlimited-... sets both to -1. A limit that
// is off (0) keeps no -1 period a sync stored.
func limitPair[N float64 | int64](ch func(string) bool, name, periodName string, unlimited bool, v, period N, limit, per *N) {
	if ch(name) {
		*limit = v
		if v == -1 {
			*per = -1
		}
	}
	if ch(periodName) {
		*per = period
	}
	if unlimited {
		*limit, *per = -1, -1
	}
	if *limit == 0 && *per == -1 {
		*per = 0
	}
}
