// Package cli holds tykportal's cobra commands. Commands parse flags, call
// the packages below (provider, sync, catalog, store, secret, dashboard) and
// print; the rules live in those packages.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	gosync "sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/output"
	"github.com/tykportal/tykportal/pkg/progress"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/pgstore"
)

// BuildInfo is stamped by the linker at release time; Main fills what
// is not from the binary's embedded build information.
type BuildInfo struct {
	Version string
	Commit  string
	Date    string
	// Modified: built from a tree with uncommitted changes.
	Modified bool
}

// Streams are the process's standard streams and whether each is a terminal.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	InTTY  bool
	OutTTY bool
	ErrTTY bool
}

// SystemStreams returns os.Stdin/Stdout/Stderr with terminal detection.
func SystemStreams() Streams {
	return Streams{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// App carries what every command needs: streams, environment, build info and
// the global flags. Dependencies (state file, secret store, Dashboard client)
// are built lazily by its methods, so `--help` and `version` open nothing.
type App struct {
	IO     Streams
	Getenv func(string) string
	Build  BuildInfo
	Now    func() time.Time

	// Global flags.
	DBPath  string
	Output  string
	NoColor bool
	Quiet   bool
	Timeout time.Duration

	// Concurrency bounds the requests at once to one Dashboard when it
	// pages its answers (--concurrency).
	Concurrency int

	// lockWait is how long to wait for another process to release the
	// state when TYKPORTAL_LOCK_TIMEOUT is not set; 0: the store's default.
	// watch waits longer: its providers' syncs may want the state at once.
	lockWait time.Duration

	// CPUProfile (hidden --cpuprofile) is a file for a CPU profile of the
	// command, to see where the real binary spends its time (a sync
	// against a real Dashboard, docs/performance.md).
	CPUProfile  string
	stopProfile func()

	// databases are the PostgreSQL connection pools of this process, one
	// per URL, shared by every use of the state (a connection with password
	// authentication costs a few milliseconds, and a sync opens the state
	// several times) and closed when the command ends.
	dbMu      gosync.Mutex
	databases map[string]*pgstore.DB

	// clients are the Dashboard clients, one per provider (factory.go).
	clientsMu gosync.Mutex
	clients   map[string]cachedClient

	format output.Format
	// progress is the progress line shown now, if any (withProgress).
	progress *progress.Line
	// warnings remembers the warnings said; log, when set (watch), is
	// where they go instead of plain lines on stderr.
	warnings warnings
	log      *slog.Logger
}

// Main runs tykportal with args and returns the exit code: 0 success, 1
// failure, 2 usage error or invalid input.
func Main(ctx context.Context, args []string, io Streams, getenv func(string) string, build BuildInfo) int {
	app := &App{IO: io, Getenv: getenv, Build: build.withModuleInfo(debug.ReadBuildInfo), Now: time.Now}
	root := app.rootCommand()
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	err := root.ExecuteContext(ctx)
	app.closeDatabases()
	app.closeClients()
	if app.stopProfile != nil {
		app.stopProfile()
	}
	if err == nil {
		return 0
	}
	err = withInterruption(ctx, err)
	fmt.Fprintf(io.Err, "tykportal: %s\n", oneLine(err.Error()))
	var hinted hintedError
	if errors.As(err, &hinted) {
		fmt.Fprint(io.Err, hinted.hint)
	}
	return ExitCode(err)
}

func (a *App) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "tykportal",
		Short: "Headless admin for Tyk API providers, products, plans and credentials",
		Long: `tykportal connects to Tyk Dashboards ("providers"), imports their policies as API
Products and Plans, creates the policies behind new Products and Plans, and issues
credentials, from the terminal, from cron, or from scripts reading --output json.`,
		Version:           a.Build.line(),
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := a.checkGlobals(cmd); err != nil {
				return err
			}
			return a.startCPUProfile()
		},
	}
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErrorf("%v (see `%s --help`)", err, cmd.CommandPath())
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.DBPath, "db", "", "state file (default $TYKPORTAL_DB, else $XDG_STATE_HOME/tykportal/tykportal.db)")
	pf.StringVarP(&a.Output, "output", "o", "table", "output format: table, json or yaml")
	pf.BoolVar(&a.NoColor, "no-color", false, "no colour in tables (also NO_COLOR)")
	pf.BoolVarP(&a.Quiet, "quiet", "q", false, "print nothing on success except requested data")
	pf.DurationVar(&a.Timeout, "timeout", 30*time.Second, "timeout of each Dashboard request")
	pf.IntVar(&a.Concurrency, "concurrency", 8, "at most this many requests at once to one Dashboard (when it pages its answers)")
	pf.StringVar(&a.CPUProfile, "cpuprofile", "", "write a CPU profile of the command to this file")
	_ = pf.MarkHidden("cpuprofile")

	root.AddCommand(
		a.versionCommand(),
		a.providerCommand(),
		a.syncCommand(),
		a.statusCommand(),
		a.productsCommand(),
		a.plansCommand(),
		a.apisCommand(),
		a.credentialsCommand(),
		a.watchCommand(),
		a.doctorCommand(),
		a.dbCommand(),
		a.exportCommand(), a.diffCommand(), a.applyCommand(),
		a.genDocsCommand(),
	)
	wrapArgs(root)
	rejectUnknownSubcommands(root)
	a.localOnly(root, "status", "version", "provider list", "products list", "products show", "plans list", "plans show", "credentials list", "credentials show")
	// A failure is a command renamed without its completion entry, which
	// TestCompletionTargetsExist catches; the commands work regardless.
	_ = a.registerCompletions(root)
	return root
}

