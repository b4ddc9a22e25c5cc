package pgstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tykportal/tykportal/pkg/store"
)

// Leases are session-scoped PostgreSQL advisory locks, one per provider,
// each on a connection of its own held for the sync: a process that dies,
// or whose network is cut, loses its connection and with it the lock, so
// another instance takes the provider over. The holder is told by the
// connection's application_name ("tykportal INSTANCE").
type Leases struct {
	URL string
	// ConnectTimeout bounds each connection (0: 10s).
	ConnectTimeout time.Duration
}

var _ store.Leases = Leases{}

// LeaseKey is the advisory lock key of a provider's sync lease.
func LeaseKey(provider string) int64 {
	h := fnv.New64a()
	h.Write([]byte("tykportal-sync:" + provider))
	return int64(h.Sum64())
}

const appPrefix = "tykportal "

// Acquire takes provider's lease, polling for at most wait.
func (l Leases) Acquire(ctx context.Context, provider, instance string, wait time.Duration) (store.Lease, error) {
	cfg, err := pgx.ParseConfig(l.URL)
	if err != nil {
		return nil, fmt.Errorf("the state location %s is not a valid PostgreSQL URL: %w", Redact(l.URL), err)
	}
	timeout := l.ConnectTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	cfg.ConnectTimeout = timeout
	cfg.RuntimeParams["application_name"] = appPrefix + instance
	// A cut network must not keep a dead holder's lock for the kernel's
	// two hours: the server probes an idle connection and drops it.
	cfg.RuntimeParams["tcp_keepalives_idle"] = "10"
	cfg.RuntimeParams["tcp_keepalives_interval"] = "5"
	cfg.RuntimeParams["tcp_keepalives_count"] = "3"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, (&DB{location: Redact(l.URL)}).connectError(err)
	}
	key := LeaseKey(provider)
	lease, err := store.PollLease(ctx, wait, func() (store.Lease, error) {
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
			return nil, fmt.Errorf("take the sync lease of provider %q: %w", provider, err)
		}
		if ok {
			return &pgLease{conn: conn, key: key}, nil
		}
		return nil, holder(ctx, conn, provider, key)
	})
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return lease, nil
}

// holder names who holds a lease, as far as the server tells.
func holder(ctx context.Context, conn *pgx.Conn, provider string, key int64) error {
	busy := &store.BusyError{Provider: provider}
	var app string
	var since time.Time
	// An advisory lock on a bigint key is kept as two 32-bit halves.
	err := conn.QueryRow(ctx, `SELECT a.application_name, a.backend_start FROM pg_locks l
		JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1`,
		uint32(uint64(key)>>32), uint32(uint64(key))).Scan(&app, &since)
	if err == nil && len(app) > len(appPrefix) && app[:len(appPrefix)] == appPrefix {
		busy.Holder, busy.Since = app[len(appPrefix):], since
	}
	return busy
}

type pgLease struct {
	conn *pgx.Conn
	key  int64
}

// Release unlocks and closes the lease's connection (closing alone would
// release it too; unlocking first makes it immediate for the others).
func (l *pgLease) Release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = l.conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", l.key)
	_ = l.conn.Close(ctx)
}
