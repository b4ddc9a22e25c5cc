package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/diff"
	bolt "go.etcd.io/bbolt"

	"github.com/tykportal/tykportal/pkg/dashboard/dashboardtest"
)

// The state file compatibility test: testdata/statefile/v1/records.json is
// every bucket, sequence, key and value, byte for byte, of the state file
// the tykportal of commit 1dc4d0b wrote (testdata/statefile/gen.go drove the
// real binary against the Dashboard simulator; see README.md there). The
// test writes those records into a new bbolt file in a temporary directory
// (no state file is checked in), and every later tykportal must read it
// exactly as that one did, and write into it records byte for byte as that
// one would.
//
//	go test -race -run StateFile ./cmd/tykportal/
//	go run testdata/statefile/gen.go   # regenerate (only with the code that wrote the records)

var (
	updateStateFile = flag.Bool("statefile.update", false, "rewrite testdata/statefile/v1's goldens (records.json included) from the state file -statefile.from")
	stateFileFrom   = flag.String("statefile.from", "", "with -statefile.update: the state file testdata/statefile/gen.go wrote with the old code")
	// What a read prints may change on purpose (a new time format, new
	// units): this rewrites only those goldens, never records.json, whose
	// bytes are what 1dc4d0b wrote and stay so.
	updateStateFileReads = flag.Bool("statefile.reads", false, "rewrite testdata/statefile/v1's read goldens (not records.json) after a deliberate change of what a command prints")
)

const (
	stateFileDir  = "../../testdata/statefile/v1"
	recordsGolden = "records.json"
)

// stateFileReads are the read commands and their goldens. None of them may
// call a Dashboard: the providers' URLs are the simulators' of the day the
// file was written (`credentials show`, which asks for the live state, is
// left out for that reason).
var stateFileReads = []struct {
	golden string
	args   []string
}{
	{"provider_list.json", []string{"provider", "list", "-o", "json"}},
	{"provider_show_prod.json", []string{"provider", "show", "prod", "-o", "json"}},
	{"provider_show_edge.json", []string{"provider", "show", "edge", "-o", "json"}},
	{"products_list_all.json", []string{"products", "list", "--all", "-o", "json"}},
	{"products_list.json", []string{"products", "list", "-o", "json"}},
	{"products_list_hidden.json", []string{"products", "list", "--hidden", "-o", "json"}},
	{"plans_list_all.json", []string{"plans", "list", "--all", "-o", "json"}},
	{"plans_list_edge.json", []string{"plans", "list", "--all", "--provider", "edge", "-o", "json"}},
	// edge's placeholder; the product restored with its display name,
	// description and published state; the hidden one that was published;
	// the one created with `products create`.
	{"products_show_1.json", []string{"products", "show", "1", "-o", "json"}},
	{"products_show_3.json", []string{"products", "show", "3", "-o", "json"}},
	{"products_show_6.json", []string{"products", "show", "6", "-o", "json"}},
	{"products_show_9.json", []string{"products", "show", "9", "-o", "json"}},
	// hidden placeholder; published with display name and description;
	// created with every limit; created unlimited.
	{"plans_show_2.json", []string{"plans", "show", "2", "-o", "json"}},
	{"plans_show_5.json", []string{"plans", "show", "5", "-o", "json"}},
	{"plans_show_6.json", []string{"plans", "show", "6", "-o", "json"}},
	{"plans_show_7.json", []string{"plans", "show", "7", "-o", "json"}},
	{"credentials_list.json", []string{"credentials", "list", "-o", "json"}},
	{"status.json", []string{"status", "-o", "json"}},
	// The same data as tables, which decode the same records.
	{"provider_list.txt", []string{"provider", "list"}},
	{"provider_show_edge.txt", []string{"provider", "show", "edge"}},
	{"products_list_all.txt", []string{"products", "list", "--all"}},
	{"plans_list_all.txt", []string{"plans", "list", "--all"}},
	{"products_show_3.txt", []string{"products", "show", "3"}},
	{"plans_show_6.txt", []string{"plans", "show", "6"}},
	{"credentials_list.txt", []string{"credentials", "list"}},
	{"status.txt", []string{"status"}},
}

