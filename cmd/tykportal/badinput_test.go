package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// TestBadInputMatrix gives flags and arguments of every command hostile
// values: empty, 100 KB, invalid UTF-8, control characters (an ANSI escape and
// a newline) and path-like injection. Each refused value exits 2 with one
// short line on stderr in which nothing can drive a terminal, prints nothing
// on stdout, and leaves the state file byte for byte as it was.
func TestBadInputMatrix(t *testing.T) {
	_, srv := seedSim(t, dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, Seed: 9})
	tp := newCLI(t, buildBinary(t), "TYKPORTAL_SECRET_PROD=demo-admin-key-org1", "TYKPORTAL_SECRET_STORE=file")
	db := tp.dbPath()
	for _, setup := range [][]string{{"provider", "add", "prod", "--url", srv.URL, "--policy-tags", "portal"}, {"sync"}, {"products", "publish", "1"}, {"plans", "publish", "1"}} {
		tp.must(setup...)
	}

	values := map[string]string{
		"empty": "",
		// Linux refuses a single argument over 128 KiB (MAX_ARG_STRLEN), so a
		// 1 MB value can reach the tool only on stdin (tested for the secret).
		"100KB":     strings.Repeat("a", 100<<10),
		"non-UTF-8": "ab\xff\xfecd",
		"escape":    "x\x1b[31mred\x1b[0m",
		"newline":   "line1\nline2",
		"injection": "../../etc/passwd",
	}
	// V marks where the value goes; allowed lists the values the flag may
	// accept (they are not run: an accepted value would act).
	cases := []struct {
		args    []string
		allowed []string
	}{
		{[]string{"provider", "add", "V", "--url", "https://d.example.com", "--skip-check"}, nil},
		{[]string{"provider", "add", "x", "--url", "V", "--skip-check"}, nil},
		{[]string{"provider", "add", "x", "--url", "https://d.example.com", "--gateway-url", "V", "--skip-check"}, []string{"empty"}},
		{[]string{"provider", "add", "x", "--url", "https://d.example.com", "--policy-tags", "V", "--skip-check"}, []string{"empty", "injection"}},
		{[]string{"provider", "add", "x", "--url", "https://d.example.com", "--org-id", "V", "--skip-check"}, []string{"empty", "injection"}},
		{[]string{"provider", "add", "x", "--url", "https://d.example.com", "--ca-file", "V", "--skip-check"}, []string{"empty"}},
		{[]string{"provider", "show", "V"}, nil},
		{[]string{"provider", "edit", "V", "--org-id", "o"}, nil},
		{[]string{"provider", "remove", "V", "--yes"}, nil},
		{[]string{"provider", "test", "V"}, nil},
		{[]string{"sync", "V"}, nil},
		{[]string{"watch", "V"}, nil},
		{[]string{"watch", "--interval", "V"}, nil},
		{[]string{"products", "list", "--provider", "V"}, []string{"empty"}},
		{[]string{"products", "show", "V"}, nil},
		{[]string{"products", "edit", "V", "--display-name", "x"}, nil},
		{[]string{"products", "edit", "1", "--display-name", "V"}, []string{"empty", "injection"}},
		{[]string{"products", "edit", "1", "--description", "V"}, []string{"empty", "injection", "newline"}},
		{[]string{"products", "edit", "1", "--name", "V"}, []string{"injection"}},
		{[]string{"products", "create", "--provider", "prod", "--name", "V", "--api", "payments"}, []string{"injection"}},
		{[]string{"products", "create", "--provider", "V", "--name", "n", "--api", "payments"}, nil},
		{[]string{"products", "delete", "V", "--yes"}, nil},
		{[]string{"plans", "show", "V"}, nil},
		{[]string{"plans", "create", "--provider", "prod", "--name", "n", "--rate", "V", "--per", "1"}, nil},
		{[]string{"plans", "create", "--provider", "prod", "--name", "n", "--quota", "V", "--quota-period", "1"}, nil},
		{[]string{"plans", "create", "--provider", "prod", "--name", "n", "--rate", "1", "--per", "1", "--key-expires", "V"}, nil},
		{[]string{"plans", "edit", "1", "--description", "V"}, []string{"empty", "injection", "newline"}},
		{[]string{"apis", "list", "--provider", "V"}, nil},
		{[]string{"credentials", "issue", "--product", "1", "--plan", "1", "--consumer", "V"}, nil},
		{[]string{"credentials", "issue", "--product", "1", "--plan", "1", "--consumer", "a@example.com", "--alias", "V"}, []string{"empty", "injection"}},
		{[]string{"credentials", "issue", "--product", "V", "--plan", "1", "--consumer", "a@example.com"}, nil},
		{[]string{"credentials", "list", "--product", "V"}, []string{"empty"}},
		{[]string{"credentials", "show", "V"}, nil},
		{[]string{"credentials", "revoke", "V", "--yes"}, nil},
		{[]string{"doctor", "--provider", "V"}, []string{"empty"}},
		{[]string{"doctor", "--repair", "--grace", "V"}, nil},
		{[]string{"status", "-o", "V"}, nil},
		{[]string{"status", "--timeout", "V"}, nil},
	}
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	total, refused := 0, 0
	for _, c := range cases {
		for name, v := range values {
			allowed := false
			for _, a := range c.allowed {
				allowed = allowed || a == name
			}
			if allowed {
				continue
			}
			args := make([]string, len(c.args))
			for i, a := range c.args {
				if a == "V" {
					a = v
				}
				args[i] = a
			}
			total++
			label := strings.Join(c.args, " ") + " with " + name
			r := tp.runIn("", "secret\n", args...)
			stdout, stderr, code := r.stdout, r.stderr, r.code
			switch {
			case code != 2:
				t.Errorf("%s: exit %d, want 2; stderr %.200q", label, code, stderr)
			case stdout != "":
				t.Errorf("%s: stdout %.100q", label, stdout)
			case strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.HasPrefix(stderr, "tykportal: "):
				t.Errorf("%s: stderr is not one line: %.300q", label, stderr)
			case len(stderr) > 1200 || strings.ContainsAny(stderr, "\x1b\r") || !utf8.ValidString(stderr):
				t.Errorf("%s: stderr not neutralised: %.300q", label, stderr)
			default:
				refused++
			}
			if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
				t.Fatalf("%s changed the state file", label)
			}
		}
	}
	t.Logf("bad input matrix: %d cases, %d refused cleanly", total, refused)
}
