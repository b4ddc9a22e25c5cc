package repo

import (
	"context"
	"testing"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
)

func TestOperationJournal(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	ops := []catalog.Operation{
		{Provider: "a", Object: catalog.ObjectKey, Name: "k1"},
		{Provider: "b", Object: catalog.ObjectPolicy, Name: "p"},
		{Provider: "a", Object: catalog.ObjectOAuthClient, Name: "c"},
	}
	err := db.Update(ctx, func(tx store.Tx) error {
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
	list := func(provider string) []catalog.Operation {
		var out []catalog.Operation
		if err := db.View(ctx, func(tx store.Tx) error {
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
	if err := db.Update(ctx, func(tx store.Tx) error {
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
