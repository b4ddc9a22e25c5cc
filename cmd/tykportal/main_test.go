package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
	"github.com/tykportal/tykportal/pkg/store/boltstore"
	"github.com/tykportal/tykportal/pkg/store/pgstore"
	"github.com/tykportal/tykportal/pkg/store/pgstore/pgtest"
)

// The end-to-end suite: every script in testdata/script runs the real
// tykportal binary (this test binary re-executed) against real Dashboard
// simulators over HTTP on 127.0.0.1, with a real bbolt file in $WORK.
func TestMain(m *testing.M) {
	testscript.Main(stopsPostgres{m}, map[string]func(){
		"tykportal": func() { os.Exit(run()) },
	})
}

// stopsPostgres stops the throwaway PostgreSQL server, if a test started
// one, once the tests have run.
type stopsPostgres struct{ m *testing.M }

func (s stopsPostgres) Run() int {
	defer pgtest.StopShared()
	return s.m.Run()
}

func TestScripts(t *testing.T) { runScripts(t, nil) }

// TestScriptsPostgres runs every script again with the state in a fresh,
// migrated PostgreSQL database of a throwaway server ([pg] is true there):
// the use cases run unchanged on both backends.
func TestScriptsPostgres(t *testing.T) {
	srv := pgtest.Shared(t)
	runScripts(t, srv)
}

func runScripts(t *testing.T, pg *pgtest.Server) {
	seed, err := filepath.Abs("../../testdata/dashboard")
	if err != nil {
		t.Fatal(err)
	}
	sims := &simRegistry{byScript: map[*testscript.TestScript]map[string]*simInstance{}, seed: seed}
	fixtures := newFixtureRegistry()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("UPDATE_SCRIPTS") == "1",
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("XDG_STATE_HOME", filepath.Join(env.WorkDir, ".local", "state"))
			env.Setenv("TYKPORTAL_DB", filepath.Join(env.WorkDir, "state", "tykportal.db"))
			// The opt-in secret file lives next to a bbolt state file; on a
			// shared database, in the host's own state directory.
			env.Setenv("SECRETS_FILE", filepath.Join(env.WorkDir, "state", "secrets.json"))
			if pg != nil {
				env.Setenv("SECRETS_FILE", filepath.Join(env.WorkDir, ".local", "state", "tykportal", "secrets.json"))
				url, drop, err := pg.CreateDatabase()
				if err != nil {
					return err
				}
				env.Defer(drop)
				if _, _, err := pgstore.Migrate(context.Background(), url); err != nil {
					return err
				}
				env.Setenv("TYKPORTAL_DB", url)
			}
			// The real keyring is tested on its own (scripts/keyring-test.sh);
			// here secrets go to the file store, and a keyring call fails fast.
			env.Setenv("TYKPORTAL_SECRET_STORE", "file")
			env.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(env.WorkDir, "no-dbus"))
			env.Setenv("TYKPORTAL_LOCK_TIMEOUT", "1s")
			env.Setenv("NO_COLOR", "")
			env.Setenv("SEED", seed)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "pg" {
				return pg != nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":        cmdExits,
			"filemode":     cmdFileMode,
			"sim":          sims.cmd,
			"fixtures":     fixtures.cmd,
			"jsonget":      cmdJSONGet,
			"jsonenv":      cmdJSONEnv,
			"gencert":      cmdGenCert,
			"idof":         cmdIDOf,
			"absent":       cmdAbsent,
			"holddb":       cmdHoldDB,
			"allornothing": cmdAllOrNothing,
			"killloop":     cmdKillLoop,
			"termafter":    cmdTermAfter,
			"dbsave":       cmdDBSave,
			"dbsame":       cmdDBSame,
			"dbdump":       cmdDBDump,
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				time.Sleep(d)
			},
		},
	})
}

// dbsave NAME keeps the state as it is now under NAME, for dbsame; on
// bbolt the file's bytes, on PostgreSQL every row of every table.
func cmdDBSave(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: dbsave NAME")
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]+".state"), stateBytes(ts), 0o600))
}

