package portal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/secret"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// The provider use cases: add, edit, remove, test, list and show.

// SecretInput is a secret the user gave for a provider.
type SecretInput struct {
	Value string
	// FromEnv: it came from TYKPORTAL_SECRET_<NAME>, which is used but
	// never stored (the provider's secret source becomes "env").
	FromEnv bool
}

// SecretFunc asks the user for a provider's secret. A use case calls it
// only once it knows the secret is wanted (the name is free, the provider
// exists), so a refused command never asks.
type SecretFunc func() (SecretInput, error)

// AddProviderOptions are `provider add`.
type AddProviderOptions struct {
	// Provider is the new provider with validated, normalised fields.
	Provider provider.Provider
	// Secret gives the provider's secret.
	Secret SecretFunc
	// SkipCheck saves without asking the Dashboard (the org id, when left
	// out, is then filled by the first successful sync).
	SkipCheck bool
}

// AddProvider adds a provider. A duplicate name, or one that would share
// its TYKPORTAL_SECRET_<NAME> variable with another provider, is refused
// before the secret is asked for. Unless SkipCheck, the connection and the
// secret are checked first (the org id is taken from the secret's user when
// left out; a mismatch is refused). Then the name is reserved against
// other adds (see reserveName) and checked again, the secret is stored
// (unless it came from the environment), and the provider is saved, the
// name checked once more in that transaction; if the save fails, the
// secret is deleted again. It returns the provider as saved.
func (s *Service) AddProvider(ctx context.Context, opts AddProviderOptions) (provider.Provider, error) {
	p := opts.Provider
	if err := provider.ValidateName(p.Name); err != nil {
		return p, err
	}
	if p.Type == "" {
		p.Type = provider.TypeTykPro
	}
	if p.PolicyTags == nil {
		p.PolicyTags = []string{}
	}
	if p.Status == "" {
		p.Status = provider.StatusUnknown
	}
	if err := s.checkNameFree(ctx, p.Name); err != nil {
		return p, err
	}
	if err := s.secretStorable(ctx, p.Name); err != nil {
		return p, err
	}
	in, err := opts.Secret()
	if err != nil {
		return p, err
	}
	s.warnInsecure(p)
	if !opts.SkipCheck {
		if err := s.checkConnection(ctx, &p, in.Value); err != nil {
			return p, err
		}
	}
	release, err := s.reserveName(ctx, p.Name)
	if err != nil {
		return p, err
	}
	defer release()
	// Again, now that no other add of the name can store its secret: one
	// that finished meanwhile (or a name sharing the variable) is refused
	// before its secret would be replaced.
	if err := s.checkNameFree(ctx, p.Name); err != nil {
		return p, err
	}
	if p.SecretSource, err = s.storeSecret(ctx, p.Name, in); err != nil {
		return p, err
	}
	p.CreatedAt = s.now().Truncate(time.Second)
	// And in the transaction that saves it, where no other writer can add
	// the name or one sharing its secret variable (prod-1 and prod_1)
	// unseen, reserved or not: bbolt has one writer at a time, and
	// PostgreSQL's serializable transaction fails one of two that each read
	// the providers and add one (the retry then sees the other).
	err = s.update(ctx, func(tx store.Tx) error {
		existing, err := repo.ListProviders(tx)
		if err != nil {
			return err
		}
		if err := nameFree(existing, p.Name); err != nil {
			return err
		}
		return repo.PutProvider(tx, p)
	})
	if err != nil {
		// Never leave a secret behind for a provider that was not saved.
		_ = s.Secrets.Delete(context.WithoutCancel(ctx), p.Name, p.SecretSource)
		return p, fmt.Errorf("save provider %q: %w", p.Name, err)
	}
	return p, nil
}

// checkNameFree refuses a name that is taken in the state (see nameFree);
// no state yet takes none.
func (s *Service) checkNameFree(ctx context.Context, name string) error {
	err := s.view(ctx, func(tx store.Tx) error {
		existing, err := repo.ListProviders(tx)
		if err != nil {
			return err
		}
		return nameFree(existing, name)
	})
	if isNoState(err) {
		return nil
	}
	return err
}

// nameFree refuses a name that exists or whose secret variable another
// provider's name maps to.
func nameFree(existing []provider.Provider, name string) error {
	for _, e := range existing {
		if e.Name == name {
			return fmt.Errorf("%w: %q; change it with `tykportal provider edit %s`", provider.ErrExists, name, name)
		}
		if secret.EnvName(e.Name) == secret.EnvName(name) {
			return fmt.Errorf("%w: provider name %q would share the variable %s with provider %q; choose another name", provider.ErrInvalid, name, secret.EnvName(name), e.Name)
		}
	}
	return nil
}

