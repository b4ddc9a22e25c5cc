package portal

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/doctor"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// orphanPolicy produces what a `products create` leaves when it is killed
// after the Dashboard created the policy and before the local write: the
// operation in the journal, and the policy with its marker in the
// Dashboard. It returns the policy's _id.
func (f *fixture) orphanPolicy(providerName string, age time.Duration) (catalog.Operation, string) {
	f.t.Helper()
	op := f.interrupted(catalog.Operation{Provider: providerName, Command: "products create", Object: catalog.ObjectPolicy,
		Name: "Lost Product", StartedAt: f.svc.now().Add(-age)})
	mid := f.sim.AddPolicy(seedOrg, map[string]any{
		"name": "Lost Product", "tags": []any{"portal"}, "meta_data": map[string]any{catalog.MarkerField: op.Marker},
		"access_rights": map[string]any{"payments": map[string]any{"api_id": "payments", "api_name": "Payments", "versions": []any{"Default"}}},
		"partitions":    map[string]any{"acl": true},
	})
	return op, mid
}

func TestDoctor(t *testing.T) {
	tests := []struct {
		name string
		opts DoctorOptions
		// setup makes the journal and the Dashboard; it returns the
		// orphan's policy _id, if any.
		setup func(f *fixture) string
		hold  bool

		wantErr     string
		wantCode    catalog.Code
		wantStates  []doctor.State
		wantCounts  [4]int // orphans, unverified, repaired, cleared
		wantDetail  string
		wantJournal int
		wantPolicy  bool   // the orphan's policy is still in the Dashboard
		wantOutcome string // Err(); "" nil
	}{
		{name: "nothing interrupted", setup: func(f *fixture) string { return "" }, wantStates: []doctor.State{}},
		{name: "an orphan is found and named", setup: func(f *fixture) string { _, mid := f.orphanPolicy("prod", time.Hour); return mid },
			wantStates: []doctor.State{doctor.Orphan}, wantCounts: [4]int{1, 0, 0, 0}, wantJournal: 1, wantPolicy: true,
			wantOutcome: "1 Dashboard object(s) without a local record (run `tykportal doctor --repair` to delete them)"},
		{name: "repair deletes the orphan and clears its operation", opts: DoctorOptions{Repair: true, Grace: doctor.DefaultGrace},
			setup:      func(f *fixture) string { _, mid := f.orphanPolicy("prod", time.Hour); return mid },
			wantStates: []doctor.State{doctor.Orphan}, wantCounts: [4]int{0, 0, 1, 1}, wantJournal: 0},
		{name: "a repair the Dashboard refuses keeps the operation", opts: DoctorOptions{Repair: true, Grace: doctor.DefaultGrace},
			setup: func(f *fixture) string {
				_, mid := f.orphanPolicy("prod", time.Hour)
				f.sim.SetFault("DELETE", "/api/portal/policies/"+mid, 0, dashboardtest.Fault{Status: 500})
				return mid
			},
			wantStates: []doctor.State{doctor.Orphan}, wantCounts: [4]int{1, 0, 0, 0}, wantJournal: 1, wantPolicy: true,
			wantDetail: "repair failed: delete the policy", wantOutcome: "(see the detail column)"},
		{name: "adopted by a sync: cleared, the policy kept", opts: DoctorOptions{Repair: true},
			setup: func(f *fixture) string {
				_, mid := f.orphanPolicy("prod", time.Hour)
				f.update(func(tx store.Tx) error {
					return repo.CreateItem(tx, repo.ProductKind, &catalog.Product{Item: catalog.Item{Provider: "prod", Name: "Lost Product", PolicyMID: mid}})
				})
				return mid
			},
			wantStates: []doctor.State{doctor.Adopted}, wantCounts: [4]int{0, 0, 0, 1}, wantJournal: 0, wantPolicy: true,
			wantDetail: "a sync imported it"},
		{name: "absent and young: kept for the grace", opts: DoctorOptions{Repair: true, Grace: 5 * time.Minute},
			setup: func(f *fixture) string {
				f.interrupted(catalog.Operation{Provider: "prod", Command: "plans create", Object: catalog.ObjectPolicy, Name: "Never", StartedAt: f.svc.now().Add(-time.Minute)})
				return ""
			},
			wantStates: []doctor.State{doctor.Absent}, wantJournal: 1,
			wantDetail: "started 1m0s ago; kept until it is older than --grace 5m0s, in case its request is still on its way"},
		{name: "absent and past the grace: cleared", opts: DoctorOptions{Repair: true, Grace: 0},
			setup: func(f *fixture) string {
				f.interrupted(catalog.Operation{Provider: "prod", Command: "plans create", Object: catalog.ObjectPolicy, Name: "Never", StartedAt: f.svc.now().Add(-time.Minute)})
				return ""
			},
			wantStates: []doctor.State{doctor.Absent}, wantCounts: [4]int{0, 0, 0, 1}, wantJournal: 0},
		{name: "500 on the policy list: unverified, kept", opts: DoctorOptions{Repair: true},
			setup: func(f *fixture) string {
				_, mid := f.orphanPolicy("prod", time.Hour)
				f.sim.SetFault("GET", "/api/portal/policies", 0, dashboardtest.Fault{Status: 500})
				return mid
			},
			wantStates: []doctor.State{doctor.Unverified}, wantCounts: [4]int{0, 1, 0, 0}, wantJournal: 1, wantPolicy: true,
			wantDetail: "list the policies", wantOutcome: `1 operation(s) could not be checked (provider "prod": list the policies: `},
		{name: "401: a wrong secret makes every operation unverified",
			setup: func(f *fixture) string {
				f.orphanPolicy("prod", time.Hour)
				_, mid := f.orphanPolicy("prod", time.Hour)
				f.secrets.m["prod"] = "wrong-secret"
				return mid
			},
			wantStates: []doctor.State{doctor.Unverified, doctor.Unverified}, wantCounts: [4]int{0, 2, 0, 0}, wantJournal: 2, wantPolicy: true,
			wantDetail: "refused the secret (401", wantOutcome: "2 operation(s) could not be checked"},
		{name: "no secret: unverified",
			setup: func(f *fixture) string {
				_, mid := f.orphanPolicy("prod", time.Hour)
				delete(f.secrets.m, "prod")
				return mid
			},
			wantStates: []doctor.State{doctor.Unverified}, wantCounts: [4]int{0, 1, 0, 0}, wantJournal: 1, wantPolicy: true,
			wantDetail: `read the secret of provider "prod"`, wantOutcome: "could not be checked"},
		{name: "one provider only", opts: DoctorOptions{Provider: "other", Repair: true},
			setup: func(f *fixture) string {
				_, mid := f.orphanPolicy("prod", time.Hour)
				f.interrupted(catalog.Operation{Provider: "other", Command: "plans create", Object: catalog.ObjectPolicy, Name: "Never"})
				return mid
			},
			wantStates: []doctor.State{doctor.Absent}, wantCounts: [4]int{0, 0, 0, 1}, wantJournal: 1, wantPolicy: true},
		{name: "unknown provider", opts: DoctorOptions{Provider: "nosuch"}, setup: func(f *fixture) string { return "" },
			wantErr: `unknown provider "nosuch"`, wantCode: catalog.CodeUnknown},
		{name: "in use", setup: func(f *fixture) string { f.orphanPolicy("prod", time.Hour); return "" }, hold: true,
			wantErr: "in use by another tykportal process", wantCode: catalog.CodeInUse, wantJournal: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.withProvider("prod")
			f.withProvider("other")
			mid := tc.setup(f)
			release := func() {}
			if tc.hold {
				release = f.holdState()
			}
			r, err := f.svc.Doctor(context.Background(), tc.opts)
			release()
			wantError(t, err, tc.wantErr, tc.wantCode)
			if n := len(f.operations()); n != tc.wantJournal {
				t.Errorf("journal holds %d operations, want %d", n, tc.wantJournal)
			}
			if mid != "" {
				if _, ok := f.sim.Policy(mid); ok != tc.wantPolicy {
					t.Errorf("policy %s in the Dashboard: %v, want %v", mid, ok, tc.wantPolicy)
				}
			}
			if err != nil {
				return
			}
			if r.Operations == nil || len(r.Operations) != len(tc.wantStates) {
				t.Fatalf("findings %+v, want states %v", r.Operations, tc.wantStates)
			}
			for i, fd := range r.Operations {
				if fd.State != tc.wantStates[i] {
					t.Errorf("finding %d: state %s, want %s", i, fd.State, tc.wantStates[i])
				}
				if tc.wantDetail != "" && !strings.Contains(fd.Detail, tc.wantDetail) {
					t.Errorf("finding %d: detail %q, want %q", i, fd.Detail, tc.wantDetail)
				}
				if fd.State == doctor.Orphan && fd.ObjectID != mid {
					t.Errorf("orphan's object id %q, want %s", fd.ObjectID, mid)
				}
			}
			if got := [4]int{r.Orphans, r.Unverified, r.Repaired, r.Cleared}; got != tc.wantCounts {
				t.Errorf("orphans, unverified, repaired, cleared: %v, want %v", got, tc.wantCounts)
			}
			if out := r.Err(); tc.wantOutcome == "" && out != nil || tc.wantOutcome != "" && (out == nil || !strings.Contains(out.Error(), tc.wantOutcome)) {
				t.Errorf("outcome %v, want %q", out, tc.wantOutcome)
			}
		})
	}
}

// Without a state file there is nothing to examine, and nothing is created.
func TestDoctorWithoutState(t *testing.T) {
	f := newFixture(t)
	r, err := f.svc.Doctor(context.Background(), DoctorOptions{Repair: true})
	if err != nil || r.Operations == nil || len(r.Operations) != 0 || r.Err() != nil {
		t.Fatalf("%+v %v", r, err)
	}
	if f.stateBytes() != "" {
		t.Error("doctor created a state")
	}
	// doctor's document: every count, and an empty array, never null.
	if b, err := json.Marshal(r); err != nil || string(b) != `{"operations":[],"orphans":0,"unverified":0,"repaired":0,"cleared":0}` {
		t.Errorf("JSON %s %v", b, err)
	}
}
