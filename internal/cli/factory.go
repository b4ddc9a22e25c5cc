package cli

import (
	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/secret"
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
	}
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
	return secret.Stores{Getenv: a.Getenv, DBPath: path, Warn: a.IO.Err}
}

// newClient builds a Dashboard client for p with the given secret.
func (a *App) newClient(p provider.Provider, sec string) (*dashboard.Client, error) {
	return dashboard.New(dashboard.Config{
		BaseURL: p.URL, Secret: sec, OrgID: p.OrgID,
		CAFile: p.CAFile, InsecureSkipVerify: p.InsecureSkipVerify,
		Timeout: a.Timeout, UserAgent: "tykportal/" + a.Build.Version, Concurrency: a.Concurrency,
	})
}
