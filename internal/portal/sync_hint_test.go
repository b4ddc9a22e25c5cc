package portal

import (
	"context"
	"strings"
	"testing"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	tpsync "github.com/tykportal/tykportal/pkg/sync"
)

// A Dashboard never set up for a portal: policies that grant access and
// set limits in one, or are not partitioned. The sync imports nothing and
// says why once, with the count per reason and what to change.
func TestNothingImportedSaysWhy(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		policies []map[string]any
		want     []string // in the one message; nil: no message
	}{
		{name: "monolithic and unpartitioned policies", policies: []map[string]any{
			{"name": "Everything", "tags": []any{"portal"}, "active": true, "rate": 10.0, "per": 1.0,
				"partitions":    map[string]any{"acl": true, "quota": true, "rate_limit": true},
				"access_rights": map[string]any{"payments": map[string]any{"api_id": "payments"}}},
			{"name": "Old style", "tags": []any{"portal"}, "active": true, "access_rights": map[string]any{"payments": map[string]any{"api_id": "payments"}}},
			{"name": "Old style 2", "tags": []any{"portal"}, "active": true, "access_rights": map[string]any{"payments": map[string]any{"api_id": "payments"}}},
		}, want: []string{`provider "prod": none of the 3 policies it matched became a product or plan: 2 are not partitioned, 1 combines access and limits.`,
			"partitioned to access only", "carries one of the provider's policy tags (portal)"}},
		{name: "one product is enough to say nothing", policies: []map[string]any{
			{"name": "Old style", "tags": []any{"portal"}, "active": true},
			{"name": "A product", "tags": []any{"portal"}, "active": true, "partitions": map[string]any{"acl": true},
				"access_rights": map[string]any{"payments": map[string]any{"api_id": "payments"}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.sim = dashboardtest.NewServer(t, dashboardtest.Defaults())
			f.sim.AddUser(dashboardtest.User{OrgID: seedOrg, AccessKey: adminKey, Active: true})
			f.sim.AddAPI(seedOrg, map[string]any{"api_id": "payments", "name": "Payments", "use_standard_auth": true})
			for _, p := range tt.policies {
				f.sim.AddPolicy(seedOrg, p)
			}
			f.withProvider("prod")
			results, err := f.svc.Sync(ctx, nil, tpsync.Options{})
			if err != nil || results[0].Status != catalog.SyncOK {
				t.Fatalf("%v %+v", err, results)
			}
			msgs := f.svc.NothingImported(ctx, results)
			if tt.want == nil {
				if len(msgs) != 0 {
					t.Fatalf("messages %q", msgs)
				}
				return
			}
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want 1: %q", len(msgs), msgs)
			}
			for _, w := range tt.want {
				if !strings.Contains(msgs[0], w) {
					t.Errorf("message %q lacks %q", msgs[0], w)
				}
			}
		})
	}
}
