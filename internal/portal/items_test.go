package portal

import (
	"context"
	"errors"
	"testing"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// seedItems puts a visible and a hidden product and plan of provider prod,
// and a product of provider other, into the state.
func (f *fixture) seedItems() {
	f.withProvider("prod")
	f.withProvider("other")
	f.update(func(tx store.Tx) error {
		for _, p := range []catalog.Product{
			{Item: catalog.Item{Provider: "prod", Name: "pay", Placeholder: true}},
			{Item: catalog.Item{Provider: "prod", Name: "gone", Hidden: true}},
			{Item: catalog.Item{Provider: "other", Name: "else"}},
		} {
			if err := repo.CreateItem(tx, repo.ProductKind, &p); err != nil {
				return err
			}
		}
		for _, p := range []catalog.Plan{
			{Item: catalog.Item{Provider: "prod", Name: "gold"}},
			{Item: catalog.Item{Provider: "prod", Name: "old", Hidden: true}},
		} {
			if err := repo.CreateItem(tx, repo.PlanKind, &p); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestListItems(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// No state yet: empty lists, and a named provider does not exist.
	if got, err := ListItems[catalog.Product](ctx, f.svc, ListOptions{}); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("no state: %v %v", got, err)
	}
	if _, err := ListItems[catalog.Plan](ctx, f.svc, ListOptions{Provider: "prod"}); !errors.Is(err, provider.ErrUnknown) {
		t.Fatalf("no state, named provider: %v", err)
	}
	f.seedItems()
	tests := []struct {
		opts      ListOptions
		products  int
		plans     int
		errorCode catalog.Code
	}{
		{ListOptions{}, 2, 1, ""},
		{ListOptions{Provider: "prod"}, 1, 1, ""},
		{ListOptions{Provider: "prod", Visibility: catalog.HiddenOnly}, 1, 1, ""},
		{ListOptions{Visibility: catalog.AllItems}, 3, 2, ""},
		{ListOptions{Provider: "nope"}, 0, 0, catalog.CodeUnknown},
		{ListOptions{Provider: "Bad Name"}, 0, 0, catalog.CodeInvalid},
	}
	for _, tc := range tests {
		products, err := ListItems[catalog.Product](ctx, f.svc, tc.opts)
		if tc.errorCode != "" {
			if catalog.CodeOf(err) != tc.errorCode {
				t.Errorf("%+v: error %v, want code %s", tc.opts, err, tc.errorCode)
			}
			continue
		}
		plans, err2 := ListItems[catalog.Plan](ctx, f.svc, tc.opts)
		if err != nil || err2 != nil || len(products) != tc.products || len(plans) != tc.plans {
			t.Errorf("%+v: %d products %d plans (%v %v), want %d %d", tc.opts, len(products), len(plans), err, err2, tc.products, tc.plans)
		}
	}
}

func TestShowAndPublishItems(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := ShowItem[catalog.Product](ctx, f.svc, 1); !errors.Is(err, catalog.ErrUnknown) {
		t.Fatalf("no state: %v", err)
	}
	f.seedItems()
	p, err := ShowItem[catalog.Product](ctx, f.svc, 1)
	if err != nil || p.Name != "pay" {
		t.Fatalf("show: %+v %v", p, err)
	}
	if _, err := ShowItem[catalog.Plan](ctx, f.svc, 9); !errors.Is(err, catalog.ErrUnknown) || err.Error() != "plan 9: not found (see `tykportal plans list --all`)" {
		t.Fatalf("unknown plan: %v", err)
	}
	pub, err := SetPublished[catalog.Product](ctx, f.svc, 1, true)
	if err != nil || !pub.Published || pub.Placeholder || !pub.UpdatedAt.Equal(f.svc.now()) {
		t.Fatalf("publish: %+v %v", pub, err)
	}
	if again, _ := ShowItem[catalog.Product](ctx, f.svc, 1); !again.Published {
		t.Fatal("publish was not written")
	}
	before := f.stateBytes()
	if _, err := SetPublished[catalog.Plan](ctx, f.svc, 2, true); catalog.CodeOf(err) != catalog.CodeInvalid {
		t.Fatalf("publishing a hidden plan: %v", err)
	}
	if _, err := SetPublished[catalog.Plan](ctx, f.svc, 7, false); !errors.Is(err, catalog.ErrUnknown) {
		t.Fatalf("unpublishing an unknown plan: %v", err)
	}
	if f.stateBytes() != before {
		t.Fatal("a refused publish changed the state")
	}
	if un, err := SetPublished[catalog.Plan](ctx, f.svc, 1, false); err != nil || un.Published {
		t.Fatalf("unpublish: %+v %v", un, err)
	}
}
