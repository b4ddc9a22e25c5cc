package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"

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
	switch {
	case col == "history_key":
		cast = ""
	case tb.json:
		cast = "::json"
	}
	if tb.owner {
		return fmt.Sprintf("INSERT INTO %s (%s, %s, provider) VALUES ($1, $2%s, $3) ON CONFLICT (%s) DO UPDATE SET %s = EXCLUDED.%s, provider = EXCLUDED.provider",
			tb.name, tb.column, col, cast, tb.column, col, col)
	}
	return fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES ($1, $2%s) ON CONFLICT (%s) DO UPDATE SET %s = EXCLUDED.%s",
		tb.name, tb.column, col, cast, tb.column, col, col)
}

// upsertArgs are upsertSQL's arguments for one record.
func (t *pgTx) upsertArgs(tb table, key, value []byte) ([]any, error) {
	arg, err := keyArg(tb, key)
	if err != nil {
		return nil, err
	}
	if col, _ := valueColumn(tb); col == "history_key" {
		return []any{arg, value}, nil
	}
	if !tb.owner {
		return []any{arg, string(value)}, nil
	}
	owner, err := store.OwnerOf(value)
	if err != nil {
		return nil, fmt.Errorf("%s: read the record's provider: %w", tb.name, err)
	}
	var column *string // NULL without one, as a generated column has it
	if owner != "" {
		column = &owner
	}
	return []any{arg, string(value), column}, nil
}

func (t *pgTx) Put(k store.Kind, key, value []byte) error {
	if !t.writable {
		return errReadOnly
	}
	tb, err := tableOf(k)
	if err != nil {
		return err
	}
	args, err := t.upsertArgs(tb, key, value)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(t.ctx, t.upsertSQL(tb), args...)
	return err
}

var errReadOnly = errors.New("write in a read-only transaction")

// copyMin is the run of records of one kind from which PutMany copies
// them in (COPY into a temporary table, then one upsert) instead of one
// statement each: 10,000 products took 96 ms that way against 166 ms in a
// pipelined batch (pgstore's BenchmarkWrite10k).
const copyMin = 256

// PutMany writes runs of many records of one kind by COPY, the rest in one
// pipelined batch: a first sync writes 10,000 records, and one round trip
// each would be most of its time.
func (t *pgTx) PutMany(raws []store.Raw) error {
	recs := make([]store.Record, len(raws))
	for i, r := range raws {
		recs[i] = store.Record{Kind: r.Kind, Key: r.Key}
	}
	// PutEncoding takes the values in order on one goroutine: one orderer
	// serves them all.
	var o jsonbOrderer
	return t.PutEncoding(recs, func(i int) ([]byte, error) {
		if isJSONB(raws[i].Kind) {
			return o.reorder(raws[i].Value), nil
		}
		return raws[i].Value, nil
	})
}

var _ store.EncodingWriter = (*pgTx)(nil)

// Preparer puts a jsonb record's members in jsonb's order (jsonbOrderer),
// on the encoding worker that asks for it.
func (t *pgTx) Preparer(k store.Kind) func([]byte) []byte {
	if !isJSONB(k) {
		return nil
	}
	var o jsonbOrderer
	return o.reorder
}

// isJSONB tells whether records of kind k go into a jsonb column.
func isJSONB(k store.Kind) bool {
	tb, err := tableOf(k)
	return err == nil && !tb.json
}

// PutEncoding is PutMany for records still being encoded: value(i) is the
// i-th record's bytes as Preparer left them (recs[i].Value is not read),
// and COPY sends each record as soon as it is ready, so that the server
// parses the first ones while the client encodes the rest (a first sync's
// 9,500 records).
func (t *pgTx) PutEncoding(recs []store.Record, value func(i int) ([]byte, error)) error {
	if !t.writable {
		return errReadOnly
	}
	var b pgx.Batch
	for start := 0; start < len(recs); {
		end := start
		for end < len(recs) && recs[end].Kind == recs[start].Kind {
			end++
		}
		tb, err := tableOf(recs[start].Kind)
		if err != nil {
			return err
		}
		// A record whose provider column pgstore writes goes one statement
		// each: those are sync results, few and large.
		if col, _ := valueColumn(tb); end-start >= copyMin && col == "record" && !tb.owner {
			if err := t.copyIn(tb, recs[start:end], func(i int) ([]byte, error) { return value(start + i) }); err != nil {
				return err
			}
		} else {
			for i := start; i < end; i++ {
				v, err := value(i)
				if err != nil {
					return err
				}
				args, err := t.upsertArgs(tb, recs[i].Key, v)
				if err != nil {
					return err
				}
				b.Queue(t.upsertSQL(tb), args...)
			}
		}
		start = end
	}
	if b.Len() == 0 {
		return nil
	}
	return t.tx.SendBatch(t.ctx, &b).Close()
}

