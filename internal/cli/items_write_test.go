package cli

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/internal/portal"
	"github.com/tykportal/tykportal/pkg/catalog"
)

// parse runs the command built by mk on args with a runF that keeps the use
// case's options: it returns them (nil when the command did not get that
// far) and the command's error. Nothing is opened or asked.
func parse[O any](mk func(a *App, runF func(context.Context, O) error) *cobra.Command, args ...string) (*O, error) {
	a, _, _ := testApp(nil)
	var got *O
	cmd := mk(a, func(_ context.Context, o O) error { got = &o; return nil })
	wrapArgs(cmd) // as the root does
	cmd.SetArgs(args)
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	return got, cmd.Execute()
}

// wantUsage fails the test unless err is a usage error containing text and
// the use case did not run.
func wantUsage(t *testing.T, args []string, ran bool, err error, text string) {
	t.Helper()
	if ran || ExitCode(err) != 2 || !strings.Contains(err.Error(), text) {
		t.Errorf("%v: ran %v, error %v; want a usage error containing %q", args, ran, err, text)
	}
}

// wantParsed fails the test unless args parse into want, or, when usage is
// set, give a usage error containing it without running.
func wantParsed[O any](t *testing.T, mk func(*App, func(context.Context, O) error) *cobra.Command, args []string, want O, usage string) {
	t.Helper()
	got, err := parse(mk, args...)
	if usage != "" {
		wantUsage(t, args, got != nil, err, usage)
		return
	}
	if err != nil || got == nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("%v: %+v %v, want %+v", args, got, err, want)
	}
}

func productCreateCmd(a *App, runF func(context.Context, portal.CreateProductOptions) error) *cobra.Command {
	return newItemCreateCmd(a, productView, productCreate, runF)
}

func planCreateCmd(a *App, runF func(context.Context, portal.CreatePlanOptions) error) *cobra.Command {
	return newItemCreateCmd(a, planView, planCreate, runF)
}

func productEditCmd(a *App, runF func(context.Context, portal.EditProductOptions) error) *cobra.Command {
	return newItemEditCmd(a, productView, productEdit, runF)
}

func planEditCmd(a *App, runF func(context.Context, portal.EditPlanOptions) error) *cobra.Command {
	return newItemEditCmd(a, planView, planEdit, runF)
}

func TestProductCreateFlags(t *testing.T) {
	fields := portal.ItemFields{Provider: "prod", Name: "Bundle"}
	tests := []struct {
		args  []string
		want  portal.CreateProductOptions
		usage string // a usage error containing this
	}{
		{args: []string{"--provider", "prod", "--name", "Bundle", "--api", "payments", "--api", "refunds", "--display-name", "Pay", "--description", "Cards"},
			want: portal.CreateProductOptions{ItemFields: portal.ItemFields{Provider: "prod", Name: "Bundle", DisplayName: "Pay", Description: "Cards"}, APIs: []string{"payments", "refunds"}}},
		// Rules on the values are the use case's: an empty name is given.
		{args: []string{"--provider", "prod", "--name", ""}, want: portal.CreateProductOptions{ItemFields: portal.ItemFields{Provider: "prod"}}},
		{args: []string{"--provider", "prod", "--name", "Bundle"}, want: portal.CreateProductOptions{ItemFields: fields}},
		{args: []string{"--name", "Bundle", "--api", "payments"}, usage: "--provider and --name are required"},
		{args: []string{"--provider", "prod", "--api", "payments"}, usage: "--provider and --name are required"},
		{args: []string{"--provider", "prod", "--name", "Bundle", "extra"}, usage: "unknown command"},
	}
	for _, tc := range tests {
		wantParsed(t, productCreateCmd, tc.args, tc.want, tc.usage)
	}
}

