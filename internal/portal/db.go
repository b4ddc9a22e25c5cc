package portal

import (
	"context"
	"fmt"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/pgstore"
)

// Locations open state backends other than the configured one, by
// location (a bbolt path or a PostgreSQL URL): `db copy` reads one and
// writes another.
type Locations func(ctx context.Context, location string, readOnly bool) (store.Store, error)

// MigrateResult is what `db migrate` did.
type MigrateResult struct {
	Location string `json:"location"`
	Backend  string `json:"backend"` // "postgres" or "bbolt"
	From     int    `json:"from"`
	To       int    `json:"to"`
}

// Migrate brings the schema of the state at location up to this binary's.
// A PostgreSQL schema moves only through here; a bbolt file upgrades itself
// on any write, so for one this opens it for writing once.
func Migrate(ctx context.Context, open Locations, location string) (MigrateResult, error) {
	if pgstore.IsURL(location) {
		from, to, err := pgstore.Migrate(ctx, location)
		return MigrateResult{Location: pgstore.Redact(location), Backend: "postgres", From: from, To: to}, err
	}
	st, err := open(ctx, location, false)
	if err != nil {
		return MigrateResult{}, err
	}
	defer st.Close()
	return MigrateResult{Location: st.Location(), Backend: "bbolt", From: boltSchema, To: boltSchema}, nil
}

// boltSchema is the bbolt file's schema, which its open has migrated to.
const boltSchema = 1

var errInvalidCopy = catalog.ErrInvalid

// CopyState copies the whole catalogue from one backend to another and
// verifies it (see store.Copy). The two must be different places.
func CopyState(ctx context.Context, open Locations, from, to string, force bool) (store.CopyReport, error) {
	if from == to {
		return store.CopyReport{}, fmt.Errorf("%w: --from and --to are the same place", errInvalidCopy)
	}
	src, err := open(ctx, from, true)
	if err != nil {
		return store.CopyReport{}, fmt.Errorf("open the source: %w", err)
	}
	defer src.Close()
	if pgstore.IsURL(to) {
		// A copy is how a team moves onto a new database: give it the
		// schema first, as `db migrate` would.
		if _, _, err := pgstore.Migrate(ctx, to); err != nil {
			return store.CopyReport{}, fmt.Errorf("prepare the destination: %w", err)
		}
	}
	dst, err := open(ctx, to, false)
	if err != nil {
		return store.CopyReport{}, fmt.Errorf("open the destination: %w", err)
	}
	defer dst.Close()
	return store.Copy(ctx, src, dst, force)
}
