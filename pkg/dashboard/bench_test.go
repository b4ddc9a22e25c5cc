package dashboard

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// BenchmarkListAPIs2k decodes the simulator's 2,000-API p=-2 answer (the
// API list a 10,000-policy sync fetches beside the policies), served
// pre-rendered so that only the client is timed.
func BenchmarkListAPIs2k(b *testing.B) {
	sim := dashboardtest.New(dashboardtest.Options{Seed: 1})
	sim.Generate("bench-org", 10, 2000, 1)
	sim.AddUser(dashboardtest.User{OrgID: "bench-org", AccessKey: "k", Active: true})
	live := httptest.NewServer(sim.Handler())
	req, _ := http.NewRequest("GET", live.URL+"/api/apis?p=-2", nil)
	req.Header.Set("Authorization", "k")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	live.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL, Secret: "k"})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		apis, err := c.ListAPIs(context.Background())
		if err != nil || len(apis) != 2000 {
			b.Fatal(len(apis), err)
		}
	}
}
