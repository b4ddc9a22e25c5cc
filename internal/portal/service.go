// Package portal holds tykportal's use cases: everything a command does
// once its flags are parsed (add a provider, create a product, issue a
// credential, check the journal, ...), as functions that take a context and
// typed options and return a typed result. No cobra, no printing: the
// commands in internal/cli parse, call one use case, and print; the rules
// live in pkg/catalog, the sync in pkg/sync, storage in pkg/store.
package portal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// Secrets resolves, stores and deletes providers' secrets.
type Secrets interface {
	// Resolve reads the secret of p (the environment wins over its store).
	Resolve(ctx context.Context, p provider.Provider) (string, error)
	// FromEnv reads TYKPORTAL_SECRET_<NAME>, which is never stored.
	FromEnv(name string) (string, bool)
	// Save stores a provider's secret where new secrets go and says where.
	Save(ctx context.Context, name, secret string) (source string, err error)
	// Delete removes the secret stored for a provider in the named source.
	Delete(ctx context.Context, name, source string) error
	// CheckWritable fails when Save could not store a secret (no usable
	// keyring), without storing one, so that it is known before the
	// secret is typed.
	CheckWritable(ctx context.Context, name string) error
}

// Service runs the use cases over one state backend, one secret store and
// the Dashboards. Its dependencies are functions so that nothing is opened
// before a use case needs it (`--help` opens nothing) and tests can give
// their own.
type Service struct {
	// OpenStore opens the state for one short use; the caller closes it.
	// bbolt locks its file, so a use case never holds it across a
	// Dashboard request.
	OpenStore func(ctx context.Context, readOnly bool) (store.Store, error)
	Secrets   Secrets
	// Dashboard builds the client of a provider with its secret.
	Dashboard func(p provider.Provider, secret string) (*dashboard.Client, error)
	Now       func() time.Time
	// Warn tells the user something went wrong that did not stop the use
	// case (a policy already gone, TLS verification off); nil drops it.
	Warn func(format string, args ...any)
	// NewMarker makes an operation's marker; nil: catalog.NewMarker.
	NewMarker func() (string, error)
	// Leases keep two syncs of one provider apart across processes and
	// hosts; nil: none. Instance names this process in them and in every
	// sync result (host name and process id, or TYKPORTAL_INSTANCE).
	Leases   store.Leases
	Instance string
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Service) warn(format string, args ...any) {
	if s.Warn != nil {
		s.Warn(format, args...)
	}
}

// view runs fn in a read-only transaction. A state that does not exist yet
// reads as empty: fn is not called and view returns store.ErrNoState.
func (s *Service) view(ctx context.Context, fn func(store.Tx) error) error {
	st, err := s.OpenStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	return st.View(ctx, fn)
}

// update runs fn in one write transaction, holding the state only for it.
func (s *Service) update(ctx context.Context, fn func(store.Tx) error) error {
	st, err := s.OpenStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	return st.Update(ctx, fn)
}

func isNoState(err error) bool { return errors.Is(err, store.ErrNoState) }

// Provider reads one provider; an unknown name, or no state at all, is
// provider.ErrUnknown.
func (s *Service) Provider(ctx context.Context, name string) (provider.Provider, error) {
	if err := provider.ValidateName(name); err != nil {
		return provider.Provider{}, err
	}
	var p provider.Provider
	err := s.view(ctx, func(tx store.Tx) error {
		var err error
		p, err = repo.GetProvider(tx, name)
		return err
	})
	if isNoState(err) {
		return p, fmt.Errorf("%w %q: no provider has been added yet (see `tykportal provider add --help`)", provider.ErrUnknown, name)
	}
	return p, err
}

// client resolves p's secret and builds its Dashboard client; it warns on
// every use while TLS verification is off.
func (s *Service) client(ctx context.Context, p provider.Provider) (*dashboard.Client, error) {
	sec, err := s.Secrets.Resolve(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("read the secret of provider %q: %w", p.Name, err)
	}
	if p.InsecureSkipVerify {
		s.warn("provider %q: TLS certificate verification is off (--insecure-skip-verify)", p.Name)
	}
	return s.newClient(p, sec)
}

func (s *Service) newClient(p provider.Provider, sec string) (*dashboard.Client, error) {
	c, err := s.Dashboard(p, sec)
	if err != nil {
		return nil, fmt.Errorf("provider %q: %w", p.Name, err)
	}
	return c, nil
}

// providerAndClient reads a provider and builds its Dashboard client.
func (s *Service) providerAndClient(ctx context.Context, name string) (provider.Provider, *dashboard.Client, error) {
	p, err := s.Provider(ctx, name)
	if err != nil {
		return p, nil, err
	}
	c, err := s.client(ctx, p)
	return p, c, err
}

// remote gives a Dashboard error its code: refused when the Dashboard
// answered that it did not act (a 3xx or 4xx), failed otherwise (no
// answer, a server error, an answer that cannot be read: it may have acted).
func remote(err error) error {
	if err == nil {
		return nil
	}
	if refused(err) {
		return catalog.WithCode(catalog.CodeRemoteRefused, err)
	}
	return catalog.WithCode(catalog.CodeRemoteFailed, err)
}

// refused reports whether the Dashboard answered a request with a status
// that means it did not act on it.
func refused(err error) bool {
	var de *dashboard.Error
	return errors.As(err, &de) && de.StatusCode >= 300 && de.StatusCode < 500
}