// dbsame NAME fails unless the state is exactly what dbsave NAME kept:
// the same bytes of the bbolt file, the same rows of PostgreSQL.
func cmdDBSame(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: dbsame NAME")
	}
	before, err := os.ReadFile(ts.MkAbs(args[0] + ".state"))
	ts.Check(err)
	same := bytes.Equal(before, stateBytes(ts))
	if same == neg {
		ts.Fatalf("the state is %s what dbsave %s kept", map[bool]string{true: "still", false: "no longer"}[same], args[0])
	}
}

// dbdump FILE writes the whole state to FILE (the bbolt file's bytes, or
// every PostgreSQL row), for absent and grep.
func cmdDBDump(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: dbdump FILE")
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), stateBytes(ts), 0o600))
}

func stateBytes(ts *testscript.TestScript) []byte {
	loc := ts.Getenv("TYKPORTAL_DB")
	if !pgstore.IsURL(loc) {
		b, err := os.ReadFile(loc)
		if errors.Is(err, os.ErrNotExist) {
			return []byte("no state file")
		}
		ts.Check(err)
		return b
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, loc)
	ts.Check(err)
	defer conn.Close(ctx)
	var out bytes.Buffer
	for _, table := range []string{"providers", "products", "plans", "credentials", "operations", "sync_history", "last_sync", "sequences"} {
		rows, err := conn.Query(ctx, "SELECT to_jsonb(t)::text FROM "+table+" t ORDER BY 1")
		ts.Check(err)
		for rows.Next() {
			var line string
			ts.Check(rows.Scan(&line))
			fmt.Fprintf(&out, "%s %s\n", table, line)
		}
		ts.Check(rows.Err())
		rows.Close()
	}
	return out.Bytes()
}

// exits N CMD ARGS... runs CMD and checks that it exits with code N; stdout
// and stderr are then available to the stdout/stderr commands.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// filemode PATH MODE checks a file's permission bits (octal).
func cmdFileMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: filemode PATH MODE")
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	if got := fi.Mode().Perm(); (uint64(got) == want) == neg {
		ts.Fatalf("%s has mode %o, want %s%o", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// jsonget FILE PATH... prints the value at a dotted path of a JSON file to
// the script's stdout buffer (as `stdout` then sees it).
func cmdJSONGet(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: jsonget FILE DOTTED.PATH")
	}
	v := jsonAt(ts, args[0], args[1])
	out, err := json.Marshal(v)
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "%s\n", out)
}

// jsonAt reads FILE and returns the value at a dotted path of keys and
// array indexes.
func jsonAt(ts *testscript.TestScript, file, path string) any {
	var v any
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(file)), &v))
	for _, part := range strings.Split(path, ".") {
		switch cur := v.(type) {
		case map[string]any:
			v = cur[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(cur) {
				ts.Fatalf("%s: no index %q", file, part)
			}
			v = cur[i]
		default:
			ts.Fatalf("%s: %q: not an object or array", file, part)
		}
	}
	return v
}

// jsonenv FILE DOTTED.PATH VAR sets VAR to the string (or JSON) at a path.
func cmdJSONEnv(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: jsonenv FILE DOTTED.PATH VAR")
	}
	v := jsonAt(ts, args[0], args[1])
	if str, ok := v.(string); ok {
		ts.Setenv(args[2], str)
		return
	}
	out, err := json.Marshal(v)
	ts.Check(err)
	ts.Setenv(args[2], string(out))
}

// gencert FILE writes a fresh self-signed CA certificate (PEM) that signed
// nothing the simulators use.
func cmdGenCert(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: gencert FILE")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "unrelated test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
}

// idof products|plans NAME VAR sets $VAR to the local id of the item named
// NAME, read with the real binary (`KIND list --all -o json`).
func cmdIDOf(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: idof products|plans NAME VAR")
	}
	ts.Check(ts.Exec("tykportal", args[0], "list", "--all", "-o", "json"))
	var items []struct {
		ID   uint64 `json:"id"`
		Name string `json:"name"`
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile("stdout")), &items))
	for _, it := range items {
		if it.Name == args[1] {
			ts.Setenv(args[2], strconv.FormatUint(it.ID, 10))
			return
		}
	}
	ts.Fatalf("no %s named %q", args[0], args[1])
}