// ProviderChanges are the fields `provider edit` changes; nil leaves a
// field as it is. Values are validated and normalised by the caller.
type ProviderChanges struct {
	URL, GatewayURL, OrgID, CAFile *string
	PolicyTags                     *[]string
	InsecureSkipVerify             *bool
}

// Apply sets the changed fields on p.
func (c ProviderChanges) Apply(p *provider.Provider) {
	set(&p.URL, c.URL)
	set(&p.GatewayURL, c.GatewayURL)
	set(&p.OrgID, c.OrgID)
	set(&p.CAFile, c.CAFile)
	set(&p.PolicyTags, c.PolicyTags)
	set(&p.InsecureSkipVerify, c.InsecureSkipVerify)
}

func set[T any](field *T, v *T) {
	if v != nil {
		*field = *v
	}
}

// EditProviderOptions are `provider edit`.
type EditProviderOptions struct {
	Name    string
	Changes ProviderChanges
	// Secret, when set, gives the provider a new secret.
	Secret    SecretFunc
	SkipCheck bool
}

// EditProvider changes a provider. The connection is checked again (unless
// SkipCheck) only when a field it depends on changes: URL, CA file, TLS
// verification, org id or the secret. A new secret replaces the stored one;
// one stored elsewhere before is deleted (a failure is a warning). It
// returns the provider as saved.
func (s *Service) EditProvider(ctx context.Context, opts EditProviderOptions) (provider.Provider, error) {
	before, err := s.Provider(ctx, opts.Name)
	if err != nil {
		return before, err
	}
	p := before
	opts.Changes.Apply(&p)
	s.warnInsecure(p)
	var in *SecretInput
	if opts.Secret != nil {
		if err := s.secretStorable(ctx, p.Name); err != nil {
			return p, err
		}
		v, err := opts.Secret()
		if err != nil {
			return p, err
		}
		in = &v
	}
	connectionChanged := p.URL != before.URL || p.CAFile != before.CAFile ||
		p.InsecureSkipVerify != before.InsecureSkipVerify || in != nil || p.OrgID != before.OrgID
	if connectionChanged && !opts.SkipCheck {
		var sec string
		if in != nil {
			sec = in.Value
		} else if sec, err = s.Secrets.Resolve(ctx, before); err != nil {
			return p, fmt.Errorf("read the secret of provider %q: %w", p.Name, err)
		}
		if err := s.checkConnection(ctx, &p, sec); err != nil {
			return p, err
		}
	}
	if in != nil {
		if p.SecretSource, err = s.storeSecret(ctx, p.Name, *in); err != nil {
			return p, err
		}
		if before.SecretSource != p.SecretSource {
			s.removeSecret(ctx, before)
		}
	}
	// The settings go onto the record as committed now: a sync that
	// finished meanwhile (another host's, a watch's) keeps its outcome.
	err = s.update(ctx, func(tx store.Tx) error {
		cur, err := repo.GetProvider(tx, p.Name)
		if err != nil {
			return err
		}
		cur.URL, cur.GatewayURL, cur.OrgID, cur.PolicyTags = p.URL, p.GatewayURL, p.OrgID, p.PolicyTags
		cur.InsecureSkipVerify, cur.CAFile, cur.SecretSource = p.InsecureSkipVerify, p.CAFile, p.SecretSource
		p = cur
		return repo.PutProvider(tx, cur)
	})
	if err != nil {
		return p, fmt.Errorf("save provider %q: %w", p.Name, err)
	}
	return p, nil
}

// RemoveProviderOptions are `provider remove`.
type RemoveProviderOptions struct {
	Name string
	// Confirm, when set, is asked once the provider is known to exist; an
	// error cancels the removal.
	Confirm func(p provider.Provider) error
}

// RemovedProvider is what `provider remove` removed.
type RemovedProvider struct {
	Provider provider.Provider
	// Dropped are the provider's interrupted operations, gone from the
	// journal with it: each may have left an object in the Dashboard,
	// which doctor can no longer look for (see LeftBehind).
	Dropped []catalog.Operation
}

