package pgstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
)

// The write and read paths of a sync of 10,000 policies on PostgreSQL,
// and, for comparison in the same run, two other ways to write the same
// records that pgstore does not use (yet): COPY into a temporary table
// then one INSERT ... SELECT ... ON CONFLICT, and one INSERT ... SELECT
// FROM unnest($1, $2) ON CONFLICT. Figures only; run them with
// scripts/bench.sh or
//
//	go test -run '^$' -bench . -benchtime 10x ./pkg/store/pgstore/

// benchRecords is n product records as a first sync writes them.
func benchRecords(b testing.TB, n int) []store.Raw {
	b.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	recs := make([]store.Raw, n)
	for i := range recs {
		p := catalog.Product{
			Item: catalog.Item{
				ID: uint64(i + 1), Provider: "bench", PolicyID: fmt.Sprintf("%024x", i), PolicyMID: fmt.Sprintf("%024x", i),
				Name: fmt.Sprintf("generated-%d", i), Placeholder: true,
			},
			AuthType: "authToken",
			APIs:     []catalog.APIRef{{APIID: fmt.Sprintf("gen00000001api%06d", i%2000), Name: fmt.Sprintf("Generated API %d", i%2000)}},
			History:  catalog.History{CreatedAt: now, UpdatedAt: now, LastSyncedAt: &now},
		}
		v, err := store.Encode(p)
		if err != nil {
			b.Fatal(err)
		}
		recs[i] = store.Raw{Kind: store.Products, Key: store.IDKey(p.ID), Value: v}
	}
	return recs
}

// A writeWay writes recs into table (id bigint, record jsonb or json) in
// tx, as Update runs it.
type writeWay func(ctx context.Context, tx pgx.Tx, table string, recs []store.Raw) error

var writeWays = []struct {
	name string
	fn   writeWay
}{
	{"Batch", batchWrite},
	{"CopyTemp", copyTempWrite},
	{"CopyDirect", copyDirectWrite},
	{"Unnest", unnestWrite},
}

// batchWrite is PutMany itself on the products table; elsewhere the same
// statement, one per record, in one pipelined batch.
func batchWrite(ctx context.Context, tx pgx.Tx, table string, recs []store.Raw) error {
	if table == "products" {
		return (&pgTx{ctx: ctx, tx: tx, writable: true}).PutMany(recs)
	}
	var b pgx.Batch
	sql := "INSERT INTO " + table + " (id, record) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record"
	for _, r := range recs {
		b.Queue(sql, int64(store.KeyID(r.Key)), string(r.Value))
	}
	return tx.SendBatch(ctx, &b).Close()
}

// copyTempWrite: COPY the rows into a temporary table, then upsert them
// all in one statement.
func copyTempWrite(ctx context.Context, tx pgx.Tx, table string, recs []store.Raw) error {
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE bench_in (id bigint, record text) ON COMMIT DROP"); err != nil {
		return err
	}
	rows := make([][]any, len(recs))
	for i, r := range recs {
		rows[i] = []any{int64(store.KeyID(r.Key)), string(r.Value)}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"bench_in"}, []string{"id", "record"}, pgx.CopyFromRows(rows)); err != nil {
		return err
	}
	cast := castTo(table)
	_, err := tx.Exec(ctx, "INSERT INTO "+table+" (id, record) SELECT id, record::"+cast+" FROM bench_in ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record")
	return err
}

// copyDirectWrite: COPY the rows straight into the table, as PutMany does
// with a run of new keys; over existing keys (mode update) it upserts as
// copyTempWrite does, after finding a key stored.
func copyDirectWrite(ctx context.Context, tx pgx.Tx, table string, recs []store.Raw) error {
	ids := make([]int64, len(recs))
	rows := make([][]any, len(recs))
	for i, r := range recs {
		ids[i] = int64(store.KeyID(r.Key))
		rows[i] = []any{ids[i], string(r.Value)}
	}
	var found bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+table+" WHERE id = ANY($1))", ids).Scan(&found); err != nil {
		return err
	}
	if found {
		return copyTempWrite(ctx, tx, table, recs)
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, []string{"id", "record"}, pgx.CopyFromRows(rows))
	return err
}

