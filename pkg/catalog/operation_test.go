package catalog

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/tykportal/tykportal/pkg/store"
)

func TestOperationJournal(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ops := []Operation{
		{Provider: "a", Object: ObjectKey, Name: "k1"},
		{Provider: "b", Object: ObjectPolicy, Name: "p"},
		{Provider: "a", Object: ObjectOAuthClient, Name: "c"},
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		for i := range ops {
			if err := BeginOperation(tx, &ops[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	list := func(provider string) []Operation {
		var out []Operation
		if err := db.View(ctx, func(tx *store.Tx) error {
			var err error
			out, err = ListOperations(tx, provider)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := list(""); len(got) != 3 || got[0].ID != 1 || got[2].ID != 3 {
		t.Fatalf("all: %+v", got)
	}
	if got := list("a"); len(got) != 2 || got[0].Name != "k1" || got[1].Name != "c" {
		t.Fatalf("provider a: %+v", got)
	}
	ops[2].Stale = "oldhash"
	if err := db.Update(ctx, func(tx *store.Tx) error {
		if err := PutOperation(tx, ops[2]); err != nil {
			return err
		}
		if err := FinishOperation(tx, ops[0].ID); err != nil {
			return err
		}
		return FinishOperation(tx, 99) // missing: no error
	}); err != nil {
		t.Fatal(err)
	}
	if got := list("a"); len(got) != 1 || got[0].Stale != "oldhash" {
		t.Fatalf("after finish: %+v", got)
	}
}

func TestMarker(t *testing.T) {
	a, err := NewMarker()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewMarker()
	if a == b || !regexp.MustCompile(`^op-[0-9a-f]{24}$`).MatchString(a) {
		t.Fatalf("markers %q %q", a, b)
	}
	meta := Mark(nil, a)
	if MarkerOf(meta) != a || MarkerOf(nil) != "" || MarkerOf(map[string]any{MarkerField: 5}) != "" {
		t.Fatal("MarkerOf")
	}
	kept := Mark(map[string]any{"tykportal_consumer": "x"}, b)
	if kept["tykportal_consumer"] != "x" || MarkerOf(kept) != b {
		t.Fatalf("Mark dropped fields: %v", kept)
	}
}
