package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/output"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// The credentials commands parse their flags, call one use case of
// internal/portal and print. Each takes an optional runF that receives the
// parsed options instead (gh's pattern), so flag parsing is tested alone.

func (a *App) credentialsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "credentials",
		Aliases: []string{"credential", "creds", "cred"},
		Short:   "Issue, list, show, rotate and revoke consumers' credentials",
	}
	cmd.AddCommand(newCredIssueCmd(a, nil), newCredListCmd(a, nil), newCredShowCmd(a, nil), newCredRevokeCmd(a, nil), newCredRotateCmd(a, nil))
	return cmd
}

func credentialTable(c catalog.Credential, extra ...[]string) output.Table {
	ref := c.KeyHash
	refName := "Key hash"
	if c.Kind == catalog.KindOAuthClient {
		ref, refName = c.ClientID, "Client ID"
	}
	rows := [][]string{
		{"ID", fmt.Sprint(c.ID)}, {"Provider", c.Provider}, {"Product", fmt.Sprint(c.ProductID)}, {"Plan", fmt.Sprint(c.PlanID)},
		{"Consumer", c.Consumer}, {"Alias", c.Alias}, {"Kind", c.Kind}, {refName, ref},
		{"Created", c.CreatedAt.UTC().Format(time.RFC3339)}, {"Expires", expiresText(c.ExpiresAt)}, {"Revoked", fmt.Sprint(c.Revoked)},
	}
	return output.Table{KeyValue: true, Rows: append(rows, extra...)}
}

// printIssued prints a new credential with its secret once (the record
// plus `key` or `client_secret`), and reminds on stderr that it will not be
// shown again.
func (a *App) printIssued(ic portal.Issued) error {
	secretRow := []string{"Key", ic.Key}
	if ic.Kind == catalog.KindOAuthClient {
		secretRow = []string{"Client secret", ic.ClientSecret}
	}
	if err := a.printer().Print(ic, func() output.Table { return credentialTable(ic.Credential, secretRow) }); err != nil {
		return err
	}
	a.info("Store the %s now: tykportal keeps only its hash and will not show it again.", strings.ToLower(secretRow[0]))
	return nil
}

