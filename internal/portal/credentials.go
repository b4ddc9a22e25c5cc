package portal

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// Credentials: issue a key or OAuth client combining a product and a plan,
// list and show the records (show asks the Dashboard for the live state),
// rotate a key, revoke. Every Dashboard create goes through runJournaled.

// IssueOptions are what `credentials issue` asks for.
type IssueOptions struct {
	ProductID, PlanID uint64
	Consumer          string // the consumer's e-mail address
	Alias             string // the key's alias; "": the consumer
	RedirectURI       string // OAuth products: the client's redirect URI
}

// Validate checks the options on their own, before anything is read: the
// command calls it while parsing its flags, IssueCredential again.
func (o IssueOptions) Validate() error {
	if o.ProductID == 0 || o.PlanID == 0 {
		return catalog.Errorf(catalog.CodeInvalid, "--product and --plan are required")
	}
	if err := catalog.ValidateConsumer(o.Consumer); err != nil {
		return err
	}
	if err := catalog.ValidateName("--alias", o.alias()); err != nil {
		return err
	}
	if o.RedirectURI != "" {
		if _, err := provider.NormalizeURL("--redirect-uri", o.RedirectURI); err != nil {
			return err
		}
	}
	return nil
}

// alias is the key's alias: --alias, else the consumer's e-mail.
func (o IssueOptions) alias() string {
	if o.Alias == "" {
		return o.Consumer
	}
	return o.Alias
}

