package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/output"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// listFlags are the filters products list and plans list share.
type listFlags struct {
	provider    string
	hidden, all bool
}

func (f *listFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.provider, "provider", "", "only this provider's items")
	cmd.Flags().BoolVar(&f.hidden, "hidden", false, "only hidden items (their policy was not retrieved by the last sync)")
	cmd.Flags().BoolVar(&f.all, "all", false, "visible and hidden items")
}

func (f *listFlags) visibility() (catalog.Visibility, error) {
	switch {
	case f.hidden && f.all:
		return 0, usageErrorf("--hidden and --all cannot be used together")
	case f.hidden:
		return catalog.HiddenOnly, nil
	case f.all:
		return catalog.AllItems, nil
	}
	return catalog.VisibleOnly, nil
}

// checkProvider makes --provider P an input error when P does not exist.
func (a *App) checkProvider(tx store.Tx, name string) error {
	if name == "" {
		return nil
	}
	if err := provider.ValidateName(name); err != nil {
		return err
	}
	_, err := repo.GetProvider(tx, name)
	return err
}

func (a *App) productsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "products",
		Aliases: []string{"product"},
		Short:   "Manage API Products (access policies)",
	}
	cmd.AddCommand(a.productsListCommand(), a.productsShowCommand(),
		a.publishCommand(catalog.KindProduct, true), a.publishCommand(catalog.KindProduct, false))
	cmd.AddCommand(a.productsWriteCommands()...)
	return cmd
}

func (a *App) plansCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "plans",
		Aliases: []string{"plan"},
		Short:   "Manage Plans (limit policies: rate, quota, throttle, key expiry)",
	}
	cmd.AddCommand(a.plansListCommand(), a.plansShowCommand(),
		a.publishCommand(catalog.KindPlan, true), a.publishCommand(catalog.KindPlan, false))
	cmd.AddCommand(a.plansWriteCommands()...)
	return cmd
}

func (a *App) productsListCommand() *cobra.Command {
	var f listFlags
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List products (visible ones unless --hidden or --all)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			vis, err := f.visibility()
			if err != nil {
				return err
			}
			items := []catalog.Product{}
			err = a.view(cmd.Context(), func(tx store.Tx) error {
				if err := a.checkProvider(tx, f.provider); err != nil {
					return err
				}
				items, err = repo.ListProducts(tx, f.provider, vis)
				return err
			})
			if err := a.noStateOK(err, f.provider); err != nil {
				return err
			}
			return a.printer().Print(items, func() output.Table {
				t := output.Table{Header: []string{"id", "provider", "name", "display name", "auth", "apis", "state", "policy id"}}
				for _, p := range items {
					t.Rows = append(t.Rows, []string{fmt.Sprint(p.ID), p.Provider, p.Name, dash(p.DisplayName), dash(p.AuthType),
						fmt.Sprint(len(p.APIs)), itemState(p.Published, p.Hidden, p.Placeholder), p.PolicyID})
				}
				return t
			})
		},
	}
	f.register(cmd)
	return cmd
}

// noStateOK treats a missing state file as empty, except that a named
// provider cannot exist in it.
func (a *App) noStateOK(err error, providerName string) error {
	if isNoState(err) {
		if providerName != "" {
			return fmt.Errorf("%w %q: no provider has been added yet", provider.ErrUnknown, providerName)
		}
		return nil
	}
	return err
}

func itemState(published, hidden, placeholder bool) string {
	var s []string
	switch {
	case hidden:
		s = append(s, "hidden")
	case published:
		s = append(s, "published")
	default:
		s = append(s, "unpublished")
	}
	if placeholder {
		s = append(s, "placeholder")
	}
	return strings.Join(s, ",")
}

func (a *App) productsShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one product",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.readProduct(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.printer().Print(p, func() output.Table { return productTable(p) })
		},
	}
}

func productTable(p catalog.Product) output.Table {
	apis := make([]string, 0, len(p.APIs))
	for _, api := range p.APIs {
		apis = append(apis, api.APIID+" ("+api.Name+")")
	}
	return output.Table{KeyValue: true, Rows: [][]string{
		{"ID", fmt.Sprint(p.ID)}, {"Provider", p.Provider}, {"Policy ID", p.PolicyID},
		{"Name", p.Name}, {"Display name", dash(p.DisplayName)}, {"Description", dash(p.Description)},
		{"State", itemState(p.Published, p.Hidden, p.Placeholder)}, {"Hidden since", timeOrNever(p.HiddenSince)},
		{"Auth type", dash(p.AuthType)}, {"APIs", dash(strings.Join(apis, ", "))},
		{"Created", p.CreatedAt.UTC().Format(time.RFC3339)}, {"Updated", p.UpdatedAt.UTC().Format(time.RFC3339)},
		{"Last synced", timeOrNever(p.LastSyncedAt)},
	}}
}

func (a *App) readProduct(ctx context.Context, idArg string) (catalog.Product, error) {
	id, err := catalog.ParseID("product", idArg)
	if err != nil {
		return catalog.Product{}, err
	}
	var p catalog.Product
	err = a.view(ctx, func(tx store.Tx) error {
		p, err = repo.GetProduct(tx, id)
		return err
	})
	if isNoState(err) {
		return p, fmt.Errorf("product %d: %w (no state file yet)", id, catalog.ErrUnknown)
	}
	return p, err
}