func newCredIssueCmd(a *App, runF func(context.Context, portal.IssueOptions) error) *cobra.Command {
	var opts portal.IssueOptions
	var productArg, planArg string
	cmd := &cobra.Command{
		Use:   "issue --product ID --plan ID --consumer EMAIL [--alias A]",
		Short: "Issue a key (or OAuth client) combining a product and a plan",
		Long: `Issue creates a key with the product's and the plan's policies applied, or, for an
OAuth 2.0 product, an OAuth client. An OAuth client names one policy only, so it is bound
to the product and plan's combined policy (the product's access rights and the plan's
limits, tagged tykportal-oauth-combined): created by the first issue of the pair, reused
by the next, deleted when its last client is revoked. The key or client secret is printed
once and never stored.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if productArg == "" || planArg == "" {
				return usageErrorf("--product and --plan are required")
			}
			var err error
			if opts.ProductID, err = catalog.ParseID("product", productArg); err != nil {
				return err
			}
			if opts.PlanID, err = catalog.ParseID("plan", planArg); err != nil {
				return err
			}
			if err := opts.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			ic, err := a.service().IssueCredential(cmd.Context(), opts)
			if err != nil {
				return err
			}
			return a.printIssued(ic)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&productArg, "product", "", "product id")
	fl.StringVar(&planArg, "plan", "", "plan id")
	fl.StringVar(&opts.Consumer, "consumer", "", "the consumer's e-mail address")
	fl.StringVar(&opts.Alias, "alias", "", "key alias (default: the consumer's e-mail)")
	fl.StringVar(&opts.RedirectURI, "redirect-uri", "", "OAuth 2.0 products: the client's redirect URI")
	return cmd
}

func newCredListCmd(a *App, runF func(context.Context, repo.CredentialFilter) error) *cobra.Command {
	var f repo.CredentialFilter
	var productArg string
	cmd := &cobra.Command{
		Use:     "list [--product ID] [--consumer EMAIL] [--provider P]",
		Aliases: []string{"ls"},
		Short:   "List credential records (flagging those whose product or plan is hidden)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if productArg != "" {
				id, err := catalog.ParseID("product", productArg)
				if err != nil {
					return err
				}
				f.ProductID = id
			}
			if runF != nil {
				return runF(cmd.Context(), f)
			}
			items, err := a.service().ListCredentials(cmd.Context(), f)
			if err != nil {
				return err
			}
			return a.printList(items, len(items), "no credentials: issue one with `tykportal credentials issue --product ID --plan ID --consumer EMAIL`",
				func() output.Table { return credentialsTable(items) })
		},
	}
	cmd.Flags().StringVar(&productArg, "product", "", "only credentials of this product id")
	cmd.Flags().StringVar(&f.Consumer, "consumer", "", "only credentials of this consumer")
	cmd.Flags().StringVar(&f.Provider, "provider", "", "only credentials of this provider")
	return cmd
}

func credentialsTable(items []catalog.CredentialView) output.Table {
	t := output.Table{Header: []string{"id", "provider", "product", "plan", "consumer", "kind", "created", "expires", "state"}}
	for _, c := range items {
		t.Rows = append(t.Rows, []string{fmt.Sprint(c.ID), c.Provider, fmt.Sprint(c.ProductID), fmt.Sprint(c.PlanID),
			c.Consumer, c.Kind, c.CreatedAt.UTC().Format(time.RFC3339), expiresText(c.ExpiresAt), credState(c)})
	}
	return t
}

func credState(c catalog.CredentialView) string {
	var s []string
	if c.Revoked {
		s = append(s, "revoked")
	} else {
		s = append(s, "issued")
	}
	if c.ProductHidden {
		s = append(s, "product hidden")
	}
	if c.PlanHidden {
		s = append(s, "plan hidden")
	}
	return strings.Join(s, ", ")
}

// credIDCmd is a command taking one credential id: show, rotate.
func credIDCmd(use, short string, run func(ctx context.Context, id uint64) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := catalog.ParseID("credential", args[0])
			if err != nil {
				return err
			}
			return run(cmd.Context(), id)
		},
	}
}

func newCredShowCmd(a *App, runF func(context.Context, uint64) error) *cobra.Command {
	if runF == nil {
		runF = func(ctx context.Context, id uint64) error {
			cl, err := a.service().ShowCredential(ctx, id)
			if err != nil {
				return err
			}
			return a.printer().Print(cl, func() output.Table {
				return credentialTable(cl.Credential, []string{"Live state", cl.LiveState}, []string{"Live error", dash(cl.LiveError)})
			})
		}
	}
	return credIDCmd("show ID", "Show a credential record with its live state in the Dashboard", runF)
}

// credRevokeOptions are `credentials revoke`.
type credRevokeOptions struct {
	id  uint64
	yes bool
}

func newCredRevokeCmd(a *App, runF func(context.Context, credRevokeOptions) error) *cobra.Command {
	var opts credRevokeOptions
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Delete a credential's key or OAuth client in the Dashboard and mark the record revoked",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.id, err = catalog.ParseID("credential", args[0]); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			confirm := func(question string) error { return a.confirm(cmd.Context(), question, "--yes") }
			if opts.yes {
				confirm = nil
			}
			if err := a.service().RevokeCredential(cmd.Context(), opts.id, confirm); err != nil {
				return err
			}
			a.info("Revoked credential %d.", opts.id)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func newCredRotateCmd(a *App, runF func(context.Context, uint64) error) *cobra.Command {
	if runF == nil {
		runF = func(ctx context.Context, id uint64) error {
			// The new key is printed once it is recorded, before the old
			// one is deleted: a failure to delete that still exits 1.
			_, err := a.service().RotateCredential(ctx, id, a.printIssued)
			return err
		}
	}
	return credIDCmd("rotate ID", "Replace a credential's key with a new one (same policies, alias, meta data); the old key is deleted after", runF)
}
