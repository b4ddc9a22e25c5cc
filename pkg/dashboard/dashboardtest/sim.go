// Package dashboardtest is an in-memory Tyk Dashboard served over HTTP, for
// tests, the demo and benchmarks. It follows the Dashboard's wire format
// (paths, paging with p and p<0, the raw Authorization header, error bodies
// {"Status","Message","Meta"}, org scoping and RBAC permissions), keeps
// objects as generic JSON so fields no client knows survive as a real
// Dashboard keeps them, and injects faults per path and page.
//
// It deliberately does not import the client (package dashboard): it is
// written against the documented wire format, and the recorded real answers
// in testdata/dashboard/recorded keep it honest.
//
// Control endpoint (no auth, same listener), for scripts:
//
//	POST   /__sim/faults                 {"method","path","page", Fault fields}
//	DELETE /__sim/faults
//	GET    /__sim/policies[?org=ID]      every policy
//	POST   /__sim/policies?org=ID        add a policy (body: the policy)
//	POST   /__sim/policies/{_id}/tags    {"add":[...],"remove":[...]}
//	DELETE /__sim/policies/{_id}
//	GET    /__sim/keys                   stored sessions (hashes, never plaintext keys)
//	GET    /__sim/oauth?api=ID           an API's OAuth clients
//	GET    /__sim/requests               the request log
package dashboardtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"
)

// Options configure a simulator. The zero value is a strict Dashboard:
// /api/users/me off, keys not hashed, delete-by-hash off; Defaults() gives
// the common production set-up.
type Options struct {
	PageSize int           // default 10 (the Dashboard's page_size)
	Legacy   bool          // ignore p<0: answer page 1 and the real page count
	Latency  time.Duration // added to every /api request
	UsersMe  bool          // GET /api/users/me works with the API secret
	// UsersMeUnauthorized: GET /api/users/me answers 401, as a Dashboard
	// that wants a session cookie there (its spec says so) does.
	UsersMeUnauthorized bool
	HashKeys            bool // keys stored hashed, key_hash returned
	DeleteByHash        bool // enable_delete_key_by_hash
	// NoHashedKeyListing refuses key lists while keys are hashed, as a
	// Dashboard without enable_hashed_keys_listing does: 404 "Could not
	// retrieve keys." (the Dashboard's spec).
	NoHashedKeyListing bool
	Seed               int64 // ids are drawn from this seed (deterministic runs)
}

// Defaults is a Dashboard as usually deployed: users/me on, hashed keys,
// delete by hash enabled.
func Defaults() Options { return Options{UsersMe: true, HashKeys: true, DeleteByHash: true} }

// User is a Dashboard user.
type User struct {
	ID          string            `json:"id"`
	OrgID       string            `json:"org_id"`
	Email       string            `json:"email_address"`
	GroupID     string            `json:"group_id"`
	AccessKey   string            `json:"access_key"`
	Permissions map[string]string `json:"user_permissions"`
	Active      bool              `json:"active"`
}

// Fault is an injected failure.
type Fault struct {
	Status      int           `json:"status"`
	Latency     time.Duration `json:"latency"`
	Garbage     bool          `json:"garbage"`
	Truncated   bool          `json:"truncated"`
	Reset       bool          `json:"reset"`
	Huge        int64         `json:"huge"`
	ContentType string        `json:"content_type"`
	RedirectTo  string        `json:"redirect_to"`
	RetryAfter  int           `json:"retry_after"`
	// Hold delays the answer after the request took effect: the object is
	// created, and a client killed or timed out meanwhile never learns it.
	Hold  time.Duration `json:"hold"`
	Times int           `json:"times"` // how many matching requests; 0: all

	// A hostile Dashboard (hostile.go): a list answer that claims
	// ClaimPages pages, whose list is ShortPage ("empty": [], "null"); an
	// error whose Message echoes the request's secret encoded as
	// EchoSecret ("verbatim", "base64", "hex", "url"); an answer that
	// never ends, Endless ("string": one endless string, "list": an
	// endless list of small items).
	ClaimPages int    `json:"claim_pages"`
	ShortPage  string `json:"short_page"`
	EchoSecret string `json:"echo_secret"`
	Endless    string `json:"endless"`
}

