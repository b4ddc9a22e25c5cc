package dashboard_test

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// TestHostilePaging: a list whose pages do not add up is a failed fetch,
// never a shorter list; a claim no list can hold is refused before any
// further page is asked for.
func TestHostilePaging(t *testing.T) {
	type fault struct {
		page int
		f    dashboardtest.Fault
	}
	tests := []struct {
		name     string
		legacy   bool
		policies int // 0: 25, pages of 10: 10, 10, 5
		pageSize int // 0: 10
		faults   []fault
		want     string // in the error; "" for success
		maxCalls int    // list requests at most; 0: no bound checked
	}{
		{name: "honest, paged", legacy: true, maxCalls: 3},
		{name: "honest, one answer", maxCalls: 1},
		{name: "claims a billion pages", faults: []fault{{0, dashboardtest.Fault{ClaimPages: 1e9}}}, want: "page 1 claims 1000000000 pages of 25 items, more than 500000 items", maxCalls: 1},
		{name: "claims a billion pages, paged", legacy: true, faults: []fault{{0, dashboardtest.Fault{ClaimPages: 1e9}}}, want: "page 1 claims 1000000000 pages of 10 items", maxCalls: 1},
		{name: "claims more pages than it has", legacy: true, faults: []fault{{0, dashboardtest.Fault{ClaimPages: 40_000}}}, want: "of 40000 holds", maxCalls: 2 + 8 + 8},
		{name: "page 2 empty", legacy: true, faults: []fault{{2, dashboardtest.Fault{ShortPage: "empty"}}}, want: "page 2 of 3 holds 0 items where page 1 held 10"},
		{name: "page 2 null", legacy: true, faults: []fault{{2, dashboardtest.Fault{ShortPage: "null"}}}, want: "page 2 of 3 holds 0 items where page 1 held 10"},
		{name: "page 2 claims 1 page", legacy: true, faults: []fault{{2, dashboardtest.Fault{ClaimPages: 1}}}, want: "page 2 gives the page count as 1, page 1 gave 3"},
		{name: "page 2 empty claiming 2 pages", legacy: true, faults: []fault{{2, dashboardtest.Fault{ShortPage: "empty", ClaimPages: 2}}}, want: "page 2 gives the page count as 2"},
		{name: "last page empty", legacy: true, faults: []fault{{3, dashboardtest.Fault{ShortPage: "empty"}}}, want: "the last page (3) holds 0 items"},
		{name: "page 1 empty with more pages", legacy: true, faults: []fault{{1, dashboardtest.Fault{ShortPage: "empty"}}}, want: "page 1 holds no items but claims 3 pages"},
		// A Dashboard honouring p<0 that still reports its page count
		// sends page 1 whole, then pages that only repeat it.
		{name: "whole first answer with a page count", faults: []fault{{0, dashboardtest.Fault{ClaimPages: 3}}}, maxCalls: 3},
		// ... also when pages x page 1's items is more than a list may
		// hold: page 2 shows that page 1 was the whole list.
		{name: "whole first answer with a large page count", policies: 1000, faults: []fault{{0, dashboardtest.Fault{ClaimPages: 600}}}, maxCalls: 2},
		{name: "pages of 1000 claiming 600 pages", legacy: true, policies: 1000, pageSize: 1000, faults: []fault{{0, dashboardtest.Fault{ClaimPages: 600}}},
			want: "claims more items than a list may hold", maxCalls: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			policies := cmp.Or(tc.policies, 25)
			s := dashboardtest.NewServer(t, dashboardtest.Options{PageSize: cmp.Or(tc.pageSize, 10), Legacy: tc.legacy})
			key := s.AddUser(dashboardtest.User{OrgID: "o", Active: true})
			for i := range policies {
				s.AddPolicy("o", map[string]any{"name": fmt.Sprintf("p%03d", i)})
			}
			for _, f := range tc.faults {
				s.SetFault("GET", "/api/portal/policies", f.page, f.f)
			}
			got, err := client(t, s.URL, key).ListPolicies(context.Background())
			calls := 0
			for _, r := range s.Requests() {
				if r.Path == "/api/portal/policies" {
					calls++
				}
			}
			if tc.maxCalls > 0 && calls > tc.maxCalls {
				t.Errorf("%d list requests, want at most %d", calls, tc.maxCalls)
			}
			if tc.want == "" {
				if err != nil || len(got) != policies {
					t.Fatalf("%d policies, %v; want %d", len(got), err, policies)
				}
				return
			}
			if err == nil || !errors.Is(err, dashboard.ErrBadResponse) || !strings.Contains(err.Error(), tc.want) || got != nil {
				t.Fatalf("%d policies, error %v; want ErrBadResponse with %q", len(got), err, tc.want)
			}
		})
	}
}

// TestHostileRepeatedPage: a page that repeats page 1 in full stands where
// other items should be: the list fails.
func TestHostileRepeatedPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		items := make([]string, 10)
		for i := range items {
			items[i] = fmt.Sprintf(`{"_id":"%024d","name":"p%d"}`, i, i)
		}
		fmt.Fprintf(w, `{"Data":[%s],"Pages":2}`, strings.Join(items, ","))
	}))
	defer srv.Close()
	_, err := client(t, srv.URL, adminKey).ListPolicies(context.Background())
	if !errors.Is(err, dashboard.ErrBadResponse) || !strings.Contains(err.Error(), "page 2 repeats an item") {
		t.Fatalf("error %v, want a repeated page", err)
	}
}