// absent NEEDLE_FILE FILE... fails if any FILE holds the text of NEEDLE_FILE
// (trimmed, JSON quotes removed): a printed key or secret must appear
// nowhere else. "stdout" and "stderr" name the last command's output.
func cmdAbsent(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: absent NEEDLE_FILE FILE...")
	}
	needle := strings.Trim(strings.TrimSpace(ts.ReadFile(args[0])), `"`)
	if len(needle) < 8 {
		ts.Fatalf("absent: needle %q is too short to mean anything", needle)
	}
	for _, f := range args[1:] {
		var data string
		if f == "stdout" || f == "stderr" {
			data = ts.ReadFile(f)
		} else {
			raw, err := os.ReadFile(ts.MkAbs(f))
			ts.Check(err)
			data = string(raw)
		}
		if strings.Contains(data, needle) {
			ts.Fatalf("%s contains the secret text from %s", f, args[0])
		}
	}
}

// holddb DURATION opens the state file read-write in this test process and
// holds its lock for DURATION in the background, as another tykportal
// process would; it returns once the lock is held.
func cmdHoldDB(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: holddb DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	db, err := boltstore.Open(context.Background(), ts.Getenv("TYKPORTAL_DB"), boltstore.Options{LockTimeout: 5 * time.Second})
	ts.Check(err)
	done := make(chan struct{})
	go func() {
		time.Sleep(d)
		db.Close()
		close(done)
	}()
	ts.Defer(func() { <-done })
}

// allornothing FILE reads a `status -o json` document and fails unless each
// provider's catalogue is empty (before the first sync) or complete (after
// it): a killed sync must never leave half its transaction behind.
func cmdAllOrNothing(ts *testscript.TestScript, neg bool, args []string) {
	var rows []struct {
		Name     string `json:"name"`
		Products struct {
			Total int `json:"total"`
		} `json:"products"`
		Plans struct {
			Total int `json:"total"`
		} `json:"plans"`
		LastSyncStatus *string `json:"last_sync_status"`
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &rows))
	for _, r := range rows {
		empty := r.Products.Total == 0 && r.Plans.Total == 0
		if empty != (r.LastSyncStatus == nil) {
			ts.Fatalf("provider %s: %d products, %d plans, last sync %v: the outcome and the catalogue disagree", r.Name, r.Products.Total, r.Plans.Total, r.LastSyncStatus)
		}
		ts.Logf("provider %s: %d products, %d plans", r.Name, r.Products.Total, r.Plans.Total)
	}
}

// termafter DURATION ARGS... runs `tykportal ARGS`, sends SIGTERM after
// DURATION and requires exit code 0; its stderr is then the script's stderr.
func cmdTermAfter(ts *testscript.TestScript, neg bool, args []string) {
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	cmd := exec.Command(binaryInPath(ts), args[1:]...)
	cmd.Env = scriptEnv(ts)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	ts.Check(cmd.Start())
	time.Sleep(d)
	ts.Check(cmd.Process.Signal(syscall.SIGTERM))
	err = cmd.Wait()
	ts.Logf("stderr:\n%s", stderr.String())
	if err != nil {
		ts.Fatalf("after SIGTERM: %v", err)
	}
}

func binaryInPath(ts *testscript.TestScript) string {
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		if fi, err := os.Stat(filepath.Join(dir, "tykportal")); err == nil && !fi.IsDir() {
			return filepath.Join(dir, "tykportal")
		}
	}
	ts.Fatalf("tykportal not in PATH")
	return ""
}