type faultRule struct {
	method, path string
	page         int
	fault        Fault
	used         int
}

// RequestLog is one request the simulator answered.
type RequestLog struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query"`
	Page   int    `json:"page"`
	Status int    `json:"status"`
}

type apiRec struct {
	org     string
	def     map[string]any
	oas     map[string]any
	created time.Time
}

type keyRec struct {
	org     string
	hash    string
	session map[string]any
}

// Sim is the in-memory Dashboard.
type Sim struct {
	mu       gosync.RWMutex
	opts     Options
	rng      *mrand.Rand
	orgs     map[string]bool
	users    []*User
	apis     []*apiRec
	policies []map[string]any
	keys     map[string]*keyRec // by hash
	oauth    map[string][]map[string]any
	faults   []*faultRule
	log      []RequestLog
	now      func() time.Time
	// gen counts changes to which policies and APIs exist (under mu's
	// write lock); lists caches what each viewer sees between changes.
	gen   uint64
	lists listCache
}

// listCache keeps each viewer's visible policies and APIs until the next
// change: paging through 10,000 policies otherwise scanned all of them for
// every page of 10, and that quadratic work (not the client under test)
// dominated legacy-mode runs on two cores. A real Dashboard pages in its
// database, on another machine.
type listCache struct {
	mu       gosync.Mutex
	gen      uint64
	policies map[string][]map[string]any // by viewer org ("" sees every org)
	apis     map[string][]*apiRec
}

// fresh drops the lists when the data changed since they were built; the
// caller holds lists.mu and at least s.mu's read lock.
func (s *Sim) fresh() {
	if s.lists.policies == nil || s.lists.gen != s.gen {
		s.lists.gen = s.gen
		s.lists.policies = map[string][]map[string]any{}
		s.lists.apis = map[string][]*apiRec{}
	}
}

// visiblePolicies is the policies u sees, in Dashboard order; the caller
// holds s.mu (read or write). Entries are the stored maps: in-place edits
// show through.
func (s *Sim) visiblePolicies(u *User) []map[string]any {
	s.lists.mu.Lock()
	defer s.lists.mu.Unlock()
	s.fresh()
	if l, ok := s.lists.policies[u.OrgID]; ok {
		return l
	}
	mine := []map[string]any{}
	for _, p := range s.policies {
		if visible(u, p["org_id"]) {
			mine = append(mine, p)
		}
	}
	s.lists.policies[u.OrgID] = mine
	return mine
}

// visibleAPIs is the APIs u sees, in Dashboard order (see visiblePolicies).
func (s *Sim) visibleAPIs(u *User) []*apiRec {
	s.lists.mu.Lock()
	defer s.lists.mu.Unlock()
	s.fresh()
	if l, ok := s.lists.apis[u.OrgID]; ok {
		return l
	}
	mine := []*apiRec{}
	for _, a := range s.apis {
		if visible(u, a.org) {
			mine = append(mine, a)
		}
	}
	s.lists.apis[u.OrgID] = mine
	return mine
}

// New returns a simulator with no data.
func New(opts Options) *Sim {
	if opts.PageSize <= 0 {
		opts.PageSize = 10
	}
	seed := opts.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	return &Sim{
		opts: opts, rng: mrand.New(mrand.NewPCG(uint64(seed), 0x7a1)),
		orgs: map[string]bool{}, keys: map[string]*keyRec{}, oauth: map[string][]map[string]any{},
		now: time.Now,
	}
}

// Server is a simulator listening on 127.0.0.1.
type Server struct {
	*Sim
	URL string
}

