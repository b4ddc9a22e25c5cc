//go:build ignore

// Command gen writes, outside the repository, a state file with the records the
// compatibility test (cmd/tykportal/statefile_test.go) reads, by driving the
// real tykportal binary against two Dashboard simulators (cmd/dashboard-sim)
// on 127.0.0.1, then has that test write its goldens from the new file:
//
//	go run testdata/statefile/gen.go            # from the repository root
//
// Nothing is faked: every record in the file is one the code wrote through
// its ordinary commands. The story (see README.md next to this file) makes
// the file hold every record kind: two providers, successful and failed
// syncs, placeholder, edited, published, created, hidden and restored
// products and plans, keys, an OAuth client, a revoked and a rotated
// credential, and three interrupted operations left in the journal.
//
// The work directory is a fixed path (-work, default
// /tmp/tykportal-statefile-v1) so that the one path stored in the file, the
// edge provider's CA file, is the same on every regeneration. It is removed
// first and at the end.
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	workDir = flag.String("work", "/tmp/tykportal-statefile-v1", "work directory (removed first and at the end)")
	outPath = flag.String("out", filepath.Join(os.TempDir(), "tykportal-statefile-v1.db"), "where the state file goes (not into the repository: records.json is made from it)")
	goldens = flag.Bool("goldens", true, "then write the goldens (go test ./cmd/tykportal -run TestStateFile -statefile.update) and run the test")
	verbose = flag.Bool("v", false, "print every command's output")
)

const (
	org1 = "5fd08e0f69710900018bc195"
	org2 = "6a1b2c3d4e5f60718293a4b5"
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

type sim struct {
	cmd *exec.Cmd
	url string
}

func (s *sim) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
	s.cmd = nil
}

// control calls the simulator's /__sim control endpoint.
func (s *sim) control(method, path, body string) {
	req, err := http.NewRequest(method, s.url+"/__sim/"+path, strings.NewReader(body))
	check(err)
	res, err := http.DefaultClient.Do(req)
	check(err)
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		fail("sim %s %s: %d %s", method, path, res.StatusCode, out)
	}
}

func (s *sim) fault(method, path string, status int) {
	body, err := json.Marshal(map[string]any{"method": method, "path": path, "status": status})
	check(err)
	s.control("POST", "faults", string(body))
}

func (s *sim) clearFaults() { s.control("DELETE", "faults", "") }

func (s *sim) tags(mid, op, tag string) {
	s.control("POST", "policies/"+mid+"/tags", fmt.Sprintf(`{%q:[%q]}`, op, tag))
}

type genError struct{ msg string }

func fail(format string, args ...any) { panic(genError{fmt.Sprintf(format, args...)}) }

func check(err error) {
	if err != nil {
		panic(genError{err.Error()})
	}
}

