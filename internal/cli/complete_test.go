package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// Every command the completions name exists and got its function, and
// every flag they name is completed wherever it is defined.
func TestCompletionTargetsExist(t *testing.T) {
	a, _, _ := testApp(nil)
	root := a.rootCommand()
	for _, ac := range argCompletions {
		cmd, rest, err := root.Find(strings.Fields(ac.path))
		if err != nil || len(rest) > 0 || cmd == root {
			t.Errorf("no command %q", ac.path)
			continue
		}
		if cmd.ValidArgsFunction == nil {
			t.Errorf("%q: no completion of its arguments", ac.path)
		}
	}
	seen := map[string]int{}
	walkCommands(root, func(c *cobra.Command) {
		for _, name := range []string{"provider", "product", "plan", "output", "log-format", "log-level"} {
			if c.LocalFlags().Lookup(name) == nil {
				continue
			}
			seen[name]++
			if _, ok := c.GetFlagCompletionFunc(name); !ok {
				t.Errorf("%s --%s: not completed", c.CommandPath(), name)
			}
		}
	})
	for _, name := range []string{"provider", "product", "plan", "output", "log-format", "log-level"} {
		if seen[name] == 0 {
			t.Errorf("no command has --%s", name)
		}
	}
}

// completionState writes a state file of n products, as a sync of a large
// Dashboard leaves it.
func completionState(tb testing.TB, n int) string {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(tb.TempDir(), "t.db")
	db, err := boltstore.Open(ctx, path, boltstore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	err = db.Update(ctx, func(tx store.Tx) error {
		for i := 1; i <= n; i++ {
			p := catalog.Product{Item: catalog.Item{ID: uint64(i), Provider: "bench", Name: fmt.Sprintf("Product %d", i), Description: "generated",
				PolicyID: fmt.Sprintf("%024x", i), PolicyMID: fmt.Sprintf("%024x", i), Placeholder: true, Hidden: i%10 == 0},
				AuthType: "authToken", APIs: []catalog.APIRef{{APIID: fmt.Sprintf("api-%d", i%2000), Name: fmt.Sprintf("API %d", i%2000)}},
				History: catalog.History{CreatedAt: now, UpdatedAt: now}}
			if err := repo.PutProduct(tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

func completeMain(tb testing.TB, path string, args ...string) string {
	var out, errb strings.Builder
	env := func(k string) string {
		if k == "TYKPORTAL_DB" {
			return path
		}
		return ""
	}
	if code := Main(context.Background(), append([]string{cobra.ShellCompRequestCmd}, args...), Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, env, BuildInfo{}); code != 0 {
		tb.Fatalf("exit %d: %s", code, errb.String())
	}
	return out.String()
}

func TestCompleteProductIDs(t *testing.T) {
	path := completionState(t, 25)
	tests := []struct {
		args []string
		want []string // the candidate lines, then the directive
	}{
		{[]string{"products", "show", "2"}, []string{"2\tProduct 2 (bench)", "20\tProduct 20 (bench, hidden)", "21\tProduct 21 (bench)", "22\tProduct 22 (bench)",
			"23\tProduct 23 (bench)", "24\tProduct 24 (bench)", "25\tProduct 25 (bench)", ":4"}},
		{[]string{"products", "show", "9", ""}, []string{":4"}},
		{[]string{"credentials", "issue", "--product", "1"}, []string{"1\tProduct 1 (bench)", "10\tProduct 10 (bench, hidden)", "11\tProduct 11 (bench)",
			"12\tProduct 12 (bench)", "13\tProduct 13 (bench)", "14\tProduct 14 (bench)", "15\tProduct 15 (bench)", "16\tProduct 16 (bench)",
			"17\tProduct 17 (bench)", "18\tProduct 18 (bench)", "19\tProduct 19 (bench)", ":4"}},
		{[]string{"plans", "show", ""}, []string{":4"}},
		{[]string{"provider", "show", ""}, []string{":4"}},
	}
	for _, tc := range tests {
		got := strings.Split(strings.TrimSpace(completeMain(t, path, tc.args...)), "\n")
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%v:\n%s\nwant\n%s", tc.args, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

// BenchmarkCompleteProducts10k is one Tab after `products show ` over
// 10,000 products, in-process as the binary runs it minus start-up; the
// aim is well under 100 ms.
func BenchmarkCompleteProducts10k(b *testing.B) {
	path := completionState(b, 10000)
	for b.Loop() {
		if out := completeMain(b, path, "products", "show", ""); strings.Count(out, "\n") != 10001 {
			b.Fatalf("%d lines", strings.Count(out, "\n"))
		}
	}
}
