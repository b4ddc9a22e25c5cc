package dashboard_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// A list's progress hook hears the items received so far: once for a
// Dashboard that answers whole, after every page for one that pages.
func TestListProgressCountsEveryPage(t *testing.T) {
	for _, tt := range []struct {
		legacy bool
		want   []int
	}{
		{false, []int{25}},
		{true, []int{10, -1, 25}}, // pages 2 and 3 come in either order: 20 or 15 between
	} {
		t.Run(fmt.Sprintf("legacy=%v", tt.legacy), func(t *testing.T) {
			s := dashboardtest.NewServer(t, dashboardtest.Options{PageSize: 10, Legacy: tt.legacy})
			key := s.AddUser(dashboardtest.User{OrgID: "o", Active: true})
			for i := 0; i < 25; i++ {
				s.AddPolicy("o", map[string]any{"name": fmt.Sprintf("p%03d", i)})
			}
			var mu sync.Mutex
			var heard []int
			ctx := dashboard.WithListProgress(context.Background(), func(n int) {
				mu.Lock()
				heard = append(heard, n)
				mu.Unlock()
			})
			got, err := client(t, s.URL, key).ListPolicies(ctx)
			if err != nil || len(got) != 25 {
				t.Fatalf("%d policies, %v", len(got), err)
			}
			slices.Sort(heard)
			if len(heard) == 3 && tt.want[1] == -1 && (heard[1] == 15 || heard[1] == 20) {
				heard[1] = -1
			}
			if !slices.Equal(heard, tt.want) {
				t.Fatalf("heard %v, want %v", heard, tt.want)
			}
		})
	}
	// Without the hook nothing is called and nothing breaks.
	s := dashboardtest.NewServer(t, dashboardtest.Options{PageSize: 10, Legacy: true})
	key := s.AddUser(dashboardtest.User{OrgID: "o", Active: true})
	s.AddPolicy("o", map[string]any{"name": "only"})
	if _, err := client(t, s.URL, key).ListPolicies(context.Background()); err != nil {
		t.Fatal(err)
	}
}