// scriptEnv is the environment a script's exec would give, for commands
// this harness starts itself.
func scriptEnv(ts *testscript.TestScript) []string {
	env := os.Environ()
	for _, k := range []string{"HOME", "TYKPORTAL_DB", "TYKPORTAL_SECRET_STORE", "TYKPORTAL_LOCK_TIMEOUT", "XDG_STATE_HOME", "DBUS_SESSION_BUS_ADDRESS"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	for _, k := range strings.Fields(ts.Getenv("EXTRA_ENV")) {
		env = append(env, k+"="+ts.Getenv(k))
	}
	return env
}

// killloop N ARGS... runs `tykportal ARGS` N times, each killed with
// SIGKILL after a delay spread over the run (seeded, so reproducible), and
// after each run checks with `status -o json` that the state file opens and
// is all-or-nothing.
func cmdKillLoop(ts *testscript.TestScript, neg bool, args []string) {
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	bin, env := binaryInPath(ts), scriptEnv(ts)
	rng := mrand.New(mrand.NewPCG(7, 11))
	killed := 0
	for i := 0; i < n; i++ {
		cmd := exec.Command(bin, args[1:]...)
		cmd.Env = env
		ts.Check(cmd.Start())
		delay := time.Duration(rng.IntN(400)) * time.Millisecond
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(delay):
			_ = cmd.Process.Kill()
			<-done
			killed++
		}
		ts.Check(ts.Exec("tykportal", "status", "-o", "json"))
		cmdAllOrNothing(ts, false, []string{"stdout"})
	}
	ts.Logf("killloop: %d runs, %d killed mid-way", n, killed)
}

