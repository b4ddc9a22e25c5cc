// Package pgstore is the PostgreSQL backend of package store: a shared
// catalogue for a team, several hosts and several `watch` instances. Each
// kind of record is a table a DBA can read and back up, keyed by its id or
// name, with the provider as a column and the record as JSONB; the schema
// is versioned, and its forward-only migrations run only through Migrate
// (`tykportal db migrate`). Writes are serializable transactions, retried
// a bounded number of times when PostgreSQL reports a conflict, so
// concurrent writers never lose an update. No secret is ever stored here.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
)

// IsURL reports whether a state location names a PostgreSQL database
// rather than a bbolt file.
func IsURL(location string) bool {
	l := strings.ToLower(location)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// Errors of opening the database.
var (
	// ErrSchemaBehind: the database has no schema yet or an older one.
	ErrSchemaBehind = errors.New("the PostgreSQL schema is behind this tykportal")
	// ErrUnreachable: no connection could be made.
	ErrUnreachable = errors.New("cannot connect to PostgreSQL")
	// ErrConflict: a write kept conflicting with concurrent writers.
	ErrConflict = catalog.NewError(catalog.CodeConflict, "the write kept conflicting with concurrent writers")
)

// Options control Open.
type Options struct {
	ReadOnly bool
	// ConnectTimeout bounds the connection (0: 10s).
	ConnectTimeout time.Duration
	// Retries bounds the retries of a conflicting write (0: 8).
	Retries int
}

// DB is an open PostgreSQL state.
type DB struct {
	pool     *pgxpool.Pool
	location string
	readOnly bool
	retries  int
}

// The PostgreSQL state is a store.
var _ store.Store = (*DB)(nil)

// Open connects to the database at rawURL (libpq's PG* variables and
// sslmode/sslrootcert as pgx reads them) and checks that its schema is the
// one this binary knows: behind or missing is ErrSchemaBehind (run
// `tykportal db migrate`), ahead is store.ErrNewerSchema.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	db, err := connect(ctx, rawURL, opts)
	if err != nil {
		return nil, err
	}
	v, err := db.schemaVersion(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	switch {
	case v < SchemaVersion:
		db.Close()
		return nil, fmt.Errorf("%w (database %s has schema %d, this binary needs %d): run `tykportal db migrate` once", ErrSchemaBehind, db.location, v, SchemaVersion)
	case v > SchemaVersion:
		db.Close()
		return nil, fmt.Errorf("%w (database %s has schema %d, this binary knows %d): upgrade tykportal", store.ErrNewerSchema, db.location, v, SchemaVersion)
	}
	return db, nil
}

func connect(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// pgx reads only a lower-case scheme as a URL; anything else it takes
	// for key=value settings and would connect somewhere else entirely.
	if i := strings.Index(rawURL, "://"); i > 0 {
		rawURL = strings.ToLower(rawURL[:i]) + rawURL[i:]
	}
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, catalog.Errorf(catalog.CodeInvalid, "the state location is not a valid PostgreSQL URL (%s): %v", Redact(rawURL), scrub(err.Error()))
	}
	timeout := opts.ConnectTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	cfg.ConnConfig.ConnectTimeout = timeout
	cfg.MaxConns = 8
	cfg.AfterConnect = preferLZ4
	retries := opts.Retries
	if retries <= 0 {
		retries = 8
	}
	db := &DB{location: Redact(rawURL), readOnly: opts.ReadOnly, retries: retries}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(cctx, cfg)
	if err == nil {
		err = pool.Ping(cctx)
		if err != nil {
			pool.Close()
		}
	}
	if err != nil {
		return nil, db.connectError(err)
	}
	db.pool = pool
	return db, nil
}

// preferLZ4 has the session compress large values with lz4 where the
// server has it (PostgreSQL 14 and later, built with lz4; elsewhere the
// setting is refused and pglz stays). A first sync's history record is a
// megabyte of JSON, and pglz, the default, spent 12 ms of its 21 ms insert
// compressing it (lz4: under 2 ms, the result 2% larger). A session
// setting rather than a column's: it changes no schema, so hosts on the
// previous release share the database unchanged, and every server reads
// both kinds.
func preferLZ4(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, "SET default_toast_compression = lz4")
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "22023" || pgErr.Code == "42704") {
		// invalid_parameter_value (no lz4), undefined_object (before 14).
		return nil
	}
	return err
}

