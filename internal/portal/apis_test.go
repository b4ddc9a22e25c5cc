package portal

import (
	"context"
	"reflect"
	"testing"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

func TestListAPIs(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(*fixture)
		provider string
		code     catalog.Code
		err      string
		noState  bool
		held     bool // the state is in use when the list starts
	}{
		{name: "with the products using each API", provider: "prod"},
		{name: "no state", noState: true, provider: "prod", code: catalog.CodeUnknown, err: `"prod": no provider has been added yet`},
		{name: "unknown provider", provider: "nope", code: catalog.CodeUnknown, err: `"nope"`},
		{name: "invalid provider name", provider: "No Way", code: catalog.CodeInvalid},
		{name: "wrong secret (401)", setup: withSecret("wrong"), provider: "prod",
			code: catalog.CodeRemoteRefused, err: `list the APIs of provider "prod": GET /api/apis (page 1): the Dashboard refused the secret (401`},
		{name: "no apis permission (403)", setup: withSecret("demo-no-apis-key-org1"), provider: "prod",
			code: catalog.CodeRemoteRefused, err: `lacks the "apis" permission`},
		{name: "Dashboard fails (500)", setup: withFault("GET", "/api/apis", dashboardtest.Fault{Status: 500}), provider: "prod",
			code: catalog.CodeRemoteFailed, err: `list the APIs of provider "prod"`},
		{name: "garbage answer", setup: withFault("GET", "/api/apis", dashboardtest.Fault{Garbage: true}), provider: "prod",
			code: catalog.CodeRemoteFailed, err: "cannot be read"},
		{name: "state in use", held: true, provider: "prod", code: catalog.CodeInUse, err: "in use by another tykportal process"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var pay, pay2 uint64
			if !tc.noState {
				f.withProvider("prod")
				f.update(func(tx store.Tx) error {
					for _, p := range []*catalog.Product{
						{Item: catalog.Item{Provider: "prod", Name: "Pay"}, APIs: []catalog.APIRef{{APIID: "payments"}, {APIID: "refunds"}}},
						{Item: catalog.Item{Provider: "prod", Name: "Hidden", Hidden: true}, APIs: []catalog.APIRef{{APIID: "payments"}}},
						{Item: catalog.Item{Provider: "other", Name: "Elsewhere"}, APIs: []catalog.APIRef{{APIID: "payments"}}},
					} {
						if err := repo.CreateItem(tx, repo.ProductKind, p); err != nil {
							return err
						}
					}
					return nil
				})
				pay, pay2 = 1, 2
			}
			if tc.setup != nil {
				tc.setup(f)
			}
			before := f.stateBytes()
			if tc.held {
				inUse(f)
			}
			apis, err := f.svc.ListAPIs(context.Background(), tc.provider)
			checkErr(t, err, tc.code, tc.err)
			if f.stateBytes() != before {
				t.Error("apis list wrote to the state")
			}
			if tc.code != "" {
				return
			}
			if len(apis) != 12 {
				t.Fatalf("%d APIs, want the 12 of org 1: %+v", len(apis), apis)
			}
			byID := map[string]APIUse{}
			for i, a := range apis {
				byID[a.APIID] = a
				if i > 0 && apis[i-1].Name > a.Name {
					t.Errorf("not sorted by name: %q before %q", apis[i-1].Name, a.Name)
				}
				if a.Products == nil {
					t.Errorf("%s: products is nil, want []", a.APIID)
				}
			}
			if got := byID["payments"]; !reflect.DeepEqual(got.Products, []uint64{pay, pay2}) || got.AuthType != "authToken" || got.IsOAS || !got.Active {
				t.Errorf("payments: %+v", got)
			}
			if got := byID["refunds"].Products; !reflect.DeepEqual(got, []uint64{pay}) {
				t.Errorf("refunds used by %v", got)
			}
			if got := byID["catalogue-oas"]; !got.IsOAS || got.AuthType != "jwt" || len(got.Products) != 0 {
				t.Errorf("catalogue-oas: %+v", got)
			}
		})
	}
}

// Two APIs of one name are ordered by id.
func TestAPIUsageOrder(t *testing.T) {
	got := apiUsage([]dashboard.API{{APIID: "b", Name: "Same"}, {APIID: "a", Name: "Same"}, {APIID: "c", Name: "Alpha"}}, nil)
	var ids []string
	for _, a := range got {
		ids = append(ids, a.APIID)
	}
	if !reflect.DeepEqual(ids, []string{"c", "a", "b"}) {
		t.Errorf("order %v", ids)
	}
}
