package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/output"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/secret"
)

func (a *App) providerCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "provider",
		Aliases: []string{"providers"},
		Short:   "Manage the Tyk Dashboards tykportal connects to",
	}
	cmd.AddCommand(
		newProviderAddCmd(a, nil),
		newProviderListCmd(a),
		newProviderShowCmd(a),
		newProviderEditCmd(a, nil),
		newProviderRemoveCmd(a, nil),
		newProviderTestCmd(a),
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

// changes validates the flags that were given into the fields they change.
func (f *providerFlags) changes(cmd *cobra.Command) (portal.ProviderChanges, error) {
	var c portal.ProviderChanges
	changed := cmd.Flags().Changed
	if changed("url") {
		u, err := provider.NormalizeURL("--url", f.url)
		if err != nil {
			return c, err
		}
		c.URL = &u
	}
	if changed("gateway-url") {
		gw := ""
		if f.gatewayURL != "" {
			var err error
			if gw, err = provider.NormalizeURL("--gateway-url", f.gatewayURL); err != nil {
				return c, err
			}
		}
		c.GatewayURL = &gw
	}
	if changed("org-id") {
		if err := provider.ValidateOrgID(f.orgID); err != nil {
			return c, err
		}
		c.OrgID = &f.orgID
	}
	if changed("policy-tags") {
		tags, err := provider.ParseTags(f.tags)
		if err != nil {
			return c, err
		}
		c.PolicyTags = &tags
	}
	if changed("ca-file") {
		ca, err := provider.CheckCAFile(f.caFile)
		if err != nil {
			return c, err
		}
		c.CAFile = &ca
	}
	if changed("insecure-skip-verify") {
		c.InsecureSkipVerify = &f.insecure
	}
	return c, nil
}

func newProviderAddCmd(a *App, runF func(context.Context, *portal.AddProviderOptions) error) *cobra.Command {
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
			changes, err := f.changes(cmd)
			if err != nil {
				return err
			}
			opts := &portal.AddProviderOptions{Provider: provider.Provider{Name: name}, SkipCheck: f.skipCheck, Secret: a.secretFrom(cmd.Context(), name, f.secretStdin)}
			changes.Apply(&opts.Provider)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			p, err := a.service().AddProvider(cmd.Context(), *opts)
			if err != nil {
				return err
			}
			a.info("Added provider %q (%s, secret in %s).", p.Name, p.URL, describeSource(p.SecretSource))
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func newProviderEditCmd(a *App, runF func(context.Context, *portal.EditProviderOptions) error) *cobra.Command {
	var f providerFlags
	cmd := &cobra.Command{
		Use:   "edit NAME [flags]",
		Short: "Change a provider's settings or secret",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().NFlag() == 0 {
				return usageErrorf("nothing to change: give at least one flag (see `tykportal provider edit --help`)")
			}
			changes, err := f.changes(cmd)
			if err != nil {
				return err
			}
			opts := &portal.EditProviderOptions{Name: args[0], Changes: changes, SkipCheck: f.skipCheck}
			if f.secretStdin {
				opts.Secret = a.secretFrom(cmd.Context(), args[0], true)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			p, err := a.service().EditProvider(cmd.Context(), *opts)
			if err != nil {
				return err
			}
			a.info("Updated provider %q.", p.Name)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

// secretFrom reads a provider's secret when the use case asks for it.
func (a *App) secretFrom(ctx context.Context, name string, fromStdin bool) portal.SecretFunc {
	return func() (portal.SecretInput, error) { return a.readSecret(ctx, name, fromStdin) }
}

// readSecret gets the secret the contract's three ways, in this order:
// --secret-stdin; TYKPORTAL_SECRET_<NAME> (used, never stored: the source
// is "env", and nothing is asked, so a script that set it never hangs on a
// prompt); a no-echo prompt on a terminal.
func (a *App) readSecret(ctx context.Context, name string, fromStdin bool) (portal.SecretInput, error) {
	envName := secret.EnvName(name)
	if fromStdin {
		line, err := readLineContext(ctx, a.IO.In, secret.MaxLen+2)
		switch {
		case errors.Is(err, io.EOF):
			return portal.SecretInput{}, usageErrorf("--secret-stdin: stdin is empty; pipe the secret in, e.g. `printf %%s \"$SECRET\" | tykportal provider add ...`")
		case ctx.Err() != nil:
			return portal.SecretInput{}, err
		case catalog.CodeOf(err) == catalog.CodeInvalid:
			return portal.SecretInput{}, fmt.Errorf("%w: the secret is longer than %d bytes", secret.ErrTooLong, secret.MaxLen)
		case err != nil:
			return portal.SecretInput{}, fmt.Errorf("read the secret from stdin: %w", err)
		}
		if err := secret.Validate(line); err != nil {
			return portal.SecretInput{}, err
		}
		return portal.SecretInput{Value: line}, nil
	}
	if s, ok := secret.FromEnv(a.Getenv, name); ok {
		if err := secret.Validate(s); err != nil {
			return portal.SecretInput{}, fmt.Errorf("%s: %w", envName, err)
		}
		a.info("using %s; nothing stored", envName)
		return portal.SecretInput{Value: s, FromEnv: true}, nil
	}
	if !a.IO.InTTY {
		return portal.SecretInput{}, usageErrorf("no secret for provider %q: pass --secret-stdin and pipe it in, run on a terminal to be prompted, or set %s", name, envName)
	}
	fmt.Fprintf(a.IO.Err, "Dashboard API secret for %q (input hidden): ", name)
	raw, err := a.readHidden(ctx)
	fmt.Fprintln(a.IO.Err)
	if err != nil {
		if ctx.Err() != nil {
			return portal.SecretInput{}, err
		}
		return portal.SecretInput{}, fmt.Errorf("read the secret: %w", err)
	}
	s := string(raw)
	if s == "" {
		return portal.SecretInput{}, usageErrorf("no secret given for provider %q: type it at the prompt, pipe it with --secret-stdin, or set %s", name, envName)
	}
	if err := secret.Validate(s); err != nil {
		return portal.SecretInput{}, err
	}
	return portal.SecretInput{Value: s}, nil
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

func newProviderListCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List providers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ps, err := a.service().ListProviders(cmd.Context())
			if err != nil {
				return err
			}
			return a.printList(ps, len(ps), providersHint, func() output.Table {
				t := output.Table{Header: []string{"name", "url", "org id", "policy tags", "secret", "status", "last sync"}}
				for _, p := range ps {
					t.Rows = append(t.Rows, []string{p.Name, p.URL, dash(p.OrgID), dash(strings.Join(p.PolicyTags, ",")), p.SecretSource, p.Status, timeOrNever(p.LastSyncAt)})
				}
				return t
			})
		},
	}
}

func newProviderShowCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show one provider",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.service().ShowProvider(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.printer().Print(p, func() output.Table { return providerTable(p) })
		},
	}
}

func providerTable(p provider.Provider) output.Table {
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
}

func newProviderRemoveCmd(a *App, runF func(context.Context, *portal.RemoveProviderOptions) error) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:     "remove NAME",
		Aliases: []string{"rm", "delete"},
		Short:   "Remove a provider, its secret and its local records (nothing in the Dashboard)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := &portal.RemoveProviderOptions{Name: args[0]}
			if !yes {
				opts.Confirm = func(p provider.Provider) error {
					return a.confirm(cmd.Context(), fmt.Sprintf("Remove provider %q with its local products, plans and credential records", p.Name), "--yes")
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			r, err := a.service().RemoveProvider(cmd.Context(), *opts)
			if err != nil {
				return err
			}
			for _, op := range r.Dropped {
				// doctor can no longer ask this Dashboard: say what to look for.
				a.warn("%s", portal.LeftBehind(op))
			}
			a.info("Removed provider %q. Nothing was changed in its Dashboard.", r.Provider.Name)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func newProviderTestCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "test NAME",
		Short: "Check a provider's connection, TLS, secret, org id, permissions and policy tags",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := a.service().TestProvider(cmd.Context(), args[0])
			if err != nil {
				return err
			}
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
			return portal.FailedChecks(r)
		},
	}
}
