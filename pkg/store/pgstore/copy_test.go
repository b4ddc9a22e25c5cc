package pgstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// A whole catalogue (the state file written by 1dc4d0b, with every kind of
// record) goes bbolt -> PostgreSQL -> bbolt and comes back the same: kind by
// kind the same records, sequences and checksums, and the same records
// through the repositories.
func TestCopyRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	from, err := boltstore.Open(ctx, filepath.Join(dir, "src.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	loadRecords(t, from, "../../../testdata/statefile/v1/records.json")
	pg, err := Open(ctx, newDB(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	back, err := boltstore.Open(ctx, filepath.Join(dir, "back.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()

	rep, err := store.Copy(ctx, from, pg, false)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range rep.Source {
		total += s.Records
	}
	if total < 20 {
		t.Fatalf("the source held only %d records: %+v", total, rep.Source)
	}
	if _, err := store.Copy(ctx, pg, back, false); err != nil {
		t.Fatal(err)
	}
	a, _ := store.Summarize(ctx, from)
	b, _ := store.Summarize(ctx, back)
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("%s: before %+v, after the round trip %+v", a[i].Kind, a[i], b[i])
		}
	}
	// The repositories read the same catalogue from all three.
	for _, s := range []store.Store{from, pg, back} {
		var products []catalog.Product
		var creds []catalog.CredentialView
		var ops []catalog.Operation
		if err := s.View(ctx, func(tx store.Tx) error {
			var err error
			if products, err = repo.ListProducts(tx, "", catalog.AllItems); err != nil {
				return err
			}
			if creds, err = repo.ListCredentials(tx, repo.CredentialFilter{}); err != nil {
				return err
			}
			ops, err = repo.ListOperations(tx, "")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(products) != 9 || len(creds) != 3 || len(ops) != 3 {
			t.Errorf("%s: %d products, %d credentials, %d operations; want 9, 3, 3", s.Location(), len(products), len(creds), len(ops))
		}
	}
	// A destination with records is refused, and left as it was.
	before, _ := store.Summarize(ctx, back)
	if _, err := store.Copy(ctx, pg, back, false); !errors.Is(err, store.ErrNotEmpty) || catalog.CodeOf(err) != catalog.CodeInvalid {
		t.Fatalf("copy onto a catalogue: %v", err)
	}
	after, _ := store.Summarize(ctx, back)
	for i := range before {
		if before[i] != after[i] {
			t.Fatal("a refused copy changed the destination")
		}
	}
	// --force replaces it.
	if _, err := store.Copy(ctx, pg, back, true); err != nil {
		t.Fatalf("forced copy: %v", err)
	}
}

// loadRecords writes the records a state file of 1dc4d0b held (the
// compatibility fixture's records.json) into s, sequences included.
func loadRecords(t *testing.T, s store.Store, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dump struct {
		Buckets []struct {
			Name     string `json:"name"`
			Sequence uint64 `json:"sequence"`
			Records  []struct {
				Key      string `json:"key"`
				KeyHex   string `json:"key_hex"`
				Value    string `json:"value"`
				ValueHex string `json:"value_hex"`
			} `json:"records"`
		} `json:"buckets"`
	}
	if err := json.Unmarshal(raw, &dump); err != nil {
		t.Fatal(err)
	}
	err = s.Update(context.Background(), func(tx store.Tx) error {
		for _, b := range dump.Buckets {
			if b.Name == "meta" {
				continue // the backend's own
			}
			k := store.Kind(b.Name)
			var recs []store.Raw
			for _, r := range b.Records {
				key := []byte(r.Key)
				if r.KeyHex != "" {
					if key, err = hex.DecodeString(r.KeyHex); err != nil {
						return err
					}
				}
				val := []byte(r.Value)
				if r.ValueHex != "" {
					if val, err = hex.DecodeString(r.ValueHex); err != nil {
						return err
					}
				}
				recs = append(recs, store.Raw{Kind: k, Key: key, Value: val})
			}
			if len(recs) > 0 {
				if err := tx.PutMany(recs); err != nil {
					return err
				}
			}
			if err := tx.SetSequence(k, b.Sequence); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
