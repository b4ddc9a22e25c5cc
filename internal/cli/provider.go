package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/output"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/secret"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

func (a *App) providerCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "provider",
		Aliases: []string{"providers"},
		Short:   "Manage the Tyk Dashboards tykportal connects to",
	}
	cmd.AddCommand(
		a.providerAddCommand(),
		a.providerListCommand(),
		a.providerShowCommand(),
		a.providerEditCommand(),
		a.providerRemoveCommand(),
		a.providerTestCommand(),
		a.syncCommandNamed("sync"),
	)
	return cmd
}

// providerFlags are the flags add and edit share.
type providerFlags struct {
	url, gatewayURL, orgID, tags, caFile string
	insecure, secretStdin, skipCheck     bool
}

func (f *providerFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "", "Dashboard base URL, e.g. https://dashboard.example.com:3000")
	fl.StringVar(&f.gatewayURL, "gateway-url", "", "public gateway base URL shown to consumers")
	fl.StringVar(&f.orgID, "org-id", "", "Dashboard org id (default: the org of the secret's user)")
	fl.StringVar(&f.tags, "policy-tags", "", "comma-separated policy tags to import, no spaces (empty: all policies)")
	fl.BoolVar(&f.insecure, "insecure-skip-verify", false, "do not verify the Dashboard's TLS certificate (never in production)")
	fl.StringVar(&f.caFile, "ca-file", "", "PEM file of the CA that signed the Dashboard's certificate")
	fl.BoolVar(&f.secretStdin, "secret-stdin", false, "read the Dashboard API secret as one line from stdin")
	fl.BoolVar(&f.skipCheck, "skip-check", false, "save without checking the connection and the secret")
}

// apply copies the flags that were given onto p, validating each.
func (f *providerFlags) apply(cmd *cobra.Command, p *provider.Provider) error {
	changed := cmd.Flags().Changed
	var err error
	if changed("url") {
		if p.URL, err = provider.NormalizeURL("--url", f.url); err != nil {
			return err
		}
	}
	if changed("gateway-url") {
		p.GatewayURL = ""
		if f.gatewayURL != "" {
			if p.GatewayURL, err = provider.NormalizeURL("--gateway-url", f.gatewayURL); err != nil {
				return err
			}
		}
	}
	if changed("org-id") {
		if err := provider.ValidateOrgID(f.orgID); err != nil {
			return err
		}
		p.OrgID = f.orgID
	}
	if changed("policy-tags") {
		if p.PolicyTags, err = provider.ParseTags(f.tags); err != nil {
			return err
		}
	}
	if changed("ca-file") {
		if p.CAFile, err = provider.CheckCAFile(f.caFile); err != nil {
			return err
		}
	}
	if changed("insecure-skip-verify") {
		p.InsecureSkipVerify = f.insecure
	}
	return nil
}

func (a *App) providerAddCommand() *cobra.Command {
	var f providerFlags
	cmd := &cobra.Command{
		Use:   "add NAME --url URL",
		Short: "Add a Dashboard provider (the secret goes to the OS keyring, never the state file)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := provider.ValidateName(name); err != nil {
				return err
			}
			if !cmd.Flags().Changed("url") {
				return usageErrorf("--url is required: the Dashboard base URL, e.g. https://dashboard.example.com:3000")
			}
			p := provider.Provider{Name: name, Type: provider.TypeTykPro, PolicyTags: []string{}, Status: provider.StatusUnknown}
			if err := f.apply(cmd, &p); err != nil {
				return err
			}
			return a.providerAdd(cmd.Context(), p, f)
		},
	}
	f.register(cmd)
	return cmd
}

