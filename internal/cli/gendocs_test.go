package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// regenerate is what to run when the committed reference is stale.
const regenerate = "go run ./cmd/tykportal gen-docs --markdown docs/cli (or go generate ./internal/cli)"

// runGenDocs runs `tykportal gen-docs ARGS` through Main, as the binary does.
func runGenDocs(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := Streams{In: &bytes.Buffer{}, Out: &out, Err: &errOut}
	code := Main(context.Background(), append([]string{"gen-docs"}, args...), io,
		func(k string) string { return env[k] }, BuildInfo{Version: "1.2.3"})
	return code, errOut.String()
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// The markdown committed under docs/cli is exactly what the commands
// generate now: a changed flag or help text without regenerated docs fails.
func TestCommittedMarkdownIsCurrent(t *testing.T) {
	dir := t.TempDir()
	if code, stderr := runGenDocs(t, nil, "--markdown", dir); code != 0 {
		t.Fatalf("gen-docs --markdown: exit %d: %s", code, stderr)
	}
	want := readDir(t, dir)
	got := readDir(t, filepath.Join("..", "..", "docs", "cli"))
	for _, name := range sortedKeys(want) {
		committed, ok := got[name]
		switch {
		case !ok:
			t.Errorf("docs/cli/%s is missing; run: %s", name, regenerate)
		case !bytes.Equal(committed, want[name]):
			t.Errorf("docs/cli/%s is stale; run: %s", name, regenerate)
		}
	}
	for _, name := range sortedKeys(got) {
		if _, ok := want[name]; !ok {
			t.Errorf("docs/cli/%s documents no command any more; delete it and run: %s", name, regenerate)
		}
	}
}

// Every command an admin can run, and no hidden one, gets a man page, and
// the pages are the same bytes on every run with the same
// SOURCE_DATE_EPOCH (reproducible packages).
func TestManPageForEveryCommand(t *testing.T) {
	env := map[string]string{"SOURCE_DATE_EPOCH": "1767225600"} // 2026-01-01
	dir1, dir2 := t.TempDir(), t.TempDir()
	for _, dir := range []string{dir1, dir2} {
		if code, stderr := runGenDocs(t, env, "--man", dir); code != 0 {
			t.Fatalf("gen-docs --man: exit %d: %s", code, stderr)
		}
	}
	pages := readDir(t, dir1)

	a, _, _ := testApp(nil)
	root := a.rootCommand()
	root.InitDefaultCompletionCmd() // added by Execute, as in the binary
	want := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c != root {
			return
		}
		want[strings.ReplaceAll(c.CommandPath(), " ", "-")+".1"] = true
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if len(want) < 40 {
		t.Fatalf("walked only %d commands: the tree is not what this test expects", len(want))
	}
	for name := range want {
		page, ok := pages[name]
		if !ok {
			t.Errorf("no man page %s", name)
			continue
		}
		if !bytes.Contains(page, []byte(`.TH "TYKPORTAL" "1" "Jan 2026" "tykportal 1.2.3" "tykportal manual"`)) {
			t.Errorf("%s: header is not the fixed one:\n%s", name, strings.SplitN(string(page), "\n", 3)[1])
		}
	}
	for name := range pages {
		if !want[name] {
			t.Errorf("man page %s for a hidden or unknown command", name)
		}
	}
	again := readDir(t, dir2)
	for name, page := range pages {
		if !bytes.Equal(page, again[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}

func TestGenDocsUsage(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no directory", nil, nil, "needs --markdown DIR or --man DIR"},
		{"bad epoch", map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}, []string{"--man", "x"}, "SOURCE_DATE_EPOCH"},
		{"argument", nil, []string{"docs"}, "unknown command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for i, arg := range tc.args {
				if arg == "x" {
					tc.args[i] = filepath.Join(dir, "man")
				}
			}
			code, stderr := runGenDocs(t, tc.env, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "man")); err == nil {
				t.Errorf("a usage error wrote %s", filepath.Join(dir, "man"))
			}
		})
	}
}
