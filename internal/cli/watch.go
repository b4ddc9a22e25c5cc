package cli

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/output"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/pgstore"
	tpsync "github.com/tykportal/tykportal/pkg/sync"
	"github.com/tykportal/tykportal/pkg/watch"
)

func (a *App) watchCommand() *cobra.Command {
	var interval time.Duration
	var logFormat, logLevel, healthAddr string
	var opts tpsync.Options
	cmd := &cobra.Command{
		Use:   "watch [NAME...] [--interval D]",
		Short: "Sync at start, then on the refresh interval, until SIGINT or SIGTERM",
		Long: `watch syncs every provider (or the named ones) at start and then every interval:
--interval, else TYK_PORTAL_REFRESHINTERVAL, else PORTAL_REFRESHINTERVAL (whole minutes,
as the Tyk portal reads them), else 10 minutes. A failing provider backs off without
delaying the others; providers added or removed meanwhile are picked up at the next
wake. SIGHUP syncs now; SIGINT or SIGTERM stops cleanly (exit 0). The state file is
opened per sync, so other tykportal commands keep working.

` + countsLegend + ``,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, n := range args {
				if err := provider.ValidateName(n); err != nil {
					return err
				}
			}
			if healthAddr != "" {
				if _, port, err := net.SplitHostPort(healthAddr); err != nil || !validPort(port) {
					return usageErrorf("--health-addr %q is not HOST:PORT, e.g. 127.0.0.1:9090", healthAddr)
				}
			}
			for _, n := range args {
				if _, err := a.service().Provider(cmd.Context(), n); err != nil {
					return err
				}
			}
			iv, source, err := watch.Interval(interval, cmd.Flags().Changed("interval"), a.Getenv)
			if err != nil {
				return usageError(err)
			}
			logger, err := a.logger(logFormat, logLevel)
			if err != nil {
				return err
			}
			a.log = logger // warnings too go through the log from here on
			return a.runWatch(cmd.Context(), args, iv, source, healthAddr, opts, logger, logFormat == "json")
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&interval, "interval", 0, "time between syncs of a provider (default: $TYK_PORTAL_REFRESHINTERVAL or $PORTAL_REFRESHINTERVAL minutes, else 10m)")
	fl.StringVar(&logFormat, "log-format", "text", "log format on stderr: text or json")
	fl.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.StringVar(&healthAddr, "health-addr", "", "serve /healthz and /metrics on this address, e.g. 127.0.0.1:9090 (off by default)")
	fl.BoolVar(&opts.AllowMassHide, "allow-mass-hide", false, "allow syncs that hide more than half of a provider's items")
	return cmd
}

// validPort: a port number 0-65535 (0: any free port).
func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n <= 65535
}

func (a *App) logger(format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErrorf("--log-level %q: use debug, info, warn or error", level)
	}
	hopts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(a.IO.Err, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(a.IO.Err, hopts)), nil
	}
	return nil, usageErrorf("--log-format %q: use text or json", format)
}

func (a *App) runWatch(ctx context.Context, names []string, interval time.Duration, source, healthAddr string,
	opts tpsync.Options, log *slog.Logger, jsonLogs bool) error {
	// Each provider syncs on its own timeline, so two syncs may want the
	// state file at once: wait longer for it than a one-shot command does.
	a.lockWait = 30 * time.Second
	svc := a.service()
	location, err := a.dbPath()
	if err != nil {
		return err
	}
	if !pgstore.IsURL(location) {
		// One loop per bbolt file; several share a PostgreSQL catalogue.
		release, err := boltstore.LockWatch(location, svc.Instance)
		if err != nil {
			return err
		}
		defer release()
	}
	// Instances sharing a catalogue take turns: a provider another one
	// synced within the interval is left to the next turn.
	opts.FreshWithin = interval * 9 / 10
	opts.LeaseWait = 0

	metrics := watch.NewMetrics(svc.Instance)
	if healthAddr != "" {
		ln, err := net.Listen("tcp", healthAddr)
		if err != nil {
			return fmt.Errorf("listen on --health-addr %s: %w", healthAddr, err)
		}
		if host, _, _ := net.SplitHostPort(healthAddr); host != "127.0.0.1" && host != "localhost" && host != "::1" {
			a.warn("--health-addr %s is reachable from other hosts", healthAddr)
		}
		srv := &http.Server{Handler: metrics.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		log.Info("serving /healthz and /metrics", "addr", ln.Addr().String())
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	trigger := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case trigger <- struct{}{}:
			default:
			}
		}
	}()

	log.Info("watch started", "interval", interval.String(), "interval_from", source, "instance", svc.Instance)
	err = watch.Run(ctx, watch.Config{
		Interval:  interval,
		Providers: func(ctx context.Context) ([]string, error) { return svc.Watched(ctx, names) },
		Syncer:    svc.Syncer(),
		Options:   opts,
		Jitter:    rand.Float64,
		Trigger:   trigger,
		Logger:    log,
		OnResult: func(r catalog.SyncResult, next time.Duration) {
			metrics.Observe(r)
			if products, plans, err := svc.Counts(ctx, r.Provider); err == nil {
				metrics.SetCatalog(r.Provider, products, plans)
			}
			a.reportWatchResult(r, next, log, jsonLogs)
		},
		OnDeferred: func(r catalog.SyncResult, next time.Duration) {
			metrics.ObserveDeferred(r)
			attrs := []any{"provider", r.Provider, "reason", r.Deferred, "next_in", next.Round(time.Millisecond).String()}
			if r.Deferred == catalog.DeferredFresh {
				attrs = append(attrs, "last_sync_by", r.Instance, "last_sync_at", r.StartedAt.UTC().Format(time.RFC3339))
			} else {
				attrs = append(attrs, "detail", r.Error)
			}
			log.Debug("left to another instance", attrs...)
		},
	})
	log.Info("watch stopped")
	return err
}

// reportWatchResult prints one sync: a JSON line on stdout with -o json, a
// human line on stderr otherwise (or only the structured log with
// --log-format json).
func (a *App) reportWatchResult(r catalog.SyncResult, next time.Duration, log *slog.Logger, jsonLogs bool) {
	if err := a.printer().PrintRecord(r); err != nil {
		log.Error("print the sync result", "error", err)
	}
	attrs := []any{"provider", r.Provider, "status", r.Status, "duration_ms", r.DurationMS, "next_in", next.Round(time.Second).String()}
	// In text mode the human line below is the report; the structured
	// record then only shows at debug level.
	okLevel, failLevel := slog.LevelInfo, slog.LevelWarn
	if !jsonLogs {
		okLevel, failLevel = slog.LevelDebug, slog.LevelDebug
	}
	ctx := context.Background()
	if r.Status == catalog.SyncFailed {
		log.Log(ctx, failLevel, "sync failed", append(attrs, "error", r.Error)...)
	} else {
		log.Log(ctx, okLevel, "sync ok", append(attrs, "products", counts(r.Products), "plans", counts(r.Plans))...)
	}
	if jsonLogs || a.format != output.FormatTable {
		return
	}
	when := time.Now().UTC().Format(time.RFC3339)
	if r.Status == catalog.SyncFailed {
		fmt.Fprintf(a.IO.Err, "%s %s failed: %s; retry in %s\n", when, r.Provider, oneLine(r.Error), next.Round(time.Second))
		return
	}
	count := counts
	if a.IO.ErrTTY {
		count = countWords
	}
	fmt.Fprintf(a.IO.Err, "%s %s ok products %s plans %s %dms; next in %s\n", when, r.Provider, count(r.Products), count(r.Plans), r.DurationMS, next.Round(time.Second))
}
