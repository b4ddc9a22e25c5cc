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

// Products and plans share their commands: one generic builder per
// command, with the differences (names, table columns) as data.

// itemView is how one kind of item appears on the command line.
type itemView[T any] struct {
	kind, plural string
	header       []string
	row          func(T) []string
	detail       func(T) output.Table
}

var productView = itemView[catalog.Product]{
	kind: catalog.KindProduct, plural: "products",
	header: []string{"id", "provider", "name", "display name", "auth", "apis", "state", "policy id"},
	row: func(p catalog.Product) []string {
		return []string{fmt.Sprint(p.ID), p.Provider, p.Name, dash(p.DisplayName), dash(p.AuthType),
			fmt.Sprint(len(p.APIs)), itemState(p.Published, p.Hidden, p.Placeholder), p.PolicyID}
	},
	detail: productTable,
}

var planView = itemView[catalog.Plan]{
	kind: catalog.KindPlan, plural: "plans",
	header: []string{"id", "provider", "name", "display name", "rate", "quota", "key expiry", "state", "policy id"},
	row: func(p catalog.Plan) []string {
		return []string{fmt.Sprint(p.ID), p.Provider, p.Name, dash(p.DisplayName),
			rateText(p.Rate, p.Per), quotaText(p.QuotaMax, p.QuotaRenewalRate), expiryText(p.KeyExpiresIn),
			itemState(p.Published, p.Hidden, p.Placeholder), p.PolicyID}
	},
	detail: planTable,
}

func (a *App) productsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "products",
		Aliases: []string{"product"},
		Short:   "Manage API Products (access policies)",
	}
	cmd.AddCommand(newItemListCmd(a, productView, nil), newItemShowCmd(a, productView, nil),
		newPublishCmd(a, productView, true, nil), newPublishCmd(a, productView, false, nil))
	cmd.AddCommand(a.productsWriteCommands()...)
	return cmd
}

func (a *App) plansCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "plans",
		Aliases: []string{"plan"},
		Short:   "Manage Plans (limit policies: rate, quota, throttle, key expiry)",
	}
	cmd.AddCommand(newItemListCmd(a, planView, nil), newItemShowCmd(a, planView, nil),
		newPublishCmd(a, planView, true, nil), newPublishCmd(a, planView, false, nil))
	cmd.AddCommand(a.plansWriteCommands()...)
	return cmd
}

// itemListOptions are `products list` / `plans list`.
type itemListOptions struct {
	portal.ListOptions
	hidden, all bool
}

func newItemListCmd[T any, P portal.Entry[T]](a *App, v itemView[T], runF func(context.Context, *itemListOptions) error) *cobra.Command {
	opts := &itemListOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   fmt.Sprintf("List %s (visible ones unless --hidden or --all)", v.plural),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case opts.hidden && opts.all:
				return usageErrorf("--hidden and --all cannot be used together")
			case opts.hidden:
				opts.Visibility = catalog.HiddenOnly
			case opts.all:
				opts.Visibility = catalog.AllItems
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			items, err := portal.ListItems[T, P](cmd.Context(), a.service(), opts.ListOptions)
			if err != nil {
				return err
			}
			hint := fmt.Sprintf("no %s: `tykportal sync` imports them from the providers' Dashboards; `--all` also lists hidden ones", v.plural)
			if opts.Visibility == catalog.HiddenOnly {
				hint = fmt.Sprintf("no hidden %s", v.plural)
			}
			return a.printList(items, len(items), hint, func() output.Table {
				t := output.Table{Header: v.header}
				for _, it := range items {
					t.Rows = append(t.Rows, v.row(it))
				}
				return t
			})
		},
	}
	cmd.Flags().StringVar(&opts.Provider, "provider", "", "only this provider's items")
	cmd.Flags().BoolVar(&opts.hidden, "hidden", false, "only hidden items (their policy was not retrieved by the last sync)")
	cmd.Flags().BoolVar(&opts.all, "all", false, "visible and hidden items")
	return cmd
}

func newItemShowCmd[T any](a *App, v itemView[T], runF func(context.Context, uint64) error) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one " + v.kind,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := catalog.ParseID(v.kind, args[0])
			if err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), id)
			}
			it, err := portal.ShowItem[T](cmd.Context(), a.service(), id)
			if err != nil {
				return err
			}
			return a.printer().Print(it, func() output.Table { return v.detail(it) })
		},
	}
}

// newPublishCmd builds publish or unpublish: local only.
func newPublishCmd[T any, P portal.Entry[T]](a *App, v itemView[T], publish bool, runF func(context.Context, uint64) error) *cobra.Command {
	verb := "publish"
	if !publish {
		verb = "unpublish"
	}
	return &cobra.Command{
		Use:   verb + " ID",
		Short: strings.ToUpper(verb[:1]) + verb[1:] + " a " + v.kind + " (local; a hidden one cannot be published)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := catalog.ParseID(v.kind, args[0])
			if err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), id)
			}
			if _, err := portal.SetPublished[T, P](cmd.Context(), a.service(), id, publish); err != nil {
				return err
			}
			a.info("%s %d %sed.", strings.ToUpper(v.kind[:1])+v.kind[1:], id, verb)
			return nil
		},
	}
}
