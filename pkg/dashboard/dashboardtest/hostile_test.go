package dashboardtest

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestHostileFaults(t *testing.T) {
	s := seeded(t, Options{Legacy: true, PageSize: 5})
	const path = "/api/portal/policies"
	tests := []struct {
		name  string
		page  int
		fault Fault
		query string
		check func(t *testing.T, code int, m map[string]any, raw []byte)
	}{
		{"claims pages", 0, Fault{ClaimPages: 1e9}, "?p=-2", func(t *testing.T, code int, m map[string]any, raw []byte) {
			if code != 200 || m["Pages"] != 1e9 || len(m["Data"].([]any)) != 5 {
				t.Fatalf("%d %s", code, raw)
			}
		}},
		{"empty page", 2, Fault{ShortPage: "empty"}, "?p=2", func(t *testing.T, code int, m map[string]any, raw []byte) {
			if d, ok := m["Data"].([]any); code != 200 || !ok || len(d) != 0 || m["Pages"] != 4.0 {
				t.Fatalf("%d %s", code, raw)
			}
		}},
		{"null page, other count", 2, Fault{ShortPage: "null", ClaimPages: 1}, "?p=2", func(t *testing.T, code int, m map[string]any, raw []byte) {
			if v, ok := m["Data"]; code != 200 || !ok || v != nil || m["Pages"] != 1.0 {
				t.Fatalf("%d %s", code, raw)
			}
		}},
		{"other pages untouched", 2, Fault{ShortPage: "empty"}, "?p=3", func(t *testing.T, code int, m map[string]any, raw []byte) {
			if code != 200 || len(m["Data"].([]any)) != 5 {
				t.Fatalf("%d %s", code, raw)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.ClearFaults()
			s.SetFault("GET", path, tc.page, tc.fault)
			code, m, raw := do(t, "GET", s.URL+path+tc.query, admin, nil)
			tc.check(t, code, m, raw)
		})
	}
	b := []byte(admin)
	for enc, want := range map[string]string{
		"verbatim": admin, "base64": base64.StdEncoding.EncodeToString(b), "hex": hex.EncodeToString(b), "url": url.QueryEscape(admin),
	} {
		t.Run("echoes the secret "+enc, func(t *testing.T) {
			s.ClearFaults()
			s.SetFault("GET", path, 0, Fault{EchoSecret: enc, Status: 500})
			code, m, raw := do(t, "GET", s.URL+path, admin, nil)
			if code != 500 || !strings.Contains(m["Message"].(string), want) {
				t.Fatalf("%d %s, want a 500 holding %s", code, raw, want)
			}
		})
	}
	for kind, prefix := range map[string]string{"string": `{"Pages":1,"Data":[{"name":"xxxx`, "list": `{"Pages":1,"Data":[{"_id":`} {
		t.Run("endless "+kind, func(t *testing.T) {
			s.ClearFaults()
			s.SetFault("GET", path, 0, Fault{Endless: kind})
			req, _ := http.NewRequest("GET", s.URL+path, nil)
			req.Header.Set("Authorization", admin)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			r := bufio.NewReaderSize(res.Body, 1<<20)
			head, err := r.Peek(len(prefix))
			if err != nil || string(head) != prefix {
				t.Fatalf("%q %v, want %q", head, err, prefix)
			}
			// far more than one chunk: it goes on
			if n, err := r.Discard(4 << 20); err != nil || n != 4<<20 {
				t.Fatalf("the answer ended after %d bytes: %v", n, err)
			}
		})
	}
}
