package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
)

// TestParallelProviderAdd runs `provider add` in parallel processes with
// the opt-in file secret store, on a bbolt file and on PostgreSQL: 8 adds
// of different names keep all 8 providers and all 8 secrets; two adds of
// names sharing one secret variable (prod-1, prod_1) save exactly one, as
// one after the other would; two adds of one name save one, with its own
// secret.
func TestParallelProviderAdd(t *testing.T) {
	bin := buildBinary(t)
	t.Run("bbolt", func(t *testing.T) {
		c := newCLI(t, bin, "TYKPORTAL_SECRET_STORE=file", "TYKPORTAL_LOCK_TIMEOUT=20s")
		testParallelAdd(t, c, filepath.Join(c.dir, "state", "secrets.json"))
	})
	t.Run("postgres", func(t *testing.T) {
		srv := sharedPG(t)
		h := newHost(t, bin, migratedDB(t, srv, bin))
		testParallelAdd(t, h, filepath.Join(h.dir, ".local", "state", "tykportal", "secrets.json"))
	})
}

func testParallelAdd(t *testing.T, c *tool, secretsFile string) {
	// parallel adds the names at once; the i-th add's URL ends in port
	// 9000+i and its secret is "secret-of-NAME-i".
	parallel := func(names ...string) []result {
		out := make([]result, len(names))
		var wg gosync.WaitGroup
		for i, name := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = c.runIn("", fmt.Sprintf("secret-of-%s-%d\n", name, i), "provider", "add", name,
					"--url", fmt.Sprintf("http://127.0.0.1:%d", 9000+i), "--skip-check", "--org-id", "o1", "--secret-stdin")
			}()
		}
		wg.Wait()
		return out
	}
	var names []string
	for i := range 8 {
		names = append(names, fmt.Sprintf("p%d", i))
	}
	for i, r := range parallel(names...) {
		if r.code != 0 {
			t.Errorf("provider add %s: exit %d: %s", names[i], r.code, r.stderr)
		}
	}
	stored := readSecrets(t, secretsFile)
	var listed []struct {
		Name         string `json:"name"`
		SecretSource string `json:"secret_source"`
	}
	decode(t, c.must("provider", "list", "-o", "json"), &listed)
	if len(listed) != len(names) {
		t.Errorf("%d providers saved, want %d", len(listed), len(names))
	}
	for i, p := range listed {
		if p.SecretSource != "file" || stored[p.Name] != fmt.Sprintf("secret-of-%s-%d", p.Name, i) {
			t.Errorf("provider %s (secret source %s): its secret is not in the file", p.Name, p.SecretSource)
		}
	}
	if len(stored) != len(names) {
		t.Errorf("the secret file holds %d secrets, want %d", len(stored), len(names))
	}

	// prod-1 and prod_1 would share TYKPORTAL_SECRET_PROD_1: at once, as
	// one after the other, one of them is refused.
	for round := range 6 {
		res := parallel("prod-1", "prod_1")
		ok, refused := 0, 0
		for _, r := range res {
			switch {
			case r.code == 0:
				ok++
			case r.code == 2 && strings.Contains(r.stderr, "would share the variable TYKPORTAL_SECRET_PROD_1"):
				refused++
			default:
				t.Errorf("round %d: exit %d: %s", round, r.code, r.stderr)
			}
		}
		if ok != 1 || refused != 1 {
			t.Fatalf("round %d: %d saved, %d refused; want one each", round, ok, refused)
		}
		var saved []struct {
			Name string `json:"name"`
		}
		decode(t, c.must("provider", "list", "-o", "json"), &saved)
		var winner string
		for _, p := range saved {
			if p.Name == "prod-1" || p.Name == "prod_1" {
				winner = p.Name
			}
		}
		secrets := readSecrets(t, secretsFile)
		if !strings.HasPrefix(secrets[winner], "secret-of-"+winner+"-") {
			t.Errorf("round %d: %s was saved without its secret", round, winner)
		}
		for _, n := range []string{"prod-1", "prod_1"} {
			if _, ok := secrets[n]; ok && n != winner {
				t.Errorf("round %d: the refused %s left its secret", round, n)
			}
		}
		c.must("provider", "remove", winner, "--yes")
	}
	testParallelSameName(t, c, secretsFile, parallel)
}

// testParallelSameName adds one name twice at once, with other URLs and
// secrets: one add is saved, the other refused, and the saved provider has
// its own secret (the refused add must neither replace nor delete it).
func testParallelSameName(t *testing.T, c *tool, secretsFile string, parallel func(names ...string) []result) {
	for round := range 6 {
		res := parallel("dup", "dup")
		won := -1
		for i, r := range res {
			switch {
			case r.code == 0:
				won = i
			case r.code == 2 && strings.Contains(r.stderr, `provider already exists: "dup"`):
			default:
				t.Errorf("round %d: add %d: exit %d: %s", round, i, r.code, r.stderr)
			}
		}
		if won < 0 || res[1-won].code == 0 {
			t.Fatalf("round %d: exits %d and %d, want one add saved", round, res[0].code, res[1].code)
		}
		var p struct {
			URL string `json:"url"`
		}
		decode(t, c.must("provider", "show", "dup", "-o", "json"), &p)
		if want := fmt.Sprintf("http://127.0.0.1:%d", 9000+won); p.URL != want {
			t.Fatalf("round %d: saved %s, want the successful add's %s", round, p.URL, want)
		}
		if got, want := readSecrets(t, secretsFile)["dup"], fmt.Sprintf("secret-of-dup-%d", won); got != want {
			t.Errorf("round %d: the saved provider's secret is %q, want its own (%q)", round, got, want)
		}
		c.must("provider", "remove", "dup", "--yes")
	}
}

// readSecrets reads the file store (never printed: the values are the
// test's own).
func readSecrets(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("the secret file is not JSON: %v", err)
	}
	return m
}
