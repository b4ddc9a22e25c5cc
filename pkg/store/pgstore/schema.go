package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tykportal/tykportal/pkg/store"
)

// SchemaVersion is the schema this binary reads and writes.
const SchemaVersion = 1

// A migration takes the schema from To-1 to To. They run in order, each in
// its own transaction with the version bump, and never backwards.
type migration struct {
	To  int
	SQL string
}

// table describes where a kind of record lives. Kinds keyed by id have a
// bigint id column (store.IDKey decoded); kinds keyed by a name have a text
// name column in byte order (COLLATE "C"), as every backend lists keys.
type table struct {
	name   string
	byID   bool
	column string // the key column
	json   bool   // the record column is json, not jsonb
}

var tables = map[store.Kind]table{
	store.Providers:   {"providers", false, "name", false},
	store.Products:    {"products", true, "id", false},
	store.Plans:       {"plans", true, "id", false},
	store.Credentials: {"credentials", true, "id", false},
	store.Operations:  {"operations", true, "id", false},
	store.SyncHistory: {"sync_history", true, "id", true},
	store.LastSyncs:   {"last_sync", false, "provider", false},
}

// recordTable is a kind kept as a JSONB record with its provider as a
// generated column, for a DBA's queries and the indexes.
func recordTable(name, key, keyType string, withProvider bool) string {
	return recordTableOf(name, key, keyType, "jsonb", withProvider)
}

func recordTableOf(name, key, keyType, recordType string, withProvider bool) string {
	sql := fmt.Sprintf("CREATE TABLE %s (\n  %s %s PRIMARY KEY,\n  record %s NOT NULL", name, key, keyType, recordType)
	if withProvider {
		sql += ",\n  provider text COLLATE \"C\" GENERATED ALWAYS AS (record->>'provider') STORED"
	}
	sql += "\n);\n"
	if withProvider {
		sql += fmt.Sprintf("CREATE INDEX %s_provider ON %s (provider);\n", name, name)
	}
	return sql
}

var migrations = []migration{
	{To: 1, SQL: "CREATE TABLE tykportal_schema (version integer NOT NULL);\n" +
		"INSERT INTO tykportal_schema VALUES (0);\n" +
		recordTable("providers", "name", `text COLLATE "C"`, false) +
		recordTable("products", "id", "bigint", true) +
		recordTable("plans", "id", "bigint", true) +
		recordTable("credentials", "id", "bigint", true) +
		recordTable("operations", "id", "bigint", true) +
		// A sync result is megabytes after a first sync of 10,000 policies
		// (its change list), written once and read whole: json keeps it as
		// written, without the parse into jsonb (30 -> 12 ms to write,
		// 48 -> 20 ms to read 10,000 records in pgstore's benchmarks).
		recordTableOf("sync_history", "id", "bigint", "json", true) +
		// last_sync maps a provider to its last result in sync_history;
		// the value is the history id, as store.IDKey bytes.
		"CREATE TABLE last_sync (provider text COLLATE \"C\" PRIMARY KEY, history_key bytea NOT NULL);\n" +
		"CREATE TABLE sequences (kind text PRIMARY KEY, value bigint NOT NULL);\n"},
}

// schemaVersion is the database's schema version; 0 for an empty database.
func (db *DB) schemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.pool.QueryRow(ctx, "SELECT version FROM tykportal_schema").Scan(&v)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the schema version of %s: %w", db.location, err)
	}
	return v, nil
}

// Migrate applies the pending migrations of the database at rawURL and
// returns the versions before and after. A database with a newer schema is
// left alone (store.ErrNewerSchema). Concurrent migrations are serialised
// by an advisory lock.
func Migrate(ctx context.Context, rawURL string) (from, to int, err error) {
	db, err := connect(ctx, rawURL, Options{})
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return 0, 0, db.connectError(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		return 0, 0, err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockKey) //nolint:errcheck
	from, err = db.schemaVersion(ctx)
	if err != nil {
		return 0, 0, err
	}
	if from > SchemaVersion {
		return from, from, fmt.Errorf("%w (database %s has schema %d, this binary knows %d): upgrade tykportal", store.ErrNewerSchema, db.location, from, SchemaVersion)
	}
	to = from
	for _, m := range migrations {
		if m.To <= from {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "UPDATE tykportal_schema SET version = $1", m.To)
			return err
		})
		if err != nil {
			return from, to, fmt.Errorf("migrate %s to schema %d: %w", db.location, m.To, err)
		}
		to = m.To
	}
	return from, to, nil
}

// migrateLockKey is the advisory lock key of migrations ("tykp" "migr").
const migrateLockKey int64 = 0x74796b706d696772