// RemoveProvider deletes a provider, its local products, plans, credential
// records, sync history and journal, then its stored secret (a failure is
// a warning: the provider is gone). Nothing in the Dashboard is touched.
func (s *Service) RemoveProvider(ctx context.Context, opts RemoveProviderOptions) (RemovedProvider, error) {
	var r RemovedProvider
	p, err := s.Provider(ctx, opts.Name)
	if err != nil {
		return r, err
	}
	if opts.Confirm != nil {
		if err := opts.Confirm(p); err != nil {
			return r, err
		}
	}
	err = s.update(ctx, func(tx store.Tx) error {
		var err error
		if r.Dropped, err = repo.ListOperations(tx, p.Name); err != nil {
			return err
		}
		return repo.DeleteProvider(tx, p.Name)
	})
	if err != nil {
		return RemovedProvider{}, fmt.Errorf("remove provider %q: %w", p.Name, err)
	}
	r.Provider = p
	s.removeSecret(ctx, p)
	return r, nil
}

// LeftBehind says what an operation dropped with its provider may have left
// in the Dashboard and how to recognise it there.
func LeftBehind(op catalog.Operation) string {
	return fmt.Sprintf("interrupted %s of %q (%s) may have left a %s in the Dashboard; its meta_data has %s %q",
		op.Command, op.Name, op.StartedAt.UTC().Format(time.RFC3339), objectWords(op.Object), catalog.MarkerField, op.Marker)
}

// TestProvider runs the connection checks of provider.Test against a
// provider's Dashboard, and an interrupted_operations check of its journal.
// A failed check is in the report, not an error (see FailedChecks).
func (s *Service) TestProvider(ctx context.Context, name string) (provider.Report, error) {
	p, c, err := s.providerAndClient(ctx, name)
	if err != nil {
		return provider.Report{}, err
	}
	r := provider.Test(ctx, p, c)
	r.Checks = append(r.Checks, s.interruptedCheck(ctx, p.Name))
	return r, nil
}

// FailedChecks is the error of a report with a failed check (exit 1); nil
// when every check passed or only warned.
func FailedChecks(r provider.Report) error {
	if r.OK {
		return nil
	}
	var failed []string
	for _, c := range r.Checks {
		if c.Status == provider.CheckFail {
			failed = append(failed, c.Name)
		}
	}
	return fmt.Errorf("provider %q failed the checks: %s (details above)", r.Provider, strings.Join(failed, ", "))
}

// interruptedCheck reports creates in this provider's Dashboard whose local
// record was never written (see Doctor); a warning, since the Dashboard
// itself is fine.
func (s *Service) interruptedCheck(ctx context.Context, name string) provider.Check {
	var ops []catalog.Operation
	err := s.view(ctx, func(tx store.Tx) error {
		var err error
		ops, err = repo.ListOperations(tx, name)
		return err
	})
	switch {
	case err != nil && !isNoState(err):
		return provider.Check{Name: "interrupted_operations", Status: provider.CheckWarn, Detail: fmt.Sprintf("cannot read the journal: %v", err)}
	case len(ops) == 0:
		return provider.Check{Name: "interrupted_operations", Status: provider.CheckPass, Detail: "none"}
	}
	last := ops[len(ops)-1]
	return provider.Check{Name: "interrupted_operations", Status: provider.CheckWarn, Detail: fmt.Sprintf(
		"%d create(s) did not finish (the last: %s %q at %s); run `tykportal doctor` to find what they left in the Dashboard",
		len(ops), last.Command, last.Name, last.StartedAt.UTC().Format(time.RFC3339))}
}

// ListProviders returns every provider in name order, each with its whole
// last sync result and the source its secret is read from now; never nil.
func (s *Service) ListProviders(ctx context.Context) ([]provider.Provider, error) {
	ps := []provider.Provider{}
	err := s.view(ctx, func(tx store.Tx) error {
		all, err := repo.ListProviders(tx)
		if err != nil {
			return err
		}
		for i := range all {
			if err := repo.WithLastSync(tx, &all[i]); err != nil {
				return err
			}
		}
		if all != nil {
			ps = all
		}
		return nil
	})
	if err != nil && !isNoState(err) {
		return ps, err
	}
	for i := range ps {
		ps[i].SecretSource = s.effectiveSource(ps[i])
	}
	return ps, nil
}