// copyIn writes a run of records of one table by COPY, value(i) being the
// i-th one's bytes. A run of new keys, none repeated (a first sync's
// creates), goes straight into the table; any other run is upserted
// through a temporary table filled by COPY, dropped at the end of the
// transaction.
func (t *pgTx) copyIn(tb table, recs []store.Record, value func(i int) ([]byte, error)) error {
	keys := make([]any, 0, len(recs))
	seen := make(map[any]struct{}, len(recs))
	for _, r := range recs {
		k, err := keyArg(tb, r.Key)
		if err != nil {
			return err
		}
		keys = append(keys, k)
		seen[k] = struct{}{}
	}
	rows := &copyRows{value: value, keys: keys}
	if len(seen) == len(keys) {
		fresh, err := t.noneStored(tb, keys)
		if err != nil {
			return err
		}
		if fresh {
			// COPY parses the records into the record column once; the
			// upsert's way parses them too, but also writes and sorts the
			// temporary table (10,000 products: see BenchmarkWrite10k's
			// CopyDirect and CopyTemp). The read of the keys above makes a
			// concurrent writer of one of them a serialization failure,
			// which Update retries.
			_, err := t.tx.CopyFrom(t.ctx, pgx.Identifier{tb.name}, []string{tb.column, "record"}, rows)
			return err
		}
	}
	tmp := "tykportal_in_" + tb.name
	keyType := "text"
	if tb.byID {
		keyType = "bigint"
	}
	if _, err := t.tx.Exec(t.ctx, fmt.Sprintf("CREATE TEMP TABLE IF NOT EXISTS %s (k %s, record text) ON COMMIT DROP", tmp, keyType)); err != nil {
		return err
	}
	if _, err := t.tx.CopyFrom(t.ctx, pgx.Identifier{tmp}, []string{"k", "record"}, rows); err != nil {
		return err
	}
	// The last value of a key wins, as with one statement each.
	_, err := t.tx.Exec(t.ctx, fmt.Sprintf(`INSERT INTO %[1]s (%[2]s, record)
		SELECT DISTINCT ON (k) k, record::%[4]s FROM (SELECT k, record, row_number() OVER () AS n FROM %[3]s) r ORDER BY k, n DESC
		ON CONFLICT (%[2]s) DO UPDATE SET record = EXCLUDED.record`, tb.name, tb.column, tmp, map[bool]string{true: "json", false: "jsonb"}[tb.json]))
	if err == nil {
		_, err = t.tx.Exec(t.ctx, "TRUNCATE "+tmp)
	}
	return err
}

// copyRows is a run of records as COPY reads them, each taken when its
// encoding is ready.
type copyRows struct {
	value func(i int) ([]byte, error)
	keys  []any
	next  int
	row   [2]any
	err   error
}

func (r *copyRows) Next() bool {
	if r.next >= len(r.keys) {
		return false
	}
	v, err := r.value(r.next)
	if err != nil {
		r.err = err
		return false
	}
	// pgx sends the bytes as they are, as the JSON text.
	r.row = [2]any{r.keys[r.next], v}
	r.next++
	return true
}

func (r *copyRows) Values() ([]any, error) { return r.row[:], nil }
func (r *copyRows) Err() error             { return r.err }

// noneStored tells whether the table holds none of the keys (distinct).
// Ids that make one range, as a sync's creates do (reserved together), are
// looked up as that range: one step down the primary key instead of one
// for each of thousands of ids.
func (t *pgTx) noneStored(tb table, keys []any) (bool, error) {
	var found bool
	query := fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s WHERE %s = ANY($1))", tb.name, tb.column)
	var args []any
	if tb.byID {
		ids := make([]int64, len(keys))
		for i, k := range keys {
			ids[i] = k.(int64)
		}
		if lo, hi := slices.Min(ids), slices.Max(ids); hi-lo == int64(len(ids)-1) {
			query = fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s WHERE %s BETWEEN $1 AND $2)", tb.name, tb.column)
			args = []any{lo, hi}
		} else {
			args = []any{ids}
		}
	} else {
		names := make([]string, len(keys))
		for i, k := range keys {
			names[i] = k.(string)
		}
		args = []any{names}
	}
	err := t.tx.QueryRow(t.ctx, query, args...).Scan(&found)
	return !found, err
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

// KeysOf lists a provider's records of a kind by the provider column.
func (t *pgTx) KeysOf(k store.Kind, provider string) ([][]byte, error) {
	tb, err := tableOf(k)
	if err != nil {
		return nil, err
	}
	if !tb.byID {
		return nil, fmt.Errorf("records of kind %q have no provider column", k)
	}
	rows, err := t.tx.Query(t.ctx, fmt.Sprintf("SELECT id FROM %s WHERE provider = $1 ORDER BY id", tb.name), provider)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys [][]byte
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		keys = append(keys, store.IDKey(uint64(id)))
	}
	return keys, rows.Err()
}

var _ store.Owned = (*pgTx)(nil)

func (t *pgTx) Writable() bool { return t.writable }

// Revision: PostgreSQL gives no cheap commit counter that every reader
// sees, so a reader always reads again.
func (t *pgTx) Revision() (uint64, bool) { return 0, false }