// NewServer starts a simulator on 127.0.0.1, closed when the test ends.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &Server{Sim: s, URL: srv.URL}
}

func (s *Sim) hexID(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	return hex.EncodeToString(b)
}

// AddOrg registers an org.
func (s *Sim) AddOrg(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orgs[id] = true
}

// AddUser adds a user and returns its access key (generated when empty).
func (s *Sim) AddUser(u User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == "" {
		u.ID = s.hexID(12)
	}
	if u.AccessKey == "" {
		u.AccessKey = s.hexID(16)
	}
	if u.Permissions == nil {
		u.Permissions = map[string]string{}
	}
	s.orgs[u.OrgID] = true
	s.users = append(s.users, &u)
	return u.AccessKey
}

// AddAPI adds a classic API definition and returns its database id.
func (s *Sim) AddAPI(orgID string, def map[string]any) string {
	return s.AddOASAPI(orgID, def, nil)
}

// AddOASAPI adds an API with a Tyk OAS document.
func (s *Sim) AddOASAPI(orgID string, def map[string]any, oas map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	def = cloneMap(def)
	if def["id"] == nil || def["id"] == "" {
		def["id"] = s.hexID(12)
	}
	if def["api_id"] == nil || def["api_id"] == "" {
		def["api_id"] = s.hexID(16)
	}
	def["org_id"] = orgID
	if oas != nil {
		def["is_oas"] = true
	}
	if _, ok := def["active"]; !ok {
		def["active"] = true
	}
	s.apis = append(s.apis, &apiRec{org: orgID, def: def, oas: cloneMap(oas), created: s.now().UTC()})
	s.gen++
	return def["id"].(string)
}

// AddPolicy adds a policy (keeping every field) and returns its _id.
func (s *Sim) AddPolicy(orgID string, pol map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addPolicyLocked(orgID, cloneMap(pol))
}

func (s *Sim) addPolicyLocked(orgID string, pol map[string]any) string {
	mid, _ := pol["_id"].(string)
	if !isHexID(mid) {
		mid = s.hexID(12)
	}
	withDefaults(pol, policyDefaults())
	pol["_id"] = mid
	pol["org_id"] = orgID
	now := s.now().UTC()
	if _, ok := pol["date_created"]; !ok {
		pol["date_created"] = now.Format(time.RFC3339Nano)
	}
	pol["last_updated"] = strconv.FormatInt(now.Unix(), 10)
	s.policies = append(s.policies, pol)
	s.gen++
	return mid
}

// UpdatePolicy changes a policy in place, as an admin in the Dashboard UI would.
func (s *Sim) UpdatePolicy(mid string, mutate func(pol map[string]any)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.policies {
		if p["_id"] == mid {
			mutate(p)
			p["last_updated"] = strconv.FormatInt(s.now().Unix(), 10)
			s.gen++ // the mutation may move it to another org
			return nil
		}
	}
	return fmt.Errorf("no policy %s", mid)
}

// DeletePolicy removes a policy.
func (s *Sim) DeletePolicy(mid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range s.policies {
		if p["_id"] == mid {
			s.policies = append(s.policies[:i], s.policies[i+1:]...)
			s.gen++
			return nil
		}
	}
	return fmt.Errorf("no policy %s", mid)
}

// Policy returns a copy of one policy.
func (s *Sim) Policy(mid string) (map[string]any, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, p := range s.policies {
		if p["_id"] == mid {
			return cloneMap(p), true
		}
	}
	return nil, false
}

// Policies returns copies of an org's policies ("" for every org) in Dashboard order.
func (s *Sim) Policies(orgID string) []map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []map[string]any{}
	for _, p := range s.policies {
		if orgID == "" || p["org_id"] == orgID {
			out = append(out, cloneMap(p))
		}
	}
	return out
}

