package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/output"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

func (a *App) credentialsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "credentials",
		Aliases: []string{"credential", "creds", "cred"},
		Short:   "Issue, list, show, rotate and revoke consumers' credentials",
	}
	cmd.AddCommand(a.credIssueCommand(), a.credListCommand(), a.credShowCommand(), a.credRevokeCommand(), a.credRotateCommand())
	return cmd
}

// issuedCredential is what issue and rotate print: the record plus the key
// or client secret, shown this once and never stored.
type issuedCredential struct {
	catalog.Credential
	Key          string `json:"key,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
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

// printIssued prints a new credential with its secret once, and reminds on
// stderr that it will not be shown again.
func (a *App) printIssued(ic issuedCredential) error {
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

func (a *App) credIssueCommand() *cobra.Command {
	var productArg, planArg, consumer, alias, redirectURI string
	cmd := &cobra.Command{
		Use:   "issue --product ID --plan ID --consumer EMAIL [--alias A]",
		Short: "Issue a key (or OAuth client) combining a product and a plan",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if productArg == "" || planArg == "" {
				return usageErrorf("--product and --plan are required")
			}
			prodID, err := catalog.ParseID("product", productArg)
			if err != nil {
				return err
			}
			planID, err := catalog.ParseID("plan", planArg)
			if err != nil {
				return err
			}
			if err := catalog.ValidateConsumer(consumer); err != nil {
				return err
			}
			if alias == "" {
				alias = consumer
			}
			if err := catalog.ValidateName("--alias", alias); err != nil {
				return err
			}
			var prod catalog.Product
			var plan catalog.Plan
			err = a.view(ctx, func(tx store.Tx) error {
				if prod, err = repo.GetProduct(tx, prodID); err != nil {
					return err
				}
				plan, err = repo.GetPlan(tx, planID)
				return err
			})
			if isNoState(err) {
				return fmt.Errorf("product %d: %w", prodID, catalog.ErrUnknown)
			}
			if err != nil {
				return err
			}
			if err := catalog.CheckIssuable(prod, plan); err != nil {
				return err
			}
			if redirectURI != "" {
				if _, err := provider.NormalizeURL("--redirect-uri", redirectURI); err != nil {
					return err
				}
			}
			p, c, err := a.providerAndClient(ctx, prod.Provider)
			if err != nil {
				return err
			}
			now := a.Now().UTC().Truncate(time.Second)
			cred := catalog.Credential{
				Provider: p.Name, ProductID: prod.ID, PlanID: plan.ID, Consumer: consumer, Alias: alias,
				CreatedAt: now, ExpiresAt: catalog.KeyExpiry(plan, now),
			}
			meta := catalog.KeyMetaData(consumer, prod, plan)
			op := catalog.Operation{Provider: p.Name, Command: "credentials issue", Object: catalog.ObjectKey, Name: alias, APIID: prod.APIs[0].APIID}
			if catalog.IsOAuth(prod) {
				op.Object = catalog.ObjectOAuthClient
			}
			if err := a.beginOperation(ctx, &op); err != nil {
				return err
			}
			meta = catalog.Mark(meta, op.Marker)
			var ic issuedCredential
			if catalog.IsOAuth(prod) {
				cred.Kind, cred.APIID = catalog.KindOAuthClient, prod.APIs[0].APIID
				client, err := c.CreateOAuthClient(ctx, cred.APIID, dashboard.OAuthClientRequest{
					PolicyID: prod.PolicyID, RedirectURI: redirectURI, Description: alias, MetaData: meta,
				})
				if err != nil {
					return a.createFailed(ctx, op, fmt.Errorf("create OAuth client in provider %q: %w", p.Name, err))
				}
				cred.ClientID = client.ClientID
				ic.ClientSecret = client.Secret
				undo := func(ctx context.Context) error { return c.DeleteOAuthClient(ctx, cred.APIID, client.ClientID) }
				if err := a.saveNewCredential(ctx, &cred, op, undo, "OAuth client "+client.ClientID); err != nil {
					return err
				}
			} else {
				cred.Kind = catalog.KindKey
				key, err := c.CreateKey(ctx, keyRequest(prod, plan, alias, meta, cred.ExpiresAt))
				if err != nil {
					return a.createFailed(ctx, op, fmt.Errorf("create key in provider %q: %w", p.Name, err))
				}
				if key.KeyHash == "" {
					return fmt.Errorf("provider %q created a key with alias %q but returned no key hash (key hashing is off in the Dashboard): tykportal keeps only hashes, so delete that key in the Dashboard and enable hash_keys", p.Name, alias)
				}
				cred.KeyHash = key.KeyHash
				ic.Key = key.Key
				undo := func(ctx context.Context) error { return c.DeleteKey(ctx, key.KeyHash) }
				if err := a.saveNewCredential(ctx, &cred, op, undo, "key with hash "+key.KeyHash); err != nil {
					return err
				}
			}
			ic.Credential = cred
			return a.printIssued(ic)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&productArg, "product", "", "product id")
	fl.StringVar(&planArg, "plan", "", "plan id")
	fl.StringVar(&consumer, "consumer", "", "the consumer's e-mail address")
	fl.StringVar(&alias, "alias", "", "key alias (default: the consumer's e-mail)")
	fl.StringVar(&redirectURI, "redirect-uri", "", "OAuth 2.0 products: the client's redirect URI")
	return cmd
}

func keyRequest(prod catalog.Product, plan catalog.Plan, alias string, meta map[string]any, expires *time.Time) dashboard.KeyRequest {
	req := dashboard.KeyRequest{
		ApplyPolicies: []string{prod.PolicyID, plan.PolicyID},
		Alias:         alias,
		MetaData:      meta,
		Tags:          []string{"tykportal"},
	}
	if expires != nil {
		req.Expires = expires.Unix()
	}
	return req
}

// saveNewCredential writes a credential record for an object the Dashboard
// just created, finishing its journaled operation in the same transaction.
// If the write fails, the object is deleted again; if that fails too, the
// error names it and the journal entry stays, so that no key is left without
// a record or a report.
func (a *App) saveNewCredential(ctx context.Context, cred *catalog.Credential, op catalog.Operation, undo func(context.Context) error, what string) error {
	err := a.update(ctx, func(tx store.Tx) error {
		if err := repo.CreateCredential(tx, cred); err != nil {
			return err
		}
		return repo.FinishOperation(tx, op.ID)
	})
	if err == nil {
		return nil
	}
	if derr := undo(context.WithoutCancel(ctx)); derr != nil {
		return fmt.Errorf("save the credential locally: %w; the %s created in provider %q could not be deleted again (%v): delete it in the Dashboard, or run `tykportal doctor --repair`", err, what, cred.Provider, derr)
	}
	a.finishOperation(ctx, op)
	return fmt.Errorf("save the credential locally: %w (the %s created in the Dashboard was deleted again)", err, what)
}

func (a *App) credListCommand() *cobra.Command {
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
			items := []catalog.CredentialView{}
			err := a.view(cmd.Context(), func(tx store.Tx) error {
				if err := a.checkProvider(tx, f.Provider); err != nil {
					return err
				}
				var err error
				items, err = repo.ListCredentials(tx, f)
				return err
			})
			if err := a.noStateOK(err, f.Provider); err != nil {
				return err
			}
			return a.printer().Print(items, func() output.Table {
				t := output.Table{Header: []string{"id", "provider", "product", "plan", "consumer", "kind", "created", "expires", "state"}}
				for _, c := range items {
					t.Rows = append(t.Rows, []string{fmt.Sprint(c.ID), c.Provider, fmt.Sprint(c.ProductID), fmt.Sprint(c.PlanID),
						c.Consumer, c.Kind, c.CreatedAt.UTC().Format(time.RFC3339), expiresText(c.ExpiresAt), credState(c)})
				}
				return t
			})
		},
	}
	cmd.Flags().StringVar(&productArg, "product", "", "only credentials of this product id")
	cmd.Flags().StringVar(&f.Consumer, "consumer", "", "only credentials of this consumer")
	cmd.Flags().StringVar(&f.Provider, "provider", "", "only credentials of this provider")
	return cmd
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

// credentialLive is `credentials show`: the record and its live state in the
// Dashboard ("active", "inactive", "expired", "gone", or "unknown" when the
// Dashboard could not be asked).
type credentialLive struct {
	catalog.CredentialView
	LiveState string `json:"live_state"`
	LiveError string `json:"live_error"`
}

func (a *App) readCredential(ctx context.Context, idArg string) (catalog.CredentialView, error) {
	id, err := catalog.ParseID("credential", idArg)
	if err != nil {
		return catalog.CredentialView{}, err
	}
	var found catalog.CredentialView
	err = a.view(ctx, func(tx store.Tx) error {
		c, err := repo.GetCredential(tx, id)
		if err != nil {
			return err
		}
		views, err := repo.ListCredentials(tx, repo.CredentialFilter{ProductID: c.ProductID})
		if err != nil {
			return err
		}
		for _, v := range views {
			if v.ID == id {
				found = v
			}
		}
		return nil
	})
	if isNoState(err) {
		return found, fmt.Errorf("credential %d: %w", id, catalog.ErrUnknown)
	}
	return found, err
}

func (a *App) credShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a credential record with its live state in the Dashboard",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cv, err := a.readCredential(ctx, args[0])
			if err != nil {
				return err
			}
			out := credentialLive{CredentialView: cv, LiveState: "unknown"}
			if _, c, err := a.providerAndClient(ctx, cv.Provider); err != nil {
				out.LiveError = err.Error()
			} else {
				out.LiveState, err = liveState(ctx, c, cv.Credential, a.Now())
				if err != nil {
					out.LiveError = err.Error()
				}
			}
			return a.printer().Print(out, func() output.Table {
				return credentialTable(cv.Credential, []string{"Live state", out.LiveState}, []string{"Live error", dash(out.LiveError)})
			})
		},
	}
}

func liveState(ctx context.Context, c *dashboard.Client, cred catalog.Credential, now time.Time) (string, error) {
	if cred.Kind == catalog.KindOAuthClient {
		_, err := c.GetOAuthClient(ctx, cred.APIID, cred.ClientID)
		switch {
		case err == nil:
			return "active", nil
		case errors.Is(err, dashboard.ErrNotFound):
			return "gone", nil
		}
		return "unknown", err
	}
	k, err := c.GetKey(ctx, cred.KeyHash)
	switch {
	case errors.Is(err, dashboard.ErrNotFound):
		return "gone", nil
	case err != nil:
		return "unknown", err
	case k.IsInactive:
		return "inactive", nil
	case k.Expires > 0 && k.Expires < now.Unix():
		return "expired", nil
	}
	return "active", nil
}

func (a *App) credRevokeCommand() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Delete a credential's key or OAuth client in the Dashboard and mark the record revoked",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cv, err := a.readCredential(ctx, args[0])
			if err != nil {
				return err
			}
			if cv.Revoked {
				return fmt.Errorf("%w: credential %d is already revoked", catalog.ErrInvalid, cv.ID)
			}
			if !yes {
				if err := a.confirm(fmt.Sprintf("Revoke credential %d of %s (the key stops working at once)", cv.ID, cv.Consumer), "--yes"); err != nil {
					return err
				}
			}
			_, c, err := a.providerAndClient(ctx, cv.Provider)
			if err != nil {
				return err
			}
			if err := deleteCredentialObject(ctx, c, cv.Credential); err != nil {
				if !errors.Is(err, dashboard.ErrNotFound) {
					return fmt.Errorf("revoke credential %d: %w (the record was left as it was)", cv.ID, err)
				}
				a.warn("the Dashboard no longer had credential %d's %s; marking it revoked", cv.ID, cv.Kind)
			}
			err = a.update(ctx, func(tx store.Tx) error {
				cur, err := repo.GetCredential(tx, cv.ID)
				if err != nil {
					return err
				}
				cur.Revoked = true
				return repo.PutCredential(tx, cur)
			})
			if err != nil {
				return fmt.Errorf("the key was deleted in the Dashboard, but marking credential %d revoked failed: %w", cv.ID, err)
			}
			a.info("Revoked credential %d.", cv.ID)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// deleteCredentialObject deletes a credential's key (by hash) or OAuth
// client in the Dashboard. A Dashboard that refuses delete-by-hash gets an
// error naming its setting.
func deleteCredentialObject(ctx context.Context, c *dashboard.Client, cred catalog.Credential) error {
	if cred.Kind == catalog.KindOAuthClient {
		return c.DeleteOAuthClient(ctx, cred.APIID, cred.ClientID)
	}
	err := c.DeleteKey(ctx, cred.KeyHash)
	if err != nil && errors.Is(err, dashboard.ErrRejected) {
		return fmt.Errorf("%w; deleting keys by hash needs enable_delete_key_by_hash: true in the Dashboard's configuration", err)
	}
	return err
}

func (a *App) credRotateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate ID",
		Short: "Replace a credential's key with a new one (same policies, alias, meta data); the old key is deleted after",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cv, err := a.readCredential(ctx, args[0])
			if err != nil {
				return err
			}
			switch {
			case cv.Revoked:
				return fmt.Errorf("%w: credential %d is revoked; issue a new one", catalog.ErrInvalid, cv.ID)
			case cv.Kind != catalog.KindKey:
				return fmt.Errorf("%w: credential %d is an OAuth client; rotate its secret in the Dashboard or revoke and issue again", catalog.ErrInvalid, cv.ID)
			}
			var prod catalog.Product
			var plan catalog.Plan
			err = a.view(ctx, func(tx store.Tx) error {
				if prod, err = repo.GetProduct(tx, cv.ProductID); err != nil {
					return err
				}
				plan, err = repo.GetPlan(tx, cv.PlanID)
				return err
			})
			if err != nil {
				return fmt.Errorf("credential %d: %w", cv.ID, err)
			}
			_, c, err := a.providerAndClient(ctx, cv.Provider)
			if err != nil {
				return err
			}
			old, err := c.GetKey(ctx, cv.KeyHash)
			if err != nil {
				return fmt.Errorf("read the current key of credential %d: %w", cv.ID, err)
			}
			req := keyRequest(prod, plan, cv.Alias, catalog.KeyMetaData(cv.Consumer, prod, plan), cv.ExpiresAt)
			// Same policies and meta data as the key being replaced.
			if len(old.ApplyPolicies) > 0 {
				req.ApplyPolicies = old.ApplyPolicies
			}
			if len(old.MetaData) > 0 {
				req.MetaData = old.MetaData
			}
			req.Expires = old.Expires
			op := catalog.Operation{Provider: cv.Provider, Command: "credentials rotate", Object: catalog.ObjectKey, Name: cv.Alias, APIID: prod.APIs[0].APIID, CredentialID: cv.ID}
			if err := a.beginOperation(ctx, &op); err != nil {
				return err
			}
			req.MetaData = catalog.Mark(maps.Clone(req.MetaData), op.Marker)
			key, err := c.CreateKey(ctx, req)
			if err != nil {
				return a.createFailed(ctx, op, fmt.Errorf("create the new key of credential %d: %w (the old key still works)", cv.ID, err))
			}
			if key.KeyHash == "" {
				return fmt.Errorf("provider %q created a key with alias %q but returned no key hash (key hashing is off): delete that key in the Dashboard and enable hash_keys", cv.Provider, cv.Alias)
			}
			oldHash := cv.KeyHash
			err = a.update(ctx, func(tx store.Tx) error {
				cur, err := repo.GetCredential(tx, cv.ID)
				if err != nil {
					return err
				}
				cur.KeyHash = key.KeyHash
				cur.CreatedAt = a.Now().UTC().Truncate(time.Second)
				if err := repo.PutCredential(tx, cur); err != nil {
					return err
				}
				// The new key is recorded; the operation now stands for the
				// old key until it is deleted below.
				op.Stale = oldHash
				return repo.PutOperation(tx, op)
			})
			if err != nil {
				if derr := c.DeleteKey(context.WithoutCancel(ctx), key.KeyHash); derr != nil {
					return fmt.Errorf("save the rotated credential %d: %w; the new key with hash %s could not be deleted again (%v): delete it in the Dashboard, or run `tykportal doctor --repair`", cv.ID, err, key.KeyHash, derr)
				}
				a.finishOperation(ctx, op)
				return fmt.Errorf("save the rotated credential %d: %w (the new key was deleted again; the old key still works)", cv.ID, err)
			}
			cred := cv.Credential
			cred.KeyHash = key.KeyHash
			if err := a.printIssued(issuedCredential{Credential: cred, Key: key.Key}); err != nil {
				return err
			}
			if err := deleteCredentialObject(ctx, c, catalog.Credential{Kind: catalog.KindKey, KeyHash: oldHash}); err != nil && !errors.Is(err, dashboard.ErrNotFound) {
				return fmt.Errorf("credential %d has its new key, but the old key with hash %s could not be deleted: %w; delete it in the Dashboard, or run `tykportal doctor --repair`", cv.ID, oldHash, err)
			}
			a.finishOperation(ctx, op)
			return nil
		},
	}
}