// unnestWrite: one statement with the keys and values as two arrays.
func unnestWrite(ctx context.Context, tx pgx.Tx, table string, recs []store.Raw) error {
	ids := make([]int64, len(recs))
	vals := make([]string, len(recs))
	for i, r := range recs {
		ids[i], vals[i] = int64(store.KeyID(r.Key)), string(r.Value)
	}
	cast := castTo(table)
	_, err := tx.Exec(ctx, "INSERT INTO "+table+" (id, record) SELECT id, record::"+cast+" FROM unnest($1::bigint[], $2::text[]) AS u(id, record) ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record", ids, vals)
	return err
}

func castTo(table string) string {
	if table == "products" {
		return "jsonb"
	}
	return "json"
}

// productsJSON is the products table with the record as json (the text
// kept as written, only validated) instead of jsonb (parsed into a binary
// form, keys reordered, on every write; printed again on every read).
const productsJSON = `CREATE TABLE products_json (id bigint PRIMARY KEY, record json NOT NULL,
	provider text COLLATE "C" GENERATED ALWAYS AS (record->>'provider') STORED);
	CREATE INDEX products_json_provider ON products_json (provider)`

// BenchmarkWrite10k: 10,000 product records into an empty table (a first
// sync) and over themselves (a sync that updates every item), each way,
// into the jsonb table pgstore has and into a json one.
func BenchmarkWrite10k(b *testing.B) {
	ctx := context.Background()
	recs := benchRecords(b, 10000)
	for _, table := range []string{"products", "products_json"} {
		for _, w := range writeWays {
			for _, mode := range []string{"insert", "update"} {
				b.Run(table+"/"+w.name+"/"+mode, func(b *testing.B) {
					db := openDB(b)
					if _, err := db.pool.Exec(ctx, productsJSON); err != nil {
						b.Fatal(err)
					}
					run := func() {
						err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.Serializable}, func(tx pgx.Tx) error {
							return w.fn(ctx, tx, table, recs)
						})
						if err != nil {
							b.Fatal(err)
						}
					}
					if mode == "update" {
						run()
					}
					for b.Loop() {
						if mode == "insert" {
							b.StopTimer()
							if _, err := db.pool.Exec(ctx, "TRUNCATE "+table); err != nil {
								b.Fatal(err)
							}
							b.StartTimer()
						}
						run()
					}
					var n int
					if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil || n != len(recs) {
						b.Fatalf("%d rows, %v", n, err)
					}
				})
			}
		}
	}
}

