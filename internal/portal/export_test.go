package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/tykportal/tykportal/pkg/catalog"
)

func exportBytes(t *testing.T, f *fixture, o ExportOptions, asJSON bool) []byte {
	t.Helper()
	doc, err := f.svc.Export(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := EncodeCatalog(&buf, doc, asJSON); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExportIsDeterministicAndRoundTrips(t *testing.T) {
	f := syncedFixture(t)
	gold := f.planID("Gold Plan")
	if _, err := SetPublished[catalog.Plan](context.Background(), f.svc, gold, true); err != nil {
		t.Fatal(err)
	}
	a := exportBytes(t, f, ExportOptions{}, false)
	b := exportBytes(t, f, ExportOptions{}, false)
	if !bytes.Equal(a, b) {
		t.Fatal("two exports of an unchanged catalogue differ")
	}
	if !strings.HasPrefix(string(a), "# yaml-language-server: $schema="+CatalogSchemaURL+"\n") {
		t.Fatalf("no schema line: %.100s", a)
	}
	if strings.Contains(string(a), adminKey) {
		t.Fatal("the export holds the secret")
	}
	doc, err := ParseCatalog("x.yaml", a)
	if err != nil {
		t.Fatalf("the export does not parse: %v", err)
	}
	var again bytes.Buffer
	if err := EncodeCatalog(&again, doc, false); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, again.Bytes()) {
		t.Fatalf("parse and encode changed the document:\n%s\n---\n%s", a, again.Bytes())
	}
	// JSON parses too, to the same document.
	j := exportBytes(t, f, ExportOptions{}, true)
	jdoc, err := ParseCatalog("x.json", j)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON bytes.Buffer
	if err := EncodeCatalog(&fromJSON, jdoc, false); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, fromJSON.Bytes()) {
		t.Fatal("the JSON and YAML exports differ")
	}
	p := doc.Providers[0]
	var names []string
	for _, it := range *p.Products {
		names = append(names, it.Name)
		if it.Fingerprint == "" || len(it.Tags) == 0 {
			t.Errorf("product %q: no fingerprint or tags", it.Name)
		}
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("products not sorted: %v", names)
	}
	var found bool
	for _, pl := range *p.Plans {
		if pl.Name == "Gold Plan" {
			found = true
			if !pl.Published || pl.Rate <= 0 {
				t.Errorf("gold: %+v", pl)
			}
		}
	}
	if !found {
		t.Error("no Gold Plan")
	}
}

func TestExportHiddenOnlyOnRequest(t *testing.T) {
	f := syncedFixture(t)
	id := f.planID("Silver Plan")
	f.update(func(tx storeTx) error { return hideForTest(tx, id) })
	if strings.Contains(string(exportBytes(t, f, ExportOptions{}, false)), "Silver Plan") {
		t.Fatal("a hidden plan exported without --hidden")
	}
	out := string(exportBytes(t, f, ExportOptions{Hidden: true}, false))
	if !strings.Contains(out, "name: Silver Plan") || !strings.Contains(out, "hidden: true") {
		t.Fatal("--hidden does not export the hidden plan")
	}
}

func TestExportFailsWhenTheDashboardFails(t *testing.T) {
	f := syncedFixture(t)
	f.sim.SetFault("GET", "/api/portal/policies", 0, dashboardFault(500))
	if _, err := f.svc.Export(context.Background(), ExportOptions{}); err == nil || catalog.CodeOf(err) != catalog.CodeRemoteFailed {
		t.Fatalf("err = %v", err)
	}
	if _, err := f.svc.Export(context.Background(), ExportOptions{Providers: []string{"nosuch"}}); catalog.CodeOf(err) != catalog.CodeUnknown {
		t.Fatalf("unknown provider: %v", err)
	}
}

// The published schema names exactly the document's fields.
func TestSchemaMatchesTheDocument(t *testing.T) {
	raw, err := os.ReadFile("../../docs/catalog.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties map[string]any `json:"properties"`
		Defs       map[string]struct {
			Properties map[string]struct {
				Items struct {
					Properties map[string]any `json:"properties"`
				} `json:"items"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	check := func(name string, props []string, typ any) {
		t.Helper()
		want := jsonFields(reflect.TypeOf(typ))
		sort.Strings(props)
		if !reflect.DeepEqual(props, want) {
			t.Errorf("schema %s has %v, the document %v", name, props, want)
		}
	}
	check("document", keys(schema.Properties), CatalogDoc{})
	for def, typ := range map[string]any{"provider": ProviderDoc{}, "product": ProductDoc{}, "plan": PlanDoc{}} {
		var props []string
		for k := range schema.Defs[def].Properties {
			props = append(props, k)
		}
		check(def, props, typ)
	}
	check("api", keys(schema.Defs["product"].Properties["apis"].Items.Properties), APIDoc{})
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("json")
		if tag == "" || tag == "-" {
			continue
		}
		out = append(out, strings.Split(tag, ",")[0])
	}
	sort.Strings(out)
	return out
}
