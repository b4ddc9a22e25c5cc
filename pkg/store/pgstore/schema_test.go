package pgstore

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/pgstore/pgtest"
)

// A database at schema 1 with a history, migrated to 2: the history keeps
// each record's provider, now a written column, and the indexes are those
// of schema 2.
func TestMigrateFromSchema1(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Shared(t).NewDatabase(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(migrations[0].SQL)
	exec("UPDATE tykportal_schema SET version = 1")
	history := map[int64]string{1: `{"provider":"a","status":"ok"}`, 2: `{"provider":"b","status":"ok"}`, 3: `{"status":"ok","provider":"a"}`}
	for id, v := range history {
		exec("INSERT INTO sync_history (id, record) VALUES ($1, $2::json)", id, v)
	}
	exec(`INSERT INTO products (id, record) VALUES (1, '{"id":1,"provider":"a"}')`)

	if _, err := Open(ctx, url, Options{}); !errors.Is(err, ErrSchemaBehind) {
		t.Fatalf("schema 1 opened by a binary of schema %d: %v", SchemaVersion, err)
	}
	if from, to, err := Migrate(ctx, url); err != nil || from != 1 || to != 2 {
		t.Fatalf("migrate: %d -> %d, %v", from, to, err)
	}

	indexes := func() []string {
		t.Helper()
		rows, err := conn.Query(ctx, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE '%provider' ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	if got, want := indexes(), []string{"credentials_provider", "operations_provider", "sync_history_provider"}; !slices.Equal(got, want) {
		t.Errorf("provider indexes after migrating: %v, want %v", got, want)
	}
	var generated string
	if err := conn.QueryRow(ctx, "SELECT attgenerated::text FROM pg_attribute WHERE attrelid = 'sync_history'::regclass AND attname = 'provider'").Scan(&generated); err != nil || generated != "" {
		t.Errorf("sync_history.provider is generated (%q, %v): want a written column", generated, err)
	}

	db, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put(store.SyncHistory, store.IDKey(4), []byte(`{"provider":"b","status":"failed"}`)); err != nil {
			return err
		}
		// A record without one has none, as the generated column had it.
		return tx.Put(store.SyncHistory, store.IDKey(5), []byte(`{"status":"ok"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx store.Tx) error {
		for owner, want := range map[string][]uint64{"a": {1, 3}, "b": {2, 4}} {
			keys, err := tx.(store.Owned).KeysOf(store.SyncHistory, owner)
			if err != nil {
				return err
			}
			var ids []uint64
			for _, k := range keys {
				ids = append(ids, store.KeyID(k))
			}
			if !slices.Equal(ids, want) {
				t.Errorf("provider %s's history: %v, want %v", owner, ids, want)
			}
		}
		v, err := tx.Get(store.SyncHistory, store.IDKey(3))
		if err == nil && string(v) != history[3] {
			t.Errorf("record 3 reads %s after migrating, want %s", v, history[3])
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var nulls int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM sync_history WHERE provider IS NULL").Scan(&nulls); err != nil || nulls != 1 {
		t.Errorf("%d history records without a provider (%v), want 1", nulls, err)
	}
}

// A history record that is not JSON is refused before it is sent, and
// nothing is written.
func TestHistoryOwnerUnreadable(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	err := db.Update(ctx, func(tx store.Tx) error {
		return tx.Put(store.SyncHistory, store.IDKey(1), []byte(`{"provider":"a"`))
	})
	if err == nil {
		t.Fatal("an unreadable history record was written")
	}
	var n int
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM sync_history").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d history records (%v), want none", n, err)
	}
}
