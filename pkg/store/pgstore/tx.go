package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tykportal/tykportal/pkg/store"
)

// pgTx is one transaction. Keys are store keys: IDKey bytes for the kinds
// keyed by id, names for the others.
type pgTx struct {
	ctx      context.Context
	tx       pgx.Tx
	writable bool
}

func tableOf(k store.Kind) (table, error) {
	t, ok := tables[k]
	if !ok {
		return table{}, fmt.Errorf("no table for records of kind %q", k)
	}
	return t, nil
}

// keyArg turns a store key into the key column's value.
func keyArg(t table, key []byte) (any, error) {
	if !t.byID {
		return string(key), nil
	}
	if len(key) != 8 {
		return nil, fmt.Errorf("%s: key %x is not an id", t.name, key)
	}
	return int64(store.KeyID(key)), nil
}

func keyBytes(t table, id int64, name string) []byte {
	if t.byID {
		return store.IDKey(uint64(id))
	}
	return []byte(name)
}

// valueColumn is the column holding a kind's value and how it is read.
func valueColumn(t table) (col, read string) {
	if t.name == "last_sync" {
		return "history_key", "history_key"
	}
	return "record", "record::text"
}

func (t *pgTx) Get(k store.Kind, key []byte) ([]byte, error) {
	tb, err := tableOf(k)
	if err != nil {
		return nil, err
	}
	arg, err := keyArg(tb, key)
	if err != nil {
		return nil, err
	}
	_, read := valueColumn(tb)
	var v []byte
	err = t.tx.QueryRow(t.ctx, fmt.Sprintf("SELECT %s FROM %s WHERE %s = $1", read, tb.name, tb.column), arg).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return v, err
}

func (t *pgTx) upsertSQL(tb table) string {
	col, _ := valueColumn(tb)
	cast := "::jsonb"
	if col == "history_key" {
		cast = ""
	}
	return fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES ($1, $2%s) ON CONFLICT (%s) DO UPDATE SET %s = EXCLUDED.%s",
		tb.name, tb.column, col, cast, tb.column, col, col)
}

func (t *pgTx) arg(tb table, value []byte) any {
	if col, _ := valueColumn(tb); col == "history_key" {
		return value
	}
	return string(value)
}

func (t *pgTx) Put(k store.Kind, key, value []byte) error {
	if !t.writable {
		return errReadOnly
	}
	tb, err := tableOf(k)
	if err != nil {
		return err
	}
	arg, err := keyArg(tb, key)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(t.ctx, t.upsertSQL(tb), arg, t.arg(tb, value))
	return err
}

var errReadOnly = errors.New("write in a read-only transaction")

// PutMany sends the writes in one pipelined batch: a first sync writes
// 10,000 records, and one round trip each would be most of its time.
func (t *pgTx) PutMany(recs []store.Raw) error {
	if !t.writable {
		return errReadOnly
	}
	var b pgx.Batch
	for _, r := range recs {
		tb, err := tableOf(r.Kind)
		if err != nil {
			return err
		}
		arg, err := keyArg(tb, r.Key)
		if err != nil {
			return err
		}
		b.Queue(t.upsertSQL(tb), arg, t.arg(tb, r.Value))
	}
	return t.tx.SendBatch(t.ctx, &b).Close()
}

func (t *pgTx) Delete(k store.Kind, key []byte) error {
	if !t.writable {
		return errReadOnly
	}
	tb, err := tableOf(k)
	if err != nil {
		return err
	}
	arg, err := keyArg(tb, key)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(t.ctx, fmt.Sprintf("DELETE FROM %s WHERE %s = $1", tb.name, tb.column), arg)
	return err
}

func (t *pgTx) ForEach(k store.Kind, fn func(key, value []byte) error) error {
	tb, err := tableOf(k)
	if err != nil {
		return err
	}
	_, read := valueColumn(tb)
	rows, err := t.tx.Query(t.ctx, fmt.Sprintf("SELECT %s, %s FROM %s ORDER BY %s", tb.column, read, tb.name, tb.column))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v []byte
		var key []byte
		if tb.byID {
			var id int64
			if err := rows.Scan(&id, &v); err != nil {
				return err
			}
			key = keyBytes(tb, id, "")
		} else {
			var name string
			if err := rows.Scan(&name, &v); err != nil {
				return err
			}
			key = keyBytes(tb, 0, name)
		}
		if err := fn(key, v); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *pgTx) NextIDs(k store.Kind, n int) (uint64, error) {
	if n < 1 {
		return 0, fmt.Errorf("reserve %d ids of %s: need at least one", n, k)
	}
	if !t.writable {
		return 0, errReadOnly
	}
	var last int64
	err := t.tx.QueryRow(t.ctx, `INSERT INTO sequences (kind, value) VALUES ($1, $2)
		ON CONFLICT (kind) DO UPDATE SET value = sequences.value + EXCLUDED.value RETURNING value`, string(k), n).Scan(&last)
	if err != nil {
		return 0, err
	}
	return uint64(last) - uint64(n) + 1, nil
}

func (t *pgTx) Sequence(k store.Kind) (uint64, error) {
	var v int64
	err := t.tx.QueryRow(t.ctx, "SELECT value FROM sequences WHERE kind = $1", string(k)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return uint64(v), err
}

func (t *pgTx) SetSequence(k store.Kind, v uint64) error {
	if !t.writable {
		return errReadOnly
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO sequences (kind, value) VALUES ($1, $2)
		ON CONFLICT (kind) DO UPDATE SET value = EXCLUDED.value`, string(k), int64(v))
	return err
}

func (t *pgTx) Count(k store.Kind) (int, error) {
	tb, err := tableOf(k)
	if err != nil {
		return 0, err
	}
	var n int
	err = t.tx.QueryRow(t.ctx, "SELECT count(*) FROM "+tb.name).Scan(&n)
	return n, err
}

func (t *pgTx) Writable() bool { return t.writable }

// Revision: PostgreSQL gives no cheap commit counter that every reader
// sees, so a reader always reads again.
func (t *pgTx) Revision() (uint64, bool) { return 0, false }
