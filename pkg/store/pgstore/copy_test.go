package pgstore

import (
	"context"
	"errors"
	"io"
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
	src := filepath.Join(dir, "src.db")
	copyFile(t, "../../../testdata/statefile/v1/tykportal.db", src)
	from, err := boltstore.Open(ctx, src, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
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

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
}
