package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/pgstore"
)

// Dynamic shell completion (`tykportal completion bash|zsh|fish|powershell`
// installs the script; the shell then runs `tykportal __complete ...` on
// each Tab). Candidates come from the local state file only, never from a
// Dashboard or a database server: a Tab must not wait on the network.

// completionLockWait is how long a completion waits for another process
// holding the state file before it offers nothing.
const completionLockWait = 200 * time.Millisecond

// completionTimeout bounds a whole completion.
const completionTimeout = time.Second

// argCompletions are the commands whose arguments name providers,
// products, plans or credentials; many: the command takes several.
var argCompletions = []struct {
	path string
	what string
	many bool
}{
	{"provider show", portal.CompleteProviders, false},
	{"provider test", portal.CompleteProviders, false},
	{"provider edit", portal.CompleteProviders, false},
	{"provider remove", portal.CompleteProviders, false},
	{"provider sync", portal.CompleteProviders, true},
	{"sync", portal.CompleteProviders, true},
	{"watch", portal.CompleteProviders, true},
	{"products show", portal.CompleteProducts, false},
	{"products edit", portal.CompleteProducts, false},
	{"products publish", portal.CompleteProducts, false},
	{"products unpublish", portal.CompleteProducts, false},
	{"products delete", portal.CompleteProducts, false},
	{"plans show", portal.CompletePlans, false},
	{"plans edit", portal.CompletePlans, false},
	{"plans publish", portal.CompletePlans, false},
	{"plans unpublish", portal.CompletePlans, false},
	{"plans delete", portal.CompletePlans, false},
	{"credentials show", portal.CompleteCredentials, false},
	{"credentials rotate", portal.CompleteCredentials, false},
	{"credentials revoke", portal.CompleteCredentials, false},
}

// flagCompletions name what a flag's value is, on every command that has it.
var flagCompletions = map[string]string{
	"provider": portal.CompleteProviders,
	"product":  portal.CompleteProducts,
	"plan":     portal.CompletePlans,
}

// fixedFlagValues are the flags whose values are a fixed list.
var fixedFlagValues = map[string][]cobra.Completion{
	"output":     {cobra.CompletionWithDesc("table", "aligned columns"), cobra.CompletionWithDesc("json", "one JSON document"), cobra.CompletionWithDesc("yaml", "one YAML document")},
	"log-format": {cobra.CompletionWithDesc("text", "key=value lines"), cobra.CompletionWithDesc("json", "JSON lines")},
	"log-level":  {"debug", "info", "warn", "error"},
}

// registerCompletions attaches the completion functions to root's
// commands and flags. A path in argCompletions that names no command is a
// programming error, which TestCompletionTargetsExist catches.
func (a *App) registerCompletions(root *cobra.Command) error {
	for _, ac := range argCompletions {
		cmd, rest, err := root.Find(strings.Fields(ac.path))
		if err != nil || len(rest) > 0 || cmd == root {
			return fmt.Errorf("completion: no command %q", ac.path)
		}
		cmd.ValidArgsFunction = a.completeArgs(ac.what, ac.many)
	}
	var err error
	walkCommands(root, func(c *cobra.Command) {
		for name, what := range flagCompletions {
			if c.LocalFlags().Lookup(name) != nil && err == nil {
				err = c.RegisterFlagCompletionFunc(name, a.completeFlag(what))
			}
		}
		for name, values := range fixedFlagValues {
			if c.LocalFlags().Lookup(name) != nil && err == nil {
				err = c.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
			}
		}
	})
	return err
}

func walkCommands(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walkCommands(sub, fn)
	}
}

// completeArgs completes a command's positional arguments; one that takes
// a single argument offers nothing once it has it, one that takes several
// does not offer a name twice.
func (a *App) completeArgs(what string, many bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if !many && len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return a.candidates(cmd.Context(), what, toComplete, args), cobra.ShellCompDirectiveNoFileComp
	}
}

func (a *App) completeFlag(what string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return a.candidates(cmd.Context(), what, toComplete, nil), cobra.ShellCompDirectiveNoFileComp
	}
}

// candidates reads what the state holds, those starting with prefix and
// not in taken, with their descriptions. Any failure (no state file, a
// PostgreSQL state, the file held by a sync) offers nothing: completion
// never prints an error into the shell.
func (a *App) candidates(ctx context.Context, what, prefix string, taken []string) []cobra.Completion {
	location, err := a.dbPath()
	if err != nil || pgstore.IsURL(location) {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	svc := &portal.Service{OpenStore: func(ctx context.Context, _ bool) (store.Store, error) {
		return boltstore.Open(ctx, location, boltstore.Options{ReadOnly: true, LockTimeout: completionLockWait})
	}}
	cands, err := svc.Complete(ctx, what)
	if err != nil {
		cobra.CompDebugln(err.Error(), true)
		return nil
	}
	out := make([]cobra.Completion, 0, len(cands))
	for _, c := range cands {
		if strings.HasPrefix(c.Value, prefix) && !slices.Contains(taken, c.Value) {
			out = append(out, cobra.CompletionWithDesc(c.Value, c.Description))
		}
	}
	return out
}
