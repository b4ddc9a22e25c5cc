package main

import (
	"maps"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// TestHostileNamesInOutput syncs policies whose names hold a C1 control
// (U+009B, a terminal's CSI), a bidirectional override (U+202E) and a
// zero-width space (U+200B): -o yaml writes them (exactly, read back) and
// exits 0, and a table on stdout shows each of them as a visible escape.
func TestHostileNamesInOutput(t *testing.T) {
	bin := buildBinary(t)
	sim, srv := seedSim(t, dashboardtest.Options{UsersMe: true, Seed: 5})
	const org = "5fd08e0f69710900018bc195"
	var model map[string]any
	for _, p := range sim.Policies(org) {
		if p["name"] == "Payments Product" {
			model = p
		}
	}
	if model == nil {
		t.Fatal("the seed data has no policy Payments Product")
	}
	names := map[string]string{
		"Evil\u009b31m Product":  `Evil\x9b31m Product`,
		"Payments \u202etcudorP": `Payments \u202etcudorP`,
		"Pay\u200bments Product": `Pay\u200bments Product`,
	}
	for name := range names {
		pol := maps.Clone(model)
		delete(pol, "_id")
		delete(pol, "id")
		pol["name"] = name
		sim.AddPolicy(org, pol)
	}
	c := newCLI(t, bin, "TYKPORTAL_SECRET_PROD=demo-admin-key-org1", "TYKPORTAL_LOCK_TIMEOUT=5s")
	c.must("provider", "add", "prod", "--url", srv.URL, "--policy-tags", "portal")
	// The sync's own document lists the created items by name: it must be
	// written too, the sync being committed by then.
	if res := c.run("sync", "-o", "yaml"); res.code != 0 {
		t.Errorf("sync -o yaml: exit %d: %s", res.code, res.stderr)
	} else {
		var doc any
		if err := yaml.Unmarshal([]byte(res.stdout), &doc); err != nil {
			t.Errorf("sync -o yaml is not YAML: %v", err)
		}
		for name := range names {
			if !strings.Contains(res.stdout, yamlQuoted(t, name)) {
				t.Errorf("sync -o yaml does not name %q", name)
			}
		}
	}

	if res := c.run("products", "list", "--all", "-o", "yaml"); res.code != 0 {
		t.Errorf("products list -o yaml: exit %d: %s", res.code, res.stderr)
	} else {
		checkYAMLNames(t, res.stdout, names)
	}

	table := c.must("products", "list", "--all")
	for name, shown := range names {
		if strings.Contains(table, name) {
			t.Errorf("the table shows %q raw", name)
		}
		if !strings.Contains(table, shown) {
			t.Errorf("the table does not show %q as %s:\n%s", name, shown, table)
		}
	}
	for _, r := range []string{"\u009b", "\u202e", "\u200b"} {
		if strings.Contains(table, r) {
			t.Errorf("the table holds %U", []rune(r)[0])
		}
	}
}

// checkYAMLNames checks that a YAML list of records holds every name
// exactly, and no raw C1 control.
func checkYAMLNames(t *testing.T, doc string, names map[string]string) {
	t.Helper()
	var listed []struct {
		Name string `yaml:"name"`
	}
	if err := yaml.Unmarshal([]byte(doc), &listed); err != nil {
		t.Fatalf("-o yaml is not YAML: %v\n%s", err, doc)
	}
	seen := map[string]bool{}
	for _, p := range listed {
		seen[p.Name] = true
	}
	for name := range names {
		if !seen[name] {
			t.Errorf("-o yaml lost or changed the name %q", name)
		}
	}
	if strings.Contains(doc, "\u009b") {
		t.Error("-o yaml wrote U+009B raw")
	}
}

// yamlQuoted is how the YAML encoder writes a name as a scalar.
func yamlQuoted(t *testing.T, name string) string {
	t.Helper()
	b, err := yaml.Marshal(name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
