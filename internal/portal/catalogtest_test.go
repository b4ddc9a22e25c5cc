package portal

import (
	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
	tpsync "github.com/tykportal/tykportal/pkg/sync"
)

// Helpers of the catalogue-as-code tests (export, diff, apply).

type storeTx = store.Tx

// hideForTest marks plan id hidden, as a sync that no longer retrieves its
// policy would.
func hideForTest(tx store.Tx, id uint64) error {
	pl, err := repo.GetPlan(tx, id)
	if err != nil {
		return err
	}
	pl.Hidden, pl.Published = true, false
	return repo.PutItem[catalog.Plan](tx, repo.PlanKind, &pl)
}

func dashboardFault(status int) dashboardtest.Fault { return dashboardtest.Fault{Status: status} }

// writes counts the simulator's requests that are not reads.
func (f *fixture) writes() int {
	n := 0
	for _, r := range f.sim.Requests() {
		if r.Method != "GET" {
			n++
		}
	}
	return n
}

func syncOpts() tpsync.Options { return tpsync.Options{} }