func TestPlanCreateFlags(t *testing.T) {
	tests := []struct {
		args  []string
		want  catalog.Limits
		usage string
	}{
		{args: []string{"--rate", "10", "--per", "60", "--quota", "1000", "--quota-period", "86400", "--key-expires", "3600"},
			want: catalog.Limits{Rate: 10, Per: 60, QuotaMax: 1000, QuotaRenewalRate: 86400, KeyExpiresIn: 3600}},
		{args: []string{"--rate", "5", "--per", "1", "--throttle-interval", "2", "--throttle-retries", "3"},
			want: catalog.Limits{Rate: 5, Per: 1, ThrottleInterval: 2, ThrottleRetryLimit: 3}},
		// -1 is unlimited: the period goes with it, unless given after all.
		{args: []string{"--rate", "-1"}, want: catalog.Limits{Rate: -1, Per: -1}},
		{args: []string{"--rate", "-1", "--per", "30"}, want: catalog.Limits{Rate: -1, Per: 30}},
		{args: []string{"--quota", "-1"}, want: catalog.Limits{QuotaMax: -1, QuotaRenewalRate: -1}},
		{args: []string{"--unlimited-rate", "--unlimited-quota"}, want: catalog.Limits{Rate: -1, Per: -1, QuotaMax: -1, QuotaRenewalRate: -1}},
		// Keys that never expire: 0 or -1, kept as 0.
		{args: []string{"--unlimited-rate", "--key-expires", "-1"}, want: catalog.Limits{Rate: -1, Per: -1}},
		// No limits at all parse; the use case refuses them.
		{args: nil, want: catalog.Limits{}},
		{args: []string{"--unlimited-rate", "--rate", "4"}, usage: "--unlimited-rate cannot be combined with --rate or --per"},
		{args: []string{"--unlimited-rate", "--per", "4"}, usage: "--unlimited-rate cannot be combined"},
		{args: []string{"--unlimited-quota", "--quota", "4"}, usage: "--unlimited-quota cannot be combined with --quota or --quota-period"},
		{args: []string{"--unlimited-quota", "--quota-period", "4"}, usage: "--unlimited-quota cannot be combined"},
	}
	if got, err := parse(planCreateCmd, "--name", "Gold", "--rate", "1", "--per", "1"); true {
		wantUsage(t, nil, got != nil, err, "--provider and --name are required")
	}
	for _, tc := range tests {
		args := append([]string{"--provider", "prod", "--name", "Gold"}, tc.args...)
		got, err := parse(planCreateCmd, args...)
		if tc.usage != "" {
			wantUsage(t, args, got != nil, err, tc.usage)
			continue
		}
		want := portal.CreatePlanOptions{ItemFields: portal.ItemFields{Provider: "prod", Name: "Gold"}, Limits: tc.want}
		if err != nil || got == nil || *got != want {
			t.Errorf("%v: %+v %v, want %+v", args, got, err, want)
		}
	}
}

func TestProductEditFlags(t *testing.T) {
	tests := []struct {
		args  []string
		want  portal.EditProductOptions
		usage string
	}{
		{args: []string{"3", "--name", "New"}, want: portal.EditProductOptions{ItemChanges: portal.ItemChanges{ID: 3, Name: new("New")}}},
		// A flag given empty changes the field to empty; one not given leaves it.
		{args: []string{"3", "--display-name", "", "--description", "About"},
			want: portal.EditProductOptions{ItemChanges: portal.ItemChanges{ID: 3, DisplayName: new(""), Description: new("About")}}},
		{args: []string{"3", "--api", "payments", "--api", "refunds"},
			want: portal.EditProductOptions{ItemChanges: portal.ItemChanges{ID: 3}, APIs: []string{"payments", "refunds"}}},
		{args: []string{"3"}, usage: "nothing to change: give --name, --display-name, --description or --api"},
		{args: []string{"x", "--name", "New"}, usage: `product id "x" is not a positive whole number`},
		{args: []string{"--name", "New"}, usage: "accepts 1 arg"},
	}
	for _, tc := range tests {
		wantParsed(t, productEditCmd, tc.args, tc.want, tc.usage)
	}
}

// A plan edit merges the limit flags onto the plan's current limits, read
// by the use case: the options carry the merge, applied here to limits as a
// sync stores them (Tyk's -1 for what is off).
func TestPlanEditFlags(t *testing.T) {
	synced := catalog.Limits{Rate: 1000, Per: 60, QuotaMax: -1, QuotaRenewalRate: -1, ThrottleInterval: -1, ThrottleRetryLimit: -1, KeyExpiresIn: 2592000}
	quotaOnly := catalog.Limits{Rate: -1, Per: -1, QuotaMax: 100, QuotaRenewalRate: 60, ThrottleInterval: -1, ThrottleRetryLimit: -1}
	tests := []struct {
		args    []string
		current catalog.Limits
		want    *catalog.Limits // nil: the limits are left as they are
		usage   string
	}{
		{args: []string{"--name", "Platinum"}},
		{args: []string{"--description", "More"}},
		{args: []string{"--key-expires", "7200"}, current: synced,
			want: &catalog.Limits{Rate: 1000, Per: 60, QuotaMax: -1, QuotaRenewalRate: -1, KeyExpiresIn: 7200}},
		{args: []string{"--key-expires", "-1"}, current: synced,
			want: &catalog.Limits{Rate: 1000, Per: 60, QuotaMax: -1, QuotaRenewalRate: -1}},
		{args: []string{"--unlimited-rate"}, current: synced,
			want: &catalog.Limits{Rate: -1, Per: -1, QuotaMax: -1, QuotaRenewalRate: -1, KeyExpiresIn: 2592000}},
		// Turning the rate off leaves no -1 period behind, nor a quota's.
		{args: []string{"--rate", "0"}, current: quotaOnly, want: &catalog.Limits{QuotaMax: 100, QuotaRenewalRate: 60}},
		{args: []string{"--quota", "0", "--rate", "5", "--per", "1"}, current: synced,
			want: &catalog.Limits{Rate: 5, Per: 1, KeyExpiresIn: 2592000}},
		{args: []string{"--quota", "-1"}, current: quotaOnly, want: &catalog.Limits{Rate: -1, Per: -1, QuotaMax: -1, QuotaRenewalRate: -1}},
		{args: []string{"--throttle-interval", "2", "--throttle-retries", "5"}, current: synced,
			want: &catalog.Limits{Rate: 1000, Per: 60, QuotaMax: -1, QuotaRenewalRate: -1, ThrottleInterval: 2, ThrottleRetryLimit: 5, KeyExpiresIn: 2592000}},
		{args: []string{"--unlimited-rate", "--rate", "5"}, usage: "--unlimited-rate cannot be combined"},
		{args: []string{"--unlimited-quota", "--quota-period", "5"}, usage: "--unlimited-quota cannot be combined"},
		{args: nil, usage: "nothing to change: give --name, a limit flag, --display-name or --description"},
	}
	for _, tc := range tests {
		args := append([]string{"2"}, tc.args...)
		got, err := parse(planEditCmd, args...)
		if tc.usage != "" {
			wantUsage(t, args, got != nil, err, tc.usage)
			continue
		}
		if err != nil || got == nil || got.ID != 2 {
			t.Fatalf("%v: %+v %v", args, got, err)
		}
		if (got.Limits == nil) != (tc.want == nil) {
			t.Errorf("%v: limits changed %v, want %v", args, got.Limits != nil, tc.want != nil)
			continue
		}
		if tc.want != nil {
			l := tc.current
			if err := got.Limits(&l); err != nil || l != *tc.want {
				t.Errorf("%v on %+v: %+v %v, want %+v", args, tc.current, l, err, *tc.want)
			}
		}
	}
}

func TestItemDeleteFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    portal.DeleteOptions // without Confirm
		confirm bool                 // a question is asked
		usage   string
	}{
		{args: []string{"4"}, want: portal.DeleteOptions{ID: 4}, confirm: true},
		{args: []string{"4", "--yes"}, want: portal.DeleteOptions{ID: 4}},
		{args: []string{"4", "-y", "--keep-policy", "--force"}, want: portal.DeleteOptions{ID: 4, KeepPolicy: true, Force: true}},
		{args: []string{"0"}, usage: `plan id "0" is not a positive whole number`},
		{args: nil, usage: "accepts 1 arg"},
	}
	for _, tc := range tests {
		got, err := parse(func(a *App, runF func(context.Context, portal.DeleteOptions) error) *cobra.Command {
			return newItemDeleteCmd(a, planView, runF)
		}, tc.args...)
		if tc.usage != "" {
			wantUsage(t, tc.args, got != nil, err, tc.usage)
			continue
		}
		if err != nil || got == nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if (got.Confirm != nil) != tc.confirm {
			t.Errorf("%v: asks %v, want %v", tc.args, got.Confirm != nil, tc.confirm)
		}
		if got.Confirm != nil {
			// Without a terminal the question is refused: a script says --yes.
			if err := got.Confirm(`Delete plan 4 "Gold"`); ExitCode(err) != 2 || !strings.Contains(err.Error(), "pass --yes to confirm from a script") {
				t.Errorf("confirm without a terminal: %v", err)
			}
		}
		got.Confirm = nil
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("%v: %+v, want %+v", tc.args, *got, tc.want)
		}
	}
}

func TestAPIsListFlags(t *testing.T) {
	got, err := parse(func(a *App, runF func(context.Context, string) error) *cobra.Command { return newAPIsListCmd(a, runF) }, "--provider", "prod")
	if err != nil || got == nil || *got != "prod" {
		t.Errorf("--provider prod: %v %v", got, err)
	}
	got, err = parse(func(a *App, runF func(context.Context, string) error) *cobra.Command { return newAPIsListCmd(a, runF) })
	wantUsage(t, nil, got != nil, err, "--provider is required")
}

// Values that do not parse are usage errors before anything runs.
func TestItemWriteFlagValues(t *testing.T) {
	for _, args := range [][]string{
		{"plans", "create", "--provider", "prod", "--name", "n", "--rate", "abc", "--per", "1"},
		{"plans", "edit", "1", "--rate", "abc"},
		{"plans", "create", "--provider", "prod", "--name", "n", "--quota", "1.5"},
		{"products", "delete", "1", "--force=maybe"},
		{"products", "create", "--provider", "prod", "--name", "n", "--nosuch"},
	} {
		a, _, _ := testApp(nil)
		root := a.rootCommand()
		root.SetArgs(args)
		root.SetOut(&strings.Builder{})
		root.SetErr(&strings.Builder{})
		if err := root.Execute(); ExitCode(err) != 2 {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

func TestAPIsTable(t *testing.T) {
	tab := apisTable([]portal.APIUse{
		{APIID: "payments", Name: "Payments", AuthType: "authToken", Products: []uint64{1, 3}},
		{APIID: "search-oas", Name: "Search OAS", AuthType: "jwt", IsOAS: true, Products: []uint64{}},
	})
	want := [][]string{{"payments", "Payments", "authToken", "classic", "1,3"}, {"search-oas", "Search OAS", "jwt", "oas", "-"}}
	if !reflect.DeepEqual(tab.Header, []string{"api id", "name", "auth", "type", "products"}) || !reflect.DeepEqual(tab.Rows, want) {
		t.Errorf("%+v", tab)
	}
}