// Keys returns copies of the stored sessions of an org ("" for all), each
// with its key_hash; plaintext keys are never kept.
func (s *Sim) Keys(orgID string) []map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []map[string]any{}
	for _, hash := range sortedKeys(s.keys) {
		k := s.keys[hash]
		if orgID == "" || k.org == orgID {
			m := cloneMap(k.session)
			m["key_hash"] = hash
			out = append(out, m)
		}
	}
	return out
}

// OAuthClients returns copies of an API's OAuth clients.
func (s *Sim) OAuthClients(apiID string) []map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []map[string]any{}
	for _, c := range s.oauth[apiID] {
		out = append(out, cloneMap(c))
	}
	return out
}

// Requests returns the request log (never the secret).
func (s *Sim) Requests() []RequestLog {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]RequestLog(nil), s.log...)
}

// SetFault injects f into requests matching method ("" any), the exact
// path, and page (0: any page or none; p<0 counts as page 1).
func (s *Sim) SetFault(method, path string, page int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{method: strings.ToUpper(method), path: path, page: page, fault: f})
}

// ClearFaults removes every fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// LoadDir seeds the simulator from a directory holding users.json,
// apis.json and policies.json (see testdata/dashboard/README.md).
func (s *Sim) LoadDir(dir string) error {
	var users []User
	var apis []struct {
		OrgID string         `json:"org_id"`
		Def   map[string]any `json:"api_definition"`
		OAS   map[string]any `json:"oas"`
	}
	var policies []map[string]any
	for name, v := range map[string]any{"users.json": &users, "apis.json": &apis, "policies.json": &policies} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if err := json.Unmarshal(data, v); err != nil {
			return fmt.Errorf("seed %s: %w", name, err)
		}
	}
	for _, u := range users {
		s.AddUser(u)
	}
	for _, a := range apis {
		s.AddOASAPI(a.OrgID, a.Def, a.OAS)
	}
	for _, p := range policies {
		org, _ := p["org_id"].(string)
		s.AddPolicy(org, p)
	}
	return nil
}

var hexRE = regexp.MustCompile(`^[0-9a-f]{24}$`)

func isHexID(s string) bool { return hexRE.MatchString(s) }

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}

func randomSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// policyDefaults are the fields a real Dashboard answers for every policy,
// because it decodes bodies into its Policy struct: a POST without them
// still reads back with them.
func policyDefaults() map[string]any {
	return map[string]any{
		"id": "", "name": "", "rate": 0.0, "per": 0.0, "quota_max": 0.0, "quota_renewal_rate": 0.0,
		"throttle_interval": 0.0, "throttle_retry_limit": 0.0, "max_query_depth": 0.0, "access_rights": map[string]any{},
		"hmac_enabled": false, "active": false, "is_inactive": false, "tags": []any{}, "key_expires_in": 0.0,
		"partitions": map[string]any{"quota": false, "rate_limit": false, "complexity": false, "acl": false, "per_api": false},
		"meta_data":  map[string]any{}, "graphql_access_rights": map[string]any{}, "state": "active", "auth_type": "authToken",
		"enable_http_signature_validation": false, "post_expiry_grace_period": 0.0, "smoothing": nil,
	}
}

// sessionDefaults are the SessionState fields a real Dashboard answers.
func sessionDefaults() map[string]any {
	return map[string]any{
		"last_check": 0.0, "allowance": 0.0, "rate": 0.0, "per": 0.0, "throttle_interval": 0.0, "throttle_retry_limit": 0.0,
		"expires": 0.0, "quota_max": 0.0, "quota_renews": 0.0, "quota_remaining": 0.0, "quota_renewal_rate": 0.0,
		"access_rights": map[string]any{}, "org_id": "", "apply_policies": []any{}, "alias": "", "meta_data": map[string]any{},
		"tags": []any{}, "is_inactive": false, "hmac_enabled": false, "enable_detailed_recording": false,
	}
}

func withDefaults(m, defaults map[string]any) map[string]any {
	for k, v := range defaults {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return m
}