// ShowProvider reads one provider with its whole last sync result and the
// source its secret is read from now.
func (s *Service) ShowProvider(ctx context.Context, name string) (provider.Provider, error) {
	p, err := s.Provider(ctx, name)
	if err != nil {
		return p, err
	}
	if err := s.view(ctx, func(tx store.Tx) error { return repo.WithLastSync(tx, &p) }); err != nil {
		return p, err
	}
	p.SecretSource = s.effectiveSource(p)
	if p.SecretSource != secret.SourceEnv {
		// On a shared catalogue another host may have added the provider:
		// its secret is in that host's keyring, not this one's.
		if _, err := s.Secrets.Resolve(ctx, p); err != nil {
			s.warn("this host has no secret for provider %q (%v): set %s, or store it here with `tykportal provider edit %s --secret-stdin`",
				p.Name, err, secret.EnvName(p.Name), p.Name)
		}
	}
	return p, nil
}

// effectiveSource is where the secret is read from now: the environment
// variable wins over the stored source.
func (s *Service) effectiveSource(p provider.Provider) string {
	if _, ok := s.Secrets.FromEnv(p.Name); ok {
		return secret.SourceEnv
	}
	return p.SecretSource
}

func (s *Service) warnInsecure(p provider.Provider) {
	if p.InsecureSkipVerify {
		s.warn("provider %q: TLS certificate verification is off (--insecure-skip-verify); never use this in production", p.Name)
	}
}

// storeSecret stores a secret the user gave and returns its source; one
// from the environment is not stored.
func (s *Service) storeSecret(ctx context.Context, name string, in SecretInput) (string, error) {
	if in.FromEnv {
		return secret.SourceEnv, nil
	}
	return s.Secrets.Save(ctx, name, in.Value)
}

// secretStorable checks, before a secret is asked for, that it could be
// stored: a secret from TYKPORTAL_SECRET_<NAME> is used and never stored,
// so it needs no store.
func (s *Service) secretStorable(ctx context.Context, name string) error {
	if _, ok := s.Secrets.FromEnv(name); ok {
		return nil
	}
	if err := s.Secrets.CheckWritable(ctx, name); err != nil {
		return fmt.Errorf("cannot store the secret of provider %q: %w", name, err)
	}
	return nil
}

// removeSecret deletes a provider's stored secret; a failure is a warning.
func (s *Service) removeSecret(ctx context.Context, p provider.Provider) {
	if p.SecretSource == secret.SourceEnv || p.SecretSource == "" {
		return
	}
	if err := s.Secrets.Delete(ctx, p.Name, p.SecretSource); err != nil {
		s.warn("could not delete the stored secret of provider %q: %v", p.Name, err)
	}
}

// checkConnection verifies URL, TLS and secret before anything is saved,
// and fills the org id from the secret's user when it was left out. Only a
// Dashboard that accepted the secret but would not show its user (a 403 or
// 404 of a user without the users permission) lets it pass with a warning:
// `provider test` names the missing permission. Anything else (the secret
// refused, no answer, a server error, an answer that cannot be read) is an
// error, and nothing is saved.
func (s *Service) checkConnection(ctx context.Context, p *provider.Provider, sec string) error {
	c, err := s.newClient(*p, sec)
	if err != nil {
		return err
	}
	user, err := c.CurrentUser(ctx)
	if err != nil {
		if !secretAccepted(err) {
			return remote(fmt.Errorf("check provider %q: %w (nothing was saved; fix it, or pass --skip-check to save anyway)", p.Name, err))
		}
		s.warn("provider %q: could not read the Dashboard user (%v); run `tykportal provider test %s`", p.Name, err, p.Name)
		return nil
	}
	if user.Via == dashboard.UserViaList {
		s.warn("provider %q: read the Dashboard user from %s (%s: %s)", p.Name, dashboard.UserViaList, dashboard.UserViaMe, user.ViaReason)
	}
	switch {
	case p.OrgID == "":
		p.OrgID = user.OrgID
	case user.OrgID != "" && user.OrgID != p.OrgID:
		return fmt.Errorf("check provider %q: org id %s does not match the org %s of the secret's Dashboard user (nothing was saved; leave --org-id out to use the user's org)", p.Name, p.OrgID, user.OrgID)
	}
	return nil
}

// secretAccepted reports whether a failed user lookup still shows that the
// Dashboard took the secret: it answered, with a refusal other than 401.
func secretAccepted(err error) bool {
	return errors.Is(err, dashboard.ErrForbidden) || errors.Is(err, dashboard.ErrNotFound) || errors.Is(err, dashboard.ErrRejected)
}