// localOnly keeps the Dashboard flags (--timeout, --concurrency) out of
// the help of commands that read the local state only: each gets a
// hidden flag of the same name, bound to the same value, which shadows
// the global one in help and docs and still accepts it from a script
// that passes it to every command.
func (a *App) localOnly(root *cobra.Command, paths ...string) {
	for _, path := range paths {
		cmd, _, err := root.Find(strings.Fields(path))
		if err != nil || cmd == root {
			panic("localOnly: no command " + path) // a programming error, caught by every test
		}
		fl := cmd.Flags()
		fl.DurationVar(&a.Timeout, "timeout", 30*time.Second, "")
		fl.IntVar(&a.Concurrency, "concurrency", 8, "")
		_ = fl.MarkHidden("timeout")
		_ = fl.MarkHidden("concurrency")
	}
}

// startCPUProfile starts the --cpuprofile profile; Main stops it.
func (a *App) startCPUProfile() error {
	if a.CPUProfile == "" {
		return nil
	}
	state, _ := a.dbPath()
	f, err := openProfile(a.CPUProfile, state)
	if err != nil {
		return usageErrorf("--cpuprofile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return usageErrorf("--cpuprofile: %v", err)
	}
	a.stopProfile = func() {
		pprof.StopCPUProfile()
		f.Close()
	}
	return nil
}

// rejectUnknownSubcommands makes `tykportal provider frobnicate` a usage
// error; cobra would print the group's help and exit 0.
func rejectUnknownSubcommands(c *cobra.Command) {
	if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
		c.SuggestionsMinimumDistance = 2 // cobra's default, which SuggestionsFor alone does not apply
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				err := usageErrorf("unknown command %q for %q (see `%s --help`)", args[0], cmd.CommandPath(), cmd.CommandPath())
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					// cobra's own wording and line breaks, one suggestion a line.
					return hintedError{err, "\nDid you mean this?\n\t" + strings.Join(s, "\n\t") + "\n"}
				}
				return err
			}
			return cmd.Help()
		}
	}
	for _, sub := range c.Commands() {
		rejectUnknownSubcommands(sub)
	}
}

// wrapArgs makes cobra's positional-argument errors usage errors (exit 2).
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		orig := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := orig(cmd, args); err != nil {
				return usageErrorf("%v (see `%s --help`)", err, cmd.CommandPath())
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}

func (a *App) checkGlobals(cmd *cobra.Command) error {
	if f := cmd.Flags().Lookup("db"); f != nil && f.Changed && a.DBPath == "" {
		return usageErrorf("--db is empty: give a state file path or a postgres:// URL, or leave --db out")
	}
	f, err := output.ParseFormat(a.Output)
	if err != nil {
		return usageError(err)
	}
	a.format = f
	if a.Timeout <= 0 {
		return usageErrorf("--timeout must be positive, e.g. 30s")
	}
	if a.Concurrency < 1 || a.Concurrency > 64 {
		return usageErrorf("--concurrency must be between 1 and 64")
	}
	if v := a.Getenv("TYKPORTAL_INSTANCE"); v != "" {
		if err := catalog.ValidateLine("TYKPORTAL_INSTANCE", v, 100); err != nil {
			return err
		}
	}
	return nil
}

