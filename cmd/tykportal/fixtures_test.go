package main

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/tykportal/tykportal/pkg/dashboard/wiretest"
)

// fixtureSecret is the access_key of testdata/wire/users_me.json; the
// fixture server answers 401 to any other Authorization.
const fixtureSecret = "wire-fixture-secret"

// fixtureRegistry keeps each script's plain fixture servers: golden
// answers from testdata/wire, not our simulator, so a script proves the
// binary works against what Tyk's spec says a Dashboard sends.
type fixtureRegistry struct {
	mu       gosync.Mutex
	dir      string
	byScript map[*testscript.TestScript]map[string]*wiretest.Server
}

func newFixtureRegistry() *fixtureRegistry {
	dir, err := filepath.Abs("../../testdata/wire")
	if err != nil {
		panic(err)
	}
	return &fixtureRegistry{dir: dir, byScript: map[*testscript.TestScript]map[string]*wiretest.Server{}}
}

// fixtures start NAME
//
//	serves testdata/wire by its routes.txt on 127.0.0.1; sets $NAME_URL and
//	$NAME_SECRET (the fixtures' users_me access_key).
//
// fixtures sent NAME METHOD PATH FILE
//
//	writes the body of the last METHOD PATH request to FILE.
//
// fixtures same NAME METHOD PATH FIXTURE [FIELD=JSON...]
//
//	checks that the body of the last METHOD PATH request says, in meaning,
//	what FIXTURE says with the top-level FIELDs set to JSON (absent if JSON
//	is "absent"); prints every difference.
//
// fixtures unmatched NAME
//
//	fails if a request found no route (with !, if none did).
func (r *fixtureRegistry) cmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: fixtures start|sent|same|unmatched NAME ...")
	}
	verb, name, rest := args[0], args[1], args[2:]
	if verb == "start" {
		fs, err := wiretest.New(r.dir, fixtureSecret)
		ts.Check(err)
		srv := httptest.NewServer(fs)
		ts.Defer(srv.Close)
		r.mu.Lock()
		if r.byScript[ts] == nil {
			r.byScript[ts] = map[string]*wiretest.Server{}
			ts.Defer(func() { r.mu.Lock(); delete(r.byScript, ts); r.mu.Unlock() })
		}
		r.byScript[ts][name] = fs
		r.mu.Unlock()
		ts.Setenv(strings.ToUpper(name)+"_URL", srv.URL)
		ts.Setenv(strings.ToUpper(name)+"_SECRET", fixtureSecret)
		return
	}
	r.mu.Lock()
	fs := r.byScript[ts][name]
	r.mu.Unlock()
	if fs == nil {
		ts.Fatalf("no fixture server %q: run `fixtures start %s` first", name, name)
	}
	last := func(method, path string) wiretest.Request {
		req, ok := fs.Last(method, path)
		if !ok {
			var sent []string
			for _, q := range fs.Requests() {
				sent = append(sent, q.Method+" "+q.Path)
			}
			ts.Fatalf("no %s %s was sent; sent: %s", method, path, strings.Join(sent, ", "))
		}
		return req
	}
	switch {
	case verb == "sent" && len(rest) == 3:
		ts.Check(os.WriteFile(ts.MkAbs(rest[2]), last(rest[0], rest[1]).Body, 0o644))
	case verb == "same" && len(rest) >= 3:
		got, err := wiretest.Decode(last(rest[0], rest[1]).Body)
		ts.Check(err)
		raw, err := os.ReadFile(filepath.Join(r.dir, rest[2]))
		ts.Check(err)
		want, err := wiretest.Decode(raw)
		ts.Check(err)
		obj, ok := want.(map[string]any)
		if !ok && len(rest) > 3 {
			ts.Fatalf("%s is not an object", rest[2])
		}
		for _, kv := range rest[3:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				ts.Fatalf("fixtures same: %q is not FIELD=JSON", kv)
			}
			if v == "absent" {
				delete(obj, k)
				continue
			}
			var val any
			ts.Check(json.Unmarshal([]byte(v), &val))
			obj[k] = val
		}
		d := wiretest.ValueDiff(want, got)
		if len(d) > 0 {
			fmt.Fprintln(ts.Stdout(), wiretest.Report(d))
		}
		if (len(d) > 0) != neg {
			ts.Fatalf("%s %s body vs %s: %d differences (printed above)", rest[0], rest[1], rest[2], len(d))
		}
	case verb == "unmatched" && len(rest) == 0:
		var un []string
		for _, q := range fs.Requests() {
			if !q.Matched {
				un = append(un, q.Method+" "+q.Path)
			}
		}
		if (len(un) > 0) != neg {
			ts.Fatalf("requests without a fixture route: %v", un)
		}
	default:
		ts.Fatalf("fixtures: bad arguments %q", args)
	}
}
