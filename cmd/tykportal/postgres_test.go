package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/store/pgstore/pgtest"
)

// The shared catalogue on PostgreSQL, end to end: the real binary, as
// several hosts (processes with their own HOME, XDG directories and
// secrets) on one database of a throwaway server, against the seeded
// simulator. Every database is migrated by the binary's own `db migrate`.

const (
	org1       = "5fd08e0f69710900018bc195"
	org1Secret = "demo-admin-key-org1"
)

// TestPostgresCLI builds the binary once and runs every scenario on it.
func TestPostgresCLI(t *testing.T) {
	srv := sharedPG(t)
	bin := buildBinary(t)
	t.Run("two hosts edit one product", func(t *testing.T) { t.Parallel(); testTwoHostsEdit(t, srv, bin) })
	t.Run("provider edit during syncs", func(t *testing.T) { t.Parallel(); testProviderEditDuringSyncs(t, srv, bin) })
	t.Run("two hosts issue credentials", func(t *testing.T) { t.Parallel(); testTwoHostsIssue(t, srv, bin) })
	t.Run("two hosts sync one provider", func(t *testing.T) { t.Parallel(); testTwoHostsSync(t, srv, bin) })
	t.Run("connection and schema faults", func(t *testing.T) { t.Parallel(); testConnectionFaults(t, srv, bin) })
	t.Run("concurrent db migrate", func(t *testing.T) { t.Parallel(); testConcurrentMigrate(t, srv, bin) })
	t.Run("read-only role", func(t *testing.T) { t.Parallel(); testReadOnlyRole(t, srv, bin) })
	t.Run("upper-case URL scheme", func(t *testing.T) { t.Parallel(); testUpperCaseScheme(t, srv, bin) })
	t.Run("secret canary", func(t *testing.T) { t.Parallel(); testSecretCanary(t, srv, bin) })
	t.Run("db copy round trip", func(t *testing.T) { t.Parallel(); testCopyRoundTrip(t, srv, bin) })
	// Its own server: it is stopped and started again.
	t.Run("server killed mid-sync", func(t *testing.T) { t.Parallel(); testKilledMidSync(t, bin) })
}

// ciStrict turns a skip into a failure when CI=true (CI installs
// PostgreSQL: a server that does not start there is a failure), and a
// failure to start into a skip elsewhere.
type ciStrict struct{ testing.TB }

func inCI() bool { return os.Getenv("CI") == "true" }

func (c ciStrict) Skip(args ...any) {
	c.TB.Helper()
	if inCI() {
		c.TB.Fatal(append([]any{"CI=true: "}, args...)...)
	}
	c.TB.Skip(args...)
}

func (c ciStrict) Fatalf(format string, args ...any) {
	c.TB.Helper()
	if inCI() {
		c.TB.Fatalf(format, args...)
	}
	c.TB.Skipf("SKIP: the throwaway PostgreSQL server did not start: "+format, args...)
}

// sharedPG is the test binary's shared throwaway server.
func sharedPG(t *testing.T) *pgtest.Server {
	t.Helper()
	return pgtest.Shared(ciStrict{t})
}