// TestHostileCancelBetweenPages: a signal (the context) ends a paged list
// at once, however many pages are left.
func TestHostileCancelBetweenPages(t *testing.T) {
	s := dashboardtest.NewServer(t, dashboardtest.Options{PageSize: 10, Legacy: true})
	key := s.AddUser(dashboardtest.User{OrgID: "o", Active: true})
	for i := range 25 {
		s.AddPolicy("o", map[string]any{"name": fmt.Sprint("p", i)})
	}
	s.SetFault("GET", "/api/portal/policies", 1, dashboardtest.Fault{ClaimPages: 40_000})
	s.SetFault("GET", "/api/portal/policies", 0, dashboardtest.Fault{ClaimPages: 40_000, Latency: time.Minute})
	c, _ := dashboard.New(dashboard.Config{BaseURL: s.URL, Secret: key, Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.ListPolicies(ctx)
	if took := time.Since(start); !errors.Is(err, context.Canceled) || took > 1300*time.Millisecond {
		t.Fatalf("took %v, error %v; want context.Canceled within a second of the cancel", took, err)
	}
}

// TestHostileEndless: an answer that never ends fails at a bound, with an
// error saying which.
func TestHostileEndless(t *testing.T) {
	for _, tc := range []struct{ kind, want string }{
		{"string", "larger than 33554432 bytes"},
		{"list", "more than 500000 items"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			s := sim(t, dashboardtest.Defaults())
			s.SetFault("GET", "/api/portal/policies", 0, dashboardtest.Fault{Endless: tc.kind})
			c, _ := dashboard.New(dashboard.Config{BaseURL: s.URL, Secret: adminKey, Timeout: 20 * time.Second})
			_, err := c.ListPolicies(context.Background())
			if !errors.Is(err, dashboard.ErrBadResponse) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrBadResponse with %q", err, tc.want)
			}
		})
	}
}

// TestHostileRetryAfter: the waits for a 429's Retry-After stay within
// the request timeout overall.
func TestHostileRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		timeout    time.Duration
		calls      int32
		maxTook    time.Duration
		want       string
	}{
		{"an hour asked, 500ms timeout", "3600", 500 * time.Millisecond, 1, 400 * time.Millisecond, "asks to retry after 1h0m0s, past the 500ms request timeout"},
		{"an absurd wait asked", "99999999999999", time.Second, 1, 400 * time.Millisecond, "past the 1s request timeout"},
		{"1s asked, 1.5s timeout: one wait fits", "1", 1500 * time.Millisecond, 2, 1800 * time.Millisecond, "asks to retry after 1s, past the 1.5s request timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Retry-After", tc.retryAfter)
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"Status":"Error","Message":"slow down","Meta":null}`)
			}))
			defer srv.Close()
			c, _ := dashboard.New(dashboard.Config{BaseURL: srv.URL, Secret: adminKey, Timeout: tc.timeout})
			start := time.Now()
			_, err := c.ListPolicies(context.Background())
			took := time.Since(start)
			if !errors.Is(err, dashboard.ErrRateLimited) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrRateLimited with %q", err, tc.want)
			}
			if calls.Load() != tc.calls || took > tc.maxTook {
				t.Fatalf("%d calls in %v, want %d within %v", calls.Load(), took, tc.calls, tc.maxTook)
			}
		})
	}
}

// TestScrubSecretForms: a Dashboard that puts the secret back into an
// error, in any encoding, never gets it printed.
func TestScrubSecretForms(t *testing.T) {
	const secret = "s3cr3t/k+y=&?é~x"
	b := []byte(secret)
	forms := map[string]string{
		"verbatim":          secret,
		"base64":            base64.StdEncoding.EncodeToString(b),
		"base64 unpadded":   base64.RawStdEncoding.EncodeToString(b),
		"base64 URL":        base64.URLEncoding.EncodeToString(b),
		"base64 URL raw":    base64.RawURLEncoding.EncodeToString(b),
		"hex":               hex.EncodeToString(b),
		"hex upper":         strings.ToUpper(hex.EncodeToString(b)),
		"query escape":      url.QueryEscape(secret),
		"path escape":       url.PathEscape(secret),
		"query escape, low": strings.ToLower(url.QueryEscape(secret)),
	}
	for name, form := range forms {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"Status":"Error","Message":"key <%s> is invalid","Meta":null}`, form)
			}))
			defer srv.Close()
			_, err := client(t, srv.URL, secret).ListPolicies(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			for fname, f := range forms {
				if strings.Contains(strings.ToLower(err.Error()), strings.ToLower(f)) {
					t.Fatalf("the secret (%s) is in the error: %v", fname, err)
				}
			}
			if !strings.Contains(err.Error(), "key <[secret]> is invalid") {
				t.Fatalf("error %v, want the message with [secret]", err)
			}
		})
	}
}