func run() (err error) {
	if _, err := os.Stat("cmd/tykportal/main.go"); err != nil {
		return errors.New("run from the repository root: go run testdata/statefile/gen.go")
	}
	work := *workDir
	if !filepath.IsAbs(work) {
		return fmt.Errorf("-work %q must be absolute", work)
	}
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(work, "bin"), 0o700); err != nil {
		return err
	}
	var sims []*sim
	defer func() {
		for _, s := range sims {
			s.stop()
		}
		os.RemoveAll(work)
		if r := recover(); r != nil {
			ge, ok := r.(genError)
			if !ok {
				panic(r)
			}
			err = errors.New(ge.msg)
		}
	}()

	for _, c := range []string{"tykportal", "dashboard-sim"} {
		step("go build ./cmd/%s", c)
		out, err := exec.Command("go", "build", "-o", filepath.Join(work, "bin", c), "./cmd/"+c).CombinedOutput()
		if err != nil {
			fail("build %s: %v\n%s", c, err, out)
		}
	}
	startSim := func(name string) *sim {
		urlFile := filepath.Join(work, name+".url")
		cmd := exec.Command(filepath.Join(work, "bin", "dashboard-sim"), "--addr", "127.0.0.1:0", "--data", "testdata/dashboard", "--url-file", urlFile)
		cmd.Stderr = io.Discard
		check(cmd.Start())
		s := &sim{cmd: cmd}
		sims = append(sims, s)
		for i := 0; i < 200; i++ {
			if b, err := os.ReadFile(urlFile); err == nil && len(b) > 0 {
				s.url = strings.TrimSpace(string(b))
				step("simulator %s at %s", name, s.url)
				return s
			}
			time.Sleep(25 * time.Millisecond)
		}
		fail("simulator %s did not start", name)
		return nil
	}
	dash := startSim("main")
	edge := startSim("edge")

	ca := filepath.Join(work, "edge-ca.pem")
	writeCA(ca)

	db := filepath.Join(work, "state", "tykportal.db")
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(work, "home"),
		"TMPDIR=" + os.TempDir(),
		"TZ=UTC",
		"NO_COLOR=1",
		"TYKPORTAL_DB=" + db,
		// Secrets from the environment: nothing goes to a keyring or file.
		"TYKPORTAL_SECRET_PROD=demo-admin-key-org1",
		"TYKPORTAL_SECRET_EDGE=demo-admin-key-org2",
		// Should anything try to store a secret, the plain file store, not the keyring.
		"TYKPORTAL_SECRET_STORE=file",
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(work, "no-dbus"),
	}
	tp := func(wantCode int, args ...string) string {
		step("tykportal %s", strings.Join(args, " "))
		cmd := exec.Command(filepath.Join(work, "bin", "tykportal"), args...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			check(err)
		}
		if *verbose || code != wantCode {
			fmt.Fprintf(os.Stderr, "%s%s", stdout.String(), stderr.String())
		}
		if code != wantCode {
			fail("tykportal %s: exit %d, want %d", strings.Join(args, " "), code, wantCode)
		}
		return stdout.String()
	}

	// Providers: prod imports the policies tagged portal of org 1; edge has
	// every optional field (gateway URL, explicit org id, CA file,
	// insecure-skip-verify) and imports all policies of org 2.
	tp(0, "provider", "add", "prod", "--url", dash.url, "--policy-tags", "portal")
	tp(0, "provider", "add", "edge", "--url", edge.url, "--gateway-url", "https://gateway.edge.example.com/",
		"--org-id", org2, "--ca-file", ca, "--insecure-skip-verify")
	tp(0, "provider", "test", "prod")

	// First sync of both: placeholders.
	tp(0, "sync", "-o", "json")

	products := listIDs(tp(0, "products", "list", "--all", "-o", "json"))
	plans := listIDs(tp(0, "plans", "list", "--all", "-o", "json"))
	pay, orders, oauth := products.id("Payments Product"), products.id("Orders Product"), products.id("Accounts OAuth Product")
	gold := plans.id("Gold Plan")

	// Local configuration: display names, descriptions, published.
	tp(0, "products", "edit", pay, "--display-name", "Payments for partners", "--description", "Card payments and refunds.\nSandbox first, then live.")
	tp(0, "products", "publish", pay)
	tp(0, "plans", "edit", gold, "--display-name", "Gold \u2605", "--description", "10,000 requests a day, \"fair use\" <b>applies</b> & more")
	tp(0, "plans", "publish", gold)
	tp(0, "products", "publish", orders) // published, then hidden: published_before_hide
	tp(0, "products", "publish", oauth)

	// Created by tykportal, policy and all.
	bundle := jsonField(tp(0, "products", "create", "--provider", "prod", "--name", "Partner Bundle", "--api", "payments", "--api", "refunds",
		"--display-name", "Partner bundle", "--description", "Payments and refunds in one product", "-o", "json"), "id")
	bronze := jsonField(tp(0, "plans", "create", "--provider", "prod", "--name", "Bronze Plan", "--rate", "10", "--per", "60",
		"--quota", "1000", "--quota-period", "86400", "--throttle-interval", "2.5", "--throttle-retries", "3", "--key-expires", "3600",
		"--display-name", "Bronze", "--description", "Starter plan", "-o", "json"), "id")
	tp(0, "plans", "create", "--provider", "prod", "--name", "Unlimited Plan", "--unlimited-rate", "--unlimited-quota", "-o", "json")
	tp(0, "products", "publish", bundle)
	tp(0, "plans", "publish", bronze)
	// The next sync sees the created policies: unchanged, not placeholders.
	tp(0, "sync", "prod", "-o", "json")

	// Credentials: a key, a key revoked, an OAuth client.
	tp(0, "credentials", "issue", "--product", pay, "--plan", gold, "--consumer", "dev@example.com", "-o", "json")
	tp(0, "credentials", "issue", "--product", bundle, "--plan", bronze, "--consumer", "ops@example.com", "--alias", "ops-nightly", "-o", "json")
	tp(0, "credentials", "revoke", "2", "--yes")
	tp(0, "credentials", "issue", "--product", oauth, "--plan", gold, "--consumer", "app@example.com",
		"--redirect-uri", "https://app.example.com/cb", "-o", "json")

	// Hidden: two products and a plan lose their tag; one product comes back.
	dash.tags(products.mid("Payments Product"), "remove", "portal")
	dash.tags(products.mid("Orders Product"), "remove", "portal")
	dash.tags(plans.mid("Silver Plan"), "remove", "portal")
	tp(0, "sync", "prod", "-o", "json")
	dash.tags(products.mid("Payments Product"), "add", "portal")
	tp(0, "sync", "prod", "-o", "json")

	// Interrupted operations, left in the journal: a policy create and a
	// key create answered 500 (the Dashboard may have created them), and a
	// rotate whose old key could not be deleted.
	dash.fault("POST", "/api/portal/policies", 500)
	tp(1, "products", "create", "--provider", "prod", "--name", "Interrupted Product", "--api", "payments")
	dash.clearFaults()
	dash.fault("POST", "/api/keys", 500)
	tp(1, "credentials", "issue", "--product", pay, "--plan", gold, "--consumer", "late@example.com")
	dash.clearFaults()
	creds := tp(0, "credentials", "list", "-o", "json")
	var cl []struct {
		ID      uint64 `json:"id"`
		KeyHash string `json:"key_hash"`
	}
	check(json.Unmarshal([]byte(creds), &cl))
	if len(cl) == 0 || cl[0].ID != 1 || cl[0].KeyHash == "" {
		fail("credential 1 has no key hash: %s", creds)
	}
	dash.fault("DELETE", "/api/keys/"+cl[0].KeyHash, 500)
	tp(1, "credentials", "rotate", "1", "-o", "json")
	dash.clearFaults()

	// A failed sync: edge's Dashboard is stopped.
	edge.stop()
	tp(1, "sync", "edge", "-o", "json")
	tp(0, "status")

	dash.stop()
	// Copy the file out without its unallocated tail. The store reserves
	// 256 MiB of address space, so bbolt grows the file 16 MiB at a time;
	// everything past the high-water mark of the last commit (meta pgid
	// times the page size, bbolt's Tx.Size) is zeros no page refers to.
	data, err := os.ReadFile(db)
	check(err)
	used := highWater(db)
	if used <= 0 || used > int64(len(data)) {
		fail("high-water mark %d of a %d-byte file", used, len(data))
	}
	for _, b := range data[used:] {
		if b != 0 {
			fail("%s has data past its high-water mark %d", db, used)
		}
	}
	check(os.MkdirAll(filepath.Dir(*outPath), 0o755))
	check(os.WriteFile(*outPath, data[:used], 0o644))
	if got := highWater(*outPath); got != used {
		fail("the trimmed copy reads as %d bytes, want %d", got, used)
	}
	step("wrote %s (%d of %d bytes)", *outPath, used, len(data))

	if *goldens {
		// The goldens are what the test reads from the new file with this
		// same code; then the test runs as CI runs it.
		for _, args := range [][]string{
			{"test", "-count=1", "-run", "^TestStateFile$", "./cmd/tykportal", "-statefile.update", "-statefile.from=" + mustAbs(*outPath)},
			{"test", "-count=1", "-race", "-run", "StateFile", "./cmd/tykportal"},
		} {
			step("go %s", strings.Join(args, " "))
			cmd := exec.Command("go", args...)
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			if err := cmd.Run(); err != nil {
				fail("go %s: %v", strings.Join(args, " "), err)
			}
		}
	}
	return nil
}