// privatePG is a server of the test's own, for tests that stop it.
func privatePG(t *testing.T) *pgtest.Server {
	t.Helper()
	if pgtest.Binaries() == "" {
		ciStrict{t}.Skip("SKIP: PostgreSQL tests need initdb and pg_ctl (apt-get install -y postgresql); .ci/run installs them")
	}
	srv, err := pgtest.Start()
	if err != nil {
		ciStrict{t}.Fatalf("start PostgreSQL: %v", err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

// newHost is one host of a team: its own HOME, XDG directories, secret
// file and environment, the state in the database at url.
func newHost(t *testing.T, bin, url string, env ...string) *tool {
	t.Helper()
	h := newCLI(t, bin)
	h.env = append(h.env,
		"TYKPORTAL_DB="+url,
		"XDG_STATE_HOME="+filepath.Join(h.dir, ".local", "state"),
		"XDG_CONFIG_HOME="+filepath.Join(h.dir, ".config"),
		"XDG_DATA_HOME="+filepath.Join(h.dir, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(h.dir, ".cache"),
		"XDG_RUNTIME_DIR="+filepath.Join(h.dir, "run"),
		// The keyring is tested elsewhere; a keyring call here fails fast.
		"TYKPORTAL_SECRET_STORE=file",
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(h.dir, "no-dbus"),
		"PGPASSWORD=", "PGSSLMODE=", "PGHOST=", "PGUSER=",
	)
	h.env = append(h.env, env...)
	return h
}

// in is the same tool reporting to t (a subtest).
func (c *tool) in(t testing.TB) *tool {
	c2 := *c
	c2.t = t
	return &c2
}

// migratedDB is a new database of srv, migrated by the binary itself.
func migratedDB(t *testing.T, srv *pgtest.Server, bin string) string {
	t.Helper()
	url := srv.NewDatabase(t)
	h := newHost(t, bin, url)
	out := h.must("db", "migrate", "-o", "json")
	var res struct{ From, To int }
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.From != 0 || res.To < 1 {
		t.Fatalf("db migrate of a new database: %v %s", err, out)
	}
	return url
}

// pgConn connects to url as the superuser, closed at the end of the test.
func pgConn(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// pgRows is every row of every table of the database, one line each, in a
// stable order: what a DBA's backup would hold.
func pgRows(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	c := pgConn(t, url)
	var tables []string
	rows, err := c.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	var out strings.Builder
	for _, table := range tables {
		rows, err := c.Query(ctx, "SELECT to_jsonb(t)::text FROM "+pgx.Identifier{table}.Sanitize()+" t ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "%s %s\n", table, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out.String()
}

func pgCount(t *testing.T, url, table string) int {
	t.Helper()
	var n int
	if err := pgConn(t, url).QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// item is what the tests read of a product or a plan.
type item struct {
	ID          uint64 `json:"id"`
	Provider    string `json:"provider"`
	PolicyID    string `json:"policy_id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Description string `json:"description"`
	Published   bool   `json:"published"`
	Hidden      bool   `json:"hidden"`
	UpdatedAt   string `json:"updated_at"`
}

func pgDecode[T any](t *testing.T, what, out string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
	return v
}

func items(t *testing.T, h *tool, kind string) []item {
	t.Helper()
	return pgDecode[[]item](t, kind+" list", h.must(kind, "list", "--all", "-o", "json"))
}

func pgIDNamed(t *testing.T, h *tool, kind, name string) uint64 {
	t.Helper()
	for _, it := range items(t, h, kind) {
		if it.Name == name {
			return it.ID
		}
	}
	t.Fatalf("no %s named %q", kind, name)
	return 0
}

// conflicted is the clear error of a write that kept conflicting with
// other hosts' writes: allowed, as long as nothing was written.
func conflicted(r result) bool {
	return r.code == 1 && strings.Contains(r.stderr, "kept conflicting with concurrent writers")
}

func token() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// testTwoHostsEdit: two hosts edit one product at once.
//
// Rounds of one edit of the display name from each host at the same time:
// each exits 0 (or with the clear conflict error), and after each round the
// display name is one of the two values just written.
//
// Then a check that catches a lost update: host A sets only the display
// name, host B only the description, 20 times each, both at once. Each edit
// changes one field of one record, so whatever the interleaving, the record
// must end with A's last display name and B's last description; an edit
// that writes back a record read before the other host's commit loses it.
func testTwoHostsEdit(t *testing.T, srv *pgtest.Server, bin string) {
	_, dash := seedSim(t, dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, Seed: 11})
	url := migratedDB(t, srv, bin)
	a := newHost(t, bin, url, "TYKPORTAL_SECRET_PROD="+org1Secret)
	b := newHost(t, bin, url, "TYKPORTAL_SECRET_PROD="+org1Secret)
	a.must("provider", "add", "prod", "--url", dash.URL, "--policy-tags", "portal")
	a.must("sync")
	id := fmt.Sprint(pgIDNamed(t, b, "products", "Payments Product"))

	const rounds = 20
	ok, conflicts := 0, 0
	for round := range rounds {
		values := []string{fmt.Sprintf("A round %d", round), fmt.Sprintf("B round %d", round)}
		var wg gosync.WaitGroup
		res := make([]result, 2)
		for i, h := range []*tool{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[i] = h.run("products", "edit", id, "--display-name", values[i], "-o", "json")
			}()
		}
		wg.Wait()
		var written []string
		for i, r := range res {
			switch {
			case r.code == 0:
				ok++
				written = append(written, values[i])
				if got := pgDecode[item](t, "edit", r.stdout); got.DisplayName != values[i] {
					t.Fatalf("round %d: edit printed display name %q, want %q", round, got.DisplayName, values[i])
				}
			case conflicted(r):
				conflicts++
			default:
				t.Fatalf("round %d, host %d: exit %d: %s", round, i, r.code, r.stderr)
			}
		}
		got := pgDecode[item](t, "show", a.must("products", "show", id, "-o", "json"))
		if len(written) > 0 && !slices.Contains(written, got.DisplayName) {
			t.Fatalf("round %d: display name %q, want one of %q", round, got.DisplayName, written)
		}
	}
	t.Logf("%d concurrent edits of one field: %d exited 0, %d with the conflict error", 2*rounds, ok, conflicts)
	if ok < rounds {
		t.Errorf("only %d of %d edits succeeded", ok, 2*rounds)
	}

	// Disjoint fields, both hosts at once. Only host A sets the display
	// name and only host B the description, so before each of its edits a
	// host must read back its own last value: anything else is an update
	// the other host's edit wrote over.
	var mu gosync.Mutex
	var lost []string
	var wg gosync.WaitGroup
	for i, h := range []*tool{a, b} {
		flag := []string{"--display-name", "--description"}[i]
		field := func(it item) string { return []string{it.DisplayName, it.Description}[i] }
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := field(pgDecode[item](t, "show", h.must("products", "show", id, "-o", "json")))
			check := func(n int) {
				r := h.run("products", "show", id, "-o", "json")
				if r.code != 0 {
					t.Errorf("show: exit %d: %s", r.code, r.stderr)
					return
				}
				if got := field(pgDecode[item](t, "show", r.stdout)); got != last {
					mu.Lock()
					lost = append(lost, fmt.Sprintf("before edit %d of %s: %q, the host's last write was %q", n, flag, got, last))
					mu.Unlock()
					last = got
				}
			}
			for n := range rounds {
				check(n)
				v := fmt.Sprintf("%s %d %s", flag, n, token())
				r := h.run("products", "edit", id, flag, v)
				switch {
				case r.code == 0:
					last = v
				case conflicted(r):
				default:
					t.Errorf("%s %d: exit %d: %s", flag, n, r.code, r.stderr)
				}
			}
			check(rounds)
		}()
	}
	wg.Wait()
	if len(lost) > 0 {
		knownBug(t, "products edit writes back the whole record it read in an earlier transaction (internal/cli/catalog_write.go: readProduct, then update(PutProduct(prod)))",
			"%d of %d edits of disjoint fields lost: %s", len(lost), 2*rounds, strings.Join(lost, "; "))
	}
}

// testProviderEditDuringSyncs: host A edits the provider (its gateway
// URL) while host B syncs it, both at once. A sync writes its outcome on
// the provider record (status, last_sync_at); an edit changes one field.
// Before each of its commands a host must read back what its own last one
// wrote: A its gateway URL, B the last_sync_at of its last sync.
func testProviderEditDuringSyncs(t *testing.T, srv *pgtest.Server, bin string) {
	_, dash := seedSim(t, dashboardtest.Options{UsersMe: true, Seed: 18})
	url := migratedDB(t, srv, bin)
	a := newHost(t, bin, url, "TYKPORTAL_SECRET_PROD="+org1Secret)
	b := newHost(t, bin, url, "TYKPORTAL_SECRET_PROD="+org1Secret)
	a.must("provider", "add", "prod", "--url", dash.URL, "--policy-tags", "portal")
	type prov struct {
		GatewayURL string  `json:"gateway_url"`
		LastSyncAt *string `json:"last_sync_at"`
	}
	show := func(h *tool) prov {
		return pgDecode[prov](t, "provider show", h.must("provider", "show", "prod", "-o", "json"))
	}
	const rounds = 15
	var mu gosync.Mutex
	var lost []string
	note := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lost = append(lost, fmt.Sprintf(format, args...))
	}
	var wg gosync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		last := show(a).GatewayURL
		for n := range rounds + 1 {
			if got := show(a).GatewayURL; got != last {
				note("before edit %d: gateway_url %q, host A last wrote %q", n, got, last)
				last = got
			}
			if n == rounds {
				return
			}
			v := fmt.Sprintf("http://gw-%d-%s.example", n, token())
			if r := a.run("provider", "edit", "prod", "--gateway-url", v); r.code == 0 {
				last = v
			} else if !conflicted(r) {
				t.Errorf("provider edit: exit %d: %s", r.code, r.stderr)
			}
		}
	}()
	go func() {
		defer wg.Done()
		var last *string
		for n := range rounds + 1 {
			if got := show(b).LastSyncAt; last != nil && (got == nil || *got != *last) {
				note("before sync %d: last_sync_at %v, host B's last sync started at %s", n, ptrString(got), *last)
				last = got
			}
			if n == rounds {
				return
			}
			r := b.run("sync", "-o", "json")
			switch {
			case r.code == 0:
				rs := pgDecode[[]syncResult](t, "sync", r.stdout)
				last = &rs[0].StartedAt
			case conflicted(r):
			default:
				t.Errorf("sync: exit %d: %s", r.code, r.stderr)
			}
		}
	}()
	wg.Wait()
	if len(lost) > 0 {
		knownBug(t, "provider edit writes back the whole provider record it read in an earlier transaction (internal/portal/providers.go EditProvider: s.Provider, then update(PutProvider(p)))",
			"%d lost updates in %d edits and %d syncs: %s", len(lost), rounds, rounds, strings.Join(lost, "; "))
	}
}

func ptrString(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// knownBug reports a problem whose fix is outside this test's files: a
// failure with TYKPORTAL_STRICT=1 (or once the bug is fixed, a pass), a
// skip naming the bug otherwise, so that the suite stays green meanwhile.
func knownBug(t *testing.T, bug, format string, args ...any) {
	t.Helper()
	// Every bug these tests found is fixed: a regression fails.
	t.Fatalf("%s\n(regression of: %s)", fmt.Sprintf(format, args...), bug)
}

// testTwoHostsIssue: 2 x 20 concurrent `credentials issue` from two hosts:
// every command exits 0 or with the clear conflict error, and then there
// are exactly as many credential records as successes, each with a key in
// the simulator that nothing else claims, as many new keys in the
// simulator, and the journal is empty.
func testTwoHostsIssue(t *testing.T, srv *pgtest.Server, bin string) {
	sim, dash := seedSim(t, dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, Seed: 12})
	url := migratedDB(t, srv, bin)
	a := newHost(t, bin, url, "TYKPORTAL_SECRET_PROD="+org1Secret)
	b := newHost(t, bin, url, "TYKPORTAL_SECRET_PROD="+org1Secret)
	a.must("provider", "add", "prod", "--url", dash.URL, "--policy-tags", "portal")
	a.must("sync")
	product := fmt.Sprint(pgIDNamed(t, a, "products", "Payments Product"))
	plan := fmt.Sprint(pgIDNamed(t, b, "plans", "Gold Plan"))
	a.must("products", "publish", product)
	b.must("plans", "publish", plan)
	keysBefore := len(sim.Keys(""))

	const each = 20
	type issued struct {
		ID       uint64 `json:"id"`
		Consumer string `json:"consumer"`
		KeyHash  string `json:"key_hash"`
		Key      string `json:"key"`
	}
	var mu gosync.Mutex
	var got []issued
	conflicts := 0
	var wg gosync.WaitGroup
	for hi, h := range []*tool{a, b} {
		for i := range each {
			wg.Add(1)
			go func() {
				defer wg.Done()
				consumer := fmt.Sprintf("host%d-%d@example.com", hi, i)
				r := h.run("credentials", "issue", "--product", product, "--plan", plan, "--consumer", consumer, "-o", "json")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case r.code == 0:
					c := pgDecode[issued](t, "issue", r.stdout)
					if c.Consumer != consumer || c.Key == "" || c.KeyHash == "" {
						t.Errorf("issue for %s printed %+v", consumer, c)
					}
					got = append(got, c)
				case conflicted(r):
					conflicts++
				default:
					t.Errorf("issue for %s: exit %d: %s", consumer, r.code, r.stderr)
				}
			}()
		}
	}
	wg.Wait()
	t.Logf("%d concurrent issues: %d exited 0, %d with the conflict error", 2*each, len(got), conflicts)
	if t.Failed() {
		t.FailNow()
	}

	type record struct {
		ID       uint64 `json:"id"`
		Consumer string `json:"consumer"`
		KeyHash  string `json:"key_hash"`
		Revoked  bool   `json:"revoked"`
	}
	records := pgDecode[[]record](t, "credentials list", b.must("credentials", "list", "-o", "json"))
	if len(records) != len(got) {
		t.Fatalf("%d issues succeeded, %d credential records", len(got), len(records))
	}
	if n := pgCount(t, url, "credentials"); n != len(got) {
		t.Fatalf("%d issues succeeded, %d rows in credentials", len(got), n)
	}
	ids, hashes := map[uint64]bool{}, map[string]string{}
	for _, r := range records {
		if ids[r.ID] {
			t.Fatalf("credential id %d twice", r.ID)
		}
		ids[r.ID] = true
		if other, dup := hashes[r.KeyHash]; dup {
			t.Fatalf("key hash %s on %s and %s", r.KeyHash, other, r.Consumer)
		}
		hashes[r.KeyHash] = r.Consumer
	}
	for _, c := range got {
		if hashes[c.KeyHash] != c.Consumer || !ids[c.ID] {
			t.Fatalf("issued %+v has no matching record", c)
		}
	}
	keys := sim.Keys("")
	if len(keys)-keysBefore != len(got) {
		t.Fatalf("%d issues succeeded, the simulator has %d new keys", len(got), len(keys)-keysBefore)
	}
	for _, k := range keys {
		delete(hashes, fmt.Sprint(k["key_hash"]))
	}
	if len(hashes) != 0 {
		t.Fatalf("records whose key the simulator does not have: %v", hashes)
	}
	if n := pgCount(t, url, "operations"); n != 0 {
		t.Fatalf("the journal holds %d operations after every issue finished", n)
	}
	type doctorReport struct {
		Operations []json.RawMessage `json:"operations"`
		Orphans    int               `json:"orphans"`
	}
	report := pgDecode[doctorReport](t, "doctor", a.must("doctor", "-o", "json"))
	if len(report.Operations) != 0 || report.Orphans != 0 {
		t.Fatalf("doctor: %d operations, %d orphans", len(report.Operations), report.Orphans)
	}
}

// syncResult is what the tests read of a sync result.
type syncResult struct {
	Provider  string `json:"provider"`
	Status    string `json:"status"`
	Error     string `json:"error"`
	StartedAt string `json:"started_at"`
	Matched   int    `json:"policies_matched"`
	Products  struct {
		Created, Updated, Hidden, Restored, Unchanged int
	} `json:"products"`
	Plans struct {
		Created, Updated, Hidden, Restored, Unchanged int
	} `json:"plans"`
}

// shape is a catalogue without its local ids and times: what two
// catalogues synced from one Dashboard must agree on.
func shape(its []item) []string {
	var out []string
	for _, it := range its {
		out = append(out, fmt.Sprintf("%s|%s|%s|hidden=%v", it.Provider, it.PolicyID, it.Name, it.Hidden))
	}
	slices.Sort(out)
	return out
}

// testTwoHostsSync: both hosts sync the same provider at once, in three
// rounds (the first sync; the Dashboard changed: renames, deletions, new
// policies; nothing changed): both exit 0, and the shared catalogue is
// exactly the one a single host syncing alone into bbolt gets — no product
// or plan twice, none missing, the creates of the two hosts adding up to
// the number of items.
func testTwoHostsSync(t *testing.T, srv *pgtest.Server, bin string) {
	sim, dash := seedSim(t, dashboardtest.Options{UsersMe: true, Seed: 13})
	sim.Generate(org1, 2000, 200, 2)
	url := migratedDB(t, srv, bin)
	a := newHost(t, bin, url, "TYKPORTAL_SECRET_PROD="+org1Secret)
	b := newHost(t, bin, url, "TYKPORTAL_SECRET_PROD="+org1Secret)
	ref := newCLI(t, bin, "TYKPORTAL_SECRET_PROD="+org1Secret) // alone, on bbolt
	a.must("provider", "add", "prod", "--url", dash.URL, "--policy-tags", "portal")
	ref.must("provider", "add", "prod", "--url", dash.URL, "--policy-tags", "portal")

	changes := []func(){
		func() {},
		func() {
			ps := sim.Policies(org1)
			for i, p := range ps[len(ps)-40:] {
				mid := p["_id"].(string)
				switch {
				case i < 10:
					_ = sim.DeletePolicy(mid)
				case i < 20:
					_ = sim.UpdatePolicy(mid, func(p map[string]any) { p["name"] = fmt.Sprint(p["name"], " renamed") })
				}
			}
			sim.Generate(org1, 30, 5, 3)
		},
		func() {},
	}
	for round, change := range changes {
		change()
		var wg gosync.WaitGroup
		res := make([]result, 2)
		for i, h := range []*tool{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[i] = h.run("sync", "--allow-mass-hide", "-o", "json")
			}()
		}
		ref.must("sync", "--allow-mass-hide")
		wg.Wait()
		created := 0
		for i, r := range res {
			if r.code != 0 {
				t.Fatalf("round %d, host %d: sync exit %d: %s", round, i, r.code, r.stderr)
			}
			rs := pgDecode[[]syncResult](t, "sync", r.stdout)
			if len(rs) != 1 || rs[0].Status != "ok" {
				t.Fatalf("round %d, host %d: %s", round, i, r.stdout)
			}
			created += rs[0].Products.Created + rs[0].Plans.Created
		}
		want := map[string][]item{"products": items(t, ref, "products"), "plans": items(t, ref, "plans")}
		total := 0
		for _, kind := range []string{"products", "plans"} {
			got := items(t, a, kind)
			seen := map[string]bool{}
			for _, it := range got {
				if seen[it.PolicyID] {
					t.Fatalf("round %d: two %s of policy %s", round, kind, it.PolicyID)
				}
				seen[it.PolicyID] = true
			}
			if g, w := shape(got), shape(want[kind]); !slices.Equal(g, w) {
				t.Fatalf("round %d: %d %s on PostgreSQL, %d synced alone into bbolt; first difference: %s",
					round, len(g), kind, len(w), firstDiff(g, w))
			}
			if n := pgCount(t, url, kind); n != len(got) {
				t.Fatalf("round %d: %d %s listed, %d rows", round, len(got), kind, n)
			}
			total += len(got)
		}
		if round == 0 && created != total {
			t.Fatalf("first sync: the two hosts created %d items, the catalogue holds %d", created, total)
		}
		t.Logf("round %d: %d products and plans, %d created by the two hosts", round, total, created)
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("%q vs %q", a[i], b[i])
		}
	}
	if len(a) > len(b) {
		return fmt.Sprintf("%q only on PostgreSQL", a[len(b)])
	}
	if len(b) > len(a) {
		return fmt.Sprintf("%q only in bbolt", b[len(a)])
	}
	return "none"
}

// expectFail runs args and requires exit code, stdout empty, stderr one
// line starting "tykportal: " holding every want, and no forbidden text.
func expectFail(t *testing.T, h *tool, code int, args []string, forbidden string, want ...string) result {
	t.Helper()
	r := h.run(args...)
	if r.code != code {
		t.Errorf("%v: exit %d, want %d; stderr %q", args, r.code, code, r.stderr)
		return r
	}
	if strings.TrimSpace(r.stdout) != "" {
		t.Errorf("%v: stdout holds %q after a failure", args, r.stdout)
	}
	if !strings.HasPrefix(r.stderr, "tykportal: ") {
		t.Errorf("%v: stderr %q", args, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("%v: stderr %q does not say %q", args, r.stderr, w)
		}
	}
	if forbidden != "" && strings.Contains(r.stdout+r.stderr, forbidden) {
		t.Errorf("%v: the output holds %q", args, forbidden)
	}
	return r
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// testConnectionFaults: every way the database can be wrong, through the
// commands that read, write and migrate: exit 1, nothing on stdout, one
// sentence on stderr that names the cause and what to do, never a
// password, and no schema created by anything but `db migrate`.
func testConnectionFaults(t *testing.T, srv *pgtest.Server, bin string) {
	_, dash := seedSim(t, dashboardtest.Options{UsersMe: true, Seed: 14})
	commands := [][]string{
		{"status"}, {"products", "list", "-o", "json"}, {"sync"}, {"provider", "list"},
		{"provider", "add", "prod", "--url", dash.URL, "--skip-check"},
	}
	db := srv.NewDatabase(t)
	wrong := "wrong-" + token()
	withPassword := func(url, pw string) string {
		return strings.Replace(url, ":"+pgtest.Password+"@", ":"+pw+"@", 1)
	}
	cases := []struct {
		name, url string
		env       []string
		want      []string
		migrate   []string // what `db migrate` says, when it fails the same way
	}{
		{name: "connection refused", url: fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/x?sslmode=disable", pgtest.Password, freePort(t)),
			want: []string{"cannot connect to PostgreSQL at postgres://postgres:xxxxx@127.0.0.1:", "connection refused"}},
		{name: "wrong password", url: withPassword(db, wrong),
			want: []string{"cannot connect to PostgreSQL", "refused the user or password"}},
		{name: "wrong PGPASSWORD", url: withPassword(db, ""), env: []string{"PGPASSWORD=" + wrong},
			want: []string{"cannot connect to PostgreSQL", "refused the user or password"}},
		{name: "sslmode=require, server without TLS", url: strings.Replace(db, "sslmode=disable", "sslmode=require", 1),
			want: []string{"cannot connect to PostgreSQL", "sslmode"}},
	}
	for _, tc := range cases {
		h := newHost(t, bin, tc.url, tc.env...)
		for _, args := range append(slices.Clone(commands), []string{"db", "migrate"}) {
			expectFail(t, h, 1, args, wrong, tc.want...)
			expectFail(t, h, 1, args, pgtest.Password)
		}
		if t.Failed() {
			t.Fatalf("case %s", tc.name)
		}
	}

	// Schema behind: a new database nobody migrated. Nothing but `db
	// migrate` creates a table.
	behind := newHost(t, bin, db, "TYKPORTAL_SECRET_PROD="+org1Secret)
	for _, args := range commands {
		expectFail(t, behind, 1, args, pgtest.Password, "schema is behind", "tykportal db migrate")
	}
	if rows := pgRows(t, db); rows != "" {
		t.Fatalf("an unmigrated database got rows from commands other than db migrate:\n%s", rows)
	}

	// Schema ahead: a newer tykportal migrated it.
	ahead := migratedDB(t, srv, bin)
	h := newHost(t, bin, ahead, "TYKPORTAL_SECRET_PROD="+org1Secret)
	h.must("provider", "add", "prod", "--url", dash.URL, "--skip-check")
	if _, err := pgConn(t, ahead).Exec(context.Background(), "UPDATE tykportal_schema SET version = version + 1"); err != nil {
		t.Fatal(err)
	}
	before := pgRows(t, ahead)
	for _, args := range append(slices.Clone(commands), []string{"db", "migrate"}) {
		expectFail(t, h, 1, args, pgtest.Password, "newer tykportal", "upgrade tykportal")
	}
	if after := pgRows(t, ahead); after != before {
		t.Fatalf("a database with a newer schema was changed:\nbefore %s\nafter %s", before, after)
	}
}

// testConcurrentMigrate: six hosts run `db migrate` on one new database at
// once: all exit 0, exactly one migrated it, and the schema is whole.
func testConcurrentMigrate(t *testing.T, srv *pgtest.Server, bin string) {
	url := srv.NewDatabase(t)
	res := make([]result, 6)
	var wg gosync.WaitGroup
	for i := range res {
		h := newHost(t, bin, url)
		wg.Add(1)
		go func() { defer wg.Done(); res[i] = h.run("db", "migrate", "-o", "json") }()
	}
	wg.Wait()
	migrated := 0
	for i, r := range res {
		if r.code != 0 {
			t.Fatalf("host %d: db migrate: exit %d: %s", i, r.code, r.stderr)
		}
		if pgDecode[struct{ From int }](t, "migrate", r.stdout).From == 0 {
			migrated++
		}
	}
	if migrated != 1 {
		t.Fatalf("%d hosts migrated from schema 0", migrated)
	}
	if n := pgCount(t, url, "tykportal_schema"); n != 1 {
		t.Fatalf("tykportal_schema has %d rows", n)
	}
	newHost(t, bin, url).must("status")
}

// testReadOnlyRole: a role that may only read (an auditor's, a reporting
// host's): reads work; a write exits 1 saying permission was denied, and
// nothing is written.
func testReadOnlyRole(t *testing.T, srv *pgtest.Server, bin string) {
	_, dash := seedSim(t, dashboardtest.Options{UsersMe: true, Seed: 19})
	url := migratedDB(t, srv, bin)
	admin := newHost(t, bin, url, "TYKPORTAL_SECRET_PROD="+org1Secret)
	admin.must("provider", "add", "prod", "--url", dash.URL, "--policy-tags", "portal")
	admin.must("sync")
	role, pw := "reader_"+token(), "pw-"+token()
	conn := pgConn(t, url)
	for _, sql := range []string{
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", role, pw),
		"GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role,
	} {
		if _, err := conn.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
	reader := newHost(t, bin, strings.Replace(url, "postgres:"+pgtest.Password+"@", role+":"+pw+"@", 1), "TYKPORTAL_SECRET_PROD="+org1Secret)
	if got, want := reader.must("products", "list", "--all", "-o", "json"), admin.must("products", "list", "--all", "-o", "json"); got != want {
		t.Fatal("the read-only role reads another catalogue")
	}
	reader.must("status")
	before := pgRows(t, url)
	product := fmt.Sprint(pgIDNamed(t, reader, "products", "Payments Product"))
	var msgs []string
	for _, args := range [][]string{{"products", "publish", product}, {"products", "edit", product, "--display-name", "x"}} {
		r := expectFail(t, reader, 1, args, pw, "permission denied")
		msgs = append(msgs, strings.TrimSpace(r.stderr))
	}
	// A sync prints its results also when it fails.
	r := reader.run("sync", "-o", "json")
	if rs := pgDecode[[]syncResult](t, "sync", r.stdout); r.code != 1 || len(rs) != 1 || rs[0].Status != "failed" || !strings.Contains(r.stderr, "permission denied") {
		t.Fatalf("sync as the read-only role: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	msgs = append(msgs, strings.TrimSpace(r.stderr))
	if pgRows(t, url) != before {
		t.Fatal("a role without write privilege changed the database")
	}
	for _, m := range msgs {
		if !strings.Contains(m, "PostgreSQL") {
			knownBug(t, "pgstore returns PostgreSQL's errors from inside a transaction unwrapped (no database named, no hint about the role's privileges)",
				"a write refused by PostgreSQL says %q", strings.Join(msgs, " | "))
		}
	}
}

// testUpperCaseScheme: a URL scheme in capitals is taken for PostgreSQL
// (URL schemes are case-insensitive): it must reach the database it names,
// or be refused as a usage error, never connect somewhere else.
func testUpperCaseScheme(t *testing.T, srv *pgtest.Server, bin string) {
	named := migratedDB(t, srv, bin)
	upper := "POSTGRES://" + strings.TrimPrefix(named, "postgres://")
	r := newHost(t, bin, upper).run("provider", "list", "-o", "json")
	if r.code != 0 && r.code != 2 || r.code == 0 && strings.TrimSpace(r.stdout) != "[]" {
		knownBug(t, "pgstore.IsURL matches the scheme case-insensitively, pgx.ParseConfig only in lower case: an upper-case URL is parsed as a keyword/value string",
			"TYKPORTAL_DB=%s: exit %d: %s", pgRedact(upper), r.code, strings.TrimSpace(r.stderr))
	}
}

// pgRedact hides the throwaway server's password in a message.
func pgRedact(s string) string { return strings.ReplaceAll(s, pgtest.Password, "xxxxx") }

// testSecretCanary: a provider added with a unique secret, used by every
// command that reaches its Dashboard (their failures included), on a
// shared database: the canary is in no row of any table, in no output, and
// in nothing of the second host; it is in the first host's own secret file
// (so the check is not vacuous).
func testSecretCanary(t *testing.T, srv *pgtest.Server, bin string) {
	sim, dash := seedSim(t, dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, Seed: 15})
	canary := "canary-" + token() + token()
	sim.AddUser(dashboardtest.User{OrgID: org1, Email: "canary@org1.example", AccessKey: canary, Permissions: map[string]string{"IsAdmin": "admin"}, Active: true})
	url := migratedDB(t, srv, bin)
	a := newHost(t, bin, url)
	b := newHost(t, bin, url)
	check := func(h *tool, want int, stdin string, args ...string) result {
		t.Helper()
		r := h.runIn("", stdin, args...)
		if strings.Contains(r.stdout+r.stderr, canary) {
			t.Fatalf("%v printed the secret", args)
		}
		if want >= 0 && r.code != want {
			t.Fatalf("%v: exit %d, want %d: %s", args, r.code, want, r.stderr)
		}
		return r
	}
	check(a, 0, canary+"\n", "provider", "add", "prod", "--url", dash.URL, "--policy-tags", "portal", "--secret-stdin")
	check(a, 0, "", "provider", "test", "prod", "-o", "json")
	check(a, 0, "", "sync", "-o", "json")
	product := fmt.Sprint(pgIDNamed(t, a, "products", "Payments Product"))
	plan := fmt.Sprint(pgIDNamed(t, a, "plans", "Gold Plan"))
	check(a, 0, "", "products", "publish", product)
	check(a, 0, "", "plans", "publish", plan)
	check(a, 0, "", "products", "edit", product, "--name", "Payments Renamed")
	check(a, 0, "", "products", "create", "--provider", "prod", "--name", "Canary Product", "--api", "payments", "-o", "json")
	check(a, 0, "", "credentials", "issue", "--product", product, "--plan", plan, "--consumer", "dev@example.com", "-o", "json")
	check(a, 0, "", "credentials", "rotate", "1", "-o", "json")
	check(a, 0, "", "credentials", "show", "1", "-o", "json")
	for _, args := range [][]string{{"provider", "list", "-o", "json"}, {"provider", "show", "prod", "-o", "yaml"}, {"status", "-o", "json"},
		{"doctor", "-o", "json"}, {"apis", "list", "--provider", "prod"}, {"credentials", "list", "-o", "json"}} {
		check(a, 0, "", args...)
	}
	// The Dashboard failing, echoing what it was sent.
	sim.SetFault("", "/api/portal/policies", 0, dashboardtest.Fault{Status: 500})
	check(a, 1, "", "sync", "-o", "json")
	check(a, 1, "", "provider", "test", "prod")
	sim.ClearFaults()
	// The other host has no secret for the provider: it fails, naming how
	// to give one, and never learns this host's.
	r := check(b, -1, "", "sync")
	if r.code == 0 {
		t.Fatalf("a host without the secret synced: %s", r.stdout)
	}
	t.Logf("a host without the secret: exit %d: %s", r.code, strings.TrimSpace(r.stderr))
	check(b, 0, "", "provider", "show", "prod", "-o", "json")

	if rows := pgRows(t, url); strings.Contains(rows, canary) {
		t.Fatal("the secret is in a row of the database")
	} else if !strings.Contains(rows, "Payments Renamed") {
		t.Fatal("the dump does not hold the catalogue: the check means nothing")
	}
	if log, err := os.ReadFile(filepath.Join(srv.Dir, "log")); err == nil && bytes.Contains(log, []byte(canary)) {
		t.Fatal("the secret is in the PostgreSQL server's log")
	}
	if !treeHolds(t, a.dir, canary) {
		t.Fatal("the first host's own files do not hold the secret: where did it go?")
	}
	if treeHolds(t, b.dir, canary) {
		t.Fatal("the second host's files hold the first host's secret")
	}
}

// treeHolds reports whether any file under dir contains s.
func treeHolds(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte(s)) {
			found = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// testCopyRoundTrip: a bbolt catalogue after a real sync and creates,
// edits and an issue → PostgreSQL → a new bbolt file: every list, the
// providers and the status read the same on all three; a copy onto a
// destination that holds records is exit 2 without --force and changes
// nothing (bbolt: not a byte; PostgreSQL: not a row); with --force it
// replaces the catalogue.
func testCopyRoundTrip(t *testing.T, srv *pgtest.Server, bin string) {
	_, dash := seedSim(t, dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, Seed: 16})
	h := newCLI(t, bin, "TYKPORTAL_SECRET_PROD="+org1Secret, "TYKPORTAL_SECRET_OTHER=demo-admin-key-org2")
	h.must("provider", "add", "prod", "--url", dash.URL, "--policy-tags", "portal")
	h.must("provider", "add", "other", "--url", dash.URL)
	h.must("sync")
	product := fmt.Sprint(pgIDNamed(t, h, "products", "Payments Product"))
	plan := fmt.Sprint(pgIDNamed(t, h, "plans", "Gold Plan"))
	h.must("products", "publish", product)
	h.must("plans", "publish", plan)
	h.must("products", "edit", product, "--display-name", "Payments", "--description", "Pay with ünïcode ✓ and \"quotes\" <&>")
	h.must("products", "create", "--provider", "prod", "--name", "Copied Product", "--api", "payments")
	h.must("plans", "create", "--provider", "prod", "--name", "Copied Plan", "--rate", "10", "--per", "60")
	h.must("credentials", "issue", "--product", product, "--plan", plan, "--consumer", "dev@example.com")
	h.must("sync") // a second result in the history, the creates now synced

	bolt := h.dbPath()
	pg := srv.NewDatabase(t) // not migrated: the copy migrates its destination
	bolt2 := filepath.Join(t.TempDir(), "copy", "t.db")
	h.must("db", "copy", "--from", bolt, "--to", pg)
	h.must("db", "copy", "--from", pg, "--to", bolt2)

	reads := [][]string{
		{"products", "list", "--all", "-o", "json"}, {"plans", "list", "--all", "-o", "json"},
		{"credentials", "list", "-o", "json"}, {"provider", "list", "-o", "json"}, {"status", "-o", "json"},
	}
	read := func(loc string) []string {
		var out []string
		for _, args := range reads {
			out = append(out, h.must(append([]string{"--db", loc}, args...)...))
		}
		return out
	}
	want := read(bolt)
	for _, loc := range []string{pg, bolt2} {
		got := read(loc)
		for i := range reads {
			if got[i] != want[i] {
				t.Errorf("%v on %s differs from the original:\n%s\nwant\n%s", reads[i], loc, got[i], want[i])
			}
		}
	}
	if !strings.Contains(want[0], "Copied Product") || !strings.Contains(want[2], "dev@example.com") {
		t.Fatalf("the catalogue lacks what was created: %s %s", want[0], want[2])
	}
	// The sequences came along: the next id on each copy is the next one
	// of the original, never one already used.
	var maxPlan uint64
	for _, it := range items(t, h, "plans") {
		maxPlan = max(maxPlan, it.ID)
	}
	for _, loc := range []string{pg, bolt2} {
		out := h.must("--db", loc, "plans", "create", "--provider", "prod", "--name", "After the copy "+token(), "--rate", "1", "--per", "1", "-o", "json")
		if id := pgDecode[item](t, "plans create", out).ID; id != maxPlan+1 {
			t.Errorf("the first plan created on %s has id %d, want %d", loc, id, maxPlan+1)
		}
	}
	// --force replaces a catalogue that has diverged.
	want = read(bolt)
	for _, loc := range []string{pg, bolt2} {
		h.must("db", "copy", "--from", bolt, "--to", loc, "--force")
		if got := read(loc); !slices.Equal(got, want) {
			t.Errorf("after copy --force, %s reads differently from the original", loc)
		}
	}

	// Onto a destination that holds records: refused, nothing changed,
	// also when the source has changed meanwhile.
	h.must("products", "edit", product, "--display-name", "Changed after the copy")
	rowsBefore := pgRows(t, pg)
	boltBefore, err := os.ReadFile(bolt2)
	if err != nil {
		t.Fatal(err)
	}
	expectFail(t, h, 2, []string{"db", "copy", "--from", bolt, "--to", pg}, pgtest.Password, "not empty", "--force")
	expectFail(t, h, 2, []string{"db", "copy", "--from", bolt, "--to", bolt2}, "", "not empty", "--force")
	if rowsBefore != pgRows(t, pg) {
		t.Fatal("a refused copy changed the PostgreSQL destination")
	}
	if boltAfter, _ := os.ReadFile(bolt2); !bytes.Equal(boltBefore, boltAfter) {
		t.Fatal("a refused copy changed the bbolt destination")
	}
	h.must("db", "copy", "--from", bolt, "--to", pg, "--force")
	if got := h.must("--db", pg, "products", "list", "--all", "-o", "json"); got != h.must("products", "list", "--all", "-o", "json") || !strings.Contains(got, "Changed after the copy") {
		t.Fatalf("copy --force did not replace the catalogue: %s", got)
	}
}

// testKilledMidSync: PostgreSQL stops while a sync waits for the
// Dashboard: the sync exits 1 with a sentence naming PostgreSQL, and once
// the server is back every row is as before — nothing half-written — and
// the next sync works.
func testKilledMidSync(t *testing.T, bin string) {
	srv := privatePG(t)
	sim, dash := seedSim(t, dashboardtest.Options{UsersMe: true, Seed: 17})
	sim.Generate(org1, 500, 50, 2)
	url := migratedDB(t, srv, bin)
	h := newHost(t, bin, url, "TYKPORTAL_SECRET_PROD="+org1Secret)
	h.must("provider", "add", "prod", "--url", dash.URL, "--policy-tags", "portal")
	h.must("sync")
	// Something for the next sync to write: renames and deletions.
	for i, p := range sim.Policies(org1)[:20] {
		mid := p["_id"].(string)
		if i%2 == 0 {
			_ = sim.DeletePolicy(mid)
		} else {
			_ = sim.UpdatePolicy(mid, func(p map[string]any) { p["name"] = fmt.Sprint(p["name"], " renamed") })
		}
	}
	t.Run("in the fetch", func(t *testing.T) { killInFetch(t, srv, sim, h, url) })
	t.Run("in the write", func(t *testing.T) { killInWrite(t, srv, sim, h, url) })
}

func killInFetch(t *testing.T, srv *pgtest.Server, sim *dashboardtest.Sim, h *tool, url string) {
	h = h.in(t)
	before := pgRows(t, url)
	listBefore := h.must("products", "list", "--all", "-o", "json")

	sim.SetFault("GET", "/api/portal/policies", 0, dashboardtest.Fault{Latency: 3 * time.Second})
	var stderr bytes.Buffer
	cmd := h.start("", &stderr, "sync", "--allow-mass-hide")
	time.Sleep(1 * time.Second) // the providers are read; the fetch waits
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if rerr := srv.Restart(); rerr != nil {
		t.Fatal(rerr)
	}
	sim.ClearFaults()
	if code != 1 {
		t.Fatalf("sync with PostgreSQL gone: %v, exit %d, want 1; stderr %q", err, code, stderr.String())
	}
	msg := strings.TrimSpace(stderr.String())
	if !strings.HasPrefix(msg, "tykportal: ") || strings.Count(msg, "\n") > 0 || !strings.Contains(msg, "PostgreSQL") || strings.Contains(msg, pgtest.Password) {
		t.Fatalf("stderr is not one sentence naming PostgreSQL: %q", msg)
	}
	t.Logf("stderr: %s", msg)
	if after := pgRows(t, url); after != before {
		t.Fatalf("the database changed across the failed sync:\nbefore:\n%.2000s\nafter:\n%.2000s", before, after)
	}
	if got := h.must("products", "list", "--all", "-o", "json"); got != listBefore {
		t.Fatal("the catalogue changed across the failed sync")
	}
	r := h.must("sync", "--allow-mass-hide", "-o", "json")
	rs := pgDecode[[]syncResult](t, "sync", r)
	if len(rs) != 1 || rs[0].Status != "ok" || rs[0].Products.Hidden+rs[0].Plans.Hidden == 0 {
		t.Fatalf("the sync after the restart: %s", r)
	}
}

// killInWrite: the server stops in the middle of a sync's write (a first
// sync of 10,000 more policies, stopped once its INSERT or COPY of
// products or plans is seen running): exit 1, and not one row of it is left.
func killInWrite(t *testing.T, srv *pgtest.Server, sim *dashboardtest.Sim, h *tool, url string) {
	h = h.in(t)
	sim.Generate(org1, 10000, 500, 4)
	before := pgRows(t, url)
	listBefore := h.must("products", "list", "--all", "-o", "json")
	watch := pgConn(t, url)
	var stderr bytes.Buffer
	cmd := h.start("", &stderr, "sync", "--allow-mass-hide")
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	seen := false
	for deadline := time.Now().Add(30 * time.Second); !seen && time.Now().Before(deadline); {
		select {
		case <-done:
			deadline = time.Time{}
		default:
		}
		var n int
		if err := watch.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
			AND (query ILIKE 'INSERT INTO products%' OR query ILIKE 'INSERT INTO plans%'
				OR query ILIKE 'copy "products"%' OR query ILIKE 'copy "plans"%')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		seen = n > 0
		if !seen {
			time.Sleep(2 * time.Millisecond)
		}
	}
	if !seen {
		<-done
		t.Fatalf("the sync's write was never seen running (exit %d: %s)", cmd.ProcessState.ExitCode(), stderr.String())
	}
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done
	code := cmd.ProcessState.ExitCode()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	msg := strings.TrimSpace(stderr.String())
	t.Logf("killed in the write: exit %d: %s", code, msg)
	if code != 1 || strings.Contains(msg, pgtest.Password) {
		t.Fatalf("sync killed in its write: exit %d, want 1: %q", code, msg)
	}
	if after := pgRows(t, url); after != before {
		t.Fatalf("a sync killed in its write left part of it:\nbefore:\n%.2000s\nafter:\n%.2000s", before, after)
	}
	if got := h.must("products", "list", "--all", "-o", "json"); got != listBefore {
		t.Fatal("the catalogue changed across the killed write")
	}
	h.must("sync", "--allow-mass-hide")
	if !strings.Contains(msg, "PostgreSQL") {
		knownBug(t, "pgstore returns pgx's connection errors from inside a transaction unwrapped (View/Update do not say which database failed)",
			"a sync whose connection died in its write says %q: it does not name PostgreSQL", msg)
	}
}
