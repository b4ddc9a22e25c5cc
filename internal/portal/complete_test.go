package portal

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

func TestComplete(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if got, err := f.svc.Complete(ctx, CompleteProviders); err != nil || len(got) != 0 {
		t.Fatalf("no state: %v %v", got, err)
	}
	f.seedItems()
	f.update(func(tx store.Tx) error {
		if err := repo.CreateItem(tx, repo.ProductKind, &catalog.Product{Item: catalog.Item{Provider: "prod", Name: "raw", DisplayName: "Shown"}}); err != nil {
			return err
		}
		for _, c := range []catalog.Credential{
			{ID: 1, Provider: "prod", ProductID: 1, PlanID: 1, Consumer: "dev@example.com", CreatedAt: time.Unix(0, 0)},
			{ID: 2, Provider: "prod", ProductID: 1, PlanID: 1, Consumer: "old@example.com", Revoked: true, CreatedAt: time.Unix(0, 0)},
		} {
			if err := store.Put(tx, store.Credentials, store.IDKey(c.ID), c); err != nil {
				return err
			}
		}
		return nil
	})
	url := f.sim.URL
	tests := []struct {
		what    string
		want    []Candidate
		wantErr bool
	}{
		{what: CompleteProviders, want: []Candidate{{"other", url}, {"prod", url}}},
		{what: CompleteProducts, want: []Candidate{{"1", "pay (prod)"}, {"2", "gone (prod, hidden)"}, {"3", "else (other)"}, {"4", "Shown (prod)"}}},
		{what: CompletePlans, want: []Candidate{{"1", "gold (prod)"}, {"2", "old (prod, hidden)"}}},
		{what: CompleteCredentials, want: []Candidate{{"1", "dev@example.com (prod, product 1, plan 1)"}, {"2", "old@example.com (prod, product 1, plan 1), revoked"}}},
		{what: "secrets", wantErr: true},
	}
	for _, tc := range tests {
		got, err := f.svc.Complete(ctx, tc.what)
		if (err != nil) != tc.wantErr || !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v %v, want %v", tc.what, got, err, tc.want)
		}
	}
}