func step(format string, args ...any) { fmt.Fprintf(os.Stderr, "== "+format+"\n", args...) }

// items indexes a list of products or plans by name.
type items map[string]struct {
	ID        uint64 `json:"id"`
	PolicyMID string `json:"policy_mid"`
}

func listIDs(out string) items {
	var list []struct {
		ID        uint64 `json:"id"`
		Name      string `json:"name"`
		PolicyMID string `json:"policy_mid"`
	}
	check(json.Unmarshal([]byte(out), &list))
	m := items{}
	for _, x := range list {
		m[x.Name] = struct {
			ID        uint64 `json:"id"`
			PolicyMID string `json:"policy_mid"`
		}{x.ID, x.PolicyMID}
	}
	return m
}

func (m items) id(name string) string {
	x, ok := m[name]
	if !ok {
		fail("no item %q", name)
	}
	return fmt.Sprint(x.ID)
}

func (m items) mid(name string) string {
	x, ok := m[name]
	if !ok || x.PolicyMID == "" {
		fail("no policy _id of %q", name)
	}
	return x.PolicyMID
}

func jsonField(out, field string) string {
	var m map[string]any
	check(json.Unmarshal([]byte(out), &m))
	v, ok := m[field]
	if !ok {
		fail("no %q in %s", field, out)
	}
	return fmt.Sprint(v)
}

// writeCA writes a self-signed CA certificate (the file only has to parse:
// edge's Dashboard is plain HTTP and is stopped before the last sync).
func writeCA(path string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tykportal statefile test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	check(err)
	check(os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
}

// highWater opens a bbolt file read-only, checks its consistency and
// returns the size its last commit uses.
func highWater(path string) int64 {
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	check(err)
	defer b.Close()
	var size int64
	check(b.View(func(tx *bolt.Tx) error {
		var problems []string
		for err := range tx.Check() {
			problems = append(problems, err.Error())
		}
		if len(problems) > 0 {
			return fmt.Errorf("bbolt check of %s: %s", path, strings.Join(problems, "; "))
		}
		size = tx.Size()
		return nil
	}))
	return size
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return a
}