func (a *App) providerAdd(ctx context.Context, p provider.Provider, f providerFlags) error {
	// Refuse a duplicate before asking for a secret.
	err := a.view(ctx, func(tx store.Tx) error {
		existing, err := repo.ListProviders(tx)
		if err != nil {
			return err
		}
		for _, e := range existing {
			if e.Name == p.Name {
				return fmt.Errorf("%w: %q; change it with `tykportal provider edit %s`", provider.ErrExists, p.Name, p.Name)
			}
			if secret.EnvName(e.Name) == secret.EnvName(p.Name) {
				return fmt.Errorf("%w: provider name %q would share the variable %s with provider %q; choose another name", provider.ErrInvalid, p.Name, secret.EnvName(p.Name), e.Name)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNoState) {
		return err
	}
	sec, source, err := a.readSecret(p.Name, f.secretStdin)
	if err != nil {
		return err
	}
	p.SecretSource = source
	if p.InsecureSkipVerify {
		a.warn("provider %q: TLS certificate verification is off (--insecure-skip-verify); never use this in production", p.Name)
	}
	if !f.skipCheck {
		if err := a.checkConnection(ctx, &p, sec); err != nil {
			return err
		}
	}
	if _, err := a.dbPath(); err != nil {
		return err
	}
	var stored secret.Store
	if source != secret.SourceEnv {
		stored, err = a.secretStores().ForWriting()
		if err != nil {
			return usageError(err)
		}
		if err := stored.Set(ctx, p.Name, sec); err != nil {
			return fmt.Errorf("store the secret of provider %q: %w", p.Name, err)
		}
	}
	p.CreatedAt = a.Now().UTC().Truncate(time.Second)
	err = a.update(ctx, func(tx store.Tx) error {
		if _, err := repo.GetProvider(tx, p.Name); err == nil {
			return fmt.Errorf("%w: %q", provider.ErrExists, p.Name)
		}
		return repo.PutProvider(tx, p)
	})
	if err != nil {
		if stored != nil {
			// Never leave a secret behind for a provider that was not saved.
			_ = stored.Delete(context.WithoutCancel(ctx), p.Name)
		}
		return fmt.Errorf("save provider %q: %w", p.Name, err)
	}
	a.info("Added provider %q (%s, secret in %s).", p.Name, p.URL, describeSource(source))
	return nil
}

// checkConnection verifies URL, TLS and secret before anything is saved,
// and fills the org id from the secret's user when it was left out.
func (a *App) checkConnection(ctx context.Context, p *provider.Provider, sec string) error {
	c, err := a.newClient(*p, sec)
	if err != nil {
		return fmt.Errorf("provider %q: %w", p.Name, err)
	}
	user, err := c.CurrentUser(ctx)
	if err != nil {
		if errors.Is(err, dashboard.ErrUnauthorized) || errors.Is(err, dashboard.ErrTLS) ||
			errors.Is(err, dashboard.ErrNetwork) || errors.Is(err, dashboard.ErrTimeout) || errors.Is(err, dashboard.ErrBadResponse) {
			return fmt.Errorf("check provider %q: %w (nothing was saved; fix it, or pass --skip-check to save anyway)", p.Name, err)
		}
		// The secret works but the user is not readable (no users permission):
		// keep going, `provider test` will name the missing permission.
		a.warn("provider %q: could not read the Dashboard user (%v); run `tykportal provider test %s`", p.Name, err, p.Name)
		return nil
	}
	switch {
	case p.OrgID == "":
		p.OrgID = user.OrgID
	case user.OrgID != "" && user.OrgID != p.OrgID:
		return fmt.Errorf("check provider %q: org id %s does not match the org %s of the secret's Dashboard user (nothing was saved; leave --org-id out to use the user's org)", p.Name, p.OrgID, user.OrgID)
	}
	return nil
}

// readSecret gets the secret the contract's three ways: --secret-stdin, a
// no-echo prompt on a terminal, or TYKPORTAL_SECRET_<NAME> (then nothing is
// stored and the source is "env").
func (a *App) readSecret(name string, fromStdin bool) (string, string, error) {
	envName := secret.EnvName(name)
	writeSource := secret.SourceKeyring
	if strings.EqualFold(a.Getenv("TYKPORTAL_SECRET_STORE"), "file") {
		writeSource = secret.SourceFile
	}
	switch {
	case fromStdin:
		line, err := readLine(a.IO.In, secret.MaxLen+2)
		if errors.Is(err, io.EOF) {
			return "", "", usageErrorf("--secret-stdin: stdin is empty; pipe the secret in, e.g. `printf %%s \"$SECRET\" | tykportal provider add ...`")
		}
		if err != nil {
			if catalog.CodeOf(err) == catalog.CodeInvalid {
				return "", "", fmt.Errorf("%w: the secret is longer than %d bytes", secret.ErrTooLong, secret.MaxLen)
			}
			return "", "", fmt.Errorf("read the secret from stdin: %w", err)
		}
		if err := secret.Validate(line); err != nil {
			return "", "", err
		}
		return line, writeSource, nil
	case a.IO.InTTY:
		fmt.Fprintf(a.IO.Err, "Dashboard API secret for %q (input hidden; empty to use %s): ", name, envName)
		raw, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(a.IO.Err)
		if err != nil {
			return "", "", fmt.Errorf("read the secret: %w", err)
		}
		if s := string(raw); s != "" {
			if err := secret.Validate(s); err != nil {
				return "", "", err
			}
			return s, writeSource, nil
		}
	}
	if s, ok := secret.FromEnv(a.Getenv, name); ok {
		if err := secret.Validate(s); err != nil {
			return "", "", fmt.Errorf("%s: %w", envName, err)
		}
		return s, secret.SourceEnv, nil
	}
	return "", "", usageErrorf("no secret for provider %q: pass --secret-stdin and pipe it in, run on a terminal to be prompted, or set %s", name, envName)
}

func describeSource(source string) string {
	switch source {
	case secret.SourceEnv:
		return "the environment, not stored"
	case secret.SourceFile:
		return "the plain file store"
	}
	return "the OS keyring"
}

func (a *App) providerListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List providers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var ps []provider.Provider
			err := a.view(cmd.Context(), func(tx store.Tx) error {
				var err error
				if ps, err = repo.ListProviders(tx); err != nil {
					return err
				}
				for i := range ps {
					if err := repo.WithLastSync(tx, &ps[i]); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil && !errors.Is(err, store.ErrNoState) {
				return err
			}
			if ps == nil {
				ps = []provider.Provider{}
			}
			for i := range ps {
				ps[i].SecretSource = a.effectiveSource(ps[i])
			}
			return a.printer().Print(ps, func() output.Table {
				t := output.Table{Header: []string{"name", "url", "org id", "policy tags", "secret", "status", "last sync"}}
				for _, p := range ps {
					t.Rows = append(t.Rows, []string{p.Name, p.URL, dash(p.OrgID), dash(strings.Join(p.PolicyTags, ",")), p.SecretSource, p.Status, timeOrNever(p.LastSyncAt)})
				}
				return t
			})
		},
	}
}

// effectiveSource is where the secret is read from now: the environment
// variable wins over the stored source.
func (a *App) effectiveSource(p provider.Provider) string {
	if _, ok := secret.FromEnv(a.Getenv, p.Name); ok {
		return secret.SourceEnv
	}
	return p.SecretSource
}

func (a *App) getProvider(ctx context.Context, name string) (provider.Provider, error) {
	var p provider.Provider
	err := a.view(ctx, func(tx store.Tx) error {
		var err error
		p, err = repo.GetProvider(tx, name)
		return err
	})
	if errors.Is(err, store.ErrNoState) {
		return p, fmt.Errorf("%w %q: no provider has been added yet (see `tykportal provider add --help`)", provider.ErrUnknown, name)
	}
	return p, err
}

func (a *App) providerShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show one provider",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.getProvider(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := a.view(cmd.Context(), func(tx store.Tx) error { return repo.WithLastSync(tx, &p) }); err != nil {
				return err
			}
			p.SecretSource = a.effectiveSource(p)
			return a.printer().Print(p, func() output.Table {
				rows := [][]string{
					{"Name", p.Name}, {"Type", p.Type}, {"URL", p.URL}, {"Gateway URL", dash(p.GatewayURL)},
					{"Org ID", dash(p.OrgID)}, {"Policy tags", dash(strings.Join(p.PolicyTags, ","))},
					{"Insecure skip verify", fmt.Sprint(p.InsecureSkipVerify)}, {"CA file", dash(p.CAFile)},
					{"Secret", p.SecretSource}, {"Status", p.Status}, {"Last sync", timeOrNever(p.LastSyncAt)},
				}
				if p.LastSync != nil {
					rows = append(rows, []string{"Last sync result", syncSummary(*p.LastSync)})
				}
				rows = append(rows, []string{"Created", p.CreatedAt.UTC().Format(time.RFC3339)})
				return output.Table{KeyValue: true, Rows: rows}
			})
		},
	}
}