// noDashboard makes a command fail at once should it call a Dashboard
// after all (the old URL may by now belong to some other local service).
const noDashboard = "--timeout=1ns"

func TestStateFile(t *testing.T) {
	if *updateStateFile && *stateFileFrom == "" {
		t.Fatal("-statefile.update needs -statefile.from: the state file gen.go wrote (testdata/statefile/README.md)")
	}
	bin := buildBinary(t)
	c := stateFileCLI(t, bin)

	// The stored records, byte for byte.
	records := dumpRecords(t, c.dbPath())
	compareGolden(t, recordsGolden, records)
	var golden stateDump
	if err := json.Unmarshal(records, &golden); err != nil {
		t.Fatal(err)
	}

	// Every read, exactly as the writing tykportal printed it.
	for _, r := range stateFileReads {
		res := c.run(append(slices.Clone(r.args), noDashboard)...)
		if res.code != 0 {
			t.Errorf("tykportal %s: exit %d: %s", strings.Join(r.args, " "), res.code, res.stderr)
			continue
		}
		compareGolden(t, r.golden, []byte(res.stdout))
	}
	if *updateStateFile || t.Failed() {
		return
	}
	if got := dumpRecords(t, c.dbPath()); !bytes.Equal(got, records) {
		t.Fatalf("a read command changed the state file:\n%s", diff.Diff("before", records, "after", got))
	}

	// Writes into the old file rewrite exactly the records they change, as
	// the writing tykportal would have written them, and nothing else:
	// publishing placeholders (published, placeholder and updated_at
	// change), unpublishing a product with a line break in its description
	// and a plan with quotes, <, > and & in its description and a non-ASCII
	// display name (stored escaped as json.Marshal escapes them).
	published := [][2]string{{`"published":false`, `"published":true`}, {`"placeholder":true`, `"placeholder":false`}}
	unpublished := [][2]string{{`"published":true`, `"published":false`}}
	writes := []struct {
		args   []string
		bucket string
		id     uint64
		swaps  [][2]string
	}{
		{[]string{"products", "publish", "2"}, "products", 2, published},
		{[]string{"plans", "publish", "3"}, "plans", 3, published},
		{[]string{"products", "unpublish", "3"}, "products", 3, unpublished},
		{[]string{"plans", "unpublish", "5"}, "plans", 5, unpublished},
	}
	for _, w := range writes {
		c.must(w.args...)
	}
	after := decodeDump(t, dumpRecords(t, c.dbPath()))
	for _, w := range writes {
		checkRewritten(t, golden, after, w.bucket, w.id, w.swaps)
	}
	if diffs := dumpDiffs(golden, after); len(diffs) != len(writes) {
		t.Errorf("%d writes of one record each changed %d records:\n%s", len(writes), len(diffs), strings.Join(diffs, "\n"))
	}
	readsStillWork(t, c)

	// A sync of the old file against a fresh simulator with the seed data
	// and ids of the generation run: the policies created then are gone
	// (hidden), the ones hidden then are back (restored).
	_, srv := seedSim(t, stateFileSimOptions())
	c.must("provider", "edit", "prod", "--url", srv.URL)
	var results []struct {
		Provider string `json:"provider"`
		Status   string `json:"status"`
		Error    string `json:"error"`
		Products struct {
			Created, Updated, Hidden, Restored, Unchanged int
		} `json:"products"`
		Plans struct {
			Created, Updated, Hidden, Restored, Unchanged int
		} `json:"plans"`
	}
	mustJSON(t, c.must("sync", "prod", "-o", "json"), &results)
	if len(results) != 1 || results[0].Status != "ok" {
		t.Fatalf("sync prod: %+v", results)
	}
	r := results[0]
	// products: Partner Bundle hidden, Orders restored, 6 unchanged;
	// plans: Bronze and Unlimited hidden, Silver restored, 3 unchanged.
	if p := r.Products; p.Created != 0 || p.Hidden != 1 || p.Restored != 1 || p.Updated != 0 || p.Unchanged != 6 {
		t.Errorf("sync prod: products %+v, want 1 hidden, 1 restored, 6 unchanged", p)
	}
	if p := r.Plans; p.Created != 0 || p.Hidden != 2 || p.Restored != 1 || p.Updated != 0 || p.Unchanged != 3 {
		t.Errorf("sync prod: plans %+v, want 2 hidden, 1 restored, 3 unchanged", p)
	}
	readsStillWork(t, c)
	var status []struct {
		Name           string `json:"name"`
		Status         string `json:"status"`
		LastSyncStatus string `json:"last_sync_status"`
	}
	mustJSON(t, c.must("status", "-o", "json"), &status)
	if len(status) != 2 || status[1].Name != "prod" || status[1].Status != "up" || status[1].LastSyncStatus != "ok" ||
		status[0].Name != "edge" || status[0].LastSyncStatus != "failed" {
		t.Errorf("status after the sync: %+v", status)
	}

	// The journal's interrupted operations read back as they were stored:
	// doctor (which asks the fresh simulator, where none of them left an
	// object) reports each of them, every field intact.
	var doc struct {
		Operations []struct {
			Operation map[string]any `json:"operation"`
			State     string         `json:"state"`
		} `json:"operations"`
	}
	mustJSON(t, c.must("doctor", "--provider", "prod", "-o", "json"), &doc)
	var stored []map[string]any
	for _, rec := range golden.bucket("operations").Records {
		var op map[string]any
		if err := json.Unmarshal([]byte(rec.Value), &op); err != nil {
			t.Fatal(err)
		}
		// Output prints every time to the second (one form everywhere);
		// the record keeps what was stored.
		for k, v := range op {
			if str, ok := v.(string); ok {
				if at, err := time.Parse(time.RFC3339Nano, str); err == nil {
					op[k] = at.UTC().Truncate(time.Second).Format(time.RFC3339)
				}
			}
		}
		stored = append(stored, op)
	}
	if len(stored) == 0 {
		t.Fatal("the state file has no journaled operation")
	}
	if len(doc.Operations) != len(stored) {
		t.Fatalf("doctor reports %d operations, the journal holds %d", len(doc.Operations), len(stored))
	}
	for i, op := range doc.Operations {
		if got, want := mustMarshal(t, op.Operation), mustMarshal(t, stored[i]); got != want {
			t.Errorf("doctor's operation %d:\n got %s\nwant %s", i, got, want)
		}
		if op.State != "absent" {
			t.Errorf("doctor: operation %v is %q, want absent", op.Operation["id"], op.State)
		}
	}
}

