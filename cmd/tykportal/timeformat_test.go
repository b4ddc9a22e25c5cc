package main

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// oneTimeFormat is the one form of every time in every JSON document.
var oneTimeFormat = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)

// timeStrings collects, with their paths, the strings of a JSON document
// that are times: what parses as RFC 3339, whatever its precision.
func timeStrings(path string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			timeStrings(path+"."+k, e, out)
		}
	case []any:
		for i, e := range x {
			timeStrings(path+"["+strconv.Itoa(i)+"]", e, out)
		}
	case string:
		if _, err := time.Parse(time.RFC3339Nano, x); err == nil {
			out[path] = x
		}
	}
}

// Every time field of every JSON document has the same format: RFC 3339,
// UTC, to the second; one moment never prints two ways.
func TestEveryJSONTimeHasOneFormat(t *testing.T) {
	bin := buildBinary(t)
	_, srv := seedSim(t, dashboardtest.Defaults())
	c := newCLI(t, bin, "TYKPORTAL_SECRET_PROD="+applySecret, "TYKPORTAL_SECRET_STORE=file")
	c.must("provider", "add", "prod", "--url", srv.URL, "--policy-tags", "portal")
	c.must("sync")
	var products, plans []struct {
		ID   uint64 `json:"id"`
		Name string `json:"name"`
	}
	decode(t, c.must("products", "list", "-o", "json"), &products)
	decode(t, c.must("plans", "list", "-o", "json"), &plans)
	product := strconv.FormatUint(idNamed(t, products, "Payments Product"), 10)
	plan := strconv.FormatUint(idNamed(t, plans, "Gold Plan"), 10)
	c.must("products", "publish", product)
	c.must("plans", "publish", plan)
	var cred struct {
		ID uint64 `json:"id"`
	}
	decode(t, c.must("credentials", "issue", "--product", product, "--plan", plan, "--consumer", "dev@example.com", "-o", "json"), &cred)
	credential := strconv.FormatUint(cred.ID, 10)

	documents := [][]string{
		{"provider", "list"}, {"provider", "show", "prod"}, {"status"}, {"sync"}, {"sync", "--dry-run"},
		{"products", "list", "--all"}, {"products", "show", product}, {"plans", "list", "--all"}, {"plans", "show", plan},
		{"credentials", "list"}, {"credentials", "show", credential}, {"apis", "list", "--provider", "prod"},
	}
	seen := 0
	for _, args := range documents {
		out := c.must(append(args, "-o", "json")...)
		var doc any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v: not JSON: %v\n%s", args, err, out)
		}
		times := map[string]string{}
		timeStrings("", doc, times)
		for path, v := range times {
			seen++
			if !oneTimeFormat.MatchString(v) {
				t.Errorf("%s: %s is %q, not RFC 3339 UTC to the second", strings.Join(args, " "), path, v)
			}
		}
	}
	if seen < 20 {
		t.Fatalf("only %d times in all the documents: the test reads the wrong fields", seen)
	}
}
