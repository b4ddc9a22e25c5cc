package portal

import (
	"context"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// StatusRow is one provider in `tykportal status`.
type StatusRow struct {
	Name           string      `json:"name"`
	Status         string      `json:"status"`
	LastSyncAt     *string     `json:"last_sync_at"`
	LastSyncStatus *string     `json:"last_sync_status"`
	LastError      string      `json:"last_error"` // "" unless the last sync failed
	Products       StateCounts `json:"products"`
	Plans          StateCounts `json:"plans"`
}

// StateCounts counts a provider's products or plans by state.
type StateCounts struct {
	Total        int `json:"total"`
	Published    int `json:"published"`
	Hidden       int `json:"hidden"`
	Placeholders int `json:"placeholders"`
}

func (c *StateCounts) tally(it catalog.Item) {
	c.Total++
	if it.Published {
		c.Published++
	}
	if it.Hidden {
		c.Hidden++
	}
	if it.Placeholder {
		c.Placeholders++
	}
}

// Status returns every provider in name order with its status, last sync
// and catalogue counts, read in one transaction; never nil.
func (s *Service) Status(ctx context.Context) ([]StatusRow, error) {
	rows := []StatusRow{}
	err := s.view(ctx, func(tx store.Tx) error {
		ps, err := repo.ListProviders(tx)
		if err != nil {
			return err
		}
		byName := map[string]int{}
		for i, p := range ps {
			r := StatusRow{Name: p.Name, Status: p.Status}
			if p.LastSyncAt != nil {
				at := p.LastSyncAt.UTC().Format("2006-01-02T15:04:05Z")
				r.LastSyncAt = &at
			}
			if p.LastSync != nil {
				st := p.LastSync.Status
				r.LastSyncStatus = &st
				if st == catalog.SyncFailed {
					r.LastError = p.LastSync.Error
				}
			}
			rows = append(rows, r)
			byName[p.Name] = i
		}
		products, err := repo.ListProducts(tx, "", catalog.AllItems)
		if err != nil {
			return err
		}
		for _, p := range products {
			if i, ok := byName[p.Provider]; ok {
				rows[i].Products.tally(p.Item)
			}
		}
		plans, err := repo.ListPlans(tx, "", catalog.AllItems)
		if err != nil {
			return err
		}
		for _, p := range plans {
			if i, ok := byName[p.Provider]; ok {
				rows[i].Plans.tally(p.Item)
			}
		}
		return nil
	})
	if err != nil && !isNoState(err) {
		return []StatusRow{}, err
	}
	return rows, nil
}