// stateFileSimOptions are dashboard-sim's defaults: seed 1 gives the
// policies the _ids they had when the file was written.
func stateFileSimOptions() dashboardtest.Options {
	o := dashboardtest.Defaults()
	o.Seed = 1
	return o
}

// stateFileCLI copies the checked-in file into a fresh directory and gives
// a tool on the copy, in a fixed environment: the providers' secrets from
// the environment (secret_source "env"), no colour, UTC, and nothing from
// the caller's environment but PATH.
// stateFileCLI is a tool whose state file, in its own temporary directory,
// holds exactly the records 1dc4d0b wrote: every bucket, sequence, key and
// value of records.json, byte for byte (no state file is checked in). With
// -statefile.update it is a copy of the file gen.go wrote instead.
func stateFileCLI(t *testing.T, bin string) *tool {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "state", "t.db")
	if err := os.MkdirAll(filepath.Dir(db), 0o700); err != nil {
		t.Fatal(err)
	}
	if *updateStateFile {
		src, err := os.Open(*stateFileFrom)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		dst, err := os.OpenFile(db, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			t.Fatal(err)
		}
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
	} else {
		writeStateFile(t, db, decodeDump(t, readGolden(t, recordsGolden)))
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"TZ=UTC",
		"NO_COLOR=1",
		"TYKPORTAL_DB=" + db,
		"TYKPORTAL_SECRET_PROD=demo-admin-key-org1",
		"TYKPORTAL_SECRET_EDGE=demo-admin-key-org2",
		"TYKPORTAL_SECRET_STORE=file",
		"TYKPORTAL_LOCK_TIMEOUT=5s",
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(dir, "no-dbus"),
	}
	return &tool{t: t, bin: bin, dir: dir, env: env}
}