// issueCert makes a CA and a server certificate signed by it: "tls-expired"
// for 127.0.0.1 but expired, "tls-wronghost" valid but for another name.
func issueCert(ts *testscript.TestScript, kind string) ([]byte, tls.Certificate) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(48 * time.Hour), KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	ts.Check(err)
	ca, err := x509.ParseCertificate(caDER)
	ts.Check(err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "dashboard"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	if kind == "tls-expired" {
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	} else {
		tmpl.IPAddresses, tmpl.DNSNames = nil, []string{"dashboard.example.com"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	ts.Check(err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

type simInstance struct {
	sim *dashboardtest.Sim
	srv *httptest.Server
}

// simRegistry keeps each script's simulators; scripts run in parallel.
type simRegistry struct {
	mu       gosync.Mutex
	byScript map[*testscript.TestScript]map[string]*simInstance
	seed     string
}

func (r *simRegistry) get(ts *testscript.TestScript, name string) *simInstance {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.byScript[ts][name]
	if s == nil {
		ts.Fatalf("no simulator %q: run `sim start %s` first", name, name)
	}
	return s
}

// sim start NAME [bundled] [legacy] [pagesize=N] [latency=D] [nousersme] [usersme401] [noseed] [nodeletebyhash] [tls]
//
//	starts a Dashboard simulator on 127.0.0.1 and sets $NAME_URL.
//
// sim fault NAME METHOD PATH PAGE KIND [VALUE] [times=N]
//
//	KIND: status (VALUE = code), garbage, truncated, reset, latency (VALUE = duration),
//	huge (VALUE = bytes), contenttype (VALUE), redirect (VALUE = URL), ratelimit (VALUE = retry-after s)
//
// sim clearfaults NAME
// sim tag NAME POLICY_NAME add|remove TAG
// sim rename NAME POLICY_NAME NEW_NAME
// sim setfield NAME POLICY_NAME FIELD JSON
// sim delete NAME POLICY_NAME
// sim dump NAME policy POLICY_NAME FILE | policies FILE | keys FILE | oauth API_ID FILE
// sim generate NAME ORG POLICIES APIS
func (r *simRegistry) cmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: sim start|fault|clearfaults|tag|rename|setfield|delete|dump NAME ...")
	}
	verb, name, rest := args[0], args[1], args[2:]
	if verb == "start" {
		opts := dashboardtest.Options{UsersMe: true, HashKeys: true, DeleteByHash: true, Seed: 42}
		seed, useTLS, certKind := true, false, ""
		for _, o := range rest {
			k, v, _ := strings.Cut(o, "=")
			switch k {
			case "legacy":
				opts.Legacy = true
			case "pagesize":
				n, err := strconv.Atoi(v)
				ts.Check(err)
				opts.PageSize = n
			case "latency":
				d, err := time.ParseDuration(v)
				ts.Check(err)
				opts.Latency = d
			case "bundled":
				// As cmd/dashboard-sim serves it by default (the README's
				// tour): its ids and page size.
				opts = dashboardtest.Defaults()
				opts.PageSize, opts.Seed = 10, 1
			case "nousersme":
				opts.UsersMe = false
			case "usersme401":
				opts.UsersMeUnauthorized = true
			case "nodeletebyhash":
				opts.DeleteByHash = false
			case "noseed":
				seed = false
			case "tls":
				useTLS = true
			case "tls-expired", "tls-wronghost":
				useTLS, certKind = true, k
			default:
				ts.Fatalf("sim start: unknown option %q", o)
			}
		}
		s := dashboardtest.New(opts)
		if seed {
			ts.Check(s.LoadDir(r.seed))
		}
		var srv *httptest.Server
		switch {
		case certKind != "":
			// A certificate from a CA of our own, expired or for another
			// host; the CA goes to $WORK/NAME-ca.pem for --ca-file.
			srv = httptest.NewUnstartedServer(s.Handler())
			caPEM, leaf := issueCert(ts, certKind)
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}}
			srv.StartTLS()
			ts.Check(os.WriteFile(ts.MkAbs(name+"-ca.pem"), caPEM, 0o644))
		case useTLS:
			// A self-signed certificate; its PEM goes to $WORK/NAME-ca.pem
			// for --ca-file.
			srv = httptest.NewTLSServer(s.Handler())
			pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
			ts.Check(os.WriteFile(ts.MkAbs(name+"-ca.pem"), pemBytes, 0o644))
		default:
			srv = httptest.NewServer(s.Handler())
		}
		ts.Defer(srv.Close)
		r.mu.Lock()
		if r.byScript[ts] == nil {
			r.byScript[ts] = map[string]*simInstance{}
			ts.Defer(func() { r.mu.Lock(); delete(r.byScript, ts); r.mu.Unlock() })
		}
		r.byScript[ts][name] = &simInstance{sim: s, srv: srv}
		r.mu.Unlock()
		ts.Setenv(strings.ToUpper(name)+"_URL", srv.URL)
		return
	}
	inst := r.get(ts, name)
	s := inst.sim
	switch verb {
	case "fault":
		if len(rest) < 4 {
			ts.Fatalf("usage: sim fault NAME METHOD PATH PAGE KIND [VALUE] [times=N]")
		}
		method, path := rest[0], rest[1]
		if method == "any" {
			method = ""
		}
		page, err := strconv.Atoi(rest[2])
		ts.Check(err)
		var f dashboardtest.Fault
		kind := rest[3]
		val := ""
		tail := rest[4:]
		if len(tail) > 0 && !strings.HasPrefix(tail[0], "times=") {
			val, tail = tail[0], tail[1:]
		}
		for _, t := range tail {
			n, err := strconv.Atoi(strings.TrimPrefix(t, "times="))
			ts.Check(err)
			f.Times = n
		}
		switch kind {
		case "status":
			f.Status, err = strconv.Atoi(val)
			ts.Check(err)
		case "garbage":
			f.Garbage = true
		case "truncated":
			f.Truncated = true
		case "reset":
			f.Reset = true
		case "latency":
			f.Latency, err = time.ParseDuration(val)
			ts.Check(err)
		case "hold":
			f.Hold, err = time.ParseDuration(val)
			ts.Check(err)
		case "huge":
			f.Huge, err = strconv.ParseInt(val, 10, 64)
			ts.Check(err)
		case "contenttype":
			f.Garbage, f.ContentType = true, val
		case "redirect":
			f.RedirectTo = val
		case "ratelimit":
			f.Status = 429
			f.RetryAfter, err = strconv.Atoi(val)
			ts.Check(err)
		case "claimpages": // a hostile Dashboard (dashboardtest/hostile.go)
			f.ClaimPages, err = strconv.Atoi(val)
			ts.Check(err)
		case "shortpage":
			f.ShortPage = val
		case "echosecret":
			f.EchoSecret, f.Status = val, 400
		case "endless":
			f.Endless = val
		default:
			ts.Fatalf("sim fault: unknown kind %q", kind)
		}
		s.SetFault(method, path, page, f)
	case "clearfaults":
		s.ClearFaults()
	case "tag", "rename", "setfield", "delete":
		if len(rest) < 1 {
			ts.Fatalf("sim %s NAME POLICY_NAME ...", verb)
		}
		mid := findPolicy(ts, s, rest[0])
		switch verb {
		case "tag":
			if len(rest) != 3 {
				ts.Fatalf("usage: sim tag NAME POLICY_NAME add|remove TAG")
			}
			ts.Check(s.UpdatePolicy(mid, func(p map[string]any) { p["tags"] = editTags(p["tags"], rest[1], rest[2]) }))
		case "rename":
			if len(rest) != 2 {
				ts.Fatalf("usage: sim rename NAME POLICY_NAME NEW_NAME")
			}
			ts.Check(s.UpdatePolicy(mid, func(p map[string]any) { p["name"] = rest[1] }))
		case "setfield":
			if len(rest) != 3 {
				ts.Fatalf("usage: sim setfield NAME POLICY_NAME FIELD JSON")
			}
			var v any
			ts.Check(json.Unmarshal([]byte(rest[2]), &v))
			ts.Check(s.UpdatePolicy(mid, func(p map[string]any) { p[rest[1]] = v }))
		case "delete":
			ts.Check(s.DeletePolicy(mid))
		}
	case "dump":
		if len(rest) < 2 {
			ts.Fatalf("usage: sim dump NAME policy POLICY_NAME FILE | policies FILE | keys FILE | oauth API_ID FILE")
		}
		var v any
		file := rest[len(rest)-1]
		switch rest[0] {
		case "policy":
			v, _ = s.Policy(findPolicy(ts, s, rest[1]))
		case "policies":
			v = s.Policies("")
		case "keys":
			v = s.Keys("")
		case "oauth":
			v = s.OAuthClients(rest[1])
		default:
			ts.Fatalf("sim dump: unknown kind %q", rest[0])
		}
		out, err := json.MarshalIndent(v, "", "  ")
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(file), out, 0o644))
	case "count":
		// sim count NAME keys|policies|oauth:API_ID N
		if len(rest) != 2 {
			ts.Fatalf("usage: sim count NAME keys|policies|oauth:API_ID N")
		}
		want, err := strconv.Atoi(rest[1])
		ts.Check(err)
		var got int
		switch kind, api, _ := strings.Cut(rest[0], ":"); kind {
		case "keys":
			got = len(s.Keys(""))
		case "policies":
			got = len(s.Policies(""))
		case "oauth":
			got = len(s.OAuthClients(api))
		default:
			ts.Fatalf("sim count: unknown kind %q", rest[0])
		}
		if (got == want) == neg {
			ts.Fatalf("simulator has %d %s, want %s%d", got, rest[0], map[bool]string{true: "not ", false: ""}[neg], want)
		}
	case "generate":
		if len(rest) != 3 {
			ts.Fatalf("usage: sim generate NAME ORG POLICIES APIS")
		}
		np, err := strconv.Atoi(rest[1])
		ts.Check(err)
		na, err := strconv.Atoi(rest[2])
		ts.Check(err)
		s.Generate(rest[0], np, na, 1)
		s.AddUser(dashboardtest.User{OrgID: rest[0], Email: "bench@example.com", AccessKey: "bench-admin-key", Active: true})
	default:
		ts.Fatalf("sim: unknown verb %q", verb)
	}
}

func findPolicy(ts *testscript.TestScript, s *dashboardtest.Sim, name string) string {
	for _, p := range s.Policies("") {
		if p["name"] == name {
			mid, _ := p["_id"].(string)
			return mid
		}
	}
	ts.Fatalf("simulator has no policy named %q", name)
	return ""
}

func editTags(cur any, op, tag string) []any {
	var out []any
	list, _ := cur.([]any)
	for _, t := range list {
		if t != tag {
			out = append(out, t)
		}
	}
	if op == "add" {
		out = append(out, tag)
	}
	if out == nil {
		out = []any{}
	}
	return out
}
