package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/pgstore/pgtest"
	"github.com/tykportal/tykportal/pkg/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

// newDB is a migrated, empty database of the shared throwaway server.
func newDB(t testing.TB) string {
	t.Helper()
	url := pgtest.Shared(t).NewDatabase(t)
	if _, _, err := Migrate(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	return url
}

// openDB is newDB opened, closed when t ends.
func openDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), newDB(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := Open(context.Background(), newDB(t), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func TestSchemaChecks(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.Shared(t)
	empty := srv.NewDatabase(t)
	if _, err := Open(ctx, empty, Options{}); !errors.Is(err, ErrSchemaBehind) || !strings.Contains(err.Error(), "tykportal db migrate") {
		t.Fatalf("an unmigrated database: %v", err)
	}
	from, to, err := Migrate(ctx, empty)
	if err != nil || from != 0 || to != SchemaVersion {
		t.Fatalf("migrate: %d -> %d, %v", from, to, err)
	}
	if from, to, err := Migrate(ctx, empty); err != nil || from != SchemaVersion || to != SchemaVersion {
		t.Fatalf("second migrate: %d -> %d, %v", from, to, err)
	}
	db, err := Open(ctx, empty, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, "UPDATE tykportal_schema SET version = $1", SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, empty, Options{}); !errors.Is(err, store.ErrNewerSchema) {
		t.Fatalf("a newer schema: %v", err)
	}
	if _, _, err := Migrate(ctx, empty); !errors.Is(err, store.ErrNewerSchema) {
		t.Fatalf("migrate of a newer schema: %v", err)
	}
}

func TestConnectionErrors(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.Shared(t)
	free := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}()
	tests := []struct {
		name, url, want string
	}{
		{"refused", fmt.Sprintf("postgres://u@127.0.0.1:%d/x?sslmode=disable&connect_timeout=2", free), "cannot connect to PostgreSQL"},
		{"no such database", fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/nosuchdb?sslmode=disable", pgtest.Password, srv.Port), "create the database first"},
		{"TLS required, server without", fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=require", srv.Port), "sslmode"},
		{"not a URL", "postgres://%zz", "not a valid PostgreSQL URL"},
		{"wrong password", fmt.Sprintf("postgres://postgres:wrong-canary@127.0.0.1:%d/postgres?sslmode=disable", srv.Port), "refused the user or password"},
	}
	for _, tc := range tests {
		_, err := Open(ctx, tc.url, Options{ConnectTimeout: 3 * time.Second})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), "wrong-canary") || strings.Contains(err.Error(), pgtest.Password)) {
			t.Errorf("%s: the password is in the error: %v", tc.name, err)
		}
	}
}

// Concurrent writers of one record never lose an update: serializable
// transactions, retried on conflict.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	ctx := context.Background()
	url := newDB(t)
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(ctx, url, Options{Retries: 50})
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			for i := 0; i < each; i++ {
				err := db.Update(ctx, func(tx store.Tx) error {
					var c struct{ N int }
					if raw, err := tx.Get(store.Providers, []byte("counter")); err == nil {
						if err := store.Decode(raw, &c); err != nil {
							return err
						}
					} else if !errors.Is(err, store.ErrNotFound) {
						return err
					}
					c.N++
					return store.Put(tx, store.Providers, []byte("counter"), c)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	db, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(ctx, func(tx store.Tx) error {
		c, err := store.Get[struct{ N int }](tx, store.Providers, []byte("counter"))
		if err == nil && c.N != writers*each {
			return fmt.Errorf("counter %d after %d increments: updates were lost", c.N, writers*each)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgresql://u@h/db":                           "postgresql://u@h/db",
		"postgres://h/db?password=secret":               "postgres://h/db?password=xxxxx",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	if !IsURL("PostgreSQL://x") || !IsURL("postgres://x") || IsURL("/var/lib/t.db") || IsURL("postgres.db") {
		t.Error("IsURL")
	}
}

// The connection's failures are told from the server's answers by type,
// however they are wrapped, and never by the words of a message.
func TestIsConnErr(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"reset", fmt.Errorf("read: %w", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), true},
		{"refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"broken pipe", fmt.Errorf("write: %w", syscall.EPIPE), true},
		{"eof", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), true},
		{"closed by the driver", fmt.Errorf("query: %w", pgconn.ErrConnClosed), true},
		{"closed socket", fmt.Errorf("use: %w", net.ErrClosed), true},
		{"server error", &pgconn.PgError{Code: "23505", Message: "duplicate key: connection reset"}, false},
		{"words only", errors.New("failed to connect: connection refused (but not really)"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := isConnErr(tc.err); got != tc.want {
				t.Errorf("isConnErr(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// A large value (a first sync's history record) is compressed with lz4
// where the server has it (Debian's PostgreSQL 15 has), and reads back
// whole.
func TestLargeValuesUseLZ4(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	var has bool
	err := db.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals))").Scan(&has)
	if err != nil {
		t.Fatal(err)
	}
	if !has {
		t.Skip("SKIP: this PostgreSQL server has no lz4")
	}
	var b strings.Builder
	b.WriteString(`{"provider":"p","changes":[`)
	for i := range 20000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"action":"create","name":"generated-%d"}`, i)
	}
	b.WriteString("]}")
	value := []byte(b.String())
	key := store.IDKey(1)
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.Put(store.SyncHistory, key, value) }); err != nil {
		t.Fatal(err)
	}
	var method string
	if err := db.pool.QueryRow(ctx, "SELECT pg_column_compression(record) FROM sync_history WHERE id = 1").Scan(&method); err != nil {
		t.Fatal(err)
	}
	if method != "lz4" {
		t.Errorf("the %d-byte record is compressed with %q, want lz4", len(value), method)
	}
	err = db.View(ctx, func(tx store.Tx) error {
		got, err := tx.Get(store.SyncHistory, key)
		if err == nil && string(got) != string(value) {
			err = fmt.Errorf("read back %d bytes, not the %d written", len(got), len(value))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
