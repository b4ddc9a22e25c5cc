package cli

import (
	"fmt"
	"os"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/secret"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/pgstore"
)

// service builds the use cases over this process's state, secrets and
// Dashboards. Nothing is opened until a use case needs it, so building it
// costs nothing and `--help` opens nothing.
func (a *App) service() *portal.Service {
	return &portal.Service{
		OpenStore: a.openDB,
		Secrets:   a.secrets(),
		Dashboard: a.newClient,
		Now:       a.Now,
		Warn:      a.warn,
		Leases:    a.leases(),
		Instance:  a.instance(),
	}
}

// leases are the sync leases of the configured state: advisory locks of a
// PostgreSQL catalogue, lock files beside a bbolt one.
func (a *App) leases() store.Leases {
	location, err := a.dbPath()
	if err != nil {
		return nil
	}
	if pgstore.IsURL(location) {
		return pgstore.Leases{URL: location}
	}
	return boltstore.Leases{Path: location}
}

// instance names this process in leases and sync results:
// TYKPORTAL_INSTANCE, else the host name and the process id.
func (a *App) instance() string {
	if v := a.Getenv("TYKPORTAL_INSTANCE"); v != "" {
		return v
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

// secrets are the secret stores, with the file store next to the state
// file. A state path that cannot be found leaves the file store unusable,
// which the first use of it reports.
func (a *App) secrets() portal.StoreSecrets { return portal.StoreSecrets{Stores: a.secretStores()} }

func (a *App) secretStores() secret.Stores {
	path, _ := a.dbPath()
	if pgstore.IsURL(path) {
		// A shared database keeps no secret: the opt-in file store of
		// this host lives where its own state file would.
		path, _ = boltstore.DefaultPath(a.Getenv)
	}
	return secret.Stores{Getenv: a.Getenv, DBPath: path, Warn: a.secretWarnings()}
}

// newClient builds a Dashboard client for p with the given secret.
func (a *App) newClient(p provider.Provider, sec string) (*dashboard.Client, error) {
	return dashboard.New(dashboard.Config{
		BaseURL: p.URL, Secret: sec, OrgID: p.OrgID,
		CAFile: p.CAFile, InsecureSkipVerify: p.InsecureSkipVerify,
		Timeout: a.Timeout, UserAgent: "tykportal/" + a.Build.Version, Concurrency: a.Concurrency,
	})
}