func (a *App) readPlan(ctx context.Context, idArg string) (catalog.Plan, error) {
	id, err := catalog.ParseID("plan", idArg)
	if err != nil {
		return catalog.Plan{}, err
	}
	var p catalog.Plan
	err = a.view(ctx, func(tx store.Tx) error {
		p, err = repo.GetPlan(tx, id)
		return err
	})
	if isNoState(err) {
		return p, fmt.Errorf("plan %d: %w (no state file yet)", id, catalog.ErrUnknown)
	}
	return p, err
}

func (a *App) plansListCommand() *cobra.Command {
	var f listFlags
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List plans (visible ones unless --hidden or --all)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			vis, err := f.visibility()
			if err != nil {
				return err
			}
			items := []catalog.Plan{}
			err = a.view(cmd.Context(), func(tx store.Tx) error {
				if err := a.checkProvider(tx, f.provider); err != nil {
					return err
				}
				items, err = repo.ListPlans(tx, f.provider, vis)
				return err
			})
			if err := a.noStateOK(err, f.provider); err != nil {
				return err
			}
			return a.printer().Print(items, func() output.Table {
				t := output.Table{Header: []string{"id", "provider", "name", "display name", "rate", "quota", "key expiry", "state", "policy id"}}
				for _, p := range items {
					t.Rows = append(t.Rows, []string{fmt.Sprint(p.ID), p.Provider, p.Name, dash(p.DisplayName),
						rateText(p.Rate, p.Per), quotaText(p.QuotaMax, p.QuotaRenewalRate), expiryText(p.KeyExpiresIn),
						itemState(p.Published, p.Hidden, p.Placeholder), p.PolicyID})
				}
				return t
			})
		},
	}
	f.register(cmd)
	return cmd
}

func (a *App) plansShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one plan",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.readPlan(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.printer().Print(p, func() output.Table { return planTable(p) })
		},
	}
}

func planTable(p catalog.Plan) output.Table {
	throttle := "off"
	if p.ThrottleInterval > 0 {
		throttle = fmt.Sprintf("every %gs, %d retries", p.ThrottleInterval, p.ThrottleRetryLimit)
	}
	return output.Table{KeyValue: true, Rows: [][]string{
		{"ID", fmt.Sprint(p.ID)}, {"Provider", p.Provider}, {"Policy ID", p.PolicyID},
		{"Name", p.Name}, {"Display name", dash(p.DisplayName)}, {"Description", dash(p.Description)},
		{"State", itemState(p.Published, p.Hidden, p.Placeholder)}, {"Hidden since", timeOrNever(p.HiddenSince)},
		{"Rate", rateText(p.Rate, p.Per)}, {"Quota", quotaText(p.QuotaMax, p.QuotaRenewalRate)},
		{"Throttle", throttle}, {"Key expiry", expiryText(p.KeyExpiresIn)},
		{"Created", p.CreatedAt.UTC().Format(time.RFC3339)}, {"Updated", p.UpdatedAt.UTC().Format(time.RFC3339)},
		{"Last synced", timeOrNever(p.LastSyncedAt)},
	}}
}

func rateText(rate, per float64) string {
	if rate < 0 || per < 0 {
		return "unlimited"
	}
	if rate == 0 {
		return "-"
	}
	return fmt.Sprintf("%g / %gs", rate, per)
}

func quotaText(max, renewal int64) string {
	if max < 0 {
		return "unlimited"
	}
	if max == 0 {
		return "-"
	}
	return fmt.Sprintf("%d / %ds", max, renewal)
}

func expiryText(s int64) string {
	if s <= 0 {
		return "never"
	}
	return (time.Duration(s) * time.Second).String()
}

// publishCommand builds publish/unpublish for products or plans: local only.
func (a *App) publishCommand(kind string, publish bool) *cobra.Command {
	verb := "publish"
	if !publish {
		verb = "unpublish"
	}
	return &cobra.Command{
		Use:   verb + " ID",
		Short: strings.ToUpper(verb[:1]) + verb[1:] + " a " + kind + " (local; a hidden one cannot be published)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := catalog.ParseID(kind, args[0])
			if err != nil {
				return err
			}
			now := a.Now().UTC()
			err = a.update(cmd.Context(), func(tx store.Tx) error {
				if kind == catalog.KindProduct {
					p, err := repo.GetProduct(tx, id)
					if err != nil {
						return err
					}
					if err := p.SetPublished(kind, publish); err != nil {
						return err
					}
					p.UpdatedAt = now
					return repo.PutProduct(tx, p)
				}
				p, err := repo.GetPlan(tx, id)
				if err != nil {
					return err
				}
				if err := p.SetPublished(kind, publish); err != nil {
					return err
				}
				p.UpdatedAt = now
				return repo.PutPlan(tx, p)
			})
			if err != nil {
				return err
			}
			a.info("%s %d %sed.", strings.ToUpper(kind[:1])+kind[1:], id, verb)
			return nil
		},
	}
}
