package portal

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

func TestStatus(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if rows, err := f.svc.Status(ctx); err != nil || rows == nil || len(rows) != 0 {
		t.Fatalf("no state: %v %v", rows, err)
	}
	f.seedItems() // prod: 2 products (1 placeholder, 1 hidden), 2 plans (1 hidden); other: 1 product
	f.withProvider("idle")
	at := f.svc.now().Add(-time.Hour)
	f.update(func(tx store.Tx) error {
		// prod's last sync succeeded an hour ago, other's last one failed
		// (its last success is older).
		prod, err := repo.GetProvider(tx, "prod")
		if err != nil {
			return err
		}
		prod.Status, prod.LastSyncAt = "up", &at
		if err := repo.RecordSync(tx, &prod, catalog.SyncResult{Provider: "prod", Status: catalog.SyncOK, StartedAt: at}, 10); err != nil {
			return err
		}
		other, err := repo.GetProvider(tx, "other")
		if err != nil {
			return err
		}
		older := at.Add(-24 * time.Hour)
		other.Status, other.LastSyncAt = "down", &older
		if err := repo.RecordSync(tx, &other, catalog.SyncResult{Provider: "other", Status: catalog.SyncFailed, Error: "GET /api/portal/policies: the Dashboard failed (500)", StartedAt: at}, 10); err != nil {
			return err
		}
		// a published product of prod, and a record of no provider
		if err := repo.CreateItem(tx, repo.ProductKind, &catalog.Product{Item: catalog.Item{Provider: "prod", Name: "live", Published: true}}); err != nil {
			return err
		}
		return repo.CreateItem(tx, repo.PlanKind, &catalog.Plan{Item: catalog.Item{Provider: "ghost", Name: "x"}})
	})
	rows, err := f.svc.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := func(v string) *string { return &v }
	want := []StatusRow{
		{Name: "idle", Status: "unknown", Products: StateCounts{}, Plans: StateCounts{}},
		{Name: "other", Status: "down", LastSyncAt: s("2026-12-01T09:00:00Z"), LastSyncStatus: s("failed"), LastError: "GET /api/portal/policies: the Dashboard failed (500)",
			Products: StateCounts{Total: 1}},
		{Name: "prod", Status: "up", LastSyncAt: s("2026-12-02T09:00:00Z"), LastSyncStatus: s("ok"),
			Products: StateCounts{Total: 3, Published: 1, Hidden: 1, Placeholders: 1}, Plans: StateCounts{Total: 2, Hidden: 1}},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("status\n%s\nwant\n%s", dump(rows), dump(want))
	}

	// The contract's document: snake_case keys, null before any sync.
	b, err := json.Marshal(rows[0])
	if wantJSON := `{"name":"idle","status":"unknown","last_sync_at":null,"last_sync_status":null,"last_error":"",` +
		`"products":{"total":0,"published":0,"hidden":0,"placeholders":0},"plans":{"total":0,"published":0,"hidden":0,"placeholders":0}}`; err != nil || string(b) != wantJSON {
		t.Errorf("JSON %s %v\nwant %s", b, err, wantJSON)
	}

	release := f.holdState()
	defer release()
	if _, err := f.svc.Status(ctx); catalog.CodeOf(err) != catalog.CodeInUse {
		t.Errorf("status of a held state: %v", err)
	}
}

func dump(rows []StatusRow) string {
	b, _ := json.MarshalIndent(rows, "", " ")
	return string(b)
}