func (a *App) providerEditCommand() *cobra.Command {
	var f providerFlags
	cmd := &cobra.Command{
		Use:   "edit NAME [flags]",
		Short: "Change a provider's settings or secret",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := a.getProvider(ctx, args[0])
			if err != nil {
				return err
			}
			if cmd.Flags().NFlag() == 0 {
				return usageErrorf("nothing to change: give at least one flag (see `tykportal provider edit --help`)")
			}
			before := p
			if err := f.apply(cmd, &p); err != nil {
				return err
			}
			if p.InsecureSkipVerify {
				a.warn("provider %q: TLS certificate verification is off (--insecure-skip-verify); never use this in production", p.Name)
			}
			var newSecret string
			if f.secretStdin {
				if newSecret, _, err = a.readSecret(p.Name, true); err != nil {
					return err
				}
			}
			connectionChanged := p.URL != before.URL || p.CAFile != before.CAFile ||
				p.InsecureSkipVerify != before.InsecureSkipVerify || f.secretStdin || p.OrgID != before.OrgID
			if connectionChanged && !f.skipCheck {
				sec := newSecret
				if sec == "" {
					if sec, err = a.providerSecret(ctx, before); err != nil {
						return err
					}
				}
				if err := a.checkConnection(ctx, &p, sec); err != nil {
					return err
				}
			}
			if newSecret != "" {
				if _, err := a.dbPath(); err != nil {
					return err
				}
				st, err := a.secretStores().ForWriting()
				if err != nil {
					return usageError(err)
				}
				if err := st.Set(ctx, p.Name, newSecret); err != nil {
					return fmt.Errorf("store the secret of provider %q: %w", p.Name, err)
				}
				if before.SecretSource != st.Source() && before.SecretSource != secret.SourceEnv {
					a.removeSecret(ctx, before)
				}
				p.SecretSource = st.Source()
			}
			err = a.update(ctx, func(tx store.Tx) error {
				if _, err := repo.GetProvider(tx, p.Name); err != nil {
					return err
				}
				return repo.PutProvider(tx, p)
			})
			if err != nil {
				return fmt.Errorf("save provider %q: %w", p.Name, err)
			}
			a.info("Updated provider %q.", p.Name)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func (a *App) providerRemoveCommand() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:     "remove NAME",
		Aliases: []string{"rm", "delete"},
		Short:   "Remove a provider, its secret and its local records (nothing in the Dashboard)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := a.getProvider(ctx, args[0])
			if err != nil {
				return err
			}
			if !yes {
				if err := a.confirm(fmt.Sprintf("Remove provider %q with its local products, plans and credential records", p.Name), "--yes"); err != nil {
					return err
				}
			}
			var dropped []catalog.Operation
			err = a.update(ctx, func(tx store.Tx) error {
				var err error
				if dropped, err = repo.ListOperations(tx, p.Name); err != nil {
					return err
				}
				return repo.DeleteProvider(tx, p.Name)
			})
			if err != nil {
				return fmt.Errorf("remove provider %q: %w", p.Name, err)
			}
			for _, op := range dropped {
				// doctor can no longer ask this Dashboard: say what to look for.
				a.warn("interrupted %s of %q (%s) may have left a %s in the Dashboard; its meta_data has %s %q",
					op.Command, op.Name, op.StartedAt.UTC().Format(time.RFC3339), objectWords(op.Object), catalog.MarkerField, op.Marker)
			}
			a.removeSecret(ctx, p)
			a.info("Removed provider %q. Nothing was changed in its Dashboard.", p.Name)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// removeSecret deletes a provider's stored secret; a failure is a warning,
// since the provider record is already gone.
func (a *App) removeSecret(ctx context.Context, p provider.Provider) {
	if p.SecretSource == secret.SourceEnv || p.SecretSource == "" {
		return
	}
	if err := a.secretStores().Delete(ctx, p.Name, p.SecretSource); err != nil {
		a.warn("could not delete the stored secret of provider %q: %v", p.Name, err)
	}
}

// providerSecret resolves a saved provider's secret.
func (a *App) providerSecret(ctx context.Context, p provider.Provider) (string, error) {
	if _, err := a.dbPath(); err != nil {
		return "", err
	}
	s, err := a.secretStores().Resolve(ctx, p.Name, p.SecretSource)
	if err != nil {
		return "", fmt.Errorf("read the secret of provider %q: %w", p.Name, err)
	}
	return s, nil
}

// clientFor resolves p's secret and builds its client; it warns on every run
// where TLS verification is off.
func (a *App) clientFor(ctx context.Context, p provider.Provider) (*dashboard.Client, error) {
	sec, err := a.providerSecret(ctx, p)
	if err != nil {
		return nil, err
	}
	if p.InsecureSkipVerify {
		a.warn("provider %q: TLS certificate verification is off (--insecure-skip-verify)", p.Name)
	}
	c, err := a.newClient(p, sec)
	if err != nil {
		return nil, fmt.Errorf("provider %q: %w", p.Name, err)
	}
	return c, nil
}

func (a *App) providerTestCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "test NAME",
		Short: "Check a provider's connection, TLS, secret, org id, permissions and policy tags",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := a.getProvider(ctx, args[0])
			if err != nil {
				return err
			}
			c, err := a.clientFor(ctx, p)
			if err != nil {
				return err
			}
			r := provider.Test(ctx, p, c)
			r.Checks = append(r.Checks, a.interruptedCheck(ctx, p.Name))
			err = a.printer().Print(r, func() output.Table {
				t := output.Table{Header: []string{"check", "status", "detail"}}
				for _, c := range r.Checks {
					t.Rows = append(t.Rows, []string{c.Name, c.Status, c.Detail})
				}
				return t
			})
			if err != nil {
				return err
			}
			if !r.OK {
				var failed []string
				for _, c := range r.Checks {
					if c.Status == provider.CheckFail {
						failed = append(failed, c.Name)
					}
				}
				return fmt.Errorf("provider %q failed the checks: %s (details above)", p.Name, strings.Join(failed, ", "))
			}
			return nil
		},
	}
}

// interruptedCheck reports creates in this provider's Dashboard whose local
// record was never written (see `tykportal doctor`); a warning, since the
// Dashboard itself is fine.
func (a *App) interruptedCheck(ctx context.Context, name string) provider.Check {
	var ops []catalog.Operation
	err := a.view(ctx, func(tx store.Tx) error {
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