// printer returns the printer for data on stdout.
func (a *App) printer() *output.Printer {
	p := &output.Printer{Out: a.IO.Out, Format: a.format, Color: a.colorEnabled()}
	if a.IO.OutTTY {
		p.Width = termWidth(a.IO.Out)
	}
	return p
}

func (a *App) colorEnabled() bool {
	// NO_COLOR counts when it is set to anything but "" (no-color.org).
	return !a.NoColor && a.IO.OutTTY && a.Getenv("NO_COLOR") == ""
}

// info prints a human message on stderr unless --quiet.
func (a *App) info(format string, args ...any) {
	if a.Quiet {
		return
	}
	fmt.Fprintf(a.IO.Err, format+"\n", args...)
}

// warn prints a warning on stderr, also with --quiet: warnings are not
// success chatter. Each one is said once per command (a watch is one
// command), and in watch through its structured log.
func (a *App) warn(format string, args ...any) {
	a.warnings.say(a, fmt.Sprintf(format, args...))
}

// dbPath resolves --db, then TYKPORTAL_DB, then the default location.
func (a *App) dbPath() (string, error) {
	if a.DBPath != "" {
		return a.DBPath, nil
	}
	if p := a.Getenv("TYKPORTAL_DB"); p != "" {
		return p, nil
	}
	p, err := boltstore.DefaultPath(a.Getenv)
	if err != nil {
		return "", fmt.Errorf("find the default state file location: %w (set --db or TYKPORTAL_DB)", err)
	}
	return p, nil
}

// lockTimeout is how long to wait for another process to release the state
// file; TYKPORTAL_LOCK_TIMEOUT overrides the default (tests use it).
func (a *App) lockTimeout() (time.Duration, error) {
	v := a.Getenv("TYKPORTAL_LOCK_TIMEOUT")
	if v == "" && a.lockWait > 0 {
		return a.lockWait, nil
	}
	if v == "" {
		return store.DefaultLockTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usageErrorf("TYKPORTAL_LOCK_TIMEOUT %q is not a positive duration such as 3s", v)
	}
	return d, nil
}

// openDB opens the state for one short use; the caller closes it.
func (a *App) openDB(ctx context.Context, readOnly bool) (store.Store, error) {
	location, err := a.dbPath()
	if err != nil {
		return nil, err
	}
	return a.openStore(ctx, location, readOnly)
}

// database returns this process's pool for a PostgreSQL URL, opening it
// on first use; the caller's Close leaves it open for the next use.
func (a *App) database(ctx context.Context, url string, readOnly bool) (store.Store, error) {
	a.dbMu.Lock()
	defer a.dbMu.Unlock()
	db := a.databases[url]
	if db == nil {
		var err error
		if db, err = pgstore.Open(ctx, url, pgstore.Options{}); err != nil {
			return nil, err
		}
		if a.databases == nil {
			a.databases = map[string]*pgstore.DB{}
		}
		a.databases[url] = db
	}
	return pgstore.Shared(db, readOnly), nil
}

func (a *App) closeDatabases() {
	a.dbMu.Lock()
	defer a.dbMu.Unlock()
	for url, db := range a.databases {
		db.Close()
		delete(a.databases, url)
	}
}

// openStore opens the state at a location: a postgres:// or postgresql://
// URL is the PostgreSQL backend, anything else a bbolt file.
func (a *App) openStore(ctx context.Context, location string, readOnly bool) (store.Store, error) {
	if pgstore.IsURL(location) {
		return a.database(ctx, location, readOnly)
	}
	lt, err := a.lockTimeout()
	if err != nil {
		return nil, err
	}
	return boltstore.Open(ctx, location, boltstore.Options{ReadOnly: readOnly, LockTimeout: lt})
}

// oneLine makes an error printable as one line: no line breaks, control
// characters neutralised, invalid UTF-8 replaced, and at most 1,000 runes
// (an error may quote a flag's value, which can be a megabyte long).
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\r", " ")
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ToValidUTF8(s, "\uFFFD")
	if r := []rune(s); len(r) > 1000 {
		s = string(r[:1000]) + "..."
	}
	return output.Sanitize(s)
}