// writeStateFile writes a bbolt file holding exactly the dump's buckets,
// sequences, keys and values, with the page size 1dc4d0b gave new files.
func writeStateFile(t *testing.T, path string, d stateDump) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{PageSize: 16 << 10, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range d.Buckets {
			bk, err := tx.CreateBucket([]byte(b.Name))
			if err != nil {
				return err
			}
			for _, r := range b.Records {
				key, err := hex.DecodeString(r.keyHex())
				if err != nil {
					return err
				}
				val := []byte(r.Value)
				if r.ValueHex != "" {
					if val, err = hex.DecodeString(r.ValueHex); err != nil {
						return err
					}
				}
				if err := bk.Put(key, val); err != nil {
					return err
				}
			}
			if err := bk.SetSequence(b.Sequence); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("write the state file from %s: %v", recordsGolden, err)
	}
}

// readsStillWork runs every read command again: exit 0 and a JSON (or
// table) answer; the contents have changed, so no golden.
func readsStillWork(t *testing.T, c *tool) {
	t.Helper()
	for _, r := range stateFileReads {
		res := c.run(append(slices.Clone(r.args), noDashboard)...)
		if res.code != 0 {
			t.Errorf("after a write: tykportal %s: exit %d: %s", strings.Join(r.args, " "), res.code, res.stderr)
			continue
		}
		if strings.HasSuffix(r.golden, ".json") && !json.Valid([]byte(res.stdout)) {
			t.Errorf("after a write: tykportal %s: not JSON:\n%s", strings.Join(r.args, " "), res.stdout)
		}
	}
}

// checkRewritten checks a product or plan record rewritten by the code
// under test against the record the old code stored: the same bytes but for
// swaps (each must occur exactly once) and updated_at (a new time).
func checkRewritten(t *testing.T, old, cur stateDump, bucket string, id uint64, swaps [][2]string) {
	t.Helper()
	key := hex.EncodeToString(idKey(id))
	was, ok1 := old.bucket(bucket).record(key)
	now, ok2 := cur.bucket(bucket).record(key)
	if !ok1 || !ok2 {
		t.Fatalf("%s %d: record missing (before %v, after %v)", bucket, id, ok1, ok2)
	}
	var fields struct {
		UpdatedAt string `json:"updated_at"`
	}
	mustJSON(t, was.Value, &fields)
	oldUpdated := fields.UpdatedAt
	mustJSON(t, now.Value, &fields)
	newUpdated := fields.UpdatedAt
	if _, err := time.Parse(time.RFC3339Nano, newUpdated); err != nil || newUpdated == oldUpdated {
		t.Errorf("%s %d: updated_at %q after the write (was %q)", bucket, id, newUpdated, oldUpdated)
	}
	want := was.Value
	for _, r := range append(slices.Clone(swaps), [2]string{`"updated_at":"` + oldUpdated + `"`, `"updated_at":"` + newUpdated + `"`}) {
		if strings.Count(want, r[0]) != 1 {
			t.Fatalf("%s %d: the stored record does not hold %s once: %s", bucket, id, r[0], want)
		}
		want = strings.Replace(want, r[0], r[1], 1)
	}
	if now.Value != want {
		t.Errorf("%s %d was rewritten with other bytes than the writing tykportal's:\n got %s\nwant %s", bucket, id, now.Value, want)
	}
}

// stateDump is records.json: every bucket of the file with its sequence
// and every key and value, values as the exact stored bytes.
type stateDump struct {
	Buckets []dumpBucket `json:"buckets"`
}

type dumpBucket struct {
	Name     string       `json:"name"`
	Sequence uint64       `json:"sequence"`
	Records  []dumpRecord `json:"records"`
}

// dumpRecord holds a key as text when it is printable ASCII (provider
// names, meta keys), else as hex (the 8-byte big-endian ids), and a value
// as text when it is valid UTF-8 without control bytes (the JSON records),
// else as hex (schema version, last_sync's history keys).
type dumpRecord struct {
	Key      string `json:"key,omitempty"`
	KeyHex   string `json:"key_hex,omitempty"`
	ID       uint64 `json:"id,omitempty"`
	Value    string `json:"value,omitempty"`
	ValueHex string `json:"value_hex,omitempty"`
}

func (d stateDump) bucket(name string) dumpBucket {
	for _, b := range d.Buckets {
		if b.Name == name {
			return b
		}
	}
	return dumpBucket{Name: name}
}