// BenchmarkPutHistory: the sync result of a first sync of 10,000
// policies (9,500 changes, about 1.3 MB of JSON) as one sync_history
// record, as the sync writes it (jsonb), and into a json column.
func BenchmarkPutHistory(b *testing.B) {
	ctx := context.Background()
	r := catalog.SyncResult{Provider: "bench", Status: catalog.SyncOK, Skipped: []catalog.SkippedItem{}}
	for i := range 9500 {
		r.Changes = append(r.Changes, catalog.Change{Action: catalog.ActionCreate, Kind: "product", PolicyID: fmt.Sprintf("%024x", i), Name: fmt.Sprintf("generated-%d", i)})
	}
	v, err := store.Encode(r)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(v)))
	db := openDB(b)
	if _, err := db.pool.Exec(ctx, "CREATE TABLE history_json (id bigint PRIMARY KEY, record json NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	next := int64(0) // new keys across the runs of each sub-benchmark
	b.Run("jsonb", func(b *testing.B) {
		for b.Loop() {
			next++
			if err := db.Update(ctx, func(tx store.Tx) error { return tx.Put(store.SyncHistory, store.IDKey(uint64(next)), v) }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			next++
			if _, err := db.pool.Exec(ctx, "INSERT INTO history_json VALUES ($1, $2::json)", next, string(v)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPutRecords10k: the path a first sync takes, typed records
// encoded on every core and written by PutMany, in Update.
func BenchmarkPutRecords10k(b *testing.B) {
	ctx := context.Background()
	raws := benchRecords(b, 10000)
	recs := make([]store.Record, len(raws))
	for i, r := range raws {
		var p catalog.Product
		if err := store.Decode(r.Value, &p); err != nil {
			b.Fatal(err)
		}
		recs[i] = store.Record{Kind: store.Products, Key: r.Key, Value: p}
	}
	db := openDB(b)
	for b.Loop() {
		b.StopTimer()
		if _, err := db.pool.Exec(ctx, "TRUNCATE products"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := db.Update(ctx, func(tx store.Tx) error { return store.PutRecords(tx, recs) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList10k: every product decoded in one read transaction, as
// `products list` and a sync's read of the local catalogue do.
func BenchmarkList10k(b *testing.B) {
	ctx := context.Background()
	db := openDB(b)
	recs := benchRecords(b, 10000)
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.PutMany(recs) }); err != nil {
		b.Fatal(err)
	}
	b.Run("ForEach", func(b *testing.B) {
		for b.Loop() {
			n := 0
			err := db.View(ctx, func(tx store.Tx) error {
				return tx.ForEach(store.Products, func(_, v []byte) error { n += len(v); return nil })
			})
			if err != nil || n == 0 {
				b.Fatal(err)
			}
		}
	})
	// The same rows from a json column: the text as written, not printed
	// again from jsonb.
	if _, err := db.pool.Exec(ctx, productsJSON+"; INSERT INTO products_json (id, record) SELECT id, record::text::json FROM products"); err != nil {
		b.Fatal(err)
	}
	b.Run("ForEachJSONColumn", func(b *testing.B) {
		for b.Loop() {
			n := 0
			err := db.View(ctx, func(tx store.Tx) error {
				rows, err := tx.(*pgTx).tx.Query(ctx, "SELECT id, record::text FROM products_json ORDER BY id")
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var id int64
					var v []byte
					if err := rows.Scan(&id, &v); err != nil {
						return err
					}
					n += len(v)
				}
				return rows.Err()
			})
			if err != nil || n == 0 {
				b.Fatal(err)
			}
		}
	})
	b.Run("List", func(b *testing.B) {
		for b.Loop() {
			var ps []catalog.Product
			err := db.View(ctx, func(tx store.Tx) error {
				var err error
				ps, err = store.List[catalog.Product](tx, store.Products)
				return err
			})
			if err != nil || len(ps) != len(recs) {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpen: connecting (password auth, SCRAM-SHA-256) and checking
// the schema, which every command does, most more than once.
func BenchmarkOpen(b *testing.B) {
	url := newDB(b)
	for b.Loop() {
		db, err := Open(context.Background(), url, Options{})
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

// BenchmarkCopyKeyOrder: 10,000 product records by COPY into an empty
// products table with their members in the order they are encoded in
// and in jsonb's order (which the server's sort of each object finds
// sorted), and what putting them in that order costs the client.
func BenchmarkCopyKeyOrder(b *testing.B) {
	ctx := context.Background()
	recs := benchRecords(b, 10000)
	var o jsonbOrderer
	rows := map[string][][]any{}
	for i, r := range recs {
		rows["struct"] = append(rows["struct"], []any{int64(i + 1), r.Value})
		rows["jsonb"] = append(rows["jsonb"], []any{int64(i + 1), o.reorder(r.Value)})
	}
	db := openDB(b)
	for _, order := range []string{"struct", "jsonb"} {
		b.Run(order, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				if _, err := db.pool.Exec(ctx, "TRUNCATE products"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.Serializable}, func(tx pgx.Tx) error {
					_, err := tx.CopyFrom(ctx, pgx.Identifier{"products"}, []string{"id", "record"}, pgx.CopyFromRows(rows[order]))
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("reorder", func(b *testing.B) {
		for b.Loop() {
			for _, r := range recs {
				o.reorder(r.Value)
			}
		}
	})
}