// connectError says what went wrong with a connection in words, never
// with the password.
func (db *DB) connectError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01", "28000":
			return fmt.Errorf("%w at %s: the server refused the user or password (%s): check the URL or PGPASSWORD", ErrUnreachable, db.location, pgErr.Message)
		case "3D000":
			return fmt.Errorf("%w at %s: %s: create the database first", ErrUnreachable, db.location, pgErr.Message)
		}
		return fmt.Errorf("%w at %s: %s (%s)", ErrUnreachable, db.location, pgErr.Message, pgErr.Code)
	}
	msg := err.Error()
	if strings.Contains(msg, "SSL") || strings.Contains(msg, "tls") || strings.Contains(msg, "no pg_hba.conf entry") {
		return fmt.Errorf("%w at %s: %s (check sslmode and sslrootcert in the URL)", ErrUnreachable, db.location, scrub(msg))
	}
	return fmt.Errorf("%w at %s: %s", ErrUnreachable, db.location, scrub(msg))
}

// scrub removes a password pgx may quote from a connection string.
func scrub(msg string) string {
	if i := strings.Index(msg, "password="); i >= 0 {
		end := strings.IndexAny(msg[i:], " )")
		if end < 0 {
			end = len(msg) - i
		}
		msg = msg[:i] + "password=xxxxx" + msg[i+end:]
	}
	return msg
}

// Redact returns a URL without its password, for messages.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "a URL that cannot be parsed"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Shared is db for one use within a process that keeps db open: its Close
// leaves the pool open, and readOnly refuses writes.
func Shared(db *DB, readOnly bool) store.Store { return sharedDB{db: db, readOnly: readOnly} }

type sharedDB struct {
	db       *DB
	readOnly bool
}

func (s sharedDB) View(ctx context.Context, fn func(store.Tx) error) error { return s.db.View(ctx, fn) }

func (s sharedDB) Update(ctx context.Context, fn func(store.Tx) error) error {
	if s.readOnly {
		return errors.New("the state was opened read-only")
	}
	return s.db.Update(ctx, fn)
}

func (s sharedDB) Location() string { return s.db.Location() }

func (s sharedDB) Close() error { return nil }

// Location is the URL without its password.
func (db *DB) Location() string { return db.location }

// Close closes the connections.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// View runs fn in a read-only, repeatable-read transaction: one snapshot.
func (db *DB) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.explain(pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		return fn(&pgTx{ctx: ctx, tx: tx})
	}), false)
}

// explain names the database in an error of the server or the connection,
// and what it means for the transaction: nothing of it was committed.
func (db *DB) explain(err error, write bool) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42501":
		return fmt.Errorf("PostgreSQL at %s refused: %w (the database user lacks a privilege: GRANT it SELECT, INSERT, UPDATE, DELETE on tykportal's tables)", db.location, err)
	case errors.As(err, &pgErr):
		return err
	case pgconn.SafeToRetry(err), pgconn.Timeout(err), isConnErr(err):
		what := "the read failed"
		if write {
			what = "nothing of this write was committed"
		}
		return fmt.Errorf("%w: lost the connection to %s (%s); %s", ErrUnreachable, db.location, scrub(err.Error()), what)
	}
	return err
}

// isConnErr tells whether err is the connection's failure rather than the
// server's answer: the dial failed, the socket went away, or the driver
// had already closed the connection. Every one of them comes wrapped, so
// they are matched by type and value, never by text.
func isConnErr(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// Update runs fn in one serializable transaction. When PostgreSQL reports
// a serialization failure or a deadlock, fn runs again in a new
// transaction, a bounded number of times: fn must compute its writes from
// what it reads in the transaction, as every use case does.
func (db *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	if db.readOnly {
		return errors.New("the state was opened read-only")
	}
	var err error
	for attempt := 0; attempt <= db.retries; attempt++ {
		if err = ctx.Err(); err != nil {
			return err
		}
		err = pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.Serializable}, func(tx pgx.Tx) error {
			return fn(&pgTx{ctx: ctx, tx: tx, writable: true})
		})
		if !retryable(err) {
			return db.explain(err, true)
		}
		// Back off a little, more each time, so the conflicting writers
		// spread out.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 15 * time.Millisecond):
		}
	}
	return fmt.Errorf("%w (%d attempts): %v; try again", ErrConflict, db.retries+1, err)
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}