// record finds a record by its hex key.
func (b dumpBucket) record(keyHex string) (dumpRecord, bool) {
	for _, r := range b.Records {
		if r.keyHex() == keyHex {
			return r, true
		}
	}
	return dumpRecord{}, false
}

func (r dumpRecord) keyHex() string {
	if r.KeyHex != "" {
		return r.KeyHex
	}
	return hex.EncodeToString([]byte(r.Key))
}

func (r dumpRecord) value() string {
	if r.ValueHex != "" {
		return "hex:" + r.ValueHex
	}
	return r.Value
}

// dumpDiffs lists the records and sequences that differ between two dumps.
func dumpDiffs(a, b stateDump) []string {
	var out []string
	names := map[string]bool{}
	for _, d := range []stateDump{a, b} {
		for _, bk := range d.Buckets {
			names[bk.Name] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		ba, bb := a.bucket(name), b.bucket(name)
		if ba.Sequence != bb.Sequence {
			out = append(out, fmt.Sprintf("%s: sequence %d, was %d", name, bb.Sequence, ba.Sequence))
		}
		keys := map[string]bool{}
		for _, r := range append(slices.Clone(ba.Records), bb.Records...) {
			keys[r.keyHex()] = true
		}
		for k := range keys {
			ra, oka := ba.record(k)
			rb, okb := bb.record(k)
			switch {
			case !oka:
				out = append(out, fmt.Sprintf("%s %s: added", name, k))
			case !okb:
				out = append(out, fmt.Sprintf("%s %s: removed", name, k))
			case ra.value() != rb.value():
				out = append(out, fmt.Sprintf("%s %s: changed", name, k))
			}
		}
	}
	slices.Sort(out)
	return out
}

// dumpRecords reads every bucket of a bbolt file, read-only, with bbolt
// itself (not the store package, whose code is what changes), after
// checking the file's consistency.
func dumpRecords(t *testing.T, path string) []byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open %s read-only: %v", path, err)
	}
	defer db.Close()
	var d stateDump
	err = db.View(func(tx *bolt.Tx) error {
		var problems []string
		for err := range tx.Check() {
			problems = append(problems, err.Error())
		}
		if len(problems) > 0 {
			return fmt.Errorf("bbolt check: %s", strings.Join(problems, "; "))
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			bk := dumpBucket{Name: string(name), Sequence: b.Sequence(), Records: []dumpRecord{}}
			err := b.ForEach(func(k, v []byte) error {
				if v == nil {
					return fmt.Errorf("bucket %s: nested bucket %x", name, k)
				}
				var r dumpRecord
				if printable(k) {
					r.Key = string(k)
				} else {
					r.KeyHex = hex.EncodeToString(k)
					if len(k) == 8 {
						r.ID = keyID(k)
					}
				}
				if len(v) > 0 && utf8.Valid(v) && !hasControl(v) {
					r.Value = string(v)
				} else {
					r.ValueHex = hex.EncodeToString(v)
				}
				bk.Records = append(bk.Records, r)
				return nil
			})
			d.Buckets = append(d.Buckets, bk)
			return err
		})
	})
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decodeDump(t *testing.T, raw []byte) stateDump {
	t.Helper()
	var d stateDump
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func printable(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// idKey and keyID are the store's id keys (8 bytes, big-endian), written
// out here so that the test does not depend on the store package.
func idKey(id uint64) []byte {
	k := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		k[i] = byte(id)
		id >>= 8
	}
	return k
}

func keyID(k []byte) uint64 {
	var id uint64
	for _, c := range k {
		id = id<<8 | uint64(c)
	}
	return id
}

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(stateFileDir, name))
	if err != nil {
		t.Fatalf("golden %s: %v (regenerate with -statefile.update, see testdata/statefile/README.md)", name, err)
	}
	return data
}

func writeGolden(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(stateFileDir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// compareGolden compares output with a golden file exactly, showing a
// diff; with -statefile.update it writes the golden instead.
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	if *updateStateFile || (*updateStateFileReads && name != recordsGolden) {
		writeGolden(t, name, got)
		return
	}
	want := readGolden(t, name)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden (- golden, + now):\n%s", name, diff.Diff(name, want, "now", got))
	}
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