// Issued is a new credential with its key or OAuth client secret, which
// the Dashboard shows this once and tykportal never stores.
type Issued struct {
	catalog.Credential
	Key          string `json:"key,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
}

// The live states of a credential in its Dashboard.
const (
	LiveActive   = "active"
	LiveInactive = "inactive"
	LiveExpired  = "expired"
	LiveGone     = "gone"
	LiveUnknown  = "unknown" // the Dashboard could not be asked
)

// CredentialLive is a credential record with its live state in the
// Dashboard; LiveError says why the state is unknown.
type CredentialLive struct {
	catalog.CredentialView
	LiveState string `json:"live_state"`
	LiveError string `json:"live_error"`
}

// IssueCredential creates a key (or, for an OAuth product, an OAuth
// client) with the product's and the plan's policies in their provider's
// Dashboard and records it. The product and plan must be visible,
// published and of the same provider.
func (s *Service) IssueCredential(ctx context.Context, o IssueOptions) (Issued, error) {
	if err := o.Validate(); err != nil {
		return Issued{}, err
	}
	var prod catalog.Product
	var plan catalog.Plan
	err := s.view(ctx, func(tx store.Tx) error {
		var err error
		if prod, err = repo.GetProduct(tx, o.ProductID); err != nil {
			return err
		}
		plan, err = repo.GetPlan(tx, o.PlanID)
		return err
	})
	if isNoState(err) {
		return Issued{}, fmt.Errorf("product %d: %w", o.ProductID, catalog.ErrUnknown)
	}
	if err != nil {
		return Issued{}, err
	}
	if err := catalog.CheckIssuable(prod, plan); err != nil {
		return Issued{}, err
	}
	p, c, err := s.providerAndClient(ctx, prod.Provider)
	if err != nil {
		return Issued{}, err
	}

	alias := o.alias()
	now := s.now().Truncate(time.Second)
	ic := Issued{Credential: catalog.Credential{
		Provider: p.Name, ProductID: prod.ID, PlanID: plan.ID, Consumer: o.Consumer, Alias: alias,
		Kind: catalog.KindKey, CreatedAt: now, ExpiresAt: catalog.KeyExpiry(plan, now),
	}}
	op := catalog.Operation{Provider: p.Name, Command: "credentials issue", Object: catalog.ObjectKey, Name: alias, APIID: prod.APIs[0].APIID}
	meta := catalog.KeyMetaData(o.Consumer, prod, plan)
	var noHash error
	create := func(ctx context.Context, marker string) (created, error) {
		key, err := c.CreateKey(ctx, keyRequest(prod, plan, alias, catalog.Mark(meta, marker), ic.ExpiresAt))
		if err != nil {
			return created{}, fmt.Errorf("create key in provider %q: %w", p.Name, err)
		}
		if key.KeyHash == "" {
			noHash = fmt.Errorf("provider %q created a key with alias %q but returned no key hash (key hashing is off in the Dashboard): tykportal keeps only hashes, so delete that key in the Dashboard and enable hash_keys", p.Name, alias)
			return created{}, noHash
		}
		ic.KeyHash, ic.Key = key.KeyHash, key.Key
		return created{What: "key with hash " + key.KeyHash, Undo: func(ctx context.Context) error { return c.DeleteKey(ctx, key.KeyHash) }}, nil
	}
	if catalog.IsOAuth(prod) {
		ic.Kind, ic.APIID = catalog.KindOAuthClient, prod.APIs[0].APIID
		if err := s.issueOAuth(ctx, p, c, prod, plan, o.RedirectURI, meta, &ic); err != nil {
			return Issued{}, err
		}
		return ic, nil
	}

	err = s.runJournaled(ctx, journaled{
		Op:     op,
		Create: create,
		Save:   func(tx store.Tx) error { return repo.CreateCredential(tx, &ic.Credential) },
	})
	if noHash != nil {
		// The key exists and its operation stays journaled, but without a
		// hash it cannot be recorded or deleted by tykportal.
		return Issued{}, catalog.WithCode(catalog.CodeRemoteFailed, noHash)
	}
	if err != nil {
		return Issued{}, err
	}
	return ic, nil
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

// ListCredentials returns the credential records matching f, flagged when
// their product or plan is hidden or gone; never nil. A provider that does
// not exist is an input error.
func (s *Service) ListCredentials(ctx context.Context, f repo.CredentialFilter) ([]catalog.CredentialView, error) {
	items := []catalog.CredentialView{}
	err := s.view(ctx, func(tx store.Tx) error {
		if err := checkProvider(tx, f.Provider); err != nil {
			return err
		}
		var err error
		items, err = repo.ListCredentials(tx, f)
		return err
	})
	return items, noStateOK(err, f.Provider)
}

// readCredential reads one credential record with its product's and plan's
// state.
func (s *Service) readCredential(ctx context.Context, id uint64) (catalog.CredentialView, error) {
	var found catalog.CredentialView
	err := s.view(ctx, func(tx store.Tx) error {
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

// ShowCredential reads a credential record and asks its Dashboard for the
// live state. A Dashboard that cannot be asked is no error: the state is
// LiveUnknown and LiveError says why.
func (s *Service) ShowCredential(ctx context.Context, id uint64) (CredentialLive, error) {
	cv, err := s.readCredential(ctx, id)
	if err != nil {
		return CredentialLive{}, err
	}
	out := CredentialLive{CredentialView: cv, LiveState: LiveUnknown}
	_, c, err := s.providerAndClient(ctx, cv.Provider)
	if err == nil {
		out.LiveState, err = liveState(ctx, c, cv.Credential, s.now())
	}
	if err != nil {
		out.LiveError = err.Error()
	}
	return out, nil
}

func liveState(ctx context.Context, c *dashboard.Client, cred catalog.Credential, now time.Time) (string, error) {
	if cred.Kind == catalog.KindOAuthClient {
		_, err := c.GetOAuthClient(ctx, cred.APIID, cred.ClientID)
		switch {
		case err == nil:
			return LiveActive, nil
		case errors.Is(err, dashboard.ErrNotFound):
			return LiveGone, nil
		}
		return LiveUnknown, err
	}
	k, err := c.GetKey(ctx, cred.KeyHash)
	switch {
	case errors.Is(err, dashboard.ErrNotFound):
		return LiveGone, nil
	case err != nil:
		return LiveUnknown, err
	case k.IsInactive:
		return LiveInactive, nil
	case k.Expires > 0 && k.Expires < now.Unix():
		return LiveExpired, nil
	}
	return LiveActive, nil
}

// RevokeCredential deletes a credential's key (by its hash) or OAuth
// client in the Dashboard and marks the record revoked. confirm, when not
// nil, is asked once the record is read and before the Dashboard is
// called; its error stops the revoke with nothing changed.
func (s *Service) RevokeCredential(ctx context.Context, id uint64, confirm func(question string) error) error {
	cv, err := s.readCredential(ctx, id)
	if err != nil {
		return err
	}
	if cv.Revoked {
		return fmt.Errorf("%w: credential %d is already revoked", catalog.ErrInvalid, cv.ID)
	}
	if confirm != nil {
		if err := confirm(fmt.Sprintf("Revoke credential %d of %s (the key stops working at once)", cv.ID, cv.Consumer)); err != nil {
			return err
		}
	}
	_, c, err := s.providerAndClient(ctx, cv.Provider)
	if err != nil {
		return err
	}
	if err := deleteCredentialObject(ctx, c, cv.Credential); err != nil {
		if !errors.Is(err, dashboard.ErrNotFound) {
			return remote(fmt.Errorf("revoke credential %d: %w (the record was left as it was)", cv.ID, err))
		}
		s.warn("the Dashboard no longer had credential %d's %s; marking it revoked", cv.ID, cv.Kind)
	}
	err = s.update(ctx, func(tx store.Tx) error {
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
	if cv.Kind == catalog.KindOAuthClient && cv.PolicyMID != "" {
		s.releaseCombined(ctx, c, cv.Credential)
	}
	return nil
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

// RotateCredential replaces a credential's key with a new one (the old
// key's policies, meta data and expiry; the record's alias) and then
// deletes the old key. Once the new key is recorded, and before the old
// one is deleted, recorded (when not nil) is given it: the command prints
// it there, so that a rotation killed while the old key is deleted has
// shown its new key. An error from recorded is returned as it is, with the
// old key kept (journaled: `doctor --repair` deletes it).
//
// The Issued returned holds the new key whenever it was recorded, also
// with an error (the old key could not be deleted: the new key works).
// OAuth clients and revoked credentials are not rotated.
func (s *Service) RotateCredential(ctx context.Context, id uint64, recorded func(Issued) error) (Issued, error) {
	cv, err := s.readCredential(ctx, id)
	if err != nil {
		return Issued{}, err
	}
	switch {
	case cv.Revoked:
		return Issued{}, fmt.Errorf("%w: credential %d is revoked; issue a new one", catalog.ErrInvalid, cv.ID)
	case cv.Kind != catalog.KindKey:
		return Issued{}, fmt.Errorf("%w: credential %d is an OAuth client; rotate its secret in the Dashboard or revoke and issue again", catalog.ErrInvalid, cv.ID)
	}
	var prod catalog.Product
	var plan catalog.Plan
	err = s.view(ctx, func(tx store.Tx) error {
		var err error
		if prod, err = repo.GetProduct(tx, cv.ProductID); err != nil {
			return err
		}
		plan, err = repo.GetPlan(tx, cv.PlanID)
		return err
	})
	if err != nil {
		return Issued{}, fmt.Errorf("credential %d: %w", cv.ID, err)
	}
	_, c, err := s.providerAndClient(ctx, cv.Provider)
	if err != nil {
		return Issued{}, err
	}
	old, err := c.GetKey(ctx, cv.KeyHash)
	if err != nil {
		if errors.Is(err, dashboard.ErrRejected) {
			err = fmt.Errorf("%w; a Dashboard with key hashing off refuses lookups by hash (?hashed=true): turn hash_keys on", err)
		}
		return Issued{}, remote(fmt.Errorf("read the current key of credential %d: %w", cv.ID, err))
	}
	req := keyRequest(prod, plan, cv.Alias, catalog.KeyMetaData(cv.Consumer, prod, plan), cv.ExpiresAt)
	// Same policies, meta data and expiry as the key being replaced.
	if len(old.ApplyPolicies) > 0 {
		req.ApplyPolicies = old.ApplyPolicies
	}
	if len(old.MetaData) > 0 {
		req.MetaData = old.MetaData
	}
	req.Expires = old.Expires

	oldHash := cv.KeyHash
	var key *dashboard.CreatedKey
	var ic Issued // set once the new key is recorded
	var noHash, shownErr, retireErr error
	err = s.runJournaled(ctx, journaled{
		Undone: "the old key still works",
		Op:     catalog.Operation{Provider: cv.Provider, Command: "credentials rotate", Object: catalog.ObjectKey, Name: cv.Alias, APIID: prod.APIs[0].APIID, CredentialID: cv.ID},
		Create: func(ctx context.Context, marker string) (created, error) {
			req.MetaData = catalog.Mark(maps.Clone(req.MetaData), marker)
			var err error
			if key, err = c.CreateKey(ctx, req); err != nil {
				return created{}, fmt.Errorf("create the new key of credential %d: %w (the old key still works)", cv.ID, err)
			}
			if key.KeyHash == "" {
				noHash = fmt.Errorf("provider %q created a key with alias %q but returned no key hash (key hashing is off): delete that key in the Dashboard and enable hash_keys", cv.Provider, cv.Alias)
				return created{}, noHash
			}
			return created{What: "new key with hash " + key.KeyHash, Undo: func(ctx context.Context) error { return c.DeleteKey(ctx, key.KeyHash) }}, nil
		},
		Save: func(tx store.Tx) error {
			cur, err := repo.GetCredential(tx, cv.ID)
			if err != nil {
				return err
			}
			cur.KeyHash = key.KeyHash
			cur.CreatedAt = s.now().Truncate(time.Second)
			return repo.PutCredential(tx, cur)
		},
		Replaces: oldHash,
		Retire: func(ctx context.Context) error {
			// The new key is recorded: show it before the old one goes.
			ic = Issued{Credential: cv.Credential, Key: key.Key}
			ic.KeyHash = key.KeyHash
			if recorded != nil {
				if shownErr = recorded(ic); shownErr != nil {
					return shownErr
				}
			}
			retireErr = deleteCredentialObject(ctx, c, catalog.Credential{Kind: catalog.KindKey, KeyHash: oldHash})
			return retireErr
		},
	})
	switch {
	case noHash != nil:
		return Issued{}, catalog.WithCode(catalog.CodeRemoteFailed, noHash)
	case shownErr != nil:
		return ic, shownErr
	case errors.Is(err, errRetire):
		return ic, catalog.Errorf(catalog.CodeOf(remote(retireErr)), "credential %d has its new key, but the old key with hash %s could not be deleted: %w; delete it in the Dashboard, or run `tykportal doctor --repair`", cv.ID, oldHash, retireErr)
	case err != nil:
		return Issued{}, err
	}
	return ic, nil
}
